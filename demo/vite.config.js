// The demo's Vite config. The package is used as built: 'webllm-monitor' and its subpaths are
// aliased to the repository's js/ (which loads dist/ from the wasm build), so the demo exercises
// exactly the files that ship. react, react-dom, vite and @mlc-ai/web-llm come from the
// repository root's node_modules (the demo has none of its own).
//
//   npx vite build --config demo/vite.config.js     (or: node scripts/demo.mjs)
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const demoDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: demoDir,
  // Relative asset URLs: dist/ can be served from any path.
  base: './',
  // The dev server's dependency cache goes under the root's node_modules (demo/ has none).
  cacheDir: `${repoDir}node_modules/.vite/demo`,
  resolve: {
    // Exact matches, so that 'webllm-monitor' does not swallow 'webllm-monitor/react'.
    alias: [
      { find: /^webllm-monitor$/, replacement: `${repoDir}js/index.js` },
      { find: /^webllm-monitor\/react$/, replacement: `${repoDir}js/react/index.js` },
      { find: /^webllm-monitor\/simulated-engine$/, replacement: `${repoDir}js/simulated-engine.js` },
    ],
    // One React, whether imported by the demo or by the panel under js/react/.
    dedupe: ['react', 'react-dom'],
  },
  // The automatic JSX runtime: JSX files need no `import React`.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  server: { fs: { allow: [repoDir] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // @mlc-ai/web-llm is one ~6 MB chunk, loaded only when the real engine is switched on.
    chunkSizeWarningLimit: 8192,
  },
});

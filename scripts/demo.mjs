#!/usr/bin/env node
// The demo app (demo/): builds it with Vite's JS API into demo/dist and serves it.
//
//   node scripts/demo.mjs               build, then serve on http://127.0.0.1:$PORT (default 5173,
//                                       or a free port when that one is taken) until Ctrl-C
//   node scripts/demo.mjs --build-only  build and exit
//   node scripts/demo.mjs --no-build    serve the demo/dist already built
//   node scripts/demo.mjs --check       build, serve, load the page in headless Chromium, load a
//                                       model twice, run a workload, print a one-line summary;
//                                       exit 0 when everything held (a smoke check for CI)
//
// Needs the wasm build (dist/webllm-monitor-core.*, made by `npm run build`) and the root
// node_modules (vite, react, react-dom, @mlc-ai/web-llm; playwright-core for --check).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaVersion } from '../js/version.js';
import { startServer } from './static-server.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DEMO = path.join(REPO, 'demo');
const OUT = path.join(DEMO, 'dist');

const USAGE = 'usage: node scripts/demo.mjs [--build-only | --check | --no-build]';

/** Builds the demo into `outDir` with Vite's JS API; returns the time it took in ms. */
export async function buildDemo({ outDir = OUT, logLevel = 'warn' } = {}) {
  for (const f of ['webllm-monitor-core.mjs', 'webllm-monitor-core.wasm'])
    if (!existsSync(path.join(REPO, 'dist', f))) throw new Error(`dist/${f} is missing: build the package first (npm run build)`);
  const { build } = await import('vite');
  const t0 = performance.now();
  await build({
    configFile: path.join(DEMO, 'vite.config.js'),
    logLevel,
    build: { outDir, emptyOutDir: true },
  });
  return performance.now() - t0;
}

/**
 * Serves `root` read-only on 127.0.0.1:`port`, or on a free port when that one is taken.
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function serve(root, port) {
  const server = await startServer({ root, port, index: true });
  if (port !== 0 && server.port !== port) console.warn(`port ${port} is not available; using ${server.port}`);
  return { url: `${server.origin}/`, port: server.port, close: server.close };
}

/** Loads the served demo in headless Chromium and exercises it; returns the one-line summary. */
async function check(url) {
  const { launchBrowser } = await import('../tests/browser/harness.mjs');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (err) => errors.push(err));
    await page.goto(`${url}?speed=100`);
    await page.waitForFunction(() => 'ready' in window, undefined, { timeout: 15_000 });
    await page.evaluate(() => window.ready);
    const r = await page.evaluate(async () => {
      const { demo } = /** @type {any} */ (window);
      const first = await demo.load();
      const second = await demo.load();
      const workload = await demo.runWorkload(12);
      const injected = await demo.injectDeviceLost();
      const m = demo.monitor.getMetrics();
      return {
        first: first.phase,
        second: second.phase,
        fromCache: [first.fromCache, second.fromCache],
        workload,
        injected: injected.name,
        generations: m.generations.total,
        succeeded: m.generations.succeeded,
        failed: m.generations.failed,
        aborted: m.generations.aborted,
        loads: m.initialization.loads,
        cacheHits: m.initialization.fromCache,
        deviceLost: m.errors.byName.DeviceLostError ?? 0,
        ttftP50: m.generations.ttftMs.p50,
        panelSections: document.querySelectorAll('[data-wlm-section]').length,
        json: JSON.parse(demo.monitor.exportMetrics()).schemaVersion,
      };
    });
    const problems = [];
    if (errors.length > 0) problems.push(`page errors: ${errors.map((e) => e.message).join('; ')}`);
    if (r.first !== 'ready' || r.second !== 'ready') problems.push(`loads: ${r.first}, ${r.second}`);
    if (r.fromCache[0] !== false || r.fromCache[1] !== true) problems.push(`fromCache: ${r.fromCache.join(', ')} (expected false, true)`);
    if (r.workload.done !== 12) problems.push(`workload ran ${r.workload.done} of 12`);
    if (r.generations !== 13) problems.push(`metrics count ${r.generations} generations (expected 12 + the injected one)`);
    if (r.injected !== 'DeviceLostError' || r.deviceLost !== 1) problems.push(`DeviceLostError: ${r.injected}, recorded ${r.deviceLost}`);
    if (r.json !== schemaVersion) problems.push(`export schemaVersion ${r.json} (expected ${schemaVersion})`);
    if (r.panelSections === 0) problems.push('the monitor panel is not on the page');
    const line =
      `${r.generations} generations (${r.succeeded} ok, ${r.failed} failed, ${r.aborted} aborted), ` +
      `${r.loads} loads (${r.cacheHits} from cache), TTFT p50 ${r.ttftP50?.toFixed(1)} ms, ` +
      `panel sections ${r.panelSections}`;
    if (problems.length > 0) throw new Error(`${line}\n  ${problems.join('\n  ')}`);
    return line;
  } finally {
    await browser.close();
  }
}

async function main(argv) {
  const flags = new Set(argv);
  for (const f of flags)
    if (!['--build-only', '--check', '--no-build', '--help', '-h'].includes(f)) {
      console.error(`unknown option ${f}\n${USAGE}`);
      return 2;
    }
  if (flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    return 0;
  }
  const t0 = performance.now();
  if (!flags.has('--no-build')) {
    const ms = await buildDemo({ logLevel: flags.has('--check') ? 'warn' : 'info' });
    console.log(`demo built into ${path.relative(process.cwd(), OUT) || OUT} in ${(ms / 1000).toFixed(1)} s`);
  } else if (!existsSync(path.join(OUT, 'index.html'))) {
    console.error('demo/dist/index.html is missing: run without --no-build');
    return 1;
  }
  if (flags.has('--build-only')) return 0;

  const requested = process.env.PORT ? Number(process.env.PORT) : 5173;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    console.error(`PORT: expected a port number, got ${process.env.PORT}`);
    return 2;
  }
  const server = await serve(OUT, flags.has('--check') ? 0 : requested);
  if (flags.has('--check')) {
    try {
      const line = await check(server.url);
      console.log(`demo check OK: ${line}; ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);
      return 0;
    } catch (err) {
      console.error(`demo check FAILED: ${err.message}`);
      return 1;
    } finally {
      await server.close();
    }
  }
  console.log(`webllm-monitor demo: ${server.url}  (Ctrl-C to stop)`);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err.stack ?? String(err));
      process.exit(1);
    },
  );
}

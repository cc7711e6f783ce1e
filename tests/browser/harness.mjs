// Browser test harness: a tiny read-only static server over the repository, headless Chromium
// through playwright-core (no browser download: Debian's /usr/bin/chromium or CHROME_PATH), one
// browser per test file, pages that fail their test on an uncaught page error, and screenshots
// under test-results/browser/ (gitignored).
//
//   import { useBrowser } from './harness.mjs';
//   const b = useBrowser();                       // registers before/after hooks (node:test)
//   test('x', async (t) => {
//     const { page } = await b.open(t, '/tests/browser/pages/samplers.html');
//     ...
//     await b.screenshot(page, 'x');
//   });
import { after, before } from 'node:test';
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The repository root (served as the web root). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where screenshots go. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'browser');

/** Headers that make a page cross-origin isolated (`crossOriginIsolated === true`). */
export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Starts a static HTTP server on 127.0.0.1 (a random port) serving `root` read-only (GET/HEAD).
 * @param {object} [options]
 * @param {string} [options.root] default the repository root
 * @param {Record<string, string> | ((pathname: string) => Record<string, string> | undefined)} [options.headers]
 *   extra response headers: for every response, or per path (e.g. {@link ISOLATION_HEADERS})
 * @param {string} [options.csp] a Content-Security-Policy header for HTML responses
 * @returns {Promise<{ origin: string, port: number, url(p: string): string, requests: string[], close(): Promise<void> }>}
 */
export async function startServer({ root = REPO_ROOT, headers, csp } = {}) {
  const rootDir = path.resolve(root);
  /** @type {string[]} */
  const requests = [];
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const pathname = decodeURIComponent(url.pathname);
      requests.push(pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const file = path.resolve(rootDir, `.${pathname}`);
      if (file !== rootDir && !file.startsWith(rootDir + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      let info;
      try {
        info = await stat(file);
      } catch {
        info = null;
      }
      if (info === null || !info.isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}`);
        return;
      }
      const ext = path.extname(file).toLowerCase();
      /** @type {Record<string, string | number>} */
      const out = {
        'Content-Type': MIME[ext] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-store',
      };
      const extra = typeof headers === 'function' ? headers(pathname) : headers;
      if (extra) Object.assign(out, extra);
      if (csp && ext === '.html') out['Content-Security-Policy'] = csp;
      res.writeHead(200, out);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    url: (p) => new URL(p, origin).href,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}

const VIEWPORT = { width: 900, height: 700 };

/** Chromium flags: headless as root in a closed network, WebGPU through SwiftShader. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  // performance.memory in exact bytes (otherwise quantized and delayed)
  '--enable-precise-memory-info',
  // measureUserAgentSpecificMemory() resolves at once instead of at the next GC (~10 s here)
  '--enable-blink-features=ForceEagerMeasureMemory',
]);

/**
 * Launches headless Chromium. playwright-core's launch() gives every browser a fresh temporary
 * user data dir (deleted at close).
 * @param {{ args?: string[] }} [options] extra command-line flags
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchBrowser({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...args],
    headless: true,
  });
}

/**
 * One browser and one server for the test file: registers node:test before/after hooks.
 * `open(t, path)` opens a page and fails test `t` if the page raises an uncaught error.
 * @param {Parameters<typeof startServer>[0] & { args?: string[], name?: string }} [options]
 *   `name` prefixes the screenshot files
 */
export function useBrowser(options = {}) {
  /** @type {import('playwright-core').Browser | null} */
  let browser = null;
  /** @type {Awaited<ReturnType<typeof startServer>> | null} */
  let server = null;
  /** @type {Promise<import('playwright-core').Page> | null} */
  let shared = null;
  const file = options.name ?? 'browser';

  before(async () => {
    [server, browser] = await Promise.all([startServer(options), launchBrowser({ args: options.args })]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const ctx = {
    get browser() {
      if (!browser) throw new Error('useBrowser: the browser is not launched yet (call inside a test)');
      return browser;
    },
    get server() {
      if (!server) throw new Error('useBrowser: the server is not started yet (call inside a test)');
      return server;
    },
    /**
     * Opens `pagePath` (served from the repository root, or an absolute URL) and waits for the
     * page's `window.ready` promise. By default in the file's shared page (one renderer for the
     * file: a navigation costs ~0.2 s, a new context ~0.6 s; storage is shared by the tests of
     * the file); `{ fresh: true }` uses a new context with its own storage, closed when the test
     * ends. Test `t` fails if the page raises an uncaught error while it runs.
     * @param {import('node:test').TestContext} t
     * @param {string} pagePath
     * @param {{ fresh?: boolean }} [opts]
     * @returns {Promise<{ page: import('playwright-core').Page, messages: string[], errors: Error[] }>}
     */
    async open(t, pagePath, { fresh = false } = {}) {
      /** @type {import('playwright-core').Page} */
      let page;
      if (fresh) {
        const context = await ctx.browser.newContext({ viewport: VIEWPORT });
        page = await context.newPage();
        t.after(() => context.close().catch(() => {}));
      } else {
        if (shared === null) shared = ctx.browser.newContext({ viewport: VIEWPORT }).then((c) => c.newPage());
        page = await shared;
      }
      /** @type {string[]} */
      const messages = [];
      /** @type {Error[]} */
      const errors = [];
      const onConsole = (/** @type {any} */ m) => messages.push(`${m.type()}: ${m.text()}`);
      const onError = (/** @type {Error} */ err) => errors.push(err);
      page.on('console', onConsole);
      page.on('pageerror', onError);
      t.after(() => {
        page.off('console', onConsole);
        page.off('pageerror', onError);
        if (errors.length > 0)
          throw new Error(`uncaught page error(s):\n  ${errors.map((e) => e.stack ?? String(e)).join('\n  ')}\nconsole:\n  ${messages.join('\n  ')}`);
      });
      const url = /^https?:/.test(pagePath) ? pagePath : ctx.server.url(pagePath);
      await page.goto(url);
      try {
        await ctx.ready(page);
      } catch (err) {
        throw new Error(`${url} did not get ready: ${err && err.message}\nconsole:\n  ${messages.join('\n  ')}`);
      }
      return { page, messages, errors };
    },
    /**
     * Waits for the page's `window.ready` promise (set by the page's module) to resolve.
     * @param {import('playwright-core').Page} page
     */
    async ready(page) {
      await page.waitForFunction(() => 'ready' in window, undefined, { timeout: 10_000 });
      await page.evaluate(() => /** @type {any} */ (window).ready);
    },
    /**
     * Saves a full-page screenshot as test-results/browser/<file>-<name>.png.
     * @param {import('playwright-core').Page} page
     * @param {string} name
     * @returns {Promise<string>} the path written
     */
    async screenshot(page, name) {
      await mkdir(RESULTS_DIR, { recursive: true });
      const out = path.join(RESULTS_DIR, `${file}-${name}.png`);
      await page.screenshot({ path: out, fullPage: true });
      return out;
    },
  };
  return ctx;
}

/**
 * A second server for the same browser (other headers, another origin).
 * @param {Parameters<typeof startServer>[0]} options
 */
export function useServer(options) {
  /** @type {Awaited<ReturnType<typeof startServer>> | null} */
  let server = null;
  before(async () => {
    server = await startServer(options);
  });
  after(async () => {
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('useServer: not started yet');
      return server;
    },
  };
}

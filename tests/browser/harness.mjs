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
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startServer as serveStatic } from '../../scripts/static-server.mjs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS as CLI_CHROMIUM_ARGS } from '../../js/cli/ci.js';

/** The repository root (served as the web root). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where screenshots go. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'browser');

/** Headers that make a page cross-origin isolated (`crossOriginIsolated === true`). */
export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

/**
 * The static server of scripts/static-server.mjs, serving the repository root by default.
 * @param {Parameters<typeof serveStatic>[0]} [options]
 */
export function startServer(options = {}) {
  return serveStatic({ root: REPO_ROOT, ...options });
}

const VIEWPORT = { width: 900, height: 700 };

/** Chromium flags: the CLI's (a closed network, WebGPU through SwiftShader), no sandbox as root. */
export const CHROMIUM_ARGS = Object.freeze(['--no-sandbox', ...CLI_CHROMIUM_ARGS]);

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
    // allSettled: when one of the two fails, the other is still closed in `after` (a browser
    // left open keeps the test process alive forever).
    const [s, b] = await Promise.allSettled([startServer(options), launchBrowser({ args: options.args })]);
    if (s.status === 'fulfilled') server = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    if (s.status === 'rejected') throw s.reason;
    if (b.status === 'rejected') throw b.reason;
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

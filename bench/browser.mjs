// The browser half of `npm run bench`: bundles bench/page.js (the isomorphic suite, the peer
// sketch libraries and the wasm core) and bench/ready.js with Vite, serves them from bench/.build
// and runs them in headless Chromium (tests/browser/harness.mjs):
//
//   const { userAgent, sketches, monitor, createMonitorReadyMs } = await runBrowser({ log: console.log });
//
// `sketches` and `monitor` are what runSketches() and runMonitor() of bench/suite.js return;
// `createMonitorReadyMs` holds one createMonitor() ready time per fresh browser context (a cold
// HTTP cache: the wasm is fetched and compiled each time).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/static-server.mjs';
import { ISOLATION_HEADERS, launchBrowser } from '../tests/browser/harness.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
/** Build output (temporary, gitignored). */
export const BUILD_DIR = path.join(BENCH_DIR, '.build');

/** Bundles bench/<name>.html (and the module it loads) into bench/.build/<name>/. */
async function bundle(name) {
  const { build } = await import('vite');
  await build({
    root: BENCH_DIR,
    base: './',
    mode: 'production',
    logLevel: 'warn',
    configFile: false,
    publicDir: false,
    build: {
      outDir: path.join(BUILD_DIR, name),
      emptyOutDir: true,
      minify: true,
      rollupOptions: {
        input: path.join(BENCH_DIR, `${name}.html`),
        // hdr-histogram-js's UMD bundle uses a direct eval (harmless here): not worth a warning.
        onwarn(warning, warn) {
          if (warning.code === 'EVAL' && /hdr-histogram-js/.test(String(warning.id ?? warning.message))) return;
          warn(warning);
        },
      },
    },
  });
  return `/${name}/${name}.html`;
}

/**
 * Runs the benchmark suite and the createMonitor() ready time in headless Chromium.
 * @param {{ log?: (s: string) => void, n?: number, generations?: number, readyRuns?: number }} [options]
 * @returns {Promise<{ userAgent: string, sketches: any[], monitor: any, createMonitorReadyMs: number[], createMonitorWarmMs: number[] }>}
 */
export async function runBrowser({ log = () => {}, n = 1_000_000, generations = 1_000_000, readyRuns = 7 } = {}) {
  log('browser: bundling bench/page.html and bench/ready.html with Vite');
  const pagePath = await bundle('page');
  const readyPath = await bundle('ready');

  let server = null;
  let browser = null;
  try {
    // Cross-origin isolated pages get a 5 µs performance.now() instead of 100 µs.
    server = await startServer({ root: BUILD_DIR, headers: ISOLATION_HEADERS });
    browser = await launchBrowser();
    log(`browser: ${browser.version()}`);

    // The suite, in one page.
    const context = await browser.newContext();
    const page = await context.newPage();
    /** @type {Error[]} */
    const errors = [];
    page.on('console', (m) => log(m.type() === 'log' ? m.text() : `${m.type()}: ${m.text()}`));
    page.on('pageerror', (err) => {
      errors.push(err);
      log(`page error: ${err.stack ?? err}`);
    });
    await page.goto(server.url(pagePath));
    await page.waitForFunction(() => typeof (/** @type {any} */ (window).runBench) === 'function', undefined, { timeout: 30_000 });
    const { userAgent, isolated } = await page.evaluate(() => ({ userAgent: navigator.userAgent, isolated: crossOriginIsolated }));
    if (!isolated) log('browser: warning: the page is not cross-origin isolated (coarse timers)');
    // page.evaluate has no timeout of its own: it waits for the promise however long it takes.
    const { sketches, monitor } = await page.evaluate((options) => /** @type {any} */ (window).runBench(options), { n, generations });
    if (errors.length > 0) throw new Error(`the bench page raised: ${errors.map((e) => e.message).join('; ')}`);
    await context.close();

    // createMonitor() ready time, each run in a new context (its own, empty HTTP cache).
    log(`browser: createMonitor() ready time, ${readyRuns} cold loads`);
    /** @type {number[]} */
    const createMonitorReadyMs = [];
    /** @type {number[]} */
    const createMonitorWarmMs = [];
    for (let i = 0; i < readyRuns; i++) {
      const ctx = await browser.newContext();
      try {
        const p = await ctx.newPage();
        await p.goto(server.url(readyPath));
        await p.waitForFunction(() => 'readyMs' in window || 'readyError' in window, undefined, { timeout: 30_000 });
        await p.waitForFunction(() => 'warmMs' in window || 'readyError' in window, undefined, { timeout: 30_000 });
        const r = await p.evaluate(() => ({
          ms: /** @type {any} */ (window).readyMs,
          warm: /** @type {any} */ (window).warmMs,
          error: /** @type {any} */ (window).readyError,
        }));
        if (r.error !== undefined) throw new Error(`bench/ready.js: ${r.error}`);
        createMonitorReadyMs.push(r.ms);
        createMonitorWarmMs.push(r.warm);
      } finally {
        await ctx.close().catch(() => {});
      }
    }
    return { userAgent, sketches, monitor, createMonitorReadyMs, createMonitorWarmMs };
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
  }
}

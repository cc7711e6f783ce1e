// `webllm-monitor ci`: a performance test for CI. Opens a page that runs webllm-monitor in
// headless Chromium, optionally runs a workload in it, collects the monitor's export, repeats for
// --runs fresh pages, merges the exports exactly, judges a budget and a baseline, and writes
// metrics.json, report.md and junit.xml. Exit 0 pass, 1 budget or regression failure, 2 usage or
// infrastructure error.
import { statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from './errors.js';
import { compareExports, regressionOptions } from './regression.js';
import { checkBudgetPaths, formatJudged, judgeBudget, loadBudget } from './budget.js';
import { junitXml } from './junit.js';
import { markdownErrorReport, markdownReport } from './markdown.js';

export const CI_USAGE = `usage: webllm-monitor ci --url URL [options]

Opens URL in headless Chromium, waits for the page's monitor (window.webllmMonitor, installed by
monitor.installConsole(), or window.webllmMonitorInstance), runs the workload, collects
exportMetrics(), repeats for --runs fresh pages, merges the exports and judges them.

options:
  --url URL            the page to test (required)
  --workload FILE      an ES module whose default export is an async function (monitor) => any,
                       run in the page after the monitor appears; self-contained (no relative
                       imports); its page is the global scope (window, document, the app's globals)
  --budget FILE        a JSON budget: { "<metrics path>": { "min"?: n, "max"?: n }, ... }
  --baseline FILE      an earlier metrics.json (an export) to check for regressions
  --threshold PCT      relative change of a percentile that can count as a regression (default 10)
  --alpha A            significance level of the regression tests (default 0.01)
  --runs N             fresh pages to run and merge (default 1)
  --browser PATH       the Chromium executable (default: CHROME_PATH, then the usual paths)
  --browser-arg FLAG   an extra Chromium flag (repeatable)
  --out DIR            where metrics.json, report.md and junit.xml go (default ./webllm-monitor-results)
  --timeout MS         limit for loading the page and the monitor appearing, and for the
                       workload, per run (default 60000)
  -h, --help           this text

exit status: 0 pass; 1 a budget assertion or a regression failed; 2 usage or infrastructure
error (bad arguments, no browser, no monitor on the page, a failing workload, an unreadable
budget or baseline).

environment: CHROME_PATH (the browser); WEBLLM_MONITOR_BROWSER_PATHS (a ${path.delimiter}-separated
list that replaces the usual browser paths).`;

/** Where results go without --out. */
const DEFAULT_OUT = 'webllm-monitor-results';

/** Where Chromium usually is. WEBLLM_MONITOR_BROWSER_PATHS replaces this list. */
export const USUAL_BROWSER_PATHS = Object.freeze([
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
]);

/**
 * Headless Chromium flags, shared with the browser tests: a closed network, WebGPU on
 * SwiftShader, precise performance.memory, and measureUserAgentSpecificMemory() without
 * waiting for a garbage collection.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-precise-memory-info',
  '--enable-blink-features=ForceEagerMeasureMemory',
]);

const isFile = (/** @type {string} */ p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * Finds the browser: `--browser`, then CHROME_PATH, then the usual paths (or
 * WEBLLM_MONITOR_BROWSER_PATHS). An explicit path that does not exist is an error.
 * @param {string | undefined} explicit
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 */
export function findBrowser(explicit, env) {
  if (explicit !== undefined) {
    if (isFile(explicit)) return explicit;
    throw new CliError(`no browser: --browser ${explicit} does not exist (tried: ${explicit})`);
  }
  if (env.CHROME_PATH) {
    if (isFile(env.CHROME_PATH)) return env.CHROME_PATH;
    throw new CliError(`no browser: CHROME_PATH=${env.CHROME_PATH} does not exist (tried: ${env.CHROME_PATH})`);
  }
  const list = env.WEBLLM_MONITOR_BROWSER_PATHS !== undefined ? env.WEBLLM_MONITOR_BROWSER_PATHS.split(path.delimiter).filter(Boolean) : USUAL_BROWSER_PATHS;
  for (const p of list) if (isFile(p)) return p;
  throw new CliError(`no Chromium found; tried:\n  ${list.join('\n  ')}\n` + 'install Chromium or Chrome, or pass --browser PATH (or set CHROME_PATH)');
}

/** Reads and checks an export document (the baseline); throws a CliError naming the file. */
async function loadExport(/** @type {string} */ file, /** @type {string} */ what) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${what} ${file}: cannot read: ${/** @type {Error} */ (err).message}`);
  }
  const { MonitorCore } = await import('../core.js');
  const core = await MonitorCore.create();
  try {
    core.importJson(text);
  } catch (err) {
    throw new CliError(`${what} ${file}: not a webllm-monitor export: ${/** @type {Error} */ (err).message}`);
  } finally {
    core.dispose();
  }
  return JSON.parse(text);
}

/** Runs `promise` with a time limit. */
function withTimeout(/** @type {Promise<any>} */ promise, /** @type {number} */ ms, /** @type {string} */ what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new CliError(`${what} did not finish within ${ms} ms (--timeout)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Parses and checks the arguments; throws a CliError. */
function parse(/** @type {string[]} */ argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        url: { type: 'string' },
        workload: { type: 'string' },
        budget: { type: 'string' },
        baseline: { type: 'string' },
        threshold: { type: 'string' },
        alpha: { type: 'string' },
        runs: { type: 'string', default: '1' },
        browser: { type: 'string' },
        'browser-arg': { type: 'string', multiple: true, default: [] },
        out: { type: 'string', default: DEFAULT_OUT },
        timeout: { type: 'string', default: '60000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${/** @type {Error} */ (err).message}\n\n${CI_USAGE}`);
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  if (!v.url) throw new CliError(`--url is required\n\n${CI_USAGE}`);
  try {
    const u = new URL(v.url);
    if (!['http:', 'https:', 'file:'].includes(u.protocol)) throw new Error(`unsupported protocol ${u.protocol}`);
  } catch (err) {
    throw new CliError(`--url ${v.url}: not a valid http(s) or file URL (${/** @type {Error} */ (err).message})`);
  }
  const runs = Number(v.runs);
  if (!/^\d+$/.test(String(v.runs)) || !Number.isInteger(runs) || runs < 1 || runs > 1000)
    throw new CliError(`--runs ${v.runs}: expected an integer from 1 to 1000`);
  const timeout = Number(v.timeout);
  if (!/^\d+$/.test(String(v.timeout)) || timeout < 1) throw new CliError(`--timeout ${v.timeout}: expected a positive number of milliseconds`);
  let regression;
  try {
    regression = regressionOptions(v, 'ci');
  } catch (err) {
    throw new CliError(/** @type {Error} */ (err).message);
  }
  return {
    help: false,
    regression,
    url: /** @type {string} */ (v.url),
    workload: v.workload,
    budget: v.budget,
    baseline: v.baseline,
    runs,
    browser: v.browser,
    browserArgs: /** @type {string[]} */ (v['browser-arg']),
    out: /** @type {string} */ (v.out),
    timeout,
  };
}

/**
 * Runs `webllm-monitor ci`; resolves to the exit code.
 * @param {string[]} argv the arguments after `ci`
 * @param {{ env?: NodeJS.ProcessEnv, stdout?: NodeJS.WritableStream, stderr?: NodeJS.WritableStream }} [io]
 * @returns {Promise<number>}
 */
export async function runCi(argv, { env = process.env, stdout = process.stdout, stderr = process.stderr } = {}) {
  const progress = (/** @type {string} */ s) => stderr.write(`webllm-monitor ci: ${s}\n`);
  const t0 = performance.now();
  try {
    return await ci(argv, env, stdout, progress);
  } catch (err) {
    const known = err instanceof CliError;
    const message = known ? err.message : `internal error: ${/** @type {Error} */ (err)?.stack ?? String(err)}`;
    stderr.write(`webllm-monitor ci: ${known ? 'error: ' : ''}${message}\n`);
    await writeErrorResults(argv, message, performance.now() - t0, progress);
    return known ? err.exitCode : 2;
  }
}

/**
 * After an error (exit 2), report.md and junit.xml still go to --out, saying what went wrong, so
 * that a CI step that reads them (`if: always()`) finds them. A metrics.json of an earlier run is
 * removed: it is not this run's. The arguments are read leniently here, as they may be the error.
 * @param {string[]} argv
 * @param {string} message
 * @param {number} durationMs
 * @param {(s: string) => void} progress
 */
async function writeErrorResults(argv, message, durationMs, progress) {
  const { values } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { out: { type: 'string' }, url: { type: 'string' } } });
  const out = typeof values.out === 'string' && values.out !== '' ? values.out : DEFAULT_OUT;
  const url = typeof values.url === 'string' ? values.url : null;
  message = message.split(`\n\n${CI_USAGE}`)[0]; // the usage text belongs on the terminal only
  const firstLine = message.split('\n')[0];
  try {
    await mkdir(out, { recursive: true });
    await rm(path.join(out, 'metrics.json'), { force: true });
    await writeFile(path.join(out, 'report.md'), markdownErrorReport({ url, message, durationMs }));
    await writeFile(
      path.join(out, 'junit.xml'),
      junitXml(
        [
          {
            name: 'webllm-monitor ci',
            cases: [{ name: 'ci', classname: 'webllm-monitor.ci', pass: false, error: true, message: firstLine, details: message }],
          },
        ],
        { timeSec: durationMs / 1000 },
      ),
    );
    progress(`the error is in ${path.join(out, 'report.md')} and ${path.join(out, 'junit.xml')}`);
  } catch (err) {
    progress(`could not write the error to ${out}: ${/** @type {Error} */ (err).message}`);
  }
}

/**
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @param {NodeJS.WritableStream} stdout
 * @param {(s: string) => void} progress
 */
async function ci(argv, env, stdout, progress) {
  const t0 = performance.now();
  const opts = parse(argv);
  if (opts.help) {
    stdout.write(`${CI_USAGE}\n`);
    return 0;
  }

  // Everything that can be checked without a browser first.
  const budget = opts.budget !== undefined ? await loadBudget(opts.budget) : null;
  if (budget) {
    await checkBudgetPaths(budget);
    const windowed = Object.keys(budget).filter((p) => p.startsWith('windows.'));
    if (opts.runs > 1 && windowed.length > 0)
      throw new CliError(
        `budget ${opts.budget}: ${windowed.map((p) => `"${p}"`).join(', ')}: sliding windows are live views of one page and ` +
          `are not merged across --runs ${opts.runs}; budget the session figures instead, or use --runs 1`,
      );
  }
  const baseline = opts.baseline !== undefined ? await loadExport(opts.baseline, 'baseline') : null;
  let workload = null;
  if (opts.workload !== undefined) {
    try {
      workload = await readFile(opts.workload, 'utf8');
    } catch (err) {
      throw new CliError(`workload ${opts.workload}: cannot read: ${/** @type {Error} */ (err).message}`);
    }
    if (!/\bexport\s+default\b/.test(workload))
      throw new CliError(`workload ${opts.workload}: expected an ES module with a default export (export default async function (monitor) { ... })`);
  }

  /** @type {typeof import('playwright-core')} */
  let playwright;
  try {
    playwright = await import('playwright-core');
  } catch (err) {
    throw new CliError(
      `playwright-core is not installed: install playwright-core (npm install --save-dev playwright-core) to use "webllm-monitor ci" (${/** @type {Error} */ (err).message})`,
    );
  }
  const executablePath = findBrowser(opts.browser, env);
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const args = [...(asRoot ? ['--no-sandbox'] : []), ...CHROMIUM_ARGS, ...opts.browserArgs];
  progress(`launching ${executablePath}`);
  let browser;
  try {
    browser = await playwright.chromium.launch({ executablePath, args, headless: true, timeout: opts.timeout });
  } catch (err) {
    throw new CliError(`could not launch ${executablePath}: ${/** @type {Error} */ (err).message.split('\n')[0]}`);
  }

  /** @type {string[]} */
  const exports = [];
  try {
    for (let i = 1; i <= opts.runs; i++) {
      const tag = `run ${i}/${opts.runs}`;
      const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        page.on('pageerror', (err) => progress(`${tag}: page error: ${err.message}`));
        page.on('console', (m) => {
          if (m.type() === 'error') progress(`${tag}: console error: ${m.text()}`);
        });
        progress(`${tag}: loading ${opts.url}`);
        try {
          const response = await page.goto(opts.url, { timeout: opts.timeout, waitUntil: 'load' });
          if (response && !response.ok()) throw new Error(`HTTP ${response.status()} ${response.statusText()}`);
        } catch (err) {
          throw new CliError(`could not load ${opts.url}: ${/** @type {Error} */ (err).message.split('\n')[0]}`);
        }
        try {
          await page.waitForFunction(
            () => {
              const w = /** @type {any} */ (window);
              return typeof w.webllmMonitor?.exportMetrics === 'function' || typeof w.webllmMonitorInstance?.exportMetrics === 'function';
            },
            undefined,
            { timeout: opts.timeout },
          );
        } catch {
          throw new CliError(
            `${opts.url} never exposed a monitor within ${opts.timeout} ms: the page must call monitor.installConsole() ` +
              '(window.webllmMonitor) or set window.webllmMonitorInstance = monitor',
          );
        }
        if (workload !== null) {
          progress(`${tag}: running workload ${opts.workload}`);
          const started = performance.now();
          let result;
          try {
            result = await withTimeout(
              page.evaluate(async (src) => {
                const w = /** @type {any} */ (window);
                const monitor = typeof w.webllmMonitor?.exportMetrics === 'function' ? w.webllmMonitor : w.webllmMonitorInstance;
                const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
                try {
                  const mod = await import(url);
                  if (typeof mod.default !== 'function') throw new TypeError('the default export is not a function');
                  const r = await mod.default(monitor);
                  return r === undefined ? null : JSON.parse(JSON.stringify(r));
                } finally {
                  URL.revokeObjectURL(url);
                }
              }, workload),
              opts.timeout,
              `workload ${opts.workload} (${tag})`,
            );
          } catch (err) {
            if (err instanceof CliError) throw err;
            throw new CliError(`workload ${opts.workload} failed (${tag}): ${/** @type {Error} */ (err).message.replace(/^page\.evaluate: /, '')}`);
          }
          const summary = result === null ? '' : `: ${JSON.stringify(result).slice(0, 200)}`;
          progress(`${tag}: workload done in ${((performance.now() - started) / 1000).toFixed(1)} s${summary}`);
        }
        const text = await page.evaluate(() => {
          const w = /** @type {any} */ (window);
          const monitor = typeof w.webllmMonitor?.exportMetrics === 'function' ? w.webllmMonitor : w.webllmMonitorInstance;
          return monitor.exportMetrics();
        });
        if (typeof text !== 'string') throw new CliError(`${tag}: exportMetrics() returned ${typeof text}, not JSON text`);
        exports.push(text);
      } finally {
        await context.close().catch(() => {});
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }

  progress(`judging ${opts.runs} run${opts.runs === 1 ? '' : 's'}`);
  const { MonitorCore } = await import('../core.js');
  const core = await MonitorCore.create();
  let mergedText;
  try {
    try {
      core.mergeAll(exports);
    } catch (err) {
      throw new CliError(`the page's export could not be merged: ${/** @type {Error} */ (err).message}`);
    }
    // One run: keep the page's own export (validated by the merge above), whose metrics include
    // the sliding windows; windows are live views that a merge of several runs cannot rebuild.
    mergedText = exports.length === 1 ? exports[0] : core.exportJson();
  } finally {
    core.dispose();
  }
  const merged = JSON.parse(mergedText);

  const assertions = budget ? judgeBudget(budget, merged.metrics) : null;
  const regression = baseline ? await compareExports(baseline, mergedText, opts.regression) : null;
  const budgetFailures = assertions ? assertions.filter((a) => !a.pass) : [];
  const regressionFailures = regression ? regression.findings.filter((/** @type {any} */ f) => f.regression) : [];
  const pass = budgetFailures.length === 0 && regressionFailures.length === 0;

  await mkdir(opts.out, { recursive: true });
  const durationMs = performance.now() - t0;
  const suites = [];
  if (assertions)
    suites.push({
      name: `budget${opts.budget ? ` ${opts.budget}` : ''}`,
      cases: assertions.map((a) => ({ name: a.path, classname: 'webllm-monitor.budget', pass: a.pass, message: a.message })),
    });
  if (regression)
    suites.push({
      name: `regression against ${opts.baseline}`,
      cases: regression.findings.map((/** @type {any} */ f) => ({
        name: f.metric,
        classname: 'webllm-monitor.regression',
        pass: !f.regression,
        message: f.message ?? `${f.metric}: ${formatJudged(f.baseline)} -> ${formatJudged(f.current)}`,
      })),
    });
  await writeFile(path.join(opts.out, 'metrics.json'), mergedText.endsWith('\n') ? mergedText : `${mergedText}\n`);
  await writeFile(path.join(opts.out, 'junit.xml'), junitXml(suites, { timeSec: durationMs / 1000 }));
  await writeFile(
    path.join(opts.out, 'report.md'),
    markdownReport({
      pass,
      url: opts.url,
      runs: opts.runs,
      metrics: merged.metrics,
      budget: assertions,
      budgetFile: opts.budget ?? null,
      regression,
      baselineFile: opts.baseline ?? null,
      durationMs,
    }),
  );

  const lines = [];
  for (const a of budgetFailures) lines.push(`FAIL budget: ${a.message}`);
  for (const f of regressionFailures) lines.push(`FAIL regression: ${f.message ?? f.metric}`);
  const g = merged.metrics.generations;
  lines.push(
    `${pass ? 'PASS' : 'FAIL'}: ${opts.runs} run${opts.runs === 1 ? '' : 's'}, ${g.total} generations, ` +
      `TTFT p95 ${formatJudged(g.ttftMs.p95)} ms, decode p50 ${formatJudged(g.decodeTokensPerSec.p50)} tokens/s; ` +
      (assertions ? `budget ${assertions.length - budgetFailures.length}/${assertions.length} passed; ` : '') +
      (regression ? `${regressionFailures.length} regression${regressionFailures.length === 1 ? '' : 's'}; ` : '') +
      `results in ${opts.out} (${(durationMs / 1000).toFixed(1)} s)`,
  );
  stdout.write(`${lines.join('\n')}\n`);
  return pass ? 0 : 1;
}

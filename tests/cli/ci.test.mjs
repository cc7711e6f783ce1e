// `webllm-monitor ci` end to end: the CLI spawned as a child process against the demo app (built
// once into a temp dir and served on 127.0.0.1), in headless Chromium (CHROME_PATH or the usual
// paths). Checks exit codes, the files written and the messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo } from '../../scripts/demo.mjs';
import { startServer } from '../../scripts/static-server.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(REPO, 'js', 'cli', 'bin.js');
const WORKLOAD = path.join(REPO, 'examples', 'ci-workload.mjs');
const BUDGET = path.join(REPO, 'budgets', 'demo.budget.json');

/** @type {string} */
let tmp;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {string} */
let demoUrl;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'wlm-ci-'));
  const outDir = path.join(tmp, 'demo');
  await buildDemo({ outDir, logLevel: 'silent' });
  // The demo, and a page without a monitor.
  await writeFile(path.join(outDir, 'no-monitor.html'), '<!doctype html><title>no monitor</title><p>nothing here</p>');
  server = await startServer({ root: outDir, index: true });
  demoUrl = server.url('/?speed=20');
});
after(async () => {
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * Runs the CLI; resolves to { code, stdout, stderr } (never rejects on a non-zero exit).
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function cli(args, env = process.env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd: tmp, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const outDir = (/** @type {string} */ name) => path.join(tmp, name);

/** @param {string} xml */
function testcases(xml) {
  return [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].map((m) => ({
    name: m[1],
    failure: /<failure message="([^"]*)"/.exec(m[2])?.[1] ?? null,
  }));
}

/** @type {number | null} generations of one run, for the --runs 2 test */
let oneRunTotal = null;

test('a passing budget: exit 0; metrics.json, report.md and junit.xml written', async (t) => {
  const out = outDir('pass');
  const t0 = performance.now();
  const r = await cli(['ci', '--url', demoUrl, '--workload', WORKLOAD, '--budget', BUDGET, '--out', out]);
  const ms = performance.now() - t0;
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  t.diagnostic(`one run against the demo: ${(ms / 1000).toFixed(1)} s`);
  assert.match(r.stderr, /launching .*\n.*run 1\/1: loading/);
  assert.match(r.stderr, /judging 1 run/);
  assert.match(r.stdout, /^PASS: 1 run, \d+ generations/m);

  const doc = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(doc.schemaVersion, 2);
  assert.equal(doc.metrics.initialization.loads, 2);
  oneRunTotal = doc.metrics.generations.total;
  assert.equal(oneRunTotal, 20);

  const budget = JSON.parse(await readFile(BUDGET, 'utf8'));
  const xml = await readFile(path.join(out, 'junit.xml'), 'utf8');
  const cases = testcases(xml);
  assert.equal(cases.length, Object.keys(budget).length);
  assert.deepEqual(
    cases.map((c) => c.name),
    Object.keys(budget),
  );
  assert.ok(cases.every((c) => c.failure === null));
  assert.match(xml, /<testsuites name="webllm-monitor" tests="10" failures="0"/);

  const md = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /^# webllm-monitor: ✅ PASS/);
  assert.match(md, /10\/10 budget assertions passed/);
  assert.match(md, /\| ✅ \| `generations\.ttftMs\.p95` \|/);
  assert.match(md, /## Key percentiles/);
});

test('a failing budget: exit 1; junit.xml shows the failed assertion and its message', async () => {
  const out = outDir('fail');
  const budget = path.join(tmp, 'failing.budget.json');
  await writeFile(budget, JSON.stringify({ 'generations.ttftMs.p95': { max: 0.001 }, 'generations.total': { min: 1 } }));
  const r = await cli(['ci', '--url', demoUrl, '--workload', WORKLOAD, '--budget', budget, '--out', out]);
  assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stdout, /FAIL budget: generations\.ttftMs\.p95 = [\d.]+ is above max 0\.001/);
  assert.match(r.stdout, /^FAIL: 1 run/m);
  const cases = testcases(await readFile(path.join(out, 'junit.xml'), 'utf8'));
  assert.equal(cases.length, 2);
  assert.match(cases[0].failure ?? '', /^generations\.ttftMs\.p95 = [\d.]+ is above max 0\.001$/);
  assert.equal(cases[1].failure, null);
  assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /^# webllm-monitor: ❌ FAIL/);
});

test('--runs 2 merges two fresh pages exactly; window budgets need one run, which is known before any run', async () => {
  const out = outDir('runs2');
  const windowed = path.join(tmp, 'runs2-windows-budget.json');
  await writeFile(windowed, JSON.stringify({ 'generations.total': { min: 40 }, 'windows.5m.generations.total': { min: 1 } }));
  const early = await cli(['ci', '--url', demoUrl, '--workload', WORKLOAD, '--runs', '2', '--budget', windowed, '--out', outDir('runs2-windows')]);
  assert.equal(early.code, 2, early.stderr);
  assert.match(early.stderr, /"windows\.5m\.generations\.total": sliding windows are live views of one page and are not merged across --runs 2/);
  assert.doesNotMatch(early.stderr, /launching/, 'no browser was started');

  const budget = path.join(tmp, 'runs2-budget.json');
  await writeFile(budget, JSON.stringify({ 'generations.total': { min: 40 } }));
  const r = await cli(['ci', '--url', demoUrl, '--workload', WORKLOAD, '--runs', '2', '--budget', budget, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const cases = testcases(await readFile(path.join(out, 'junit.xml'), 'utf8'));
  assert.equal(cases.find((c) => c.name === 'generations.total')?.failure, null);
  assert.match(r.stderr, /run 1\/2: loading[\s\S]*run 2\/2: loading/);
  const m = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')).metrics;
  assert.equal(m.generations.total, 2 * (oneRunTotal ?? 20));
  assert.equal(m.initialization.loads, 4);
  assert.equal(m.initialization.fromCache, 2);
});

test('a baseline: a slower page (speed 4 against a speed-20 baseline) fails with regressions in junit.xml', async () => {
  const baseline = path.join(outDir('pass'), 'metrics.json');
  assert.ok(existsSync(baseline), 'needs the passing run above');
  const out = outDir('regression');
  const r = await cli(['ci', '--url', server.url('/?speed=4'), '--workload', WORKLOAD, '--baseline', baseline, '--out', out]);
  assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stdout, /^FAIL regression: .*decodeTokensPerSec p50 fell/m);
  const cases = testcases(await readFile(path.join(out, 'junit.xml'), 'utf8'));
  assert.ok(
    cases.some((c) => c.name === 'generations.decodeTokensPerSec.p50' && /fell/.test(c.failure ?? '')),
    JSON.stringify(cases),
  );
  const md = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /^# webllm-monitor: ❌ FAIL/);
  assert.match(md, /## Regressions against the baseline/);
});

test('a baseline: a second run with the same settings shows no regression', async () => {
  const baseline = path.join(outDir('pass'), 'metrics.json');
  assert.ok(existsSync(baseline), 'needs the passing run above');
  const out = outDir('same');
  // --threshold 25: this run shares two cores with the other browser suites running in
  // parallel, so whole-run timing drift of 10% or more is common (see the README's figures).
  const r = await cli(['ci', '--url', demoUrl, '--workload', WORKLOAD, '--baseline', baseline, '--threshold', '25', '--out', out]);
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const cases = testcases(await readFile(path.join(out, 'junit.xml'), 'utf8'));
  assert.ok(cases.length > 5, 'every compared metric is a testcase');
  assert.ok(
    cases.every((c) => c.failure === null),
    JSON.stringify(cases.filter((c) => c.failure !== null)),
  );

  const bad = await cli(['ci', '--url', demoUrl, '--baseline', baseline, '--threshold', 'ten']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /ci: --threshold: expected a percentage > 0, got "ten"/);
});

test('no browser: exit 2 listing every path tried', async () => {
  const env = { ...process.env };
  delete env.CHROME_PATH;
  env.WEBLLM_MONITOR_BROWSER_PATHS = ['/nonexistent/chromium', '/nonexistent/chrome'].join(path.delimiter);
  const r = await cli(['ci', '--url', demoUrl, '--out', outDir('nobrowser')], env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no Chromium found; tried:\n {2}\/nonexistent\/chromium\n {2}\/nonexistent\/chrome\n/);
  const md = await readFile(path.join(outDir('nobrowser'), 'report.md'), 'utf8');
  assert.match(md, /^# webllm-monitor: ⚠️ ERROR/);
  assert.match(md, /no Chromium found; tried:\n {2}\/nonexistent\/chromium/);
  const xml = await readFile(path.join(outDir('nobrowser'), 'junit.xml'), 'utf8');
  assert.match(xml, /<testsuites [^>]*failures="0" errors="1"/);
  assert.match(xml, /<error message="no Chromium found; tried:" type="CliError">/);
  assert.ok(!existsSync(path.join(outDir('nobrowser'), 'metrics.json')), 'no metrics.json: there is no run data');

  const explicit = await cli(['ci', '--url', demoUrl, '--browser', '/nonexistent/browser'], env);
  assert.equal(explicit.code, 2);
  assert.match(explicit.stderr, /--browser \/nonexistent\/browser does not exist/);
});

test('a corrupt baseline: exit 2 naming the file and the problem', async () => {
  const notJson = path.join(tmp, 'not-json.json');
  await writeFile(notJson, '{"schemaVersion": 1,');
  let r = await cli(['ci', '--url', demoUrl, '--baseline', notJson]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`baseline ${notJson}: not a webllm-monitor export`), r.stderr);
  assert.match(r.stderr, /not valid JSON/);

  const wrongVersion = path.join(tmp, 'v2.json');
  const doc = JSON.parse(await readFile(path.join(outDir('pass'), 'metrics.json'), 'utf8').catch(() => '{"schemaVersion":2}'));
  await writeFile(wrongVersion, JSON.stringify({ ...doc, schemaVersion: 3 }));
  r = await cli(['ci', '--url', demoUrl, '--baseline', wrongVersion]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\$\.schemaVersion: version 3 is not supported/);

  r = await cli(['ci', '--url', demoUrl, '--baseline', path.join(tmp, 'missing.json')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /baseline .*missing\.json: cannot read/);
});

test('an unknown budget path: exit 2 before the browser starts, listing the nearest valid paths', async () => {
  const budget = path.join(tmp, 'typo.budget.json');
  await writeFile(budget, JSON.stringify({ 'generations.total': { min: 1 }, 'generations.ttftMs.p59': { max: 800 } }));
  const r = await cli(['ci', '--url', demoUrl, '--budget', budget, '--out', outDir('typo')]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /budget path "generations\.ttftMs\.p59": "p59" is not a field of "generations\.ttftMs"; nearest valid paths:\n {2}generations\.ttftMs\.p50/,
  );
  assert.doesNotMatch(r.stderr, /launching/, 'no browser was started');
  assert.match(await readFile(path.join(outDir('typo'), 'report.md'), 'utf8'), /"p59" is not a field/);

  // A model that the run did not have can only be known after it: exit 2 then too, with the paths it had.
  const byModel = path.join(tmp, 'bymodel.budget.json');
  await writeFile(byModel, JSON.stringify({ 'generations.byModel[No-Such-Model].ttftMs.p95': { max: 800 } }));
  const late = await cli(['ci', '--url', demoUrl, '--budget', byModel, '--out', outDir('bymodel')]);
  assert.equal(late.code, 2);
  assert.match(late.stderr, /launching/);
  assert.match(late.stderr, /budget path "generations\.byModel\[No-Such-Model\]\.ttftMs\.p95" is not in the metrics; nearest valid paths:/);
});

test('a page without a monitor, a failing workload, bad arguments: exit 2', async () => {
  let r = await cli(['ci', '--url', server.url('/no-monitor.html'), '--timeout', '1500']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /never exposed a monitor within 1500 ms: the page must call monitor\.installConsole\(\)/);

  const bad = path.join(tmp, 'bad-workload.mjs');
  await writeFile(bad, 'export default async function () { throw new Error("boom from the workload"); }\n');
  r = await cli(['ci', '--url', demoUrl, '--workload', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /workload .*bad-workload\.mjs failed \(run 1\/1\): .*boom from the workload/);

  for (const args of [['ci'], ['ci', '--url', demoUrl, '--runs', '0'], ['ci', '--url', 'not a url'], ['ci', '--url', demoUrl, '--bogus']]) {
    r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
  }
  // Even a bad flag leaves report.md and junit.xml in --out (or the default folder) saying so.
  const badFlag = outDir('bad-flag');
  r = await cli(['ci', '--url', demoUrl, '--bogus-flag', '--out', badFlag]);
  assert.equal(r.code, 2);
  assert.match(await readFile(path.join(badFlag, 'report.md'), 'utf8'), /Unknown option '--bogus-flag'/);
  assert.match(
    await readFile(path.join(badFlag, 'junit.xml'), 'utf8'),
    /<error message="Unknown option &apos;--bogus-flag&apos;" type="CliError">Unknown option &apos;--bogus-flag&apos;<\/error>/,
  );
  assert.match(await readFile(path.join(tmp, 'webllm-monitor-results', 'report.md'), 'utf8'), /^# webllm-monitor: ⚠️ ERROR[\s\S]*Unknown option '--bogus'/);
});

test('without playwright-core installed: exit 2 saying to install it', async () => {
  // A copy of the package (js/, dist/, package.json) with no node_modules anywhere above it.
  const pkg = path.join(tmp, 'pkg-without-playwright');
  await mkdir(pkg, { recursive: true });
  await cp(path.join(REPO, 'js'), path.join(pkg, 'js'), { recursive: true });
  await cp(path.join(REPO, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  await cp(path.join(REPO, 'package.json'), path.join(pkg, 'package.json'));
  const r = await new Promise((resolve) => {
    execFile(process.execPath, [path.join(pkg, 'js', 'cli', 'bin.js'), 'ci', '--url', demoUrl], { cwd: pkg }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /install playwright-core/);
});

test('main: --help, ci --help, otlp, unknown command', async () => {
  let r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: webllm-monitor <command>/);
  r = await cli(['ci', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: webllm-monitor ci --url URL/);
  assert.match(r.stdout, /WEBLLM_MONITOR_BROWSER_PATHS/);
  r = await cli(['otlp']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /otlp: expected 1 export file, got 0/);
  r = await cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  r = await cli([]);
  assert.equal(r.code, 2);
});

// The package as users get it: `npm pack`, installed into an empty folder with an empty npm cache
// (as on a fresh machine: nothing that an earlier install left in the cache is used), then used
// from Node, from a page bundled by Vite with no configuration (the wasm file must be found by the
// bundler), from a React app bundled the same way, and through its executable: `npx
// webllm-monitor`, an npm script, against the demo in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildDemo } from '../../scripts/demo.mjs';
import { readmeBlock, shellCommands } from '../readme/blocks.mjs';
import { REPO_ROOT, launchBrowser, startServer } from './harness.mjs';

const run = promisify(execFile);
let work;
let app;
let tarball;
/** npm's environment for the scratch app: a cache of its own, empty at first. */
let npmEnv;

/** The version of a dev dependency as installed here, so the scratch app gets the same. */
const installed = (/** @type {string} */ name) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'wlm-pack-'));
  npmEnv = { ...process.env, npm_config_cache: path.join(work, 'npm-cache'), npm_config_update_notifier: 'false' };
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT, env: npmEnv });
  const [info] = JSON.parse(stdout);
  tarball = { path: path.join(work, info.filename), files: info.files.map((f) => f.path), size: info.size };
  app = path.join(work, 'app');
  await mkdir(app);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // The package, and what an app that uses the CLI and the panel adds beside it (optional peers).
  const peers = ['playwright-core', 'react', 'react-dom'].map((n) => `${n}@${installed(n)}`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball.path, ...peers], { cwd: app, env: npmEnv, maxBuffer: 1 << 24 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Writes an app's index.html (with `body` and a module script main.js) and main.js into `dir`. */
async function writePage(/** @type {string} */ dir, /** @type {string} */ body, /** @type {string} */ script) {
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title></head>' +
      `<body>${body}<script type="module" src="./main.js"></script></body></html>`,
  );
  await writeFile(path.join(dir, 'main.js'), script);
}

test('the tarball ships the module, the JS, the types and the schema, and no tests', () => {
  for (const f of [
    'dist/webllm-monitor-core.mjs',
    'dist/webllm-monitor-core.wasm',
    'js/index.js',
    'js/index.d.ts',
    'js/core.js',
    'js/simulated-engine.js',
    'js/cli/bin.js',
    'schema/export.schema.json',
    'README.md',
    'package.json',
  ])
    assert.ok(tarball.files.includes(f), `${f} is in the tarball`);
  assert.ok(!tarball.files.some((f) => f.startsWith('tests/') || f.startsWith('wasm/') || f.startsWith('build/')));
});

test('the installed package works from Node', async () => {
  const script = `
    import { createMonitor } from 'webllm-monitor';
    import { CreateSimulatedMLCEngine } from 'webllm-monitor/simulated-engine';
    const monitor = await createMonitor({ memory: false });
    const engine = await monitor.createEngine(CreateSimulatedMLCEngine, 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', { timeScale: 0 });
    const reply = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }] });
    const m = monitor.getMetrics();
    console.log(JSON.stringify({ total: m.generations.total, loads: m.initialization.loads, content: reply.choices[0].message.content.length > 0 }));
    await monitor.dispose();
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
  assert.deepEqual(JSON.parse(stdout.trim()), { total: 1, loads: 1, content: true });
});

test('a page bundled by Vite finds the wasm without configuration', async (t) => {
  await writePage(
    app,
    '<pre id="out"></pre>',
    `import { createMonitor } from 'webllm-monitor';
     import { CreateSimulatedMLCEngine } from 'webllm-monitor/simulated-engine';
     window.result = (async () => {
       const t0 = performance.now();
       const monitor = await createMonitor({ sampleIntervalMs: 0 });
       const readyMs = performance.now() - t0;
       const engine = await monitor.createEngine(CreateSimulatedMLCEngine, 'Llama-3.2-1B-Instruct-q4f16_1-MLC', { timeScale: 0 });
       for await (const chunk of await engine.chat.completions.create({ messages: [{ role: 'user', content: 'hello' }], stream: true })) void chunk;
       monitor.installConsole();
       const m = monitor.getMetrics();
       document.getElementById('out').textContent = monitor.printMetrics();
       return { readyMs, total: m.generations.total, ttftCount: m.generations.ttftMs.count };
     })();`,
  );
  const { build } = await import('vite');
  await build({ root: app, logLevel: 'silent', build: { outDir: path.join(app, 'dist'), emptyOutDir: true } });
  const assets = await readdir(path.join(app, 'dist', 'assets'));
  assert.ok(
    assets.some((f) => f.endsWith('.wasm')),
    `the wasm was emitted: ${assets.join(', ')}`,
  );

  const server = await startServer({ root: path.join(app, 'dist') });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(server.url('/index.html'));
    const result = await page.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.equal(result.total, 1);
    assert.equal(result.ttftCount, 1);
    assert.ok(
      server.requests.some((r) => r.endsWith('.wasm')),
      'the page fetched the wasm from the bundle',
    );
    assert.match(await page.textContent('#out'), /Generations: 1 total/);
    t.diagnostic(`createMonitor() ready in ${result.readyMs.toFixed(1)} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
});

/**
 * Runs a command in the scratch app; resolves to { code, stdout, stderr } (never rejects on a
 * non-zero exit).
 * @param {string} cmd
 * @param {string[]} args
 */
function inApp(cmd, args) {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: app, env: npmEnv, timeout: 300_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('npx webllm-monitor, through the bin link: --help, --version, bad flags', async () => {
  const bin = path.join(app, 'node_modules', '.bin', 'webllm-monitor');
  assert.ok(existsSync(bin), 'npm linked the executable');
  let r = await inApp('npx', ['--no-install', 'webllm-monitor', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: webllm-monitor <command> \[options\]/);
  r = await inApp('npx', ['--no-install', 'webllm-monitor', '--version']);
  assert.equal(r.stdout.trim(), JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  r = await inApp('npx', ['--no-install', 'webllm-monitor', 'ci', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: webllm-monitor ci --url URL/);
  r = await inApp('npx', ['--no-install', 'webllm-monitor', 'frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);

  const out = path.join(work, 'bad-flag-results');
  r = await inApp('npx', ['--no-install', 'webllm-monitor', 'ci', '--bogus-flag', '--out', out]);
  assert.equal(r.code, 2, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stderr, /Unknown option '--bogus-flag'/);
  assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /^# webllm-monitor: ⚠️ ERROR[\s\S]*Unknown option '--bogus-flag'/);
  assert.match(await readFile(path.join(out, 'junit.xml'), 'utf8'), /errors="1"/);
});

test('webllm-monitor ci from an npm script, against the demo: a budget it misses exits 1, a typo exits 2 before the browser', async () => {
  const demoDir = path.join(work, 'demo');
  await buildDemo({ outDir: demoDir, logLevel: 'silent' });
  const server = await startServer({ root: demoDir, index: true });
  try {
    await writeFile(path.join(app, 'workload.mjs'), await readFile(path.join(REPO_ROOT, 'examples', 'ci-workload.mjs')));
    await writeFile(path.join(app, 'tight.budget.json'), JSON.stringify({ 'generations.total': { min: 1 }, 'generations.ttftMs.p95': { max: 0.001 } }));
    await writeFile(path.join(app, 'typo.budget.json'), JSON.stringify({ 'generations.ttftMs.p59': { max: 800 } }));
    const ci = (/** @type {string} */ budget, /** @type {string} */ out) =>
      `webllm-monitor ci --url '${server.url('/?speed=20')}' --workload workload.mjs --budget ${budget} --out ${out}`;
    const pkg = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8'));
    pkg.scripts = { 'perf:tight': ci('tight.budget.json', 'results-tight'), 'perf:typo': ci('typo.budget.json', 'results-typo') };
    await writeFile(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2));

    let r = await inApp('npm', ['run', '--silent', 'perf:tight']);
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stdout, /FAIL budget: generations\.ttftMs\.p95 = [\d.]+ is above max 0\.001/);
    assert.match(await readFile(path.join(app, 'results-tight', 'report.md'), 'utf8'), /^# webllm-monitor: ❌ FAIL/);
    const doc = JSON.parse(await readFile(path.join(app, 'results-tight', 'metrics.json'), 'utf8'));
    assert.ok(doc.metrics.generations.total >= 20, `the workload ran: ${doc.metrics.generations.total} generations`);

    r = await inApp('npm', ['run', '--silent', 'perf:typo']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /budget path "generations\.ttftMs\.p59": "p59" is not a field of "generations\.ttftMs"/);
    assert.doesNotMatch(r.stderr, /launching/);
    assert.match(await readFile(path.join(app, 'results-typo', 'report.md'), 'utf8'), /"p59" is not a field/);
  } finally {
    await server.close();
  }
});

test('a React app bundled by Vite from the tarball: the panel renders the monitor', async (t) => {
  const root = path.join(app, 'react-app');
  await mkdir(root, { recursive: true });
  await writePage(
    root,
    '<div id="root"></div>',
    `import { createElement, useEffect, useState } from 'react';
     import { createRoot } from 'react-dom/client';
     import { createMonitor } from 'webllm-monitor';
     import { MonitorPanel } from 'webllm-monitor/react';
     import { CreateSimulatedMLCEngine } from 'webllm-monitor/simulated-engine';
     function App() {
       const [monitor, setMonitor] = useState(null);
       useEffect(() => {
         let m;
         createMonitor({ sampleIntervalMs: 0 }).then(async (created) => {
           m = created;
           setMonitor(created);
           created.installConsole();
           const loading = created.createEngine(CreateSimulatedMLCEngine, 'Llama-3.2-1B-Instruct-q4f16_1-MLC', { timeScale: 0.05 });
           // The hook the README's CI workload drives; it waits for the model, which may still be loading.
           window.ask = async (q) => (await (await loading).chat.completions.create({ messages: [{ role: 'user', content: q }] })).choices[0].message.content;
           await loading;
           if (!new URLSearchParams(location.search).has('ci')) for (let i = 0; i < 3; i++) await window.ask('hi ' + i);
           window.done = true;
         });
         return () => { void m?.dispose(); };
       }, []);
       return createElement(MonitorPanel, { monitor });
     }
     createRoot(document.getElementById('root')).render(createElement(App));`,
  );
  const { build } = await import('vite');
  await build({ root, logLevel: 'silent', build: { outDir: path.join(root, 'dist'), emptyOutDir: true } });
  const server = await startServer({ root: path.join(root, 'dist') });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(server.url('/index.html'));
    await page.waitForFunction(() => window.done === true);
    await page.getByText('3', { exact: true }).first().waitFor();
    assert.deepEqual(errors, []);
    const text = await page.locator('#root').innerText();
    assert.match(text, /WebLLM monitor/);
    assert.match(text, /Llama-3\.2-1B-Instruct-q4f16_1-MLC/);
    const shot = path.join(REPO_ROOT, 'test-results', 'browser', 'package-react-app.png');
    await mkdir(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${path.relative(REPO_ROOT, shot)}`);
  } finally {
    await browser.close();
    await server.close();
  }
});

test("the README's CI command, workload and budget, from the tarball, against that React app", async () => {
  const root = path.join(app, 'react-app', 'dist');
  assert.ok(existsSync(root), 'needs the React app built above');
  const server = await startServer({ root });
  try {
    const [command] = shellCommands(readmeBlock('sh', 'ci').code);
    const workload = /--workload (\S+)/.exec(command)?.[1];
    const budget = /--budget (\S+)/.exec(command)?.[1];
    const out = /--out (\S+)/.exec(command)?.[1];
    assert.ok(workload && budget && out, command);
    await mkdir(path.dirname(path.join(app, workload)), { recursive: true });
    await writeFile(path.join(app, workload), readmeBlock('js', 'workload').code);
    await mkdir(path.dirname(path.join(app, budget)), { recursive: true });
    await writeFile(path.join(app, budget), readmeBlock('json', 'budget').code);
    // The README serves the app on 127.0.0.1:5173; this one is wherever the test server listens.
    const url = /--url (\S+)/.exec(command)?.[1] ?? '';
    const line = command.replace(url, server.url('/index.html?ci'));
    const r = await new Promise((resolve) => {
      execFile('bash', ['-c', line], { cwd: app, env: npmEnv, timeout: 300_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.code, 0, `${line}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stdout, /^PASS: 1 run, 10 generations/m);
    const doc = JSON.parse(await readFile(path.join(app, out, 'metrics.json'), 'utf8'));
    assert.equal(doc.metrics.generations.total, 10);
    assert.match(await readFile(path.join(app, out, 'report.md'), 'utf8'), /^# webllm-monitor: ✅ PASS[\s\S]*5\/5 budget assertions passed/);
  } finally {
    await server.close();
  }
});

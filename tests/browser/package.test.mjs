// The package as users get it: `npm pack`, installed into an empty folder, used from Node and from
// a page bundled by Vite with no configuration (the wasm file must be found by the bundler), in
// headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, launchBrowser, startServer } from './harness.mjs';

const run = promisify(execFile);
let work;
let app;
let tarball;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'wlm-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT });
  const [info] = JSON.parse(stdout);
  tarball = { path: path.join(work, info.filename), files: info.files.map((f) => f.path), size: info.size };
  app = path.join(work, 'app');
  await mkdir(app);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball.path], { cwd: app });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('the tarball ships the module, the JS, the types and the schema, and no tests', () => {
  for (const f of ['dist/webllm-monitor-core.mjs', 'dist/webllm-monitor-core.wasm', 'js/index.js', 'js/index.d.ts',
    'js/core.js', 'js/simulated-engine.js', 'schema/export.schema.json', 'README.md', 'package.json'])
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
  await writeFile(
    path.join(app, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title></head>' +
      '<body><pre id="out"></pre><script type="module" src="./main.js"></script></body></html>',
  );
  await writeFile(
    path.join(app, 'main.js'),
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
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `the wasm was emitted: ${assets.join(', ')}`);

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
    assert.ok(server.requests.some((r) => r.endsWith('.wasm')), 'the page fetched the wasm from the bundle');
    assert.match(await page.textContent('#out'), /Generations: 1 total/);
    t.diagnostic(`createMonitor() ready in ${result.readyMs.toFixed(1)} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
});

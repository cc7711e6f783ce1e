// createMonitor in headless Chromium: a page wraps the simulated WebLLM engine, runs a workload,
// and the test drives the console commands, reads a real file download, and checks the memory and
// WebGPU samples (SwiftShader).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { useBrowser } from './harness.mjs';

const b = useBrowser({ name: 'monitor' });
const PAGE = '/tests/browser/pages/monitor.html';

test('a wrapped simulated engine, the console commands, a JSON download, memory and WebGPU samples', async (t) => {
  const { page, messages } = await b.open(t, PAGE, { fresh: true });
  const started = await page.evaluate(() => window.api.start());
  assert.ok(started.progressSeen >= 4, 'the app still receives its progress reports');
  assert.equal(started.status.ready, true);
  assert.deepEqual(started.status.loadedModels, ['Llama-3.2-1B-Instruct-q4f16_1-MLC']);

  const { replies, metrics } = await page.evaluate(() => window.api.workload(6));
  assert.equal(replies.length, 8);
  assert.ok(replies.every((r) => r.reply.length > 0));
  assert.ok(
    replies.every((r) => r.lastChoices === 1),
    'the usage chunk the wrapper asked for is hidden from the app',
  );
  const g = metrics.generations;
  assert.equal(g.total, 8);
  assert.equal(g.byType.chat.total, 6);
  assert.equal(g.byType.enhance_summary.total, 1);
  assert.equal(g.byType.translate.total, 1);
  assert.ok(g.ttftMs.p50 > 0 && g.decodeTokensPerSec.p50 > 0 && g.chunkGapMs.count > 50);
  assert.equal(metrics.initialization.loads, 2);
  assert.equal(metrics.initialization.downloaded, 1);
  assert.equal(metrics.initialization.fromCache, 1);
  assert.equal(metrics.cache.byName.model.hitRate, 0.5);

  // Memory: performance.memory and the wasm heap, labelled snapshots around init and generations.
  assert.ok(metrics.memory.samples >= 3);
  assert.ok(metrics.memory.latest.usedJSHeapSize > 0);
  assert.ok(metrics.memory.latest.jsHeapSizeLimit > 0);
  assert.ok(metrics.memory.latest.wasmHeapBytes >= 16 * 1024 * 1024);
  const labels = new Set(await page.evaluate(() => window.webllmMonitor.getMemorySnapshots().map((s) => s.label)));
  for (const l of ['before-init', 'after-init', 'before-generation', 'after-generation']) assert.ok(labels.has(l), `a "${l}" snapshot`);
  // WebGPU through SwiftShader.
  assert.equal(metrics.webgpu.available, true);
  assert.equal(metrics.webgpu.adapter.architecture, 'swiftshader');
  assert.equal(metrics.webgpu.adapter.isFallbackAdapter, true);
  assert.ok(metrics.webgpu.limits.maxBufferSize > 0);

  // The console commands, as a developer types them.
  const fromConsole = await page.evaluate(() => ({
    total: window.webllmMonitor.getMetrics().generations.total,
    report: window.webllmMonitor.printMetrics(),
    help: window.webllmMonitor.help(),
    status: window.webllmMonitor.getStatus().health,
  }));
  assert.equal(fromConsole.total, 8);
  assert.match(fromConsole.report, /Generations: 8 total/);
  assert.match(fromConsole.help, /webllmMonitor\.downloadMetrics\(\)/);
  assert.ok(
    messages.some((m) => m.startsWith('log: webllm-monitor report')),
    'printMetrics wrote the report to the console',
  );
  assert.ok(
    messages.some((m) => m.startsWith('table:') || m.includes('TTFT ms')),
    'printMetrics wrote a table',
  );
  assert.ok(
    messages.some((m) => m.startsWith('debug: [webllm-monitor]')),
    'debug: true writes debug entries',
  );

  // An injected DeviceLostError (a worker engine's string rejection) shows in the error log.
  const injected = await page.evaluate(() => window.api.injectDeviceLost());
  assert.deepEqual(injected, { ok: true });

  // A real download: click through the console command and read the file.
  const [download] = await Promise.all([page.waitForEvent('download'), page.evaluate(() => window.webllmMonitor.downloadMetrics())]);
  assert.match(download.suggestedFilename(), /^webllm-metrics-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/);
  const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(doc.schemaVersion, 2);
  assert.equal(doc.metrics.generations.total, 9);
  assert.equal(doc.metrics.errors.byName.DeviceLostError, 1);
  assert.equal(doc.generations.length, 9);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.evaluate(() => window.webllmMonitor.downloadCSV('gens.csv'))]);
  assert.equal(csv.suggestedFilename(), 'gens.csv');
  const rows = (await readFile(await csv.path(), 'utf8')).trim().split('\r\n');
  assert.equal(rows.length, 10);
  assert.match(rows[0], /^startedAt,model,type,operation,durationMs,ttftMs/);
  await b.screenshot(page, 'workload');
});

test('persist: a page reload restores the saved session; a corrupt save is discarded with a warning', async (t) => {
  const { page } = await b.open(t, PAGE, { fresh: true });
  const key = 'wlm-reload-test';
  const first = await page.evaluate((key) => window.api.persisted(5, key), key);
  assert.deepEqual({ restored: first.restored, total: first.total }, { restored: 0, total: 5 });
  assert.ok(first.stored > 1000, 'the export was saved');
  await page.reload();
  await b.ready(page);
  const second = await page.evaluate((key) => window.api.persisted(2, key), key);
  assert.deepEqual({ restored: second.restored, total: second.total }, { restored: 5, total: 7 }, 'nothing lost across the reload');

  await page.evaluate((key) => localStorage.setItem(key, '{"schemaVersion": 1, "sketches": {"generations": '), key);
  await page.reload();
  await b.ready(page);
  const third = await page.evaluate((key) => window.api.persisted(0, key), key);
  assert.equal(third.restored, 0);
  assert.deepEqual(third.warnings, ['discarded a corrupt persisted session']);
});

test('createMonitor works inside a Web Worker', async (t) => {
  const { page } = await b.open(t, PAGE, { fresh: true });
  const result = await page.evaluate(() => window.api.inWorker());
  assert.equal(result.ok, true, result.error);
  assert.equal(result.metrics.generations.total, 3);
  assert.equal(result.metrics.initialization.loads, 1);
  assert.ok(result.metrics.memory.latest.wasmHeapBytes > 0, 'the memory sampler runs in the worker');
  assert.equal(result.downloaded, null, 'no download without a document');
});

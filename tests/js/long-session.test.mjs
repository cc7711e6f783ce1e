// A long session through the public JS API (issue #8): 10 million generations over twelve
// simulated hours (4.32 ms apart), a memory sample every second (43,200: five times the
// sampler's default rate), the WebGPU adapter every minute and a lost device every ten, cache
// lookups, model loads, operations, failures over 300 error names, refused events over several
// fields, and quantile polling. Every bounded structure must stay flat: the wasm heap, the
// core's own footprint (memoryBytes()), the export, the metrics and the OTLP request, the
// histories, the recent lists and the breakdowns, and the JS heap of the binding (after a
// garbage collection), compared after 1 million generations (72 minutes: every window's slice
// ring is full by then) and after 10 million. No timing is asserted; the test prints what it
// measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MonitorCore, loadCore } from '../../js/core.js';
import { createMonitor } from '../../js/index.js';
import { T0 } from './helpers.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const MiB = 2 ** 20;
const SPAN = 12 * 3_600_000;
const N = 10_000_000;
const CHECKPOINT = 1_000_000;
const SPACING = SPAN / N; // 4.32 ms between generation starts
const MEMORY_EVERY = Math.round(1000 / SPACING); // a memory sample every second
const MINUTE_EVERY = Math.round(60_000 / SPACING);
/** Generations (36 minutes) during which every breakdown sees its extremes, side events 100x denser. */
const WARMUP = 500_000;

const names = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const MODELS = Array.from({ length: 100 }, (_, i) => `Model${i}-1B-q4f16_1-MLC`); // past the 64-model cap
const TYPES = names('type', 200); // past the 128-type cap
const ERRORS = names('Error', 300).map((n) => n.replace('-', '')); // past the 128-name cap
const CACHES = names('cache', 100);
const OPERATIONS = names('stage', 300); // past the 256-operation cap
const OPS = ['chat', 'completion', 'embedding'];
const LABELS = ['periodic', 'before-generation', 'after-generation'];

/** What the long-session test compares between the checkpoints. */
function measure(module, core, now) {
  const exported = core.exportJson(now);
  const metrics = core.metrics(now);
  gc();
  return {
    heapBytes: module.HEAPU8.buffer.byteLength,
    coreBytes: core.memoryBytes(),
    exportBytes: exported.length,
    metricsBytes: JSON.stringify(metrics).length,
    otlpBytes: core.otlpJson({}, now).length,
    jsHeapBytes: process.memoryUsage().heapUsed,
    metrics,
    generations: core.generations().length,
    memorySnapshots: core.memorySnapshots().length,
    pendingRejections: core.lastRejections.length,
  };
}

test('10 million generations and 12 hours of samples: memory, exports and lists stay flat', async () => {
  const module = await loadCore();
  const core = await MonitorCore.create({ prices: { '*': { input: 0.01, output: 0.03 } } });
  const gaps = new Float64Array(2);
  const event = {
    model: '',
    type: '',
    operation: 'chat',
    startedAt: 0,
    durationMs: 0,
    ttftMs: 0,
    chunkGapsMs: gaps,
    promptTokens: 0,
    completionTokens: 0,
    finishReason: undefined,
    errorName: undefined,
    errorMessage: undefined,
  };
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const started = performance.now();
  let failed = 0;
  let refused = 0;
  let checkpoint = null;
  for (let i = 0; i < N; i++) {
    const r = next();
    const t = T0 + i * SPACING;
    // Durations over 4 octaves (100 ms to 1.6 s). In the warm-up, one event in four is at
    // either end of 25 octaves (0.125 ms or 70 min), so that every histogram reaches its widest
    // range (and downscales) before the first checkpoint: what follows must then add nothing.
    const warm = i < WARMUP;
    const d = warm && (r & 3) === 0 ? ((r & 4) === 0 ? 0.125 : 4_194_304) : 100 * 2 ** (((r >>> 3) & 63) / 16);
    event.model = MODELS[r % 100];
    event.type = TYPES[(r >>> 7) % 200];
    event.operation = OPS[i % 3];
    event.startedAt = t;
    event.durationMs = d + 3;
    event.ttftMs = d * 0.25;
    event.promptTokens = 1 + (r % 2000);
    event.completionTokens = 3;
    gaps[0] = 1 + (r & 3);
    gaps[1] = d * 0.1;
    if (i % 97 === 0) {
      event.errorName = ERRORS[(r >>> 5) % 300];
      event.errorMessage = `generation ${i} failed`;
      failed++;
    } else if (i % 101 === 0) {
      event.finishReason = 'abort';
    } else if (i % 103 === 0) {
      event.finishReason = 'length';
    }
    core.recordGeneration(event);
    event.errorName = event.errorMessage = event.finishReason = undefined;

    if (i % MEMORY_EVERY === 0) {
      core.recordMemorySample({
        label: LABELS[i % 3],
        timestamp: t,
        usedJSHeapSize: 5e7 + (r % 1e7),
        totalJSHeapSize: 1e8,
        jsHeapSizeLimit: 4294705152,
        wasmHeapBytes: module.HEAPU8.length,
        gpuBufferBytes: 1e9 + (r % 1e6),
      });
    }
    if (i % (warm ? 10 : 1000) === 0) {
      core.recordCacheLookup({ cache: CACHES[(r >>> 3) % 100], hit: (r & 1) === 0, timestamp: t });
      core.recordOperation({ name: OPERATIONS[(r >>> 9) % 300], startedAt: t, durationMs: d, success: (r & 6) !== 0 });
      core.recordModelLoad({ model: MODELS[(r >>> 11) % 100], startedAt: t, durationMs: 1000 + d, fromCache: (r & 8) !== 0, bytesFetched: r % 1e9 });
    }
    if (i % 5000 === 0) {
      // Refused events over several fields: counted, the newest 20 kept, 1,000 pending in JS.
      const bad = [{ durationMs: -1 }, { ttftMs: NaN }, { model: '' }, { promptTokens: 0.5 }, { startedAt: 'now' }][refused % 5];
      core.recordGeneration({ model: 'm', startedAt: t, durationMs: 10, ...bad });
      refused++;
    }
    if (i % MINUTE_EVERY === 0) {
      core.recordWebGpu({
        timestamp: t,
        available: true,
        vendor: 'google',
        architecture: 'swiftshader',
        description: `minute ${i / MINUTE_EVERY}`,
        limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 27 },
        features: ['shader-f16', 'timestamp-query'],
      });
      if (i % (10 * MINUTE_EVERY) === 0) core.recordDeviceLost({ timestamp: t, reason: 'unknown', message: `lost at minute ${i / MINUTE_EVERY}` });
    }
    if (i % 100_000 === 0) {
      for (const path of ['generations.ttftMs', `generations.byModel.${MODELS[r % 100]}.latencyMs`, `operations.${OPERATIONS[r % 300]}.durationMs`])
        core.quantile(path, 0.99);
    }
    // The first export grows the wasm heap to hold the DOM of the metrics and sketches (from
    // 33 to about 120 MiB here: ingesting alone never grows it), the second once more (the
    // allocator's free space is fragmented by then, to about 144 MiB); after that it stays
    // where it is. Two rounds before the checkpoint, so that it measures the plateau.
    if (i + 1 === CHECKPOINT / 2 || i + 1 === (CHECKPOINT * 3) / 4) measure(module, core, t + 1000);
    if (i + 1 === CHECKPOINT) checkpoint = measure(module, core, t + 1000);
  }
  const end = T0 + SPAN + 1000;
  const final = measure(module, core, end);
  const seconds = (performance.now() - started) / 1000;

  const row = (label, m) => ({
    label,
    heapMiB: +(m.heapBytes / MiB).toFixed(2),
    coreBytes: m.coreBytes,
    exportBytes: m.exportBytes,
    metricsBytes: m.metricsBytes,
    otlpBytes: m.otlpBytes,
    jsHeapMiB: +(m.jsHeapBytes / MiB).toFixed(1),
  });
  console.log(`long session: ${N.toLocaleString('en')} generations in ${seconds.toFixed(1)} s (${((seconds * 1e9) / N).toFixed(0)} ns each, not asserted)`);
  console.table([row('after 1M', checkpoint), row('after 10M', final)]);

  // Everything was counted.
  const g = final.metrics.generations;
  assert.equal(g.total, N);
  assert.equal(g.failed, failed);
  assert.equal(final.metrics.rejected.total, refused);
  assert.equal(final.metrics.memory.samples, Math.ceil(N / MEMORY_EVERY));

  // The wasm heap does not grow between 1M and 10M, and the core's own footprint is flat.
  assert.ok(final.heapBytes <= checkpoint.heapBytes, `wasm heap ${final.heapBytes} after 10M, ${checkpoint.heapBytes} after 1M`);
  // (Sparse series still fill their exact values and histogram ranges a little: +2% measured.)
  assert.ok(final.coreBytes <= checkpoint.coreBytes * 1.05, `core ${final.coreBytes} bytes after 10M, ${checkpoint.coreBytes} after 1M`);
  // Exports, metrics and the OTLP request stay the same size, give or take longer numbers.
  for (const key of ['exportBytes', 'metricsBytes', 'otlpBytes'])
    assert.ok(final[key] <= checkpoint[key] * 1.1, `${key}: ${final[key]} after 10M, ${checkpoint[key]} after 1M`);
  // The binding's JS structures (string table, handles, pending rejections) do not accumulate.
  assert.ok(final.jsHeapBytes <= checkpoint.jsHeapBytes + 16 * MiB, `JS heap ${final.jsHeapBytes} after 10M, ${checkpoint.jsHeapBytes} after 1M`);

  // Lists and breakdowns at their caps.
  for (const m of [checkpoint, final]) {
    assert.equal(m.generations, 1000);
    assert.equal(m.memorySnapshots, 1000);
    assert.ok(m.pendingRejections <= 1000);
    const x = m.metrics;
    assert.ok(Object.keys(x.generations.byModel).length <= 64);
    assert.ok(Object.keys(x.generations.byType).length <= 128);
    assert.ok(Object.keys(x.errors.byName).length <= 128);
    assert.ok(Object.keys(x.cache.byName).length <= 64);
    assert.ok(Object.keys(x.operations).length <= 256);
    assert.ok(Object.keys(x.cost.byModel).length <= 64);
    assert.ok(x.errors.recent.length <= 50);
    assert.ok(x.rejected.recent.length <= 20);
    assert.ok(Object.keys(x.rejected.byField).length <= 64);
    assert.ok(x.webgpu.deviceLost.recent.length <= 10);
  }
  assert.equal(final.pendingRejections, 1000, 'the newest 1000 of 2000 refusals are pending');
  assert.ok('(other)' in final.metrics.generations.byModel && '(other)' in final.metrics.generations.byType);

  // The session still exports, and the export reads back whole.
  const copy = await MonitorCore.create();
  copy.importJson(core.exportJson(end));
  assert.equal(copy.metrics(end).generations.total, N);
  copy.dispose();
  core.dispose();
});

test("createMonitor's own JS state stays bounded over many manual events, refusals and faults", async () => {
  const entries = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error', 'log', 'table']) logger[level] = () => entries.push(level);
  const monitor = await createMonitor({ memory: false, webgpu: false, logger, historySize: 100, throttleMs: 0 });
  let delivered = 0;
  monitor.subscribe(() => {
    delivered++;
    throw new Error('a subscriber bug'); // a fault of the app's listener: logged and counted
  });
  const round = async (from, n) => {
    for (let i = from; i < from + n; i++) {
      monitor.recordGeneration({ model: MODELS[i % 100], type: TYPES[i % 200], startedAt: T0 + i, durationMs: 10 + (i % 50) });
      if (i % 10 === 0) monitor.recordGeneration({ model: 'm', startedAt: T0 + i, durationMs: -1 }); // refused, logged
      if (i % 100 === 0) monitor.track(OPERATIONS[i % 300], () => i);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  await round(0, 2000);
  const first = { log: monitor.logEntries.length, status: JSON.stringify(monitor.getStatus()).length };
  for (let k = 1; k <= 10; k++) await round(k * 2000, 2000);
  const status = monitor.getStatus();
  assert.equal(monitor.getMetrics().generations.total, 22_000);
  assert.ok(monitor.logEntries.length <= 100, `${monitor.logEntries.length} log entries kept`);
  assert.equal(monitor.logEntries.length, first.log);
  assert.equal(monitor.getAllGenerations().length, 100);
  assert.ok(JSON.stringify(status).length <= first.status + 16, 'the status does not grow');
  assert.deepEqual(status.loadedModels, []);
  assert.ok(delivered >= 2 && status.faults >= delivered, `${delivered} deliveries, ${status.faults} faults`);
  assert.ok(entries.length > 2000, 'every refusal was logged');
  await monitor.dispose();
});

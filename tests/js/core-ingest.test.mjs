// Events in, numbers out: every event kind and the metrics computed from known data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { T0, LATER, SWIFTSHADER_ADAPTER, recordFourGenerations } from './helpers.mjs';

function close(actual, expected, tolerance = 1e-9) {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} is not ${expected}`);
}

/** The four generations of helpers.mjs on two models, the error an Error with its name. */
function feedFour(m) {
  const err = new Error('Prompt tokens exceed context window size');
  err.name = 'ContextWindowSizeExceededError';
  recordFourGenerations(m, { model: 'llama', abortModel: 'qwen', abortExtra: { operation: 'completion' }, error: err });
}

test('generations: counts, rates, tokens, exact quantiles and throughput', async () => {
  const m = await MonitorCore.create();
  feedFour(m);
  const flushed = m.flush();
  assert.deepEqual(flushed, { accepted: 4, rejected: [] });
  const g = m.metrics(LATER).generations;
  assert.equal(g.total, 4);
  assert.equal(g.succeeded, 2);
  assert.equal(g.failed, 1);
  assert.equal(g.aborted, 1);
  assert.equal(g.successRate, 0.5);
  assert.equal(g.errorRate, 0.25);
  assert.equal(g.abortRate, 0.25);
  assert.deepEqual(g.finishReasons, { stop: 2, length: 0, abort: 1, tool_calls: 0, error: 1 });
  assert.deepEqual(g.tokens, { prompt: 5350, completion: 132, total: 5482 });
  // Latency counts succeeded generations only: [1000, 2000].
  assert.equal(g.latencyMs.count, 2);
  assert.equal(g.latencyMs.p50, 1000);
  assert.equal(g.latencyMs.p99, 2000);
  assert.equal(g.latencyMs.mean, 1500);
  // TTFT of the three that have one.
  assert.deepEqual([g.ttftMs.count, g.ttftMs.min, g.ttftMs.p50, g.ttftMs.max], [3, 100, 200, 400]);
  // Client-side decode: (tokens - 1) / (duration - ttft): 40/0.8 s, 80/1.6 s, 9/0.4 s.
  assert.deepEqual([g.decodeTokensPerSec.min, g.decodeTokensPerSec.p50, g.decodeTokensPerSec.max], [22.5, 50, 50]);
  assert.deepEqual([g.timePerOutputTokenMs.min, g.timePerOutputTokenMs.max], [20, 400 / 9]);
  // Prefill from the client TTFT: 100/0.2 s, 200/0.4 s, 50/0.1 s.
  assert.deepEqual([g.prefillTokensPerSec.count, g.prefillTokensPerSec.p50], [3, 500]);
  // Wall time: first start T0 to last end T0 + 4000.
  assert.equal(g.throughput.wallTimeMs, 4000);
  assert.equal(g.throughput.tokensPerSec, 132 / 4);
  assert.equal(g.throughput.requestsPerSec, 1);
  assert.equal(g.throughput.decodeTimeMs, 2800);
  close(g.throughput.tokensPerDecodeSec, 132 / 2.8);
  // Groups.
  assert.deepEqual(Object.keys(g.byModel).sort(), ['llama', 'qwen']);
  assert.equal(g.byModel.llama.total, 3);
  assert.equal(g.byModel.llama.failed, 1);
  assert.equal(g.byModel.qwen.aborted, 1);
  assert.deepEqual(Object.keys(g.byType).sort(), ['chat', 'summary', 'translate']);
  assert.equal(g.byType.chat.latencyMs.p50, 1000);
  assert.equal(g.byOperation.chat.total, 3);
  assert.equal(g.byOperation.completion.total, 1);
  // The error is recorded with its name and message.
  const errors = m.metrics(LATER).errors;
  assert.equal(errors.total, 1);
  assert.deepEqual(errors.byName, { ContextWindowSizeExceededError: 1 });
  assert.deepEqual(errors.recent[0], {
    time: T0 + 4000,
    name: 'ContextWindowSizeExceededError',
    message: 'Prompt tokens exceed context window size',
    model: 'llama',
    operation: 'chat',
  });
  m.dispose();
});

test('nearest-rank quantiles are exact on small data', async () => {
  const m = await MonitorCore.create();
  // Latencies 1..100 ms in a shuffled order.
  const order = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  for (const v of order) m.recordGeneration({ model: 'm', startedAt: T0 + v, durationMs: v });
  const s = m.metrics(LATER).generations.latencyMs;
  assert.deepEqual(s, { count: 100, min: 1, max: 100, mean: 50.5, p50: 50, p90: 90, p95: 95, p99: 99, p999: 100 });
  m.dispose();
});

test('engine figures are preferred over client-side ones when given', async () => {
  const m = await MonitorCore.create();
  m.recordGeneration({
    model: 'm',
    startedAt: T0,
    durationMs: 1000,
    ttftMs: 200,
    promptTokens: 100,
    completionTokens: 41,
    engineTtftMs: 150,
    enginePrefillTokensPerSec: 666,
    engineDecodeTokensPerSec: 55.5,
    engineTimePerOutputTokenMs: 18,
  });
  const g = m.metrics(LATER).generations;
  assert.equal(g.ttftMs.p50, 200, 'the client TTFT includes the lock wait: kept');
  assert.equal(g.decodeTokensPerSec.p50, 55.5);
  assert.equal(g.prefillTokensPerSec.p50, 666);
  assert.equal(g.timePerOutputTokenMs.p50, 18);
  m.dispose();
});

test('chunk gaps: an array and a Float64Array give the same statistics', async () => {
  const gaps = [10, 20, 30, 40, 50];
  const a = await MonitorCore.create();
  const b = await MonitorCore.create();
  a.recordGeneration({ model: 'm', startedAt: T0, durationMs: 500, ttftMs: 100, chunkGapsMs: gaps });
  b.recordGeneration({ model: 'm', startedAt: T0, durationMs: 500, ttftMs: 100, chunkGapsMs: Float64Array.from(gaps) });
  const ga = a.metrics(LATER).generations.chunkGapMs;
  assert.deepEqual(ga, b.metrics(LATER).generations.chunkGapMs);
  assert.deepEqual([ga.count, ga.min, ga.p50, ga.max, ga.mean], [5, 10, 30, 50, 30]);
  const history = JSON.parse(a.exportJson(LATER)).generations;
  assert.equal(history[0].chunks, 6, 'five gaps = six chunks');
  a.dispose();
  b.dispose();
});

test('model loads: downloads, cache loads, failures and the last load', async () => {
  const m = await MonitorCore.create();
  m.recordModelLoad({ model: 'llama', startedAt: T0, durationMs: 30000, fromCache: false, bytesFetched: 800_000_000 });
  m.recordModelLoad({ model: 'llama', startedAt: T0 + 60000, durationMs: 3000, fromCache: true, bytesFetched: 0 });
  m.recordModelLoad({ model: 'qwen', startedAt: T0 + 70000, durationMs: 5000 }); // cache unknown
  m.recordModelLoad({ model: 'big', startedAt: T0 + 80000, durationMs: 900, error: 'DeviceLostError: out of memory while loading' });
  m.recordModelLoad({ model: 'qwen', startedAt: T0 + 90000, durationMs: 2000, fromCache: 'unknown', bytesFetched: 1000 });
  const init = m.metrics(LATER).initialization;
  assert.equal(init.loads, 5);
  assert.equal(init.succeeded, 4);
  assert.equal(init.failed, 1);
  assert.equal(init.fromCache, 1);
  assert.equal(init.downloaded, 1);
  assert.equal(init.unknownCache, 2);
  assert.equal(init.bytesFetched, 800_001_000);
  assert.equal(init.lastModel, 'qwen');
  assert.equal(init.lastDurationMs, 2000);
  assert.equal(init.lastFromCache, null);
  assert.equal(init.lastSucceeded, true);
  assert.equal(init.lastLoadedAt, T0 + 90000);
  assert.deepEqual([init.loadMs.count, init.loadMs.min, init.loadMs.p50, init.loadMs.max], [4, 2000, 3000, 30000]);
  const metrics = m.metrics(LATER);
  assert.deepEqual(metrics.errors.byName, { DeviceLostError: 1 });
  assert.equal(metrics.errors.recent[0].message, 'out of memory while loading');
  assert.equal(metrics.errors.recent[0].operation, 'load');
  // Loads with a known cache state count as lookups of the "model" cache.
  assert.deepEqual(metrics.cache.byName.model, { hits: 1, misses: 1, lookups: 2, hitRate: 0.5 });
  const status = m.status(LATER);
  assert.equal(status.model, 'qwen');
  assert.equal(status.modelLoaded, true);
  m.dispose();
});

test('cache lookups: hit rate overall and by cache', async () => {
  const m = await MonitorCore.create();
  for (const hit of [true, true, true, false]) m.recordCacheLookup({ cache: 'webllm/model', hit, timestamp: T0 });
  m.recordCacheLookup({ cache: 'webllm/wasm', hit: false, timestamp: T0 });
  const c = m.metrics(LATER).cache;
  assert.equal(c.hits, 3);
  assert.equal(c.misses, 2);
  assert.equal(c.lookups, 5);
  assert.equal(c.hitRate, 0.6);
  assert.deepEqual(c.byName['webllm/model'], { hits: 3, misses: 1, lookups: 4, hitRate: 0.75 });
  assert.deepEqual(c.byName['webllm/wasm'], { hits: 0, misses: 1, lookups: 1, hitRate: 0 });
  m.dispose();
});

test('operations: recordOperation and recordDurations', async () => {
  const m = await MonitorCore.create();
  m.recordOperation({ name: 'retrieval', startedAt: T0, durationMs: 40 });
  m.recordOperation({ name: 'retrieval', startedAt: T0 + 100, durationMs: 2000, error: 'TimeoutError: no answer' });
  m.recordDurations('retrieval', [10, 20, 30], { startedAt: T0 + 200 });
  m.recordDurations('retrieval', new Float64Array([5, 15]), { startedAt: T0 + 300, success: false });
  m.recordOperation({ name: 'tokenize', startedAt: T0, durationMs: 1, success: true });
  const before = Date.now();
  m.recordDurations('embed', [7]); // startedAt defaults to now
  const metrics = m.metrics(LATER);
  const r = metrics.operations.retrieval;
  assert.equal(r.count, 7);
  assert.equal(r.succeeded, 4);
  assert.equal(r.failed, 3);
  close(r.successRate, 4 / 7);
  assert.deepEqual([r.durationMs.min, r.durationMs.p50, r.durationMs.max], [5, 20, 2000]);
  assert.equal(metrics.operations.tokenize.count, 1);
  assert.equal(metrics.operations.embed.durationMs.p50, 7);
  // One failed operation plus a failed batch of two.
  assert.equal(metrics.errors.total, 3);
  assert.equal(metrics.errors.byName.TimeoutError, 1);
  assert.equal(metrics.errors.byName.Error, 2);
  assert.ok(m.status(LATER).lastEventAt >= before, 'recordDurations defaults startedAt to Date.now()');
  m.dispose();
});

test('memory samples: latest, peak and the history', async () => {
  const m = await MonitorCore.create();
  m.recordMemorySample({ timestamp: T0, usedJSHeapSize: 50e6, totalJSHeapSize: 60e6, jsHeapSizeLimit: 4e9, gpuBufferBytes: 1e9, wasmHeapBytes: 16777216 });
  m.recordMemorySample({
    label: 'after-load',
    timestamp: T0 + 5000,
    usedJSHeapSize: 40e6,
    jsHeapSizeLimit: 4e9,
    gpuBufferBytes: 2e9,
    storageUsage: 9e8,
    storageQuota: 6e10,
    userAgentBytes: 3e8,
  });
  const mem = m.metrics(LATER).memory;
  assert.equal(mem.samples, 2);
  assert.equal(mem.latest.label, 'after-load');
  assert.equal(mem.latest.usedJSHeapSize, 40e6);
  assert.equal(mem.latest.totalJSHeapSize, null);
  assert.equal(mem.peak.usedJSHeapSize, 50e6);
  assert.equal(mem.peak.gpuBufferBytes, 2e9);
  assert.equal(mem.peak.wasmHeapBytes, 16777216);
  const snaps = JSON.parse(m.exportJson(LATER)).memorySnapshots;
  assert.equal(snaps.length, 2);
  assert.equal(snaps[0].label, 'periodic', 'the default label');
  assert.equal(snaps[1].storageQuota, 6e10);
  m.dispose();
});

test('a high JS heap fraction makes the health critical', async () => {
  const m = await MonitorCore.create();
  m.recordMemorySample({ timestamp: T0, usedJSHeapSize: 3.9e9, jsHeapSizeLimit: 4e9 });
  const h = m.metrics(LATER).health;
  assert.equal(h.status, 'critical');
  assert.equal(h.reasons[0].metric, 'memory.jsHeapFraction');
  assert.equal(h.reasons[0].value, 0.975);
  m.dispose();
});

test('device lost and WebGPU adapter information', async () => {
  const m = await MonitorCore.create();
  // GPUSupportedLimits and GPUAdapterInfo expose prototype getters; features is set-like.
  class Limits {
    get maxBufferSize() {
      return 2147483648;
    }
    get maxComputeWorkgroupStorageSize() {
      return 32768;
    }
  }
  m.recordWebGpu({
    timestamp: T0,
    available: true,
    ...SWIFTSHADER_ADAPTER,
    limits: new Limits(),
    features: new Set(['shader-f16', 'timestamp-query']),
  });
  m.recordDeviceLost({ timestamp: T0 + 10, reason: 'unknown', message: 'GPU connection lost' });
  m.recordDeviceLost({ timestamp: T0 + 20, reason: 'destroyed', model: 'Phi-3.5-mini' });
  const w = m.metrics(LATER).webgpu;
  assert.equal(w.available, true);
  assert.deepEqual(w.adapter, {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: 'SwiftShader Device (Subzero)',
    isFallbackAdapter: true,
  });
  assert.deepEqual(w.limits, { maxBufferSize: 2147483648, maxComputeWorkgroupStorageSize: 32768 });
  assert.deepEqual(w.features, ['shader-f16', 'timestamp-query']);
  assert.equal(w.deviceLost.total, 2);
  assert.deepEqual(w.deviceLost.recent[0], { timestamp: T0 + 20, reason: 'destroyed', message: '', model: 'Phi-3.5-mini' }, 'newest first');
  const errors = m.metrics(LATER).errors;
  assert.equal(errors.byName.DeviceLostError, 2);
  assert.equal(errors.recent[0].model, 'Phi-3.5-mini', 'the error names the model whose device was lost');
  m.recordWebGpu({ timestamp: T0 + 30, available: false });
  assert.equal(m.metrics(LATER).webgpu.available, false, 'the newest information wins');
  m.dispose();
});

test('error strings from worker engines: the leading name is parsed', async () => {
  const m = await MonitorCore.create();
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 10, error: 'DeviceLostError: WebGPU device was lost' });
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 10, error: 'Unable to find a compatible GPU: none' });
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 10, error: { name: 'ModelNotLoadedError', message: 'load a model first' } });
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 10, error: new TypeError('bad'), errorName: 'Explicit' });
  const recent = m.metrics(LATER).errors.recent;
  const pairs = recent.map((e) => [e.name, e.message]).sort();
  assert.deepEqual(pairs, [
    ['DeviceLostError', 'WebGPU device was lost'],
    ['Error', 'Unable to find a compatible GPU: none'],
    ['Explicit', 'bad'],
    ['ModelNotLoadedError', 'load a model first'],
  ]);
  assert.equal(m.metrics(LATER).generations.failed, 4);
  m.dispose();
});

test('sliding windows and status follow "now"', async () => {
  const m = await MonitorCore.create();
  const now = T0 + 3600_000;
  m.recordGeneration({ model: 'm', startedAt: now - 30_000, durationMs: 1000 }); // last minute
  m.recordGeneration({ model: 'm', startedAt: now - 200_000, durationMs: 1000 }); // last 5 minutes
  m.recordGeneration({ model: 'm', startedAt: now - 1800_000, durationMs: 1000 }); // last hour
  const w = m.metrics(now).windows;
  assert.equal(w['1m'].generations.total, 1);
  assert.equal(w['5m'].generations.total, 2);
  assert.equal(w['1h'].generations.total, 3);
  const status = m.status(now);
  assert.equal(status.generations, 3);
  assert.equal(status.health, 'healthy');
  assert.equal(status.firstEventAt, now - 1800_000);
  m.dispose();
});

test('reset forgets the data, keeps the configuration, and memoryBytes follows', async () => {
  const m = await MonitorCore.create({ historySize: 42 });
  const empty = m.memoryBytes();
  for (let i = 0; i < 300; i++) m.recordGeneration({ model: `m${i % 5}`, type: `t${i % 7}`, startedAt: T0 + i, durationMs: i + 1, ttftMs: 1 });
  const full = m.memoryBytes();
  assert.ok(full > empty, `memoryBytes grows with data (${empty} -> ${full})`);
  m.reset();
  assert.equal(m.metrics(LATER).generations.total, 0);
  assert.equal(m.config().historySize, 42);
  assert.ok(m.memoryBytes() < full);
  m.dispose();
});

// The batch buffer: automatic flushes when it fills, growth for records larger than it, and
// views of wasm memory that survive memory growth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore, loadCore } from '../../js/core.js';
import { T0, LATER } from './helpers.mjs';

test('more events than the 8192-double buffer holds: automatic flushes, nothing lost', async () => {
  const m = await MonitorCore.create();
  const module = await loadCore();
  // A refused event first: it shows up in lastRejections only once a flush has happened.
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 'x' });
  // 23 doubles per generation without gaps: 400 of them need 9200 doubles.
  const models = ['a', 'b', 'c'];
  let prompt = 0;
  for (let i = 0; i < 400; i++) {
    m.recordGeneration({
      model: models[i % 3],
      type: `type-${i % 4}`,
      startedAt: T0 + i,
      durationMs: 100 + (i % 50),
      promptTokens: i,
      completionTokens: 2 * i,
    });
    prompt += i;
  }
  assert.equal(m.lastRejections.length, 1, 'the buffer filled and was flushed without a read');
  assert.equal(m.lastRejections[0].record, 0);
  const result = m.flush();
  assert.equal(result.accepted, 400);
  assert.equal(result.rejected.length, 1);
  const g = m.metrics(LATER).generations;
  assert.equal(g.total, 400);
  assert.deepEqual(g.tokens, { prompt, completion: 2 * prompt, total: 3 * prompt });
  assert.deepEqual(Object.keys(g.byModel).sort(), models);
  assert.equal(g.byModel.a.total, 134);
  assert.equal(g.byType['type-3'].total, 100);
  assert.equal(g.latencyMs.min, 100);
  assert.equal(g.latencyMs.max, 149);
  assert.ok(module.HEAPF64.length > 0);
  m.dispose();
});

test('many small records across many flushes keep their order and strings', async () => {
  const m = await MonitorCore.create();
  const n = 20000; // 6-double cache records: ~15 automatic flushes
  for (let i = 0; i < n; i++) m.recordCacheLookup({ cache: `cache-${i % 7}`, hit: i % 4 !== 0, timestamp: T0 + i });
  const c = m.metrics(LATER).cache;
  assert.equal(c.lookups, n);
  assert.equal(c.hits, n - n / 4);
  assert.equal(Object.keys(c.byName).length, 7);
  assert.equal(c.byName['cache-0'].lookups, Math.ceil(n / 7));
  assert.deepEqual(m.flush(), { accepted: n, rejected: [] });
  m.dispose();
});

test('a record larger than the buffer grows it mid-batch, and memory growth is survived', async () => {
  const module = await loadCore();
  const m = await MonitorCore.create();
  const heapBefore = module.HEAPF64.buffer.byteLength;
  // Pending records before the huge one must survive the buffer's reallocation.
  for (let i = 0; i < 5; i++) m.recordGeneration({ model: 'm', startedAt: T0 + i, durationMs: 1000, ttftMs: 10, chunkGapsMs: [7, 7] });
  // 1,000,000 gaps (8 MB) in one record: the batch buffer grows, and so does wasm memory.
  const huge = new Float64Array(1_000_000).fill(5);
  huge[123_456] = 987;
  m.recordGeneration({ model: 'm', startedAt: T0 + 10, durationMs: 600_000, ttftMs: 10, chunkGapsMs: huge });
  // More records after it, in the same batch, then a second big one given as a plain array.
  for (let i = 0; i < 5; i++) m.recordGeneration({ model: 'm', startedAt: T0 + 20 + i, durationMs: 1000, ttftMs: 10, chunkGapsMs: [9] });
  const plain = new Array(200_000).fill(3);
  m.recordGeneration({ model: 'm', startedAt: T0 + 30, durationMs: 700_000, ttftMs: 10, chunkGapsMs: plain });
  const result = m.flush();
  assert.deepEqual(result, { accepted: 12, rejected: [] });
  assert.ok(module.HEAPF64.buffer.byteLength > heapBefore, `wasm memory grew (${heapBefore} -> ${module.HEAPF64.buffer.byteLength})`);
  const g = m.metrics(LATER).generations;
  assert.equal(g.total, 12);
  const gaps = g.chunkGapMs;
  assert.equal(gaps.count, 10 + 1_000_000 + 5 + 200_000);
  assert.equal(gaps.min, 3);
  assert.equal(gaps.max, 987);
  assert.ok(Math.abs(gaps.p50 - 5) / 5 < 0.003, `p50 ${gaps.p50} is 5 within the histogram's 0.27%`);
  const history = JSON.parse(m.exportJson(LATER)).generations;
  assert.deepEqual(
    history.map((r) => r.chunks),
    [3, 3, 3, 3, 3, 1_000_001, 2, 2, 2, 2, 2, 200_001],
  );
  // The buffer stays usable after growing.
  m.recordGeneration({ model: 'm', startedAt: T0 + 40, durationMs: 1 });
  assert.equal(m.metrics(LATER).generations.total, 13);
  m.dispose();
});

test('another monitor growing the shared memory does not break a pending batch', async () => {
  const module = await loadCore();
  const a = await MonitorCore.create();
  const b = await MonitorCore.create();
  for (let i = 0; i < 50; i++) a.recordCacheLookup({ cache: 'c', hit: true, timestamp: T0 + i });
  const before = module.HEAPF64.buffer;
  // b allocates far more than the heap has: the memory grows and a's old view is detached.
  b.recordDurations('big', new Float64Array(3_000_000).fill(1), { startedAt: T0 });
  b.flush();
  assert.notEqual(module.HEAPF64.buffer, before, 'memory grew');
  assert.equal(before.byteLength, 0, 'the old buffer is detached');
  for (let i = 0; i < 50; i++) a.recordCacheLookup({ cache: 'c', hit: false, timestamp: T0 + 100 + i });
  const c = a.metrics(LATER).cache;
  assert.deepEqual([c.hits, c.misses], [50, 50]);
  assert.equal(b.metrics(LATER).operations.big.count, 3_000_000);
  a.dispose();
  b.dispose();
});

test('records of every size keep the batch well-formed (no malformed batch)', async () => {
  const m = await MonitorCore.create();
  let expected = 0;
  for (let i = 0; i < 3000; i++) {
    const k = i % 6;
    if (k === 0) m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 50, ttftMs: 1, chunkGapsMs: new Array(i % 97).fill(0.5) });
    else if (k === 1) m.recordModelLoad({ model: 'm', startedAt: T0, durationMs: 5, fromCache: i % 2 === 0 });
    else if (k === 2) m.recordOperation({ name: 'op', startedAt: T0, durationMs: i % 13 });
    else if (k === 3) m.recordMemorySample({ timestamp: T0 + i, usedJSHeapSize: i });
    else if (k === 4) m.recordDeviceLost({ timestamp: T0 + i });
    else m.recordDurations('d', new Float64Array(i % 301).fill(2), { startedAt: T0 });
    expected++;
    if (i % 17 === 0) {
      m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 'bad' });
      expected++;
    }
  }
  const { accepted, rejected } = m.flush();
  assert.equal(accepted + rejected.length, expected);
  assert.ok(rejected.every((r) => r.field === 'generation.durationMs'));
  const metrics = m.metrics(LATER);
  assert.equal(metrics.generations.total, 500);
  assert.equal(metrics.initialization.loads, 500);
  assert.equal(metrics.memory.samples, 500);
  assert.equal(metrics.webgpu.deviceLost.total, 500);
  m.dispose();
});

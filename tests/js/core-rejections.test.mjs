// Bad input is refused at the boundary, counted with the field named, and changes nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { T0, LATER } from './helpers.mjs';

const gen = (over) => ({ model: 'm', startedAt: T0, durationMs: 100, ...over });

/** Metrics without the parts that count rejections. */
function withoutRejected(metrics) {
  const { rejected, ...rest } = metrics;
  return rest;
}

test('wrong JS types are not coerced: a kind-8 record counts them with the field named', async () => {
  const m = await MonitorCore.create();
  const baseline = await MonitorCore.create();
  // One valid event of each kind in both monitors, so "nothing else changed" compares real state.
  for (const x of [m, baseline]) {
    x.recordGeneration(gen({ ttftMs: 10 }));
    x.recordCacheLookup({ cache: 'c', hit: true, timestamp: T0 });
  }
  const cases = [
    ['recordGeneration', gen({ durationMs: '12' }), 'generation.durationMs', 'generation.durationMs: expected a number, got string "12"'],
    ['recordGeneration', gen({ model: 5 }), 'generation.model', 'generation.model: expected a string, got number 5'],
    ['recordGeneration', gen({ startedAt: new Date(T0) }), 'generation.startedAt', 'generation.startedAt: expected a number, got a Date'],
    ['recordGeneration', gen({ promptTokens: 10n }), 'generation.promptTokens', 'generation.promptTokens: expected a number, got bigint 10n'],
    ['recordGeneration', gen({ ttftMs: { ms: 5 } }), 'generation.ttftMs', 'generation.ttftMs: expected a number, got an object'],
    ['recordGeneration', gen({ finishReason: true }), 'generation.finishReason', 'generation.finishReason: expected a string, got boolean true'],
    [
      'recordGeneration',
      gen({ chunkGapsMs: '1,2' }),
      'generation.chunkGapsMs',
      'generation.chunkGapsMs: expected an array or a Float64Array of numbers, got string "1,2"',
    ],
    ['recordGeneration', gen({ chunkGapsMs: [1, '2'] }), 'generation.chunkGapsMs', 'generation.chunkGapsMs[1]: expected a number, got string "2"'],
    ['recordGeneration', gen({ error: 42 }), 'generation.error', 'generation.error: expected an Error or a string, got number 42'],
    ['recordGeneration', null, 'generation', 'generation: expected an object, got null'],
    ['recordGeneration', [gen()], 'generation', 'generation: expected an object, got an array of 1'],
    [
      'recordModelLoad',
      { model: 'm', startedAt: T0, durationMs: 1, fromCache: 1 },
      'load.fromCache',
      'load.fromCache: expected true, false or "unknown", got number 1',
    ],
    ['recordModelLoad', 'llama', 'load', 'load: expected an object, got string "llama"'],
    ['recordCacheLookup', { cache: 'c', hit: 'yes', timestamp: T0 }, 'cache.hit', 'cache.hit: expected true or false, got string "yes"'],
    [
      'recordOperation',
      { name: 'r', startedAt: T0, durationMs: 1, success: 1 },
      'operation.success',
      'operation.success: expected true or false, got number 1',
    ],
    ['recordMemorySample', { timestamp: T0, usedJSHeapSize: '5 MB' }, 'memory.usedJSHeapSize', 'memory.usedJSHeapSize: expected a number, got string "5 MB"'],
    ['recordDeviceLost', { timestamp: T0, reason: 5 }, 'deviceLost.reason', 'deviceLost.reason: expected a string, got number 5'],
    ['recordWebGpu', undefined, 'webgpu', 'webgpu: expected an object, got undefined'],
  ];
  for (const [method, event, ,] of cases) m[method](event);
  m.recordDurations('retrieval', 'fast');
  m.recordDurations(7, [1, 2]);
  m.recordDurations('retrieval', [1, null, 3]);
  const expected = cases.map(([, , field, message], record) => ({ record, field, message }));
  expected.push(
    { record: cases.length, field: 'operation.durations', message: 'operation.durations: expected an array or a Float64Array of numbers, got string "fast"' },
    { record: cases.length + 1, field: 'operation.name', message: 'operation.name: expected a string, got number 7' },
    { record: cases.length + 2, field: 'operation.durations', message: 'operation.durations[1]: expected a number, got null' },
  );
  m.recordGeneration(gen({ durationMs: 5 })); // valid, after the refused ones
  const result = m.flush();
  // The two valid events recorded before the first explicit flush count too.
  assert.equal(result.accepted, 3);
  assert.deepEqual(
    result.rejected,
    expected.map((r) => ({ ...r, record: r.record + 2 })),
  );
  baseline.recordGeneration(gen({ durationMs: 5 }));

  const metrics = m.metrics(LATER);
  assert.equal(metrics.rejected.total, expected.length);
  assert.equal(metrics.rejected.byField['generation.durationMs'], 1);
  assert.equal(metrics.rejected.byField['generation.chunkGapsMs'], 2);
  assert.equal(metrics.rejected.byField.webgpu, 1);
  assert.equal(metrics.rejected.recent[0].message, expected[expected.length - 1].message, 'newest first');
  assert.deepEqual(withoutRejected(metrics), withoutRejected(baseline.metrics(LATER)), 'nothing else changed');
  assert.equal(m.status(LATER).rejected, expected.length);
  m.dispose();
  baseline.dispose();
});

test('NaN, Infinity, negative and out-of-range numbers are refused by the core, naming the field', async () => {
  const m = await MonitorCore.create();
  const cases = [
    ['recordGeneration', gen({ durationMs: NaN }), 'generation.durationMs', /^generation\.durationMs: NaN is not a number$/],
    ['recordGeneration', gen({ durationMs: undefined }), 'generation.durationMs', /^generation\.durationMs is required/],
    ['recordGeneration', gen({ ttftMs: NaN }), 'generation.ttftMs', /^generation\.ttftMs: NaN is not a number$/],
    ['recordGeneration', gen({ engineDecodeTokensPerSec: NaN }), 'generation.engineDecodeTokensPerSec', /NaN is not a number/],
    ['recordMemorySample', { timestamp: T0, gpuBufferBytes: NaN }, 'memory.gpuBufferBytes', /^memory\.gpuBufferBytes: NaN is not a number$/],
    ['recordGeneration', gen({ ttftMs: Infinity }), 'generation.ttftMs', /^generation\.ttftMs: Infinity is not a finite number$/],
    ['recordGeneration', gen({ ttftMs: 500 }), 'generation.ttftMs', /^generation\.ttftMs: 500 is greater than durationMs 100$/],
    ['recordGeneration', gen({ promptTokens: -1 }), 'generation.promptTokens', /^generation\.promptTokens: -1 is negative$/],
    ['recordGeneration', gen({ completionTokens: 1.5 }), 'generation.completionTokens', /not a whole number/],
    ['recordGeneration', gen({ engineDecodeTokensPerSec: -Infinity }), 'generation.engineDecodeTokensPerSec', /-Infinity is not a finite number/],
    ['recordGeneration', gen({ chunkGapsMs: [1, NaN, 2] }), 'generation.chunkGapsMs', /^generation\.chunkGapsMs\[1\]: NaN is not a duration/],
    ['recordGeneration', gen({ chunkGapsMs: new Float64Array([1, -2]) }), 'generation.chunkGapsMs', /^generation\.chunkGapsMs\[1\]: -2 is not a duration/],
    ['recordGeneration', gen({ operation: 'chatting' }), 'generation.operation', /"chatting" is not chat, completion or embedding/],
    ['recordGeneration', gen({ finishReason: 'done' }), 'generation.finishReason', /"done" is not stop, length, abort, tool_calls or error/],
    ['recordGeneration', gen({ model: '' }), 'generation.model', /generation\.model must be a non-empty string/],
    ['recordGeneration', gen({ startedAt: -5 }), 'generation.startedAt', /negative/],
    ['recordModelLoad', { model: 'm', startedAt: T0, durationMs: -5 }, 'load.durationMs', /^load\.durationMs: -5 is negative$/],
    ['recordModelLoad', { model: 'm', startedAt: T0, durationMs: 5, fromCache: 'maybe' }, 'load.fromCache', /"maybe" is not true, false or unknown/],
    ['recordCacheLookup', { cache: 'c', hit: true, timestamp: NaN }, 'cache.timestamp', /^cache\.timestamp: NaN is not a number$/],
    ['recordCacheLookup', { cache: 'c', timestamp: T0 }, 'cache.hit', /cache\.hit is required/],
    ['recordOperation', { name: 'r', startedAt: T0, durationMs: 1e12 }, 'operation.durationMs', /larger than the limit/],
    ['recordMemorySample', { timestamp: T0, usedJSHeapSize: Infinity }, 'memory.usedJSHeapSize', /Infinity is not a finite number/],
    ['recordDeviceLost', { reason: 'unknown' }, 'deviceLost.timestamp', /deviceLost\.timestamp is required/],
    [
      'recordWebGpu',
      { timestamp: T0, available: true, limits: { maxBufferSize: -1 } },
      'webgpu.limits.maxBufferSize',
      /^webgpu\.limits\.maxBufferSize: -1 is outside \[0, /,
    ],
    ['recordWebGpu', { available: true }, 'webgpu.timestamp', /webgpu\.timestamp: missing/],
  ];
  for (const [method, event] of cases) m[method](event);
  const { accepted, rejected } = m.flush();
  assert.equal(accepted, 0);
  assert.equal(rejected.length, cases.length);
  cases.forEach(([method, , field, message], i) => {
    assert.equal(rejected[i].record, i, method);
    assert.equal(rejected[i].field, field, `${method} #${i}`);
    assert.match(rejected[i].message, message, `${method} #${i}`);
  });
  const metrics = m.metrics(LATER);
  assert.equal(metrics.rejected.total, cases.length);
  assert.equal(metrics.generations.total, 0);
  assert.equal(metrics.initialization.loads, 0);
  assert.equal(metrics.cache.lookups, 0);
  assert.equal(metrics.webgpu.available, null);
  m.dispose();
});

test('recordDurations: invalid numbers are refused one by one, the rest recorded', async () => {
  const m = await MonitorCore.create();
  m.recordDurations('retrieval', [10, -1, NaN, 30, Infinity], { startedAt: T0 });
  const { accepted, rejected } = m.flush();
  assert.equal(accepted, 0, 'the record reports its first error');
  assert.equal(rejected.length, 1);
  assert.match(rejected[0].message, /^operation\.durationMs: -1 is negative$/);
  const metrics = m.metrics(LATER);
  assert.equal(metrics.rejected.total, 3, 'each bad value is counted');
  assert.equal(metrics.operations.retrieval.count, 2);
  assert.deepEqual([metrics.operations.retrieval.durationMs.min, metrics.operations.retrieval.durationMs.max], [10, 30]);
  m.dispose();
});

test('rejections from automatic flushes are kept for the next explicit flush', async () => {
  const m = await MonitorCore.create();
  m.recordGeneration(gen({ durationMs: 'slow' }));
  m.recordGeneration(gen());
  assert.deepEqual(m.lastRejections, [], 'nothing is ingested before a flush');
  m.metrics(LATER); // flushes automatically
  assert.equal(m.lastRejections.length, 1);
  assert.equal(m.lastRejections[0].field, 'generation.durationMs');
  m.recordGeneration(gen({ durationMs: -1 }));
  m.exportJson(LATER);
  assert.equal(m.lastRejections.length, 2);
  const result = m.flush();
  assert.equal(result.accepted, 1);
  assert.deepEqual(
    result.rejected.map((r) => [r.record, r.field]),
    [
      [0, 'generation.durationMs'],
      [2, 'generation.durationMs'],
    ],
  );
  assert.deepEqual(m.lastRejections, [], 'an explicit flush hands them over');
  assert.deepEqual(m.flush(), { accepted: 0, rejected: [] });
  m.dispose();
});

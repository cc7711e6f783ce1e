// schema/export.schema.json: accepts every real export, refuses missing keys and wrong types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MonitorCore } from '../../js/core.js';
import { T0, schemaPath, exportValidator, assertValidExport, feedSession } from './helpers.mjs';

const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));

test('the schema is draft 2020-12 and compiles in ajv strict mode', () => {
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(typeof exportValidator(), 'function');
  assert.deepEqual(schema.required, ['schemaVersion', 'exportedAt', 'exportedAtMs', 'status', 'metrics', 'generations', 'memorySnapshots', 'sketches']);
  assert.equal(schema.additionalProperties, false);
  for (const name of ['stats', 'generationMetrics', 'seriesState', 'histogramState', 'generationState', 'sessionState'])
    assert.ok(schema.$defs[name], `$defs.${name}`);
});

test('an empty monitor exports a valid document', async () => {
  const m = await MonitorCore.create();
  const doc = JSON.parse(m.exportJson(T0));
  assertValidExport(doc);
  assert.equal(doc.schemaVersion, 2);
  assert.equal(doc.exportedAt, '2023-11-14T22:13:20.000Z');
  assert.equal(doc.exportedAtMs, T0);
  assert.equal(doc.sketches.webgpu, null);
  m.dispose();
});

let richDoc = null;
async function rich() {
  if (richDoc) return structuredClone(richDoc);
  const m = await MonitorCore.create({ prices: { '*': { input: 0.01, output: 0.02 } } });
  // > 256 values, so series leave the exact set (exact: null); every event kind; rejections.
  const end = feedSession(m, { seed: 7, n: 400 });
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: 'bad' });
  m.recordGeneration({ model: 'm', startedAt: T0, durationMs: -1 });
  m.recordDurations('warmup', new Float64Array([0, 1, 2, 0]), { startedAt: T0 });
  m.recordModelLoad({ model: 'x', startedAt: T0, durationMs: 10, error: new Error('no GPU') });
  m.recordGeneration({ model: 'e', operation: 'embedding', startedAt: end - 1000, durationMs: 20, promptTokens: 12 });
  m.recordMemorySample({ timestamp: end, usedJSHeapSize: 3.9e9, jsHeapSizeLimit: 4e9 }); // critical health
  richDoc = JSON.parse(m.exportJson(end + 1000));
  m.dispose();
  return structuredClone(richDoc);
}

test('a rich session exports a valid document (both branches of every conditional)', async () => {
  const doc = await rich();
  assertValidExport(doc);
  const s = doc.sketches.generations.series;
  assert.equal(s.latencyMs.exact, null, 'over 256 values: no exact set');
  assert.ok(Array.isArray(s.ttftMs.exact) === false);
  assert.ok(Array.isArray(doc.sketches.operations.warmup.durationMs.exact), 'small series keep the exact set');
  assert.ok(doc.sketches.operations.warmup.durationMs.histogram.zeroCount > 0);
  assert.ok(doc.metrics.rejected.total >= 2);
  assert.equal(doc.metrics.health.status, 'critical');
  assert.ok(doc.metrics.health.reasons.length >= 1);
  assert.ok(doc.metrics.windows['5m'].generations.total > 0);
  assert.ok(doc.metrics.cost.total > 0);
  assert.notEqual(doc.sketches.webgpu, null);
  assert.notEqual(doc.sketches.loads.last, null);
});

/** Applies `mutate` to a copy of the rich export and returns ajv's errors (null when valid). */
async function errorsAfter(mutate) {
  const doc = await rich();
  mutate(doc);
  const validate = exportValidator();
  return validate(doc) ? null : validate.errors;
}

const invalid = [
  ['a missing top-level key', (d) => delete d.sketches, '', 'required'],
  ['an unknown top-level key', (d) => (d.extra = 1), '', 'additionalProperties'],
  ['schemaVersion 3', (d) => (d.schemaVersion = 3), '/schemaVersion', 'const'],
  ['exportedAt not ISO 8601', (d) => (d.exportedAt = 'yesterday'), '/exportedAt', 'pattern'],
  ['a missing metric', (d) => delete d.metrics.cache.hitRate, '/metrics/cache', 'required'],
  ['a count as a string', (d) => (d.status.generations = '3'), '/status/generations', 'type'],
  ['a fractional count', (d) => (d.metrics.generations.total = 1.5), '/metrics/generations/total', 'type'],
  ['a rate above 1', (d) => (d.metrics.generations.successRate = 1.5), '/metrics/generations/successRate', 'maximum'],
  [
    'a null where the core always writes a number',
    (d) => (d.metrics.generations.throughput.wallTimeMs = null),
    '/metrics/generations/throughput/wallTimeMs',
    'type',
  ],
  ['a stats object missing p999', (d) => delete d.metrics.generations.ttftMs.p999, '/metrics/generations/ttftMs', 'required'],
  ['a stats quantile null although count > 0', (d) => (d.metrics.generations.ttftMs.p50 = null), '/metrics/generations/ttftMs/p50', 'type'],
  [
    'a stats quantile set although count is 0',
    (d) => (d.metrics.generations.byModel.e.chunkGapMs.p50 = 5),
    '/metrics/generations/byModel/e/chunkGapMs/p50',
    'type',
  ],
  ['an unknown health status', (d) => (d.metrics.health.status = 'fine'), '/metrics/health/status', 'enum'],
  [
    'an unknown operation group',
    (d) => (d.metrics.generations.byOperation.chatting = d.metrics.generations.byOperation.chat),
    '/metrics/generations/byOperation',
    'propertyNames',
  ],
  ['a history entry with a string duration', (d) => (d.generations[0].durationMs = '12'), '/generations/0/durationMs', 'type'],
  ['a history entry with an unknown finish reason', (d) => (d.generations[0].finishReason = 'done'), '/generations/0/finishReason', 'enum'],
  ['a memory snapshot with an extra key', (d) => (d.memorySnapshots[0].foo = 1), '/memorySnapshots/0', 'additionalProperties'],
  ['an exact set above 256 values', (d) => (d.sketches.generations.series.latencyMs.exact = [1]), '/sketches/generations/series/latencyMs/exact', 'type'],
  [
    'a histogram scale above 7',
    (d) => (d.sketches.generations.series.latencyMs.histogram.scale = 8),
    '/sketches/generations/series/latencyMs/histogram/scale',
    'maximum',
  ],
  [
    'a negative bucket count',
    (d) => (d.sketches.generations.series.latencyMs.histogram.counts[0] = -1),
    '/sketches/generations/series/latencyMs/histogram/counts/0',
    'minimum',
  ],
  ['a missing sketch total', (d) => delete d.sketches.generations.total, '/sketches/generations', 'required'],
  ['fromCache as a boolean in the state', (d) => (d.sketches.loads.last.fromCache = true), '/sketches/loads/last/fromCache', 'enum'],
  ['webgpu features not strings', (d) => (d.sketches.webgpu.features = [1]), '/sketches/webgpu/features/0', 'type'],
];

for (const [what, mutate, path, keyword] of invalid) {
  test(`the schema refuses ${what}`, async () => {
    const errors = await errorsAfter(mutate);
    assert.notEqual(errors, null, 'should be invalid');
    assert.ok(
      errors.some((e) => e.instancePath === path && e.keyword === keyword),
      `expected a "${keyword}" error at "${path}", got:\n${errors.map((e) => `${e.instancePath} ${e.keyword} ${e.message}`).join('\n')}`,
    );
  });
}

test('every object of the export refuses an unknown key or a malformed entry', async () => {
  // Walk the rich export and add a key holding an object that fits nowhere: a fixed-key object
  // refuses the key, a map keyed by name (byModel, limits, byField...) refuses the value.
  const doc = await rich();
  const validate = exportValidator();
  let checked = 0;
  const walk = (node, path) => {
    if (node === null || typeof node !== 'object') return;
    if (!Array.isArray(node)) {
      node.__extra__ = { __bad__: true };
      const ok = validate(doc);
      delete node.__extra__;
      if (ok) assert.fail(`an extra key at /${path.join('/')} was accepted`);
      checked++;
    }
    for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(doc, []);
  assert.ok(validate(doc), 'the walk left the document as it was');
  assert.ok(checked > 500, `checked ${checked} objects`);
});

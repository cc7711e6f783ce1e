// MonitorCore#quantile: one figure read from a sketch without building the metrics. It must
// agree with metrics() everywhere, survive reset and import, and refuse bad arguments.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { feedSession, LATER } from './helpers.mjs';

const KEYS = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
];

test('quantile() equals the metrics for every kind of path, exact and sketched', async () => {
  const core = await MonitorCore.create();
  feedSession(core, { n: 600 });
  const m = core.metrics(LATER);
  const paths = [
    ['generations.ttftMs', m.generations.ttftMs],
    ['generations.latencyMs', m.generations.latencyMs],
    ['generations.chunkGapMs', m.generations.chunkGapMs],
    ['generations.byModel.Llama-3.2-1B-Instruct-q4f16_1-MLC.decodeTokensPerSec', m.generations.byModel['Llama-3.2-1B-Instruct-q4f16_1-MLC'].decodeTokensPerSec],
    ['generations.byType.translate.ttftMs', m.generations.byType.translate.ttftMs],
    ['generations.byOperation.chat.latencyMs', m.generations.byOperation.chat.latencyMs],
    ['operations.retrieval.durationMs', m.operations.retrieval.durationMs],
    ['initialization.loadMs', m.initialization.loadMs],
  ];
  for (const [path, stats] of paths) {
    for (const [key, q] of KEYS) assert.equal(core.quantile(path, q), stats[key], `${path} ${key}`);
  }
  // A path of the right form without data yet: null; one that names no series: a TypeError.
  assert.equal(core.quantile('generations.byModel.unknown-model.ttftMs', 0.5), null);
  assert.equal(core.quantile('operations.never.durationMs', 0.5), null);
  assert.throws(() => core.quantile('generations.ttft', 0.5), /quantile: "generations\.ttft" names no series/);
  assert.throws(() => core.quantile('cache.hitRate', 0.5), /names no series/);
  assert.throws(() => core.quantile(42, 0.5), /quantile: path: expected a string, got number 42/);
  assert.throws(() => core.quantile('generations.ttftMs', 1.5), /quantile: q: expected a number from 0 to 1/);
  assert.throws(() => core.quantile('generations.ttftMs', NaN), /quantile: q/);
  core.dispose();
});

test('handles stay right across new data, reset, import and merge; pending events are flushed first', async () => {
  const core = await MonitorCore.create();
  const path = 'operations.stage.durationMs';
  assert.equal(core.quantile(path, 0.5), null); // handle taken before the series exists
  core.recordDurations('stage', new Float64Array([10, 20, 30]));
  assert.equal(core.quantile(path, 0.5), 20); // not flushed by hand
  const exported = core.exportJson();
  core.reset();
  assert.equal(core.quantile(path, 0.5), null);
  core.recordDurations('stage', new Float64Array([5]));
  assert.equal(core.quantile(path, 0.5), 5);
  core.importJson(exported);
  assert.equal(core.quantile(path, 0.99), 30);
  core.mergeJson(exported);
  assert.equal(core.quantile(path, 0.5), 20);
  core.dispose();
  assert.throws(() => core.quantile(path, 0.5), /disposed/);
});

test('past 1024 distinct paths, queries still answer (without a handle)', async () => {
  const core = await MonitorCore.create();
  for (let i = 0; i < 1100; i++) assert.equal(core.quantile(`generations.byModel.m${i}.ttftMs`, 0.5), null);
  for (let i = 0; i < 200; i++) core.recordDurations(`op${i}`, new Float64Array([i + 1]));
  for (let i = 0; i < 200; i++) assert.equal(core.quantile(`operations.op${i}.durationMs`, 0.5), i + 1);
  core.dispose();
});

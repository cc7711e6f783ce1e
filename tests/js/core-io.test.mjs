// Export, import, merge, the text report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore, reportFromExport } from '../../js/core.js';
import { T0, LATER, feedSession, assertValidExport, SWIFTSHADER_ADAPTER, recordFourGenerations } from './helpers.mjs';

/** The export without what legitimately differs after an import (windows, exportedAt). */
function comparable(text) {
  const doc = JSON.parse(text);
  delete doc.exportedAt;
  delete doc.exportedAtMs;
  delete doc.metrics.windows;
  return doc;
}

test('import -> export round trip preserves metrics, histories and sketches', async () => {
  const a = await MonitorCore.create();
  const end = feedSession(a, { seed: 3, n: 300 });
  a.recordGeneration({ model: 'm', startedAt: T0, durationMs: 'bad' }); // a rejection too
  const now = end + 10 * 3600_000; // windows empty on both sides: health uses the session
  const text = a.exportJson(now);
  const b = await MonitorCore.create();
  b.recordCacheLookup({ cache: 'old', hit: true, timestamp: 1 }); // replaced by the import
  b.importJson(text);
  const again = b.exportJson(now);
  assert.deepEqual(comparable(again), comparable(text));
  assert.equal(again, text, 'byte-identical when nothing was in the windows');
  assert.equal(b.metrics(now).cache.byName.old, undefined);
  // The parsed document is accepted as well.
  const c = await MonitorCore.create();
  c.importJson(JSON.parse(text));
  assert.deepEqual(comparable(c.exportJson(now)), comparable(text));
  for (const m of [a, b, c]) m.dispose();
});

test('after an import the windows start empty; everything else is kept', async () => {
  const a = await MonitorCore.create();
  const now = T0 + 100_000;
  a.recordGeneration({ model: 'm', startedAt: now - 5000, durationMs: 1000, ttftMs: 100 });
  const text = a.exportJson(now);
  assert.equal(JSON.parse(text).metrics.windows['1m'].generations.total, 1);
  const b = await MonitorCore.create();
  b.importJson(text);
  const m = b.metrics(now);
  assert.equal(m.windows['1m'].generations.total, 0);
  assert.equal(m.generations.total, 1);
  assert.equal(m.generations.ttftMs.p50, 100);
  a.dispose();
  b.dispose();
});

function compareMerged(merged, single) {
  const g = merged.generations;
  const s = single.generations;
  for (const key of ['total', 'succeeded', 'failed', 'aborted', 'successRate', 'errorRate', 'abortRate', 'finishReasons', 'tokens'])
    assert.deepEqual(g[key], s[key], key);
  for (const series of ['latencyMs', 'ttftMs', 'decodeTokensPerSec', 'prefillTokensPerSec', 'timePerOutputTokenMs', 'chunkGapMs']) {
    for (const q of ['count', 'min', 'max', 'p50', 'p90', 'p95', 'p99', 'p999']) assert.equal(g[series][q], s[series][q], `${series}.${q}`);
    const d = Math.abs(g[series].mean - s[series].mean);
    assert.ok(d <= 1e-9 * Math.abs(s[series].mean), `${series}.mean (summation order only)`);
  }
  for (const model of Object.keys(s.byModel)) {
    assert.equal(g.byModel[model].total, s.byModel[model].total);
    assert.equal(g.byModel[model].latencyMs.p99, s.byModel[model].latencyMs.p99);
  }
  assert.deepEqual(Object.keys(g.byType).sort(), Object.keys(s.byType).sort());
  assert.deepEqual(merged.initialization, single.initialization);
  assert.deepEqual(merged.cache, single.cache);
  assert.deepEqual(merged.memory, single.memory);
  assert.equal(merged.errors.total, single.errors.total);
  assert.deepEqual(merged.errors.byName, single.errors.byName);
  assert.deepEqual(merged.operations.retrieval.durationMs, single.operations.retrieval.durationMs);
  assert.deepEqual(merged.webgpu.deviceLost.total, single.webgpu.deviceLost.total);
}

test('merging two exports equals one monitor fed both sessions (histogram path)', async () => {
  const a = await MonitorCore.create();
  const b = await MonitorCore.create();
  const both = await MonitorCore.create();
  const endA = feedSession(a, { seed: 11, n: 200 });
  feedSession(both, { seed: 11, n: 200 });
  const endB = feedSession(b, { seed: 12, n: 200, start: endA + 1000 });
  feedSession(both, { seed: 12, n: 200, start: endA + 1000 });
  const now = endB + 10 * 3600_000;
  const merged = await MonitorCore.create();
  merged.importJson(a.exportJson(now));
  merged.mergeJson(b.exportJson(now));
  const mm = merged.metrics(now);
  const sm = both.metrics(now);
  assert.ok(mm.generations.latencyMs.count > 256, 'past the exact set: quantiles come from the merged histograms');
  compareMerged(mm, sm);
  // The merged sketches hold exactly the histograms of the single monitor.
  const ms = JSON.parse(merged.exportJson(now)).sketches;
  const ss = JSON.parse(both.exportJson(now)).sketches;
  assert.deepEqual(ms.generations.series.chunkGapMs.histogram, ss.generations.series.chunkGapMs.histogram);
  assert.deepEqual(ms.generations.series.latencyMs.histogram, ss.generations.series.latencyMs.histogram);
  // Merging straight into a monitor that has data works the same.
  a.mergeJson(b.exportJson(now));
  compareMerged(a.metrics(now), sm);
  for (const m of [a, b, both, merged]) m.dispose();
});

test('merging small sessions keeps exact quantiles', async () => {
  const a = await MonitorCore.create();
  const b = await MonitorCore.create();
  for (let i = 1; i <= 50; i++) a.recordGeneration({ model: 'm', startedAt: T0 + i, durationMs: 2 * i }); // even
  for (let i = 1; i <= 50; i++) b.recordGeneration({ model: 'm', startedAt: T0 + 100 + i, durationMs: 2 * i - 1 }); // odd
  a.mergeJson(b.exportJson(LATER));
  const s = a.metrics(LATER).generations.latencyMs;
  assert.deepEqual(s, { count: 100, min: 1, max: 100, mean: 50.5, p50: 50, p90: 90, p95: 95, p99: 99, p999: 100 });
  const history = JSON.parse(a.exportJson(LATER)).generations;
  assert.equal(history.length, 100);
  assert.ok(
    history.every((r, i) => i === 0 || r.startedAt >= history[i - 1].startedAt),
    'histories interleave by time',
  );
  a.dispose();
  b.dispose();
});

test('corrupt, truncated or wrong-version imports throw naming the JSON path and change nothing', async () => {
  const source = await MonitorCore.create();
  feedSession(source, { seed: 5, n: 30 });
  const good = source.exportJson(LATER);
  source.dispose();
  const m = await MonitorCore.create();
  feedSession(m, { seed: 6, n: 20 });
  const before = m.exportJson(LATER);
  const edit = (f) => {
    const doc = JSON.parse(good);
    f(doc);
    return JSON.stringify(doc);
  };
  const cases = [
    ['not JSON', 'not json {', '$', /^\$: not valid JSON: /],
    ['truncated', good.slice(0, Math.floor(good.length / 2)), '$', /^\$: not valid JSON: .*unexpected end of input/],
    ['an array', '[]', '$', /^\$: expected an export object, got an array of 0$/],
    [
      'schemaVersion 3',
      edit((d) => (d.schemaVersion = 3)),
      '$.schemaVersion',
      /^\$\.schemaVersion: version 3 is not supported \(this build reads version 2\)$/,
    ],
    ['schemaVersion as a string', edit((d) => (d.schemaVersion = '1')), '$.schemaVersion', /^\$\.schemaVersion: expected an integer, got "1"$/],
    ['no schemaVersion', edit((d) => delete d.schemaVersion), '$.schemaVersion', /^\$\.schemaVersion: missing$/],
    ['no sketches', edit((d) => delete d.sketches), '$.sketches', /^\$\.sketches: missing$/],
    ['a missing total', edit((d) => delete d.sketches.generations.total), '$.sketches.generations.total', /^\$\.sketches\.generations\.total: missing$/],
    [
      'a total as a string',
      edit((d) => (d.sketches.generations.total = '30')),
      '$.sketches.generations.total',
      /^\$\.sketches\.generations\.total: expected a whole number, got "30"$/,
    ],
    ['inconsistent counts', edit((d) => (d.sketches.generations.total += 1)), '$.sketches.generations.total', /is not succeeded \+ failed \+ aborted/],
    [
      'a histogram that disagrees with its count',
      edit((d) => (d.sketches.generations.series.ttftMs.count += 1)),
      '$.sketches.generations.series.ttftMs.count',
      /but the histogram holds/,
    ],
    [
      'a model group key with a dot',
      edit((d) => (d.sketches.byModel['a.b'] = 5)),
      '$.sketches.byModel["a.b"]',
      /^\$\.sketches\.byModel\["a\.b"\]: expected an object, got 5$/,
    ],
    [
      'a history entry with a string duration',
      edit((d) => (d.generations[0].durationMs = 'slow')),
      '$.generations[0].durationMs',
      /^\$\.generations\[0\]\.durationMs: expected a number, got "slow"$/,
    ],
    [
      'a memory snapshot that is not an object',
      edit((d) => (d.memorySnapshots[1] = 5)),
      '$.memorySnapshots[1]',
      /^\$\.memorySnapshots\[1\]: expected an object, got 5$/,
    ],
  ];
  for (const [what, text, path, message] of cases) {
    for (const method of ['importJson', 'mergeJson']) {
      assert.throws(
        () => m[method](text),
        (err) => {
          assert.match(err.message, message, `${method}: ${what}`);
          assert.equal(err.path, path, `${method}: ${what}`);
          return true;
        },
      );
      assert.equal(m.exportJson(LATER), before, `${method}: ${what}: state unchanged`);
    }
  }
  assert.throws(() => m.importJson(42), /importJson: expected the export as JSON text or an object, got number 42/);
  // A good document still imports afterwards.
  m.importJson(good);
  assert.equal(m.metrics(LATER).generations.total, 30);
  m.dispose();
});

test('the report shows the key figures', async () => {
  const m = await MonitorCore.create();
  m.recordModelLoad({ model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC', startedAt: T0 - 40_000, durationMs: 30_000, fromCache: false, bytesFetched: 879_040_512 });
  recordFourGenerations(m, { model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC', error: 'ContextWindowSizeExceededError: too long' });
  for (const hit of [true, true, true, false]) m.recordCacheLookup({ cache: 'webllm/model', hit, timestamp: T0 });
  m.recordWebGpu({ timestamp: T0, available: true, ...SWIFTSHADER_ADAPTER });
  m.recordMemorySample({ timestamp: T0, usedJSHeapSize: 52_428_800, jsHeapSizeLimit: 4_294_705_152, gpuBufferBytes: 1_073_741_824 });
  const report = m.report(LATER);
  for (const needle of [
    'webllm-monitor report  exported 2023-11-15T00:13:20.000Z  health: critical',
    '! critical: error rate 0.25 is above the critical threshold 0.2',
    'Generations: 4 total, 2 succeeded, 1 failed, 1 aborted (success 50.0%, errors 25.0%, aborts 25.0%)',
    'Tokens: 5350 prompt, 132 completion',
    '33 tokens/s over wall time',
    'Model loads: 1 (0 from cache, 1 downloaded, 0 failed), 838.3 MB fetched',
    'Cache: hit rate 60.0% (3 hits, 2 misses)',
    'ContextWindowSizeExceededError 1',
    'JS heap 50.0 MB of 4.0 GB',
    'GPU buffers 1.0 GB',
    'google swiftshader SwiftShader Device (Subzero) (fallback adapter)',
  ])
    assert.ok(report.includes(needle), `report lacks ${JSON.stringify(needle)}:\n${report}`);
  assert.match(report, /latency ms\s+2\s+1000\s+1000\s+2000/);
  assert.match(report, /By model\n.*\n\s+Llama-3\.2-1B-Instruct-\S*\s+4\s+2\s+1\s+1/);
  m.dispose();
});

test('reportFromExport prints the same report as the monitor, and refuses non-JSON', async () => {
  const m = await MonitorCore.create();
  feedSession(m, { seed: 9, n: 50 });
  const text = m.exportJson(LATER);
  assertValidExport(JSON.parse(text));
  assert.equal(await reportFromExport(text), m.report(LATER));
  assert.equal(await reportFromExport(JSON.parse(text)), m.report(LATER));
  await assert.rejects(reportFromExport('{"schemaVersion": 1,'), (err) => {
    assert.match(err.message, /^\$: not valid JSON: /);
    assert.equal(err.path, '$');
    return true;
  });
  await assert.rejects(reportFromExport(undefined), /expected the export as JSON text or an object, got undefined/);
  m.dispose();
});

test('generations() and memorySnapshots() return the histories as in the export', async () => {
  const m = await MonitorCore.create({ historySize: 50 });
  feedSession(m, { seed: 3, n: 120 });
  const doc = JSON.parse(m.exportJson(LATER));
  const gens = m.generations();
  assert.equal(gens.length, 50);
  assert.deepEqual(gens, doc.generations);
  assert.deepEqual(m.memorySnapshots(), doc.memorySnapshots);
  assert.ok(gens[0].startedAt <= gens[49].startedAt, 'oldest first');
  m.dispose();
});

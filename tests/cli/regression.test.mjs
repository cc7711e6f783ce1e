// compareExports (js/cli/regression.js over MonitorCore.compareExports): thresholds AND one-sided
// tests on the sketches. The tests themselves (U, two-proportion, Holm, bucket indices) are checked
// against hand computations in tests/native/regression.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { makeRandom } from '../../js/random.js';
import { compareExports, regressionDefaults } from '../../js/cli/regression.js';
import { readFile } from 'node:fs/promises';
import { simulateRun } from '../../scripts/measure-false-alarms.mjs';
import { FIXTURE, differences, generate } from '../../scripts/regression-fixture.mjs';

const find = (result, metric) => result.findings.find((f) => f.metric === metric);

test('identical exports: no regression', async () => {
  const a = await simulateRun({ seed: 11 });
  const r = await compareExports(a, structuredClone(a));
  assert.equal(r.regressions, 0);
  assert.ok(r.findings.length >= 13);
  for (const f of r.findings) {
    assert.equal(f.regression, false);
    assert.ok(f.relativeChange === 0 || f.relativeChange === null, f.message);
  }
  assert.match(r.method, /Mann-Whitney/);
});

test('two sessions with the same settings: noise is not a regression', async () => {
  for (const [s1, s2] of [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
  ]) {
    const r = await compareExports(await simulateRun({ seed: s1 }), await simulateRun({ seed: s2 }));
    assert.equal(
      r.regressions,
      0,
      r.findings
        .filter((f) => f.regression)
        .map((f) => f.message)
        .join('\n'),
    );
  }
});

test('a clear slowdown is a regression with a small p-value', async () => {
  const r = await compareExports(await simulateRun({ seed: 21 }), await simulateRun({ seed: 22, slowdown: 1.5 }));
  assert.ok(r.regressions >= 6);
  for (const m of ['generations.ttftMs.p50', 'generations.timePerOutputTokenMs.p50', 'generations.decodeTokensPerSec.p50', 'generations.chunkGapMs.p95']) {
    const f = find(r, m);
    assert.equal(f.regression, true, f.message);
    assert.ok(f.pValue < (m.includes('ttft') ? 0.01 : 0.001), f.message);
    assert.match(f.message, /(rose|fell) \d+\.\d% \(.* → .*\), p = .*: regression$/);
  }
  assert.match(find(r, 'generations.ttftMs.p50').message, /^ttftMs p50 rose .* ms\)/);
  assert.match(find(r, 'generations.decodeTokensPerSec.p50').message, /fell .* tokens\/s\)/);
});

test('a 3% shift is below the threshold: significant or not, no regression', async () => {
  // Same seed: the same draws, every time 3% longer, so the test itself may well be significant.
  const r = await compareExports(await simulateRun({ seed: 31 }), await simulateRun({ seed: 31, slowdown: 1.03 }));
  assert.equal(r.regressions, 0);
  const f = find(r, 'generations.timePerOutputTokenMs.p50');
  assert.ok(Math.abs(f.relativeChange - 0.03) < 1e-6);
  assert.match(f.message, /within the 10% threshold/);
  // With a 2% threshold the same data is a regression when the test agrees.
  const strict = await compareExports(await simulateRun({ seed: 31 }), await simulateRun({ seed: 31, slowdown: 1.03 }), {
    thresholds: { 'timePerOutputTokenMs.p50': 0.02 },
  });
  const s = find(strict, 'generations.timePerOutputTokenMs.p50');
  assert.equal(s.regression, s.pValue < 0.01);
});

test('faster is not a regression (direction)', async () => {
  const r = await compareExports(await simulateRun({ seed: 41 }), await simulateRun({ seed: 42, slowdown: 0.6 }));
  assert.equal(r.regressions, 0);
  assert.match(find(r, 'generations.ttftMs.p50').message, /fell .*: improvement$/);
  assert.match(find(r, 'generations.decodeTokensPerSec.p50').message, /rose .*: improvement$/);
  // And the reverse comparison is a regression.
  const back = await compareExports(await simulateRun({ seed: 42, slowdown: 0.6 }), await simulateRun({ seed: 41 }));
  assert.ok(back.regressions > 0);
});

test('errorRate jump is found by the two-proportion test', async () => {
  const r = await compareExports(
    await simulateRun({ seed: 51, generations: 100, errorRate: 0.02 }),
    await simulateRun({ seed: 52, generations: 100, errorRate: 0.3 }),
  );
  const f = find(r, 'generations.errorRate');
  assert.equal(f.regression, true, f.message);
  assert.ok(f.pValue < 0.001);
  assert.match(f.message, /^errorRate rose \d+\.\d points \(\d+\.\d% → \d+\.\d%\), p = .*: regression$/);
  // A small jump (under +5 points) is not one.
  const small = await compareExports(
    await simulateRun({ seed: 51, generations: 100, errorRate: 0.02 }),
    await simulateRun({ seed: 53, generations: 100, errorRate: 0.04 }),
  );
  assert.equal(find(small, 'generations.errorRate').regression, false);
});

test('fewer than 10 values: not enough data, never a regression', async () => {
  const r = await compareExports(await simulateRun({ seed: 61, generations: 6 }), await simulateRun({ seed: 62, generations: 6, slowdown: 3 }));
  assert.equal(r.regressions, 0);
  const f = find(r, 'generations.ttftMs.p50');
  assert.equal(f.pValue, null);
  assert.match(f.message, /not enough data \(n = \d \/ \d\)/);
});

test('cache hitRate drop is a regression', async () => {
  const doc = async (hitProb, seed) => {
    const m = await MonitorCore.create();
    const r = makeRandom(seed);
    for (let i = 0; i < 200; i++) m.recordCacheLookup({ cache: 'kv', hit: r.chance(hitProb), timestamp: 1.7e12 + i });
    const d = JSON.parse(m.exportJson(1.7e12 + 1000));
    m.dispose();
    return d;
  };
  const r = await compareExports(await doc(0.9, 1), await doc(0.6, 2));
  assert.equal(find(r, 'cache.hitRate').regression, true);
  assert.equal((await compareExports(await doc(0.6, 2), await doc(0.9, 1))).regressions, 0);
});

test('different-scale sketches from the core: a downscaled side compares correctly', async () => {
  const run = async (seed, factor, outliers) => {
    const m = await MonitorCore.create();
    const r = makeRandom(seed);
    for (let i = 0; i < 300; i++) m.recordGeneration({ model: 'm', startedAt: 1.7e12 + i * 1000, durationMs: 5000, ttftMs: r.lognormal(200, 0.3) * factor });
    // Values spread over more than 25 octaves force the histogram to a coarser scale.
    if (outliers) for (const v of [0.0001, 4000]) m.recordGeneration({ model: 'm', startedAt: 1.7e12, durationMs: 5000, ttftMs: v });
    const d = JSON.parse(m.exportJson(1.7e12 + 1e6));
    m.dispose();
    return d;
  };
  const base = await run(1, 1, true);
  const same = await run(2, 1, false);
  const slow = await run(3, 1.4, false);
  const scaleOf = (d) => d.sketches.generations.series.ttftMs.histogram.scale;
  assert.ok(scaleOf(base) < scaleOf(same), `${scaleOf(base)} vs ${scaleOf(same)}`);
  assert.equal(base.sketches.generations.series.ttftMs.exact, null);
  assert.equal(find(await compareExports(base, same), 'generations.ttftMs.p50').regression, false);
  const f = find(await compareExports(base, slow), 'generations.ttftMs.p50');
  assert.equal(f.regression, true, f.message);
  assert.ok(f.pValue < 1e-6);
});

test('chunk gaps are tested with the generation count as the sample size', async () => {
  // 40 generations but thousands of gaps: the p-value must be that of ~40 independent units,
  // far larger than that of the per-token times, whose 40 values see the same 15% slowdown.
  const a = await simulateRun({ seed: 81 });
  const b = await simulateRun({ seed: 82, slowdown: 1.15 });
  const r = await compareExports(a, b, { correction: 'none' });
  assert.ok(a.metrics.generations.chunkGapMs.count > 1000);
  const core = await MonitorCore.compareExports(a, b, { correction: 'none' });
  const gaps = core.findings.find((f) => f.metric === 'generations.chunkGapMs.p50');
  assert.ok(gaps.counts[0] <= 40 && gaps.counts[1] <= 40, String(gaps.counts));
  assert.equal(gaps.basis, 'histogram scale 7');
  // Per token the gaps see the same slowdown as the per-token times; counted as 2,000 values they
  // would give a far smaller p-value than the 40 per-token times, as 40 units a comparable one.
  const perGap = find(r, 'generations.chunkGapMs.p50');
  assert.ok(perGap.pValue > find(r, 'generations.timePerOutputTokenMs.p50').pValue * 1e3, perGap.message);
});

test('per-type findings when the exports have several types', async () => {
  const both = async (seed, slow) => {
    const core = await MonitorCore.create();
    await simulateRun({ seed, core, type: 'chat' });
    const d = await simulateRun({ seed: seed + 100, core, keep: true, type: 'summary', slowdown: slow });
    core.dispose();
    return d;
  };
  const r = await compareExports(await both(1, 1), await both(2, 1.6));
  assert.equal(find(r, 'generations.byType.summary.decodeTokensPerSec.p50').regression, true);
  assert.equal(find(r, 'generations.byType.chat.decodeTokensPerSec.p50').regression, false);
  assert.ok(!r.findings.some((f) => f.regression && f.metric.includes('byType.chat')));
});

test('bad documents and options are refused, naming the document and the field', async () => {
  const good = await simulateRun({ seed: 1, generations: 12 });
  await assert.rejects(compareExports({ schemaVersion: 3, metrics: {}, sketches: {} }, good), (err) => {
    assert.match(err.message, /^baseline: \$\.schemaVersion: version 3 is not supported/);
    assert.equal(err.field, '$.schemaVersion');
    assert.equal(err.document, 'baseline');
    return true;
  });
  await assert.rejects(compareExports(good, '{"schemaVersion": 2'), (err) => err.document === 'current' && /^current: /.test(err.message));
  await assert.rejects(compareExports(good, good, { alpha: 2 }), (err) => err.field === 'options.alpha' && err.document === undefined);
  await assert.rejects(compareExports(good, good, { correction: 'bonferroni' }), (err) => err.field === 'options.correction');
  await assert.rejects(compareExports(good, good, { tresholds: {} }), (err) => err.field === 'options.tresholds');
  await assert.rejects(compareExports(good, good, { thresholds: { 'ttftMs.p50': 'x' } }), (err) => err.field === 'options.thresholds["ttftMs.p50"]');
  await assert.rejects(compareExports(good, undefined), (err) => /^current: compareExports: expected the export/.test(err.message));
});

test('the defaults come from the core', async () => {
  assert.deepEqual(await regressionDefaults(), { alpha: 0.01, threshold: 0.1, errorRate: 0.05, hitRate: 0.05, minCount: 10 });
  const r = await compareExports(await simulateRun({ seed: 1 }), await simulateRun({ seed: 2 }));
  assert.equal(r.alpha, 0.01);
  assert.equal(r.correction, 'holm');
});

test('the recorded comparisons (tests/cli/fixtures/regression-expected.json) are reproduced', async (t) => {
  // Recorded with the JavaScript statistics the core replaced: p-values to 1e-9 relative,
  // everything else, messages included, exactly.
  const expected = JSON.parse(await readFile(FIXTURE, 'utf8'));
  assert.ok(expected.cases.length >= 70);
  const { problems, maxRelative } = differences(expected, await generate());
  assert.deepEqual(problems, []);
  t.diagnostic(`${expected.cases.length} pairs, largest relative p-value difference ${maxRelative}`);
  // The comparison of fixtures finds what differs.
  const changed = structuredClone(expected);
  changed.cases[1].result.findings[0].pValue *= 1 + 1e-8;
  changed.cases[2].result.findings[3].message += '.';
  assert.equal(differences(expected, changed).problems.length, 2);
});

// compareExports (js/cli/regression.js): thresholds AND one-sided tests on the sketches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { makeRandom } from '../../js/random.js';
import {
  compareExports, comparableSamples, mannWhitney, twoProportion, bucketIndex, normalUpperTail,
} from '../../js/cli/regression.js';
import { readFile } from 'node:fs/promises';
import { simulateRun } from '../../scripts/measure-false-alarms.mjs';
import { FIXTURE, generate } from '../../scripts/regression-fixture.mjs';

const find = (result, metric) => result.findings.find((f) => f.metric === metric);

test('normal tail and the two-proportion test give textbook values', () => {
  assert.ok(Math.abs(normalUpperTail(1.959964) - 0.025) < 1e-6);
  assert.ok(Math.abs(normalUpperTail(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalUpperTail(-2.326348) - 0.99) < 1e-6);
  // 10/100 vs 25/100: z = 0.15 / sqrt(0.175·0.825·0.02) = 2.7924
  const r = twoProportion(10, 100, 25, 100, 'greater');
  assert.ok(Math.abs(r.z - 2.7924) < 1e-3, String(r.z));
  assert.ok(twoProportion(10, 100, 25, 100, 'less').pValue > 0.99);
});

test('Mann–Whitney U matches a hand computation with ties', () => {
  // a = 1 2 2 3, b = 2 3 4 5: pairs b > a: 2:{1}=1, 3:{1,2,2}=3, 4:4, 5:4 = 12, ties: (2,2)x2 and (3,3)x1 = 3 halves → U = 13.5
  const pts = (xs) => xs.map((key) => ({ key, n: 1 }));
  const r = mannWhitney(pts([1, 2, 2, 3]), pts([2, 3, 4, 5]), 'greater');
  assert.equal(r.u, 13.5);
  assert.equal(r.auc, 13.5 / 16);
  // Grouped points give the same answer as repeated ones.
  const g = mannWhitney([{ key: 1, n: 1 }, { key: 2, n: 2 }, { key: 3, n: 1 }], pts([2, 3, 4, 5]), 'greater');
  assert.equal(g.u, r.u);
  assert.equal(g.pValue, r.pValue);
  // Under the null the test is calibrated: about alpha of the p-values are below alpha.
  const rand = makeRandom(3);
  let below = 0;
  for (let i = 0; i < 2000; i++) {
    const a = Array.from({ length: 30 }, () => rand.lognormal(100, 0.5));
    const b = Array.from({ length: 30 }, () => rand.lognormal(100, 0.5));
    if (mannWhitney(pts(a), pts(b), 'greater').pValue < 0.05) below++;
  }
  assert.ok(below / 2000 > 0.03 && below / 2000 < 0.07, String(below / 2000));
});

test('identical exports: no regression', async () => {
  const a = await simulateRun({ seed: 11 });
  const r = compareExports(a, structuredClone(a));
  assert.equal(r.regressions, 0);
  assert.ok(r.findings.length >= 13);
  for (const f of r.findings) {
    assert.equal(f.regression, false);
    assert.ok(f.relativeChange === 0 || f.relativeChange === null, f.message);
  }
  assert.match(r.method, /Mann-Whitney/);
});

test('two sessions with the same settings: noise is not a regression', async () => {
  for (const [s1, s2] of [[1, 2], [3, 4], [5, 6], [7, 8]]) {
    const r = compareExports(await simulateRun({ seed: s1 }), await simulateRun({ seed: s2 }));
    assert.equal(r.regressions, 0, r.findings.filter((f) => f.regression).map((f) => f.message).join('\n'));
  }
});

test('a clear slowdown is a regression with a small p-value', async () => {
  const r = compareExports(await simulateRun({ seed: 21 }), await simulateRun({ seed: 22, slowdown: 1.5 }));
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
  const r = compareExports(await simulateRun({ seed: 31 }), await simulateRun({ seed: 31, slowdown: 1.03 }));
  assert.equal(r.regressions, 0);
  const f = find(r, 'generations.timePerOutputTokenMs.p50');
  assert.ok(Math.abs(f.relativeChange - 0.03) < 1e-6);
  assert.match(f.message, /within the 10% threshold/);
  // With a 2% threshold the same data is a regression when the test agrees.
  const strict = compareExports(await simulateRun({ seed: 31 }), await simulateRun({ seed: 31, slowdown: 1.03 }), { thresholds: { 'timePerOutputTokenMs.p50': 0.02 } });
  const s = find(strict, 'generations.timePerOutputTokenMs.p50');
  assert.equal(s.regression, s.pValue < 0.01);
});

test('faster is not a regression (direction)', async () => {
  const r = compareExports(await simulateRun({ seed: 41 }), await simulateRun({ seed: 42, slowdown: 0.6 }));
  assert.equal(r.regressions, 0);
  assert.match(find(r, 'generations.ttftMs.p50').message, /fell .*: improvement$/);
  assert.match(find(r, 'generations.decodeTokensPerSec.p50').message, /rose .*: improvement$/);
  // And the reverse comparison is a regression.
  const back = compareExports(await simulateRun({ seed: 42, slowdown: 0.6 }), await simulateRun({ seed: 41 }));
  assert.ok(back.regressions > 0);
});

test('errorRate jump is found by the two-proportion test', async () => {
  const r = compareExports(await simulateRun({ seed: 51, generations: 100, errorRate: 0.02 }), await simulateRun({ seed: 52, generations: 100, errorRate: 0.3 }));
  const f = find(r, 'generations.errorRate');
  assert.equal(f.regression, true, f.message);
  assert.ok(f.pValue < 0.001);
  assert.match(f.message, /^errorRate rose \d+\.\d points \(\d+\.\d% → \d+\.\d%\), p = .*: regression$/);
  // A small jump (under +5 points) is not one.
  const small = compareExports(await simulateRun({ seed: 51, generations: 100, errorRate: 0.02 }), await simulateRun({ seed: 53, generations: 100, errorRate: 0.04 }));
  assert.equal(find(small, 'generations.errorRate').regression, false);
});

test('fewer than 10 values: not enough data, never a regression', async () => {
  const r = compareExports(await simulateRun({ seed: 61, generations: 6 }), await simulateRun({ seed: 62, generations: 6, slowdown: 3 }));
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
  const r = compareExports(await doc(0.9, 1), await doc(0.6, 2));
  assert.equal(find(r, 'cache.hitRate').regression, true);
  assert.equal(compareExports(await doc(0.6, 2), await doc(0.9, 1)).regressions, 0);
});

/** A sketch series built by hand from values at a scale (what the core writes). */
function series(values, scale) {
  const idx = values.map((v) => bucketIndex(v, scale));
  const offset = Math.min(...idx);
  const counts = new Array(Math.max(...idx) - offset + 1).fill(0);
  for (const i of idx) counts[i - offset]++;
  return { count: values.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values), exact: null, histogram: { scale, zeroCount: 0, offset, counts } };
}

test('histograms at different scales are compared at the coarser scale', () => {
  const rand = makeRandom(71);
  const a = Array.from({ length: 400 }, () => rand.lognormal(100, 0.3));
  // The same values at scale 7 and scale 4: identical after downscaling, AUC exactly 1/2.
  const s = comparableSamples(series(a, 7), series(a, 4));
  assert.equal(s.basis, 'histogram scale 4');
  assert.deepEqual(s.a, s.b);
  assert.equal(mannWhitney(s.a, s.b, 'greater').auc, 0.5);
  // A 20% shift: the binned test agrees with the exact one.
  const b = Array.from({ length: 400 }, () => rand.lognormal(120, 0.3));
  const binned = comparableSamples(series(a, 7), series(b, 5));
  const exact = mannWhitney(a.map((key) => ({ key, n: 1 })), b.map((key) => ({ key, n: 1 })), 'greater');
  const mw = mannWhitney(binned.a, binned.b, 'greater');
  assert.ok(Math.abs(mw.auc - exact.auc) < 0.01, `${mw.auc} vs ${exact.auc}`);
  assert.ok(mw.pValue < 1e-6);
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
  assert.equal(find(compareExports(base, same), 'generations.ttftMs.p50').regression, false);
  const f = find(compareExports(base, slow), 'generations.ttftMs.p50');
  assert.equal(f.regression, true, f.message);
  assert.ok(f.pValue < 1e-6);
});

test('chunk gaps are tested with the generation count as the sample size', async () => {
  // 40 generations but thousands of gaps: the p-value must be that of ~40 independent units.
  const a = await simulateRun({ seed: 81 });
  const b = await simulateRun({ seed: 82, slowdown: 1.15 });
  const r = compareExports(a, b, { correction: 'none' });
  const gaps = find(r, 'generations.chunkGapMs.p50');
  const naive = comparableSamples(a.sketches.generations.series.chunkGapMs, b.sketches.generations.series.chunkGapMs);
  const naiveP = mannWhitney(naive.a, naive.b, 'greater').pValue;
  assert.ok(a.metrics.generations.chunkGapMs.count > 1000);
  assert.ok(gaps.pValue > naiveP * 1e3, `${gaps.pValue} vs ${naiveP}`);
});

test('per-type findings when the exports have several types', async () => {
  const both = async (seed, slow) => {
    const core = await MonitorCore.create();
    await simulateRun({ seed, core, type: 'chat' });
    const d = await simulateRun({ seed: seed + 100, core, keep: true, type: 'summary', slowdown: slow });
    core.dispose();
    return d;
  };
  const r = compareExports(await both(1, 1), await both(2, 1.6));
  assert.equal(find(r, 'generations.byType.summary.decodeTokensPerSec.p50').regression, true);
  assert.equal(find(r, 'generations.byType.chat.decodeTokensPerSec.p50').regression, false);
  assert.ok(!r.findings.some((f) => f.regression && f.metric.includes('byType.chat')));
});

test('bad documents are refused', () => {
  assert.throws(() => compareExports({ schemaVersion: 3, metrics: {}, sketches: {} }, {}), /schemaVersion 3/);
});

test('the recorded comparisons (tests/cli/fixtures/regression-expected.json) are reproduced', async () => {
  // Recorded with the JavaScript statistics the core replaced: p-values to 1e-9 relative,
  // everything else, messages included, exactly.
  const expected = JSON.parse(await readFile(FIXTURE, 'utf8'));
  const actual = await generate();
  assert.equal(actual.cases.length, expected.cases.length);
  let maxRel = 0;
  for (const [i, want] of expected.cases.entries()) {
    const got = actual.cases[i];
    assert.equal(got.name, want.name);
    assert.deepEqual(got.digests, want.digests, `${want.name}: the input exports changed (node scripts/regression-fixture.mjs, then review the diff)`);
    const { findings: gotF, ...gotRest } = got.result;
    const { findings: wantF, ...wantRest } = want.result;
    assert.deepEqual(gotRest, wantRest, want.name);
    assert.equal(gotF.length, wantF.length, want.name);
    for (const [j, w] of wantF.entries()) {
      const g = gotF[j];
      for (const key of ['pValue', 'rawPValue']) {
        if (w[key] === null) assert.equal(g[key], null, `${want.name}: ${w.metric}.${key}`);
        else {
          const rel = Math.abs(g[key] - w[key]) / Math.max(Math.abs(w[key]), 1e-300);
          maxRel = Math.max(maxRel, rel);
          assert.ok(rel <= 1e-9, `${want.name}: ${w.metric}.${key} ${g[key]} vs ${w[key]}`);
        }
      }
      assert.deepEqual({ ...g, pValue: 0, rawPValue: 0 }, { ...w, pValue: 0, rawPValue: 0 }, `${want.name}: ${w.metric}`);
    }
  }
  assert.ok(maxRel <= 1e-9);
});

// MonitorCore#histogram and Monitor#getHistogram: a series' chart bars, computed by the core from
// the sketch's own buckets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore, createMonitor } from '../../js/index.js';

test('the bars hold the recorded values: counts sum, each value inside its bar, edges in ms', async () => {
  const core = await MonitorCore.create();
  const values = [];
  for (let i = 0; i < 200; i++) values.push(40 * Math.exp(i / 30)); // 40 ms to ~30 s, kept exactly
  core.recordDurations('embed', values);
  const { count, bins } = core.histogram('operations.embed.durationMs', 12);
  assert.equal(count, 200);
  assert.ok(bins.length <= 12 && bins.length > 3);
  assert.equal(
    bins.reduce((s, b) => s + b.count, 0),
    200,
  );
  for (let i = 1; i < bins.length; i++) assert.equal(bins[i].lo, bins[i - 1].hi, 'adjacent bars share their edge');
  assert.ok(bins[0].lo <= 40 && bins[0].hi >= 40, `the first bar holds 40 ms (${bins[0].lo}..${bins[0].hi})`);
  const perBar = bins.map((b) => values.filter((v) => v > b.lo && v <= b.hi).length);
  assert.deepEqual(
    perBar,
    bins.map((b) => b.count),
  );
  core.dispose();
});

test('the zero bucket is a bar of its own; an empty series has none; more bars asked, finer bars', async () => {
  const core = await MonitorCore.create();
  assert.deepEqual(core.histogram('generations.latencyMs'), { count: 0, bins: [] });
  core.recordDurations('x', [0, 0, 5, 50, 500]);
  const coarse = core.histogram('operations.x.durationMs', 2);
  const fine = core.histogram('operations.x.durationMs', 400);
  assert.deepEqual(coarse.bins[0], { lo: 0, hi: 0, count: 2 });
  assert.ok(coarse.bins.length <= 3);
  assert.ok(fine.bins.length > coarse.bins.length);
  assert.equal(
    fine.bins.reduce((s, b) => s + b.count, 0),
    5,
  );
  core.dispose();
});

test('bad arguments are refused naming them; a path that names no series too', async () => {
  const core = await MonitorCore.create();
  assert.throws(() => core.histogram('generations.nope.latencyMs'), /histogram: "generations\.nope\.latencyMs" names no series/);
  assert.throws(() => core.histogram(7), /histogram: path: expected a string, got number 7/);
  assert.throws(() => core.histogram('generations.latencyMs', 1), /histogram: maxBins: expected a whole number from 2 to 1000/);
  assert.throws(() => core.histogram('generations.latencyMs', 2.5), /maxBins/);
  core.dispose();
});

test('Monitor#getHistogram: the queued events first, the same bars as the core', async () => {
  const m = await createMonitor({ memory: false, webgpu: false });
  for (let i = 0; i < 30; i++) m.track('stage', () => i);
  const h = m.getHistogram('operations.stage.durationMs');
  assert.equal(h.count, 30);
  assert.equal(
    h.bins.reduce((s, b) => s + b.count, 0),
    30,
  );
  await m.dispose();
});

// The benchmark suite (bench/suite.js) on small inputs: every contender answers, and the figures
// `npm run bench` judges are there and sane. No timing is asserted: speed is the bench's job.
import test from 'node:test';
import assert from 'node:assert/strict';
import { dataset, exactQuantile, runMonitor, runSketches } from '../../bench/suite.js';

test('every contender ingests, answers p99 and reports its memory; accuracy is measured against exact ranks', async () => {
  const results = await runSketches({ n: 4000, reps: 1, accuracyN: 4000 });
  assert.deepEqual(
    results.map((r) => r.id),
    ['webllm-monitor', 'ddsketch', 'hdr-js', 'hdr-wasm', 'tdigest', 'array'],
  );
  for (const r of results) {
    assert.ok(r.ingestNsPerValue > 0 && Number.isFinite(r.ingestNsPerValue), r.id);
    assert.ok(r.p99QueryUs > 0 && Number.isFinite(r.p99QueryUs), r.id);
    assert.ok(r.bytesAfter1M > 0, r.id);
    for (const kind of ['lognormal', 'pareto', 'bimodal']) assert.ok(r.worstRelativeError[kind] >= 0, `${r.id} ${kind}`);
  }
  const ours = results.find((r) => r.id === 'webllm-monitor');
  assert.ok(Math.max(...Object.values(ours.worstRelativeError)) < 0.005);
  assert.equal(results.find((r) => r.id === 'array').worstRelativeError.pareto, 0);
  assert.equal(results.filter((r) => r.peer).length, 4);
});

test('data sets are seeded and exact quantiles use the nearest rank', () => {
  assert.deepEqual(dataset('pareto', 5, 3), dataset('pareto', 5, 3));
  assert.ok(dataset('pareto', 1000, 3).every((v) => v >= 10));
  assert.equal(exactQuantile(Float64Array.from([1, 2, 3, 4]), 0.5), 2);
  assert.equal(exactQuantile(Float64Array.from([1, 2, 3, 4]), 0.99), 4);
});

test('the monitor costs: metrics, export, quantile and the wrapper overhead are measured', async () => {
  const m = await runMonitor({ generations: 2000 });
  for (const k of ['recordGenerationUs', 'metricsMs', 'exportMs', 'quantileUs']) assert.ok(m[k] > 0 && Number.isFinite(m[k]), k);
  assert.ok(m.exportBytes > 10_000);
  assert.ok(m.wrapper.chunks > 1000);
  assert.equal(m.wrapper.generations, 200);
  assert.ok(Number.isFinite(m.wrapper.overheadNsPerChunk));
});

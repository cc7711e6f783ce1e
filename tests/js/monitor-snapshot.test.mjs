// getMetrics() is one deep-frozen snapshot per change, numbered by a growing `seq`; getStatus()
// does not build the metrics again. Builds are counted at the bridge (the wasm Core's metrics()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMonitor, loadCore } from '../../js/index.js';
import { MonitorCore } from '../../js/core.js';
import { SectionSnapshots } from '../../js/core/snapshot.js';

/** Counts the calls of the given Core.prototype methods while `fn` runs. */
async function counting(names, fn) {
  const proto = (await loadCore()).Core.prototype;
  const originals = Object.fromEntries(names.map((n) => [n, proto[n]]));
  const counts = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names)
    proto[n] = function counted(...args) {
      counts[n]++;
      return originals[n].apply(this, args);
    };
  try {
    await fn(counts);
  } finally {
    Object.assign(proto, originals);
  }
}

const options = () => ({ memory: false, webgpu: false, logger: { debug() {}, info() {}, warn() {}, error() {} } });

function assertDeepFrozen(value, path = 'metrics') {
  if (value === null || typeof value !== 'object') return;
  assert.ok(Object.isFrozen(value), `${path} is frozen`);
  for (const [k, v] of Object.entries(value)) assertDeepFrozen(v, `${path}.${k}`);
}

test('getMetrics(): the same frozen object until something changes, then a new one with a higher seq', async () => {
  const m = await createMonitor(options());
  m.recordGeneration({ model: 'M', durationMs: 900, ttftMs: 100, promptTokens: 10, completionTokens: 40 });
  const a = m.getMetrics();
  assert.equal(m.getMetrics(), a, 'unchanged: the same object');
  assertDeepFrozen(a);
  assert.throws(() => {
    a.generations.total = 99;
  }, TypeError);
  assert.equal(typeof a.seq, 'number');
  assert.equal(Object.keys(a).includes('seq'), false, 'seq is not part of the document');
  const exported = JSON.parse(m.exportMetrics()).metrics; // built later: the windows' spans differ
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(a))), Object.keys(exported));
  assert.deepEqual(JSON.parse(JSON.stringify(a.generations)), exported.generations);

  m.recordGeneration({ model: 'M', durationMs: 800, ttftMs: 90, promptTokens: 10, completionTokens: 40 });
  const b = m.getMetrics();
  assert.notEqual(b, a);
  assert.ok(b.seq > a.seq);
  assert.equal(b.generations.total, 2);
  assert.equal(a.generations.total, 1, 'an earlier snapshot keeps its numbers');

  // A refused event changes the metrics too (it is counted).
  m.recordGeneration({ model: 'M', durationMs: -1 });
  const c = m.getMetrics();
  assert.ok(c.seq > b.seq);
  m.importMetrics(m.exportMetrics());
  assert.ok(m.getMetrics().seq > c.seq, 'an import is a change');
  const d = m.getMetrics();
  m.resetMetrics();
  assert.ok(m.getMetrics().seq > d.seq, 'a reset is a change');
  await m.dispose();
});

test("track()'s queued events are a change: the next read sees them", async () => {
  const m = await createMonitor(options());
  const a = m.getMetrics();
  m.track('stage', () => 1);
  const b = m.getMetrics();
  assert.notEqual(b, a);
  assert.equal(b.operations.stage.count, 1);
  await m.dispose();
});

test('the windows move on: a new snapshot once the 10 s window step has passed', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_800_000_000_000 });
  const m = await createMonitor(options());
  m.recordGeneration({ model: 'M', durationMs: 900, ttftMs: 100, startedAt: Date.now() - 900 });
  const a = m.getMetrics();
  t.mock.timers.tick(5_000);
  assert.equal(m.getMetrics(), a, 'within the step');
  t.mock.timers.tick(10_000);
  const b = m.getMetrics();
  assert.notEqual(b, a);
  assert.ok(b.seq > a.seq);
  assert.ok(b.windows['1m'].spanMs > a.windows['1m'].spanMs);
  await m.dispose();
});

test('one metrics build per change: getMetrics() and getStatus() share it, repeated reads build nothing', async () => {
  const m = await createMonitor(options());
  m.recordGeneration({ model: 'M', durationMs: 900, ttftMs: 100, promptTokens: 10, completionTokens: 40 });
  await counting(['metricsSections', 'metrics', 'status'], async (counts) => {
    m.getMetrics();
    const status = m.getStatus();
    for (let i = 0; i < 10; i++) {
      m.getMetrics();
      m.getStatus();
    }
    assert.equal(counts.metricsSections, 1, 'one build');
    assert.equal(counts.metrics, 0, 'getStatus() builds no metrics');
    assert.equal(status.generations, 1);
    assert.equal(status.health, 'healthy');
  });
  await m.dispose();
});

test('getStatus() alone follows every change, and its health equals the metrics built fresh', async () => {
  const m = await createMonitor({ ...options(), thresholds: { ttftP95Ms: { warning: 500 } } });
  m.recordGeneration({ model: 'M', durationMs: 900, ttftMs: 100 });
  assert.equal(m.getStatus().health, 'healthy');
  for (let i = 0; i < 5; i++) m.recordGeneration({ model: 'M', durationMs: 2000, ttftMs: 1500 });
  const s = m.getStatus();
  assert.equal(s.health, 'warning');
  assert.equal(s.generations, 6);
  assert.deepEqual(s.healthReasons, m.getMetrics().health.reasons);
  await m.dispose();
});

test('a new snapshot shares every section that did not change with the previous one', async () => {
  const m = await createMonitor(options());
  m.recordGeneration({ model: 'M', durationMs: 900, ttftMs: 100, promptTokens: 10, completionTokens: 40 });
  m.recordGeneration({ model: 'M', durationMs: 700, errorName: 'TypeError', errorMessage: 'x' });
  const a = m.getMetrics();
  m.recordCacheLookup({ cache: 'kv', hit: true });
  const b = m.getMetrics();
  assert.notEqual(b, a);
  assert.equal(b.cache.hits, 1);
  assert.equal(a.cache.hits, 0, 'the earlier snapshot keeps its own section');
  assert.notEqual(b.cache, a.cache);
  for (const key of ['generations', 'errors', 'initialization', 'memory', 'operations', 'webgpu'])
    assert.equal(b[key], a[key], `${key}: unchanged, the same object`);
  assertDeepFrozen(b);
  // A generation changes its sections; the snapshot still equals metrics built fresh.
  m.recordGeneration({ model: 'M', durationMs: 800, ttftMs: 90, promptTokens: 10, completionTokens: 40 });
  const c = m.getMetrics();
  assert.notEqual(c.generations, b.generations);
  assert.equal(c.errors, b.errors, 'no new error');
  assert.equal(c.generations.total, 3);
  const fresh = JSON.parse(m.exportMetrics()).metrics;
  for (const key of Object.keys(fresh)) {
    if (key === 'windows') continue; // their spans run with the clock
    assert.deepEqual(JSON.parse(JSON.stringify(c[key])), fresh[key], key);
  }
  assert.deepEqual(Object.keys(c), Object.keys(fresh), 'the same members, in the same order');
  // After an import, every section is the imported session's.
  m.importMetrics(m.exportMetrics());
  const d = m.getMetrics();
  assert.equal(d.generations.total, 3);
  assert.equal(d.errors.total, 1);
  await m.dispose();
});

test('SectionSnapshots: a null text is the section kept; one it does not keep asks for them all', () => {
  const s = new SectionSnapshots();
  assert.equal(s.build(['a', null]), null, 'nothing kept yet');
  const first = s.build(['a', '{"x":1}', 'b', '[2]']);
  assert.deepEqual(first, { a: { x: 1 }, b: [2] });
  assert.ok(Object.isFrozen(first.a) && Object.isFrozen(first.b));
  assert.equal(Object.isFrozen(first), false, 'the caller adds to the object, then freezes it');
  const second = s.build(['a', null, 'b', '[3]']);
  assert.equal(second.a, first.a, 'unchanged: the same object');
  assert.deepEqual(second.b, [3]);
  assert.equal(s.build(['a', null, 'c', null]), null, '"c" was never sent');
});

test('sharedMetrics(): a build that threw half-way is recovered on the next call, all sections sent again', async () => {
  const core = await MonitorCore.create();
  core.recordGeneration({ model: 'M', startedAt: Date.now() - 900, durationMs: 900, ttftMs: 100 });
  const parse = JSON.parse;
  let calls = 0;
  JSON.parse = (...args) => {
    if (++calls === 3) throw new SyntaxError('lost');
    return parse(...args);
  };
  try {
    assert.throws(() => core.sharedMetrics(), /lost/);
  } finally {
    JSON.parse = parse;
  }
  // The core believes it sent every section; JS kept only the first two.
  core.recordCacheLookup({ cache: 'kv', hit: true, timestamp: Date.now() });
  const m = core.sharedMetrics();
  const fresh = core.metrics();
  assert.deepEqual(Object.keys(m), Object.keys(fresh));
  for (const key of Object.keys(fresh)) if (key !== 'windows') assert.deepEqual(m[key], fresh[key], key);
  assert.equal(m.generations.total, 1);
  assert.equal(m.cache.hits, 1);
  core.dispose();
});

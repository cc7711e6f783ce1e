// Loading the module once, creating, configuring and disposing monitors.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// Count wasm instantiations: installed before js/core.js is imported (dynamic import below).
let instantiations = 0;
const realInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = function (...args) {
  instantiations++;
  return realInstantiate.apply(this, args);
};

const core = await import('../../js/core.js');
const index = await import('../../js/index.js');
const { MonitorCore, loadCore, schemaVersion } = core;

test('loadCore creates the module once and every monitor shares it', async () => {
  assert.equal(instantiations, 0, 'nothing is loaded at import time');
  const p1 = loadCore();
  const p2 = loadCore();
  assert.equal(p1, p2, 'concurrent calls share one promise');
  const [m1, m2] = await Promise.all([p1, p2]);
  assert.equal(m1, m2);
  assert.equal(typeof m1.Core, 'function');
  const a = await MonitorCore.create();
  const b = await MonitorCore.create();
  assert.equal(await loadCore(), m1);
  assert.equal(instantiations, 1, 'one WebAssembly.instantiate for two monitors');
  // Two monitors are independent.
  a.recordCacheLookup({ cache: 'c', hit: true, timestamp: 1 });
  assert.equal(a.metrics(10).cache.hits, 1);
  assert.equal(b.metrics(10).cache.hits, 0);
  a.dispose();
  b.dispose();
});

test('schemaVersion matches the wasm build', async () => {
  const module = await loadCore();
  assert.equal(schemaVersion, 2);
  assert.equal(module.schemaVersion, schemaVersion);
});

test('the package entry re-exports the core layer', () => {
  assert.equal(index.MonitorCore, MonitorCore);
  assert.equal(index.loadCore, loadCore);
  assert.equal(index.reportFromExport, core.reportFromExport);
  assert.equal(index.schemaVersion, schemaVersion);
});

test('the constructor is private: create() is the way in', () => {
  assert.throws(() => new MonitorCore(), /MonitorCore\.create/);
});

test('create(config) applies the configuration', async () => {
  const m = await MonitorCore.create({ historySize: 7, currency: 'EUR', prices: { '*': { input: 0.5, output: 1.5 } } });
  const c = m.config();
  assert.equal(c.historySize, 7);
  assert.equal(c.currency, 'EUR');
  assert.deepEqual(c.prices, { '*': { input: 0.5, output: 1.5 } });
  assert.deepEqual(c.thresholds.ttftP95Ms, { warning: 2000, critical: 5000 });
  // The history is cut to historySize.
  for (let i = 0; i < 10; i++) m.recordGeneration({ model: 'm', startedAt: 1000 + i, durationMs: 5, promptTokens: 1000, completionTokens: 1000 });
  const doc = JSON.parse(m.exportJson(5000));
  assert.equal(doc.generations.length, 7);
  assert.equal(doc.generations[0].startedAt, 1003);
  assert.equal(doc.metrics.generations.total, 10);
  // Prices: 10 x 1000 prompt tokens at 0.5 per 1k, 10 x 1000 completion tokens at 1.5 per 1k.
  assert.equal(doc.metrics.cost.input, 5);
  assert.equal(doc.metrics.cost.output, 15);
  assert.equal(doc.metrics.cost.currency, 'EUR');
  m.dispose();
});

test('create() with an invalid configuration throws the core message naming the field', async () => {
  await assert.rejects(MonitorCore.create({ historySize: 0 }), (err) => {
    assert.match(err.message, /^config\.historySize: 0 is outside \[1, 100000\]/);
    assert.equal(err.path, 'config.historySize');
    return true;
  });
});

test('configure() errors name the field and change nothing', async () => {
  const m = await MonitorCore.create();
  const before = m.config();
  assert.throws(() => m.configure({ historySize: 10, colour: 'red' }), /config\.colour: unknown option/);
  assert.throws(() => m.configure({ thresholds: { ttftP95Ms: { warning: 'high' } } }), /config\.thresholds\.ttftP95Ms\.warning: expected a number, got "high"/);
  assert.throws(() => m.configure({ thresholds: { speed: {} } }), /config\.thresholds\.speed: unknown threshold/);
  assert.throws(() => m.configure({ prices: { m: { input: -1, output: 0 } } }), /config\.prices\.m\.input/);
  assert.throws(() => m.configure(null), /config: expected an object, got null/);
  assert.throws(() => m.configure('x'), /config: expected an object, got string "x"/);
  assert.deepEqual(m.config(), before, 'a refused configuration changes nothing');
  m.configure({ thresholds: { errorRate: { warning: null } } });
  assert.equal(m.config().thresholds.errorRate.warning, null, 'null disables a level');
  assert.equal(m.config().thresholds.errorRate.critical, 0.2, 'other keys keep their value');
  m.dispose();
});

test('dispose() frees the monitor; later calls throw a clear error', async () => {
  const m = await MonitorCore.create();
  m.recordCacheLookup({ cache: 'c', hit: true, timestamp: 1 });
  assert.equal(m.disposed, false);
  m.dispose();
  assert.equal(m.disposed, true);
  m.dispose(); // idempotent
  for (const call of [
    () => m.metrics(1),
    () => m.flush(),
    () => m.exportJson(1),
    () => m.recordGeneration({}),
    () => m.recordWebGpu({}),
    () => m.importJson('{}'),
    () => m.configure({}),
    () => m.memoryBytes(),
  ])
    assert.throws(call, /MonitorCore: this monitor was disposed/);
});

test('reads refuse a "now" that is not a finite number', async () => {
  const m = await MonitorCore.create();
  assert.throws(() => m.metrics('today'), /now: expected epoch milliseconds \(a finite number\), got string "today"/);
  assert.throws(() => m.exportJson(NaN), /now: expected epoch milliseconds/);
  assert.throws(() => m.report(Infinity), /now: expected epoch milliseconds/);
  m.dispose();
});

// Hostile input through the public JS API (issue #8: a monitor must never be the thing that breaks
// an app), in events, configuration and queries: wrong types, NaN and Infinity, huge strings and
// arrays, throwing getters and Proxies, __proto__/constructor/prototype keys, deep nesting and
// counts past 2^53, through MonitorCore ('webllm-monitor/core') and createMonitor(). Documents
// (import and merge): hostile-documents.test.mjs. Each is refused with a message naming the field
// (or cut, where that is the documented behaviour); a refused call changes nothing (compared on
// exportJson()); the wasm never aborts (no WebAssembly.RuntimeError, and the module keeps
// working); Object.prototype is never touched; objects handed back to JS carry such keys as plain
// own properties.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore, MAX_DURATIONS } from '../../js/core.js';
import { createMonitor } from '../../js/index.js';
import { T0, LATER, recordingLogger } from './helpers.mjs';
import { assertPrototypeClean, BIG, dataOf, gen, heapBytes, MiB, refuses, seeded } from './hostile-helpers.mjs';

after(() => {
  assertPrototypeClean();
});

/** `obj` with an enumerable own property `key` whose getter throws `new ErrorClass(message)`. */
function withThrowingGetter(obj, key, ErrorClass, message) {
  Object.defineProperty(obj, key, {
    get: () => {
      throw new ErrorClass(message);
    },
    enumerable: true,
  });
  return obj;
}

/**
 * Records `event` with `method` and checks the refusal: named field, one more rejection counted,
 * everything else as before, and the core still recording afterwards.
 */
function assertRefusedEvent(core, method, event, field, message) {
  const before = dataOf(core);
  const rejectedBefore = core.metrics(LATER).rejected.total;
  core[method](event);
  const { rejected } = core.flush();
  assert.equal(rejected.length, 1, `${method}: one refusal`);
  assert.equal(rejected[0].field, field);
  assert.match(rejected[0].message, message);
  assert.ok(rejected[0].message.length < 1000, `a short message: ${rejected[0].message.length} characters`);
  assert.deepEqual(dataOf(core), before, `${method}: nothing else changed`);
  assert.equal(core.metrics(LATER).rejected.total, rejectedBefore + 1);
}

// ---------------------------------------------------------------------------------------------
// Events

test('numbers: NaN, ±Infinity, past 2^53, 1e308, negative counts and BigInt are refused by field', async () => {
  const core = await seeded();
  const cases = [
    [gen({ durationMs: NaN }), 'generation.durationMs', /^generation\.durationMs: NaN is not a number$/],
    [gen({ durationMs: Infinity }), 'generation.durationMs', /generation\.durationMs: Infinity is not a finite number/],
    [gen({ ttftMs: -Infinity }), 'generation.ttftMs', /-Infinity is not a finite number/],
    [gen({ durationMs: 1e308 }), 'generation.durationMs', /1e\+308 is larger than the limit/],
    [gen({ startedAt: 2 ** 64 }), 'generation.startedAt', /is larger than the limit/],
    [gen({ promptTokens: 2 ** 64 }), 'generation.promptTokens', /is larger than the limit 1000000000/],
    [gen({ completionTokens: 2 ** 53 + 2 }), 'generation.completionTokens', /is larger than the limit/],
    [gen({ completionTokens: -1 }), 'generation.completionTokens', /-1 is negative/],
    [gen({ promptTokens: 1.5 }), 'generation.promptTokens', /1\.5 is not a whole number/],
    [gen({ durationMs: -5 }), 'generation.durationMs', /-5 is negative/],
    [gen({ durationMs: 10n }), 'generation.durationMs', /expected a number, got bigint 10n/],
    [gen({ chunkGapsMs: [1, NaN] }), 'generation.chunkGapsMs', /chunkGapsMs\[1\]: NaN is not a duration/],
    [gen({ chunkGapsMs: new Float64Array([Infinity]) }), 'generation.chunkGapsMs', /Infinity is not a duration/],
  ];
  for (const [event, field, message] of cases) assertRefusedEvent(core, 'recordGeneration', event, field, message);
  assertRefusedEvent(core, 'recordMemorySample', { timestamp: T0, usedJSHeapSize: 2 ** 64 }, 'memory.usedJSHeapSize', /larger than the limit/);
  assertRefusedEvent(core, 'recordModelLoad', { model: 'm', startedAt: T0, durationMs: 1, bytesFetched: -1 }, 'load.bytesFetched', /-1 is negative/);
  assertRefusedEvent(core, 'recordCacheLookup', { cache: 'k', hit: true, timestamp: NaN }, 'cache.timestamp', /^cache\.timestamp: NaN is not a number$/);
  // -0 is a zero, accepted, and reads back as one.
  core.recordGeneration(gen({ durationMs: -0, ttftMs: -0 }));
  assert.deepEqual(core.flush().rejected, []);
  const again = await MonitorCore.create();
  again.importJson(core.exportJson(LATER));
  assert.ok(again.generations().at(-1).durationMs === 0, 'a zero (the sign of -0 may stay)');
  core.dispose();
  again.dispose();
});

test('wrong types anywhere in an event are refused, never coerced', async () => {
  const core = await seeded();
  const cases = [
    ['recordGeneration', gen({ model: ['m'] }), 'generation.model', /expected a string, got an array of 1/],
    ['recordGeneration', gen({ type: { toString: () => 'chat' } }), 'generation.type', /expected a string, got an object/],
    ['recordGeneration', gen({ startedAt: '1700000000000' }), 'generation.startedAt', /expected a number, got string/],
    ['recordGeneration', gen({ operation: Symbol('chat') }), 'generation.operation', /got a symbol/],
    ['recordGeneration', gen({ chunkGapsMs: { length: 3 } }), 'generation.chunkGapsMs', /expected an array or a Float64Array/],
    ['recordGeneration', gen({ chunkGapsMs: new BigInt64Array(2) }), 'generation.chunkGapsMs', /expected an array or a Float64Array/],
    ['recordGeneration', gen({ errorName: () => 'E' }), 'generation.errorName', /got a function/],
    ['recordGeneration', 'generation', 'generation', /expected an object, got string/],
    ['recordOperation', { name: 'op', startedAt: T0, durationMs: '5' }, 'operation.durationMs', /expected a number, got string "5"/],
    ['recordDeviceLost', { timestamp: T0, model: 7 }, 'deviceLost.model', /expected a string, got number 7/],
  ];
  for (const [method, event, field, message] of cases) assertRefusedEvent(core, method, event, field, message);
  core.dispose();
});

test('an event whose getters or Proxy throw is refused naming the event; the monitor goes on', async () => {
  const core = await seeded();
  const throwing = new Proxy(
    {},
    {
      get: () => {
        throw new Error('boom');
      },
    },
  );
  assertRefusedEvent(core, 'recordGeneration', throwing, 'generation', /^generation: reading the event threw Error: boom/);
  const getter = withThrowingGetter(gen({}), 'ttftMs', RangeError, 'no ttft');
  assertRefusedEvent(core, 'recordGeneration', getter, 'generation', /reading the event threw RangeError: no ttft/);
  const gaps = new Proxy([1, 2, 3], {
    get: (t, k) =>
      k === '1'
        ? (() => {
            throw new Error('gap');
          })()
        : t[k],
  });
  assertRefusedEvent(core, 'recordGeneration', gen({ chunkGapsMs: gaps }), 'generation', /threw Error: gap/);
  assertRefusedEvent(core, 'recordOperation', throwing, 'operation', /^operation: reading the event threw/);
  assertRefusedEvent(core, 'recordMemorySample', throwing, 'memory', /^memory: reading the event threw/);
  assertRefusedEvent(core, 'recordCacheLookup', throwing, 'cache', /^cache: reading the event threw/);
  assertRefusedEvent(core, 'recordModelLoad', throwing, 'load', /^load: reading the event threw/);
  assertRefusedEvent(core, 'recordDeviceLost', throwing, 'deviceLost', /^deviceLost: reading the event threw/);
  core.recordDurations('op', throwing);
  assert.match(core.flush().rejected[0].message, /expected an array or a Float64Array/);
  core.recordDurations('op', [1, 2], throwing);
  assert.match(core.flush().rejected[0].message, /^operation: reading the event threw/);
  // A bad event in the middle of a batch takes nothing else with it.
  core.recordGeneration(gen({ durationMs: 1 }));
  core.recordGeneration(throwing);
  core.recordGeneration(gen({ durationMs: 2 }));
  const outcome = core.flush();
  assert.equal(outcome.accepted, 2);
  assert.deepEqual(
    outcome.rejected.map((r) => r.record),
    [1],
  );
  core.dispose();
});

test('10 MB strings: names refused before they are copied into wasm memory, free text cut', async () => {
  const core = await seeded();
  const heap = heapBytes();
  const name = /: "x{32}\.\.\." is 10485760 bytes, longer than 256$/;
  assertRefusedEvent(core, 'recordGeneration', gen({ model: BIG }), 'generation.model', name);
  assertRefusedEvent(core, 'recordGeneration', gen({ type: BIG }), 'generation.type', name);
  assertRefusedEvent(core, 'recordGeneration', gen({ errorName: BIG }), 'generation.errorName', name);
  assertRefusedEvent(core, 'recordGeneration', gen({ finishReason: BIG }), 'generation.finishReason', name);
  assertRefusedEvent(core, 'recordCacheLookup', { cache: BIG, hit: true, timestamp: T0 }, 'cache.cache', name);
  assertRefusedEvent(core, 'recordOperation', { name: BIG, startedAt: T0, durationMs: 1 }, 'operation.name', name);
  assertRefusedEvent(core, 'recordMemorySample', { label: BIG, timestamp: T0 }, 'memory.label', name);
  assertRefusedEvent(core, 'recordModelLoad', { model: BIG, startedAt: T0, durationMs: 1 }, 'load.model', name);
  // Multi-byte characters count as the core counts them, in UTF-8 bytes.
  assertRefusedEvent(core, 'recordGeneration', gen({ model: 'é'.repeat(300) }), 'generation.model', /is 600 bytes, longer than 256$/);
  // Error messages are cut to 2048 bytes (a documented cut, not a refusal).
  core.recordGeneration(gen({ error: new Error(BIG) }));
  core.recordDeviceLost({ timestamp: T0, reason: BIG, message: BIG });
  core.recordOperation({ name: 'op', startedAt: T0, durationMs: 1, success: false, errorMessage: BIG });
  assert.deepEqual(core.flush().rejected, []);
  const metrics = core.metrics(LATER);
  assert.equal(metrics.errors.recent[0].message.length, 2048);
  assert.equal(metrics.webgpu.deviceLost.recent[0].message.length, 2048);
  assert.equal(metrics.webgpu.deviceLost.recent[0].reason.length, 256);
  assert.equal(core.generations().at(-1).errorMessage.length, 2048);
  // Nothing of the 10 MB reached wasm memory.
  assert.equal(heapBytes(), heap, 'wasm memory did not grow');
  // A 10 MB WebGPU description is cut too; 10 MB of limits are refused whole.
  core.recordWebGpu({ timestamp: T0, available: true, description: BIG, limits: { maxBufferSize: 1024 }, features: [] });
  assert.deepEqual(core.flush().rejected, []);
  assert.equal(core.metrics(LATER).webgpu.adapter.description.length, 256);
  const limits = {};
  for (let i = 0; i < 200; i++) limits[`limit${i}${BIG.slice(0, 20000)}`] = i;
  assertRefusedEvent(
    core,
    'recordWebGpu',
    { timestamp: T0, available: true, limits },
    'webgpu',
    /^webgpu: \d+ characters of JSON, more than the limit of 1048576$/,
  );
  assertRefusedEvent(
    core,
    'recordWebGpu',
    { timestamp: T0, available: true, limits: { maxBufferSize: NaN } },
    'webgpu.limits.maxBufferSize',
    /^webgpu\.limits\.maxBufferSize: NaN is not a finite number$/,
  );
  // A 5,000-character limit name: the message and the field show it cut at 256 bytes.
  assertRefusedEvent(
    core,
    'recordWebGpu',
    { timestamp: T0, available: true, limits: { [BIG.slice(0, 5000)]: -1 } },
    `webgpu.limits["${'x'.repeat(256)}..."]`,
    /: -1 is outside \[0, 1e\+300\]$/,
  );
  assert.equal(heapBytes(), heap, 'wasm memory did not grow');
  core.dispose();
});

test('control characters in free text are blanked (each would be a 6-byte \\u00XX in every export)', async () => {
  const core = await seeded();
  core.recordGeneration(gen({ errorName: 'TypeError', errorMessage: `a\u0001b\tc\nd\u001b[31m${'\u0000'.repeat(3000)}` }));
  core.recordDeviceLost({ timestamp: T0, reason: 'r\u0002', message: 'm\u0003' });
  assert.deepEqual(core.flush().rejected, []);
  const message = core.generations().at(-1).errorMessage;
  const prefix = 'a b\tc\nd [31m';
  assert.equal(message, prefix + ' '.repeat(2048 - prefix.length));
  const text = core.exportJson(LATER);
  assert.doesNotMatch(text, /\\u000[0-3]|\\u001b/);
  assert.equal(core.metrics(LATER).webgpu.deviceLost.recent[0].reason, 'r ');
  core.dispose();
});

test('a refused WebGPU record with an odd limit name leaves an export that reads back', async () => {
  const core = await seeded();
  core.recordWebGpu({ timestamp: T0, available: true, limits: { [`${'k'.repeat(5000)}\u0001`]: -1 } });
  const { rejected } = core.flush();
  assert.equal(rejected.length, 1);
  const doc = JSON.parse(core.exportJson(LATER));
  for (const key of Object.keys(doc.sketches.rejected.byField)) assert.ok(Buffer.byteLength(key) <= 256, `a field of ${key.length} characters`);
  const other = await MonitorCore.create();
  other.importJson(doc); // was refused: "$.sketches.rejected.recent[0].name: 5027 bytes is longer than 256"
  assert.equal(other.metrics(LATER).rejected.total, 1);
  core.dispose();
  other.dispose();
});

test('huge arrays: chunk gaps past the limit refused before the copy; durations past the limit refused', async () => {
  const core = await seeded();
  const heap = heapBytes();
  assertRefusedEvent(
    core,
    'recordGeneration',
    gen({ chunkGapsMs: new Float64Array(2 ** 20 + 1) }),
    'generation.chunkGapsMs',
    /^generation\.chunkGapsMs: 1048577 gaps, more than the limit 1048576$/,
  );
  assert.equal(heapBytes(), heap, 'the batch did not grow for a refused record');
  const before = dataOf(core);
  core.recordDurations('op', new Float64Array(MAX_DURATIONS + 1));
  const { rejected } = core.flush();
  assert.equal(rejected[0].field, 'operation.durations');
  assert.match(rejected[0].message, /^operation\.durations: 4194305 values, more than the limit 4194304 per call/);
  assert.deepEqual(dataOf(core), before);
  // Within the limits, a large record grows the batch for one ingest only.
  const bytes = core.memoryBytes();
  core.recordDurations('op', new Float64Array(3_000_000).fill(2), { startedAt: T0 });
  core.recordGeneration(gen({ chunkGapsMs: new Float64Array(2 ** 20).fill(0.01), durationMs: 20_000 }));
  assert.deepEqual(core.flush().rejected, []);
  // 32 MiB of batch were given back; what remains is the new data (buckets, a history record).
  assert.ok(core.memoryBytes() < bytes + MiB, `memoryBytes ${core.memoryBytes()} after, ${bytes} before: the batch went back to its size`);
  assert.equal(core.metrics(LATER).operations.op.count, 3_000_001);
  core.recordGeneration(gen({ durationMs: 3 })); // the buffer's new address is in use
  assert.equal(core.metrics(LATER).generations.total, 3);
  core.dispose();
});

// ---------------------------------------------------------------------------------------------
// Configuration

test('configure: non-finite numbers, BigInt, cycles, deep nesting and 10 MB values are refused by path', async () => {
  const core = await seeded();
  const config = core.config();
  const cases = [
    [{ historySize: NaN }, /^config\.historySize: NaN is not a finite number$/, 'config.historySize'],
    [{ historySize: Infinity }, /Infinity is not a finite number/, 'config.historySize'],
    [{ historySize: 1e308 }, /^config\.historySize: 1e\+308 is not a whole number >= 0$/, 'config.historySize'],
    [JSON.parse('{"historySize": 18446744073709551616}'), /is not a whole number >= 0/, 'config.historySize'],
    [{ historySize: -0 }, /^config\.historySize: 0 is outside \[1, 100000\]$/, 'config.historySize'],
    [{ historySize: -5 }, /outside|negative/, 'config.historySize'],
    [{ historySize: '10' }, /expected a whole number, got "10"/, 'config.historySize'],
    [{ historySize: 10n }, /^config\.historySize: expected a JSON value, got bigint 10n$/, 'config.historySize'],
    [
      { thresholds: { errorRate: { warning: Infinity } } },
      /^config\.thresholds\.errorRate\.warning: Infinity is not a finite number$/,
      'config.thresholds.errorRate.warning',
    ],
    [{ prices: { m: { input: -1, output: 0 } } }, /^config\.prices\.m\.input: -1 is outside/, 'config.prices.m.input'],
    [{ prices: { m: { input: 1e308, output: 0 } } }, /1e\+308 is outside/, 'config.prices.m.input'],
    [{ prices: { [BIG.slice(0, 300)]: { input: 1, output: 1 } } }, /a model name is 1 to 256 bytes, this one 300/],
    [{ currency: BIG }, /^config: \d+ characters of JSON, more than the limit of 1048576$/],
    [{ nope: 1 }, /config\.nope: unknown option/, 'config.nope'],
  ];
  for (const [bad, message, path] of cases) {
    const err = refuses(() => core.configure(bad), message);
    if (path !== undefined) assert.equal(err.path, path);
    assert.deepEqual(core.config(), config, `unchanged after ${err.message}`);
  }
  const prices = {};
  for (let i = 0; i < 1025; i++) prices[`model-${i}`] = { input: 0, output: 0 };
  refuses(() => core.configure({ prices }), /^config\.prices: 1025 models, more than the limit 1024$/, 'config.prices');
  const cyclic = { thresholds: {} };
  cyclic.thresholds.self = cyclic;
  refuses(() => core.configure(cyclic), /nested deeper than 64 levels/);
  let deep = {};
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  refuses(() => core.configure(deep), /nested deeper than 64 levels/);
  const getter = withThrowingGetter({}, 'historySize', Error, 'no');
  refuses(() => core.configure(getter), /^config: cannot be serialized \(Error: no\)$/);
  refuses(() => core.configure({ toJSON: () => undefined }), /^config: expected a JSON value, got an object$/);
  assert.deepEqual(core.config(), config);
  // __proto__ as a model name is a model like any other, kept as an own key.
  core.configure({ prices: JSON.parse('{"__proto__": {"input": 1, "output": 2}, "constructor": {"input": 3, "output": 4}}') });
  const got = core.config().prices;
  assert.ok(Object.hasOwn(got, '__proto__') && Object.hasOwn(got, 'constructor'));
  assert.deepEqual(got.__proto__, { input: 1, output: 2 });
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assertPrototypeClean();
  core.dispose();
});

// ---------------------------------------------------------------------------------------------
// Queries

test('quantile: a 10 MB path, __proto__ keys and bad q are refused in JS, briefly', async () => {
  const core = await seeded();
  const heap = heapBytes();
  refuses(() => core.quantile(BIG, 0.5), /^quantile: "x{80}\.\.\." names no series/);
  refuses(() => core.quantile(`generations.byModel.${BIG}.ttftMs`, 0.5), /names no series/);
  assert.equal(heapBytes(), heap);
  assert.equal(core.quantile('generations.byModel.__proto__.ttftMs', 0.5), null);
  assert.equal(core.quantile('operations.constructor.durationMs', 0.5), null);
  refuses(() => core.quantile('generations.ttftMs', NaN), /quantile: q: expected a number from 0 to 1/);
  refuses(() => core.quantile('generations.ttftMs', Infinity), /quantile: q/);
  refuses(() => core.quantile({ toString: () => 'generations.ttftMs' }, 0.5), /quantile: path: expected a string, got an object/);
  assert.equal(core.quantile('generations.ttftMs', 0.5), 40);
  refuses(() => core.metrics(NaN), /^now: expected epoch milliseconds/);
  refuses(() => core.exportJson(Infinity), /^now: expected epoch milliseconds/);
  refuses(() => core.otlpJson({ resource: { a: 1n } }), /^options\.resource\.a: expected a JSON value, got bigint 1n$/, 'options.resource.a');
  refuses(() => core.otlpJson({ resource: { a: NaN } }), /^options\.resource\.a: NaN is not a finite number$/);
  const throwing = withThrowingGetter({}, 'resource', Error, 'no');
  refuses(() => core.otlpJson(throwing), /^options: cannot be serialized \(Error: no\)$/);
  refuses(() => core.otlpJson({ resource: { a: BIG } }), /^options: \d+ characters of JSON, more than the limit of 1048576$/);
  refuses(() => core.otlpJson(() => 1), /^options: expected a JSON value, got a function/);
  const otlp = JSON.parse(core.otlpJson({ resource: JSON.parse('{"__proto__": 5, "constructor": "c"}') }));
  const attributes = otlp.resourceMetrics[0].resource.attributes.map((a) => a.key);
  assert.ok(attributes.includes('__proto__') && attributes.includes('constructor'), 'plain attribute names');
  assertPrototypeClean();
  core.dispose();
});

// ---------------------------------------------------------------------------------------------
// createMonitor()

test('createMonitor: hostile options are refused naming the option; none reaches Object.prototype', async () => {
  const { sink } = recordingLogger();
  const base = { memory: false, webgpu: false, logger: sink };
  const cases = [
    [JSON.parse('{"__proto__": {"polluted": true}}'), /options\.__proto__: unknown option/],
    [{ ...base, constructor: 1 }, /options\.constructor: unknown option/],
    [{ ...base, historySize: NaN }, /config\.historySize: NaN is not a finite number/],
    [{ ...base, historySize: 2 ** 64 }, /config\.historySize: .* is not a whole number >= 0/],
    [{ ...base, thresholds: { ttftP95Ms: { warning: -Infinity } } }, /config\.thresholds\.ttftP95Ms\.warning: -Infinity is not a finite number/],
    [{ ...base, prices: { '*': { input: NaN, output: 0 } } }, /config\.prices\["\*"\]\.input: NaN is not a finite number/],
    [{ ...base, currency: BIG }, /config: \d+ characters of JSON, more than the limit/],
    [{ ...base, sampleIntervalMs: NaN }, /options\.sampleIntervalMs: expected a number of milliseconds >= 0, got number NaN/],
    [{ ...base, throttleMs: -1 }, /options\.throttleMs/],
    [{ ...base, defaultType: BIG }, /./],
    [{ ...base, strict: 'yes' }, /options\.strict: expected true or false/],
    ['options', /options: expected an object/],
  ];
  for (const [options, message] of cases) {
    let error;
    try {
      const monitor = await createMonitor(options);
      await monitor.dispose();
    } catch (err) {
      error = err;
    }
    if (options?.defaultType === BIG) {
      // A 10 MB default type is a valid option; its events are refused, named, when recorded.
      assert.equal(error, undefined);
      continue;
    }
    assert.ok(error instanceof Error, `refused: ${message}`);
    assert.match(error.message, message);
    assert.ok(error.message.length < 1000);
  }
  assertPrototypeClean();
});

test('createMonitor: hostile events and documents give { ok: false } or a named error; the app is unharmed', async () => {
  const { sink, entries } = recordingLogger();
  const monitor = await createMonitor({ memory: false, webgpu: false, logger: sink, defaultType: BIG });
  const strict = await createMonitor({ memory: false, webgpu: false, logger: sink, strict: true });
  const throwing = new Proxy(
    {},
    {
      get: () => {
        throw new Error('boom');
      },
    },
  );

  // Untagged events get the 10 MB default type: refused, named, not thrown.
  let r = monitor.recordGeneration({ model: 'm', durationMs: 5 });
  assert.equal(r.ok, false);
  assert.equal(r.field, 'generation.type');
  assert.ok(r.message.length < 300);
  r = monitor.recordGeneration(throwing);
  assert.deepEqual([r.ok, r.field], [false, 'generation']);
  assert.match(r.message, /reading the event threw Error: boom/);
  const getter = withThrowingGetter({ model: 'm', durationMs: 5 }, 'startedAt', Error, 'late');
  assert.match(monitor.recordGeneration(getter).message, /reading the event threw Error: late/);
  assert.equal(monitor.recordOperation({ name: BIG, durationMs: 1 }).field, 'operation.name');
  assert.equal(monitor.recordCacheLookup({ cache: '__proto__', hit: true }).ok, true);
  assert.equal(monitor.recordModelLoad({ model: 'constructor', startedAt: T0, durationMs: Infinity }).field, 'load.durationMs');
  assert.equal(monitor.recordGeneration({ model: 'm', type: 'chat', durationMs: 5, completionTokens: 2 ** 64 }).field, 'generation.completionTokens');
  assert.equal(monitor.recordGeneration({ model: '__proto__', type: 'prototype', durationMs: 5 }).ok, true);
  assert.throws(
    () => strict.recordGeneration(throwing),
    (err) => err instanceof TypeError && err.field === 'generation' && /threw Error: boom/.test(err.message),
  );
  assert.throws(
    () => strict.recordGeneration({ model: 'm', startedAt: T0, durationMs: NaN }),
    (err) => err.field === 'generation.durationMs',
  );
  // track() with a name the core refuses still returns the function's result, unchanged.
  assert.equal(
    monitor.track(BIG, () => 42),
    42,
  );
  await assert.rejects(
    monitor.track('op', () => Promise.reject(new Error('app'))),
    /^Error: app$|app/,
  );

  // Documents: a named Error, nothing changed, and the monitor still answers.
  const before = monitor.exportMetrics();
  const data = (text) => {
    const d = JSON.parse(text);
    for (const k of ['exportedAt', 'exportedAtMs', 'status', 'metrics']) delete d[k];
    return d;
  };
  for (const bad of ['['.repeat(100_000), '{"__proto__": {"polluted": true}}', `{"schemaVersion": 2, "sketches": ${'['.repeat(70)}`, 'null']) {
    const err = refuses(() => monitor.importMetrics(bad), /^\$/);
    assert.equal(err.path?.startsWith('$'), true);
    refuses(() => monitor.mergeMetrics(before, bad), /^document 2: \$/);
  }
  assert.deepEqual(data(monitor.exportMetrics()), data(before));
  monitor.importMetrics(before);
  const m = monitor.getMetrics();
  assert.ok(Object.hasOwn(m.generations.byModel, '__proto__'));
  assert.ok(Object.hasOwn(m.generations.byType, 'prototype'));
  assert.ok(Object.hasOwn(m.cache.byName, '__proto__'));
  assert.equal(Object.getPrototypeOf(m.generations.byModel), Object.prototype);
  assert.equal(monitor.getAllGenerations().at(-1).model, '__proto__');
  assert.match(monitor.exportCSV(), /__proto__/);
  assert.ok(monitor.getStatus().faults === 0, 'no monitoring fault');
  // Log entries are short whatever the input.
  for (const entry of monitor.logEntries) assert.ok(JSON.stringify(entry).length < 4000, 'a short log entry');
  assert.ok(entries.length > 0);
  assertPrototypeClean();
  await monitor.dispose();
  await strict.dispose();
});

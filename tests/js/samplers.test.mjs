// js/samplers.js without a browser: intervals, labels, caching and throttling of the slow
// browser measurements (with stand-in globals), fault swallowing, GPU buffer tracking and the
// WebGPU sampler over fake WebGPU classes. The real APIs are exercised in tests/browser/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemorySampler, createWebGpuSampler, installGpuBufferTracking } from '../../js/samplers.js';
import { MonitorCore } from '../../js/core.js';

const T0 = 1_700_000_000_000;

/** Polls `cond` every 5 ms until it holds or `ms` pass. */
async function until(cond, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

/** Defines `globalThis[name] = value` for the test and restores it afterwards. */
function stubGlobal(t, target, name, value) {
  const before = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { value, configurable: true, writable: true });
  t.after(() => {
    if (before) Object.defineProperty(target, name, before);
    else delete target[name];
  });
}

function collectFaults() {
  const faults = [];
  const fault = (where, err) => faults.push({ where, err });
  return { faults, fault };
}

// ---------------------------------------------------------------------------------------------
// Memory sampler

test('memory sampler: labelled snapshot with the callbacks values; JS heap fields stay undefined in Node', async () => {
  const samples = [];
  const s = createMemorySampler({ record: (x) => samples.push(x), wasmHeapBytes: () => 16 * 65536, gpuBufferBytes: () => 4096, now: () => T0 });
  await s.snapshot('before-init');
  assert.equal(samples.length, 1);
  assert.deepEqual(samples[0], {
    label: 'before-init',
    timestamp: T0,
    usedJSHeapSize: undefined,
    totalJSHeapSize: undefined,
    jsHeapSizeLimit: undefined,
    userAgentBytes: undefined,
    wasmHeapBytes: 1048576,
    gpuBufferBytes: 4096,
    storageUsage: undefined,
    storageQuota: undefined,
  });
  await s.snapshot();
  await s.snapshot('');
  assert.deepEqual(
    samples.slice(1).map((x) => x.label),
    ['periodic', 'periodic'],
  );
});

test('memory sampler: absent or invalid callback values are left undefined', async () => {
  const samples = [];
  const s = createMemorySampler({ record: (x) => samples.push(x), gpuBufferBytes: () => undefined, wasmHeapBytes: () => NaN });
  await s.snapshot('x');
  assert.equal(samples[0].gpuBufferBytes, undefined);
  assert.equal(samples[0].wasmHeapBytes, undefined);
  assert.equal(typeof samples[0].timestamp, 'number');
});

test('memory sampler: periodic samples while running, none after stop()', async () => {
  const samples = [];
  const s = createMemorySampler({ intervalMs: 10, record: (x) => samples.push(x) });
  assert.equal(s.running, false);
  s.start();
  s.start(); // idempotent: one timer
  assert.equal(s.running, true);
  await until(() => samples.length >= 3);
  s.stop();
  assert.equal(s.running, false);
  const n = samples.length;
  await sleep(50);
  assert.equal(samples.length, n, 'no sample after stop()');
  assert.ok(samples.every((x) => x.label === 'periodic'));
  s.stop(); // idempotent
});

test('memory sampler: faults of callbacks are swallowed and reported, the sample still recorded', async () => {
  const { faults, fault } = collectFaults();
  const samples = [];
  const s = createMemorySampler({
    record: (x) => samples.push(x),
    wasmHeapBytes: () => {
      throw new Error('heap gone');
    },
    gpuBufferBytes: () => 10,
    fault,
  });
  await s.snapshot('after-init');
  assert.equal(samples.length, 1);
  assert.equal(samples[0].wasmHeapBytes, undefined);
  assert.equal(samples[0].gpuBufferBytes, 10);
  assert.deepEqual(
    faults.map((f) => f.where),
    ['memory.wasmHeapBytes'],
  );
  assert.equal(faults[0].err.message, 'heap gone');
});

test('memory sampler: a throwing record() and a throwing fault() never reach the caller', async () => {
  const s = createMemorySampler({
    record: () => {
      throw new Error('sink full');
    },
    fault: () => {
      throw new Error('reporter broken too');
    },
  });
  await s.snapshot('before-generation'); // resolves
  const { faults, fault } = collectFaults();
  const s2 = createMemorySampler({
    record: () => {
      throw new Error('sink full');
    },
    fault,
  });
  await s2.snapshot('after-generation');
  assert.deepEqual(
    faults.map((f) => f.where),
    ['memory.record'],
  );
});

test('memory sampler: bad options are refused at creation', () => {
  assert.throws(() => createMemorySampler({}), /record: expected a function/);
  assert.throws(() => createMemorySampler({ record() {}, intervalMs: 0 }), /intervalMs: expected a positive number/);
});

test('memory sampler: performance.memory fields when present', async (t) => {
  stubGlobal(t, globalThis.performance, 'memory', { usedJSHeapSize: 10, totalJSHeapSize: 20, jsHeapSizeLimit: 30 });
  const samples = [];
  await createMemorySampler({ record: (x) => samples.push(x) }).snapshot('m');
  assert.equal(samples[0].usedJSHeapSize, 10);
  assert.equal(samples[0].totalJSHeapSize, 20);
  assert.equal(samples[0].jsHeapSizeLimit, 30);
});

test('memory sampler: storage.estimate() at most once per 30 s, cached in between; failures reported', async (t) => {
  let calls = 0;
  let fail = false;
  stubGlobal(t, globalThis, 'navigator', {
    storage: {
      estimate: async () => {
        calls++;
        if (fail) throw new Error('estimate failed');
        return { usage: 1000 * calls, quota: 5e9 };
      },
    },
  });
  let clock = T0;
  const samples = [];
  const { faults, fault } = collectFaults();
  const s = createMemorySampler({ record: (x) => samples.push(x), now: () => clock, fault });
  await s.snapshot('a');
  clock += 29_999;
  await s.snapshot('b');
  assert.equal(calls, 1);
  assert.deepEqual(
    samples.map((x) => [x.storageUsage, x.storageQuota]),
    [
      [1000, 5e9],
      [1000, 5e9],
    ],
  );
  clock += 1;
  await s.snapshot('c');
  assert.equal(calls, 2);
  assert.equal(samples[2].storageUsage, 2000);
  fail = true;
  clock += 30_000;
  await s.snapshot('d');
  assert.equal(calls, 3);
  assert.equal(samples[3].storageUsage, 2000, 'the last good estimate stays');
  assert.deepEqual(
    faults.map((f) => f.where),
    ['memory.storage.estimate'],
  );
});

test('memory sampler: measureUserAgentSpecificMemory only when cross-origin isolated, never waited for, one in flight, once per 30 s', async (t) => {
  const pending = [];
  stubGlobal(t, globalThis.performance, 'measureUserAgentSpecificMemory', () => {
    return new Promise((resolve, reject) => pending.push({ resolve, reject }));
  });
  let clock = T0;
  const samples = [];
  const { faults, fault } = collectFaults();
  const s = createMemorySampler({ record: (x) => samples.push(x), now: () => clock, fault });

  // not isolated: never called
  stubGlobal(t, globalThis, 'crossOriginIsolated', false);
  await s.snapshot('a');
  assert.equal(pending.length, 0);

  globalThis.crossOriginIsolated = true;
  await s.snapshot('b'); // starts a measurement, does not wait for it
  assert.equal(pending.length, 1);
  assert.equal(samples[1].userAgentBytes, undefined);
  clock += 60_000;
  await s.snapshot('c'); // the first is still in flight: no second call
  assert.equal(pending.length, 1);

  pending[0].resolve({ bytes: 123456, breakdown: [] });
  await s.whenIdle();
  clock += 1000; // 61 s after the first call started: a new one is allowed
  await s.snapshot('d');
  assert.equal(samples[3].userAgentBytes, 123456);
  assert.equal(pending.length, 2, 'a new call: the previous one started more than 30 s ago');

  pending[1].reject(Object.assign(new Error('measurement interrupted'), { name: 'SecurityError' }));
  await s.whenIdle();
  clock += 10_000;
  await s.snapshot('e');
  assert.equal(pending.length, 2, 'within 30 s of the last call: no call');
  assert.equal(samples[4].userAgentBytes, 123456, 'the last completed measurement is carried');
  assert.deepEqual(
    faults.map((f) => [f.where, f.err.name]),
    [['memory.measureUserAgentSpecificMemory', 'SecurityError']],
  );
});

test('memory sampler: samples feed MonitorCore.recordMemorySample unchanged', async () => {
  const core = await MonitorCore.create();
  try {
    const s = createMemorySampler({ record: (x) => core.recordMemorySample(x), wasmHeapBytes: () => 2 * 1048576, now: () => T0 });
    await s.snapshot('before-init');
    const flushed = core.flush();
    assert.deepEqual(flushed.rejected, []);
    const m = core.metrics(T0);
    assert.equal(m.memory.samples, 1);
    assert.equal(m.memory.latest.label, 'before-init');
    assert.equal(m.memory.latest.wasmHeapBytes, 2 * 1048576);
    assert.equal(m.memory.latest.usedJSHeapSize, null);
  } finally {
    core.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// GPU buffer tracking over fake WebGPU classes

function fakeWebGpu() {
  class GPUBuffer {
    constructor(size) {
      this.size = size;
      this.destroyed = 0;
    }
    destroy() {
      this.destroyed++;
    }
  }
  class GPUDevice {
    constructor() {
      this.lost = new Promise((resolve) => {
        this.resolveLost = resolve;
      });
    }
    createBuffer(descriptor) {
      if (descriptor.size < 0) throw new TypeError('bad size');
      return new GPUBuffer(descriptor.size);
    }
    destroy() {
      this.resolveLost({ reason: 'destroyed', message: 'Device was destroyed.' });
    }
  }
  return { GPUBuffer, GPUDevice };
}

test('gpu buffer tracking: sums live buffer sizes; a double destroy counts once; uninstall restores', () => {
  const scope = fakeWebGpu();
  const origCreate = scope.GPUDevice.prototype.createBuffer;
  const origDestroy = scope.GPUBuffer.prototype.destroy;
  const origDeviceDestroy = scope.GPUDevice.prototype.destroy;
  const tracking = installGpuBufferTracking(scope);
  assert.ok(tracking);
  const device = new scope.GPUDevice();
  const a = device.createBuffer({ size: 1024, usage: 0 });
  const b = device.createBuffer({ size: 4096, usage: 0 });
  assert.equal(a.size, 1024, 'the real buffer is returned');
  assert.equal(tracking.bytes(), 5120);
  assert.equal(tracking.buffers(), 2);
  a.destroy();
  a.destroy();
  assert.equal(a.destroyed, 2, 'the original destroy still runs every time');
  assert.equal(tracking.bytes(), 4096);
  assert.equal(tracking.buffers(), 1);
  assert.throws(() => device.createBuffer({ size: -1 }), /bad size/, "the engine's own errors pass through");
  assert.equal(tracking.bytes(), 4096);
  tracking.uninstall();
  tracking.uninstall(); // idempotent
  assert.equal(scope.GPUDevice.prototype.createBuffer, origCreate);
  assert.equal(scope.GPUBuffer.prototype.destroy, origDestroy);
  assert.equal(scope.GPUDevice.prototype.destroy, origDeviceDestroy);
  b.destroy();
});

test('gpu buffer tracking: idempotent per realm, a second install shares the counter', () => {
  const scope = fakeWebGpu();
  const first = installGpuBufferTracking(scope);
  const wrapped = scope.GPUDevice.prototype.createBuffer;
  const second = installGpuBufferTracking(scope);
  assert.equal(scope.GPUDevice.prototype.createBuffer, wrapped, 'not wrapped twice');
  const device = new scope.GPUDevice();
  device.createBuffer({ size: 100 });
  assert.equal(first.bytes(), 100);
  assert.equal(second.bytes(), 100);
  first.uninstall();
  assert.equal(scope.GPUDevice.prototype.createBuffer, wrapped, 'still installed while a handle remains');
  device.createBuffer({ size: 50 });
  assert.equal(second.bytes(), 150);
  second.uninstall();
  assert.notEqual(scope.GPUDevice.prototype.createBuffer, wrapped);
});

test('gpu buffer tracking: destroying a device releases all its buffers; buffers from before the install are ignored', async () => {
  const scope = fakeWebGpu();
  const d1 = new scope.GPUDevice();
  const old = d1.createBuffer({ size: 7 });
  const tracking = installGpuBufferTracking(scope);
  const d2 = new scope.GPUDevice();
  d1.createBuffer({ size: 1000 });
  const kept = d2.createBuffer({ size: 10 });
  old.destroy();
  assert.equal(tracking.bytes(), 1010);
  d1.destroy();
  assert.equal(tracking.bytes(), 10);
  assert.equal(tracking.buffers(), 1);
  kept.destroy();
  assert.equal(tracking.bytes(), 0);
  // a loss (not through destroy()) releases too, once the lost promise resolves
  const d3 = new scope.GPUDevice();
  d3.createBuffer({ size: 64 });
  assert.equal(tracking.bytes(), 64);
  d3.resolveLost({ reason: 'unknown', message: 'GPU reset' });
  await d3.lost;
  await null;
  assert.equal(tracking.bytes(), 0);
  tracking.uninstall();
});

test('gpu buffer tracking: null without WebGPU; onDevice sees each device once', () => {
  assert.equal(installGpuBufferTracking({}), null);
  assert.equal(installGpuBufferTracking(undefined), null);
  const scope = fakeWebGpu();
  const seen = [];
  const t1 = installGpuBufferTracking(scope, { onDevice: (d) => seen.push(d) });
  const d = new scope.GPUDevice();
  d.createBuffer({ size: 1 });
  d.createBuffer({ size: 1 });
  assert.deepEqual(seen, [d]);
  const later = [];
  const t2 = installGpuBufferTracking(scope, {
    onDevice: (x) => {
      later.push(x);
      throw new Error('listener fault');
    },
  });
  assert.deepEqual(later, [d], 'a later install hears of devices seen before');
  d.createBuffer({ size: 1 }); // a throwing listener does not break createBuffer
  t1.uninstall();
  t2.uninstall();
});

// ---------------------------------------------------------------------------------------------
// WebGPU sampler over fake adapters

class FakeLimits {}
for (const [k, v] of Object.entries({ maxBufferSize: 268435456, maxStorageBufferBindingSize: 134217728 }))
  Object.defineProperty(FakeLimits.prototype, k, { get: () => v, enumerable: true });

function fakeAdapter(info) {
  return { info, limits: new FakeLimits(), features: new Set(['shader-f16', 'timestamp-query']) };
}

test('webgpu sampler: records adapter.info, limits as a plain object and features as an array', async () => {
  const infos = [];
  const gpu = {
    requestAdapter: async () => fakeAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true }),
  };
  const s = createWebGpuSampler({ recordInfo: (i) => infos.push(i), recordDeviceLost() {}, gpu, now: () => T0 });
  await s.start();
  await s.start(); // once
  assert.equal(infos.length, 1);
  assert.deepEqual(infos[0], {
    timestamp: T0,
    available: true,
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: '',
    isFallbackAdapter: true,
    limits: { maxBufferSize: 268435456, maxStorageBufferBindingSize: 134217728 },
    features: ['shader-f16', 'timestamp-query'],
  });
  assert.equal(s.gpuBufferBytes(), undefined, 'no tracking unless asked');
});

test('webgpu sampler: deprecated requestAdapterInfo() where adapter.info is missing', async () => {
  const infos = [];
  const adapter = fakeAdapter(undefined);
  adapter.isFallbackAdapter = false;
  adapter.requestAdapterInfo = async () => ({ vendor: 'nvidia', architecture: 'ampere' });
  const s = createWebGpuSampler({ recordInfo: (i) => infos.push(i), recordDeviceLost() {}, gpu: { requestAdapter: async () => adapter } });
  await s.start();
  assert.equal(infos[0].vendor, 'nvidia');
  assert.equal(infos[0].architecture, 'ampere');
  assert.equal(infos[0].isFallbackAdapter, false);
});

test('webgpu sampler: unavailable when navigator.gpu is missing, no adapter, or requestAdapter rejects', async () => {
  for (const gpu of [undefined, null, { requestAdapter: async () => null }]) {
    const infos = [];
    const s = createWebGpuSampler({ recordInfo: (i) => infos.push(i), recordDeviceLost() {}, gpu, now: () => T0 });
    await s.start();
    assert.deepEqual(infos, [{ timestamp: T0, available: false }]);
  }
  const { faults, fault } = collectFaults();
  const infos = [];
  const gpu = {
    requestAdapter: async () => {
      throw new Error('adapter crashed');
    },
  };
  await createWebGpuSampler({ recordInfo: (i) => infos.push(i), recordDeviceLost() {}, gpu, fault, now: () => T0 }).start();
  assert.deepEqual(infos, [{ timestamp: T0, available: false }]);
  assert.deepEqual(
    faults.map((f) => f.where),
    ['webgpu.requestAdapter'],
  );
});

test('webgpu sampler: a throwing recordInfo is reported, start() still resolves', async () => {
  const { faults, fault } = collectFaults();
  const s = createWebGpuSampler({
    recordInfo() {
      throw new Error('core disposed');
    },
    recordDeviceLost() {},
    gpu: { requestAdapter: async () => fakeAdapter({ vendor: 'x' }) },
    fault,
  });
  await s.start();
  assert.deepEqual(
    faults.map((f) => f.where),
    ['webgpu.recordInfo'],
  );
});

test('webgpu sampler: watchDevice records the loss with reason, message and model; once per device; not after stop()', async () => {
  const scope = fakeWebGpu();
  const lost = [];
  const s = createWebGpuSampler({ recordInfo() {}, recordDeviceLost: (e) => lost.push(e), gpu: null, now: () => T0 });
  await s.start();
  const d = new scope.GPUDevice();
  const watched = s.watchDevice(d);
  assert.equal(s.watchDevice(d, 'Llama-3.2-1B-Instruct-q4f16_1-MLC'), watched, 'watched once; the model is updated');
  d.destroy();
  await watched;
  assert.deepEqual(lost, [{ timestamp: T0, reason: 'destroyed', message: 'Device was destroyed.', model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC' }]);
  const d2 = new scope.GPUDevice();
  const w2 = s.watchDevice(d2);
  d2.resolveLost({});
  await w2;
  assert.deepEqual(lost[1], { timestamp: T0, reason: 'unknown', message: '' });
  const d3 = new scope.GPUDevice();
  const w3 = s.watchDevice(d3);
  s.stop();
  d3.destroy();
  await w3;
  assert.equal(lost.length, 2, 'nothing recorded after stop()');
  await s.watchDevice(null); // ignored
  await s.watchDevice({}); // no lost promise: ignored
});

test('webgpu sampler: trackBuffers installs tracking in the given scope and watches devices that create buffers', async () => {
  const scope = fakeWebGpu();
  const lost = [];
  const s = createWebGpuSampler({ recordInfo() {}, recordDeviceLost: (e) => lost.push(e), trackBuffers: true, scope, gpu: null, now: () => T0 });
  const started = s.start();
  const d = new scope.GPUDevice(); // created by the engine after start()
  d.createBuffer({ size: 2048 });
  assert.equal(s.gpuBufferBytes(), 2048);
  await started;
  d.destroy();
  await d.lost;
  await sleep(0);
  assert.equal(s.gpuBufferBytes(), 0);
  assert.deepEqual(lost, [{ timestamp: T0, reason: 'destroyed', message: 'Device was destroyed.' }]);
  const wrapped = scope.GPUDevice.prototype.createBuffer;
  s.stop();
  assert.notEqual(scope.GPUDevice.prototype.createBuffer, wrapped, 'stop() uninstalls the tracking');
  assert.equal(s.gpuBufferBytes(), undefined);
});

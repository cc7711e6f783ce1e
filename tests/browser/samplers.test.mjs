// js/samplers.js in headless Chromium: real performance.memory, storage estimate, wasm heap of the
// loaded core, measureUserAgentSpecificMemory on a cross-origin-isolated page, SwiftShader's
// WebGPU adapter, GPU buffer tracking on a real device, device.lost, and all of it in a worker.
// Every result goes through a real MonitorCore in the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ISOLATION_HEADERS, useBrowser, useServer } from './harness.mjs';

const b = useBrowser({ name: 'samplers' });
const isolated = useServer({ headers: ISOLATION_HEADERS });

const PAGE = '/tests/browser/pages/samplers.html';

function assertBytes(v, what) {
  assert.ok(Number.isInteger(v) && v > 0, `${what}: expected a positive byte count, got ${v}`);
}

test('memory sampler: performance.memory, wasm heap and storage estimate, into MonitorCore', async (t) => {
  const { page } = await b.open(t, PAGE);
  const r = await page.evaluate(() => window.api.memory());
  assert.equal(r.crossOriginIsolated, false);
  assert.deepEqual(r.faults, []);
  assert.deepEqual(r.rejected, []);
  assert.equal(r.running, true);
  assert.equal(r.runningAfterStop, false);
  const labels = r.samples.map((s) => s.label);
  assert.deepEqual(labels.slice(0, 2), ['before-init', 'after-init']);
  assert.equal(labels.at(-1), 'after-generation');
  assert.ok(labels.filter((l) => l === 'periodic').length >= 3);
  for (const s of r.samples) {
    assertBytes(s.usedJSHeapSize, `${s.label}.usedJSHeapSize`);
    assertBytes(s.totalJSHeapSize, `${s.label}.totalJSHeapSize`);
    assertBytes(s.jsHeapSizeLimit, `${s.label}.jsHeapSizeLimit`);
    assert.ok(s.usedJSHeapSize <= s.totalJSHeapSize && s.totalJSHeapSize <= s.jsHeapSizeLimit);
    assert.equal(s.wasmHeapBytes, r.heapU8, 'wasmHeapBytes = module.HEAPU8.length');
    assert.equal(s.wasmHeapBytes % 65536, 0, 'whole wasm pages');
    assert.ok(Number.isInteger(s.storageUsage) && s.storageUsage >= 0);
    assertBytes(s.storageQuota, `${s.label}.storageQuota`);
    assert.equal(s.userAgentBytes, undefined, 'not cross-origin isolated: no measureUserAgentSpecificMemory');
    assert.equal(s.gpuBufferBytes, undefined);
  }
  // precise memory info: 100k small objects move the heap by megabytes
  const before = r.samples[0].usedJSHeapSize;
  const after = r.samples[1].usedJSHeapSize;
  assert.ok(after - before > 2e6, `heap grew by ${after - before} bytes only`);

  // the core has them all
  assert.equal(r.memory.samples, r.samples.length);
  assert.equal(r.memory.latest.label, 'after-generation');
  assert.equal(r.memory.latest.usedJSHeapSize, r.samples.at(-1).usedJSHeapSize);
  assert.equal(r.memory.latest.wasmHeapBytes, r.heapU8);
  assert.equal(r.memory.latest.storageQuota, r.samples.at(-1).storageQuota);
  assert.equal(r.memory.latest.userAgentBytes, null);
  assert.equal(r.memory.latest.gpuBufferBytes, null);
  assert.ok(r.memory.peak.usedJSHeapSize >= after);
  assert.deepEqual(r.snapshotLabels, labels);
  t.diagnostic(
    `usedJSHeapSize ${before} -> ${after}, jsHeapSizeLimit ${r.samples[0].jsHeapSizeLimit}, wasm ${r.heapU8}, storage ${r.samples[0].storageUsage}/${r.samples[0].storageQuota}, first snapshot ${r.firstSnapshotMs.toFixed(1)} ms`,
  );
  await b.screenshot(page, 'memory');
});

test('memory sampler on a cross-origin-isolated page: userAgentBytes from measureUserAgentSpecificMemory', async (t) => {
  const { page } = await b.open(t, isolated.server.url(PAGE));
  const r = await page.evaluate(() => window.api.memory());
  assert.equal(r.crossOriginIsolated, true);
  assert.deepEqual(r.faults, []);
  // the first snapshot started the measurement without waiting for it
  assert.equal(r.samples[0].userAgentBytes, undefined);
  const last = r.samples.at(-1);
  assertBytes(last.userAgentBytes, 'userAgentBytes');
  assert.equal(r.memory.latest.userAgentBytes, last.userAgentBytes);
  // one measurement for the whole run (at most one per 30 s): every sample that has it has the same
  const values = new Set(r.samples.map((s) => s.userAgentBytes).filter((v) => v !== undefined));
  assert.equal(values.size, 1);
  t.diagnostic(`userAgentBytes ${last.userAgentBytes}, usedJSHeapSize ${last.usedJSHeapSize}, whenIdle waited ${r.idleWaitMs.toFixed(1)} ms`);
  await b.screenshot(page, 'memory-isolated');
});

test('WebGPU sampler: SwiftShader adapter, buffer tracking on a real device, device.lost, into MonitorCore', async (t) => {
  const { page } = await b.open(t, PAGE);
  const r = await page.evaluate(() => window.api.webgpu());
  assert.deepEqual(r.faults, []);
  assert.deepEqual(r.rejected, []);

  assert.equal(r.infos.length, 1);
  const info = r.infos[0];
  assert.equal(info.available, true);
  assert.equal(info.vendor, 'google');
  assert.equal(info.architecture, 'swiftshader');
  assert.equal(info.isFallbackAdapter, true);
  assert.equal(typeof info.device, 'string');
  assert.equal(typeof info.description, 'string');
  assert.ok(info.limits.maxBufferSize > 0);
  assert.ok(info.limits.maxStorageBufferBindingSize > 0);
  assert.ok(Object.keys(info.limits).length > 20, 'every adapter limit copied');
  assert.ok(Object.values(info.limits).every((v) => typeof v === 'number'));
  assert.ok(Array.isArray(info.features) && info.features.length > 0);

  assert.deepEqual(r.steps, [
    ['device created', 0],
    ['+ storage 1 MiB', 1048576],
    ['+ uniform 64 KiB', 1048576 + 65536],
    ['+ map-read 256 B (mapped at creation)', 1048576 + 65536 + 256],
    ['- storage destroyed', 65536 + 256],
    ['- storage destroyed again', 65536 + 256],
    ['device destroyed', 0],
    ['old buffers destroyed after the device', 0],
  ]);

  assert.equal(r.lost.length, 1);
  assert.equal(r.lost[0].reason, 'destroyed');
  assert.equal(r.lost[0].model, 'test-model-q4f16_1-MLC');
  assert.equal(typeof r.lost[0].message, 'string');

  const w = r.webgpu;
  assert.equal(w.available, true);
  assert.deepEqual(w.adapter, { vendor: 'google', architecture: 'swiftshader', device: info.device, description: info.description, isFallbackAdapter: true });
  assert.deepEqual(w.limits, info.limits);
  assert.deepEqual([...w.features].sort(), info.features);
  assert.equal(w.deviceLost.total, 1);
  assert.equal(w.deviceLost.recent[0].reason, 'destroyed');
  assert.equal(w.deviceLost.recent[0].message, r.lost[0].message);

  // the memory samples carried the live GPU bytes
  assert.equal(r.memory.samples, 2);
  assert.equal(r.memory.peak.gpuBufferBytes, 1048576 + 65536 + 256);
  assert.equal(r.memory.latest.gpuBufferBytes, 65536 + 256);
  t.diagnostic(
    `adapter ${JSON.stringify({ vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description })}, ${info.features.length} features, maxBufferSize ${info.limits.maxBufferSize}; start() ${r.startMs.toFixed(1)} ms; device.lost after destroy() ${r.lostMs.toFixed(1)} ms: ${JSON.stringify(r.lost[0].message)}`,
  );
  await b.screenshot(page, 'webgpu');
});

test('WebGPU sampler without navigator.gpu records available: false', async (t) => {
  const { page } = await b.open(t, PAGE);
  const r = await page.evaluate(() => window.api.webgpuUnavailable());
  assert.equal(r.infos.length, 1);
  assert.equal(r.infos[0].available, false);
  assert.equal(r.webgpu.available, false);
  assert.deepEqual(r.infos[0], { timestamp: r.infos[0].timestamp, available: false });
  // (the core keeps an adapter object of empty strings for an unavailable WebGPU)
  assert.equal(r.webgpu.adapter?.vendor ?? '', '');
});

test('samplers inside a dedicated worker: buffer tracking, memory and WebGPU samplers; the page core gets the samples', async (t) => {
  const { page } = await b.open(t, '/tests/browser/pages/samplers-worker.html');
  const r = await page.evaluate(() => window.api.run());
  const f = r.final;
  assert.deepEqual(f.faults, []);
  assert.deepEqual(r.rejected, []);
  assert.equal(f.hasPerformanceMemory, false, 'no performance.memory in workers');
  assert.equal(f.live, 4096 + 8192 + 1048576);
  assert.equal(f.afterDestroy, 8192 + 1048576, 'the second install shares the counter');
  assert.equal(f.afterDeviceDestroy, 0);
  assert.equal(f.restored, true, 'uninstall of the last handle removes the tracking');

  const samples = r.messages.filter((m) => m.type === 'memory').map((m) => m.sample);
  assert.deepEqual(
    samples.map((s) => s.label),
    ['before-init', 'after-init', 'after-generation'],
  );
  assert.deepEqual(
    samples.map((s) => s.gpuBufferBytes),
    [0, 4096 + 8192 + 1048576, 8192 + 1048576],
  );
  for (const s of samples) {
    assert.equal(s.usedJSHeapSize, undefined);
    assertBytes(s.wasmHeapBytes, 'worker wasmHeapBytes');
    assertBytes(s.storageQuota, 'worker storageQuota');
  }
  const info = r.messages.find((m) => m.type === 'webgpu').info;
  assert.equal(info.architecture, 'swiftshader');
  const lost = r.messages.filter((m) => m.type === 'deviceLost');
  assert.equal(lost.length, 1);
  assert.equal(lost[0].event.reason, 'destroyed');
  assert.equal(lost[0].event.model, 'worker-model');

  assert.equal(r.memory.samples, 3);
  assert.equal(r.memory.latest.gpuBufferBytes, 8192 + 1048576);
  assert.equal(r.memory.peak.gpuBufferBytes, 4096 + 8192 + 1048576);
  assert.equal(r.memory.latest.usedJSHeapSize, null);
  assert.equal(r.webgpu.adapter.architecture, 'swiftshader');
  assert.equal(r.webgpu.deviceLost.total, 1);
  await b.screenshot(page, 'worker');
});

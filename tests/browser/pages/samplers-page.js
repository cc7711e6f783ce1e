// The samplers on the main thread, feeding a real MonitorCore. Driven by tests/browser/samplers.test.mjs
// through window.api; each call also shows its results in the page (for the screenshots).
import { createMemorySampler, createWebGpuSampler } from '/js/samplers.js';
import { MonitorCore, loadCore } from '/js/core.js';
import { faultLog, show, table, until } from './common.js';

/**
 * Labelled snapshots around a JS allocation, then periodic samples, all into a MonitorCore.
 * On a cross-origin-isolated page the first snapshot starts measureUserAgentSpecificMemory();
 * a sample taken once it completed carries userAgentBytes.
 */
async function memory({ intervalMs = 40, periodic = 3 } = {}) {
  const module = await loadCore();
  const core = await MonitorCore.create();
  const samples = [];
  const { faults, fault } = faultLog();
  const sampler = createMemorySampler({
    intervalMs,
    record: (s) => {
      samples.push(s);
      core.recordMemorySample(s);
    },
    wasmHeapBytes: () => module.HEAPU8.length,
    fault,
  });
  const t0 = performance.now();
  await sampler.snapshot('before-init');
  const firstSnapshotMs = performance.now() - t0;
  // Never read: held to grow the JS heap, and dropped before the last snapshot.
  let junk = Array.from({ length: 100_000 }, (_, i) => ({ i, s: `item ${i}` }));
  await sampler.snapshot('after-init');
  sampler.start();
  const running = sampler.running;
  await until(() => samples.filter((s) => s.label === 'periodic').length >= periodic, 5000, 'periodic samples');
  sampler.stop();
  const t1 = performance.now();
  await sampler.whenIdle();
  const idleWaitMs = performance.now() - t1;
  await sampler.snapshot('after-generation');
  // eslint-disable-next-line no-unused-vars -- the write is the point: it lets the array go
  junk = null;
  const flushed = core.flush();
  const metrics = core.metrics();
  const snapshots = core.memorySnapshots();
  core.dispose();
  const result = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    running,
    runningAfterStop: sampler.running,
    firstSnapshotMs,
    idleWaitMs,
    heapU8: module.HEAPU8.length,
    samples,
    faults,
    rejected: flushed.rejected,
    memory: metrics.memory,
    snapshotLabels: snapshots.map((s) => s.label),
  };
  show(
    `memory sampler samples (crossOriginIsolated: ${result.crossOriginIsolated})`,
    table(samples, ['label', 'usedJSHeapSize', 'totalJSHeapSize', 'jsHeapSizeLimit', 'userAgentBytes', 'wasmHeapBytes', 'storageUsage', 'storageQuota']),
  );
  show('metrics().memory.latest', metrics.memory.latest);
  show('faults', faults);
  return result;
}

/**
 * The WebGPU sampler with buffer tracking: adapter info into the core, buffers created and
 * destroyed on a real (SwiftShader) device, a memory sample with the live GPU bytes, then the
 * device destroyed (device.lost -> recordDeviceLost).
 */
async function webgpu() {
  const core = await MonitorCore.create();
  const infos = [];
  const lost = [];
  const { faults, fault } = faultLog();
  const gpuSampler = createWebGpuSampler({
    trackBuffers: true,
    recordInfo: (i) => {
      infos.push(i);
      core.recordWebGpu(i);
    },
    recordDeviceLost: (e) => {
      lost.push(e);
      core.recordDeviceLost(e);
    },
    fault,
  });
  const memorySampler = createMemorySampler({ record: (s) => core.recordMemorySample(s), gpuBufferBytes: () => gpuSampler.gpuBufferBytes(), fault });
  const t0 = performance.now();
  await gpuSampler.start();
  const startMs = performance.now() - t0;

  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter.requestDevice();
  const steps = [['device created', gpuSampler.gpuBufferBytes()]];
  const U = GPUBufferUsage;
  const a = device.createBuffer({ size: 1 << 20, usage: U.STORAGE | U.COPY_DST });
  steps.push(['+ storage 1 MiB', gpuSampler.gpuBufferBytes()]);
  const b = device.createBuffer({ size: 65536, usage: U.UNIFORM | U.COPY_DST });
  steps.push(['+ uniform 64 KiB', gpuSampler.gpuBufferBytes()]);
  const c = device.createBuffer({ size: 256, usage: U.MAP_READ | U.COPY_DST, mappedAtCreation: true });
  steps.push(['+ map-read 256 B (mapped at creation)', gpuSampler.gpuBufferBytes()]);
  device.queue.writeBuffer(a, 0, new Float32Array(1024));
  await device.queue.onSubmittedWorkDone();
  await memorySampler.snapshot('before-generation');
  a.destroy();
  steps.push(['- storage destroyed', gpuSampler.gpuBufferBytes()]);
  a.destroy();
  steps.push(['- storage destroyed again', gpuSampler.gpuBufferBytes()]);
  await memorySampler.snapshot('after-generation');

  const watched = gpuSampler.watchDevice(device, 'test-model-q4f16_1-MLC');
  const t1 = performance.now();
  device.destroy();
  await watched;
  const lostMs = performance.now() - t1;
  steps.push(['device destroyed', gpuSampler.gpuBufferBytes()]);
  const errorsBefore = faults.length;
  b.destroy(); // buffers of a destroyed device: already released, no double count
  c.destroy();
  steps.push(['old buffers destroyed after the device', gpuSampler.gpuBufferBytes()]);

  const flushed = core.flush();
  const metrics = core.metrics();
  gpuSampler.stop();
  core.dispose();
  const result = { infos, lost, steps, startMs, lostMs, faults, errorsBefore, rejected: flushed.rejected, webgpu: metrics.webgpu, memory: metrics.memory };
  const info = infos[0];
  show('WebGPU sampler: adapter', {
    ...info,
    limits: Object.entries(info.limits)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    features: info.features.join(' '),
  });
  show('GPU buffer bytes (tracking)', steps.map(([s, n]) => `${s.padEnd(42)} ${n}`).join('\n'));
  show('device.lost -> recordDeviceLost', lost);
  show('metrics().webgpu (limits and features counted)', {
    ...metrics.webgpu,
    limits: `${Object.keys(metrics.webgpu.limits).length} limits`,
    features: `${metrics.webgpu.features.length} features`,
  });
  return result;
}

/** No WebGPU at all (navigator.gpu hidden): the sampler records available: false. */
async function webgpuUnavailable() {
  const core = await MonitorCore.create();
  const infos = [];
  const s = createWebGpuSampler({
    gpu: undefined,
    recordInfo: (i) => {
      infos.push(i);
      core.recordWebGpu(i);
    },
    recordDeviceLost() {},
  });
  await s.start();
  const metrics = core.metrics();
  core.dispose();
  return { infos, webgpu: metrics.webgpu };
}

window.api = { memory, webgpu, webgpuUnavailable };
window.ready = Promise.resolve(true);

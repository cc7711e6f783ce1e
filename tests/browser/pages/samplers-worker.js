// Module worker: GPU buffer tracking, the memory sampler and the WebGPU sampler in a worker realm.
// Posts every sample and event to the page; `done` carries the checks made here.
import { createMemorySampler, createWebGpuSampler, installGpuBufferTracking } from '/js/samplers.js';
import { loadCore } from '/js/core.js';

async function main() {
  const module = await loadCore();
  const tracking = installGpuBufferTracking(self);
  const again = installGpuBufferTracking(self); // idempotent: shares the counter
  const faults = [];
  const fault = (where, err) => faults.push(`${where}: ${err && err.name}: ${err && err.message}`);
  const sampler = createMemorySampler({
    record: (sample) => postMessage({ type: 'memory', sample }),
    wasmHeapBytes: () => module.HEAPU8.length,
    gpuBufferBytes: () => tracking.bytes(),
    fault,
  });
  const gpuSampler = createWebGpuSampler({
    recordInfo: (info) => postMessage({ type: 'webgpu', info }),
    recordDeviceLost: (event) => postMessage({ type: 'deviceLost', event }),
    fault,
  });
  await sampler.snapshot('before-init');
  await gpuSampler.start();
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter.requestDevice();
  const watched = gpuSampler.watchDevice(device, 'worker-model');
  const bufs = [4096, 8192, 1 << 20].map((size) => device.createBuffer({ size, usage: GPUBufferUsage.STORAGE }));
  await sampler.snapshot('after-init');
  const live = tracking.bytes();
  bufs[0].destroy();
  const afterDestroy = again.bytes();
  await sampler.snapshot('after-generation');
  device.destroy();
  await watched;
  const afterDeviceDestroy = tracking.bytes();
  again.uninstall();
  tracking.uninstall();
  const restored = !Object.getOwnPropertySymbols(GPUDevice.prototype).some((s) => s.description === 'webllm-monitor.gpuBufferTracking');
  postMessage({
    type: 'done',
    live,
    liveBuffers: 3,
    afterDestroy,
    afterDeviceDestroy,
    restored,
    faults,
    hasPerformanceMemory: Boolean(performance.memory),
    crossOriginIsolated: self.crossOriginIsolated,
  });
}

onmessage = () => {
  main().catch((err) => postMessage({ type: 'error', message: `${err && err.name}: ${err && err.message}\n${err && err.stack}` }));
};

// Samplers: memory (JS heap, user-agent memory, wasm heap, GPU buffers, storage) and WebGPU
// (adapter information, device loss, live GPU buffer bytes). They measure and forward; the core
// computes. Every sampler swallows its own faults and reports them through `fault(where, err)`:
// a monitoring failure never throws into the app it monitors.
//
// Works in windows, dedicated workers (performance.memory and measureUserAgentSpecificMemory are
// absent there: those fields stay undefined) and Node (only what the callbacks give).
//
// One module per sampler, in js/samplers/: memory.js, webgpu.js, gpu-buffers.js (the buffer
// tracking the WebGPU sampler installs), shared.js. Plain ES modules, no transpile step.

export { createMemorySampler } from './samplers/memory.js';
export { createWebGpuSampler } from './samplers/webgpu.js';
export { installGpuBufferTracking } from './samplers/gpu-buffers.js';

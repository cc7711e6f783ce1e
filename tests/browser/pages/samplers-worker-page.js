// Runs the samplers inside a dedicated module worker (as for a WebLLM worker engine) and feeds what
// the worker posts into a MonitorCore on the main thread. Driven by tests/browser/samplers.test.mjs.
import { MonitorCore } from '/js/core.js';
import { show, table } from './common.js';

async function run() {
  const core = await MonitorCore.create();
  const worker = new Worker(new URL('./samplers-worker.js', import.meta.url), { type: 'module' });
  const messages = [];
  const done = new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      messages.push(data);
      if (data.type === 'memory') core.recordMemorySample(data.sample);
      else if (data.type === 'webgpu') core.recordWebGpu(data.info);
      else if (data.type === 'deviceLost') core.recordDeviceLost(data.event);
      else if (data.type === 'done') resolve(data);
      else if (data.type === 'error') reject(new Error(`worker: ${data.message}`));
    };
    worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
  });
  worker.postMessage('go');
  const final = await done;
  worker.terminate();
  const flushed = core.flush();
  const metrics = core.metrics();
  const snapshots = core.memorySnapshots();
  core.dispose();
  show(
    'memory samples posted by the worker',
    table(
      messages.filter((m) => m.type === 'memory').map((m) => m.sample),
      ['label', 'usedJSHeapSize', 'wasmHeapBytes', 'gpuBufferBytes', 'storageUsage', 'storageQuota'],
    ),
  );
  show(
    'other messages from the worker',
    messages
      .filter((m) => m.type !== 'memory')
      .map((m) => (m.type === 'webgpu' ? { type: m.type, vendor: m.info.vendor, architecture: m.info.architecture, features: m.info.features.length } : m)),
  );
  show('main-thread metrics().memory.latest / webgpu.deviceLost', { latest: metrics.memory.latest, deviceLost: metrics.webgpu.deviceLost });
  return { messages, final, rejected: flushed.rejected, memory: metrics.memory, webgpu: metrics.webgpu, snapshots };
}

window.api = { run };
window.ready = Promise.resolve(true);

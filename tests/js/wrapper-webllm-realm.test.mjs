// The wrapper against WebLLM's classes that need browser globals, faked in this process only:
// the extension service worker engine (chrome.runtime ports, navigator.gpu for the handler's
// "Already loaded" answer) and GPU buffer tracking (GPUDevice, GPUBuffer) with a real
// MLCEngine whose unload destroys its device, as WebLLM's runtime does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExtensionServiceWorkerMLCEngine, ExtensionServiceWorkerMLCEngineHandler } from '@mlc-ai/web-llm';
import { createMonitor } from '../../js/index.js';
import { wrapEngine } from '../../js/wrapper.js';
import { collect, makeHooks, ask } from './helpers.mjs';
import { loseDevice, macrotask, patchedMLCEngine } from './webllm-fakes.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
class FakeGPUBuffer {
  constructor(size) {
    this.size = size;
  }
  destroy() {}
}
class FakeGPUDevice {
  constructor() {
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
  }
  createBuffer(descriptor) {
    return new FakeGPUBuffer(descriptor.size);
  }
  destroy() {
    this.resolveLost({ reason: 'destroyed', message: 'Device was destroyed.' });
  }
  pushErrorScope() {}
  async popErrorScope() {
    return null;
  }
}
const limits = {
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 30,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBuffersPerShaderStage: 10,
  maxComputeInvocationsPerWorkgroup: 1024,
};
const adapter = {
  limits,
  features: new Set(),
  info: { vendor: 'fake', architecture: '', device: '', description: 'Fake Adapter', isFallbackAdapter: false },
  requestDevice: async () => new FakeGPUDevice(),
};
globalThis.navigator = { gpu: { requestAdapter: async () => adapter } };
globalThis.GPUDevice = FakeGPUDevice;
globalThis.GPUBuffer = FakeGPUBuffer;

/** Two connected chrome.runtime ports, messages delivered asynchronously. */
function portPair() {
  const make = () => ({ message: [], disconnect: [], onMessage: null, onDisconnect: null, postMessage: null });
  const a = make();
  const b = make();
  for (const [self, other] of [
    [a, b],
    [b, a],
  ]) {
    self.onMessage = { addListener: (f) => self.message.push(f) };
    self.onDisconnect = { addListener: (f) => self.disconnect.push(f) };
    self.postMessage = (msg) => {
      const copy = structuredClone(msg);
      setTimeout(() => other.message.forEach((f) => f(copy)), 0);
    };
    self.disconnectNow = () => self.disconnect.forEach((f) => f());
  }
  return [a, b];
}

/** WebLLM's extension service worker client and handler over a port pair; the handler runs `backend`. */
function serviceWorkerPair(backend) {
  const [clientPort, workerPort] = portPair();
  globalThis.chrome = { runtime: { connect: () => clientPort } };
  const handler = new ExtensionServiceWorkerMLCEngineHandler(workerPort);
  handler.engine = backend;
  backend.setInitProgressCallback((report) => handler.postMessage({ kind: 'initProgressCallback', uuid: '', content: report }));
  workerPort.onMessage.addListener(handler.onmessage.bind(handler));
  const client = new ExtensionServiceWorkerMLCEngine({}, 3_600_000);
  return { client, close: () => clientPort.disconnectNow() }; // clears the client's keep-alive timer
}

test('service worker: a reload the handler skips ("Already loaded") is not recorded as a load', async () => {
  const { client, close } = serviceWorkerPair(patchedMLCEngine({}, () => ({ words: 3 })));
  try {
    const texts = [];
    client.setInitProgressCallback((r) => texts.push(r.text));
    const { hooks, log } = makeHooks();
    const engine = wrapEngine(client, hooks);
    await engine.reload(LLAMA);
    assert.equal(log.loads.length, 1);
    await engine.reload(LLAMA); // another tab, or the page reloaded: the worker has it loaded
    await macrotask();
    assert.deepEqual(texts.slice(3), ['Finish loading on WebGPU - Fake Adapter'], 'the handler skipped the load');
    assert.equal(log.loads.length, 1, 'no near-0 ms load');
    assert.deepEqual(
      log.loadFinished.map((l) => l.ok),
      [true, true],
      'the model is loaded all the same',
    );
    const chunks = await collect(await engine.chat.completions.create(ask('hi', { stream: true })));
    assert.ok(chunks.every((c) => c.choices.length === 1));
    assert.equal(log.generations[0].model, LLAMA);
    assert.deepEqual(log.faults, []);
  } finally {
    close();
  }
});

test('gpuBuffers: the device an unload destroys is not a device loss; a real loss still is', async () => {
  const out = [];
  const logger = Object.fromEntries(['debug', 'info', 'warn', 'error', 'log'].map((level) => [level, (...args) => out.push([level, String(args[0])])]));
  const monitor = await createMonitor({ memory: false, gpuBuffers: true, logger });
  const devices = [];
  const raw = patchedMLCEngine({}, () => {
    const device = new FakeGPUDevice();
    devices.push(device);
    return { words: 3, device };
  });
  const engine = monitor.wrap(raw);
  const lost = () => monitor.getMetrics().webgpu.deviceLost.total;
  const lostLogs = () => out.filter(([level, text]) => level === 'error' && /device lost/i.test(text)).length;

  await engine.reload(LLAMA);
  await engine.chat.completions.create(ask('x'));
  await engine.unload(); // MLCEngine.unload() destroys the device
  await macrotask();
  await engine.reload(LLAMA); // reload() unloads first: nothing loaded, nothing destroyed
  await engine.reload(LLAMA); // destroys the previous model's device
  await macrotask();
  assert.equal(devices.length, 3);
  assert.equal(lost(), 0, 'expected destroys are not counted');
  assert.equal(lostLogs(), 0, 'nor logged as errors');

  // A device lost for real (reason "unknown"), then WebLLM unloads: one loss, logged.
  devices[2].resolveLost({ reason: 'unknown', message: 'GPU connection lost' });
  await loseDevice(raw);
  await macrotask();
  assert.equal(lost(), 1);
  assert.equal(lostLogs(), 1);
  // A device the load destroys itself (WebLLM does on an out-of-memory error) is a loss.
  const oom = patchedMLCEngine({}, () => {
    const device = new FakeGPUDevice();
    device.createBuffer({ size: 1 });
    device.destroy();
    return { words: 3 };
  });
  await monitor.wrap(oom).reload(LLAMA);
  await macrotask();
  assert.equal(lost(), 2);
  await monitor.dispose();
});

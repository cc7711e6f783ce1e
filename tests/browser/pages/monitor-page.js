// The package as a web app uses it: createMonitor, createEngine over the simulated WebLLM engine,
// streamed chats with type tags, the console commands, a download. Driven by
// tests/browser/monitor.test.mjs through window.api.
import { createMonitor } from '/js/index.js';
import { CreateSimulatedMLCEngine } from '/js/simulated-engine.js';
import { show } from './common.js';

const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
let monitor = null;
let engine = null;
const progressSeen = [];

async function chat(text, extra = {}) {
  const chunks = await engine.chat.completions.create({
    messages: [{ role: 'user', content: text }],
    stream: true,
    max_tokens: 24,
    ...extra,
  });
  let reply = '';
  let last = null;
  for await (const chunk of chunks) {
    last = chunk;
    reply += chunk.choices[0]?.delta?.content ?? '';
  }
  return { reply, lastChoices: last?.choices?.length ?? -1 };
}

window.api = {
  async start() {
    monitor = await createMonitor({ debug: true, sampleIntervalMs: 100, gpuBuffers: true, defaultType: 'chat' });
    monitor.installConsole();
    const t0 = performance.now();
    engine = await monitor.createEngine(CreateSimulatedMLCEngine, MODEL, {
      timeScale: 0.01,
      seed: 7,
      initProgressCallback: (r) => progressSeen.push(r.text),
    });
    return { createEngineMs: performance.now() - t0, progressSeen: progressSeen.length, status: monitor.getStatus() };
  },
  async workload(n) {
    const replies = [];
    for (let i = 0; i < n; i++) replies.push(await chat(`question ${i}`));
    replies.push(await chat('summarize this', { monitorType: 'enhance_summary' }));
    replies.push(await monitor.withType('translate', () => chat('translate this')));
    await engine.reload(MODEL); // second load: from the simulated browser cache
    await new Promise((r) => setTimeout(r, 250)); // a couple of memory samples
    const metrics = monitor.getMetrics();
    show('status', monitor.getStatus());
    show('report', monitor.printMetrics());
    return { replies, metrics };
  },
  injectDeviceLost() {
    const err = 'DeviceLostError: WebGPU device was lost. This can happen due to insufficient memory.';
    return monitor.recordGeneration({ model: MODEL, durationMs: 500, error: err, type: 'chat' });
  },
  exportCSV: () => monitor.exportCSV(),
  /** A monitor persisted in localStorage: records `n` generations (0: only restores), then closes. */
  async persisted(n, key) {
    const m = await createMonitor({ persist: 'localStorage', persistKey: key, sampleIntervalMs: 0, webgpu: false });
    const restored = m.getMetrics().generations.total;
    for (let i = 0; i < n; i++) m.recordGeneration({ model: MODEL, durationMs: 100 + i, ttftMs: 10 + i });
    const total = m.getMetrics().generations.total;
    const warnings = m.logEntries.filter((e) => e.level === 'warn').map((e) => e.message);
    await m.dispose(); // saves a last time
    return { restored, total, warnings, stored: localStorage.getItem(key)?.length ?? 0 };
  },
  /** Runs a monitor in a module worker and returns what it reports. */
  inWorker() {
    const worker = new Worker('./monitor-worker.js', { type: 'module' });
    return new Promise((resolve) => {
      worker.onmessage = (e) => {
        resolve(e.data);
        worker.terminate();
      };
      worker.onerror = (e) => resolve({ ok: false, error: e.message });
      worker.postMessage('go');
    });
  },
};
window.ready = Promise.resolve();

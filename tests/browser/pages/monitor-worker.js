// createMonitor inside a dedicated Web Worker (module worker): the core loads there, a wrapped
// simulated engine runs, and the metrics go back to the page.
import { createMonitor } from '/js/index.js';
import { CreateSimulatedMLCEngine } from '/js/simulated-engine.js';

self.onmessage = async () => {
  try {
    const monitor = await createMonitor({ sampleIntervalMs: 50 });
    const engine = await monitor.createEngine(CreateSimulatedMLCEngine, 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', { timeScale: 0.01 });
    for (let i = 0; i < 3; i++) {
      const stream = await engine.chat.completions.create({ messages: [{ role: 'user', content: `q${i}` }], stream: true });
      for await (const chunk of stream) void chunk;
    }
    await new Promise((r) => setTimeout(r, 120));
    self.postMessage({ ok: true, metrics: monitor.getMetrics(), downloaded: monitor.downloadMetrics() });
    await monitor.dispose();
  } catch (err) {
    self.postMessage({ ok: false, error: `${err?.name}: ${err?.message}` });
  }
};

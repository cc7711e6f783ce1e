// The integration that the README showed before its blocks were compiled by
// tests/js/readme.test.mjs, kept as a check against the real @mlc-ai/web-llm: an app's own UI
// functions and conversation (showProgress, messages, render; declared in app.d.ts) typed by
// WebLLM's types.
import { createMonitor } from 'webllm-monitor';
import { CreateMLCEngine, hasModelInCache } from '@mlc-ai/web-llm';

const monitor = await createMonitor({ debug: false, hasModelInCache });
const engine = await monitor.createEngine(CreateMLCEngine, 'Llama-3.2-1B-Instruct-q4f16_1-MLC', {
  initProgressCallback: (report) => showProgress(report),   // still called
});
monitor.installConsole();            // webllmMonitor.printMetrics() in DevTools

// Use the engine exactly as before; every call is measured.
const stream = await engine.chat.completions.create({ messages, stream: true, monitorType: 'enhance_summary' });
for await (const chunk of stream) render(chunk);

monitor.getMetrics().generations.ttftMs.p95;   // or monitor.downloadMetrics()

// The README's Quick start as written, against the real @mlc-ai/web-llm. The README's names that
// the block leaves to the app (showProgress, messages, render) are declared in app.d.ts.
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

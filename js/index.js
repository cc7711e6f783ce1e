// webllm-monitor: performance monitoring for WebLLM in the browser. The package root.
//
//   import { createMonitor } from 'webllm-monitor';
//   const monitor = await createMonitor({ debug: true });
//   const engine = await monitor.createEngine(CreateMLCEngine, 'Llama-3.2-1B-Instruct-q4f16_1-MLC');
//   monitor.installConsole();   // then webllmMonitor.printMetrics() in the console

export { createMonitor, Monitor, CSV_COLUMNS } from './monitor.js';
export { CoreError, MonitorCore, loadCore, reportFromExport, schemaVersion } from './core.js';
export { classifyError } from './wrapper.js';
export { installGpuBufferTracking } from './samplers.js';

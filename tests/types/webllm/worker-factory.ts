// A worker engine created through the monitor: the factory's parameters take WebLLM's types
// from createEngine, without annotations.
import { createMonitor } from 'webllm-monitor';
import {
  CreateWebWorkerMLCEngine,
  type ChatOptions,
  type MLCEngineConfig,
  type WebWorkerMLCEngine,
} from '@mlc-ai/web-llm';

declare const worker: Worker;

const monitor = await createMonitor();
const engine: WebWorkerMLCEngine = await monitor.createEngine(
  (id, cfg, opts) => CreateWebWorkerMLCEngine(worker, id, cfg, opts),
  'Llama-3.2-1B-Instruct-q4f16_1-MLC',
  { initProgressCallback: (report) => console.log(report.progress, report.text) },
  { context_window_size: 2048 },
);
void engine;

await monitor.createEngine(
  (id, cfg, opts) => {
    const config: MLCEngineConfig | undefined = cfg;
    const options: ChatOptions | ChatOptions[] | undefined = opts;
    // @ts-expect-error the engine config is WebLLM's MLCEngineConfig, not anything
    const wrong: number | undefined = cfg;
    void wrong;
    return CreateWebWorkerMLCEngine(worker, id, config, options);
  },
  'Llama-3.2-1B-Instruct-q4f16_1-MLC',
);

await monitor.createEngine(
  (id, cfg, opts) => CreateWebWorkerMLCEngine(worker, id, cfg, opts),
  'Llama-3.2-1B-Instruct-q4f16_1-MLC',
  // @ts-expect-error not a field of MLCEngineConfig
  { initProgressCallbak: () => {} },
);

// The real @mlc-ai/web-llm MLCEngine, wrapped. No model weights can be fetched here, so the loads
// fail; the test checks that each failure is recorded under WebLLM's error name and that the app
// receives the very error WebLLM threw.
import * as webllm from '/node_modules/@mlc-ai/web-llm/lib/index.js';
import { createMonitor } from '/js/index.js';
import { show } from './common.js';

/** A model whose files are not on this server (every URL answers 404). */
const MISSING = 'Missing-Model-q4f16_1-MLC';
const appConfig = {
  model_list: [
    {
      model: `${location.origin}/no-such-dir/${MISSING}/`,
      model_id: MISSING,
      model_lib: `${location.origin}/no-such-dir/${MISSING}.wasm`,
      vram_required_MB: 100,
      low_resource_required: true,
      overrides: { context_window_size: 512 },
    },
  ],
  useIndexedDBCache: false,
};

let monitor;

/** Loads `modelId` through a wrapped MLCEngine; returns what the app saw and what WebLLM threw. */
async function loadThroughWrapper(modelId, config) {
  const engine = new webllm.MLCEngine({ appConfig: config });
  let thrownByWebLLM = null;
  const realReload = engine.reload.bind(engine);
  engine.reload = async (...args) => {
    try {
      return await realReload(...args);
    } catch (err) {
      thrownByWebLLM = err;
      throw err;
    }
  };
  const wrapped = monitor.wrap(engine);
  try {
    await wrapped.reload(modelId);
    return { threw: false };
  } catch (err) {
    return { threw: true, same: err === thrownByWebLLM, name: err?.name, message: String(err?.message ?? err) };
  }
}

window.api = {
  async run() {
    monitor = await createMonitor({ hasModelInCache: webllm.hasModelInCache, sampleIntervalMs: 0 });
    const notInConfig = await loadThroughWrapper('No-Such-Model-MLC', webllm.prebuiltAppConfig);
    const missingFiles = await loadThroughWrapper(MISSING, appConfig);
    const metrics = monitor.getMetrics();
    show('not in the app config', notInConfig);
    show('files missing', missingFiles);
    show('errors recorded', metrics.errors);
    return { notInConfig, missingFiles, metrics, status: monitor.getStatus() };
  },
};
window.ready = Promise.resolve();

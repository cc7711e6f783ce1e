// Loading (MLCEngine.reload): the models one after the other, with WebLLM's progress texts in
// WebLLM's order, through the shared browser cache; unloading.

import { makeRandom } from '../random.js';
import { SimulatedErrors, simulatedError } from './errors.js';
import { CustomLock } from './lock.js';
import { browserCache, modelProfile, SHARD_BYTES } from './models.js';
import { mix, Timeline } from './time.js';

/** What a reload interrupted by unload() (or another reload) throws to its own loop. */
const ABORTED = Symbol('reload aborted');

/** reload(): unloads, checks the arguments, then loads each model; unload() during it makes it return. */
export async function reloadModels(engine, modelId, chatOpts) {
  await unloadModels(engine);
  const ids = Array.isArray(modelId) ? modelId : [modelId];
  const opts = chatOpts !== undefined && !Array.isArray(chatOpts) ? [chatOpts] : chatOpts;
  if (opts !== undefined && ids.length !== opts.length) throw new SimulatedErrors.ReloadArgumentSizeUnmatchedError(ids.length, opts.length);
  if (new Set(ids).size < ids.length) throw new SimulatedErrors.ReloadModelIdNotUniqueError(ids);
  const controller = { aborted: false };
  engine._reloadController = controller;
  try {
    for (let i = 0; i < ids.length; i++) await loadModel(engine, ids[i], opts ? opts[i] : undefined, controller);
  } catch (err) {
    if (err === ABORTED) return; // WebLLM: log.warn("Reload() is aborted.") and return
    throw err;
  } finally {
    if (engine._reloadController === controller) engine._reloadController = undefined;
  }
}

/** One model: fetched (what the cache lacks), loaded from the cache, its shaders compiled. */
async function loadModel(engine, modelId, chatOpts, controller) {
  const loadIndex = ++engine._loads;
  const rand = makeRandom(mix(mix(engine._seed, 0x10ad), loadIndex));
  const t = new Timeline(engine._timeScale);
  const record = engine._record(modelId);
  const profile = modelProfile(modelId, record, engine._models[modelId]);
  if (chatOpts && typeof chatOpts.context_window_size === 'number' && chatOpts.context_window_size > 0) profile.contextWindow = chatOpts.context_window_size;
  const checkAbort = () => {
    if (controller.aborted) throw ABORTED;
  };
  const totalBytes = Math.round(profile.paramsMB * 1048576);
  const nShards = Math.max(1, Math.ceil(totalBytes / SHARD_BYTES));
  const shardBytes = (i) => (i < nShards - 1 ? SHARD_BYTES : totalBytes - SHARD_BYTES * (nShards - 1));
  let entry = browserCache.get(modelId);
  const cacheOnly = entry !== undefined && entry.cachedShards >= entry.shards;

  // Config, model library (wasm), tokenizer, GPU detection: no progress texts.
  await t.advance(rand.lognormal(cacheOnly ? 180 : 900, 0.3));
  checkAbort();
  const fault = engine._faults.loadError;
  const faultName = fault === undefined || fault === null ? undefined : typeof fault === 'string' ? fault : (fault.name ?? 'Error');
  if (faultName !== undefined && faultName !== 'DeviceLostError') {
    const err = fault instanceof Error ? fault : simulatedError(faultName, typeof fault === 'object' ? fault.message : undefined);
    throw err;
  }
  // tvm.registerInitProgressCallback(this.initProgressCallback): captured now.
  const tvmCallback = engine.initProgressCallback;
  const report = (r) => {
    if (tvmCallback !== undefined) tvmCallback(r);
  };
  const gpuLabel =
    'WebGPU - ' + (engine._adapter.description && engine._adapter.description.length !== 0 ? engine._adapter.description : engine._adapter.vendor);

  // fetchTensorCacheInternal
  const fetchStart = t.elapsedMs();
  const secs = () => Math.ceil((t.elapsedMs() - fetchStart) / 1000);
  let fetchedBytes = 0;
  report({ progress: 0, timeElapsed: 0, text: 'Start to fetch params' });
  if (!cacheOnly) {
    if (entry === undefined) {
      entry = { shards: nShards, cachedShards: 0, bytes: totalBytes };
      browserCache.set(modelId, entry);
    }
    const mbPerSec = rand.lognormal(35, 0.35);
    for (let i = 0; i < nShards; i++) {
      await t.advance((shardBytes(i) / 1048576 / mbPerSec) * 1000);
      checkAbort();
      entry.cachedShards = Math.max(entry.cachedShards, i + 1);
      fetchedBytes += shardBytes(i);
      let text = 'Fetching param cache[' + (i + 1) + '/' + nShards + ']: ';
      text += Math.ceil(fetchedBytes / (1024 * 1024)).toString() + 'MB fetched. ';
      text += Math.floor((fetchedBytes * 100) / totalBytes).toString() + '% completed, ';
      text += secs() + ' secs elapsed.';
      text += ' It can take a while when we first visit this page to populate the cache.';
      text += ' Later refreshes will become faster.';
      report({ progress: fetchedBytes / totalBytes, timeElapsed: secs(), text });
    }
  }
  fetchedBytes = 0;
  const loadMBps = rand.lognormal(700, 0.25);
  for (let i = 0; i < nShards; i++) {
    await t.advance((shardBytes(i) / 1048576 / loadMBps) * 1000);
    checkAbort();
    fetchedBytes += shardBytes(i);
    let text = 'Loading model from cache[' + (i + 1) + '/' + nShards + ']: ';
    text += Math.ceil(fetchedBytes / (1024 * 1024)).toString() + 'MB loaded. ';
    text += Math.floor((fetchedBytes * 100) / totalBytes).toString() + '% completed, ';
    text += secs() + ' secs elapsed.';
    report({ progress: fetchedBytes / totalBytes, timeElapsed: secs(), text });
  }

  // asyncLoadWebGPUPipelines: a report at most every second, and the last one.
  const nShaders = profile.shaders;
  const shaderStart = t.elapsedMs();
  let lastReport = shaderStart;
  const perShader = rand.lognormal(1400, 0.3) / nShaders;
  for (let k = 1; k <= nShaders; k++) {
    await t.advance(perShader);
    const tend = t.elapsedMs();
    if (tend - lastReport < 1000 && k !== nShaders) continue;
    lastReport = tend;
    const timeElapsed = Math.ceil((tend - shaderStart) / 1000);
    const progress = k / nShaders;
    let text = 'Loading GPU shader modules[' + k + '/' + nShaders + ']: ';
    text += Math.floor(progress * 100).toString() + '% completed, ';
    text += timeElapsed + ' secs elapsed.';
    report({ progress, timeElapsed, text });
  }
  checkAbort();

  const pipeline = {
    id: modelId,
    profile,
    lock: new CustomLock(),
    conversation: null,
    finishReason: undefined,
    message: '',
    disposed: false,
    stats: { prefillTokens: 0, prefillS: 0, decodeTokens: 0, decodeS: 0 },
  };
  engine.loadedModelIdToPipeline.set(modelId, pipeline);
  if (engine.initProgressCallback !== undefined)
    engine.initProgressCallback({ progress: 1, timeElapsed: t.elapsedMs() / 1e3, text: 'Finish loading on ' + gpuLabel });
  if (faultName === 'DeviceLostError') {
    // The device.lost handler unloads; reload() then throws DeviceLostError.
    engine._deviceLost();
    throw fault instanceof Error ? fault : simulatedError('DeviceLostError', typeof fault === 'object' ? fault.message : undefined);
  }
}

/** Unloads every model; a reload in progress returns without throwing. */
export async function unloadModels(engine) {
  for (const pipeline of engine.loadedModelIdToPipeline.values()) pipeline.disposed = true;
  if (engine.loadedModelIdToPipeline.size > 0) await null;
  engine.loadedModelIdToPipeline.clear();
  if (engine._reloadController) {
    engine._reloadController.aborted = true;
    engine._reloadController = undefined;
  }
}

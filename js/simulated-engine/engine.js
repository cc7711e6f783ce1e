// The simulated MLCEngine: its configuration and simulation controls, and WebLLM's methods, each
// run by the module of its part (loading, responses, resume, worker) or here.

import { describeValue } from '../log.js';
import { makeRandom } from '../random.js';
import { SimulatedErrors, simulatedError } from './errors.js';
import { maxTokensOf, replyTokensOf } from './generation.js';
import { reloadModels, unloadModels } from './loading.js';
import { browserCache, modelProfile } from './models.js';
import { getModelIdToUse } from './requests.js';
import { embed, generate } from './responses.js';
import { resumeChat } from './resume.js';
import { clearSessions, deleteSession, listSessions } from './sessions.js';
import { mix, Timeline } from './time.js';
import { asWorker, workerClientCheck, workerResult } from './worker.js';

/**
 * A simulated MLCEngine. `engineConfig` takes WebLLM's fields (`initProgressCallback`,
 * `appConfig`, `logLevel`, `logitProcessorRegistry`) and the simulation's: `seed`, `timeScale`,
 * `medianTokens`, `reply`, `faults`, `worker`, `adapter`, `models`, `maxStorageBufferBindingSize`.
 */
export class SimulatedMLCEngine {
  /** @param {import('../simulated-engine.js').SimulatedEngineConfig} [engineConfig] */
  constructor(engineConfig = {}) {
    const c = engineConfig ?? {};
    const timeScale = c.timeScale ?? 1;
    if (typeof timeScale !== 'number' || !(timeScale >= 0) || !Number.isFinite(timeScale))
      throw new TypeError(`SimulatedMLCEngine: timeScale: expected a finite number >= 0, got ${describeValue(timeScale)}`);
    const seed = c.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError(`SimulatedMLCEngine: seed: expected an integer, got ${describeValue(seed)}`);
    /** @internal */ this._timeScale = timeScale;
    /** @internal */ this._seed = seed >>> 0;
    /** @internal */ this._worker = c.worker === true;
    /** @internal */ this._interruptSignal = false;
    this._faults = {};
    this.setFaults(c.faults ?? {});
    this._adapter = { vendor: 'simulated', architecture: 'simulated', description: 'Simulated WebGPU Adapter', ...(c.adapter ?? {}) };
    this._models = c.models ?? {};
    this._medianTokens = c.medianTokens ?? 60;
    if (c.reply !== undefined && typeof c.reply !== 'function')
      throw new TypeError(`SimulatedMLCEngine: reply: expected a function (request) => string, got ${describeValue(c.reply)}`);
    /** @internal */ this._reply = c.reply;
    this._maxStorageBufferBindingSize = c.maxStorageBufferBindingSize ?? 2147483644;
    this._requests = 0;
    this._generations = 0;
    this._loads = 0;
    /** @type {Map<string, any>} */
    this.loadedModelIdToPipeline = new Map();
    this._reloadController = undefined;
    this.modelId = undefined;
    this.appConfig = c.appConfig;
    this.logLevel = c.logLevel ?? 'WARN';
    this.initProgressCallback = undefined;
    this.setInitProgressCallback(c.initProgressCallback);
    this.logitProcessorRegistry = c.logitProcessorRegistry;

    const engine = this;
    this.chat = { completions: { create: (request) => engine.chatCompletion(request) } };
    this.completions = { create: (request) => engine.completion(request) };
    this.embeddings = { create: (request) => engine.embedding(request) };
  }

  // -------------------------------------------------------------------------------------------
  // Simulation controls (not in WebLLM)

  /** Empties the simulated browser cache shared by every simulated engine. */
  static clearCache() {
    browserCache.clear();
  }

  /** Empties the simulated store of resumable sessions (WebLLM's OPFS), shared by every simulated engine. */
  static clearResumableSessions() {
    clearSessions();
  }

  /** The model ids whose weights are all in the simulated browser cache. */
  static cachedModels() {
    return [...browserCache].filter(([, e]) => e.cachedShards >= e.shards).map(([id]) => id);
  }

  /** A model's simulated profile: size, GPU memory estimate (vram_required_MB), speeds. */
  modelInfo(modelId) {
    const p = modelProfile(modelId, this._record(modelId, false), this._models[modelId]);
    return {
      modelId,
      vramRequiredMB: p.vramMB,
      paramsBytes: p.paramsMB * 1048576,
      embedding: p.embedding === true,
      decodeTokensPerSec: p.decodeTps,
      prefillTokensPerSec: p.prefillTps,
    };
  }

  /** Replaces the fault injection settings (see the constructor's `faults`). */
  setFaults(faults) {
    const f = faults ?? {};
    for (const key of ['errorRate', 'abortRate']) {
      if (f[key] !== undefined && !(typeof f[key] === 'number' && f[key] >= 0 && f[key] <= 1))
        throw new TypeError(`SimulatedMLCEngine: faults.${key}: expected a number in [0, 1], got ${describeValue(f[key])}`);
    }
    this._faults = { ...f };
  }

  // -------------------------------------------------------------------------------------------
  // Setters and getters

  setAppConfig(appConfig) {
    this.appConfig = appConfig;
  }

  setInitProgressCallback(initProgressCallback) {
    this.initProgressCallback = initProgressCallback;
  }

  getInitProgressCallback() {
    return this.initProgressCallback;
  }

  setLogLevel(logLevel) {
    this.logLevel = logLevel;
  }

  setLogitProcessorRegistry(logitProcessorRegistry) {
    this.logitProcessorRegistry = logitProcessorRegistry;
  }

  // -------------------------------------------------------------------------------------------
  // Loading

  /** @internal the model record from appConfig (ModelNotFoundError when an appConfig lacks it). */
  _record(modelId, strict = true) {
    const list = this.appConfig?.model_list;
    if (!Array.isArray(list)) return undefined;
    const record = list.find((r) => r && r.model_id == modelId);
    if (record === undefined && strict) throw new SimulatedErrors.ModelNotFoundError(modelId);
    return record;
  }

  /**
   * Loads `modelId` (or several, one after the other), after unloading what is loaded.
   * @param {string | string[]} modelId
   * @param {object | object[]} [chatOpts]
   */
  reload(modelId, chatOpts) {
    return this._worker
      ? asWorker(reloadModels(this, modelId, chatOpts), () => {
          this.modelId = Array.isArray(modelId) ? modelId : [modelId];
        })
      : reloadModels(this, modelId, chatOpts);
  }

  /** Unloads every model; a reload in progress returns without throwing. */
  unload() {
    return this._worker
      ? asWorker(unloadModels(this), () => {
          this.modelId = undefined;
        })
      : unloadModels(this);
  }

  /**
   * Loses the simulated GPU device now, between or during generations (a simulation control):
   * as WebLLM's `device.lost` handler does, every model is unloaded; a running generation fails
   * at its next step; later calls fail with ModelNotLoadedError (in worker mode, a string from
   * "the worker", whose client still believes the model is loaded). Calls `faults.onDeviceLost`.
   */
  loseDevice() {
    this._deviceLost();
  }

  /** @internal a lost GPU device after loading: the models are unloaded (the engine stays). */
  _deviceLost() {
    for (const pipeline of this.loadedModelIdToPipeline.values()) pipeline.disposed = true;
    this.loadedModelIdToPipeline.clear();
    const cb = this._faults.onDeviceLost;
    if (typeof cb === 'function') {
      try {
        cb({ reason: 'unknown', message: 'Simulated: the GPU device was lost.' });
      } catch {
        // the callback's own problem
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Generation

  /** @internal */
  _states(requestName, wantEmbedding, requestModel) {
    const loaded = [...this.loadedModelIdToPipeline.keys()];
    const id = getModelIdToUse(loaded, requestModel, requestName);
    const pipeline = this.loadedModelIdToPipeline.get(id);
    if (!wantEmbedding && pipeline.profile.embedding) throw new SimulatedErrors.IncorrectPipelineLoadedError(id, 'LLMChatPipeline', requestName);
    if (wantEmbedding && !pipeline.profile.embedding) throw new SimulatedErrors.IncorrectPipelineLoadedError(id, 'EmbeddingPipeline', requestName);
    return pipeline;
  }

  /**
   * @internal the plan of one generation, drawn when the request is made (call order). A resumed
   * session gives its reply's text state and tokens so far; the faults are drawn for what is left.
   */
  _plan(request, resumed) {
    const n = ++this._generations;
    const rand = makeRandom(mix(mix(this._seed, 0x6e4), n));
    const f = this._faults;
    let textRand, textTokens, replyTokens, maxTokens;
    let from = 0;
    if (resumed !== undefined) {
      ({ textRand, textTokens, replyTokens, maxTokens } = resumed.text);
      from = resumed.emittedTokens;
    } else {
      textRand =
        request.seed !== undefined && request.seed !== null
          ? makeRandom(mix(this._seed ^ 0x7e47, request.seed | 0))
          : makeRandom(mix(mix(this._seed, 0x7e47), n));
      textTokens = Math.max(1, Math.min(2048, Math.round(rand.lognormal(this._medianTokens, 0.6))));
      replyTokens = null;
      if (this._reply !== undefined) {
        replyTokens = replyTokensOf(this._reply(request));
        textTokens = replyTokens.length;
      }
      maxTokens = maxTokensOf(request);
    }
    const plan = { n, rand, textRand, textTokens, replyTokens, maxTokens, errorAtPrefill: null, abortAfter: null, throwAfter: null, deviceLostAfter: null };
    const halfway = from + Math.max(1, Math.floor((Math.min(textTokens + 1, maxTokens) - from) / 2));
    if (f.errorRate > 0 && rand.chance(f.errorRate)) {
      plan.errorAtPrefill = simulatedError(f.errorName ?? 'ContextWindowSizeExceededError');
    } else if (f.abortRate > 0 && rand.chance(f.abortRate)) {
      plan.abortAfter = halfway;
    }
    if (f.throwMidStreamAt === n) {
      plan.throwAfter = halfway;
      plan.throwName = f.throwName;
      plan.throwMessage = f.throwMessage;
    }
    if (f.deviceLostAt === n) plan.deviceLostAfter = halfway;
    return plan;
  }

  /** `engine.chat.completions.create(request)` */
  chatCompletion(request) {
    return this._create(request, 'ChatCompletionRequest');
  }

  /** `engine.completions.create(request)` */
  completion(request) {
    return this._create(request, 'CompletionCreateParams');
  }

  /** @internal a chat or completion request; in worker mode, the client's checks, then "the worker". */
  _create(request, requestName) {
    if (this._worker) {
      return (async () => {
        workerClientCheck(this, request, requestName);
        return workerResult(generate(this, request, requestName));
      })();
    }
    return generate(this, request, requestName);
  }

  /** `engine.embeddings.create(request)` */
  embedding(request) {
    if (this._worker) {
      return (async () => {
        workerClientCheck(this, request, undefined);
        return asWorker(embed(this, request));
      })();
    }
    return embed(this, request);
  }

  /**
   * Stops the running generation: it finishes with finish_reason "abort". Returns a promise
   * (MLCEngine), or undefined in worker mode (WebWorkerMLCEngine).
   */
  interruptGenerate() {
    this._interruptSignal = true;
    return this._worker ? undefined : Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------
  // Other methods of MLCEngineInterface

  _call(fn) {
    if (!this._worker) return fn();
    return asWorker(fn());
  }

  /** The current reply of the model's last generation. */
  getMessage(modelId) {
    return this._call(async () => this._states('getMessage', false, modelId).message);
  }

  /** "prefill: X tokens/sec, decoding: Y tokens/sec" (deprecated in WebLLM in favour of usage). */
  runtimeStatsText(modelId) {
    return this._call(async () => {
      const s = this._states('runtimeStatsText', false, modelId).stats;
      return `prefill: ${(s.prefillTokens / s.prefillS).toFixed(4)} tokens/sec, decoding: ${(s.decodeTokens / s.decodeS).toFixed(4)} tokens/sec`;
    });
  }

  /** Forgets the conversation (the KV cache); a no-op when no model is loaded. */
  resetChat(keepStats = false, modelId) {
    return this._call(async () => {
      let pipeline;
      try {
        pipeline = this._states('resetChat', false, modelId);
      } catch (err) {
        if (err && (err.name === 'ModelNotLoadedError' || err.name === 'SpecifiedModelNotFoundError')) return;
        throw err;
      }
      pipeline.conversation = null;
      pipeline.finishReason = undefined;
      pipeline.message = '';
      if (!keepStats) pipeline.stats = { prefillTokens: 0, prefillS: 0, decodeTokens: 0, decodeS: 0 };
    });
  }

  /** The adapter's vendor (WebLLM creates a new adapter and device for each call). */
  getGPUVendor() {
    return this._call(async () => {
      await new Timeline(this._timeScale).advance(40);
      return this._adapter.vendor;
    });
  }

  /** The device's maxStorageBufferBindingSize (a new adapter and device for each call). */
  getMaxStorageBufferBindingSize() {
    return this._call(async () => {
      await new Timeline(this._timeScale).advance(40);
      return this._maxStorageBufferBindingSize;
    });
  }

  /** One forward pass over `inputIds`; returns a sampled token id. */
  forwardTokensAndSample(inputIds, isPrefill, modelId) {
    return this._call(async () => {
      const pipeline = this._states('forwardTokensAndSample', false, modelId);
      const rand = makeRandom(mix(this._seed ^ 0xf0d, ++this._requests));
      const ms = isPrefill ? (1000 * inputIds.length) / pipeline.profile.prefillTps : 1000 / pipeline.profile.decodeTps;
      await new Timeline(this._timeScale).advance(ms);
      return rand.int(0, 32000);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Resumable sessions

  /** Every resumable session of the page's store, by id: resumable or not, and why. */
  listResumableSessions() {
    return this._call(async () => listSessions());
  }

  /**
   * The text a session's reply had, or with `{ continueGeneration: true }` the rest of the reply:
   * a stream of chunks (with `stream: true`, for a streamed chat request; the session is locked
   * at its first next()) or, once the reply ends, a ResumeResult. A session that cannot continue
   * (finished, or its model not loaded) gives its text ("text_only").
   */
  resumeChatCompletion(sessionId, options) {
    return this._call(() => resumeChat(this, sessionId, options));
  }

  /** Deletes a session (a no-op for an unknown id); not while a generation writes to it. */
  deleteResumableSession(sessionId) {
    return this._call(async () => deleteSession(sessionId));
  }
}

/**
 * Creates a {@link SimulatedMLCEngine} and loads `modelId`, like WebLLM's CreateMLCEngine.
 * @param {string | string[]} modelId
 * @param {object} [engineConfig]
 * @param {object | object[]} [chatOpts]
 */
export async function CreateSimulatedMLCEngine(modelId, engineConfig, chatOpts) {
  const engine = new SimulatedMLCEngine(engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}

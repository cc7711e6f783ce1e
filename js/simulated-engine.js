// A stand-in for WebLLM's MLCEngine (@mlc-ai/web-llm 0.2.86) that needs no GPU and no weights:
// the same methods, the same response and chunk shapes, the same progress texts in the same
// order, the same error names, a per-model lock, interruptGenerate(), and a browser cache shared
// by every simulated engine of the page (the second load of a model comes from the cache).
// Timings are drawn from seeded distributions; `timeScale` speeds the waiting up (0 = none).
//
// What was copied from WebLLM's lib/index.js (0.2.86), so that code tested against this engine
// behaves the same against the real one:
// - `MLCEngine.reload()` awaits `unload()` first, then checks its arguments, then loads the models
//   one after the other; `unload()` during a reload makes that reload return without throwing.
// - Progress (tvmjs `fetchTensorCacheInternal`, `asyncLoadWebGPUPipelines`): "Start to fetch
//   params" (progress 0, timeElapsed 0); only when some shard is not cached, "Fetching param
//   cache[i/N]: XMB fetched. P% completed, T secs elapsed. It can take a while when we first visit
//   this page to populate the cache. Later refreshes will become faster."; then "Loading model
//   from cache[i/N]: XMB loaded. P% completed, T secs elapsed." (bytes and progress restart at 0);
//   "Loading GPU shader modules[i/N]: P% completed, T secs elapsed." (at most one report per
//   second, and the last); and `{ progress: 1, timeElapsed, text: "Finish loading on WebGPU - <adapter
//   description, or vendor when empty>" }`. MB = ceil(bytes / 1024 / 1024); P = floor(percent);
//   T = ceil(seconds) in the texts, while the final report's timeElapsed is fractional seconds.
// - `created` is in seconds (getUnixTimestampSeconds), ids are UUIDs.
// - Stream chunks: one delta chunk after prefill and one per decode step (the step that samples
//   the stop token yields `content: ""`), then `{ delta: {}, finish_reason }`, then, with
//   `stream_options.include_usage`, one chunk with `choices: []` and `usage`.
// - Streaming usage: decode_tokens_per_s = decodeTokens / decodeTime (NaN when both are 0),
//   prefill_tokens_per_s = promptTokens / prefillTime, time_per_output_token_s = 0 without decode
//   tokens. Non-streaming: decode_tokens_per_s = 0 when decodeTime is 0.
// - Errors set `name` (ModelNotLoadedError, InvalidStreamOptionsError...); a web-worker engine
//   (`worker: true`) rejects with `err.toString()` ("Name: message") for what runs in the worker,
//   but with Error objects for its client-side checks (WorkerEngineModelNotLoadedError,
//   UnclearModelToUseError, SpecifiedModelNotFoundError), and its interruptGenerate() returns
//   undefined instead of a promise.
// - Resumable generation (`extra_body.resumable` on a chat request): the session journals every
//   token into a store that outlives the engine (WebLLM's OPFS; here a store shared by every
//   simulated engine of the page). An unfinished session (interrupted, failed, or a stream left
//   early) is listed as resumable; `resumeChatCompletion(id, { continueGeneration, stream })`
//   restores it (from the last KV checkpoint, or by replaying the prompt and the tokens) and
//   continues the same reply, with WebLLM's results, errors and locks. See "Resumable sessions".
//
// Reported times: with timeScale > 0 the engine measures the time that really passed (as WebLLM
// does), so usage figures agree with what a client measures; with timeScale 0 nothing waits and
// the unscaled simulated times are reported instead (a virtual timeline).
//
// Plain ES module. Types: js/simulated-engine.d.ts.

import { makeRandom } from './random.js';
import { contentChars } from './wrapper.js';

// ---------------------------------------------------------------------------------------------
// Errors: WebLLM's names and messages

const MESSAGES = {
  ModelNotLoadedError: (requestName = 'ChatCompletionRequest') =>
    `Model not loaded before trying to complete ${requestName}. Please ensure you have called ` +
    `MLCEngine.reload(model) to load the model before initiating APIs, ` +
    `or initialize your engine using CreateMLCEngine() with a valid model configuration.`,
  WorkerEngineModelNotLoadedError: (engineName = 'WebWorkerMLCEngine') =>
    `${engineName} is not loaded with a model. Did you call \`engine.reload()\`?`,
  ModelNotFoundError: (modelId) =>
    `Cannot find model record in appConfig for ${modelId}. Please check if the model ID is correct and included in the model_list configuration.`,
  SpecifiedModelNotFoundError: (loaded, requested, requestName) =>
    `Specified model ${requested} for ${requestName} is not found in loaded models. ` +
    `Please check if the correct model is loaded/specified. ` +
    `Currently loaded models are:\n${loaded}`,
  UnclearModelToUseError: (loaded, requestName) =>
    `Multiple models are loaded in engine. Please specify the model in ${requestName}.\n` +
    `Currently loaded models are:\n${loaded}`,
  IncorrectPipelineLoadedError: (modelId, expected, requestName) =>
    `${requestName} expects model to be loaded with ${expected}. However, ` +
    `${modelId} is not loaded with this pipeline.`,
  InvalidStreamOptionsError: () => 'Only specify stream_options when stream=True.',
  StreamingCountError: () => 'When streaming, `n` cannot be > 1.',
  SeedTypeError: (seed) => '`seed` should be an integer, but got ' + seed,
  MessageOrderError: (message = 'Last message should be from either `user` or `tool`.') => message,
  SystemMessageOrderError: () => 'System prompt should always be the first message in `messages`.',
  UnsupportedFieldsError: (fields, target) =>
    `The following fields in ${target} are not yet supported: \n` + fields.join(', '),
  ContextWindowSizeExceededError: (numPromptTokens = 4097, contextWindowSize = 4096) =>
    `Prompt tokens exceed context window size: number of prompt tokens: ${numPromptTokens}; ` +
    `context window size: ${contextWindowSize}\nConsider shortening the prompt, or increase ` +
    '`context_window_size`, or using sliding window via `sliding_window_size`.',
  DeviceLostError: () =>
    'The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM). To resolve this, try reloading with a model that has fewer parameters or uses a smaller context length.',
  WebGPUNotAvailableError: () =>
    'WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine. ' +
    "Please make sure that your browser supports WebGPU and that it is enabled in your browser settings. " +
    "You can also consult your browser's compatibility chart to see if it supports WebGPU. " +
    'For more information about WebGPU support in your browser, visit https://webgpureport.org/',
  ShaderF16SupportError: () =>
    'This model requires WebGPU extension shader-f16, which is not enabled in this browser. ' +
    'You can try to launch Chrome Canary in command line with flag "--enable-dawn-features=allow_unsafe_apis".',
  FeatureSupportError: (feature = 'shader-f16') =>
    `This model requires feature ${feature}, which is not yet supported by this browser.`,
  ReloadArgumentSizeUnmatchedError: (numModelId, numChatOpts) =>
    `Expect chatOpts, if specified, to match the size of modelId. However, got ` +
    `${numModelId} modelId, but ${numChatOpts} chatOpts.`,
  ReloadModelIdNotUniqueError: (modelId) =>
    `Need to make models in modelId passed to reload() need to be unique. If you want to, ` +
    `load copies of the same model, consider making copies of the ModelRecord with ` +
    `different model_id. Received modelId: ${modelId}`,
  MinValueError: (param, min) => `Make sure \`${param}\` > ${min}.`,
  NonNegativeError: (param) => `Make sure ${param} >= 0.`,
  RangeError: (param, min, max) => `Make sure ${min} < ${param} <= ${max}.`,
  EmbeddingInputEmptyError: () => 'Embedding input cannot be empty string or empty token array.',
  EmbeddingUnsupportedEncodingFormatError: () => 'Embedding in base64 format is currently not supported.',
  ResumableSessionExistsError: (sessionId) => `Resumable session already exists: ${sessionId}`,
  IntegrityError: (url = 'https://huggingface.co/mlc-ai/model/resolve/main/params_shard_0.bin') =>
    `Integrity verification failed for ${url}\n  Expected: sha256-...\n  Actual: sha256-...\nThis may indicate file corruption or tampering.`,
};

const errorClasses = new Map();

/** The Error subclass named `name` (WebLLM's classes only set `name`; so do these). */
function errorClass(name) {
  let C = errorClasses.get(name);
  if (!C) {
    const make = MESSAGES[name];
    C = class extends Error {
      constructor(...args) {
        super(make ? make(...args) : args.length > 0 ? String(args[0]) : name);
        this.name = name;
      }
    };
    Object.defineProperty(C, 'name', { value: name });
    errorClasses.set(name, C);
  }
  return C;
}

/**
 * The error classes the simulated engine throws, by name (each `new X(...)` has `name === "X"`
 * and WebLLM's message).
 */
export const SimulatedErrors = Object.freeze(
  Object.fromEntries(Object.keys(MESSAGES).map((name) => [name, errorClass(name)])),
);

/**
 * An error named `name` with WebLLM's message for that name (or `message` when given): what a
 * fault such as `{ loadError: { name: 'DeviceLostError' } }` throws.
 * @param {string} name
 * @param {string} [message]
 */
export function simulatedError(name, message) {
  if (!name || name === 'Error') return new Error(message ?? 'Simulated error'); // as the TVM runtime throws
  const C = errorClass(name);
  const err = new C();
  if (message !== undefined) err.message = message;
  return err;
}

function toWorkerRejection(err) {
  // WebWorkerMLCEngineHandler.handleTask: `const errStr = err.toString();`
  try {
    return err !== null && err !== undefined && typeof err.toString === 'function' ? err.toString() : String(err);
  } catch {
    return String(err);
  }
}

// ---------------------------------------------------------------------------------------------
// The shared simulated browser cache (the Cache API of the page): model id -> shards cached

/** @type {Map<string, { shards: number, cachedShards: number, bytes: number }>} */
const browserCache = new Map();

/**
 * Whether every weight shard of `modelId` is in the simulated browser cache (what WebLLM's
 * `hasModelInCache(modelId, appConfig)` answers for the real one). Same signature, so it can be
 * given as the monitor's `hasModelInCache` option.
 * @param {string} modelId
 * @param {unknown} [_appConfig]
 * @returns {Promise<boolean>}
 */
export async function simulatedHasModelInCache(modelId, _appConfig) {
  const entry = browserCache.get(modelId);
  return entry !== undefined && entry.cachedShards >= entry.shards;
}

/** Removes one model's weights from the simulated browser cache. */
export async function simulatedDeleteModelInCache(modelId) {
  browserCache.delete(modelId);
}

// ---------------------------------------------------------------------------------------------
// Resumable sessions (WebLLM's ResumableGenerationCoordinator over its OPFS session store)

/** @type {Map<string, any>} sessionId -> the session's journal as WebLLM would read it back */
const resumableSessions = new Map();

/** WebLLM's assertSafeSegment for a session id. */
function checkSessionId(sessionId) {
  if (typeof sessionId !== 'string' || sessionId === '' || sessionId === '.' || sessionId === '..' || sessionId.includes('/') || sessionId.includes('\0'))
    throw new Error(`Invalid resumable session id: ${sessionId}`);
}

/** WebLLM's normalizeForRequest: the resumable config of a chat request, or undefined. */
function resumableConfigOf(request, modelId, logitProcessorRegistry) {
  const config = request.extra_body?.resumable;
  if (config?.enabled !== true) return undefined;
  const interval = config.checkpointIntervalTokens ?? 512;
  if (!Number.isInteger(interval)) throw new Error('resumable.checkpointIntervalTokens must be an integer.');
  if (interval <= 0) throw new Error('resumable.checkpointIntervalTokens must be positive.');
  if ((request.n ?? 1) > 1) throw new Error('Resumable generation currently requires n <= 1.');
  const format = request.response_format?.type;
  if (format === 'json_object' || format === 'grammar' || format === 'structural_tag')
    throw new Error('Resumable generation does not support grammar-constrained response formats.');
  if (logitProcessorRegistry instanceof Map && logitProcessorRegistry.has(modelId))
    throw new Error('Resumable generation does not support a custom LogitProcessor.');
  if (request.messages.some((m) => Array.isArray(m.content) && m.content.some((part) => typeof part === 'object' && part !== null && part.type !== 'text')))
    throw new Error('Resumable generation supports text-only prompts.');
  return {
    sessionId: config.sessionId ?? globalThis.crypto?.randomUUID?.() ?? `session-${Date.now()}`,
    checkpointIntervalTokens: interval,
    checkpointPrompt: config.checkpointPrompt ?? true,
  };
}

/** The session's lifetime lock (a Web Lock in WebLLM): held while a generation writes to it. */
function lockSession(session) {
  if (session.active) throw new Error(`Resumable session is already active: ${session.sessionId}`);
  session.active = true;
}

/** What resumeChatCompletion returns without continuing (WebLLM's makeTextOnlyResumeResult). */
function textOnlyResult(session) {
  return {
    sessionId: session.sessionId,
    recoveredText: session.message,
    emittedTokens: session.emittedTokens,
    processedSeqLen: session.processedSeqLen,
    replayedTokens: 0,
    recoveryMode: 'text_only',
  };
}

/** One entry of listResumableSessions() (WebLLM's probeReplayState). */
function probeSession(session) {
  const result = {
    sessionId: session.sessionId,
    modelId: session.modelId,
    emittedTokens: session.emittedTokens,
    processedSeqLen: session.processedSeqLen,
    resumable: false,
    recoveryMode: session.emittedTokens > 0 ? 'text_only' : 'none',
  };
  if (session.finished) return { ...result, recoveryMode: 'none', reason: 'generation finished' };
  const reason = session.aborted ? 'generation aborted' : session.engineError !== undefined ? `engine error: ${session.engineError}` : 'generation incomplete';
  return { ...result, resumable: true, recoveryMode: session.checkpointSeqLen !== undefined ? 'kv' : 'token_replay', reason };
}

/**
 * A generation's journal in its session: begun after prefill (the session must not exist yet),
 * then every sampled token, the end (finished, or aborted), an engine error; close() releases
 * the session's lock.
 */
class ResumableJournal {
  /** @param {object} config from resumableConfigOf @param {any} [session] an existing session, to continue it */
  constructor(config, session) {
    this.config = config;
    this.session = session;
    this.ended = false;
  }

  get begun() {
    return this.session !== undefined;
  }

  /** After prefill, before the first token (WebLLM's prefillGeneration). */
  begin(generation) {
    const id = this.config.sessionId;
    checkSessionId(id);
    const existing = resumableSessions.get(id);
    if (existing?.active) throw new Error(`Resumable session is already active: ${id}`);
    if (existing !== undefined) throw new SimulatedErrors.ResumableSessionExistsError(id);
    const now = Date.now();
    const plan = generation.plan;
    this.session = {
      sessionId: id,
      modelId: generation.pipeline.id,
      createdAtMs: now,
      updatedAtMs: now,
      request: JSON.parse(JSON.stringify(generation.request)),
      config: this.config,
      promptTokens: generation.promptTokens,
      emittedTokens: 0,
      processedSeqLen: generation.promptTokens,
      message: '',
      checkpointSeqLen: this.config.checkpointPrompt ? generation.promptTokens : undefined,
      lastCheckpointSeqLen: generation.promptTokens,
      finished: false,
      aborted: false,
      engineError: undefined,
      active: true,
      // what the rest of the reply is drawn from (WebLLM journals the RNG state with each token)
      text: { textRand: plan.textRand, textTokens: plan.textTokens, replyTokens: plan.replyTokens, maxTokens: plan.maxTokens },
    };
    resumableSessions.set(id, this.session);
  }

  /** A sampled token, journaled before it is shown; a KV checkpoint every checkpointIntervalTokens. */
  token(generation) {
    const s = this.session;
    if (s === undefined) return;
    s.emittedTokens = generation.sampled;
    s.message = generation.message;
    s.processedSeqLen = s.promptTokens + s.emittedTokens;
    s.updatedAtMs = Date.now();
    if (s.processedSeqLen - s.lastCheckpointSeqLen >= this.config.checkpointIntervalTokens) {
      s.checkpointSeqLen = s.lastCheckpointSeqLen = s.processedSeqLen;
    }
  }

  end(finishReason) {
    const s = this.session;
    if (s === undefined || this.ended) return;
    this.ended = true;
    if (finishReason === 'abort') s.aborted = true;
    else {
      s.finished = true;
      s.checkpointSeqLen = undefined; // cleanupKVAfterFinish
    }
  }

  error(err) {
    if (this.session !== undefined) this.session.engineError = err instanceof Error ? err.message : String(err);
  }

  close() {
    if (this.session !== undefined) this.session.active = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Models

/** Sizes from WebLLM's prebuiltAppConfig (vram_required_MB); speeds are plausible figures. */
const CATALOG = {
  'Llama-3.2-1B-Instruct-q4f16_1-MLC': { vramMB: 879.04, paramsMB: 664, decodeTps: 48, prefillTps: 900, shaders: 96 },
  'Llama-3.2-3B-Instruct-q4f16_1-MLC': { vramMB: 2263.69, paramsMB: 1730, decodeTps: 24, prefillTps: 420, shaders: 96 },
  'Llama-3.1-8B-Instruct-q4f16_1-MLC': { vramMB: 5001.0, paramsMB: 4330, decodeTps: 12, prefillTps: 170, shaders: 98 },
  'Qwen2.5-0.5B-Instruct-q4f16_1-MLC': { vramMB: 944.62, paramsMB: 276, decodeTps: 70, prefillTps: 1400, shaders: 92 },
  'Qwen2.5-1.5B-Instruct-q4f16_1-MLC': { vramMB: 1629.75, paramsMB: 868, decodeTps: 40, prefillTps: 700, shaders: 92 },
  'SmolLM2-360M-Instruct-q4f16_1-MLC': { vramMB: 376.06, paramsMB: 206, decodeTps: 85, prefillTps: 1700, shaders: 88 },
  'Phi-3.5-mini-instruct-q4f16_1-MLC': { vramMB: 3672.07, paramsMB: 2150, decodeTps: 20, prefillTps: 300, shaders: 94 },
  'gemma-2-2b-it-q4f16_1-MLC': { vramMB: 1895.3, paramsMB: 1480, decodeTps: 28, prefillTps: 450, shaders: 100 },
  'snowflake-arctic-embed-m-q0f32-MLC-b32': { vramMB: 1407.51, paramsMB: 436, embedding: true, dims: 768, prefillTps: 5000, shaders: 40 },
  'snowflake-arctic-embed-m-q0f32-MLC-b4': { vramMB: 539.4, paramsMB: 436, embedding: true, dims: 768, prefillTps: 3000, shaders: 40 },
  'snowflake-arctic-embed-s-q0f32-MLC-b32': { vramMB: 1022.82, paramsMB: 127, embedding: true, dims: 384, prefillTps: 9000, shaders: 40 },
  'snowflake-arctic-embed-s-q0f32-MLC-b4': { vramMB: 238.71, paramsMB: 127, embedding: true, dims: 384, prefillTps: 6000, shaders: 40 },
};

const SHARD_BYTES = 32 * 1024 * 1024;

/** A profile for any model id: the catalog's, or one guessed from the name ("1.5B", "q4f16"...). */
function modelProfile(modelId, record, overrides) {
  const known = CATALOG[modelId];
  let profile;
  if (known) profile = { ...known };
  else {
    const m = /(\d+(?:\.\d+)?)\s*([BM])(?![a-z])/i.exec(modelId);
    const billions = m ? Number(m[1]) / (m[2].toUpperCase() === 'M' ? 1000 : 1) : 1;
    const bytesPerParam = /q0f32/i.test(modelId) ? 4 : /q0f16|q0bf16/i.test(modelId) ? 2 : /q3/i.test(modelId) ? 0.45 : 0.56;
    const paramsMB = Math.max(20, Math.round((billions * 1e9 * bytesPerParam) / 1048576));
    const embedding = /embed/i.test(modelId);
    profile = {
      vramMB: Math.round(paramsMB * 1.3 * 100) / 100,
      paramsMB,
      decodeTps: Math.max(4, Math.round(50 / Math.pow(Math.max(billions, 0.2), 0.75))),
      prefillTps: Math.max(60, Math.round(800 / Math.pow(Math.max(billions, 0.2), 0.8))),
      shaders: embedding ? 40 : 96,
      embedding,
      dims: embedding ? 384 : undefined,
    };
  }
  if (record && typeof record === 'object') {
    if (record.model_type === 1) profile.embedding = true;
    else if (record.model_type === 0 || record.model_type === 2) profile.embedding = false;
    if (typeof record.vram_required_MB === 'number') profile.vramMB = record.vram_required_MB;
  }
  if (overrides && typeof overrides === 'object') Object.assign(profile, overrides);
  profile.dims ??= 384;
  profile.contextWindow ??= 4096;
  return profile;
}

// ---------------------------------------------------------------------------------------------
// Time and randomness

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const sleepMs = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Yields to the event loop (a GPU step awaits the device: other work, other models, run). */
const macrotask =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : typeof MessageChannel === 'function'
      ? (() => {
          const channel = new MessageChannel();
          const queue = [];
          channel.port1.onmessage = () => queue.shift()();
          return () =>
            new Promise((resolve) => {
              queue.push(resolve);
              channel.port2.postMessage(0);
            });
        })()
      : () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * One simulated activity's clock. `advance(ms)` waits ms * scale real milliseconds (scale 0: no
 * waiting) against a deadline, so that timer granularity does not accumulate (a step behind its
 * deadline still yields to the event loop once), and returns the
 * time the step took as the engine reports it (real ms when scale > 0, simulated ms when 0).
 * Time spent outside the engine between steps (a slow stream consumer) is not caught up.
 */
class Timeline {
  constructor(scale) {
    this.scale = scale;
    this.start = now();
    this.virtualMs = 0;
    this.deadline = this.start;
    this.lastWake = this.start;
  }

  elapsedMs() {
    return this.scale > 0 ? now() - this.start : this.virtualMs;
  }

  async advance(ms) {
    this.virtualMs += ms;
    if (!(this.scale > 0)) {
      await null;
      return ms;
    }
    const t0 = now();
    this.deadline += t0 - this.lastWake + ms * this.scale;
    const wait = this.deadline - t0;
    if (wait >= 1) await sleepMs(wait);
    else await macrotask();
    this.lastWake = now();
    return this.lastWake - t0;
  }
}

function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(a, b) {
  let h = (a ^ Math.imul((b + 0x9e3779b9) | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function uuid(rand) {
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rand.uniform() * 16).toString(16);
    return s;
  };
  const variant = (8 + Math.floor(rand.uniform() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}

const WORDS = (
  'the a of to and in is it that for on with as this was are be by at from or an but not have ' +
  'model browser token stream cache memory WebGPU shader weights prompt answer latency throughput ' +
  'request engine local private fast device result context window summary translation example ' +
  'simple clear quickly better data page user offline inference quantized small large'
).split(' ');

// ---------------------------------------------------------------------------------------------
// The per-model lock (WebLLM's CustomLock: FIFO, handed over on release)

class CustomLock {
  constructor() {
    this.acquired = false;
    this.queue = [];
  }

  async acquire() {
    if (!this.acquired) {
      this.acquired = true;
      return;
    }
    await new Promise((resolve) => this.queue.push(resolve));
  }

  release() {
    if (!this.acquired) throw Error('InternalError: expect lock is acquired upon release()');
    if (this.queue.length === 0) this.acquired = false;
    else this.queue.shift()();
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

const tokensOf = (chars) => Math.max(1, Math.ceil(chars / 4));

function sameMessage(a, b) {
  return a && b && a.role === b.role && (a.content === b.content || JSON.stringify(a.content) === JSON.stringify(b.content));
}

function getModelIdToUse(loadedModelIds, requestModel, requestName) {
  if (loadedModelIds.length === 0) throw new SimulatedErrors.ModelNotLoadedError(requestName);
  if (requestModel) {
    if (!loadedModelIds.includes(requestModel))
      throw new SimulatedErrors.SpecifiedModelNotFoundError(loadedModelIds, requestModel, requestName);
    return requestModel;
  }
  if (loadedModelIds.length > 1) throw new SimulatedErrors.UnclearModelToUseError(loadedModelIds, requestName);
  return loadedModelIds[0];
}

function checkGenerationConfig(request) {
  const has = (v) => v !== undefined && v !== null;
  if (has(request.max_tokens) && !(request.max_tokens > 0)) throw new SimulatedErrors.MinValueError('max_tokens', 0);
  if (has(request.top_p) && !(request.top_p > 0 && request.top_p <= 1)) throw new SimulatedErrors.RangeError('top_p', 0, 1);
  if (has(request.temperature) && !(request.temperature >= 0)) throw new SimulatedErrors.NonNegativeError('temperature');
}

function checkChatRequest(request) {
  const messages = request.messages;
  messages.forEach((message, index) => {
    if (message.role === 'system' && index !== 0) throw new SimulatedErrors.SystemMessageOrderError();
  });
  const last = messages[messages.length - 1];
  if (last.role !== 'user' && last.role !== 'tool') throw new SimulatedErrors.MessageOrderError();
  checkCommon(request);
}

function checkCompletionRequest(request) {
  // WebLLM's rejectCompletionResumable
  if (request.extra_body?.resumable !== undefined && request.extra_body?.resumable !== null)
    throw new SimulatedErrors.UnsupportedFieldsError(['extra_body.resumable'], 'CompletionCreateParams');
  const unsupported = ['suffix', 'user', 'best_of'].filter((f) => f in request);
  if (unsupported.length > 0) throw new SimulatedErrors.UnsupportedFieldsError(unsupported, 'CompletionCreateParams');
  checkCommon(request);
}

function checkCommon(request) {
  if (request.stream && request.n && request.n > 1) throw new SimulatedErrors.StreamingCountError();
  if (request.seed !== undefined && request.seed !== null && !Number.isInteger(request.seed))
    throw new SimulatedErrors.SeedTypeError(request.seed);
  if (request.stream_options !== undefined && request.stream_options !== null && !request.stream)
    throw new SimulatedErrors.InvalidStreamOptionsError();
}

function checkEmbeddingRequest(request) {
  const unsupported = ['dimensions', 'user'].filter((f) => f in request);
  if (unsupported.length > 0) throw new SimulatedErrors.UnsupportedFieldsError(unsupported, 'EmbeddingCreateParams');
  if (request.encoding_format == 'base64') throw new SimulatedErrors.EmbeddingUnsupportedEncodingFormatError();
  const input = request.input;
  if (typeof input === 'string') {
    if (input === '') throw new SimulatedErrors.EmbeddingInputEmptyError();
  } else {
    if (input.length === 0) throw new SimulatedErrors.EmbeddingInputEmptyError();
    for (const item of input) if (typeof item !== 'number' && item.length === 0) throw new SimulatedErrors.EmbeddingInputEmptyError();
  }
}

// ---------------------------------------------------------------------------------------------
// One generation on one pipeline (prefill, then decode steps), as LLMChatPipeline counts it

class Generation {
  /**
   * @param {SimulatedMLCEngine} engine
   * @param {any} pipeline
   * @param {any} request
   * @param {any} plan drawn when the request was made
   */
  constructor(engine, pipeline, request, plan) {
    this.engine = engine;
    this.pipeline = pipeline;
    this.request = request;
    this.plan = plan;
    this.timeline = new Timeline(engine._timeScale);
    this.rand = plan.rand;
    this.text = plan.textRand;
    this.sampled = 0;
    this.message = '';
    this.prevLength = 0;
    this.stopped = false;
    this.finishReason = undefined;
    this.promptTokens = 0;
    this.prefillS = 0;
    this.decodeTokens = 0;
    this.decodeS = 0;
    this.interrupted = false;
    /** Prompt and reply tokens before this round's first sample (the context window's share). */
    this.contextTokens = 0;
    /** Tokens of the reply sampled before this round (a resumed session's). */
    this.startSampled = 0;
    /** @type {ResumableJournal | null} */
    this.journal = null;
    this.replayedTokens = 0;
    this.recoveryMode = undefined;
  }

  checkAlive() {
    if (this.pipeline.disposed) {
      const err = new Error('Cannot run the model: its pipeline was disposed (unload() or a lost device).');
      throw err;
    }
  }

  promptTokensFor() {
    const request = this.request;
    const pipeline = this.pipeline;
    if (!('messages' in request)) {
      pipeline.conversation = null;
      return tokensOf(contentChars(request.prompt)) + 2;
    }
    const messages = request.messages;
    const prev = pipeline.conversation;
    const history = messages.slice(0, -1);
    let reuse = prev !== null && pipeline.finishReason !== 'abort' && pipeline.finishReason !== 'length' && history.length > 0 && prev.length === history.length;
    if (reuse) for (let i = 0; i < history.length && reuse; i++) reuse = sameMessage(prev[i], history[i]);
    if (reuse) return tokensOf(contentChars(messages[messages.length - 1].content)) + 6;
    let n = 12;
    for (const m of messages) n += tokensOf(contentChars(m.content)) + 4;
    return n;
  }

  /** Samples one token after prefill or decode and applies WebLLM's stop conditions. */
  sample() {
    const plan = this.plan;
    this.sampled += 1;
    if (this.sampled <= plan.textTokens) {
      if (plan.replyTokens !== null) {
        this.message += plan.replyTokens[this.sampled - 1];
      } else {
        const word = WORDS[Math.floor(this.text.uniform() * WORDS.length)];
        this.message += (this.sampled === 1 ? word[0].toUpperCase() + word.slice(1) : ' ' + word) + (this.sampled === plan.textTokens ? '.' : '');
      }
    } else {
      this.stopped = true;
      this.finishReason = 'stop';
    }
    if (!this.stopped && this.sampled >= plan.maxTokens) {
      this.stopped = true;
      this.finishReason = 'length';
    }
    if (!this.stopped && this.contextTokens + this.sampled >= this.pipeline.profile.contextWindow) {
      this.stopped = true;
      this.finishReason = 'length';
    }
  }

  async prefill() {
    checkGenerationConfig(this.request);
    this.checkAlive();
    this.promptTokens = this.promptTokensFor();
    const contextWindow = this.pipeline.profile.contextWindow;
    if (this.promptTokens > contextWindow)
      throw new SimulatedErrors.ContextWindowSizeExceededError(this.promptTokens, contextWindow);
    if (this.plan.errorAtPrefill) throw this.plan.errorAtPrefill;
    const profile = this.pipeline.profile;
    const ms = this.rand.lognormal(35 + (1000 * this.promptTokens) / profile.prefillTps, 0.25);
    const took = await this.timeline.advance(ms);
    this.checkAlive();
    this.prefillS += took / 1000;
    this.pipeline.stats.prefillTokens += this.promptTokens;
    this.pipeline.stats.prefillS += took / 1000;
    this.pipeline.message = '';
    this.contextTokens = this.promptTokens;
    this.journal?.begin(this);
    this.sample();
    this.journal?.token(this);
    this.afterStep();
  }

  /**
   * The prefill of a resumed session: restores the KV cache from the session's last checkpoint
   * (replaying the tokens after it), or replays the prompt and every token of the reply; then
   * samples the next token, as WebLLM's replay does.
   */
  async replay(session) {
    checkGenerationConfig(this.request);
    this.checkAlive();
    if (this.plan.errorAtPrefill) throw this.plan.errorAtPrefill;
    this.sampled = this.startSampled = session.emittedTokens;
    this.message = session.message;
    this.prevLength = this.message.length;
    const kv = session.checkpointSeqLen !== undefined;
    this.recoveryMode = kv ? 'kv' : 'token_replay';
    this.replayedTokens = kv ? session.processedSeqLen - session.checkpointSeqLen : session.emittedTokens;
    this.promptTokens = kv ? this.replayedTokens : session.promptTokens + session.emittedTokens;
    const profile = this.pipeline.profile;
    const restoreMs = kv ? 20 + (session.checkpointSeqLen * profile.vramMB) / 4096 / 50 : 35;
    const took = await this.timeline.advance(this.rand.lognormal(restoreMs + (1000 * this.promptTokens) / profile.prefillTps, 0.25));
    this.checkAlive();
    this.prefillS += took / 1000;
    this.pipeline.stats.prefillTokens += this.promptTokens;
    this.pipeline.stats.prefillS += took / 1000;
    this.pipeline.message = this.message;
    this.contextTokens = session.promptTokens;
    this.sample();
    this.journal?.token(this);
    this.afterStep();
  }

  async decode() {
    const plan = this.plan;
    if (plan.deviceLostAfter !== null && this.sampled >= plan.deviceLostAfter) {
      this.engine._deviceLost();
      const err = new Error('Device was lost during generation (simulated): the GPU device was destroyed and the model unloaded.');
      throw err;
    }
    if (plan.throwAfter !== null && this.sampled >= plan.throwAfter) {
      throw simulatedError(plan.throwName ?? 'Error', plan.throwMessage ?? 'Simulated failure while decoding (faults.throwMidStreamAt).');
    }
    this.checkAlive();
    const ms = this.rand.lognormal(1000 / this.pipeline.profile.decodeTps, 0.2);
    const took = await this.timeline.advance(ms);
    this.checkAlive();
    this.decodeTokens += 1;
    this.decodeS += took / 1000;
    this.pipeline.stats.decodeTokens += 1;
    this.pipeline.stats.decodeS += took / 1000;
    this.sample();
    this.journal?.token(this);
    this.afterStep();
  }

  afterStep() {
    this.pipeline.message = this.message;
    // faults.abortRate: as if the app called interruptGenerate() now (for this generation only).
    if (this.plan.abortAfter !== null && this.sampled === this.plan.abortAfter && !this.stopped) this.interrupted = true;
    if (this.stopped) this.finish();
  }

  triggerStop() {
    if (this.stopped) return;
    this.stopped = true;
    this.finishReason = 'abort';
    this.finish();
  }

  finish() {
    this.journal?.end(this.finishReason);
    const pipeline = this.pipeline;
    pipeline.finishReason = this.finishReason;
    pipeline.conversation =
      'messages' in this.request ? [...this.request.messages, { role: 'assistant', content: this.message }] : null;
  }

  /** The text yielded since the previous delta. */
  delta() {
    const d = this.message.slice(this.prevLength);
    this.prevLength = this.message.length;
    return d;
  }

  get completionTokens() {
    return this.sampled - this.startSampled;
  }
}

// ---------------------------------------------------------------------------------------------
// The engine

/**
 * A simulated MLCEngine. `engineConfig` takes WebLLM's fields (`initProgressCallback`,
 * `appConfig`, `logLevel`, `logitProcessorRegistry`) and the simulation's: `seed`, `timeScale`,
 * `medianTokens`, `reply`, `faults`, `worker`, `adapter`, `models`, `maxStorageBufferBindingSize`.
 */
export class SimulatedMLCEngine {
  /** @param {object} [engineConfig] */
  constructor(engineConfig = {}) {
    const c = engineConfig ?? {};
    const timeScale = c.timeScale ?? 1;
    if (typeof timeScale !== 'number' || !(timeScale >= 0) || !Number.isFinite(timeScale))
      throw new TypeError(`SimulatedMLCEngine: timeScale: expected a finite number >= 0, got ${String(timeScale)}`);
    const seed = c.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError(`SimulatedMLCEngine: seed: expected an integer, got ${String(seed)}`);
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
      throw new TypeError(`SimulatedMLCEngine: reply: expected a function (request) => string, got ${typeof c.reply}`);
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
    resumableSessions.clear();
  }

  /** The model ids whose weights are all in the simulated browser cache. */
  static cachedModels() {
    return [...browserCache].filter(([, e]) => e.cachedShards >= e.shards).map(([id]) => id);
  }

  /** A model's simulated profile: size, GPU memory estimate (vram_required_MB), speeds. */
  modelInfo(modelId) {
    const p = modelProfile(modelId, this._record(modelId, false), this._models[modelId]);
    return { modelId, vramRequiredMB: p.vramMB, paramsBytes: p.paramsMB * 1048576, embedding: p.embedding === true, decodeTokensPerSec: p.decodeTps, prefillTokensPerSec: p.prefillTps };
  }

  /** Replaces the fault injection settings (see the constructor's `faults`). */
  setFaults(faults) {
    const f = faults ?? {};
    for (const key of ['errorRate', 'abortRate']) {
      if (f[key] !== undefined && !(typeof f[key] === 'number' && f[key] >= 0 && f[key] <= 1))
        throw new TypeError(`SimulatedMLCEngine: faults.${key}: expected a number in [0, 1], got ${String(f[key])}`);
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
    return this._worker ? this._asWorker(this._reload(modelId, chatOpts), () => {
      this.modelId = Array.isArray(modelId) ? modelId : [modelId];
    }) : this._reload(modelId, chatOpts);
  }

  async _reload(modelId, chatOpts) {
    await this._unload();
    const ids = Array.isArray(modelId) ? modelId : [modelId];
    const opts = chatOpts !== undefined && !Array.isArray(chatOpts) ? [chatOpts] : chatOpts;
    if (opts !== undefined && ids.length !== opts.length)
      throw new SimulatedErrors.ReloadArgumentSizeUnmatchedError(ids.length, opts.length);
    if (new Set(ids).size < ids.length) throw new SimulatedErrors.ReloadModelIdNotUniqueError(ids);
    const controller = { aborted: false };
    this._reloadController = controller;
    try {
      for (let i = 0; i < ids.length; i++) await this._reloadInternal(ids[i], opts ? opts[i] : undefined, controller);
    } catch (err) {
      if (err === ABORTED) return; // WebLLM: log.warn("Reload() is aborted.") and return
      throw err;
    } finally {
      if (this._reloadController === controller) this._reloadController = undefined;
    }
  }

  async _reloadInternal(modelId, chatOpts, controller) {
    const loadIndex = ++this._loads;
    const rand = makeRandom(mix(mix(this._seed, 0x10ad), loadIndex));
    const t = new Timeline(this._timeScale);
    const record = this._record(modelId);
    const profile = modelProfile(modelId, record, this._models[modelId]);
    if (chatOpts && typeof chatOpts.context_window_size === 'number' && chatOpts.context_window_size > 0)
      profile.contextWindow = chatOpts.context_window_size;
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
    const fault = this._faults.loadError;
    const faultName = fault === undefined || fault === null ? undefined : typeof fault === 'string' ? fault : fault.name ?? 'Error';
    if (faultName !== undefined && faultName !== 'DeviceLostError') {
      const err = fault instanceof Error ? fault : simulatedError(faultName, typeof fault === 'object' ? fault.message : undefined);
      throw err;
    }
    // tvm.registerInitProgressCallback(this.initProgressCallback): captured now.
    const tvmCallback = this.initProgressCallback;
    const report = (r) => {
      if (tvmCallback !== undefined) tvmCallback(r);
    };
    const gpuLabel =
      'WebGPU - ' + (this._adapter.description && this._adapter.description.length !== 0 ? this._adapter.description : this._adapter.vendor);

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
    this.loadedModelIdToPipeline.set(modelId, pipeline);
    if (this.initProgressCallback !== undefined)
      this.initProgressCallback({ progress: 1, timeElapsed: t.elapsedMs() / 1e3, text: 'Finish loading on ' + gpuLabel });
    if (faultName === 'DeviceLostError') {
      // The device.lost handler unloads; reload() then throws DeviceLostError.
      this._deviceLost();
      throw fault instanceof Error ? fault : simulatedError('DeviceLostError', typeof fault === 'object' ? fault.message : undefined);
    }
  }

  /** Unloads every model; a reload in progress returns without throwing. */
  unload() {
    return this._worker ? this._asWorker(this._unload(), () => {
      this.modelId = undefined;
    }) : this._unload();
  }

  async _unload() {
    for (const pipeline of this.loadedModelIdToPipeline.values()) pipeline.disposed = true;
    if (this.loadedModelIdToPipeline.size > 0) await null;
    this.loadedModelIdToPipeline.clear();
    if (this._reloadController) {
      this._reloadController.aborted = true;
      this._reloadController = undefined;
    }
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
    if (!wantEmbedding && pipeline.profile.embedding)
      throw new SimulatedErrors.IncorrectPipelineLoadedError(id, 'LLMChatPipeline', requestName);
    if (wantEmbedding && !pipeline.profile.embedding)
      throw new SimulatedErrors.IncorrectPipelineLoadedError(id, 'EmbeddingPipeline', requestName);
    return pipeline;
  }

  /** @internal the client-side checks of a WebWorkerMLCEngine (these reject with Error objects). */
  _workerClientCheck(request, requestName) {
    if (this.modelId === undefined) throw new SimulatedErrors.WorkerEngineModelNotLoadedError('WebWorkerMLCEngine');
    if (requestName !== undefined) getModelIdToUse(this.modelId, request.model, requestName);
  }

  /** @internal what happens in "the worker": rejections become strings. */
  async _asWorker(promise, onSuccess) {
    let value;
    try {
      value = await promise;
    } catch (err) {
      throw toWorkerRejection(err);
    }
    onSuccess?.();
    return value;
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
      textRand = request.seed !== undefined && request.seed !== null ? makeRandom(mix(this._seed ^ 0x7e47, request.seed | 0)) : makeRandom(mix(mix(this._seed, 0x7e47), n));
      textTokens = Math.max(1, Math.min(2048, Math.round(rand.lognormal(this._medianTokens, 0.6))));
      replyTokens = null;
      if (this._reply !== undefined) {
        // A scripted reply: one token per word, each with the whitespace before it.
        replyTokens = String(this._reply(request)).match(/\s*\S+/g) ?? [];
        textTokens = replyTokens.length;
      }
      maxTokens = typeof request.max_tokens === 'number' && request.max_tokens > 0 ? request.max_tokens : Infinity;
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
    if (this._worker) {
      return (async () => {
        this._workerClientCheck(request, 'ChatCompletionRequest');
        return this._workerResult(this._generate(request, 'ChatCompletionRequest'));
      })();
    }
    return this._generate(request, 'ChatCompletionRequest');
  }

  /** `engine.completions.create(request)` */
  completion(request) {
    if (this._worker) {
      return (async () => {
        this._workerClientCheck(request, 'CompletionCreateParams');
        return this._workerResult(this._generate(request, 'CompletionCreateParams'));
      })();
    }
    return this._generate(request, 'CompletionCreateParams');
  }

  /** @internal */
  async _workerResult(promise) {
    let result;
    try {
      result = await promise;
    } catch (err) {
      throw toWorkerRejection(err);
    }
    if (result && typeof result[Symbol.asyncIterator] === 'function') return workerStream(result);
    return result;
  }

  /** @internal */
  async _generate(request, requestName) {
    const timeReceived = Date.now();
    const plan = this._plan(request);
    const pipeline = this._states(requestName, false, request.model);
    if (requestName === 'ChatCompletionRequest') checkChatRequest(request);
    else checkCompletionRequest(request);
    const resumable = requestName === 'ChatCompletionRequest' ? resumableConfigOf(request, pipeline.id, this.logitProcessorRegistry) : undefined;
    const journal = resumable === undefined ? null : new ResumableJournal(resumable);
    if (request.stream) return this._stream(request, pipeline, plan, timeReceived, journal);
    await pipeline.lock.acquire();
    try {
      this._interruptSignal = false;
      const n = request.n ? request.n : 1;
      const choices = [];
      let completionTokens = 0;
      let decodeTokens = 0;
      let promptTokens = 0;
      let prefillS = 0;
      let decodeS = 0;
      let virtualMs = 0;
      for (let i = 0; i < n; i++) {
        const g = new Generation(this, pipeline, request, i === 0 ? plan : this._plan(request));
        g.journal = journal;
        if (this._interruptSignal) {
          g.triggerStop();
        } else {
          try {
            await g.prefill();
            await this._decodeAll(g);
          } catch (err) {
            journal?.error(err);
            throw err;
          }
        }
        virtualMs += g.timeline.virtualMs;
        const choice =
          requestName === 'ChatCompletionRequest'
            ? { finish_reason: g.finishReason, index: i, logprobs: request.logprobs ? { content: [] } : null, message: { content: g.message, role: 'assistant' } }
            : { finish_reason: g.finishReason, index: i, logprobs: request.logprobs ? { content: [] } : null, text: request.echo ? request.prompt + g.message : g.message };
        choices.push(choice);
        completionTokens += g.completionTokens;
        decodeTokens += g.decodeTokens;
        promptTokens += g.promptTokens;
        prefillS += g.prefillS;
        decodeS += g.decodeS;
      }
      const e2e = this._timeScale > 0 ? (Date.now() - timeReceived) / 1000 : virtualMs / 1000;
      return {
        id: uuid(plan.rand),
        choices,
        model: pipeline.id,
        object: requestName === 'ChatCompletionRequest' ? 'chat.completion' : 'text_completion',
        created: Math.floor(Date.now() / 1000),
        usage: {
          completion_tokens: completionTokens,
          prompt_tokens: promptTokens,
          total_tokens: completionTokens + promptTokens,
          extra: {
            e2e_latency_s: e2e,
            prefill_tokens_per_s: promptTokens / prefillS,
            decode_tokens_per_s: decodeS > 0 ? decodeTokens / decodeS : 0,
            time_to_first_token_s: prefillS,
            time_per_output_token_s: decodeTokens > 0 ? decodeS / decodeTokens : 0,
            latencyBreakdown: undefined,
          },
        },
      };
    } finally {
      journal?.close();
      pipeline.lock.release();
    }
  }

  /** @internal decode steps until the generation stops (or is interrupted). */
  async _decodeAll(g) {
    while (!g.stopped) {
      if (this._interruptSignal || g.interrupted) {
        g.triggerStop();
        break;
      }
      await g.decode();
    }
  }

  /**
   * @internal WebLLM's asyncGenerate: the lock is taken at the first next(). With `resumed` (a
   * session), the continuation of its reply (WebLLM's streamContinuation): the KV cache is
   * restored instead of the prefill, and empty deltas are left out.
   */
  async *_stream(request, pipeline, plan, timeReceived, journal, resumed) {
    await pipeline.lock.acquire();
    try {
      const isChat = 'messages' in request;
      const state = { id: uuid(plan.rand), created: Math.floor(Date.now() / 1000) };
      this._interruptSignal = false;
      const g = new Generation(this, pipeline, request, plan);
      const model = pipeline.id;
      const object = isChat ? 'chat.completion.chunk' : 'text_completion';
      const logprobs = request.logprobs ? { content: [] } : null;
      g.journal = journal;
      const deltaChunk = () => {
        const d = g.delta();
        if (resumed !== undefined && d === '') return undefined;
        return isChat
          ? { id: state.id, choices: [{ delta: { content: d, role: 'assistant' }, finish_reason: null, index: 0, logprobs }], model, object, created: state.created }
          : { id: state.id, choices: [{ text: d, finish_reason: null, index: 0, logprobs }], model, object, created: state.created };
      };
      if (resumed === undefined) await g.prefill();
      else await g.replay(resumed);
      let chunk = deltaChunk();
      if (chunk !== undefined) yield chunk;
      while (!g.stopped) {
        if (this._interruptSignal || g.interrupted) {
          g.triggerStop();
          break;
        }
        await g.decode();
        chunk = deltaChunk();
        if (chunk !== undefined) yield chunk;
      }
      yield isChat
        ? { id: state.id, choices: [{ delta: {}, finish_reason: g.finishReason, index: 0 }], model, object, created: state.created }
        : { id: state.id, choices: [{ text: '', finish_reason: g.finishReason, index: 0 }], model, object, created: state.created };
      if (request.stream_options?.include_usage === true) {
        const e2e = this._timeScale > 0 ? (Date.now() - timeReceived) / 1000 : g.timeline.virtualMs / 1000;
        yield {
          id: state.id,
          choices: [],
          usage: {
            completion_tokens: g.completionTokens,
            prompt_tokens: g.promptTokens,
            total_tokens: g.completionTokens + g.promptTokens,
            extra: {
              e2e_latency_s: e2e,
              prefill_tokens_per_s: g.promptTokens / g.prefillS,
              decode_tokens_per_s: g.decodeTokens / g.decodeS,
              time_to_first_token_s: g.prefillS,
              time_per_output_token_s: g.decodeTokens > 0 ? g.decodeS / g.decodeTokens : 0,
              latencyBreakdown: undefined,
            },
          },
          model,
          object,
          created: state.created,
        };
      }
    } catch (err) {
      journal?.error(err);
      throw err;
    } finally {
      // A stream that failed or was left early is journaled as aborted (WebLLM's closeStreamJournal).
      if (journal?.begun) {
        journal.end('abort');
        journal.close();
      }
      pipeline.lock.release();
    }
  }

  /** `engine.embeddings.create(request)` */
  embedding(request) {
    if (this._worker) {
      return (async () => {
        this._workerClientCheck(request, undefined);
        return this._asWorker(this._embedding(request));
      })();
    }
    return this._embedding(request);
  }

  async _embedding(request) {
    const pipeline = this._states('EmbeddingCreateParams', true, request.model);
    checkEmbeddingRequest(request);
    const n = ++this._requests;
    const rand = makeRandom(mix(mix(this._seed, 0xe3b), n));
    await pipeline.lock.acquire();
    try {
      const input = request.input;
      const items = typeof input === 'string' ? [input] : typeof input[0] === 'number' ? [input] : input;
      let tokens = 0;
      for (const item of items) tokens += typeof item === 'string' ? tokensOf(item.length) : item.length;
      const t = new Timeline(this._timeScale);
      const took = await t.advance(rand.lognormal(15 + (1000 * tokens) / pipeline.profile.prefillTps, 0.2));
      if (pipeline.disposed) throw new Error('Cannot run the model: its pipeline was disposed (unload() or a lost device).');
      const dims = pipeline.profile.dims;
      const data = items.map((item, index) => {
        const r = makeRandom(hashString(typeof item === 'string' ? item : item.join(',')));
        const v = new Array(dims);
        let norm = 0;
        for (let k = 0; k < dims; k++) norm += (v[k] = r.normal()) ** 2;
        norm = Math.sqrt(norm);
        for (let k = 0; k < dims; k++) v[k] /= norm;
        return { embedding: v, index, object: 'embedding' };
      });
      return {
        data,
        model: pipeline.id,
        object: 'list',
        usage: { prompt_tokens: tokens, total_tokens: tokens, extra: { prefill_tokens_per_s: tokens / (took / 1000) } },
      };
    } finally {
      pipeline.lock.release();
    }
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
    return this._asWorker(fn());
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
    return this._call(async () => [...resumableSessions.keys()].sort().map((id) => probeSession(resumableSessions.get(id))));
  }

  /**
   * The text a session's reply had, or with `{ continueGeneration: true }` the rest of the reply:
   * a stream of chunks (with `stream: true`, for a streamed chat request; the session is locked
   * at its first next()) or, once the reply ends, a ResumeResult. A session that cannot continue
   * (finished, or its model not loaded) gives its text ("text_only").
   */
  resumeChatCompletion(sessionId, options) {
    return this._call(async () => {
      const session = this._session(sessionId);
      if (options?.continueGeneration !== true) return textOnlyResult(session);
      if (options.stream === true && !session.finished && session.request.stream === true) {
        if (!this.loadedModelIdToPipeline.has(session.modelId)) return textOnlyResult(session);
        const stream = this._resumeStream(sessionId);
        return this._worker ? workerStream(stream) : stream;
      }
      lockSession(session);
      try {
        const pipeline = this.loadedModelIdToPipeline.get(session.modelId);
        if (pipeline === undefined) return textOnlyResult(session);
        await pipeline.lock.acquire();
        try {
          if (session.finished) return textOnlyResult(session);
          const g = new Generation(this, pipeline, session.request, this._plan(session.request, session));
          g.journal = new ResumableJournal(session.config, session);
          this._interruptSignal = false;
          try {
            await g.replay(session);
            await this._decodeAll(g);
          } catch (err) {
            g.journal.error(err);
            throw err;
          }
          return {
            sessionId,
            recoveredText: g.message,
            emittedTokens: session.emittedTokens,
            processedSeqLen: session.processedSeqLen,
            replayedTokens: g.replayedTokens,
            recoveryMode: g.recoveryMode,
          };
        } finally {
          pipeline.lock.release();
        }
      } finally {
        session.active = false;
      }
    });
  }

  /** @internal the continued stream of a session, which locks it at the first next(). */
  async *_resumeStream(sessionId) {
    const timeReceived = Date.now();
    const session = this._session(sessionId);
    lockSession(session);
    let handedOver = false;
    try {
      const pipeline = this.loadedModelIdToPipeline.get(session.modelId);
      if (pipeline === undefined || session.finished)
        throw new Error(`Resumable session ${sessionId} became unavailable for continued streaming.`);
      const journal = new ResumableJournal(session.config, session);
      const plan = this._plan(session.request, session);
      handedOver = true;
      yield* this._stream(session.request, pipeline, plan, timeReceived, journal, session);
    } finally {
      if (!handedOver) session.active = false;
    }
  }

  /** Deletes a session (a no-op for an unknown id); not while a generation writes to it. */
  deleteResumableSession(sessionId) {
    return this._call(async () => {
      checkSessionId(sessionId);
      const session = resumableSessions.get(sessionId);
      if (session?.active) throw new Error(`Resumable session is already active: ${sessionId}`);
      resumableSessions.delete(sessionId);
    });
  }

  /** @internal a stored session, or WebLLM's "not found" error. */
  _session(sessionId) {
    checkSessionId(sessionId);
    const session = resumableSessions.get(sessionId);
    if (session === undefined) throw new Error(`Resumable session not found: ${sessionId}`);
    return session;
  }
}

const ABORTED = Symbol('reload aborted');

/** A worker engine's client-side stream: next() rejections are strings. */
async function* workerStream(inner) {
  const it = inner[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let r;
      try {
        r = await it.next();
      } catch (err) {
        done = true;
        throw toWorkerRejection(err);
      }
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
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

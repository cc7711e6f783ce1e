// WebLLM's own engine classes without a GPU, for the fault and privacy tests (not a test file).
// A real MLCEngine (@mlc-ai/web-llm) runs its own reload(), unload(), chatCompletion(),
// asyncGenerate(), interruptGenerate(), request checks, locks' use, chunk and usage shapes and
// error classes; only what needs WebGPU is replaced: reloadInternal() (the download and the GPU
// pipeline), the prefill and decode steps, and the pipeline object, which is a FakePipeline.
// The WebWorkerMLCEngine pair connects WebLLM's real client and handler through a fake worker.
import { MLCEngine, ModelType, WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from '@mlc-ai/web-llm';
import { makeRandom } from '../../js/random.js';
import { checkAlive, finishAfter, maxTokensOf, promptTokensOf, randomWord, replyTokensOf } from '../../js/simulated-engine/generation.js';
import { CustomLock } from '../../js/simulated-engine/lock.js';
import { textOnlyResult } from '../../js/simulated-engine/sessions.js';
import { hashString, macrotask } from '../../js/simulated-engine/time.js';

// The lock, the reply's tokens, the stop conditions, the prompt's token count and the turn of the
// event loop a GPU step waits are the simulated engine's (js/simulated-engine/): WebLLM's
// CustomLock, which the package does not export, and LLMChatPipeline's counting.
export { macrotask };

/**
 * Stands in for WebLLM's LLMChatPipeline: the reply is `reply`, or `words` random words drawn
 * from the model id, one word per token, then the stop token; each step waits one macrotask.
 * `throwAtStep: k` makes the k-th decode step throw `throwError` (default a plain Error). After
 * dispose() (unload, a lost device) the next step throws, as the disposed GPU objects do.
 * `device`: see the constructor.
 *
 * Not the simulated engine's Generation: WebLLM's MLCEngine calls the pipeline's own methods
 * (prefill and decode steps, stopped(), getMessage(), the getCurRound*() figures), so this keeps
 * LLMChatPipeline's shape; each step waits exactly one macrotask, not a simulated duration, so
 * that the tests' interleavings stay the same from run to run; the times are fixed (0.05 s of
 * prefill, 0.02 s a decoded token); and every prefill counts the whole conversation (WebLLM's
 * reuse of the KV cache is decided in the engine's prefill, which is replaced here).
 */
export class FakePipeline {
  constructor(id, { reply, words = 12, throwAtStep, throwError, device } = {}) {
    this.id = id;
    // `device`: a GPUDevice the model's weights live on (one buffer of 1 MiB); dispose()
    // destroys it, as WebLLM's runtime does on unload (index.js 5163).
    this.device = device;
    if (device !== undefined) device.createBuffer({ size: 1 << 20 });
    const rand = makeRandom(hashString(id));
    this.tokens = reply !== undefined ? replyTokensOf(reply) : Array.from({ length: words }, (_, i) => randomWord(rand, i + 1, words));
    this.throwAtStep = throwAtStep;
    this.throwError = throwError;
    this.disposed = false;
    this.rounds = 0;
    this.newRound();
  }

  newRound() {
    this.message = '';
    this.sampled = 0;
    this.steps = 0;
    this.finish = undefined;
    this.maxTokens = Infinity;
    this.promptTokens = 0;
  }

  async prefill(input, genConfig) {
    checkAlive(this);
    this.newRound();
    this.rounds += 1;
    this.maxTokens = maxTokensOf(genConfig);
    this.promptTokens = promptTokensOf(input);
    await macrotask();
    checkAlive(this);
    this.sample();
  }

  async decode() {
    checkAlive(this);
    this.steps += 1;
    if (this.throwAtStep === this.steps) throw this.throwError ?? new Error('Simulated GPU failure while decoding');
    await macrotask();
    checkAlive(this);
    this.sample();
  }

  // `sampled` leaves the stop token out: WebLLM counts it as a completion token (and its step as
  // a decoded one), but the tests written against this fake expect a reply's words only (a
  // 4-word reply, 4 completion tokens: tests/js/wrapper-webllm.test.mjs).
  sample() {
    this.finish = finishAfter(this.sampled + 1, this.tokens.length, this.maxTokens, Infinity);
    if (this.finish === 'stop') return;
    this.message += this.tokens[this.sampled];
    this.sampled += 1;
  }

  getMessage() {
    return this.message;
  }
  stopped() {
    return this.finish !== undefined;
  }
  triggerStop() {
    if (this.finish === undefined) this.finish = 'abort';
  }
  getFinishReason() {
    return this.finish;
  }
  getTokenLogprobArray() {
    return [];
  }
  getCurRoundCompletionTotalTokens() {
    return this.sampled;
  }
  getCurRoundDecodingTotalTokens() {
    return Math.max(0, this.sampled - 1);
  }
  getCurRoundPrefillTotalTokens() {
    return this.promptTokens;
  }
  getCurRoundPrefillTotalTime() {
    return 0.05;
  }
  getCurRoundDecodingTotalTime() {
    return 0.02 * Math.max(0, this.sampled - 1);
  }
  getCurRoundPrefillTokensPerSec() {
    return this.promptTokens / 0.05;
  }
  getCurRoundDecodingTokensPerSec() {
    return this.sampled > 1 ? 50 : NaN;
  }
  getCurRoundGrammarInitTotalTime() {
    return 0;
  }
  getCurRoundGrammarPerTokenTotalTime() {
    return 0;
  }
  getCurRoundLatencyBreakdown() {
    return undefined;
  }
  setSeed() {}
  dispose() {
    this.disposed = true;
    if (this.device !== undefined) this.device.destroy();
  }
  async sync() {}
}

const realGetLLMStates = MLCEngine.prototype.getLLMStates;

/**
 * A real MLCEngine whose GPU parts are replaced. `pipelines(modelId)` gives the options of the
 * FakePipeline a load creates (called at each load). A load reports WebLLM's texts ("Start to
 * fetch params", "Loading model from cache[1/1]...", "Finish loading on WebGPU - Fake Adapter")
 * and, like WebLLM's fetches, notices reloadController's abort (unload() or another reload()).
 * `engine.pipeline(id)` is the loaded FakePipeline.
 */
export function patchedMLCEngine(engineConfig = {}, pipelines = () => ({})) {
  const engine = new MLCEngine({ logLevel: 'SILENT', ...engineConfig });
  const checkAbort = () => {
    const signal = engine.reloadController && engine.reloadController.signal;
    if (signal && signal.aborted) throw new DOMException('Engine.unload() is called.', 'AbortError');
  };
  engine.reloadInternal = async function reloadInternal(modelId) {
    this.loadedModelIdToModelType.set(modelId, ModelType.LLM);
    this.loadedModelIdToChatConfig.set(modelId, {});
    const options = pipelines(modelId);
    const report = this.initProgressCallback;
    if (report !== undefined) report({ progress: 0, timeElapsed: 0, text: 'Start to fetch params' });
    await macrotask();
    checkAbort();
    // `fetchedMB: [a, b, ...]`: WebLLM's download texts first (cumulative MB after each shard).
    const fetched = options.fetchedMB ?? [];
    for (let i = 0; i < fetched.length; i++) {
      const text = `Fetching param cache[${i + 1}/${fetched.length}]: ${fetched[i]}MB fetched. ${Math.floor(((i + 1) * 100) / fetched.length)}% completed, 1 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.`;
      if (report !== undefined) report({ progress: (i + 1) / fetched.length, timeElapsed: 1, text });
      await macrotask();
      checkAbort();
    }
    if (report !== undefined) report({ progress: 1, timeElapsed: 0, text: 'Loading model from cache[1/1]: 10MB loaded. 100% completed, 0 secs elapsed.' });
    await macrotask();
    checkAbort();
    this.loadedModelIdToPipeline.set(modelId, new FakePipeline(modelId, options));
    this.loadedModelIdToLock.set(modelId, new CustomLock());
    if (this.initProgressCallback !== undefined) this.initProgressCallback({ progress: 1, timeElapsed: 0.01, text: 'Finish loading on WebGPU - Fake Adapter' });
  };
  // The real model selection (ModelNotLoadedError, SpecifiedModelNotFoundError...), but the
  // pipeline is not an LLMChatPipeline, which WebLLM checks with instanceof.
  engine.getLLMStates = function getLLMStates(requestName, modelId) {
    try {
      return realGetLLMStates.call(this, requestName, modelId);
    } catch (err) {
      if (!(err && err.name === 'IncorrectPipelineLoadedError')) throw err;
      const id = modelId ?? [...this.loadedModelIdToPipeline.keys()][0];
      return [id, this.loadedModelIdToPipeline.get(id), this.loadedModelIdToChatConfig.get(id)];
    }
  };
  engine.prefill = async (input, pipeline, _chatConfig, genConfig) => pipeline.prefill(input, genConfig);
  engine.decode = async (pipeline, genConfig) => pipeline.decode(genConfig);
  engine.pipeline = (id) => engine.loadedModelIdToPipeline.get(id);
  return engine;
}

/** What WebLLM's `device.lost` handler does when the device is lost after loading: unload(). */
export function loseDevice(engine) {
  return engine.unload();
}

/**
 * WebLLM's WebWorkerMLCEngine and WebWorkerMLCEngineHandler connected by a fake worker (messages
 * structured-cloned, delivered asynchronously); the handler runs `backend`.
 */
export function workerPair(backend, engineConfig) {
  return restartableWorkerPair(backend, engineConfig).client;
}

/**
 * Resumable sessions on a patchedMLCEngine, without OPFS. WebLLM's own code decides what is
 * saved: its coordinator's normalizeForRequest() sees the very request the engine received (the
 * journal saves that one, index.js 17305) and gives the session id; here the request is kept in
 * memory instead. The engine's own resumeChatCompletion(), listResumableSessions() and
 * deleteResumableSession() run, over a coordinator whose resume() replays the saved request
 * with WebLLM's streamCurrentGeneration() (so the chunks, the final chunk and the usage chunk
 * are WebLLM's; the usage chunk comes when the saved request has stream_options.include_usage),
 * under the model's lock taken at the first next(), as resumeEager() does. The prefill stands in
 * for the token replay. Returns the saved requests by session id.
 */
export function addResumableSessions(engine) {
  const saved = new Map();
  const coordinator = engine.resumableCoordinator;
  const normalize = coordinator.normalizeForRequest.bind(coordinator);
  coordinator.tryCreateJournal = () => undefined; // no OPFS here: WebLLM's own fallback
  coordinator.normalizeForRequest = (request, modelId) => {
    const config = normalize(request, modelId);
    if (config !== undefined) saved.set(config.sessionId, { request: structuredClone(request), modelId });
    return config;
  };
  const textOnly = (sessionId) => textOnlyResult({ sessionId, message: '', emittedTokens: 0, processedSeqLen: 0 });
  coordinator.listSessions = async () =>
    [...saved].map(([sessionId, s]) => ({
      sessionId,
      modelId: s.modelId,
      emittedTokens: 0,
      processedSeqLen: 0,
      resumable: true,
      recoveryMode: 'token_replay',
      reason: 'generation incomplete',
    }));
  coordinator.deleteSession = async (sessionId) => {
    saved.delete(sessionId);
  };
  coordinator.resume = async (sessionId, options) => {
    const s = saved.get(sessionId);
    if (s === undefined) throw new Error(`Resumable session not found: ${sessionId}`);
    const pipeline = engine.loadedModelIdToPipeline.get(s.modelId);
    if (options?.continueGeneration !== true || pipeline === undefined) return textOnly(sessionId);
    const lock = engine.loadedModelIdToLock.get(s.modelId);
    const request = s.request;
    if (options.stream === true && request.stream === true) {
      return (async function* resumed() {
        await lock.acquire();
        try {
          await pipeline.prefill(request, {});
          const state = { id: crypto.randomUUID(), created: Math.floor(Date.now() / 1000), prevMessageLength: pipeline.getMessage().length };
          yield* engine.streamCurrentGeneration(request, s.modelId, pipeline, {}, Date.now(), state, () => engine.decode(pipeline, {}), {
            emitCurrent: false,
            skipEmptyDelta: true,
          });
        } finally {
          await lock.release();
        }
      })();
    }
    await lock.acquire();
    try {
      await pipeline.prefill(request, {});
      while (!pipeline.stopped()) await engine.decode(pipeline, {});
      return {
        sessionId,
        recoveredText: pipeline.getMessage(),
        emittedTokens: pipeline.sampled,
        processedSeqLen: pipeline.promptTokens + pipeline.sampled,
        replayedTokens: 0,
        recoveryMode: 'token_replay',
      };
    } finally {
      await lock.release();
    }
  };
  return saved;
}

/**
 * A WebWorkerMLCEngine whose worker can be restarted: restart() connects the same client to a
 * new WebWorkerMLCEngineHandler running `backend` (a fresh engine with nothing loaded), as after
 * a service worker was stopped and started again. The client still expects its models, and the
 * handler reloads them inside the next request (reloadIfUnmatched).
 */
export function restartableWorkerPair(backend, engineConfig) {
  const deliver = (fn, msg) => setTimeout(() => fn(structuredClone(msg)), 0);
  let handler;
  const worker = {
    onmessage: null,
    postMessage: (msg) => deliver((m) => handler.onmessage(m), msg),
  };
  const connect = (engine) => {
    handler = new WebWorkerMLCEngineHandler();
    handler.postMessage = (msg) => deliver((m) => worker.onmessage(m), msg);
    handler.engine = engine;
    engine.setInitProgressCallback((report) => handler.postMessage({ kind: 'initProgressCallback', uuid: '', content: report }));
  };
  connect(backend);
  const client = new WebWorkerMLCEngine(worker, engineConfig);
  return { client, restart: connect };
}

// WebLLM's own engine classes without a GPU, for the fault and privacy tests (not a test file).
// A real MLCEngine (@mlc-ai/web-llm) runs its own reload(), unload(), chatCompletion(),
// asyncGenerate(), interruptGenerate(), request checks, locks' use, chunk and usage shapes and
// error classes; only what needs WebGPU is replaced: reloadInternal() (the download and the GPU
// pipeline), the prefill and decode steps, and the pipeline object, which is a FakePipeline.
// The WebWorkerMLCEngine pair connects WebLLM's real client and handler through a fake worker.
import { MLCEngine, ModelType, WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from '@mlc-ai/web-llm';

/** One turn of the event loop, as a GPU step awaits the device. */
export const macrotask = () => new Promise((resolve) => setImmediate(resolve));

/** A FIFO lock handed over on release (WebLLM's CustomLock, which the package does not export). */
export class Lock {
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

  async release() {
    if (this.queue.length === 0) this.acquired = false;
    else this.queue.shift()();
  }
}

/**
 * Stands in for WebLLM's LLMChatPipeline: the reply is `reply` (or `words` numbered words), one
 * word per token; each decode step waits one macrotask. `throwAtStep: k` makes the k-th decode
 * step throw `throwError` (default a plain Error). After dispose() (unload, a lost device) the
 * next step throws, as the disposed GPU objects do.
 */
export class FakePipeline {
  constructor(id, { reply, words = 12, throwAtStep, throwError } = {}) {
    this.id = id;
    this.tokens = reply !== undefined ? reply.split(/(?<= )/) : Array.from({ length: words }, (_, i) => `w${i + 1} `);
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
    this.isStopped = false;
    this.maxTokens = Infinity;
    this.promptTokens = 0;
  }

  checkAlive() {
    if (this.disposed) throw new Error('Cannot run a disposed pipeline (the model was unloaded, or the device lost).');
  }

  async prefill(input, genConfig) {
    this.checkAlive();
    this.newRound();
    this.rounds += 1;
    if (genConfig && typeof genConfig.max_tokens === 'number' && genConfig.max_tokens > 0) this.maxTokens = genConfig.max_tokens;
    const messages = Array.isArray(input.messages) ? input.messages : [{ content: input.prompt ?? '' }];
    this.promptTokens = 8 + messages.reduce((n, m) => n + Math.ceil(String(m.content ?? '').length / 4), 0);
    await macrotask();
    this.checkAlive();
    this.sample();
  }

  async decode() {
    this.checkAlive();
    this.steps += 1;
    if (this.throwAtStep === this.steps) throw this.throwError ?? new Error('Simulated GPU failure while decoding');
    await macrotask();
    this.checkAlive();
    this.sample();
  }

  sample() {
    if (this.sampled >= this.tokens.length) {
      this.isStopped = true;
      this.finish = 'stop';
      return;
    }
    this.message += this.tokens[this.sampled];
    this.sampled += 1;
    if (this.sampled >= this.maxTokens) {
      this.isStopped = true;
      this.finish = 'length';
    }
  }

  getMessage() {
    return this.message;
  }
  stopped() {
    return this.isStopped;
  }
  triggerStop() {
    if (this.isStopped) return;
    this.isStopped = true;
    this.finish = 'abort';
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
    const report = this.initProgressCallback;
    if (report !== undefined) report({ progress: 0, timeElapsed: 0, text: 'Start to fetch params' });
    await macrotask();
    checkAbort();
    if (report !== undefined) report({ progress: 1, timeElapsed: 0, text: 'Loading model from cache[1/1]: 10MB loaded. 100% completed, 0 secs elapsed.' });
    await macrotask();
    checkAbort();
    this.loadedModelIdToPipeline.set(modelId, new FakePipeline(modelId, pipelines(modelId)));
    this.loadedModelIdToLock.set(modelId, new Lock());
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
  const deliver = (fn, msg) => setTimeout(() => fn(structuredClone(msg)), 0);
  const handler = new WebWorkerMLCEngineHandler();
  const worker = {
    onmessage: null,
    postMessage: (msg) => deliver((m) => handler.onmessage(m), msg),
  };
  handler.postMessage = (msg) => deliver((m) => worker.onmessage(m), msg);
  handler.engine = backend;
  backend.setInitProgressCallback((report) => handler.postMessage({ kind: 'initProgressCallback', uuid: '', content: report }));
  return new WebWorkerMLCEngine(worker, engineConfig);
}

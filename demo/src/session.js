// The demo's state and actions, outside React: which engine is loaded, the load's progress, the
// chat, the scripted workload, the injected device loss. The UI (App.jsx) renders `getState()`
// through useSyncExternalStore; tests drive the same actions through `window.demo`.
//
// Engines: the simulated WebLLM engine by default (no GPU, no download; it behaves as a
// WebWorkerMLCEngine, so what "the worker" throws arrives as "Name: message" strings, as in real
// apps), or the real @mlc-ai/web-llm MLCEngine behind a switch, imported lazily so that the
// simulated default never loads its 6 MB bundle.
import { classifyError } from 'webllm-monitor';
import { CreateSimulatedMLCEngine, simulatedHasModelInCache } from 'webllm-monitor/simulated-engine';

/** WebLLM model ids (all in WebLLM's prebuiltAppConfig), smallest first. */
export const MODELS = [
  { id: 'SmolLM2-360M-Instruct-q4f16_1-MLC', label: 'SmolLM2 360M (206 MB)' },
  { id: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', label: 'Qwen2.5 0.5B (276 MB)' },
  { id: 'Llama-3.2-1B-Instruct-q4f16_1-MLC', label: 'Llama 3.2 1B (664 MB)' },
];

/** Simulation speeds (the simulated engine's timeScale is 1 / speed). */
export const SPEEDS = [1, 4, 20, 100];

/** WebLLM's message when WebGPU is missing (its WebGPUNotAvailableError, which it does not export). */
const WEBGPU_MISSING =
  'WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine. ' +
  'Please make sure that your browser supports WebGPU and that it is enabled in your browser settings. ' +
  "You can also consult your browser's compatibility chart to see if it supports WebGPU. " +
  'For more information about WebGPU support in your browser, visit https://webgpureport.org/';

/** The workload's kinds of generation, each tagged with monitorType. */
const WORKLOAD = [
  {
    type: 'chat',
    request: (i) => ({
      messages: [{ role: 'user', content: PROMPTS[i % PROMPTS.length] }],
      stream: true,
      temperature: 0.7,
    }),
  },
  {
    type: 'enhance_summary',
    request: (i) => ({
      messages: [
        { role: 'system', content: 'Rewrite the summary so that it is shorter and clearer. Keep every fact.' },
        { role: 'user', content: `Summary ${i + 1}: ${SUMMARY}` },
      ],
      stream: false,
      temperature: 0.2,
      max_tokens: 96,
    }),
  },
  {
    type: 'translate',
    request: (i) => ({
      messages: [
        { role: 'system', content: 'Translate the user text into French. Answer with the translation only.' },
        { role: 'user', content: SENTENCES[i % SENTENCES.length] },
      ],
      stream: true,
      temperature: 0,
      max_tokens: 64,
    }),
  },
];

const PROMPTS = [
  'What does WebGPU change for running language models in a browser?',
  'Give me three tips to make a small model answer faster.',
  'Why is the second load of a model faster than the first?',
  'Explain time to first token in one paragraph.',
];
const SUMMARY =
  'The team met to review the release. The model now loads from the browser cache on the second visit, ' +
  'time to first token fell by a third, and two crashes on older GPUs remain open. The release is planned for Friday.';
const SENTENCES = ['The model runs entirely in your browser.', 'Your data never leaves this device.', 'Loading takes a while the first time only.'];

/** Chunks of the workload's interrupted generation before interruptGenerate() is called. */
const INTERRUPT_AFTER_CHUNKS = 4;

/** Unloads an engine being replaced; one that cannot (a lost device) is dropped anyway. */
async function unloadQuietly(engine) {
  try {
    await engine.unload();
  } catch {
    // nothing to do
  }
}

/**
 * The demo session over one monitor.
 */
export class DemoSession {
  /** @type {import('webllm-monitor').Monitor} */ monitor;
  #listeners = new Set();
  #state;
  /** The wrapped engine in use, its kind, the unwrapped simulated engine (for its fault controls). */
  #engine = null;
  #raw = null;
  #seed = 0;
  #messageId = 0;
  #webllm = null;

  /**
   * @param {import('webllm-monitor').Monitor} monitor
   * @param {{ speed?: number, model?: string }} [options]
   */
  constructor(monitor, { speed = 1, model = MODELS[0].id } = {}) {
    this.monitor = monitor;
    this.#state = {
      /** What the next Load uses. */
      engineKind: 'simulated',
      model,
      speed,
      webgpu: typeof navigator !== 'undefined' && !!navigator.gpu,
      /** The load in progress or the last one. */
      load: { phase: 'idle', model: null, kind: null, progress: 0, text: '', fromCache: null, durationMs: null, error: null },
      /** The model loaded and ready, and by which engine. */
      loaded: null,
      /** What runs now: null | 'load' | 'chat' | 'workload' | 'inject'. */
      busy: null,
      messages: [],
      workload: null,
      /** An error shown above the chat: { name, message, context }. */
      alert: null,
    };
  }

  // -------------------------------------------------------------------------------------------
  // The store (useSyncExternalStore)

  getState = () => this.#state;

  subscribe = (listener) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #set(patch) {
    this.#state = { ...this.#state, ...(typeof patch === 'function' ? patch(this.#state) : patch) };
    for (const l of this.#listeners) l();
  }

  #updateMessage(id, patch) {
    this.#set((s) => ({ messages: s.messages.map((m) => (m.id === id ? { ...m, ...patch } : m)) }));
  }

  // -------------------------------------------------------------------------------------------
  // Settings

  setModel(model) {
    this.#set({ model });
  }

  setSpeed(speed) {
    this.#set({ speed: Number(speed) });
  }

  /** Chooses the engine of the next load: 'simulated' or 'real' (@mlc-ai/web-llm). */
  setEngineKind(kind) {
    if (kind !== 'simulated' && kind !== 'real') throw new TypeError(`engine kind: expected "simulated" or "real", got ${kind}`);
    this.#set({ engineKind: kind, alert: null });
  }

  dismissAlert() {
    this.#set({ alert: null });
  }

  /** WebLLM's hasModelInCache for the engine of the next load (given to createMonitor). */
  hasModelInCache = async (modelId, appConfig) => {
    if (this.#state.load.kind === 'real' && this.#webllm) return this.#webllm.hasModelInCache(modelId, appConfig);
    return simulatedHasModelInCache(modelId, appConfig);
  };

  // -------------------------------------------------------------------------------------------
  // Loading

  /**
   * Loads `model` with the chosen engine; resolves to the load's final state. A failure is shown
   * (its WebLLM name and message), and a failed real engine switches the demo back to the
   * simulated one.
   */
  async load(model = this.#state.model) {
    if (this.#state.busy) throw new Error(`busy: ${this.#state.busy}`);
    const kind = this.#state.engineKind;
    this.#set({
      busy: 'load',
      model,
      alert: null,
      load: { phase: 'loading', model, kind, progress: 0, text: 'Starting…', fromCache: null, durationMs: null, error: null },
    });
    const t0 = performance.now();
    const initProgressCallback = (report) => {
      this.#set((s) => ({ load: { ...s.load, progress: report.progress, text: report.text } }));
    };
    // A real engine holds GPU memory: unload it before loading anything else. A simulated one is
    // kept until the new engine is ready, so that the demo stays usable if the load fails.
    if (this.#state.loaded?.kind === 'real') await this.#unloadCurrent();
    const previous = this.#engine;
    const previousRaw = this.#raw;
    const previousModel = this.#state.loaded?.model;
    try {
      let engine;
      let raw = null;
      if (kind === 'real') {
        if (typeof navigator === 'undefined' || !navigator.gpu) {
          const err = new Error(WEBGPU_MISSING);
          err.name = 'WebGPUNotAvailableError';
          throw err;
        }
        this.#webllm ??= await import('@mlc-ai/web-llm');
        engine = await this.monitor.createEngine(this.#webllm.CreateMLCEngine, model, { initProgressCallback });
      } else {
        const speed = this.#state.speed;
        engine = await this.monitor.createEngine(async (...args) => (raw = await CreateSimulatedMLCEngine(...args)), model, {
          initProgressCallback,
          timeScale: 1 / speed,
          seed: ++this.#seed,
          worker: true,
        });
      }
      this.#engine = engine;
      this.#raw = raw;
      // The monitor counts a model loaded until an engine unloads it: a simulated engine replaced by
      // one with the same model is dropped (it holds nothing) rather than unloaded.
      if (previous && previousModel !== model) await unloadQuietly(previous);
      const init = this.monitor.getMetrics().initialization;
      const load = {
        ...this.#state.load,
        phase: 'ready',
        progress: 1,
        fromCache: init.lastFromCache,
        durationMs: performance.now() - t0,
      };
      this.#set({ busy: null, load, loaded: { model, kind } });
      return load;
    } catch (err) {
      const error = classifyError(err);
      const load = { ...this.#state.load, phase: 'error', durationMs: performance.now() - t0, error };
      const fallback = kind === 'real';
      this.#engine = previous;
      this.#raw = previousRaw;
      this.#set({
        busy: null,
        load,
        engineKind: fallback ? 'simulated' : this.#state.engineKind,
        alert: {
          ...error,
          context: fallback
            ? `The real WebLLM engine could not load ${model}` +
              (error.name === 'TypeError' && /fetch/i.test(error.message) ? ' (its files could not be downloaded: offline?)' : '') +
              '. The demo switched back to the simulated engine' +
              (this.#state.loaded ? ` (${this.#state.loaded.model} is still loaded).` : '.')
            : `Loading ${model} failed.`,
        },
      });
      return load;
    }
  }

  async #unloadCurrent() {
    const engine = this.#engine;
    this.#engine = null;
    this.#raw = null;
    if (this.#state.loaded) this.#set({ loaded: null });
    if (engine) await unloadQuietly(engine);
  }

  #requireEngine() {
    if (!this.#engine || !this.#state.loaded) throw new Error('Load a model first.');
    return this.#engine;
  }

  // -------------------------------------------------------------------------------------------
  // Chat

  /** The conversation so far as WebLLM messages (failed turns left out; the last few turns). */
  #history() {
    const out = [];
    for (const m of this.#state.messages) {
      if (m.error || m.streaming) continue;
      if (m.role === 'assistant' && m.content === '') continue;
      out.push({ role: m.role, content: m.content });
    }
    return out.slice(-6);
  }

  /**
   * Sends `text` and streams the reply into the chat token by token. Resolves to the assistant
   * message when the reply ends (or fails: then `error` is set).
   */
  async send(text) {
    const engine = this.#requireEngine();
    if (this.#state.busy) throw new Error(`busy: ${this.#state.busy}`);
    const content = String(text).trim();
    if (content === '') throw new Error('Nothing to send.');
    const history = this.#history();
    const user = { id: ++this.#messageId, role: 'user', content };
    const reply = { id: ++this.#messageId, role: 'assistant', content: '', streaming: true, chunks: 0, model: this.#state.loaded.model };
    this.#set((s) => ({ busy: 'chat', messages: [...s.messages, user, reply] }));
    return this.#stream(engine, { messages: [...history, { role: 'user', content }], stream: true, temperature: 0.7, monitorType: 'chat' }, reply.id);
  }

  /** Streams one request into the assistant message `id`. */
  async #stream(engine, request, id) {
    let content = '';
    let chunks = 0;
    let finishReason = null;
    try {
      const stream = await engine.chat.completions.create(request);
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta?.content) {
          content += choice.delta.content;
          chunks += 1;
          this.#updateMessage(id, { content, chunks });
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      this.#updateMessage(id, { streaming: false, finishReason });
    } catch (err) {
      this.#updateMessage(id, { streaming: false, error: classifyError(err) });
    } finally {
      this.#set({ busy: null });
    }
    return this.#state.messages.find((m) => m.id === id);
  }

  /** Stops the reply being streamed (finish_reason "abort"). */
  async stop() {
    if (this.#engine) await this.#engine.interruptGenerate();
  }

  clearChat() {
    this.#set({ messages: [] });
  }

  // -------------------------------------------------------------------------------------------
  // The scripted workload

  /**
   * Runs `n` generations of three types (chat, enhance_summary, translate) one after the other,
   * with occasional errors and aborts injected through the simulated engine's faults and one
   * generation stopped by interruptGenerate(). Loads the selected model first when none is.
   * Resolves to { total, succeeded, failed, aborted, byType, durationMs }.
   */
  async runWorkload(n = 12, { errorRate = 0.1, abortRate = 0.1 } = {}) {
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new RangeError(`runWorkload: n: expected an integer in 1..1000, got ${n}`);
    if (!this.#state.loaded) {
      const load = await this.load();
      if (load.phase !== 'ready') throw new Error(`runWorkload: the model did not load: ${load.error?.name}: ${load.error?.message}`);
    }
    const engine = this.#requireEngine();
    if (this.#state.busy) throw new Error(`busy: ${this.#state.busy}`);
    const raw = this.#raw;
    const summary = { total: n, done: 0, succeeded: 0, failed: 0, aborted: 0, byType: {}, durationMs: 0, running: true };
    this.#set({ busy: 'workload', workload: { ...summary } });
    const t0 = performance.now();
    const interruptAt = Math.floor(n / 2);
    raw?.setFaults({ errorRate, abortRate });
    try {
      for (let i = 0; i < n; i++) {
        const kind = WORKLOAD[i % WORKLOAD.length];
        const request = { ...kind.request(i), monitorType: kind.type };
        const interrupt = i === interruptAt;
        if (interrupt) request.stream = true;
        let outcome;
        try {
          if (interrupt) raw?.setFaults({});
          const result = await engine.chat.completions.create(request);
          if (request.stream) {
            let chunks = 0;
            let finish = null;
            for await (const chunk of result) {
              const choice = chunk.choices[0];
              if (choice?.delta?.content) chunks += 1;
              if (choice?.finish_reason) finish = choice.finish_reason;
              if (interrupt && chunks === INTERRUPT_AFTER_CHUNKS) await engine.interruptGenerate();
            }
            outcome = finish === 'abort' ? 'aborted' : 'succeeded';
          } else {
            outcome = result.choices[0]?.finish_reason === 'abort' ? 'aborted' : 'succeeded';
          }
        } catch {
          outcome = 'failed';
        } finally {
          if (interrupt) raw?.setFaults({ errorRate, abortRate });
        }
        summary[outcome] += 1;
        summary.done += 1;
        const t = (summary.byType[kind.type] ??= { total: 0, succeeded: 0, failed: 0, aborted: 0 });
        t.total += 1;
        t[outcome] += 1;
        summary.durationMs = performance.now() - t0;
        this.#set({ workload: { ...summary, byType: { ...summary.byType } } });
      }
    } finally {
      raw?.setFaults({});
      summary.running = false;
      summary.durationMs = performance.now() - t0;
      this.#set({ busy: null, workload: { ...summary } });
    }
    return { ...summary };
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  /**
   * A generation that fails with a lost GPU device, as a WebWorkerMLCEngine reports it: the
   * string "DeviceLostError: ...". With the simulated engine loaded, a real request fails through
   * the engine's faults (shown in the chat); otherwise the failure is recorded by hand with
   * monitor.recordGeneration({ error }). Resolves to { name, message }.
   */
  async injectDeviceLost() {
    if (this.#state.busy) throw new Error(`busy: ${this.#state.busy}`);
    const raw = this.#raw;
    if (this.#engine && raw && this.#state.loaded?.kind === 'simulated') {
      const user = { id: ++this.#messageId, role: 'user', content: 'Summarize this page (a lost GPU device is injected).' };
      const reply = { id: ++this.#messageId, role: 'assistant', content: '', streaming: true, chunks: 0, model: this.#state.loaded.model };
      this.#set((s) => ({ busy: 'inject', messages: [...s.messages, user, reply] }));
      raw.setFaults({ errorRate: 1, errorName: 'DeviceLostError' });
      try {
        const done = await this.#stream(this.#engine, { messages: [{ role: 'user', content: user.content }], stream: true, monitorType: 'chat' }, reply.id);
        return done.error ?? { name: 'none', message: 'the generation did not fail' };
      } finally {
        raw.setFaults({});
      }
    }
    const error = 'DeviceLostError: The WebGPU device was lost while generating (injected by the demo): the GPU ran out of memory or was reset.';
    this.monitor.recordGeneration({
      model: this.#state.loaded?.model ?? this.#state.model,
      type: 'chat',
      operation: 'chat',
      durationMs: 180,
      error,
    });
    return classifyError(error);
  }
}

// One model load measured: reload() or the factory of createEngine(), or one the worker ran by
// itself inside a generation request; and unload().

import { boundMessage, classifyError } from './errors.js';
import { recordableModel } from './hooks.js';
import { LoadEvidence } from './progress.js';

export class LoadTracker {
  /**
   * @param {import('./hooks.js').Guard} guard
   * @param {unknown[]} ids
   * @param {unknown} appConfig the app's config, or undefined: then hasModelInCache is not asked
   * @param {(ok: boolean, ids: string[]) => void} [onDone]
   */
  constructor(guard, ids, appConfig, onDone) {
    this.guard = guard;
    this.ids = ids.map((id) => String(id));
    this.model = this.ids.join('+');
    this.onDone = onDone;
    this.startedAt = guard.now();
    this.t0 = guard.clock();
    this.durationMs = 0;
    this.interrupted = false;
    this.settled = false;
    /** What the progress texts say of this load. */
    this.evidence = new LoadEvidence();
    this.cacheAnswer = undefined; // true | false once hasModelInCache answered
    this.cachePending = null;
    const has = guard.hooks.hasModelInCache;
    if (typeof has === 'function' && appConfig !== undefined && appConfig !== null) {
      try {
        const answers = this.ids.map((id) => has.call(guard.hooks, id, appConfig));
        this.cachePending = Promise.all(answers).then(
          (values) => {
            if (values.every((v) => typeof v === 'boolean')) this.cacheAnswer = values.every((v) => v);
            this.cachePending = null;
          },
          () => {
            // Not a fault: WebLLM's hasModelInCache rejects for a model missing from the app
            // config, and the load then fails with its own error. The answer stays unknown.
            this.cachePending = null;
          },
        );
      } catch (err) {
        guard.fault('hooks.hasModelInCache', err);
        this.cachePending = null;
      }
    }
    guard.call('loadStarted', { model: this.model });
  }

  onProgress(report) {
    if (this.settled || report === null || typeof report !== 'object') return;
    const text = typeof report.text === 'string' ? report.text : '';
    this.evidence.read(text);
    this.guard.call('loadProgress', { model: this.model, progress: report.progress, timeElapsed: report.timeElapsed, text });
  }

  /** Every model reported "Finish loading", each after its start. */
  complete() {
    return this.evidence.complete(this.ids.length);
  }

  /** The engine's reload resolved. */
  succeed() {
    if (this.settled) return;
    // A service worker's handler that has these models loaded already skips the reload and
    // reports "Finish loading" alone: nothing was loaded, so no load is recorded.
    if (!this.interrupted && this.evidence.finishOnly()) {
      this.settled = true;
      this.guard.call('loadFinished', { model: this.model, ok: true, error: undefined });
      if (this.onDone) this.onDone(true, this.ids);
      return;
    }
    // A reload interrupted by unload() or another reload() resolves too, without having loaded:
    // a model whose "Start to fetch params" had no "Finish loading" gives it away.
    const aborted = this.interrupted || this.evidence.unfinished();
    this.finish(aborted ? ABORT_ERROR : undefined);
  }

  fail(err) {
    this.finish(err === undefined ? new Error('undefined') : err, true);
  }

  finish(error, failed = error !== undefined) {
    if (this.settled) return;
    this.settled = true;
    const durationMs = (this.durationMs = Math.max(0, this.guard.clock() - this.t0));
    const evidence = this.evidence;
    evidence.commitBytes();
    const record = () => {
      try {
        const e = { model: recordableModel(this.model), startedAt: this.startedAt, durationMs };
        // The texts are evidence; hasModelInCache decides only when they say nothing.
        let fromCache = evidence.fromCache();
        if (fromCache === 'unknown' && this.cacheAnswer !== undefined) fromCache = this.cacheAnswer;
        e.fromCache = fromCache;
        // WebLLM's "MB fetched": an upper bound when part of the model was cached (see js/wrapper.js).
        if (evidence.fetchSeen) e.bytesFetched = evidence.committedBytes;
        else if (fromCache === true) e.bytesFetched = 0;
        if (failed) {
          const { name, message } = classifyError(error);
          e.errorName = name;
          if (message !== '') e.errorMessage = boundMessage(message);
        }
        this.guard.call('recordModelLoad', e);
        this.guard.call('loadFinished', { model: this.model, ok: !failed, error: failed ? error : undefined });
        if (this.onDone) this.onDone(!failed, this.ids);
      } catch (err) {
        this.guard.fault('load', err);
      }
    };
    if (this.cachePending === null || evidence.fetchSeen || evidence.loadSeen) record();
    else {
      // hasModelInCache has not answered yet: record when it does (or after 3 s without it).
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, 3000);
        if (timer && typeof timer.unref === 'function') timer.unref();
      });
      Promise.race([this.cachePending, timeout]).then(() => {
        clearTimeout(timer);
        record();
      });
    }
  }
}

const ABORT_ERROR = Object.freeze({
  name: 'AbortError',
  message: 'reload() returned without loading the model: it was interrupted by unload() or another reload()',
});

// ---------------------------------------------------------------------------------------------
// reload() and unload() through a wrapper

/**
 * `engine.reload(modelId, chatOpts, ...rest)` measured as one load of the wrapper `ctx`. Whatever
 * the engine returns, throws or rejects with is what the caller gets.
 * @param {import('./context.js').Context} ctx
 */
export function measureReload(ctx, modelId, chatOpts, rest) {
  let load = null;
  try {
    const ids = Array.isArray(modelId) ? modelId : [modelId];
    const previous = ctx.loadedModels();
    if (ctx.currentLoad !== null) ctx.currentLoad.interrupted = true;
    ctx.interruptImplicitLoad();
    ctx.call('unloading', undefined);
    // reload() unloads everything first.
    if (previous !== undefined && previous.length > 0) ctx.call('unloaded', { model: previous.join('+') });
    ctx.loaded = [];
    ctx.installObserver();
    load = new LoadTracker(ctx, ids, ctx.cacheConfig(), (ok, loadedIds) => {
      if (ok) ctx.loaded = loadedIds;
    });
    ctx.currentLoad = load;
  } catch (err) {
    ctx.fault('reload', err);
  }
  const done = () => {
    if (ctx.currentLoad === load) ctx.currentLoad = null;
  };
  let p;
  try {
    p = ctx.engine.reload(modelId, chatOpts, ...rest);
  } catch (err) {
    done();
    if (load !== null) load.fail(err);
    throw err;
  }
  if (p === null || typeof p !== 'object' || typeof p.then !== 'function') {
    done();
    if (load !== null) load.succeed();
    return p;
  }
  return p.then(
    (value) => {
      done();
      if (load !== null) load.succeed();
      return value;
    },
    (err) => {
      done();
      if (load !== null) load.fail(err);
      throw err;
    },
  );
}

/**
 * `engine.unload(...args)`: the monitor learns that the models are being unloaded, then that
 * they are.
 * @param {import('./context.js').Context} ctx
 */
export function measureUnload(ctx, args) {
  let models;
  try {
    if (ctx.currentLoad !== null) ctx.currentLoad.interrupted = true;
    ctx.interruptImplicitLoad();
    ctx.call('unloading', undefined);
    models = ctx.loadedModelName();
  } catch (err) {
    ctx.fault('unload', err);
  }
  const after = () => {
    ctx.loaded = [];
    ctx.call('unloaded', { model: models });
  };
  const p = ctx.engine.unload(...args);
  if (p === null || typeof p !== 'object' || typeof p.then !== 'function') {
    after();
    return p;
  }
  return p.then((value) => {
    after();
    return value;
  });
}

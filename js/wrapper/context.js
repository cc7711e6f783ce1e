// The state of one wrapper: the engine it wraps, the progress observer it installs, what it knows
// of the loaded models, the loads and generations in flight.

import { Guard } from './hooks.js';
import { LoadTracker } from './load.js';

/** wrapper -> its Context */
export const contexts = new WeakMap();
/** a wrapper's progress observer -> its Context */
const observers = new WeakMap();
/** More nested wrappers than this are taken for a cycle. */
const MAX_NESTING = 64;

/** Whether `obj` is a wrapper (made by wrapEngine or createEngine). */
export function isWrapper(obj) {
  return contexts.has(obj);
}

export class Context extends Guard {
  constructor(engine, hooks, init) {
    super(hooks);
    this.engine = engine;
    this.userCallback = undefined;
    this.observerInstalled = false;
    this.appConfig = init && init.appConfig !== undefined ? init.appConfig : undefined;
    /** @type {string[] | undefined} models known to be loaded (undefined: not known) */
    this.loaded = init && init.loaded ? init.loaded : undefined;
    /** @type {LoadTracker | null} */
    this.currentLoad = null;
    /** A load the worker runs inside a generation request (reloadIfUnmatched), seen by its texts. */
    /** @type {LoadTracker | null} */
    this.implicitLoad = null;
    /** @type {Set<import('./generation.js').Measurement>} generations not recorded yet */
    this.inFlight = new Set();
    this.subProxies = new WeakMap();
    this.bound = new Map();
    this.inObserver = false;
    this.observer = (report) => {
      // A cycle of progress callbacks (another wrapper that took this one for the app's, or the
      // app's own) ends here instead of overflowing the stack.
      if (this.inObserver) return undefined;
      this.inObserver = true;
      try {
        try {
          this.onProgress(report);
        } catch (err) {
          this.fault('progress', err);
        }
        const cb = this.userCallback;
        // The app's callback is called as the engine would call it; its exceptions are its own.
        if (cb !== undefined && cb !== null) return cb(report);
        return undefined;
      } finally {
        this.inObserver = false;
      }
    };
    observers.set(this.observer, this);
    try {
      this.installObserver(init && 'userCallback' in init, init ? init.userCallback : undefined);
    } catch (err) {
      this.fault('setInitProgressCallback', err);
    }
  }

  onProgress(report) {
    let load = this.currentLoad;
    if (load === null) load = this.implicitLoad ?? this.startImplicitLoad(report);
    if (load === null) return;
    load.onProgress(report);
    if (load === this.implicitLoad && load.complete()) this.endImplicitLoad(undefined, false);
  }

  /**
   * Load texts while no reload() runs but a generation does: a worker handler reloading inside
   * that request, the models being those the client expects (its `modelId`).
   */
  startImplicitLoad(report) {
    if (this.inFlight.size === 0 || report === null || typeof report !== 'object' || typeof report.text !== 'string') return null;
    if (!/^(Start to fetch params|Fetching param cache|Loading model from cache|Loading GPU shader)/.test(report.text)) return null;
    const ids = safeField(this.engine, 'modelId');
    const models = Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string') ? ids : this.loadedModels();
    if (models === undefined || models.length === 0) return null;
    this.implicitLoad = new LoadTracker(this, models, undefined, (ok, loadedIds) => {
      if (ok) this.loaded = loadedIds;
    });
    return this.implicitLoad;
  }

  /** The implicit load is over: the generations it delayed keep its time out of their TTFT. */
  endImplicitLoad(error, failed) {
    const load = this.implicitLoad;
    if (load === null) return;
    this.implicitLoad = null;
    if (failed) load.fail(error);
    else load.succeed();
    for (const m of this.inFlight) if (m.ttft < 0 && m.t0 <= load.t0) m.loadMs += load.durationMs;
  }

  /** A generation was recorded (or discarded): an implicit load cannot outlive the requests. */
  generationEnded(m, error, failed) {
    if (this.implicitLoad === null) return;
    const load = this.implicitLoad;
    if (m.ttft < 0 && m.t0 <= load.t0) {
      // The request the load ran in (or one waiting behind it) ended first.
      this.endImplicitLoad(error, failed);
      m.loadMs += load.durationMs;
    } else if (this.inFlight.size === 0) this.endImplicitLoad(undefined, false);
  }

  /** Puts the wrapper's progress observer on the engine; the callback found there is the app's. */
  installObserver(given = false, userCallback = undefined) {
    const e = this.engine;
    if (typeof e.setInitProgressCallback !== 'function') return;
    const current = typeof e.getInitProgressCallback === 'function' ? e.getInitProgressCallback() : e.initProgressCallback;
    if (current === this.observer) return;
    this.userCallback = given ? userCallback : current;
    e.setInitProgressCallback(this.observer);
    this.observerInstalled = true;
  }

  /** The models the engine has loaded, from the wrapper's records or the engine's own fields. */
  loadedModels() {
    if (this.loaded !== undefined) return this.loaded;
    try {
      const e = this.engine;
      if (e.loadedModelIdToPipeline instanceof Map) return [...e.loadedModelIdToPipeline.keys()].map(String);
      if (Array.isArray(e.modelId)) return e.modelId.map(String);
    } catch (err) {
      this.fault('loadedModels', err);
    }
    return undefined;
  }

  loadedModelName() {
    const models = this.loadedModels();
    return models !== undefined && models.length > 0 ? models.join('+') : undefined;
  }

  noteNothingLoaded() {
    if (this.loaded === undefined || this.loaded.length > 0) this.call('unloaded', { model: undefined });
    this.loaded = [];
  }

  /**
   * After a failed generation: an engine in this realm that has no model any more (a lost GPU
   * device makes MLCEngine unload everything) has nothing loaded. A worker engine's client cannot
   * tell; its next call fails with ModelNotLoadedError, which says the same.
   */
  checkStillLoaded() {
    try {
      if (this.currentLoad !== null) return;
      const pipelines = this.engine.loadedModelIdToPipeline;
      if (pipelines instanceof Map && pipelines.size === 0 && (this.loaded === undefined || this.loaded.length > 0)) this.noteNothingLoaded();
    } catch (err) {
      this.fault('loadedModels', err);
    }
  }

  interruptImplicitLoad() {
    if (this.implicitLoad === null) return;
    this.implicitLoad.interrupted = true;
    this.endImplicitLoad(undefined, false);
  }

  /**
   * The app config for hasModelInCache: the one the app gave (createEngine's engineConfig,
   * setAppConfig through the wrapper), else the config an MLCEngine keeps (the app's or WebLLM's
   * default, which it loads with). A worker engine keeps none: undefined, hasModelInCache is not
   * asked (it would fall back to WebLLM's prebuilt config and its "cache" backend).
   */
  cacheConfig() {
    if (this.appConfig !== undefined) return this.appConfig;
    const config = safeField(this.engine, 'appConfig');
    return config !== null && typeof config === 'object' ? config : undefined;
  }

  /** Wrapping an engine that has models loaded already: the monitor learns them now. */
  announceLoaded() {
    const models = this.loadedModels();
    if (models !== undefined && models.length > 0) this.call('loadFinished', { model: models.join('+'), ok: true, error: undefined });
  }

  // -------------------------------------------------------------------------------------------
  // Intercepted methods (reload and unload: load.js)

  setInitProgressCallback(cb, rest) {
    try {
      this.installObserver();
      if (this.observerInstalled) {
        this.setAppCallback(cb);
        return undefined;
      }
    } catch (err) {
      this.fault('setInitProgressCallback', err);
    }
    return this.engine.setInitProgressCallback(cb, ...rest);
  }

  getInitProgressCallback(args) {
    if (this.observerInstalled) {
      try {
        const current = this.engine.getInitProgressCallback(...args);
        if (current === this.observer) return this.appCallback();
        return current; // replaced behind the wrapper's back: the engine's is the truth
      } catch (err) {
        this.fault('getInitProgressCallback', err);
        return this.appCallback();
      }
    }
    return this.engine.getInitProgressCallback(...args);
  }

  /** The app's callback: the one this observer calls, past the observers of outer wrappers. */
  appCallback() {
    let cb = this.userCallback;
    for (let i = 0, c = observers.get(cb); c !== undefined && i < MAX_NESTING; i++, c = observers.get(cb)) cb = c.userCallback;
    return observers.has(cb) ? undefined : cb;
  }

  /** The app sets its callback: at the end of the chain of observers, which stays in place. */
  setAppCallback(cb) {
    let ctx = this;
    if (!observers.has(cb)) {
      for (let i = 0, c = observers.get(ctx.userCallback); c !== undefined && i < MAX_NESTING; i++, c = observers.get(ctx.userCallback)) ctx = c;
    }
    ctx.userCallback = cb;
  }

  setAppConfig(appConfig, rest) {
    this.appConfig = appConfig;
    return this.engine.setAppConfig(appConfig, ...rest);
  }
}

function safeField(obj, key) {
  try {
    return obj[key];
  } catch {
    return undefined;
  }
}

// The wrapper itself: a Proxy of the engine whose methods are measured, wrappers of one engine
// nested (each monitor its own), and createEngine(), which measures the first load too.

import { describeValue } from '../log.js';
import { Context, contexts } from './context.js';
import { measure, measureResume } from './generation.js';
import { Guard } from './hooks.js';
import { LoadTracker, measureReload, measureUnload } from './load.js';

/** engine -> the outermost of its wrappers (the last made; each wraps the one before) */
const outermost = new WeakMap();

/** The engine under a wrapper, or under several nested ones (the argument itself when it is not a wrapper). */
export function unwrapEngine(engine) {
  let e = engine;
  for (let ctx = contexts.get(e); ctx !== undefined; ctx = contexts.get(e)) e = ctx.engine;
  return e;
}

const METHODS = new Set([
  'chatCompletion',
  'completion',
  'embedding',
  'reload',
  'unload',
  'setInitProgressCallback',
  'getInitProgressCallback',
  'setAppConfig',
  'resumeChatCompletion',
]);

function makeHandler(ctx) {
  const methods = {
    chatCompletion: (request) => measure(ctx, 'chat', request, (req) => ctx.engine.chatCompletion(req)),
    completion: (request) => measure(ctx, 'completion', request, (req) => ctx.engine.completion(req)),
    embedding: (request) => measure(ctx, 'embedding', request, (req) => ctx.engine.embedding(req)),
    reload: (modelId, chatOpts, ...rest) => measureReload(ctx, modelId, chatOpts, rest),
    unload: (...args) => measureUnload(ctx, args),
    setInitProgressCallback: (cb, ...rest) => ctx.setInitProgressCallback(cb, rest),
    getInitProgressCallback: (...args) => ctx.getInitProgressCallback(args),
    setAppConfig: (appConfig, ...rest) => ctx.setAppConfig(appConfig, rest),
    resumeChatCompletion: (sessionId, options, ...rest) => measureResume(ctx, sessionId, options, rest),
  };
  return {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof prop === 'string' && replaceable(target, prop)) {
        if (METHODS.has(prop)) return typeof value === 'function' ? methods[prop] : value;
        // The engine calls the wrapper's observer; the app reads back its own callback.
        if (prop === 'initProgressCallback' && value === ctx.observer && ctx.observerInstalled) return ctx.appCallback();
        if (value !== null && typeof value === 'object') {
          if (prop === 'chat') return chatProxy(ctx, value);
          if (prop === 'completions') return createProxy(ctx, value, 'completion');
          if (prop === 'embeddings') return createProxy(ctx, value, 'embedding');
        }
      }
      if (typeof value === 'function' && prop !== 'constructor') return forward(ctx, prop, value);
      return value;
    },
  };
}

/** A Proxy may only return another value for a property that is not frozen on the target. */
function replaceable(target, prop) {
  const d = Reflect.getOwnPropertyDescriptor(target, prop);
  return d === undefined || d.configurable || d.writable === true;
}

/** A function property of the engine, called with `this` = the engine (bound once per function). */
function forward(ctx, prop, fn) {
  const cached = ctx.bound.get(prop);
  if (cached !== undefined && cached.fn === fn) return cached.bound;
  const bound = fn.bind(ctx.engine);
  ctx.bound.set(prop, { fn, bound });
  return bound;
}

/** A proxy of `obj` (engine.chat, engine.chat.completions...) whose `prop` is replaced. */
function subProxy(ctx, obj, prop, make) {
  let entry = ctx.subProxies.get(obj);
  if (entry === undefined) {
    const replacement = make(obj);
    const proxy = new Proxy(obj, {
      get: (target, key) => {
        if (key === prop && replaceable(target, key)) return replacement();
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' && key !== 'constructor' ? value.bind(target) : value;
      },
    });
    entry = proxy;
    ctx.subProxies.set(obj, entry);
  }
  return entry;
}

function chatProxy(ctx, chat) {
  return subProxy(ctx, chat, 'completions', (c) => () => {
    const completions = c.completions;
    if (completions === null || typeof completions !== 'object') return completions;
    return createProxy(ctx, completions, 'chat');
  });
}

function createProxy(ctx, obj, operation) {
  return subProxy(ctx, obj, 'create', (o) => {
    const create = (request) => measure(ctx, operation, request, (req) => o.create(req));
    return () => (typeof o.create === 'function' ? create : o.create);
  });
}

function checkHooks(hooks, where) {
  if (hooks === null || typeof hooks !== 'object') throw new TypeError(`${where}: hooks: expected the monitor's hooks object, got ${describeValue(hooks)}`);
}

function wrapInternal(engine, hooks, init) {
  if (engine === null || (typeof engine !== 'object' && typeof engine !== 'function'))
    throw new TypeError(`wrapEngine: engine: expected a WebLLM engine (an object), got ${describeValue(engine)}`);
  checkHooks(hooks, 'wrapEngine');
  // Wrappers of one engine nest: a new monitor wraps the outermost wrapper, so that each
  // observer sees the next one as the app's callback and no two ever take each other for it.
  const base = unwrapEngine(engine);
  const top = outermost.get(base) ?? base;
  for (let w = top, c = contexts.get(w); c !== undefined; w = c.engine, c = contexts.get(w)) {
    if (c.hooks === hooks) return w; // already this monitor's wrapper
  }
  const ctx = new Context(top, hooks, init);
  const wrapper = new Proxy(top, makeHandler(ctx));
  contexts.set(wrapper, ctx);
  outermost.set(base, wrapper);
  if (init === undefined) {
    try {
      ctx.announceLoaded();
    } catch (err) {
      ctx.fault('loadedModels', err);
    }
  }
  return wrapper;
}

/**
 * Wraps a WebLLM engine: the returned object behaves as `engine` (same methods, properties,
 * prototype) and every chat / completion / embedding call, reload and unload is measured into
 * `hooks`. Wrapping the same engine (or its wrapper) again with the same hooks returns the same
 * wrapper; with other hooks (another monitor), the new wrapper nests around the last one, and
 * both measure. An engine that has models loaded already tells the monitor so.
 * @template T
 * @param {T} engine
 * @param {object} hooks
 * @returns {T}
 */
export function wrapEngine(engine, hooks) {
  return wrapInternal(engine, hooks, undefined);
}

/**
 * Creates an engine with the app's factory (`CreateMLCEngine`, or e.g.
 * `(id, config, opts) => CreateWebWorkerMLCEngine(worker, id, config, opts)`) so that the first
 * load is measured too, and returns it wrapped. The app's `initProgressCallback` still receives
 * every report. A failed load is recorded and its error rethrown unchanged.
 * @param {(modelId: string | string[], engineConfig?: object, chatOpts?: unknown) => Promise<any>} factory
 * @param {string | string[]} modelId
 * @param {{ initProgressCallback?: (report: unknown) => unknown, appConfig?: unknown } | undefined} engineConfig
 * @param {unknown} chatOpts
 * @param {object} hooks
 */
export async function createEngine(factory, modelId, engineConfig, chatOpts, hooks) {
  if (typeof factory !== 'function') throw new TypeError(`createEngine: factory: expected a function such as CreateMLCEngine, got ${describeValue(factory)}`);
  checkHooks(hooks, 'createEngine');
  const guard = new Guard(hooks);
  const userCallback = engineConfig ? engineConfig.initProgressCallback : undefined;
  const appConfig = engineConfig ? engineConfig.appConfig : undefined;
  let load = null;
  let config = engineConfig;
  let loadedIds;
  try {
    load = new LoadTracker(guard, Array.isArray(modelId) ? modelId : [modelId], appConfig, (ok, ids) => {
      if (ok) loadedIds = ids;
    });
    const tracker = load;
    const observer = (report) => {
      try {
        tracker.onProgress(report);
      } catch (err) {
        guard.fault('progress', err);
      }
      if (userCallback !== undefined && userCallback !== null) return userCallback(report);
    };
    config = { ...(engineConfig ?? {}), initProgressCallback: observer };
  } catch (err) {
    guard.fault('createEngine', err);
    load = null;
    config = engineConfig;
  }
  let engine;
  try {
    engine = await factory(modelId, config, chatOpts);
  } catch (err) {
    if (load !== null) load.fail(err);
    throw err;
  }
  if (load !== null) load.succeed();
  const wrapper = wrapInternal(engine, hooks, { userCallback, appConfig, loaded: undefined });
  const ctx = contexts.get(wrapper);
  if (ctx !== undefined && loadedIds !== undefined) ctx.loaded = loadedIds;
  if (load !== null && load.cachePending !== null && ctx !== undefined) {
    // The load is recorded once hasModelInCache answers; note the loaded models then.
    const previous = load.onDone;
    load.onDone = (ok, ids) => {
      previous(ok, ids);
      if (ok && ctx.loaded === undefined) ctx.loaded = ids;
    };
  }
  return wrapper;
}

// The contract between the engine wrapper (js/wrapper.js) and a monitor: what a wrapped engine
// reports (generations, loads, progress, unloads) goes to the monitor's queue and log, and the
// live engine state that the core does not know (the load in progress, the models loaded) is
// kept here for getStatus().

/**
 * @param {{
 *   record: (method: string, event: object) => void,
 *   log: ReturnType<typeof import('../log.js').createLogger>,
 *   changed: () => void,
 *   snapshotMemory: (label: string) => Promise<void>,
 *   expectDestroy: () => void,
 *   fault: (where: string, err: unknown) => void,
 *   typeFor: (request: unknown) => string,
 *   options: { hasModelInCache?: Function, errorMessages?: boolean },
 * }} m
 * @returns {{ hooks: object, engines: { loading: object | null, loadedModels: Set<string> } }}
 */
export function createEngineHooks(m) {
  const engines = { loading: /** @type {object | null} */ (null), loadedModels: new Set() };
  const models = (model) => String(model).split('+');
  const hooks = {
    now: () => Date.now(),
    clock: () => performance.now(),
    typeFor: m.typeFor,
    recordGeneration: (event) => {
      m.record('recordGeneration', event);
      if (event.errorName) {
        m.log.warn('generation failed', { model: event.model, type: event.type, errorName: event.errorName, errorMessage: event.errorMessage });
      } else {
        m.log.debug('generation', {
          model: event.model,
          type: event.type,
          durationMs: event.durationMs,
          ttftMs: event.ttftMs,
          completionTokens: event.completionTokens,
          finishReason: event.finishReason,
        });
      }
    },
    recordModelLoad: (event) => {
      m.record('recordModelLoad', event);
      if (event.errorName) {
        m.log.error('model load failed', { model: event.model, errorName: event.errorName, errorMessage: event.errorMessage });
      } else {
        m.log.info('model loaded', { model: event.model, durationMs: event.durationMs, fromCache: event.fromCache, bytesFetched: event.bytesFetched });
      }
    },
    loadStarted: ({ model }) => {
      engines.loading = { model, progress: 0, timeElapsed: 0, text: '' };
      void m.snapshotMemory('before-init');
      m.changed();
    },
    loadProgress: ({ model, progress, timeElapsed, text }) => {
      engines.loading = { model, progress, timeElapsed, text };
      m.log.debug('load progress', { model, progress, text });
      m.changed();
    },
    loadFinished: ({ model, ok }) => {
      engines.loading = null;
      if (ok) for (const id of models(model)) engines.loadedModels.add(id);
      void m.snapshotMemory('after-init');
      m.changed();
    },
    // An engine starts to unload (unload(), or reload() which unloads first): MLCEngine
    // destroys its GPU device, which is then lost with reason "destroyed", as expected.
    unloading: () => m.expectDestroy(),
    unloaded: ({ model }) => {
      if (model === undefined || model === null) engines.loadedModels.clear();
      else for (const id of models(model)) engines.loadedModels.delete(id);
      m.changed();
    },
    generationStarted: () => {
      void m.snapshotMemory('before-generation');
    },
    generationFinished: () => {
      void m.snapshotMemory('after-generation');
    },
    hasModelInCache: m.options.hasModelInCache,
    errorMessages: m.options.errorMessages === true,
    fault: m.fault,
  };
  return { hooks, engines };
}

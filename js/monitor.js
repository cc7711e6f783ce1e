// createMonitor: the object web apps use. It owns one MonitorCore (every statistic is computed
// there), wraps WebLLM engines, runs the samplers, persists, notifies subscribers, and offers the
// reading, export and console commands. It never throws into the monitored app from the paths
// the app does not call directly (wrapped engines, samplers, timers, persistence).

import { MonitorCore, loadCore } from './core.js';
import { createLogger, describeValue as describe, errorFields } from './log.js';
import { installCommands } from './monitor/console.js';
import { OwnEvents } from './monitor/own-events.js';
import { Subscribers } from './monitor/subscribers.js';
import { createEngineHooks } from './monitor/engine-hooks.js';
import { checkOptions, otlpInstanceId } from './monitor/options.js';
import { CSV_COLUMNS, defaultFilename, downloadText, summaryRows, toCSV } from './output.js';
import { createPersistence } from './persist.js';
import { checkAttributes, checkResource, createOtlpPusher } from './otlp.js';
import { createMemorySampler, createWebGpuSampler } from './samplers.js';
import { VERSION } from './version.js';
import { classifyError, createEngine as createWrappedEngine, wrapEngine } from './wrapper.js';

/**
 * Creates a monitor. Loads the WebAssembly core once per page (later calls reuse it), restores
 * the last persisted session when `persist` is set, and starts the samplers.
 * @param {import('./index.js').MonitorOptions} [options] see `MonitorOptions` in index.d.ts
 * @returns {Promise<Monitor>}
 */
export async function createMonitor(options = {}) {
  const otlp = checkOptions(options);
  const coreConfig = {};
  for (const key of ['historySize', 'prices', 'currency', 'thresholds']) if (options[key] !== undefined) coreConfig[key] = options[key];
  const [module, core] = await Promise.all([loadCore(), MonitorCore.create(coreConfig)]);
  if (otlp && options.otlp.resource?.['service.instance.id'] === undefined) otlp.resource['service.instance.id'] = otlpInstanceId(options);
  const monitor = new Monitor(module, core, { ...options, otlp: otlp ?? undefined }, TOKEN);
  await monitor._start();
  return monitor;
}

const TOKEN = Symbol('createMonitor');

export class Monitor {
  #module;
  /** @type {MonitorCore | null} */ #core;
  #options;
  #log;
  #strict;
  #defaultType;
  /** The type set by withType() for calls made while its function runs synchronously. */
  /** @type {string | undefined} */ #currentType = undefined;
  /** Live status the core does not know: loading progress and the models in use (engine-hooks.js). */
  #engines;
  #faults = 0;
  #inFault = false;
  #memorySampler = null;
  #webgpuSampler = null;
  #persistence = null;
  /** @type {Subscribers} */ #subscribers;
  /** @type {(() => void) | null} */ #uninstallConsole = null;
  #hooks;
  /** @type {ReturnType<typeof createOtlpPusher> | null} */ #otlp = null;
  #otlpStats = { pushes: 0, failures: 0, last: null };
  /** @type {Record<string, string | number | boolean> | null} */ #otlpResource = null;
  /** @type {OwnEvents} */ #own;
  /** getMetrics(): the last snapshot, the core's key it was built for, and its number. */
  /** @type {object | null} */ #snapshot = null;
  #snapshotKey = '';
  #seq = 0;

  /** Use `await createMonitor(options)`. */
  constructor(module, core, options, token) {
    if (token !== TOKEN) throw new TypeError('Monitor: use `await createMonitor(options)`');
    this.#module = module;
    this.#core = core;
    this.#options = options;
    this.#strict = options.strict === true;
    this.#defaultType = options.defaultType ?? 'default';
    this.#subscribers = new Subscribers({
      throttleMs: options.throttleMs ?? 250,
      read: () => ({ metrics: this.getMetrics(), status: this.getStatus() }),
      fault: (where, err) => this.#fault(where, err),
      alive: () => this.#core !== null,
    });
    this.#log = createLogger({ debug: options.debug === true, sink: options.logger ?? globalThis.console });
    this.#own = new OwnEvents(core, this.#log, (where, err) => this.#fault(where, err));
    const { hooks, engines } = createEngineHooks({
      record: (method, event) => this.#recordQuietly(method, event),
      log: this.#log,
      changed: () => this.#changed(),
      snapshotMemory: (label) => this.snapshotMemory(label),
      expectDestroy: () => this.#webgpuSampler?.expectDestroy(),
      fault: (where, err) => this.#fault(where, err),
      /** @param {any} request the engine's request: its `monitorType` tag, when it has one */
      typeFor: (request) => {
        const tagged = request && typeof request === 'object' ? request.monitorType : undefined;
        return typeof tagged === 'string' && tagged !== '' ? tagged : (this.#currentType ?? this.#defaultType);
      },
      options: this.#options,
    });
    this.#hooks = hooks;
    this.#engines = engines;
  }

  /** @internal Restores persisted data and starts samplers; called once by createMonitor. */
  async _start() {
    const o = this.#options;
    if (o.persist) {
      this.#persistence = createPersistence({
        kind: o.persist,
        key: o.persistKey ?? 'webllm-monitor',
        intervalMs: o.persistIntervalMs ?? 30_000,
        save: () => this.#core.exportJson(),
        fault: (where, err) => this.#fault(where, err),
      });
      const text = await this.#persistence.restore();
      if (text !== null) {
        try {
          this.#core.importJson(text);
          this.#log.info('restored the persisted session', { key: o.persistKey ?? 'webllm-monitor', bytes: text.length });
        } catch (err) {
          // The reason first: a console shows an entry's first fields without unfolding it.
          const { errorMessage, errorName } = errorFields(err);
          this.#log.warn('discarded a corrupt persisted session', { errorMessage, errorName, path: err.path });
          await this.#persistence.clear();
        }
      }
      this.#persistence.start();
    }
    // Also without navigator.gpu: the sampler then records `available: false`, which is news.
    if (o.webgpu !== false) {
      this.#webgpuSampler = createWebGpuSampler({
        recordInfo: (info) => this.#recordQuietly('recordWebGpu', info),
        recordDeviceLost: (e) => {
          this.#recordQuietly('recordDeviceLost', e);
          this.#log.error('WebGPU device lost', { reason: e.reason, message: e.message });
          this.#changed();
        },
        trackBuffers: o.gpuBuffers === true,
        fault: (where, err) => this.#fault(where, err),
      });
      // Not awaited: requesting an adapter takes a while and must not delay the app.
      this.#webgpuSampler.start().then(
        () => this.#changed(),
        (err) => this.#fault('webgpu.start', err),
      );
    }
    if (o.memory !== false && o.sampleIntervalMs !== 0) {
      this.#memorySampler = createMemorySampler({
        intervalMs: o.sampleIntervalMs ?? 5000,
        record: (sample) => this.#recordQuietly('recordMemorySample', sample),
        wasmHeapBytes: () => this.#module.HEAPU8.length,
        gpuBufferBytes: () => this.#webgpuSampler?.gpuBufferBytes(),
        fault: (where, err) => this.#fault(where, err),
      });
      this.#memorySampler.start();
    }
    if (o.otlp) {
      this.#otlp = createOtlpPusher({
        options: o.otlp,
        body: () => this.#live().otlpJson({ resource: o.otlp.resource, scopeVersion: VERSION }),
        onResult: (result) => this.#otlpResult(result),
      });
      this.#otlp.start();
    }
    this.#log.debug('monitor ready', { debug: o.debug === true, persist: o.persist ?? false, otlp: o.otlp?.url ?? false });
  }

  // -------------------------------------------------------------------------------------------
  // Engines

  /**
   * Wraps a WebLLM engine (MLCEngine, WebWorkerMLCEngine, ServiceWorkerMLCEngine or the same
   * shape): the app uses the returned engine exactly as the original, and every call is measured.
   */
  wrap(engine) {
    this.#live();
    return wrapEngine(engine, this.#hooks);
  }

  /**
   * Creates an engine with the app's factory (CreateMLCEngine, CreateWebWorkerMLCEngine...) and
   * wraps it, so that the first load is measured too. The app's initProgressCallback is still called.
   */
  createEngine(factory, modelId, engineConfig, chatOpts) {
    this.#live();
    return createWrappedEngine(factory, modelId, engineConfig, chatOpts, this.#hooks);
  }

  /**
   * Runs `fn` with `type` as the type tag of every engine call it makes synchronously (before its
   * first await), and returns what `fn` returns. A request's own `monitorType` field wins.
   */
  withType(type, fn) {
    if (typeof type !== 'string' || type === '') throw new TypeError(`withType: type: expected a non-empty string, got ${describe(type)}`);
    if (typeof fn !== 'function') throw new TypeError(`withType: fn: expected a function, got ${describe(fn)}`);
    const previous = this.#currentType;
    this.#currentType = type;
    try {
      return fn();
    } finally {
      this.#currentType = previous;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Manual ingestion: for other engines and pipeline stages. Each returns { ok: true } or
  // { ok: false, field, message }; with `strict: true` a refusal throws a TypeError instead.

  /** Records one generation; `startedAt` defaults to now - durationMs, `type` to the default type. */
  recordGeneration(event) {
    return this.#record('recordGeneration', event, (e) => ({
      ...e,
      type: e.type ?? this.#currentType ?? this.#defaultType,
      startedAt: e.startedAt ?? (typeof e.durationMs === 'number' ? Date.now() - e.durationMs : undefined),
    }));
  }

  /** Records one model load; `startedAt` defaults to now - durationMs. */
  recordModelLoad(event) {
    return this.#record('recordModelLoad', event, (e) => ({
      ...e,
      startedAt: e.startedAt ?? (typeof e.durationMs === 'number' ? Date.now() - e.durationMs : undefined),
    }));
  }

  /** Records one lookup in a named cache: `{ cache, hit }`; `timestamp` defaults to now. */
  recordCacheLookup(event) {
    return this.#record('recordCacheLookup', event, (e) => ({ ...e, timestamp: e.timestamp ?? Date.now() }));
  }

  /** Records one run of a pipeline stage: `{ name, durationMs, success }`; `startedAt` defaults to now - durationMs. */
  recordOperation(event) {
    return this.#record('recordOperation', event, (e) => ({
      ...e,
      startedAt: e.startedAt ?? (typeof e.durationMs === 'number' ? Date.now() - e.durationMs : undefined),
    }));
  }

  /**
   * Times `fn` (sync or async) as the operation `name`: records its duration and whether it
   * succeeded, and returns its result or rethrows its error, unchanged.
   */
  track(name, fn) {
    if (typeof fn !== 'function') throw new TypeError(`track: fn: expected a function, got ${describe(fn)}`);
    const startedAt = Date.now();
    const t0 = performance.now();
    const done = (error) => {
      try {
        const e = { name, startedAt, durationMs: performance.now() - t0, success: error === undefined };
        // A message may quote the app's text: kept only with the errorMessages option.
        if (error !== undefined) {
          if (this.#options.errorMessages === true) e.error = error;
          else e.errorName = classifyError(error).name;
        }
        this.#recordQuietly('recordOperation', e);
      } catch (err) {
        this.#fault('track', err);
      }
    };
    let result;
    try {
      result = fn();
    } catch (err) {
      done(err ?? new Error(String(err)));
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      return result.then(
        (value) => {
          done(undefined);
          return value;
        },
        (err) => {
          done(err ?? new Error(String(err)));
          throw err;
        },
      );
    }
    done(undefined);
    return result;
  }

  /** Takes a labelled memory sample now (when the memory sampler runs). */
  snapshotMemory(label) {
    return this.#memorySampler ? this.#memorySampler.snapshot(label) : Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /** Health, model, loading progress and counts. */
  getStatus() {
    const core = this.#live();
    const s = core.status();
    return {
      ...s,
      ready: this.#engines.loading === null && this.#engines.loadedModels.size > 0,
      loading: this.#engines.loading ? { ...this.#engines.loading } : null,
      loadedModels: [...this.#engines.loadedModels],
      debug: this.#options.debug === true,
      persist: this.#options.persist ?? false,
      faults: this.#faults,
      otlp: this.#otlp ? { endpoint: this.#options.otlp.url, ...this.#otlpStats, last: this.#otlpStats.last && { ...this.#otlpStats.last } } : null,
    };
  }

  /**
   * The export's `metrics` object: every statistic, the windows, health. A deep-frozen snapshot,
   * the same object until something changes (an event, an import, a reset, the windows' next
   * 10 s step); its non-enumerable `seq` grows with each new one. A section (`generations`,
   * `errors`, ...) whose content did not change is the previous snapshot's object.
   */
  getMetrics() {
    const core = this.#live();
    this.#own.drain();
    const now = Date.now();
    const key = core.metricsKey(now);
    if (this.#snapshot === null || key !== this.#snapshotKey) {
      // The sections that did not change are the previous snapshot's (frozen) objects.
      const metrics = core.sharedMetrics(now);
      Object.defineProperty(metrics, 'seq', { value: ++this.#seq, enumerable: false });
      this.#snapshot = Object.freeze(metrics);
      this.#snapshotKey = key;
    }
    return this.#snapshot;
  }

  /**
   * The histogram of one series as chart bars, from the core: `path` as in
   * MonitorCore#quantile ("generations.latencyMs", "operations.<name>.durationMs"...).
   */
  getHistogram(path, { maxBins = 40 } = {}) {
    const core = this.#live();
    this.#own.drain();
    return core.histogram(path, maxBins);
  }

  /** The last `historySize` generations, oldest first. */
  getAllGenerations() {
    return this.#live().generations();
  }

  /** The last `historySize` memory samples, oldest first. */
  getMemorySnapshots() {
    return this.#live().memorySnapshots();
  }

  /** The whole export document as JSON text (schema: webllm-monitor/schema.json). */
  exportMetrics() {
    return this.#live().exportJson();
  }

  /** Replaces this monitor's data with an export's; throws an Error naming the JSON path, nothing changed. */
  importMetrics(json) {
    this.#live().importJson(json);
    this.#changed();
  }

  /** Adds one or more exports to this monitor's data (counts add, sketches merge exactly). */
  mergeMetrics(...jsons) {
    this.#live().mergeAll(jsons);
    this.#changed();
  }

  /** One CSV row per generation in the history, with a header. */
  exportCSV() {
    return toCSV(this.#live().generations());
  }

  /** Prints a table of the main series and the text report to the console; returns the report. */
  printMetrics() {
    const core = this.#live();
    const report = core.report();
    const out = this.#options.logger ?? globalThis.console;
    try {
      if (typeof out.table === 'function') out.table(summaryRows(this.getMetrics()));
      out.log(report);
    } catch (err) {
      this.#fault('printMetrics', err);
    }
    return report;
  }

  /** Downloads the export as a JSON file (browsers); returns the file name, or null without a DOM. */
  downloadMetrics(filename) {
    return this.#download(this.exportMetrics(), filename ?? defaultFilename('json'), 'application/json');
  }

  /** Downloads the generations as a CSV file (browsers); returns the file name, or null without a DOM. */
  downloadCSV(filename) {
    return this.#download(this.exportCSV(), filename ?? defaultFilename('csv'), 'text/csv');
  }

  /**
   * The session as an OTLP/JSON ExportMetricsServiceRequest (GenAI semantic conventions and the
   * webllm_monitor.* metrics, cumulative, exponential histograms from the core's buckets).
   * `resource` attributes go over the configured ones (options.otlp.resource) and the defaults.
   * @param {{ resource?: Record<string, string | number | boolean> }} [options]
   */
  toOTLP({ resource } = {}) {
    const core = this.#live();
    // Without the otlp option: the defaults, with one instance id for this monitor's lifetime.
    this.#otlpResource ??= this.#options.otlp?.resource ?? checkResource(undefined, 'toOTLP: resource', otlpInstanceId(this.#options));
    const base = this.#otlpResource;
    const merged = { ...base, ...checkAttributes(resource, 'toOTLP: resource') };
    return JSON.parse(core.otlpJson({ resource: merged, scopeVersion: VERSION }));
  }

  /**
   * Pushes to the configured OTLP endpoint now (with retries); resolves with the outcome and
   * never rejects. Throws only when the monitor has no `otlp` option.
   */
  pushOTLP() {
    this.#live();
    if (this.#otlp === null) throw new Error('pushOTLP: this monitor has no otlp option (createMonitor({ otlp: { endpoint } }))');
    return this.#otlp.push();
  }

  /** Forgets every event (configuration and subscriptions stay). */
  resetMetrics() {
    this.#live().reset(Date.now());
    this.#changed();
  }

  /**
   * Calls `listener({ metrics, status })` after changes, at most once per `throttleMs` (default
   * 250 ms), and once right away. Returns the function that unsubscribes.
   */
  subscribe(listener) {
    if (typeof listener !== 'function') throw new TypeError(`subscribe: listener: expected a function, got ${describe(listener)}`);
    this.#live();
    return this.#subscribers.add(listener);
  }

  /**
   * Puts the console commands on globalThis[name] (default `webllmMonitor`): printMetrics(),
   * getMetrics(), downloadMetrics()... Returns a function that removes them.
   */
  installConsole(name = 'webllmMonitor') {
    this.#live();
    if (typeof name !== 'string' || name === '') throw new TypeError(`installConsole: name: expected a non-empty string, got ${describe(name)}`);
    this.#uninstallConsole?.();
    const uninstall = installCommands(this, name, this.#options.logger ?? globalThis.console);
    this.#uninstallConsole = () => {
      uninstall();
      this.#uninstallConsole = null;
    };
    this.#log.debug('console commands installed', { name });
    return this.#uninstallConsole;
  }

  /** Stops samplers and timers, saves a last time when persisting, and frees the wasm memory. */
  async dispose() {
    if (this.#core === null) return;
    this.#otlp?.stop();
    this.#memorySampler?.stop();
    this.#webgpuSampler?.stop();
    if (this.#persistence) {
      await this.#persistence.saveNow();
      this.#persistence.stop();
    }
    this.#subscribers.clear();
    this.#uninstallConsole?.();
    this.#own.close();
    const core = this.#core;
    this.#core = null;
    core.dispose();
  }

  /** True once dispose() has run. */
  get disposed() {
    return this.#core === null;
  }

  /** The structured log's last 100 entries (those written at the current level). */
  get logEntries() {
    return [...this.#log.recent];
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  #live() {
    if (this.#core === null) throw new Error('webllm-monitor: this monitor was disposed');
    return this.#core;
  }

  #download(text, filename, mime) {
    if (typeof filename !== 'string' || filename === '') throw new TypeError(`download: filename: expected a non-empty string, got ${describe(filename)}`);
    if (downloadText(text, filename, mime)) {
      this.#log.debug('download started', { filename, bytes: text.length });
      return filename;
    }
    this.#log.warn('no document to download from: use exportMetrics() or exportCSV() instead', { filename });
    return null;
  }

  /** Records a manual event through the core, flushing at once so that the caller gets the outcome. */
  #record(method, event, complete) {
    const core = this.#live();
    let e = event;
    if (event !== null && typeof event === 'object' && !Array.isArray(event)) {
      try {
        e = complete(event);
      } catch {
        // A getter or Proxy that throws: the core reads the event again, and refuses it naming the throw.
      }
    }
    this.#own.drain(); // the monitor's own queued events first, so that the outcome below is this event's
    core[method](e);
    const { rejected } = core.flush();
    this.#changed();
    if (rejected.length === 0) return { ok: true };
    const { field, message } = rejected[rejected.length - 1];
    this.#log.warn('event refused', { method, field, message });
    if (this.#strict) {
      const err = new TypeError(message);
      /** @type {any} */ (err).field = field;
      throw err;
    }
    return { ok: false, field, message };
  }

  /**
   * Records the monitor's own measurements (from the wrapper, track(), samplers); never throws.
   * A refusal here means odd engine data or a bug of ours: it is logged, and counted by the core.
   */
  #recordQuietly(method, event) {
    const core = this.#core;
    if (core === null) return;
    try {
      this.#own.record(method, event);
      this.#changed();
    } catch (err) {
      this.#fault(method, err);
    }
  }

  /**
   * A failure of the monitoring itself (storage full, a sampler API missing, a listener bug):
   * logged, counted in getStatus().faults, and recorded as a failed operation
   * "webllm-monitor.<where>" so that it shows in the metrics and exports too.
   */
  #fault(where, err) {
    this.#faults++;
    this.#log.error('monitoring fault (the app is not affected)', { where, ...errorFields(err) });
    if (this.#inFault || this.#core === null) return;
    this.#inFault = true;
    try {
      const { errorName, errorMessage } = errorFields(err);
      this.#own.record('recordOperation', {
        name: `webllm-monitor.${where}`.slice(0, 256),
        startedAt: Date.now(),
        durationMs: 0,
        success: false,
        errorName,
        errorMessage,
      });
    } catch {
      // the core itself failed: the log entry above is all there is
    } finally {
      this.#inFault = false;
    }
  }

  /**
   * An OTLP push ended: counted in getStatus().otlp, recorded as the operation
   * "webllm-monitor.otlp" (so failures show in the metrics and exports), failures logged.
   */
  #otlpResult(result) {
    this.#otlpStats.pushes++;
    if (!result.ok) this.#otlpStats.failures++;
    this.#otlpStats.last = { ...result, at: Date.now() };
    if (result.ok) {
      this.#log.debug('OTLP push', { status: result.status, attempts: result.attempts, bytes: result.bytes, via: result.via });
    } else {
      this.#log.warn('OTLP push failed', { url: this.#options.otlp.url, status: result.status, attempts: result.attempts, error: result.error });
    }
    if (this.#core === null || result.via === 'beacon') return;
    try {
      const e = { name: 'webllm-monitor.otlp', startedAt: Date.now() - result.durationMs, durationMs: result.durationMs, success: result.ok };
      if (!result.ok) Object.assign(e, { errorName: 'OtlpExportError', errorMessage: String(result.error ?? 'failed').slice(0, 2048) });
      this.#own.record('recordOperation', e);
      this.#changed();
    } catch (err) {
      this.#fault('otlp', err);
    }
  }

  /** Something changed: notify subscribers, throttled. */
  #changed() {
    this.#subscribers.changed();
  }
}

export { CSV_COLUMNS };

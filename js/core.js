// MonitorCore, the low-level layer over the WebAssembly core: one monitor's data in wasm memory.
// Events go into its batch (js/core/encoder.js); reads, exports, imports and merges are one call
// each, and the core's failures ({ field, message }) are thrown as CoreErrors (js/core/errors.js).
// Every statistic is computed by the core; this layer only encodes, forwards and parses.
//
// Plain ES module, no transpile step. Types: js/core.d.ts.

import { describeValue as describe } from './describe.js';
import { schemaVersion } from './version.js';
import { loadCore } from './core/loader.js';
import { BatchEncoder } from './core/encoder.js';
import { checkNow, documentText, smallJsonText } from './core/inputs.js';
import { CoreError, unwrap } from './core/errors.js';
import { limits } from './core/limits.js';
import { SectionSnapshots } from './core/snapshot.js';

export { loadCore, CoreError };
export { MAX_DOCUMENT_BYTES, MAX_DURATIONS, MAX_MERGE_BYTES } from './core/inputs.js';

const finalizer =
  typeof FinalizationRegistry !== 'undefined'
    ? new FinalizationRegistry((core) => {
        try {
          core.delete();
        } catch {
          // already deleted
        }
      })
    : null;

const CREATE_TOKEN = Symbol('MonitorCore.create');

// ---------------------------------------------------------------------------------------------
// MonitorCore

/**
 * One monitor in the core: records events in batches, reads metrics, exports, imports, merges.
 * Create with {@link MonitorCore.create}; call {@link MonitorCore#dispose} when done.
 *
 * Recording never throws for bad event data: an invalid event is refused and counted (in
 * `metrics().rejected`) with a message naming the field, and reported by the next flush().
 */
export class MonitorCore {
  /** @type {import('../dist/webllm-monitor-core.mjs').CoreModule} */ #module;
  /** @type {import('../dist/webllm-monitor-core.mjs').Core} */ #core;
  /** @type {BatchEncoder} */ #batch;
  /** Series handles of quantile(), by path. */
  #handles = new Map();
  #address = 0;
  /** The sections of the last sharedMetrics(), to share. */
  #sections = new SectionSnapshots();

  /**
   * Use {@link MonitorCore.create}.
   * @param {any} module
   * @param {symbol} token
   */
  constructor(module, token) {
    if (token !== CREATE_TOKEN) throw new TypeError('MonitorCore: use `await MonitorCore.create(config)`');
    this.#module = module;
    this.#core = new module.Core();
    this.#core.reset(Date.now()); // the start time of cumulative OpenTelemetry points
    this.#address = this.#core.address();
    if (finalizer) finalizer.register(this, this.#core, this);
    this.#batch = new BatchEncoder(module, this.#core);
  }

  /**
   * Creates a monitor on the shared module, optionally configured.
   * @param {object} [config] see {@link MonitorCore#configure}
   * @returns {Promise<MonitorCore>}
   */
  static async create(config) {
    const module = await loadCore();
    const monitor = new MonitorCore(module, CREATE_TOKEN);
    if (config !== undefined) {
      try {
        monitor.configure(config);
      } catch (err) {
        monitor.dispose();
        throw err;
      }
    }
    return monitor;
  }

  /**
   * Compares two export documents for regressions (the core's regression.cpp): per metric the
   * values, the change, the one-sided test's raw and Holm-adjusted p-values and the verdict.
   * @param {string | object} baseline the earlier export (JSON text, or the parsed document)
   * @param {string | object} current the later one
   * @param {{ alpha?: number, threshold?: number, thresholds?: Record<string, number>, minCount?: number, byType?: boolean, correction?: 'holm' | 'none' }} [options]
   * @returns {Promise<any>} { findings, regressions, tests, alpha, correction } (core.d.ts, RegressionResult)
   * @throws {Error} with `field` (and `path`) naming the JSON path or option, `document` "baseline"
   *   or "current" for a document's error ("current: $.schemaVersion: ...")
   */
  static async compareExports(baseline, current, options = {}) {
    const module = await loadCore();
    const texts = [
      ['baseline', baseline],
      ['current', current],
    ].map(([document, doc]) => {
      try {
        return documentText(doc, 'compareExports');
      } catch (err) {
        err.message = `${document}: ${err.message}`;
        /** @type {any} */ (err).document = document;
        throw err;
      }
    });
    return JSON.parse(unwrap(module.compareExports(texts[0], texts[1], smallJsonText(options, 'options'))));
  }

  /**
   * The defaults of compareExports' options.
   * @returns {Promise<{ alpha: number, threshold: number, errorRate: number, hitRate: number, minCount: number }>}
   */
  static async regressionDefaults() {
    const module = await loadCore();
    return JSON.parse(module.regressionDefaults());
  }

  /** True once {@link MonitorCore#dispose} has run. */
  get disposed() {
    return this.#core === null;
  }

  /**
   * Rejections collected since the last explicit flush() (including those of the automatic
   * flushes before reads and when the buffer fills): what the next flush() will return. Only the
   * newest 1000 are kept; `metrics().rejected` counts them all.
   * @returns {{record: number, field: string, message: string}[]}
   */
  get lastRejections() {
    return this.#batch.lastRejections;
  }

  // -------------------------------------------------------------------------------------------
  // Configuration

  /**
   * Applies a partial configuration: `{ historySize, currency, prices: { [model | '*']: { input,
   * output } }, thresholds: { ttftP95Ms | latencyP95Ms | errorRate | decodeTokensPerSecP50 |
   * jsHeapFraction: { warning, critical } } }`. Keys not given keep their value.
   * @param {object} config
   * @throws {Error} with the core's message naming the field ("config.historySize: ..."); nothing changes
   */
  configure(config) {
    const core = this.#live();
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`config: expected an object, got ${describe(config)}`);
    unwrap(core.configure(smallJsonText(config, 'config')));
  }

  /**
   * The whole configuration in force.
   * @returns {object}
   */
  config() {
    return JSON.parse(this.#live().config());
  }

  // -------------------------------------------------------------------------------------------
  // Recording

  /**
   * Records one generation (a chat, completion or embedding request).
   * @param {object} e see `GenerationEvent` in core.d.ts
   */
  recordGeneration(e) {
    this.#live();
    this.#batch.recordGeneration(e);
  }

  /**
   * Records one model load (`engine.reload()`), successful or not.
   * @param {object} e see `ModelLoadEvent` in core.d.ts
   */
  recordModelLoad(e) {
    this.#live();
    this.#batch.recordModelLoad(e);
  }

  /**
   * Records one cache lookup (hit or miss) in a named cache.
   * @param {object} e see `CacheLookupEvent` in core.d.ts
   */
  recordCacheLookup(e) {
    this.#live();
    this.#batch.recordCacheLookup(e);
  }

  /**
   * Records one run of a named custom operation (retrieval, tokenization, a tool call...).
   * `success` defaults to true, or to false when `error` or `errorName` is given.
   * @param {object} e see `OperationEvent` in core.d.ts
   */
  recordOperation(e) {
    this.#live();
    this.#batch.recordOperation(e);
  }

  /**
   * Records one memory sample (JS heap, wasm heap, GPU buffers, storage), all sizes in bytes.
   * @param {object} e see `MemorySampleEvent` in core.d.ts
   */
  recordMemorySample(e) {
    this.#live();
    this.#batch.recordMemorySample(e);
  }

  /**
   * Records a lost WebGPU device (`device.lost` resolved with `{ reason, message }`).
   * @param {object} e see `DeviceLostEvent` in core.d.ts
   */
  recordDeviceLost(e) {
    this.#live();
    this.#batch.recordDeviceLost(e);
  }

  /**
   * Records many runs of one operation at once (one record, values copied into wasm memory).
   * A value of the wrong JS type refuses the whole call; invalid numbers (negative, NaN...) are
   * refused one by one by the core and the rest recorded.
   * @param {string} name operation name
   * @param {number[] | Float64Array} values durations in milliseconds
   * @param {{ success?: boolean, startedAt?: number }} [options]
   */
  recordDurations(name, values, options) {
    this.#live();
    this.#batch.recordDurations(name, values, options);
  }

  /**
   * Records WebGPU adapter information. Rare, so it goes to the core as JSON right away (after
   * the pending batch). `limits` may be a GPUSupportedLimits and `features` a
   * GPUSupportedFeatures; absent strings become "", absent `isFallbackAdapter` false.
   * `timestamp` and `available` are required.
   * @param {object} info see `WebGpuInfo` in core.d.ts
   */
  recordWebGpu(info) {
    this.#live();
    this.#batch.recordWebGpu(info);
  }

  /**
   * Sends the pending batch to the core now.
   * @returns {{ accepted: number, rejected: { record: number, field: string, message: string }[] }}
   *   what happened to the events recorded since the previous explicit flush() (automatic
   *   flushes included); `record` counts those events from 0
   */
  flush() {
    this.#live();
    return this.#batch.flush();
  }

  // -------------------------------------------------------------------------------------------
  // Reading (each flushes the pending batch first)

  /**
   * The derived metrics (the export's `metrics` object).
   * @param {number} [now] epoch milliseconds (the sliding windows end there)
   * @returns {object}
   */
  metrics(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    return JSON.parse(core.metrics(now));
  }

  /**
   * metrics(), with every top-level section deep-frozen and shared with the previous result of
   * this method when its content did not change: the same object. The returned object itself
   * is new and not frozen (a caller adds to it, then freezes it).
   * @param {number} [now] epoch milliseconds (the sliding windows end there)
   * @returns {Record<string, any>}
   */
  sharedMetrics(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    const shared = this.#sections.build(core.metricsSections(now, false));
    if (shared !== null) return shared;
    // A section the core did not send again is not kept here (a build that threw half-way,
    // say): it sends them all.
    return /** @type {Record<string, any>} */ (this.#sections.build(core.metricsSections(now, true)));
  }

  /**
   * The key of the metrics at `now`: while it stays the same, so do metrics() (apart from the
   * windows' `spanMs`, which runs with the clock) and status(). It changes with every event
   * ingested, import, merge, reset or configuration, and when the sliding windows move on to
   * their next 10 s step. Flushes the pending batch first.
   * @param {number} [now]
   * @returns {string}
   */
  metricsKey(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    return `${core.changes()}:${core.windowStep(now)}`;
  }

  /**
   * A small status summary: health, reasons, model, counts. Costs no metrics build when
   * metrics() was built since the last change, in the same window step.
   * @param {number} [now]
   * @returns {object}
   */
  status(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    return JSON.parse(core.status(now));
  }

  /**
   * The export document as JSON text (schema/export.schema.json).
   * @param {number} [now]
   * @returns {string}
   */
  exportJson(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    return core.exportJson(now);
  }

  /**
   * One quantile of one series, read from its sketch without building the metrics: the cheap
   * way to poll a figure. `path` is the series' path in the metrics ("generations.ttftMs",
   * "generations.byModel.<model>.latencyMs", "operations.<name>.durationMs",
   * "initialization.loadMs", ...).
   * @param {string} path
   * @param {number} q in [0, 1]
   * @returns {number | null} null when the series has no data
   */
  quantile(path, q) {
    const core = this.#live();
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new TypeError(`quantile: q: expected a number from 0 to 1, got ${describe(q)}`);
    let handle = this.#handles.get(path);
    if (handle === undefined) {
      if (typeof path !== 'string') throw new TypeError(`quantile: path: expected a string, got ${describe(path)}`);
      handle = seriesCall('quantile', core.seriesHandle(seriesPath(path)));
      if (handle !== null) this.#handles.set(path, handle);
    }
    this.#batch.ingest();
    // A raw wasm export: no string crosses the bridge per query (null: the handle table is full).
    const v = handle !== null ? this.#module._wlm_quantile(this.#address, handle, q) : seriesCall('quantile', core.quantile(path, q));
    return Number.isNaN(v) ? null : v;
  }

  /**
   * The histogram of one series as chart bars, computed by the core from the series' own
   * buckets: at most `maxBins` bars (2^k neighbours merged at a time, never re-estimated), the
   * zero bucket a bar of its own, edges in the series' unit (ms for durations). `path` as in
   * quantile().
   * @param {string} path
   * @param {number} [maxBins] 2 to 1000, default 40
   * @returns {{ count: number, bins: { lo: number, hi: number, count: number }[] }}
   */
  histogram(path, maxBins = 40) {
    const core = this.#live();
    if (typeof path !== 'string') throw new TypeError(`histogram: path: expected a string, got ${describe(path)}`);
    if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 1000)
      throw new TypeError(`histogram: maxBins: expected a whole number from 2 to 1000, got ${describe(maxBins)}`);
    this.#batch.ingest();
    return JSON.parse(seriesCall('histogram', core.histogram(seriesPath(path), maxBins)));
  }

  /**
   * The session as an OTLP/JSON ExportMetricsServiceRequest (see js/otlp.js for the metrics).
   * @param {{resource?: Record<string, string|number|boolean>, scopeVersion?: string}} [options]
   * @param {number} [now] epoch milliseconds: the points' time
   * @returns {string} the request as JSON text
   */
  otlpJson(options = {}, now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    const text = smallJsonText(options, 'options');
    this.#batch.ingest();
    return unwrap(core.otlp(text, now));
  }

  /**
   * The plain-text report (tables for consoles and CI logs).
   * @param {number} [now]
   * @returns {string}
   */
  report(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    return core.report(now);
  }

  /**
   * The generation history (the newest `historySize`), oldest first, as in the export.
   * @returns {object[]}
   */
  generations() {
    const core = this.#live();
    this.#batch.ingest();
    return JSON.parse(core.generations());
  }

  /**
   * The memory sample history (the newest `historySize`), oldest first, as in the export.
   * @returns {object[]}
   */
  memorySnapshots() {
    const core = this.#live();
    this.#batch.ingest();
    return JSON.parse(core.memorySnapshots());
  }

  /**
   * Replaces all data with an export's (the configuration stays).
   * @param {string | object} text the export (JSON text, or the parsed document)
   * @throws {Error} with the core's message naming the JSON path ("$.schemaVersion: ...", also in
   *   `err.path`); the monitor is then unchanged
   */
  importJson(text) {
    const core = this.#live();
    const json = documentText(text, 'importJson');
    this.#batch.ingest();
    unwrap(core.importJson(json));
  }

  /**
   * Adds an export's data to this monitor's: counts add, sketches merge exactly, histories
   * interleave by time.
   * @param {string | object} text the export (JSON text, or the parsed document)
   * @throws {Error} as importJson; the monitor is then unchanged
   */
  mergeJson(text) {
    const core = this.#live();
    const json = documentText(text, 'mergeJson');
    this.#batch.ingest();
    unwrap(core.mergeJson(json));
  }

  /**
   * Merges several exports, all or nothing: every document is read before any is merged.
   * @param {(string | object)[]} texts
   * @throws {Error} naming the document and the JSON path ("document 2: $.schemaVersion: ..."); nothing changed
   */
  mergeAll(texts) {
    const core = this.#live();
    if (!Array.isArray(texts)) throw new TypeError(`mergeAll: expected an array of exports, got ${describe(texts)}`);
    let total = 0;
    const jsons = texts.map((t, i) => {
      try {
        const json = documentText(t, 'mergeAll');
        total += json.length;
        return json;
      } catch (err) {
        // Named as the core names them: "document 2: $: ..." when there are several.
        if (texts.length > 1) {
          err.message = `document ${i + 1}: ${err.message}`;
          /** @type {any} */ (err).document = i + 1;
        }
        throw err;
      }
    });
    const max = limits.mergeBytes;
    if (total > max)
      throw new Error(`mergeAll: the documents hold ${total} characters together, more than the limit of ${max} bytes (${max / 2 ** 20} MiB) per call`);
    this.#batch.ingest();
    unwrap(core.mergeAll(jsons));
  }

  /**
   * Forgets every event (the configuration stays). Pending events are flushed first. `now`
   * starts the new aggregation (the start time of cumulative OpenTelemetry points).
   * @param {number} [now]
   */
  reset(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#batch.ingest();
    core.reset(now);
  }

  /**
   * Bytes held by this monitor in wasm memory: the core's data structures plus the batch buffer.
   * @returns {number}
   */
  memoryBytes() {
    const core = this.#live();
    this.#batch.ingest();
    return core.memoryBytes() + core.batchCapacity() * 8;
  }

  /**
   * Frees the monitor's wasm memory. Pending events are dropped. Idempotent; any other call
   * afterwards throws.
   */
  dispose() {
    const core = this.#core;
    if (core === null) return;
    this.#core = null;
    if (finalizer) finalizer.unregister(this);
    this.#batch.clear();
    core.delete();
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  #live() {
    const core = this.#core;
    if (core === null) throw new Error('MonitorCore: this monitor was disposed');
    return core;
  }

  /** Re-reads the batch buffer's address and capacity, and the view of wasm memory. */
}

/**
 * A series path as the core is given it: one longer than any series path is cut just past the
 * longest, uncopied, which the core refuses all the same (in UTF-8 it is longer still).
 * @param {string} path
 */
function seriesPath(path) {
  const longest = limits.seriesPathBytes;
  return path.length > longest ? path.slice(0, longest + 1) : path;
}

/**
 * The value of a series query, or its failure (a path that names no series: a caller's mistake)
 * thrown as a TypeError naming the method, with the core's `field` as `path`.
 * @template T
 * @param {string} method
 * @param {T | import('../dist/webllm-monitor-core.mjs').CoreFailure} out
 * @returns {Exclude<T, import('../dist/webllm-monitor-core.mjs').CoreFailure>}
 */
function seriesCall(method, out) {
  try {
    return unwrap(out);
  } catch (err) {
    throw Object.assign(new TypeError(`${method}: ${err.message}`), { path: err.field });
  }
}

// ---------------------------------------------------------------------------------------------
// Free functions

/**
 * The plain-text report of an export document, without loading it into a monitor.
 * @param {string | object} text the export (JSON text, or the parsed document)
 * @returns {Promise<string>}
 * @throws {Error} when the text is not JSON
 */
export async function reportFromExport(text) {
  const module = await loadCore();
  return unwrap(module.reportFromExport(documentText(text, 'reportFromExport')));
}

export { schemaVersion };

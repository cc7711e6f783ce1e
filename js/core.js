// The low-level layer over the WebAssembly core: loads the Emscripten module once, writes events
// straight into the core's batch buffer (a Float64Array view of wasm memory, layout in
// wasm/batch.hpp) and turns the core's error strings into exceptions. Every statistic is computed
// by the core; this file only encodes, forwards and parses.
//
// Plain ES module, no transpile step. Types: js/core.d.ts.

import createCoreModule from '../dist/webllm-monitor-core.mjs';
import { describeValue as describe } from './describe.js';
import { schemaVersion } from './version.js';

/** Where the wasm binary lives; a literal `new URL(..., import.meta.url)` so bundlers find it. */
const WASM_URL = new URL('../dist/webllm-monitor-core.wasm', import.meta.url);

// ---------------------------------------------------------------------------------------------
// Module loading

/** @type {Promise<any> | null} */
let modulePromise = null;

function isNode() {
  return (
    typeof process !== 'undefined' &&
    process.versions != null &&
    typeof process.versions.node === 'string' &&
    typeof window === 'undefined'
  );
}

async function instantiate() {
  if (isNode()) {
    // Emscripten 3.1.6's loader cannot fetch a file path under Node: hand it the bytes. A dynamic
    // import of a non-literal specifier: browser bundlers (Vite, esbuild, webpack) leave it alone.
    const fsModule = 'node:fs/promises';
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fsModule);
    const wasmBinary = await readFile(WASM_URL);
    return checked(await createCoreModule({ wasmBinary }).catch(rethrowCompileFailure));
  }
  return checked(
    await createCoreModule({
      locateFile: (path, prefix) => (path.endsWith('.wasm') ? WASM_URL.href : prefix + path),
    }).catch(rethrowCompileFailure),
  );
}

/**
 * Rethrows a failed compile of the wasm with a message that says so, the original error as
 * `cause`. Emscripten's loader reports one as `RuntimeError: Aborted(CompileError: ...). Build
 * with -s ASSERTIONS=1 for more info.`; the usual reason in a browser is a Content-Security-Policy
 * whose script-src lacks 'wasm-unsafe-eval'. Any other failure (the fetch, say) is rethrown as is.
 * @param {unknown} err
 * @returns {never}
 */
function rethrowCompileFailure(err) {
  const original = err instanceof Error ? err.message : String(err);
  const message = original
    .replace(/\.? *Build with -s ASSERTIONS=1 for more info\.?$/, '')
    .replace(/^Aborted\(([\s\S]*)\)$/, '$1');
  const compile = (err instanceof Error && err.name === 'CompileError') || /CompileError|unsafe-eval/.test(message);
  if (!compile) throw err;
  const refusedByPolicy = /content.security.policy|\bCSP\b|unsafe-eval/i.test(message);
  const hint = refusedByPolicy
    ? "The page's Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src."
    : "If the page has a Content-Security-Policy, its script-src must allow 'wasm-unsafe-eval'; else check that dist/webllm-monitor-core.wasm is served unchanged.";
  throw new Error(`webllm-monitor: the WebAssembly core could not be compiled: ${message.replace(/\.$/, '')}. ${hint}`, { cause: err });
}

/** Refuses a module built from other sources than this file expects (a stale dist/). */
function checked(module) {
  if (module.schemaVersion !== schemaVersion)
    throw new Error(
      `webllm-monitor: the wasm core writes export schema ${module.schemaVersion}, this JS expects ${schemaVersion}: rebuild dist/`,
    );
  return module;
}

/**
 * Loads the Emscripten module of the core. The module is created once and shared: later calls
 * (and every {@link MonitorCore}) reuse it. A failed load is not cached, so it can be retried.
 * A wasm that cannot be compiled (in a browser, most often a Content-Security-Policy without
 * 'wasm-unsafe-eval') rejects with an Error saying so, Emscripten's error as its `cause`.
 * @returns {Promise<any>} the Emscripten module (Embind class `Core`, `reportFromExport`,
 *   `schemaVersion`, `HEAPF64`)
 */
export function loadCore() {
  if (modulePromise === null) {
    modulePromise = instantiate().catch((err) => {
      modulePromise = null;
      throw err;
    });
  }
  return modulePromise;
}

// ---------------------------------------------------------------------------------------------
// Batch layout (wasm/batch.hpp)

const KIND_GENERATION = 1;
const KIND_MODEL_LOAD = 2;
const KIND_CACHE_LOOKUP = 3;
const KIND_OPERATION = 4;
const KIND_MEMORY = 5;
const KIND_DEVICE_LOST = 6;
const KIND_DURATIONS = 7;
const KIND_REJECTED = 8;

const HEADER = 3;
const GENERATION_FIELDS = 20;
const MODEL_LOAD_FIELDS = 7;
const CACHE_LOOKUP_FIELDS = 3;
const OPERATION_FIELDS = 6;
const MEMORY_FIELDS = 10;
const DEVICE_LOST_FIELDS = 4;
const DURATIONS_FIELDS = 4;
const REJECTED_FIELDS = 2;
const REJECTED_SIZE = HEADER + REJECTED_FIELDS;

/** Rejections kept for the next explicit flush(); the oldest are dropped past this. */
const MAX_KEPT_REJECTIONS = 1000;

// Limits checked here before anything is copied into wasm memory (which grows and never shrinks).
/** The largest export document importJson() and mergeJson() read: 128 MiB (the core's limit, in UTF-8 bytes). */
export const MAX_DOCUMENT_BYTES = 2 ** 27;
/** The most text mergeAll() copies into wasm memory at once: 256 MiB. */
export const MAX_MERGE_BYTES = 2 ** 28;
/** A configuration or a WebGPU record as JSON text: far above any real one. */
const MAX_SMALL_JSON = 2 ** 20;
/** Names (models, types, operations, caches, labels, error names) are 1 to 256 bytes in the core. */
const MAX_NAME_BYTES = 256;
/** Free text (error messages) is cut to 2048 bytes by the core; longer text is cut here first. */
const MAX_TEXT_UNITS = 4096;
/** The core's limit on the chunk gaps of one generation. */
const MAX_CHUNK_GAPS = 2 ** 20;
/** The most values one recordDurations() call takes: 32 MiB in the batch. */
export const MAX_DURATIONS = 2 ** 22;
/** Deepest nesting a configuration or WebGPU record may have (the core's JSON limit). */
const MAX_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// Helpers


/** True for the typed arrays whose elements are JS numbers (not BigInt64Array, not DataView). */
function isNumberArrayView(v) {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && typeof (/** @type {any} */ (v)[0] ?? 0) === 'number';
}

function isNumberList(v) {
  return Array.isArray(v) || isNumberArrayView(v);
}

/**
 * A plain copy of an object whose values are prototype getters (GPUSupportedLimits): own and
 * inherited properties, methods left out. Plain objects are returned as they are.
 * @param {object} obj
 */
function plainObject(obj) {
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) return obj;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (let o = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor' || Object.prototype.hasOwnProperty.call(out, key)) continue;
      const v = /** @type {any} */ (obj)[key];
      if (typeof v !== 'function') out[key] = v;
    }
  }
  return out;
}

/** Bytes of `s` in UTF-8 (lone surrogates count as the 3 bytes of U+FFFD they become). */
function utf8Bytes(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** `"first 32 characters..."`: a long string, quoted short for a message. */
function quoteShort(s, n = 32) {
  return JSON.stringify(s.length > n ? `${s.slice(0, n)}...` : s);
}

/** A path step, written as the core writes them: `.key`, or `["key"]` when not an identifier. */
function childPath(path, key) {
  if (/^[A-Za-z0-9_]+$/.test(key)) return `${path}.${key}`;
  return `${path}[${JSON.stringify(key.length > MAX_NAME_BYTES ? `${key.slice(0, MAX_NAME_BYTES)}...` : key)}]`;
}

/**
 * The first value in `v` that JSON cannot carry faithfully (NaN and ±Infinity become null,
 * BigInt throws, functions and symbols vanish), or nesting deeper than the core reads, as a
 * message naming its path; null when there is none. Objects with toJSON (Dates) pass.
 * @param {unknown} v
 * @param {string} path
 * @returns {string | null}
 */
function jsonIssue(v, path, depth = 0) {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? null : `${path}: ${v} is not a finite number`;
    case 'bigint':
    case 'function':
    case 'symbol':
      return `${path}: expected a JSON value, got ${describe(v)}`;
    case 'object': {
      if (v === null || typeof (/** @type {any} */ (v).toJSON) === 'function') return null;
      if (depth >= MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const issue = jsonIssue(v[i], `${path}[${i}]`, depth + 1);
          if (issue !== null) return issue;
        }
        return null;
      }
      for (const key of Object.keys(v)) {
        const issue = jsonIssue(/** @type {any} */ (v)[key], childPath(path, key), depth + 1);
        if (issue !== null) return issue;
      }
      return null;
    }
    default:
      return null;
  }
}

/** `Name: message` of a thrown value, short, for messages about the caller's own objects. */
function thrownText(err) {
  let text;
  try {
    text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    text = 'an unprintable value';
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/**
 * The export as JSON text, refused here (an Error with `path` "$") when it cannot be one or is
 * larger than the core reads, before it is copied into wasm memory.
 */
function documentText(text, method) {
  let json = text;
  if (text !== null && typeof text === 'object') {
    try {
      json = JSON.stringify(text);
    } catch (err) {
      throw coreError(`$: the document cannot be serialized to JSON (${thrownText(err)})`);
    }
    if (typeof json !== 'string') throw coreError(`$: the document serializes to ${describe(json)}, not to JSON text`);
  } else if (typeof text !== 'string') {
    throw new TypeError(`${method}: expected the export as JSON text or an object, got ${describe(text)}`);
  }
  if (json.length > MAX_DOCUMENT_BYTES)
    throw coreError(`$: the document is ${json.length} characters, more than the limit of ${MAX_DOCUMENT_BYTES} bytes (${MAX_DOCUMENT_BYTES / 2 ** 20} MiB)`);
  return json;
}

/**
 * `value` as JSON text for the core's small inputs (configuration, options), refused with a
 * TypeError naming the field: values JSON cannot carry (see jsonIssue), a throwing getter or
 * toJSON, no JSON at all, or more than MAX_SMALL_JSON characters.
 * @param {unknown} value
 * @param {string} path
 * @returns {string}
 */
function smallJsonText(value, path) {
  let text;
  let issue;
  try {
    issue = jsonIssue(value, path);
    if (issue === null) text = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`${path}: cannot be serialized (${thrownText(err)})`);
  }
  if (issue !== null) throw fieldError(issue, TypeError);
  if (typeof text !== 'string') throw new TypeError(`${path}: expected a JSON value, got ${describe(value)}`);
  if (text.length > MAX_SMALL_JSON)
    throw new TypeError(`${path}: ${text.length} characters of JSON, more than the limit of ${MAX_SMALL_JSON}`);
  return text;
}

/** Errors that came out of the core itself (never swallowed as a bad event). */
const coreFaults = new WeakSet();

const ERROR_PREFIX = /^([A-Z][A-Za-z0-9_$]*|[A-Za-z_$][A-Za-z0-9_$]*Error)\s*:\s*/;

// Out-parameters of readError (module-level so the hot path allocates no result object).
let errName = '';
let errMessage = '';

/**
 * Reads `error` (an Error, an object with name/message, or a string such as
 * "DeviceLostError: WebGPU device was lost") into errName/errMessage.
 * @returns {boolean} false when `error` has a type that cannot be read
 */
function readError(error) {
  if (typeof error === 'string') {
    const m = ERROR_PREFIX.exec(error);
    if (m) {
      errName = m[1];
      errMessage = error.slice(m[0].length);
    } else {
      errName = 'Error';
      errMessage = error;
    }
    return true;
  }
  if (typeof error === 'object' && error !== null) {
    const name = error.name;
    const message = error.message;
    errName = typeof name === 'string' && name !== '' ? name : 'Error';
    errMessage = typeof message === 'string' ? message : message == null ? '' : String(message);
    return true;
  }
  return false;
}

function checkNow(now) {
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new TypeError(`now: expected epoch milliseconds (a finite number), got ${describe(now)}`);
  return now;
}

/** The JSON path or field a core message starts with ("$.sketches.total: missing" -> "$.sketches.total"). */
const PATH_PREFIX = /^((?:\$|[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*)/;

/**
 * Makes the Error thrown for a core failure; `path` is the JSON path or field the message names.
 * @param {string} message
 */
function coreError(message) {
  return fieldError(message, Error);
}

/**
 * An error of class `Type` whose `path` is the JSON path or field its message starts with.
 * @param {string} message
 * @param {ErrorConstructor} Type
 */
function fieldError(message, Type) {
  const err = new Type(message);
  const m = PATH_PREFIX.exec(message);
  if (m) /** @type {any} */ (err).path = m[1];
  return err;
}

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
  /** @type {any} */ #module;
  /** @type {any} */ #core;
  /** @type {Float64Array} */ #view;
  /** Index (in doubles) of the batch buffer in HEAPF64, and its capacity in doubles. */
  #base = 0;
  #cap = 0;
  /** True while the buffer is larger than its initial size (until the next ingest). */
  #grown = false;
  /** Doubles and records written in the current batch. */
  #pos = 0;
  #records = 0;
  /** @type {string[]} */ #strings = [];
  /** @type {Map<string, number>} */ #stringIds = new Map();
  /** Start of the record being written and its presence mask. */
  #rec = 0;
  #mask = 0;
  /** First wrong-type field of the record being written, or null. */
  /** @type {string | null} */ #badField = null;
  #badMessage = '';
  /** Series handles of quantile(), by path. */
  #handles = new Map();
  #address = 0;
  /** Outcome since the last explicit flush(). */
  #accepted = 0;
  #recordBase = 0;
  /** @type {{record: number, field: string, message: string}[]} */ #rejections = [];

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
    this.#bindBuffer();
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
    const texts = [['baseline', baseline], ['current', current]].map(([document, doc]) => {
      try {
        return documentText(doc, 'compareExports');
      } catch (err) {
        err.message = `${document}: ${err.message}`;
        /** @type {any} */ (err).document = document;
        throw err;
      }
    });
    const out = JSON.parse(module.compareExports(texts[0], texts[1], smallJsonText(options, 'options')));
    if (out.error) {
      const err = new Error(out.error.message);
      Object.assign(err, { field: out.error.field, path: out.error.field });
      if (out.error.document !== null) /** @type {any} */ (err).document = out.error.document;
      throw err;
    }
    return out;
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
    return this.#rejections;
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
    if (config === null || typeof config !== 'object' || Array.isArray(config))
      throw new TypeError(`config: expected an object, got ${describe(config)}`);
    const message = core.configure(smallJsonText(config, 'config'));
    if (message) throw coreError(message);
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
    try {
      this.#generation(e);
    } catch (err) {
      this.#abandon('generation', err);
    }
  }

  #generation(e) {
    if (!this.#isEvent(e, 'generation')) return;
    const gaps = e.chunkGapsMs;
    let ngaps = 0;
    if (gaps !== undefined && gaps !== null) {
      if (!isNumberList(gaps)) {
        this.#rejectRecord(
          'generation.chunkGapsMs',
          `generation.chunkGapsMs: expected an array or a Float64Array of numbers, got ${describe(gaps)}`,
        );
        return;
      }
      ngaps = gaps.length;
      if (ngaps > MAX_CHUNK_GAPS) {
        // Refused before the copy: the gaps would grow the batch (and wasm memory) for nothing.
        this.#rejectRecord('generation.chunkGapsMs', `generation.chunkGapsMs: ${ngaps} gaps, more than the limit ${MAX_CHUNK_GAPS}`);
        return;
      }
    }
    const o = this.#begin(KIND_GENERATION, GENERATION_FIELDS, ngaps);
    this.#str(0, e.model, 'generation.model');
    this.#str(1, e.type, 'generation.type');
    this.#str(2, e.operation, 'generation.operation');
    this.#num(3, e.startedAt, 'generation.startedAt');
    this.#num(4, e.durationMs, 'generation.durationMs');
    this.#num(5, e.ttftMs, 'generation.ttftMs');
    this.#num(6, e.promptTokens, 'generation.promptTokens');
    this.#num(7, e.completionTokens, 'generation.completionTokens');
    this.#num(8, e.engineTtftMs, 'generation.engineTtftMs');
    this.#num(9, e.enginePrefillTokensPerSec, 'generation.enginePrefillTokensPerSec');
    this.#num(10, e.engineDecodeTokensPerSec, 'generation.engineDecodeTokensPerSec');
    this.#num(11, e.engineTimePerOutputTokenMs, 'generation.engineTimePerOutputTokenMs');
    this.#str(12, e.finishReason, 'generation.finishReason');
    this.#errorFields(13, 14, e, 'generation');
    this.#num(15, e.promptChars, 'generation.promptChars');
    this.#num(16, e.responseChars, 'generation.responseChars');
    this.#num(17, e.temperature, 'generation.temperature');
    this.#num(18, e.maxTokens, 'generation.maxTokens');
    if (ngaps > 0) {
      this.#view[o + 19] = ngaps;
      this.#mask += 1 << 19;
      this.#numbers(o + GENERATION_FIELDS, gaps, ngaps, 'generation.chunkGapsMs');
    }
    this.#end();
  }

  /**
   * Records one model load (`engine.reload()`), successful or not.
   * @param {object} e see `ModelLoadEvent` in core.d.ts
   */
  recordModelLoad(e) {
    this.#live();
    try {
      this.#modelLoad(e);
    } catch (err) {
      this.#abandon('load', err);
    }
  }

  #modelLoad(e) {
    if (!this.#isEvent(e, 'load')) return;
    this.#begin(KIND_MODEL_LOAD, MODEL_LOAD_FIELDS, 0);
    this.#str(0, e.model, 'load.model');
    this.#num(1, e.startedAt, 'load.startedAt');
    this.#num(2, e.durationMs, 'load.durationMs');
    const fc = e.fromCache;
    if (fc === true) this.#setString(3, 'true');
    else if (fc === false) this.#setString(3, 'false');
    else this.#str(3, fc, 'load.fromCache', 'true, false or "unknown"');
    this.#num(4, e.bytesFetched, 'load.bytesFetched');
    this.#errorFields(5, 6, e, 'load');
    this.#end();
  }

  /**
   * Records one cache lookup (hit or miss) in a named cache.
   * @param {object} e see `CacheLookupEvent` in core.d.ts
   */
  recordCacheLookup(e) {
    this.#live();
    try {
      this.#cacheLookup(e);
    } catch (err) {
      this.#abandon('cache', err);
    }
  }

  #cacheLookup(e) {
    if (!this.#isEvent(e, 'cache')) return;
    this.#begin(KIND_CACHE_LOOKUP, CACHE_LOOKUP_FIELDS, 0);
    this.#str(0, e.cache, 'cache.cache');
    this.#bool(1, e.hit, 'cache.hit');
    this.#num(2, e.timestamp, 'cache.timestamp');
    this.#end();
  }

  /**
   * Records one run of a named custom operation (retrieval, tokenization, a tool call...).
   * `success` defaults to true, or to false when `error` or `errorName` is given.
   * @param {object} e see `OperationEvent` in core.d.ts
   */
  recordOperation(e) {
    this.#live();
    try {
      this.#operation(e);
    } catch (err) {
      this.#abandon('operation', err);
    }
  }

  #operation(e) {
    if (!this.#isEvent(e, 'operation')) return;
    this.#begin(KIND_OPERATION, OPERATION_FIELDS, 0);
    this.#str(0, e.name, 'operation.name');
    this.#num(1, e.startedAt, 'operation.startedAt');
    this.#num(2, e.durationMs, 'operation.durationMs');
    const success = e.success;
    if (success === undefined || success === null) {
      if ((e.error !== undefined && e.error !== null) || (e.errorName !== undefined && e.errorName !== null))
        this.#setNumber(3, 0);
    } else {
      this.#bool(3, success, 'operation.success');
    }
    this.#errorFields(4, 5, e, 'operation');
    this.#end();
  }

  /**
   * Records one memory sample (JS heap, wasm heap, GPU buffers, storage), all sizes in bytes.
   * @param {object} e see `MemorySampleEvent` in core.d.ts
   */
  recordMemorySample(e) {
    this.#live();
    try {
      this.#memorySample(e);
    } catch (err) {
      this.#abandon('memory', err);
    }
  }

  #memorySample(e) {
    if (!this.#isEvent(e, 'memory')) return;
    this.#begin(KIND_MEMORY, MEMORY_FIELDS, 0);
    this.#str(0, e.label, 'memory.label');
    this.#num(1, e.timestamp, 'memory.timestamp');
    this.#num(2, e.usedJSHeapSize, 'memory.usedJSHeapSize');
    this.#num(3, e.totalJSHeapSize, 'memory.totalJSHeapSize');
    this.#num(4, e.jsHeapSizeLimit, 'memory.jsHeapSizeLimit');
    this.#num(5, e.userAgentBytes, 'memory.userAgentBytes');
    this.#num(6, e.wasmHeapBytes, 'memory.wasmHeapBytes');
    this.#num(7, e.gpuBufferBytes, 'memory.gpuBufferBytes');
    this.#num(8, e.storageUsage, 'memory.storageUsage');
    this.#num(9, e.storageQuota, 'memory.storageQuota');
    this.#end();
  }

  /**
   * Records a lost WebGPU device (`device.lost` resolved with `{ reason, message }`).
   * @param {object} e see `DeviceLostEvent` in core.d.ts
   */
  recordDeviceLost(e) {
    this.#live();
    try {
      this.#deviceLost(e);
    } catch (err) {
      this.#abandon('deviceLost', err);
    }
  }

  #deviceLost(e) {
    if (!this.#isEvent(e, 'deviceLost')) return;
    this.#begin(KIND_DEVICE_LOST, DEVICE_LOST_FIELDS, 0);
    this.#num(0, e.timestamp, 'deviceLost.timestamp');
    this.#text(1, e.reason, 'deviceLost.reason');
    this.#text(2, e.message, 'deviceLost.message');
    this.#str(3, e.model, 'deviceLost.model');
    this.#end();
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
    try {
      this.#durations(name, values, options);
    } catch (err) {
      this.#abandon('operation', err);
    }
  }

  #durations(name, values, options) {
    let success = true;
    let startedAt;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') {
        this.#rejectRecord('operation', `operation: options: expected an object, got ${describe(options)}`);
        return;
      }
      if (options.success !== undefined) success = options.success;
      startedAt = options.startedAt;
    }
    if (startedAt === undefined) startedAt = Date.now();
    if (!isNumberList(values)) {
      this.#rejectRecord(
        'operation.durations',
        `operation.durations: expected an array or a Float64Array of numbers, got ${describe(values)}`,
      );
      return;
    }
    const n = values.length;
    if (n > MAX_DURATIONS) {
      this.#rejectRecord(
        'operation.durations',
        `operation.durations: ${n} values, more than the limit ${MAX_DURATIONS} per call (split them)`,
      );
      return;
    }
    const o = this.#begin(KIND_DURATIONS, DURATIONS_FIELDS, n);
    this.#str(0, name, 'operation.name');
    this.#bool(1, success, 'operation.success');
    this.#num(2, startedAt, 'operation.startedAt');
    this.#view[o + 3] = n;
    this.#mask += 1 << 3;
    this.#numbers(o + DURATIONS_FIELDS, values, n, 'operation.durations');
    this.#end();
  }

  /**
   * Records WebGPU adapter information. Rare, so it goes to the core as JSON right away (after
   * the pending batch). `limits` may be a GPUSupportedLimits and `features` a
   * GPUSupportedFeatures; absent strings become "", absent `isFallbackAdapter` false.
   * `timestamp` and `available` are required.
   * @param {object} info see `WebGpuInfo` in core.d.ts
   */
  recordWebGpu(info) {
    const core = this.#live();
    if (!this.#isEvent(info, 'webgpu')) return;
    let text;
    try {
      const limits = info.limits;
      let limitsOut = limits;
      if (limits === undefined || limits === null) {
        limitsOut = {};
      } else if (typeof limits === 'object' && !Array.isArray(limits)) {
        limitsOut = plainObject(limits);
      }
      const features = info.features;
      let featuresOut = features;
      if (features === undefined || features === null) featuresOut = [];
      else if (!Array.isArray(features) && typeof features === 'object' && typeof features[Symbol.iterator] === 'function')
        featuresOut = Array.from(features);
      // Strings the core cuts to 256 bytes: far longer ones are cut here, before the copy.
      const orEmpty = (v) => (v === undefined || v === null ? '' : typeof v === 'string' && v.length > MAX_TEXT_UNITS ? v.slice(0, MAX_TEXT_UNITS) : v);
      const doc = {
        timestamp: info.timestamp,
        available: info.available,
        vendor: orEmpty(info.vendor),
        architecture: orEmpty(info.architecture),
        device: orEmpty(info.device),
        description: orEmpty(info.description),
        isFallbackAdapter: info.isFallbackAdapter === undefined || info.isFallbackAdapter === null ? false : info.isFallbackAdapter,
        limits: limitsOut,
        features: featuresOut,
      };
      const issue = jsonIssue(doc, 'webgpu');
      if (issue !== null) {
        this.#rejectRecord(PATH_PREFIX.exec(issue)?.[1] ?? 'webgpu', issue);
        return;
      }
      text = JSON.stringify(doc);
    } catch (err) {
      this.#rejectRecord('webgpu', `webgpu: cannot be serialized (${thrownText(err)})`);
      return;
    }
    if (text.length > MAX_SMALL_JSON) {
      this.#rejectRecord('webgpu', `webgpu: ${text.length} characters of JSON, more than the limit of ${MAX_SMALL_JSON}`);
      return;
    }
    this.#flushBatch();
    const index = this.#recordBase++;
    const message = core.recordWebGpu(text);
    if (message) {
      const m = PATH_PREFIX.exec(message);
      this.#keepRejection(index, m ? m[1] : 'webgpu', message);
    } else {
      this.#accepted++;
    }
  }

  /**
   * Sends the pending batch to the core now.
   * @returns {{ accepted: number, rejected: { record: number, field: string, message: string }[] }}
   *   what happened to the events recorded since the previous explicit flush() (automatic
   *   flushes included); `record` counts those events from 0
   */
  flush() {
    this.#live();
    this.#flushBatch();
    const result = { accepted: this.#accepted, rejected: this.#rejections };
    this.#accepted = 0;
    this.#recordBase = 0;
    this.#rejections = [];
    return result;
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
    this.#flushBatch();
    return JSON.parse(core.metrics(now));
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
    this.#flushBatch();
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
    this.#flushBatch();
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
    this.#flushBatch();
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
      // No series path is longer than a prefix, a 256-byte name and a series name.
      handle = path.length > 2 * MAX_NAME_BYTES ? -1 : core.seriesHandle(path);
      if (handle === -1)
        throw new TypeError(`quantile: ${quoteShort(path, 80)} names no series (generations[.byModel|byType|byOperation.<key>].<series>, operations.<name>.durationMs, initialization.loadMs)`);
      if (handle >= 0) this.#handles.set(path, handle);
    }
    if (this.#records > 0) this.#flushBatch();
    // A raw wasm export: no string crosses the bridge per query (-2: the handle table is full).
    const v = handle >= 0 ? this.#module._wlm_quantile(this.#address, handle, q) : core.quantile(path, q);
    return Number.isNaN(v) ? null : v;
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
    this.#flushBatch();
    const out = core.otlp(text, now);
    if (out.startsWith('error: ')) throw coreError(out.slice('error: '.length));
    return out;
  }

  /**
   * The plain-text report (tables for consoles and CI logs).
   * @param {number} [now]
   * @returns {string}
   */
  report(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#flushBatch();
    return core.report(now);
  }

  /**
   * The generation history (the newest `historySize`), oldest first, as in the export.
   * @returns {object[]}
   */
  generations() {
    const core = this.#live();
    this.#flushBatch();
    return JSON.parse(core.generations());
  }

  /**
   * The memory sample history (the newest `historySize`), oldest first, as in the export.
   * @returns {object[]}
   */
  memorySnapshots() {
    const core = this.#live();
    this.#flushBatch();
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
    this.#flushBatch();
    const message = core.importJson(json);
    if (message) throw coreError(message);
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
    this.#flushBatch();
    const message = core.mergeJson(json);
    if (message) throw coreError(message);
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
    if (total > MAX_MERGE_BYTES)
      throw new Error(`mergeAll: the documents hold ${total} characters together, more than the limit of ${MAX_MERGE_BYTES} bytes (${MAX_MERGE_BYTES / 2 ** 20} MiB) per call`);
    this.#flushBatch();
    const message = core.mergeAll(jsons);
    if (message) {
      const m = /^document (\d+): /.exec(message);
      const err = coreError(m ? message.slice(m[0].length) : message);
      err.message = message;
      if (m) /** @type {any} */ (err).document = Number(m[1]);
      throw err;
    }
  }

  /**
   * Forgets every event (the configuration stays). Pending events are flushed first. `now`
   * starts the new aggregation (the start time of cumulative OpenTelemetry points).
   * @param {number} [now]
   */
  reset(now = Date.now()) {
    const core = this.#live();
    checkNow(now);
    this.#flushBatch();
    core.reset(now);
  }

  /**
   * Bytes held by this monitor in wasm memory: the core's data structures plus the batch buffer.
   * @returns {number}
   */
  memoryBytes() {
    const core = this.#live();
    this.#flushBatch();
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
    this.#strings = [];
    this.#stringIds.clear();
    this.#pos = 0;
    this.#records = 0;
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
  #bindBuffer() {
    const core = this.#core;
    this.#base = core.batchPointer() / 8;
    this.#cap = core.batchCapacity();
    this.#view = this.#module.HEAPF64;
  }

  /** Makes room for a record of `size` doubles at the end of the batch. */
  #ensure(size) {
    if (this.#pos + size > this.#cap) {
      if (size <= this.#cap) this.#flushBatch();
      // A single record larger than the buffer (after a flush, the buffer may be back to its
      // initial size): grow it, keeping the pending records (std::vector::resize copies them).
      if (this.#pos + size > this.#cap) {
        this.#core.reserveBatch(this.#pos + size);
        this.#grown = true;
        this.#bindBuffer();
      }
    }
    // Memory grows during any call into wasm (this monitor's flush above, or another monitor's
    // on the same module): a view of the old buffer is then detached.
    if (this.#view.buffer !== this.#module.HEAPF64.buffer) this.#view = this.#module.HEAPF64;
  }

  /**
   * Starts a record at the end of the batch. Returns the index in the view of its field 0.
   * Records are never smaller than a kind-8 record, so one can always replace them.
   */
  #begin(kind, nfields, extra) {
    const size = HEADER + nfields + extra;
    this.#ensure(size);
    const rec = this.#base + this.#pos;
    const view = this.#view;
    view[rec] = kind;
    view[rec + 1] = size;
    this.#rec = rec;
    this.#mask = 0;
    this.#badField = null;
    return rec + HEADER;
  }

  /** Ends the record begun last: writes its mask, or replaces it with a kind-8 record. */
  #end() {
    const rec = this.#rec;
    const view = this.#view;
    if (this.#badField !== null) {
      this.#writeRejected(rec, this.#badField, this.#badMessage);
      this.#badField = null;
      this.#pos += REJECTED_SIZE;
    } else {
      view[rec + 2] = this.#mask;
      this.#pos += view[rec + 1];
    }
    this.#records++;
  }

  #writeRejected(rec, field, message) {
    const view = this.#view;
    view[rec] = KIND_REJECTED;
    view[rec + 1] = REJECTED_SIZE;
    view[rec + 2] = 3;
    view[rec + 3] = this.#intern(field);
    view[rec + 4] = this.#intern(message);
  }

  /** Appends a kind-8 record: an event refused here, counted by the core. */
  #rejectRecord(field, message) {
    this.#ensure(REJECTED_SIZE);
    this.#writeRejected(this.#base + this.#pos, field, message);
    this.#pos += REJECTED_SIZE;
    this.#records++;
  }

  /**
   * An event whose reading threw (a getter, a Proxy): refused and counted like any bad event.
   * The record being written, if any, is dropped (the batch only advances in #end()).
   */
  #abandon(name, err) {
    if (coreFaults.has(err)) throw err;
    this.#badField = null;
    this.#rejectRecord(name, `${name}: reading the event threw ${thrownText(err)}`);
  }

  #isEvent(e, name) {
    if (e !== null && typeof e === 'object' && !Array.isArray(e)) return true;
    this.#rejectRecord(name, `${name}: expected an object, got ${describe(e)}`);
    return false;
  }

  #bad(field, message) {
    if (this.#badField === null) {
      this.#badField = field;
      this.#badMessage = message;
    }
  }

  #intern(s) {
    let id = this.#stringIds.get(s);
    if (id === undefined) {
      id = this.#strings.length;
      this.#strings.push(s);
      this.#stringIds.set(s, id);
    }
    return id;
  }

  #setNumber(i, v) {
    this.#view[this.#rec + HEADER + i] = v;
    this.#mask += 1 << i;
  }

  #setString(i, s) {
    this.#view[this.#rec + HEADER + i] = this.#intern(s);
    this.#mask += 1 << i;
  }

  /** A number field; undefined/null = absent; NaN and Infinity go to the core, which refuses them. */
  #num(i, v, field) {
    if (typeof v === 'number') this.#setNumber(i, v);
    else if (v !== undefined && v !== null) this.#bad(field, `${field}: expected a number, got ${describe(v)}`);
  }

  /** A name: a string of 1 to 256 bytes in the core; one longer is refused here, uncopied. */
  #str(i, v, field, expected = 'a string') {
    if (typeof v === 'string') {
      if (v.length > MAX_NAME_BYTES) this.#bad(field, `${field}: ${quoteShort(v)} is ${utf8Bytes(v)} bytes, longer than ${MAX_NAME_BYTES}`);
      else this.#setString(i, v);
    } else if (v !== undefined && v !== null) this.#bad(field, `${field}: expected ${expected}, got ${describe(v)}`);
  }

  /** Free text, which the core cuts to its limit: cut here first when far longer. */
  #text(i, v, field) {
    if (typeof v === 'string') this.#setString(i, v.length > MAX_TEXT_UNITS ? v.slice(0, MAX_TEXT_UNITS) : v);
    else if (v !== undefined && v !== null) this.#bad(field, `${field}: expected a string, got ${describe(v)}`);
  }

  #bool(i, v, field) {
    if (v === true) this.#setNumber(i, 1);
    else if (v === false) this.#setNumber(i, 0);
    else if (v !== undefined && v !== null) this.#bad(field, `${field}: expected true or false, got ${describe(v)}`);
  }

  /** errorName/errorMessage fields, filled from `error` where not given. */
  #errorFields(nameIndex, messageIndex, e, prefix) {
    let name = e.errorName;
    let message = e.errorMessage;
    const error = e.error;
    if (error !== undefined && error !== null && (name === undefined || name === null || message === undefined || message === null)) {
      if (readError(error)) {
        if (name === undefined || name === null) name = errName;
        if (message === undefined || message === null) message = errMessage;
      } else {
        this.#bad(`${prefix}.error`, `${prefix}.error: expected an Error or a string, got ${describe(error)}`);
      }
    }
    this.#str(nameIndex, name, `${prefix}.errorName`);
    if (typeof message === 'string' && message === '') return; // an empty message is no message
    this.#text(messageIndex, message, `${prefix}.errorMessage`);
  }

  /** Copies `n` numbers into the view at `at`; an element of another type marks the record bad. */
  #numbers(at, values, n, field) {
    const view = this.#view;
    if (Array.isArray(values)) {
      for (let j = 0; j < n; j++) {
        const v = values[j];
        if (typeof v !== 'number') {
          this.#bad(field, `${field}[${j}]: expected a number, got ${describe(v)}`);
          return;
        }
        view[at + j] = v;
      }
    } else {
      view.set(values, at);
    }
  }

  #keepRejection(record, field, message) {
    if (this.#rejections.length >= MAX_KEPT_REJECTIONS) this.#rejections.shift();
    this.#rejections.push({ record, field, message });
  }

  /** Ingests the pending batch (no-op when empty). */
  #flushBatch() {
    const records = this.#records;
    if (records === 0) return;
    const size = this.#pos;
    const strings = this.#strings;
    this.#records = 0;
    this.#pos = 0;
    let rejected;
    try {
      rejected = this.#core.ingest(records, size, strings);
    } catch (err) {
      if (err !== null && typeof err === 'object') coreFaults.add(err);
      throw err;
    } finally {
      strings.length = 0;
      this.#stringIds.clear();
      // The core gives a grown buffer back after ingesting it: read the new address.
      if (this.#grown) {
        this.#grown = false;
        this.#bindBuffer();
      }
    }
    const base = this.#recordBase;
    this.#recordBase += records;
    if (rejected === 0) {
      this.#accepted += records;
    } else {
      const result = JSON.parse(this.#core.lastResult());
      this.#accepted += result.accepted;
      for (const r of result.rejected) this.#keepRejection(base + r.record, r.field, r.message);
      if (rejected < 0) {
        const err = new Error(`MonitorCore: internal error, the core refused a malformed batch: ${result.malformed}`);
        coreFaults.add(err);
        throw err;
      }
    }
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
  const out = module.reportFromExport(documentText(text, 'reportFromExport'));
  if (out.startsWith('error: ')) throw coreError(out.slice('error: '.length));
  return out;
}

export { schemaVersion };

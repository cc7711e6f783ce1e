// Writes events straight into the core's batch buffer (a Float64Array view of wasm memory,
// layout in wasm/batch.hpp) and hands the batch to the core in one call: when it is full, before
// every read, and on flush(). An event of a wrong JS type is refused here with a record that
// names the field; the core checks the rest and counts every refusal.

import { describeValue as describe } from '../describe.js';
import {
  MAX_CHUNK_GAPS, MAX_DURATIONS, MAX_NAME_BYTES, MAX_SMALL_JSON, MAX_TEXT_UNITS, PATH_PREFIX, coreFaults, errMessage, errName,
  isNumberList, jsonIssue, plainObject, quoteShort, readError, thrownText, utf8Bytes,
} from './inputs.js';

// The batch layout (wasm/batch.hpp)

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

/** The batch of one MonitorCore: its buffer in wasm memory, its strings, and the outcome since the last flush(). */
export class BatchEncoder {
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
  /** Outcome since the last explicit flush(). */
  #accepted = 0;
  #recordBase = 0;
  /** @type {{record: number, field: string, message: string}[]} */ #rejections = [];

  /**
   * @param {any} module the Emscripten module
   * @param {any} core its Embind Core, whose batch buffer this writes
   */
  constructor(module, core) {
    this.#module = module;
    this.#core = core;
    this.#bindBuffer();
  }

  /**
   * Rejections collected since the last flush() (the newest 1000).
   * @returns {{record: number, field: string, message: string}[]}
   */
  get lastRejections() {
    return this.#rejections;
  }

  /** Drops the pending batch (the core is being freed). */
  clear() {
    this.#strings = [];
    this.#stringIds.clear();
    this.#pos = 0;
    this.#records = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Events (documented on MonitorCore): each is written into the batch, or refused with a
  // kind-8 record naming the field

  recordGeneration(e) {
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

  recordModelLoad(e) {
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

  recordCacheLookup(e) {
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

  recordOperation(e) {
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

  recordMemorySample(e) {
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

  recordDeviceLost(e) {
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

  recordDurations(name, values, options) {
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

  /** Rare, so it goes to the core as JSON right away (after the pending batch). */
  recordWebGpu(info) {
    const core = this.#core;
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
    this.ingest();
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
    this.ingest();
    const result = { accepted: this.#accepted, rejected: this.#rejections };
    this.#accepted = 0;
    this.#recordBase = 0;
    this.#rejections = [];
    return result;
  }

  #bindBuffer() {
    const core = this.#core;
    this.#base = core.batchPointer() / 8;
    this.#cap = core.batchCapacity();
    this.#view = this.#module.HEAPF64;
  }

  /** Makes room for a record of `size` doubles at the end of the batch. */
  #ensure(size) {
    if (this.#pos + size > this.#cap) {
      if (size <= this.#cap) this.ingest();
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
  ingest() {
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

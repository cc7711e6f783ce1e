// Writes events straight into the core's batch buffer (a Float64Array view of wasm memory,
// layout in wasm/batch.hpp) and hands the batch to the core in one call: when it is full, before
// every read, and on flush(). An event of a wrong JS type is refused here with a record that
// names the field; the core checks the rest and counts every refusal.

import { describeValue as describe } from '../describe.js';
import {
  FIELD_COUNT,
  HEADER,
  KIND,
  MAX_LIST,
  encodeCacheLookup,
  encodeDeviceLost,
  encodeGeneration,
  encodeMemorySample,
  encodeModelLoad,
  encodeOperation,
} from '../generated/events.js';
import {
  MAX_SMALL_JSON,
  coreFaults,
  errMessage,
  errName,
  isNumberList,
  jsonIssue,
  maxTextUnits,
  plainObject,
  quoteShort,
  readError,
  thrownText,
  utf8Bytes,
} from './inputs.js';
import { isFailure } from './errors.js';
import { limits } from './limits.js';

const REJECTED_SIZE = HEADER + FIELD_COUNT.rejected;

/** Rejections kept for the next explicit flush(); the oldest are dropped past this. */
const MAX_KEPT_REJECTIONS = 1000;

/** The batch of one MonitorCore: its buffer in wasm memory, its strings, and the outcome since the last flush(). */
export class BatchEncoder {
  /** @type {import('../../dist/webllm-monitor-core.mjs').CoreModule} */ #module;
  /** @type {import('../../dist/webllm-monitor-core.mjs').Core} */ #core;
  /**
   * The wasm heap as doubles, which the generated encoders write into (fresh after begin():
   * memory that grew detached the previous view).
   * @type {Float64Array}
   */
  view;
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
  /** Start and size of the record being written. */
  #rec = 0;
  #size = 0;
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
      encodeGeneration(this, e);
    } catch (err) {
      this.#abandon('generation', err);
    }
  }

  recordModelLoad(e) {
    try {
      encodeModelLoad(this, e);
    } catch (err) {
      this.#abandon('load', err);
    }
  }

  recordCacheLookup(e) {
    try {
      encodeCacheLookup(this, e);
    } catch (err) {
      this.#abandon('cache', err);
    }
  }

  recordOperation(e) {
    try {
      encodeOperation(this, e);
    } catch (err) {
      this.#abandon('operation', err);
    }
  }

  recordMemorySample(e) {
    try {
      encodeMemorySample(this, e);
    } catch (err) {
      this.#abandon('memory', err);
    }
  }

  recordDeviceLost(e) {
    try {
      encodeDeviceLost(this, e);
    } catch (err) {
      this.#abandon('deviceLost', err);
    }
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
      this.#rejectRecord('operation.durations', `operation.durations: expected an array or a Float64Array of numbers, got ${describe(values)}`);
      return;
    }
    const n = values.length;
    if (n > MAX_LIST.durations) {
      this.#rejectRecord('operation.durations', `operation.durations: ${n} values, more than the limit ${MAX_LIST.durations} per call (split them)`);
      return;
    }
    const o = this.begin(KIND.durations, FIELD_COUNT.durations, n);
    const view = this.view;
    let mask = 0;
    if (typeof name === 'string') {
      view[o] = this.name(name, 'operation.name');
      mask += 1;
    } else this.notString(name, 'operation.name');
    if (success === true || success === false) {
      view[o + 1] = success ? 1 : 0;
      mask += 2;
    } else this.notBool(success, 'operation.success');
    if (typeof startedAt === 'number') {
      view[o + 2] = startedAt;
      mask += 4;
    } else this.notNumber(startedAt, 'operation.startedAt');
    mask += this.numbers(o, 3, FIELD_COUNT.durations, values, n, 'operation.durations');
    this.end(mask);
  }

  /** Rare, so it goes to the core as JSON right away (after the pending batch). */
  recordWebGpu(info) {
    const core = this.#core;
    if (!this.isEvent(info, 'webgpu')) return;
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
      else if (!Array.isArray(features) && typeof features === 'object' && typeof features[Symbol.iterator] === 'function') featuresOut = Array.from(features);
      // Strings far longer than the core keeps are cut here, before the copy (as text() does).
      const units = maxTextUnits();
      const orEmpty = (v) => (v === undefined || v === null ? '' : typeof v === 'string' && v.length > units ? v.slice(0, units) : v);
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
        this.#rejectRecord(issue.field, issue.message);
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
    const out = core.recordWebGpu(text);
    if (isFailure(out)) this.#keepRejection(index, out.field, out.message);
    else this.#accepted++;
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
    this.view = this.#module.HEAPF64;
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
    // on the same module): a view of the old buffer is then detached, its length 0.
    if (this.view.length === 0) this.view = this.#module.HEAPF64;
  }

  // -------------------------------------------------------------------------------------------
  // The writer the generated encoders (js/generated/events.js) call: a record is begun, its
  // fields written by index (a field of a wrong JS type marks it bad), and ended.

  /**
   * Starts a record at the end of the batch. Returns the index in the view of its field 0.
   * Records are never smaller than a kind-8 record, so one can always replace them.
   */
  begin(kind, nfields, extra) {
    const size = HEADER + nfields + extra;
    if (this.#pos + size > this.#cap || this.view.length === 0) this.#ensure(size);
    const rec = this.#base + this.#pos;
    const view = this.view;
    view[rec] = kind;
    view[rec + 1] = size;
    this.#rec = rec;
    this.#size = size;
    this.#badField = null;
    return rec + HEADER;
  }

  /** Ends the record begun last: writes its presence mask, or replaces it with a kind-8 record. */
  end(mask) {
    if (this.#badField !== null) {
      this.#writeRejected(this.#rec, this.#badField, this.#badMessage);
      this.#badField = null;
      this.#pos += REJECTED_SIZE;
    } else {
      this.view[this.#rec + 2] = mask;
      this.#pos += this.#size;
    }
    this.#records++;
  }

  #writeRejected(rec, field, message) {
    const view = this.view;
    view[rec] = KIND.rejected;
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

  /** True for an event object; anything else is refused with a record naming `name`. */
  isEvent(e, name) {
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

  /**
   * The string table's index of a name: a string of 1 to limits.nameBytes bytes in the core; one
   * longer in UTF-16 units is refused here, uncopied (and 0 returned: the record is replaced).
   */
  name(s, field) {
    if (s.length <= limits.nameBytes) return this.#intern(s);
    this.#bad(field, `${field}: ${quoteShort(s)} is ${utf8Bytes(s)} bytes, longer than ${limits.nameBytes}`);
    return 0;
  }

  /** A number field that holds no number: absent (undefined, null) or refused. NaN and Infinity are numbers: the core refuses them. */
  notNumber(v, field) {
    if (v !== undefined && v !== null) this.#bad(field, `${field}: expected a number, got ${describe(v)}`);
  }

  /** A name field that holds no string: absent or refused. */
  notString(v, field, expected = 'a string') {
    if (v !== undefined && v !== null) this.#bad(field, `${field}: expected ${expected}, got ${describe(v)}`);
  }

  /** A true/false field that holds neither: absent or refused. */
  notBool(v, field) {
    if (v !== undefined && v !== null) this.#bad(field, `${field}: expected true or false, got ${describe(v)}`);
  }

  /** Writes string field i of the record begun last; returns its presence bit. */
  #setString(i, s) {
    this.view[this.#rec + HEADER + i] = this.#intern(s);
    return 2 ** i;
  }

  /** Free text, which the core cuts to its limit: cut here first when far longer. Returns its presence bit, or 0. */
  text(i, v, field) {
    if (typeof v === 'string') {
      const units = maxTextUnits();
      return this.#setString(i, v.length > units ? v.slice(0, units) : v);
    }
    this.notString(v, field);
    return 0;
  }

  /** errorName/errorMessage fields, filled from `error` where not given. Returns their presence bits. */
  errorFields(nameIndex, messageIndex, e, prefix) {
    let name = e.errorName;
    let message = e.errorMessage;
    const error = e.error;
    if (name === undefined && message === undefined && error === undefined) return 0;
    if (error !== undefined && error !== null && (name === undefined || name === null || message === undefined || message === null)) {
      if (readError(error)) {
        if (name === undefined || name === null) name = errName;
        if (message === undefined || message === null) message = errMessage;
      } else {
        this.#bad(`${prefix}.error`, `${prefix}.error: expected an Error or a string, got ${describe(error)}`);
      }
    }
    let mask = 0;
    if (typeof name === 'string') {
      this.view[this.#rec + HEADER + nameIndex] = this.name(name, `${prefix}.errorName`);
      mask += 2 ** nameIndex;
    } else this.notString(name, `${prefix}.errorName`);
    if (typeof message === 'string' && message === '') return mask; // an empty message is no message
    return mask + this.text(messageIndex, message, `${prefix}.errorMessage`);
  }

  /**
   * The list of a record's last field `i` (its count), copied after its `nfields` fields: `o` is
   * what begin() returned, `n` what listLength() did. An element of another type marks the
   * record bad. Returns the count's presence bit, or 0 for no values.
   */
  numbers(o, i, nfields, values, n, field) {
    if (n === 0) return 0;
    const view = this.view;
    view[o + i] = n;
    const at = o + nfields;
    if (Array.isArray(values)) {
      for (let j = 0; j < n; j++) {
        const v = values[j];
        if (typeof v !== 'number') {
          this.#bad(field, `${field}[${j}]: expected a number, got ${describe(v)}`);
          break;
        }
        view[at + j] = v;
      }
    } else if (n <= 32) {
      for (let j = 0; j < n; j++) view[at + j] = values[j]; // cheaper than set() for a few
    } else {
      view.set(values, at);
    }
    return 2 ** i;
  }

  /**
   * The length of an event's list of numbers (0 when absent); -1 when it is refused, not being
   * one or longer than `limit` (refused before the copy: it would grow wasm memory for nothing).
   */
  listLength(values, field, limit) {
    if (values === undefined || values === null) return 0;
    if (!isNumberList(values)) {
      this.#rejectRecord(field, `${field}: expected an array or a Float64Array of numbers, got ${describe(values)}`);
      return -1;
    }
    if (values.length > limit) {
      this.#rejectRecord(field, `${field}: ${values.length} gaps, more than the limit ${limit}`);
      return -1;
    }
    return values.length;
  }

  /** true, false or "unknown" (or absent), written as a name. Returns its presence bit, or 0. */
  fromCache(i, v, field) {
    if (v === true) return this.#setString(i, 'true');
    if (v === false) return this.#setString(i, 'false');
    if (typeof v === 'string') {
      this.view[this.#rec + HEADER + i] = this.name(v, field);
      return 2 ** i;
    }
    this.notString(v, field, 'true, false or "unknown"');
    return 0;
  }

  /** `success`, absent: false when the event has an error (`error` or `errorName`), else absent (true). */
  success(i, e, field) {
    const v = e.success;
    const at = this.#rec + HEADER + i;
    if (v === true || v === false) {
      this.view[at] = v ? 1 : 0;
      return 2 ** i;
    }
    if (v !== undefined && v !== null) {
      this.notBool(v, field);
      return 0;
    }
    if ((e.error !== undefined && e.error !== null) || (e.errorName !== undefined && e.errorName !== null)) {
      this.view[at] = 0;
      return 2 ** i;
    }
    return 0;
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
      return;
    }
    /** @type {{ record: number, field: string, message: string }[]} */
    const refused = this.#core.rejections();
    for (const r of refused) this.#keepRejection(base + r.record, r.field, r.message);
    if (isFailure(rejected)) {
      // The records before the malformed one were read; their refusals are kept above.
      this.#accepted += rejected.accepted;
      const err = new Error(`MonitorCore: internal error, the core refused a malformed batch: ${rejected.message}`);
      coreFaults.add(err);
      throw err;
    }
    this.#accepted += records - rejected;
  }
}

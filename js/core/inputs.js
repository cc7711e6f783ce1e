// What the core's inputs must be, checked in JS before anything is copied into wasm memory
// (which grows and never shrinks): event values read into plain data, documents and small JSON
// inputs as text, each refusal naming its field. The limits are the core's (js/core/limits.js).

import { describeValue as describe } from '../describe.js';
import { MAX_LIST } from '../generated/events.js';
import { CoreError } from './errors.js';
import { limits } from './limits.js';

// The public constants of the package (js/core.js exports them before the core is loaded). They
// are the core's limits, which the loader checks them against (js/core/loader.js).
/** The largest export document importJson() and mergeJson() read: 128 MiB (in UTF-8 bytes). */
export const MAX_DOCUMENT_BYTES = 2 ** 27;
/** The most text mergeAll() copies into wasm memory at once: 256 MiB. */
export const MAX_MERGE_BYTES = 2 ** 28;
/** The most values one recordDurations() call takes: 32 MiB in the batch. */
export const MAX_DURATIONS = MAX_LIST.durations;

/** A configuration or a WebGPU record as JSON text: far above any real one (a JS guard on the copy). */
export const MAX_SMALL_JSON = 2 ** 20;

/**
 * How many UTF-16 units of free text are copied: twice the core's byte limit, so that the cut
 * the core makes (at a UTF-8 boundary) is the same as on the whole text.
 */
export function maxTextUnits() {
  return 2 * limits.messageBytes;
}

/** True for the typed arrays whose elements are JS numbers (not BigInt64Array, not DataView). */
function isNumberArrayView(v) {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && typeof (/** @type {any} */ (v)[0] ?? 0) === 'number';
}

export function isNumberList(v) {
  return Array.isArray(v) || isNumberArrayView(v);
}

/**
 * A plain copy of an object whose values are prototype getters (GPUSupportedLimits): own and
 * inherited properties, methods left out. Plain objects are returned as they are.
 * @param {object} obj
 */
export function plainObject(obj) {
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
export function utf8Bytes(s) {
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
export function quoteShort(s, n = 32) {
  return JSON.stringify(s.length > n ? `${s.slice(0, n)}...` : s);
}

/** A path step, written as the core writes them: `.key`, or `["key"]` when not an identifier. */
function childPath(path, key) {
  if (/^[A-Za-z0-9_]+$/.test(key)) return `${path}.${key}`;
  return `${path}[${JSON.stringify(key.length > limits.nameBytes ? `${key.slice(0, limits.nameBytes)}...` : key)}]`;
}

/**
 * The first value in `v` that JSON cannot carry faithfully (NaN and ±Infinity become null,
 * BigInt throws, functions and symbols vanish), or nesting deeper than the core reads, as its
 * path and a message naming it; null when there is none. Objects with toJSON (Dates) pass.
 * @param {unknown} v
 * @param {string} path
 * @returns {{ field: string, message: string } | null}
 */
export function jsonIssue(v, path, depth = 0) {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? null : { field: path, message: `${path}: ${v} is not a finite number` };
    case 'bigint':
    case 'function':
    case 'symbol':
      return { field: path, message: `${path}: expected a JSON value, got ${describe(v)}` };
    case 'object': {
      if (v === null || typeof (/** @type {any} */ (v).toJSON) === 'function') return null;
      if (depth >= limits.jsonDepth) return { field: path, message: `${path}: nested deeper than ${limits.jsonDepth} levels` };
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
export function thrownText(err) {
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
export function documentText(text, method) {
  let json = text;
  if (text !== null && typeof text === 'object') {
    try {
      json = JSON.stringify(text);
    } catch (err) {
      throw new CoreError(`$: the document cannot be serialized to JSON (${thrownText(err)})`, '$');
    }
    if (typeof json !== 'string') throw new CoreError(`$: the document serializes to ${describe(json)}, not to JSON text`, '$');
  } else if (typeof text !== 'string') {
    throw new TypeError(`${method}: expected the export as JSON text or an object, got ${describe(text)}`);
  }
  const max = limits.documentBytes;
  if (json.length > max) throw new CoreError(`$: the document is ${json.length} characters, more than the limit of ${max} bytes (${max / 2 ** 20} MiB)`, '$');
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
export function smallJsonText(value, path) {
  let text;
  let issue;
  try {
    issue = jsonIssue(value, path);
    if (issue === null) text = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`${path}: cannot be serialized (${thrownText(err)})`);
  }
  if (issue !== null) throw Object.assign(new TypeError(issue.message), { path: issue.field });
  if (typeof text !== 'string') throw new TypeError(`${path}: expected a JSON value, got ${describe(value)}`);
  if (text.length > MAX_SMALL_JSON) throw new TypeError(`${path}: ${text.length} characters of JSON, more than the limit of ${MAX_SMALL_JSON}`);
  return text;
}

/** Errors that came out of the core itself (never swallowed as a bad event). */
export const coreFaults = new WeakSet();

const ERROR_PREFIX = /^([A-Z][A-Za-z0-9_$]*|[A-Za-z_$][A-Za-z0-9_$]*Error)\s*:\s*/;

// Out-parameters of readError (module-level so the hot path allocates no result object).
export let errName = '';
export let errMessage = '';

/**
 * Reads `error` (an Error, an object with name/message, or a string such as
 * "DeviceLostError: WebGPU device was lost") into errName/errMessage.
 * @returns {boolean} false when `error` has a type that cannot be read
 */
export function readError(error) {
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

export function checkNow(now) {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`now: expected epoch milliseconds (a finite number), got ${describe(now)}`);
  return now;
}

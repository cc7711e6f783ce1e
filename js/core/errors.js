// The one error class of the core's failures. Every bridge call that can fail returns its value,
// or a failure object { field, message } (with `document` where several documents are read):
// wasm/bindings.cpp. `unwrap` gives the value back or throws the failure as a CoreError, so no
// message is ever parsed for its field.

/** A failure the core reports: `field` (also `path`) names the JSON path or field. */
export class CoreError extends Error {
  /**
   * @param {string} message a sentence naming the field, as the core wrote it
   * @param {string} field the JSON path ("$.sketches.total") or field ("config.historySize")
   * @param {number | string} [document] mergeAll: the 1-based document; compareExports:
   *   "baseline" or "current"
   */
  constructor(message, field, document) {
    super(message);
    this.name = 'CoreError';
    /** The JSON path or field the failure names. */
    this.field = field;
    /** The same as `field`. */
    this.path = field;
    if (document !== undefined) this.document = document;
  }
}

/**
 * True for what a fallible bridge call returns when it failed.
 * @param {unknown} out
 * @returns {out is CoreFailure}
 */
export function isFailure(out) {
  return (
    typeof out === 'object' && out !== null && typeof (/** @type {any} */ (out).message) === 'string' && typeof (/** @type {any} */ (out).field) === 'string'
  );
}

/** @typedef {import('../../dist/webllm-monitor-core.mjs').CoreFailure} CoreFailure */

/**
 * The value of a fallible bridge call, or its failure thrown as a CoreError.
 * @template T
 * @param {T | CoreFailure} out
 * @returns {Exclude<T, CoreFailure>}
 */
export function unwrap(out) {
  if (isFailure(out)) {
    const f = /** @type {CoreFailure} */ (out);
    throw new CoreError(f.message, f.field, f.document ?? undefined);
  }
  return /** @type {Exclude<T, CoreFailure>} */ (out);
}

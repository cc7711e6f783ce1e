// The core's limits on names, messages and documents. They live in C++ (wasm/events.hpp,
// wasm/json_io.hpp) and reach JS as constants of the module (wasm/bindings.cpp); `limits` holds
// them once the module is loaded, and every check that uses them runs on a loaded module.

/** Filled by readLimits() when the module loads. */
export const limits = {
  /** Names (models, types, operations, caches, labels, error names): 1 to this many UTF-8 bytes. */
  nameBytes: 0,
  /** Free text (error messages) is cut to this many UTF-8 bytes. */
  messageBytes: 0,
  /** The largest export document importJson() and mergeJson() read, in UTF-8 bytes. */
  documentBytes: 0,
  /** The most text one mergeAll() reads, all documents together. */
  mergeBytes: 0,
  /** The deepest nesting of a JSON input. */
  jsonDepth: 0,
  /** No series path (quantile(), histogram()) is longer, in UTF-8 bytes. */
  seriesPathBytes: 0,
};

const FROM_MODULE = /** @type {const} */ ({
  nameBytes: 'maxNameBytes',
  messageBytes: 'maxMessageBytes',
  documentBytes: 'maxDocumentBytes',
  mergeBytes: 'maxMergeBytes',
  jsonDepth: 'maxJsonDepth',
  seriesPathBytes: 'maxSeriesPathBytes',
});

/**
 * Reads the limits of a loaded module into `limits`.
 * @param {Record<string, unknown>} module
 * @returns {string | null} what is wrong with the module's constants, or null
 */
export function readLimits(module) {
  for (const [key, name] of Object.entries(FROM_MODULE)) {
    const v = module[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return `the wasm core has no limit ${name} (got ${String(v)})`;
    limits[/** @type {keyof typeof limits} */ (key)] = v;
  }
  return null;
}

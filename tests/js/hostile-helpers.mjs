// What the two suites of hostile input share (hostile-calls.test.mjs, hostile-documents.test.mjs):
// a 10 MB name, the wasm heap's size, a check that Object.prototype is untouched, a check of a
// refusal, a seeded core and its data; not a test file.
import assert from 'node:assert/strict';
import { MonitorCore, loadCore } from '../../js/core.js';
import { T0, LATER } from './helpers.mjs';

export const MiB = 2 ** 20;
export const BIG = 'x'.repeat(10 * MiB); // a 10 MB name
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

const module = await loadCore();
export const heapBytes = () => module.HEAPU8.buffer.byteLength;

/** Object.prototype exactly as it was, and no key leaked onto fresh objects. */
export function assertPrototypeClean() {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTO_NAMES);
  const probe = {};
  for (const key of ['polluted', 'total', 'hits', 'input', 'p50', 'count', 'model']) assert.equal(probe[key], undefined, `Object.prototype.${key}`);
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}

/** Throws unless `fn` throws an Error (never the wasm's RuntimeError) matching `message`; returns it. */
export function refuses(fn, message, path) {
  let error;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof Error, `expected a throw matching ${message}`);
  assert.ok(!(error instanceof WebAssembly.RuntimeError), `the wasm trapped: ${error.message}`);
  assert.match(error.message, message);
  assert.ok(error.message.length < 1000, `a short message, not ${error.message.length} characters`);
  if (path !== undefined) assert.equal(error.path, path);
  return error;
}

/** The export's data without the parts that count refused events (those are meant to change). */
export function dataOf(core) {
  const doc = JSON.parse(core.exportJson(LATER));
  delete doc.sketches.rejected;
  delete doc.metrics.rejected;
  delete doc.status.rejected;
  return doc;
}

/** A core with one event of most kinds, so that "nothing changed" compares real state. */
export async function seeded() {
  const core = await MonitorCore.create();
  core.recordModelLoad({ model: 'm', startedAt: T0, durationMs: 2000, fromCache: true });
  core.recordGeneration({ model: 'm', startedAt: T0 + 5000, durationMs: 400, ttftMs: 40, chunkGapsMs: [20, 30], promptTokens: 10, completionTokens: 3 });
  core.recordOperation({ name: 'op', startedAt: T0 + 6000, durationMs: 20, success: false, errorName: 'E', errorMessage: 'failed' });
  core.recordCacheLookup({ cache: 'k', hit: true, timestamp: T0 + 7000 });
  core.recordMemorySample({ timestamp: T0 + 8000, usedJSHeapSize: 5e7 });
  assert.deepEqual(core.flush().rejected, []);
  return core;
}

export const gen = (over) => ({ model: 'm', startedAt: T0 + 9000, durationMs: 100, ...over });

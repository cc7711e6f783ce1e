// Generated from schema/description.mjs by scripts/generate.mjs (npm run generate): do not edit.
// The batch records of the events (wasm/batch.hpp): their kinds, field counts and limits, and
// one encoder per event that writes it through the batch's writer (js/core/encoder.js).

/** A record's header, in doubles: kind, length (the whole record's), presence mask. */
export const HEADER = 3;

/** The kind of each record (its first double). */
export const KIND = Object.freeze({ generation: 1, load: 2, cache: 3, operation: 4, memory: 5, deviceLost: 6, durations: 7, rejected: 8 });

/** The fields of each record (after its header of 3: kind, length, presence mask). */
export const FIELD_COUNT = Object.freeze({ generation: 20, load: 7, cache: 3, operation: 6, memory: 10, deviceLost: 4, durations: 4, rejected: 2 });

/** The most numbers a record carries after its fields, per kind that has them. */
export const MAX_LIST = Object.freeze({ generation: 1048576, durations: 4194304 });

/** Writes a GenerationEvent (kind 1) into the batch. */
export function encodeGeneration(w, ev) {
  if (!w.isEvent(ev, 'generation')) return;
  const n = w.listLength(ev.chunkGapsMs, 'generation.chunkGapsMs', 1048576);
  if (n < 0) return;
  const o = w.begin(1, 20, n);
  w.str(0, ev.model, 'generation.model');
  w.str(1, ev.type, 'generation.type');
  w.str(2, ev.operation, 'generation.operation');
  w.num(3, ev.startedAt, 'generation.startedAt');
  w.num(4, ev.durationMs, 'generation.durationMs');
  w.num(5, ev.ttftMs, 'generation.ttftMs');
  w.num(6, ev.promptTokens, 'generation.promptTokens');
  w.num(7, ev.completionTokens, 'generation.completionTokens');
  w.num(8, ev.engineTtftMs, 'generation.engineTtftMs');
  w.num(9, ev.enginePrefillTokensPerSec, 'generation.enginePrefillTokensPerSec');
  w.num(10, ev.engineDecodeTokensPerSec, 'generation.engineDecodeTokensPerSec');
  w.num(11, ev.engineTimePerOutputTokenMs, 'generation.engineTimePerOutputTokenMs');
  w.str(12, ev.finishReason, 'generation.finishReason');
  w.errorFields(13, 14, ev, 'generation');
  w.num(15, ev.promptChars, 'generation.promptChars');
  w.num(16, ev.responseChars, 'generation.responseChars');
  w.num(17, ev.temperature, 'generation.temperature');
  w.num(18, ev.maxTokens, 'generation.maxTokens');
  w.numbers(o, 19, 20, ev.chunkGapsMs, n, 'generation.chunkGapsMs');
  w.end();
}

/** Writes a ModelLoadEvent (kind 2) into the batch. */
export function encodeModelLoad(w, ev) {
  if (!w.isEvent(ev, 'load')) return;
  w.begin(2, 7, 0);
  w.str(0, ev.model, 'load.model');
  w.num(1, ev.startedAt, 'load.startedAt');
  w.num(2, ev.durationMs, 'load.durationMs');
  w.fromCache(3, ev.fromCache, 'load.fromCache');
  w.num(4, ev.bytesFetched, 'load.bytesFetched');
  w.errorFields(5, 6, ev, 'load');
  w.end();
}

/** Writes a CacheLookupEvent (kind 3) into the batch. */
export function encodeCacheLookup(w, ev) {
  if (!w.isEvent(ev, 'cache')) return;
  w.begin(3, 3, 0);
  w.str(0, ev.cache, 'cache.cache');
  w.bool(1, ev.hit, 'cache.hit');
  w.num(2, ev.timestamp, 'cache.timestamp');
  w.end();
}

/** Writes a OperationEvent (kind 4) into the batch. */
export function encodeOperation(w, ev) {
  if (!w.isEvent(ev, 'operation')) return;
  w.begin(4, 6, 0);
  w.str(0, ev.name, 'operation.name');
  w.num(1, ev.startedAt, 'operation.startedAt');
  w.num(2, ev.durationMs, 'operation.durationMs');
  w.success(3, ev, 'operation.success');
  w.errorFields(4, 5, ev, 'operation');
  w.end();
}

/** Writes a MemorySampleEvent (kind 5) into the batch. */
export function encodeMemorySample(w, ev) {
  if (!w.isEvent(ev, 'memory')) return;
  w.begin(5, 10, 0);
  w.str(0, ev.label, 'memory.label');
  w.num(1, ev.timestamp, 'memory.timestamp');
  w.num(2, ev.usedJSHeapSize, 'memory.usedJSHeapSize');
  w.num(3, ev.totalJSHeapSize, 'memory.totalJSHeapSize');
  w.num(4, ev.jsHeapSizeLimit, 'memory.jsHeapSizeLimit');
  w.num(5, ev.userAgentBytes, 'memory.userAgentBytes');
  w.num(6, ev.wasmHeapBytes, 'memory.wasmHeapBytes');
  w.num(7, ev.gpuBufferBytes, 'memory.gpuBufferBytes');
  w.num(8, ev.storageUsage, 'memory.storageUsage');
  w.num(9, ev.storageQuota, 'memory.storageQuota');
  w.end();
}

/** Writes a DeviceLostEvent (kind 6) into the batch. */
export function encodeDeviceLost(w, ev) {
  if (!w.isEvent(ev, 'deviceLost')) return;
  w.begin(6, 4, 0);
  w.num(0, ev.timestamp, 'deviceLost.timestamp');
  w.text(1, ev.reason, 'deviceLost.reason');
  w.text(2, ev.message, 'deviceLost.message');
  w.str(3, ev.model, 'deviceLost.model');
  w.end();
}

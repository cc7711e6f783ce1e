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
  const v = w.view;
  let m = 0;
  let x;
  x = ev.model;
  if (typeof x === 'string') {
    v[o] = w.name(x, 'generation.model');
    m += 1;
  } else w.notString(x, 'generation.model');
  x = ev.type;
  if (typeof x === 'string') {
    v[o + 1] = w.name(x, 'generation.type');
    m += 2;
  } else w.notString(x, 'generation.type');
  x = ev.operation;
  if (typeof x === 'string') {
    v[o + 2] = w.name(x, 'generation.operation');
    m += 4;
  } else w.notString(x, 'generation.operation');
  x = ev.startedAt;
  if (typeof x === 'number') {
    v[o + 3] = x;
    m += 8;
  } else w.notNumber(x, 'generation.startedAt');
  x = ev.durationMs;
  if (typeof x === 'number') {
    v[o + 4] = x;
    m += 16;
  } else w.notNumber(x, 'generation.durationMs');
  x = ev.ttftMs;
  if (typeof x === 'number') {
    v[o + 5] = x;
    m += 32;
  } else w.notNumber(x, 'generation.ttftMs');
  x = ev.promptTokens;
  if (typeof x === 'number') {
    v[o + 6] = x;
    m += 64;
  } else w.notNumber(x, 'generation.promptTokens');
  x = ev.completionTokens;
  if (typeof x === 'number') {
    v[o + 7] = x;
    m += 128;
  } else w.notNumber(x, 'generation.completionTokens');
  x = ev.engineTtftMs;
  if (typeof x === 'number') {
    v[o + 8] = x;
    m += 256;
  } else w.notNumber(x, 'generation.engineTtftMs');
  x = ev.enginePrefillTokensPerSec;
  if (typeof x === 'number') {
    v[o + 9] = x;
    m += 512;
  } else w.notNumber(x, 'generation.enginePrefillTokensPerSec');
  x = ev.engineDecodeTokensPerSec;
  if (typeof x === 'number') {
    v[o + 10] = x;
    m += 1024;
  } else w.notNumber(x, 'generation.engineDecodeTokensPerSec');
  x = ev.engineTimePerOutputTokenMs;
  if (typeof x === 'number') {
    v[o + 11] = x;
    m += 2048;
  } else w.notNumber(x, 'generation.engineTimePerOutputTokenMs');
  x = ev.finishReason;
  if (typeof x === 'string') {
    v[o + 12] = w.name(x, 'generation.finishReason');
    m += 4096;
  } else w.notString(x, 'generation.finishReason');
  m += w.errorFields(13, 14, ev, 'generation');
  x = ev.promptChars;
  if (typeof x === 'number') {
    v[o + 15] = x;
    m += 32768;
  } else w.notNumber(x, 'generation.promptChars');
  x = ev.responseChars;
  if (typeof x === 'number') {
    v[o + 16] = x;
    m += 65536;
  } else w.notNumber(x, 'generation.responseChars');
  x = ev.temperature;
  if (typeof x === 'number') {
    v[o + 17] = x;
    m += 131072;
  } else w.notNumber(x, 'generation.temperature');
  x = ev.maxTokens;
  if (typeof x === 'number') {
    v[o + 18] = x;
    m += 262144;
  } else w.notNumber(x, 'generation.maxTokens');
  m += w.numbers(o, 19, 20, ev.chunkGapsMs, n, 'generation.chunkGapsMs');
  w.end(m);
}

/** Writes a ModelLoadEvent (kind 2) into the batch. */
export function encodeModelLoad(w, ev) {
  if (!w.isEvent(ev, 'load')) return;
  const o = w.begin(2, 7, 0);
  const v = w.view;
  let m = 0;
  let x;
  x = ev.model;
  if (typeof x === 'string') {
    v[o] = w.name(x, 'load.model');
    m += 1;
  } else w.notString(x, 'load.model');
  x = ev.startedAt;
  if (typeof x === 'number') {
    v[o + 1] = x;
    m += 2;
  } else w.notNumber(x, 'load.startedAt');
  x = ev.durationMs;
  if (typeof x === 'number') {
    v[o + 2] = x;
    m += 4;
  } else w.notNumber(x, 'load.durationMs');
  m += w.fromCache(3, ev.fromCache, 'load.fromCache');
  x = ev.bytesFetched;
  if (typeof x === 'number') {
    v[o + 4] = x;
    m += 16;
  } else w.notNumber(x, 'load.bytesFetched');
  m += w.errorFields(5, 6, ev, 'load');
  w.end(m);
}

/** Writes a CacheLookupEvent (kind 3) into the batch. */
export function encodeCacheLookup(w, ev) {
  if (!w.isEvent(ev, 'cache')) return;
  const o = w.begin(3, 3, 0);
  const v = w.view;
  let m = 0;
  let x;
  x = ev.cache;
  if (typeof x === 'string') {
    v[o] = w.name(x, 'cache.cache');
    m += 1;
  } else w.notString(x, 'cache.cache');
  x = ev.hit;
  if (x === true || x === false) {
    v[o + 1] = x ? 1 : 0;
    m += 2;
  } else w.notBool(x, 'cache.hit');
  x = ev.timestamp;
  if (typeof x === 'number') {
    v[o + 2] = x;
    m += 4;
  } else w.notNumber(x, 'cache.timestamp');
  w.end(m);
}

/** Writes a OperationEvent (kind 4) into the batch. */
export function encodeOperation(w, ev) {
  if (!w.isEvent(ev, 'operation')) return;
  const o = w.begin(4, 6, 0);
  const v = w.view;
  let m = 0;
  let x;
  x = ev.name;
  if (typeof x === 'string') {
    v[o] = w.name(x, 'operation.name');
    m += 1;
  } else w.notString(x, 'operation.name');
  x = ev.startedAt;
  if (typeof x === 'number') {
    v[o + 1] = x;
    m += 2;
  } else w.notNumber(x, 'operation.startedAt');
  x = ev.durationMs;
  if (typeof x === 'number') {
    v[o + 2] = x;
    m += 4;
  } else w.notNumber(x, 'operation.durationMs');
  m += w.success(3, ev, 'operation.success');
  m += w.errorFields(4, 5, ev, 'operation');
  w.end(m);
}

/** Writes a MemorySampleEvent (kind 5) into the batch. */
export function encodeMemorySample(w, ev) {
  if (!w.isEvent(ev, 'memory')) return;
  const o = w.begin(5, 10, 0);
  const v = w.view;
  let m = 0;
  let x;
  x = ev.label;
  if (typeof x === 'string') {
    v[o] = w.name(x, 'memory.label');
    m += 1;
  } else w.notString(x, 'memory.label');
  x = ev.timestamp;
  if (typeof x === 'number') {
    v[o + 1] = x;
    m += 2;
  } else w.notNumber(x, 'memory.timestamp');
  x = ev.usedJSHeapSize;
  if (typeof x === 'number') {
    v[o + 2] = x;
    m += 4;
  } else w.notNumber(x, 'memory.usedJSHeapSize');
  x = ev.totalJSHeapSize;
  if (typeof x === 'number') {
    v[o + 3] = x;
    m += 8;
  } else w.notNumber(x, 'memory.totalJSHeapSize');
  x = ev.jsHeapSizeLimit;
  if (typeof x === 'number') {
    v[o + 4] = x;
    m += 16;
  } else w.notNumber(x, 'memory.jsHeapSizeLimit');
  x = ev.userAgentBytes;
  if (typeof x === 'number') {
    v[o + 5] = x;
    m += 32;
  } else w.notNumber(x, 'memory.userAgentBytes');
  x = ev.wasmHeapBytes;
  if (typeof x === 'number') {
    v[o + 6] = x;
    m += 64;
  } else w.notNumber(x, 'memory.wasmHeapBytes');
  x = ev.gpuBufferBytes;
  if (typeof x === 'number') {
    v[o + 7] = x;
    m += 128;
  } else w.notNumber(x, 'memory.gpuBufferBytes');
  x = ev.storageUsage;
  if (typeof x === 'number') {
    v[o + 8] = x;
    m += 256;
  } else w.notNumber(x, 'memory.storageUsage');
  x = ev.storageQuota;
  if (typeof x === 'number') {
    v[o + 9] = x;
    m += 512;
  } else w.notNumber(x, 'memory.storageQuota');
  w.end(m);
}

/** Writes a DeviceLostEvent (kind 6) into the batch. */
export function encodeDeviceLost(w, ev) {
  if (!w.isEvent(ev, 'deviceLost')) return;
  const o = w.begin(6, 4, 0);
  const v = w.view;
  let m = 0;
  let x;
  x = ev.timestamp;
  if (typeof x === 'number') {
    v[o] = x;
    m += 1;
  } else w.notNumber(x, 'deviceLost.timestamp');
  m += w.text(1, ev.reason, 'deviceLost.reason');
  m += w.text(2, ev.message, 'deviceLost.message');
  x = ev.model;
  if (typeof x === 'string') {
    v[o + 3] = w.name(x, 'deviceLost.model');
    m += 8;
  } else w.notString(x, 'deviceLost.model');
  w.end(m);
}

// The events of the description of the export document (schema/description.mjs re-exports
// them): what the record*() methods take, field by field in the order of their batch records
// (wasm/batch.hpp). From this, scripts/generate.mjs writes the JS encoders
// (js/generated/events.js), their declarations (js/generated/events.d.ts) and the core's field
// tables (wasm/generated/events.hpp). `undefined` or `null` is "absent" for every field.
//
// Field types:
//   name       a string of 1 to 256 bytes (models, types, operations, caches, labels)
//   enum:<e>   a name that must be one of enums[<e>] (schema/description.mjs; the core checks it)
//   text       free text, cut to 2048 bytes by the core
//   number     a number; `unit` says in what
//   bool       true or false (1 or 0 in the record)
//   fromCache  true, false or "unknown" (a name in the record)
//   success    a bool that defaults to false when an error is given
//   errorName  the name of the event's error, then `errorMessage` (text) right after it; both
//              are filled from the event's `error` (an Error or a string) where not given
//   gaps       the count of the numbers that follow the record's fields (a list of `unit`)
// `required`: the core refuses the event without it. `member`: the member of the C++ event
// (wasm/events.hpp) that a number is read into, where it is not the name in snake_case.

/** The unit words of event fields, as the declarations' comments write them. */
const ms = 'ms';
const epochMs = 'epoch ms';
const bytes = 'bytes';

export const events = {
  generation: {
    kind: 1,
    method: 'recordGeneration',
    ts: 'GenerationEvent',
    doc: 'One generation: a chat, completion or embedding request, streaming or not.',
    fields: [
      { name: 'model', type: 'name', required: true, doc: 'Model id, e.g. "Llama-3.2-1B-Instruct-q4f16_1-MLC".' },
      { name: 'type', type: 'name', doc: 'Application-level kind of request ("chat", "summary"...); default "default".' },
      { name: 'operation', type: 'enum:operation', doc: 'Default "chat".' },
      { name: 'startedAt', type: 'number', unit: epochMs, required: true, doc: 'When the request was made.' },
      { name: 'durationMs', type: 'number', unit: ms, required: true, doc: 'Request to last chunk (or to the error).' },
      { name: 'ttftMs', type: 'number', unit: ms, doc: 'Client-side time to the first chunk; must not exceed durationMs.' },
      { name: 'promptTokens', type: 'number', unit: 'tokens' },
      { name: 'completionTokens', type: 'number', unit: 'tokens' },
      { name: 'engineTtftMs', type: 'number', unit: ms, doc: 'usage.extra.time_to_first_token_s * 1000 (prefill only, lock wait excluded).' },
      { name: 'enginePrefillTokensPerSec', type: 'number', unit: 'tokens/s', doc: 'usage.extra.prefill_tokens_per_s' },
      { name: 'engineDecodeTokensPerSec', type: 'number', unit: 'tokens/s', doc: 'usage.extra.decode_tokens_per_s' },
      { name: 'engineTimePerOutputTokenMs', type: 'number', unit: ms, doc: 'usage.extra.time_per_output_token_s * 1000' },
      { name: 'finishReason', type: 'enum:finishReason', doc: 'Absent: "error" when an error is given, else "stop".' },
      { name: 'errorName', type: 'errorName' },
      { name: 'errorMessage', type: 'text' },
      { name: 'promptChars', type: 'number', unit: 'characters' },
      { name: 'responseChars', type: 'number', unit: 'characters' },
      { name: 'temperature', type: 'number' },
      { name: 'maxTokens', type: 'number', unit: 'tokens' },
      { name: 'chunkGapsMs', type: 'gaps', unit: ms, limit: 2 ** 20, doc: 'Gaps between consecutive chunks of a stream (chunks - 1 values).' },
    ],
  },
  load: {
    kind: 2,
    method: 'recordModelLoad',
    ts: 'ModelLoadEvent',
    doc: 'One model load (`engine.reload()`). A load with an error name counts as failed.',
    fields: [
      { name: 'model', type: 'name', required: true },
      { name: 'startedAt', type: 'number', unit: epochMs, required: true },
      { name: 'durationMs', type: 'number', unit: ms, required: true },
      { name: 'fromCache', type: 'fromCache', doc: 'Whether the weights came from the browser cache; absent = "unknown".' },
      { name: 'bytesFetched', type: 'number', unit: bytes },
      { name: 'errorName', type: 'errorName' },
      { name: 'errorMessage', type: 'text' },
    ],
  },
  cache: {
    kind: 3,
    method: 'recordCacheLookup',
    ts: 'CacheLookupEvent',
    doc: 'One lookup in a named cache.',
    fields: [
      { name: 'cache', type: 'name', required: true },
      { name: 'hit', type: 'bool', required: true },
      { name: 'timestamp', type: 'number', unit: epochMs, required: true },
    ],
  },
  operation: {
    kind: 4,
    method: 'recordOperation',
    ts: 'OperationEvent',
    doc: 'One run of a named custom operation (retrieval, tokenization, a tool call...).',
    fields: [
      { name: 'name', type: 'name', required: true },
      { name: 'startedAt', type: 'number', unit: epochMs, required: true },
      { name: 'durationMs', type: 'number', unit: ms, required: true },
      { name: 'success', type: 'success', doc: 'Default true, or false when `error` or `errorName` is given.' },
      { name: 'errorName', type: 'errorName' },
      { name: 'errorMessage', type: 'text' },
    ],
  },
  memory: {
    kind: 5,
    method: 'recordMemorySample',
    ts: 'MemorySampleEvent',
    doc: 'One memory sample; every size in bytes, each optional.',
    fields: [
      { name: 'label', type: 'name', doc: 'Default "periodic".' },
      { name: 'timestamp', type: 'number', unit: epochMs, required: true },
      { name: 'usedJSHeapSize', type: 'number', unit: bytes, member: 'used_js_heap', doc: 'performance.memory' },
      { name: 'totalJSHeapSize', type: 'number', unit: bytes, member: 'total_js_heap' },
      { name: 'jsHeapSizeLimit', type: 'number', unit: bytes, member: 'js_heap_limit' },
      { name: 'userAgentBytes', type: 'number', unit: bytes, member: 'ua_measured_bytes', doc: 'performance.measureUserAgentSpecificMemory().bytes' },
      { name: 'wasmHeapBytes', type: 'number', unit: bytes, doc: 'WebAssembly.Memory buffer sizes' },
      { name: 'gpuBufferBytes', type: 'number', unit: bytes, doc: 'Sum of live GPUBuffer sizes (createBuffer/destroy tracking)' },
      { name: 'storageUsage', type: 'number', unit: bytes, doc: 'navigator.storage.estimate()' },
      { name: 'storageQuota', type: 'number', unit: bytes },
    ],
  },
  deviceLost: {
    kind: 6,
    method: 'recordDeviceLost',
    ts: 'DeviceLostEvent',
    doc: '`device.lost` resolved.',
    fields: [
      { name: 'timestamp', type: 'number', unit: epochMs, required: true },
      { name: 'reason', type: 'text' },
      { name: 'message', type: 'text' },
      { name: 'model', type: 'name', doc: 'The model whose device was lost; default: the last loaded model.' },
    ],
  },
  /** recordDurations(name, values, { success, startedAt }): many runs of one operation in one record. */
  durations: {
    kind: 7,
    prefix: 'operation',
    method: 'recordDurations',
    fields: [
      { name: 'name', type: 'name', required: true },
      { name: 'success', type: 'bool' },
      { name: 'startedAt', type: 'number', unit: epochMs },
      { name: 'count', type: 'gaps', unit: ms, limit: 2 ** 22, doc: 'The durations.' },
    ],
  },
  /** An event the JS encoder refused (a wrong JS type): the core counts it as a rejection. */
  rejected: {
    kind: 8,
    fields: [
      { name: 'field', type: 'name' },
      { name: 'message', type: 'text' },
    ],
  },
};

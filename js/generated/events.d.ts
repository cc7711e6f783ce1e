// Generated from schema/description.mjs by scripts/generate.mjs (npm run generate): do not edit.
// The events the record*() methods take. `undefined` or `null` means "absent". A value of the
// wrong JS type is never coerced: the event is refused and counted with the field named.

import type { FinishReason, OperationName } from './metrics.js';

/** An Error (its `name` and `message` are used), or a string such as
 * `"DeviceLostError: WebGPU device was lost"` (the leading name is parsed out). */
export type ErrorLike = Error | { name?: string; message?: string } | string;

/** One generation: a chat, completion or embedding request, streaming or not. */
export interface GenerationEvent {
  /** Model id, e.g. "Llama-3.2-1B-Instruct-q4f16_1-MLC". Required. */
  model: string;
  /** Application-level kind of request ("chat", "summary"...); default "default". */
  type?: string | null;
  /** Default "chat". */
  operation?: OperationName | null;
  /** When the request was made (epoch ms). Required. */
  startedAt: number;
  /** Request to last chunk (or to the error) (ms). Required. */
  durationMs: number;
  /** Client-side time to the first chunk; must not exceed durationMs (ms). */
  ttftMs?: number | null;
  /** In tokens. */
  promptTokens?: number | null;
  /** In tokens. */
  completionTokens?: number | null;
  /** usage.extra.time_to_first_token_s * 1000 (prefill only, lock wait excluded) (ms). */
  engineTtftMs?: number | null;
  /** usage.extra.prefill_tokens_per_s (tokens/s) */
  enginePrefillTokensPerSec?: number | null;
  /** usage.extra.decode_tokens_per_s (tokens/s) */
  engineDecodeTokensPerSec?: number | null;
  /** usage.extra.time_per_output_token_s * 1000 (ms) */
  engineTimePerOutputTokenMs?: number | null;
  /** Absent: "error" when an error is given, else "stop". */
  finishReason?: FinishReason | null;
  errorName?: string | null;
  errorMessage?: string | null;
  /** Fills errorName / errorMessage where those are not given. */
  error?: ErrorLike | null;
  /** In characters. */
  promptChars?: number | null;
  /** In characters. */
  responseChars?: number | null;
  temperature?: number | null;
  /** In tokens. */
  maxTokens?: number | null;
  /** Gaps between consecutive chunks of a stream (chunks - 1 values) (ms). */
  chunkGapsMs?: number[] | Float64Array | null;
}

/** One model load (`engine.reload()`). A load with an error name counts as failed. */
export interface ModelLoadEvent {
  /** Required. */
  model: string;
  /** In epoch ms. Required. */
  startedAt: number;
  /** In ms. Required. */
  durationMs: number;
  /** Whether the weights came from the browser cache; absent = "unknown". */
  fromCache?: boolean | 'unknown' | null;
  /** In bytes. */
  bytesFetched?: number | null;
  errorName?: string | null;
  errorMessage?: string | null;
  /** Fills errorName / errorMessage where those are not given. */
  error?: ErrorLike | null;
}

/** One lookup in a named cache. */
export interface CacheLookupEvent {
  /** Required. */
  cache: string;
  /** Required. */
  hit: boolean;
  /** In epoch ms. Required. */
  timestamp: number;
}

/** One run of a named custom operation (retrieval, tokenization, a tool call...). */
export interface OperationEvent {
  /** Required. */
  name: string;
  /** In epoch ms. Required. */
  startedAt: number;
  /** In ms. Required. */
  durationMs: number;
  /** Default true, or false when `error` or `errorName` is given. */
  success?: boolean | null;
  errorName?: string | null;
  errorMessage?: string | null;
  /** Fills errorName / errorMessage where those are not given. */
  error?: ErrorLike | null;
}

/** One memory sample; every size in bytes, each optional. */
export interface MemorySampleEvent {
  /** Default "periodic". */
  label?: string | null;
  /** In epoch ms. Required. */
  timestamp: number;
  /** performance.memory (bytes) */
  usedJSHeapSize?: number | null;
  /** In bytes. */
  totalJSHeapSize?: number | null;
  /** In bytes. */
  jsHeapSizeLimit?: number | null;
  /** performance.measureUserAgentSpecificMemory().bytes (bytes) */
  userAgentBytes?: number | null;
  /** WebAssembly.Memory buffer sizes (bytes) */
  wasmHeapBytes?: number | null;
  /** Sum of live GPUBuffer sizes (createBuffer/destroy tracking) (bytes) */
  gpuBufferBytes?: number | null;
  /** navigator.storage.estimate() (bytes) */
  storageUsage?: number | null;
  /** In bytes. */
  storageQuota?: number | null;
}

/** `device.lost` resolved. */
export interface DeviceLostEvent {
  /** In epoch ms. Required. */
  timestamp: number;
  reason?: string | null;
  message?: string | null;
  /** The model whose device was lost; default: the last loaded model. */
  model?: string | null;
}

// ---- The values of events.js, for the package's own type check (not API: core.d.ts re-exports
// only the event types above).

/** What the encoders call on the batch's writer (js/core/encoder.js's BatchEncoder). The methods that
 * write a field return the bit it adds to the presence mask (0 when it is absent). */
export interface EventWriter {
  readonly view: Float64Array;
  isEvent(e: unknown, name: string): boolean;
  listLength(values: unknown, field: string, limit: number): number;
  begin(kind: number, nfields: number, extra: number): number;
  end(mask: number): void;
  name(s: string, field: string, expected?: string): number;
  notNumber(v: unknown, field: string): void;
  notString(v: unknown, field: string, expected?: string): void;
  notBool(v: unknown, field: string): void;
  text(i: number, v: unknown, field: string): number;
  fromCache(i: number, v: unknown, field: string): number;
  success(i: number, e: any, field: string): number;
  errorFields(nameIndex: number, messageIndex: number, e: any, prefix: string): number;
  numbers(o: number, i: number, nfields: number, values: any, n: number, field: string): number;
}

export declare const HEADER: 3;
export declare const KIND: Readonly<{ generation: 1; load: 2; cache: 3; operation: 4; memory: 5; deviceLost: 6; durations: 7; rejected: 8 }>;
export declare const FIELD_COUNT: Readonly<{ generation: 20; load: 7; cache: 3; operation: 6; memory: 10; deviceLost: 4; durations: 4; rejected: 2 }>;
export declare const MAX_LIST: Readonly<{ generation: 1048576; durations: 4194304 }>;
export declare function encodeGeneration(w: EventWriter, ev: unknown): void;
export declare function encodeModelLoad(w: EventWriter, ev: unknown): void;
export declare function encodeCacheLookup(w: EventWriter, ev: unknown): void;
export declare function encodeOperation(w: EventWriter, ev: unknown): void;
export declare function encodeMemorySample(w: EventWriter, ev: unknown): void;
export declare function encodeDeviceLost(w: EventWriter, ev: unknown): void;

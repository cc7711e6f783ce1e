// Internal declarations for js/wrapper.js: the WebLLM engine wrapper and its contract with the
// monitor (js/monitor.js supplies the hooks). Not part of the package's public entry points.

import type { GenerationEvent, ModelLoadEvent } from './core.js';

/** What the wrapper reports to; every call is guarded (an exception goes to `fault`). */
export interface WrapperHooks {
  /** Epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds (performance.now). */
  clock(): number;
  /** The type tag of a call, given the caller's own request (with its `monitorType`). Called
   * synchronously when the call is made. */
  typeFor(request: unknown): string;
  /** One chat / completion / embedding call, exactly once: ok, aborted (interruptGenerate(), or
   * the caller stopped iterating early) or failed (errorName; errorMessage only with
   * `errorMessages`). `chunkGapsMs` is a Float64Array view owned by the event (gaps between chunks
   * that carry text); engine* fields come from usage, without NaN, Infinity or WebLLM's 0
   * placeholders. Never any text: promptChars and responseChars are lengths. */
  recordGeneration(event: GenerationEvent & { type?: string; chunkGapsMs?: Float64Array }): void;
  /** One reload() (model = the ids joined with "+") or the first load of createEngine(). A reload
   * interrupted by unload() or another reload() is recorded with errorName "AbortError". Load
   * errors keep their message (cut to MAX_MESSAGE_CHARS). */
  recordModelLoad(event: ModelLoadEvent): void;
  loadStarted?(e: { model: string }): void;
  loadProgress?(e: { model: string; progress: number; timeElapsed: number; text: string }): void;
  loadFinished?(e: { model: string; ok: boolean; error?: unknown }): void;
  /** reload() or unload() is about to unload what the engine has loaded (MLCEngine then destroys
   * its GPU device: that loss is expected). */
  unloading?(): void;
  /** `model` undefined: everything was unloaded (or nothing is loaded any more). */
  unloaded?(e: { model: string | undefined }): void;
  generationStarted?(e: { model: string; type: string | undefined; operation: 'chat' | 'completion' | 'embedding' }): void;
  generationFinished?(e: { model: string; type: string | undefined; operation: 'chat' | 'completion' | 'embedding'; ok: boolean }): void;
  /** Record the messages of failed generations (cut to MAX_MESSAGE_CHARS). Read at each failure;
   * default: the name only, since a message may quote the prompt or the reply. */
  errorMessages?: boolean;
  /** Asked (for each id, concurrently with the load) when given and the app gave an app config
   * (createEngine's engineConfig, setAppConfig, or the one an MLCEngine keeps); its answer counts
   * only when the progress texts say nothing of the cache. */
  hasModelInCache?: (modelId: string, appConfig?: unknown) => Promise<boolean>;
  /** A stream the caller does not touch for this long after create() resolved is recorded as
   * abandoned (default ABANDON_AFTER_MS, 60 s). */
  abandonAfterMs?: number;
  /** A failure of the monitoring itself; never thrown into the app. */
  fault(where: string, error: unknown): void;
}

/** What a WebLLM progress text says. MB are MiB (WebLLM: ceil(bytes / 1024 / 1024)). */
export type ProgressInfo =
  | { phase: 'start' }
  | {
      phase: 'fetch' | 'load';
      /** Shards done so far (i of "[i/N]"). */
      index: number;
      total: number;
      megabytes: number;
      /** megabytes * 1048576. For "fetch", WebLLM's count, which includes the shards that were
       * cached already when only some were missing: an upper bound of the bytes downloaded. */
      bytes: number;
      percent: number;
      secondsElapsed: number;
    }
  | { phase: 'shaders'; index: number; total: number; percent: number; secondsElapsed: number }
  | { phase: 'done'; /** "WebGPU - <adapter>" */ device: string; adapter: string }
  | { phase: 'unknown' };

/** Error messages are cut to this many characters, then "…". */
export const MAX_MESSAGE_CHARS: number;
/** A never-iterated stream is recorded as abandoned after this many milliseconds (60 000). */
export const ABANDON_AFTER_MS: number;
/** Name and message of an error, a worker's "Name: message" string, or anything thrown. A name is
 * an identifier of at most 128 characters, else "Error". */
export function classifyError(err: unknown): { name: string; message: string };
export function parseProgressText(text: string): ProgressInfo;
export function wrapEngine<T extends object>(engine: T, hooks: WrapperHooks): T;
export function unwrapEngine<T extends object>(engine: T): T;
export function createEngine<T extends object, C extends object, O>(
  factory: (modelId: string | string[], engineConfig?: C, chatOpts?: O) => Promise<T>,
  modelId: string | string[],
  engineConfig: C | undefined,
  chatOpts: O | undefined,
  hooks: WrapperHooks,
): Promise<T>;

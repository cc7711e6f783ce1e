// The Emscripten glue that the wasm build (scripts/build.sh) writes beside this file, as
// js/core/loader.js uses it, and the Embind bridge of wasm/bindings.cpp. Written by hand and
// tracked (.gitignore keeps the rest of dist/ out): TypeScript reads this instead of
// type-checking the generated glue (tsconfig.checkjs.json), finds it before the package is built,
// and checks every call of js/core.js and js/core/ against the bridge's convention.

/** The options js/core/loader.js passes: the wasm bytes (Node), or where to fetch it (browsers). */
export interface CoreModuleOptions {
  wasmBinary?: Uint8Array;
  locateFile?: (path: string, prefix: string) => string;
}

/**
 * What a bridge call that can fail returns when it failed (wasm/bindings.cpp `failure`); it
 * returns its value otherwise. js/core/errors.js's unwrap throws it as a CoreError.
 */
export interface CoreFailure {
  field: string;
  message: string;
  /** mergeAll of several documents: the 1-based document; compareExports: "baseline", "current" or null. */
  document?: number | string | null;
  /** ingest of a malformed batch: the records before it that were ingested. */
  accepted?: number;
}

/** A record the last ingest() refused, counted from the batch's first. */
export interface CoreRejection {
  record: number;
  field: string;
  message: string;
}

/** One monitor in wasm memory (Embind class Core of wasm/bindings.cpp). */
export interface Core {
  configure(configJson: string): undefined | CoreFailure;
  config(): string;
  batchPointer(): number;
  batchCapacity(): number;
  reserveBatch(doubles: number): void;
  /** The number of refused records (rejections() details them), or a malformed batch's failure. */
  ingest(records: number, size: number, strings: string[]): number | CoreFailure;
  rejections(): CoreRejection[];
  recordWebGpu(infoJson: string): undefined | CoreFailure;
  metrics(now: number): string;
  /** [key, text, ...]: the metrics' members in key order; null: the same text as in the previous call (unless `all`). */
  metricsSections(now: number, all: boolean): (string | null)[];
  status(now: number): string;
  changes(): number;
  windowStep(now: number): number;
  exportJson(now: number): string;
  report(now: number): string;
  generations(): string;
  memorySnapshots(): string;
  importJson(text: string): undefined | CoreFailure;
  mergeJson(text: string): undefined | CoreFailure;
  mergeAll(texts: string[]): undefined | CoreFailure;
  reset(now: number): void;
  /** NaN when the series has no data. */
  quantile(path: string, q: number): number | CoreFailure;
  /** null when the handle table is full. */
  seriesHandle(path: string): number | null | CoreFailure;
  histogram(path: string, maxBins: number): string | CoreFailure;
  otlp(optionsJson: string, now: number): string | CoreFailure;
  address(): number;
  memoryBytes(): number;
  delete(): void;
}

/** The Emscripten module: the Embind bridge, its constants and the wasm heap. */
export interface CoreModule {
  Core: new () => Core;
  reportFromExport(text: string): string | CoreFailure;
  compareExports(baseline: string, current: string, options: string): string | CoreFailure;
  regressionDefaults(): string;
  /** Quantile q of a series by handle (Core.seriesHandle): a raw wasm export. */
  _wlm_quantile(core: number, handle: number, q: number): number;
  schemaVersion: number;
  maxNameBytes: number;
  maxMessageBytes: number;
  maxDocumentBytes: number;
  maxMergeBytes: number;
  maxJsonDepth: number;
  maxSeriesPathBytes: number;
  HEAPF64: Float64Array;
}

/** Instantiates the wasm core. */
export default function createCoreModule(options?: CoreModuleOptions): Promise<CoreModule>;

// Hand-written declarations for js/core.js: the low-level layer over the WebAssembly core.
// Durations are milliseconds, timestamps epoch milliseconds, sizes bytes, rates fractions 0..1.

// ---------------------------------------------------------------------------------------------
// Events (what the record* methods take): generated from schema/description.mjs, with the
// encoders that write them into the batch.

import type {
  CacheLookupEvent, DeviceLostEvent, ErrorLike, GenerationEvent, MemorySampleEvent, ModelLoadEvent, OperationEvent,
} from './generated/events.js';
import type { FinishReason, OperationName } from './generated/metrics.js';

export type {
  CacheLookupEvent, DeviceLostEvent, ErrorLike, FinishReason, GenerationEvent, MemorySampleEvent, ModelLoadEvent,
  OperationEvent, OperationName,
};

/** WebGPU adapter information (adapter.info, adapter.limits, adapter.features). */
export interface WebGpuInfo {
  timestamp: number;
  /** Whether WebGPU (an adapter) is available. */
  available: boolean;
  vendor?: string | null;
  architecture?: string | null;
  device?: string | null;
  description?: string | null;
  isFallbackAdapter?: boolean | null;
  /** A plain object of numbers, or a GPUSupportedLimits. */
  limits?: Record<string, number> | object | null;
  /** An array of strings, or a GPUSupportedFeatures (any iterable of strings). */
  features?: string[] | Iterable<string> | null;
}

export interface RecordDurationsOptions {
  /** Default true. */
  success?: boolean;
  /** Default Date.now(). */
  startedAt?: number;
}

/** A series' histogram as bars (MonitorCore#histogram, Monitor#getHistogram). */
export interface Histogram {
  /** The values the bars hold (the series' count). */
  count: number;
  /** In ascending order; the zero bucket, when it holds values, is a bar with lo = hi = 0. */
  bins: { lo: number; hi: number; count: number }[];
}

/** An event the core (or the JS encoder) refused. */
export interface Rejection {
  /** Index of the event among those recorded since the previous explicit flush(). */
  record: number;
  /** The offending field, e.g. "generation.durationMs". */
  field: string;
  /** A sentence naming the field and the value. */
  message: string;
}

export interface FlushResult {
  accepted: number;
  rejected: Rejection[];
}

// ---------------------------------------------------------------------------------------------
// Configuration

export interface Threshold {
  /** null disables the level. */
  warning?: number | null;
  critical?: number | null;
}

export interface Price {
  /** Per 1,000 prompt tokens. */
  input: number;
  /** Per 1,000 completion tokens. */
  output: number;
}

export type ThresholdName =
  | 'ttftP95Ms'
  | 'latencyP95Ms'
  | 'errorRate'
  | 'decodeTokensPerSecP50'
  | 'jsHeapFraction';

/** A partial configuration: keys not given keep their value. */
export interface MonitorConfig {
  /** Generations and memory samples kept in the history (1..100000, default 1000). */
  historySize?: number;
  /** Default "USD". */
  currency?: string;
  /** By model id; "*" applies to models not listed. Replaces the whole price table. */
  prices?: Record<string, Price>;
  thresholds?: Partial<Record<ThresholdName, Threshold>>;
}

/** The configuration in force, as {@link MonitorCore.config} returns it. */
export interface ResolvedConfig {
  historySize: number;
  currency: string;
  prices: Record<string, Price>;
  thresholds: Record<ThresholdName, { warning: number | null; critical: number | null }>;
}

// ---------------------------------------------------------------------------------------------
// Metrics, status and the export document: generated from schema/description.mjs
// (js/generated/metrics.d.ts; schema/export.schema.json is the exact contract).

export type {
  DeviceLostEntry,
  ErrorEntry,
  ExportDocument,
  GenerationMetrics,
  GenerationRecord,
  HealthLevel,
  HealthReason,
  HitMissMetrics,
  MemorySnapshot,
  Metrics,
  SchemaVersion,
  Stats,
  Status,
  WindowMetrics,
} from './generated/metrics.js';
import type { ExportDocument, GenerationRecord, MemorySnapshot, Metrics, Status } from './generated/metrics.js';

/**
 * The error thrown for a failure the core reports (an invalid configuration, export document or
 * option): `field` names the JSON path or field, and the message starts with it.
 */
export class CoreError extends Error {
  constructor(message: string, field: string, document?: number | string);
  readonly name: 'CoreError';
  /** The JSON path ("$.sketches.total") or field ("config.historySize") the failure names. */
  readonly field: string;
  /** The same as `field`. */
  readonly path: string;
  /** mergeAll: the 1-based document; compareExports: "baseline" or "current". */
  readonly document?: number | string;
}

// ---------------------------------------------------------------------------------------------
// API

/**
 * Loads the Emscripten module of the core, once; later calls share it. In Node the wasm bytes
 * are read with fs; in browsers and workers the wasm is fetched from
 * `new URL('../dist/webllm-monitor-core.wasm', import.meta.url)`.
 */
export function loadCore(): Promise<any>;

/**
 * One monitor in the core. Recording never throws for bad event data: invalid events are refused,
 * counted in `metrics().rejected` and reported by flush(). Events are buffered in wasm memory and
 * ingested when the buffer fills, before every read, and on flush().
 */
export class MonitorCore {
  private constructor();
  /** Creates a monitor on the shared module; throws (CoreError) on an invalid configuration. */
  static create(config?: MonitorConfig): Promise<MonitorCore>;

  /**
   * Compares two exports for regressions: a change is one when it is beyond its threshold in the
   * bad direction AND its one-sided test (Mann-Whitney U, two-proportion z) has p < alpha after
   * Holm's adjustment. Throws a CoreError whose `field` (and `path`) names the JSON path or option
   * and whose `document` is "baseline" or "current" for a document's error.
   */
  static compareExports(baseline: string | ExportDocument, current: string | ExportDocument,
                        options?: RegressionOptions): Promise<RegressionResult>;
  /** The defaults of compareExports' options. */
  static regressionDefaults(): Promise<RegressionDefaults>;

  /** True once dispose() has run. */
  readonly disposed: boolean;
  /** Rejections since the last explicit flush() (what the next flush() returns); the newest 1000. */
  readonly lastRejections: Rejection[];

  /** Applies a partial configuration; throws a CoreError naming the field; nothing changes then. */
  configure(config: MonitorConfig): void;
  /** The configuration in force. */
  config(): ResolvedConfig;

  recordGeneration(e: GenerationEvent): void;
  recordModelLoad(e: ModelLoadEvent): void;
  recordCacheLookup(e: CacheLookupEvent): void;
  recordOperation(e: OperationEvent): void;
  recordMemorySample(e: MemorySampleEvent): void;
  recordDeviceLost(e: DeviceLostEvent): void;
  /** Many durations of one operation in one record. */
  recordDurations(name: string, values: number[] | Float64Array, options?: RecordDurationsOptions): void;
  recordWebGpu(info: WebGpuInfo): void;

  /** Ingests the pending batch; returns the outcome of the events since the previous flush(). */
  flush(): FlushResult;

  /** `now` (epoch ms, default Date.now()) is where the sliding windows end. */
  metrics(now?: number): Metrics;
  /**
   * metrics() with every top-level section deep-frozen and, where its content did not change
   * since the previous call, the previous call's object. The returned object is not frozen.
   */
  sharedMetrics(now?: number): Metrics;
  /** While it stays the same, so do metrics() (but the windows' `spanMs`) and status(). */
  metricsKey(now?: number): string;
  /** Costs no metrics build when metrics() was built since the last change, in the same window step. */
  status(now?: number): Status;
  /** The export document as JSON text. */
  exportJson(now?: number): string;
  /** Plain-text tables. */
  report(now?: number): string;
  /** The generation history (the newest `historySize`), oldest first. */
  generations(): GenerationRecord[];
  /** The memory sample history (the newest `historySize`), oldest first. */
  memorySnapshots(): MemorySnapshot[];
  /** Replaces all data with an export's; throws a CoreError naming the JSON path, state unchanged. */
  importJson(text: string | ExportDocument): void;
  /** Adds an export's data; throws a CoreError naming the JSON path, state unchanged. */
  mergeJson(text: string | ExportDocument): void;
  /** Merges several exports, all or nothing; the error names the document and the JSON path. */
  mergeAll(texts: (string | ExportDocument)[]): void;
  /** Forgets every event (the configuration stays); `now` starts the new aggregation (OTLP start time). */
  reset(now?: number): void;
  /**
   * One quantile of one series from its sketch, without building the metrics; `path` as in the
   * metrics ("generations.ttftMs", "generations.byModel.<model>.latencyMs",
   * "operations.<name>.durationMs", "initialization.loadMs"). null without data.
   */
  quantile(path: string, q: number): number | null;
  /**
   * One series' histogram as chart bars, computed by the core (2^k neighbouring buckets merged,
   * never re-estimated): at most `maxBins` (2 to 1000, default 40), edges in the series' unit.
   */
  histogram(path: string, maxBins?: number): Histogram;
  /** The session as an OTLP/JSON ExportMetricsServiceRequest (JSON text); `now` is the points' time. */
  otlpJson(options?: OtlpRequestOptions, now?: number): string;
  /** Bytes of wasm memory held by this monitor (data structures and batch buffer). */
  memoryBytes(): number;
  /** Frees the monitor; later calls throw. Idempotent. */
  dispose(): void;
}

/** Options of MonitorCore.compareExports; null or absent keys take the defaults. */
export interface RegressionOptions {
  /** Significance level of the one-sided tests, in (0, 1); default 0.01. */
  alpha?: number | null;
  /** Relative change of a percentile that can count as a regression (fraction); default 0.1. */
  threshold?: number | null;
  /**
   * Thresholds by metric path, looked up as the full path, then without "generations.", then
   * without "generations.byType.<type>." ("ttftMs.p95", "generations.errorRate", "cache.hitRate",
   * "initialization.loadMs.p50"); errorRate and hitRate default to 0.05 absolute.
   */
  thresholds?: Record<string, number> | null;
  /** Fewer values on a side: not tested, never a regression; default 10. */
  minCount?: number | null;
  /** Findings per request type when an export has several; default true. */
  byType?: boolean | null;
  /** "holm" (default): p-values adjusted over the tests of the comparison; "none": raw. */
  correction?: 'holm' | 'none' | null;
}

/** The defaults of RegressionOptions (errorRate and hitRate: the rates' absolute thresholds). */
export interface RegressionDefaults {
  alpha: number;
  threshold: number;
  errorRate: number;
  hitRate: number;
  minCount: number;
}

export type RegressionVerdict =
  | 'noData' | 'notEnoughData' | 'noChange' | 'improvement' | 'withinThreshold' | 'notSignificant' | 'regression';

/** One compared metric. */
export interface RegressionFinding {
  /** "generations.ttftMs.p95", "generations.byType.chat.errorRate", "cache.hitRate", "initialization.loadMs.p50". */
  metric: string;
  /** "p50", "p95", "p99" (p99 when both sides hold 100 values); null for rates. */
  quantile: string | null;
  unit: 'ms' | 'tokens/s' | 'rate';
  worse: 'higher' | 'lower';
  /** True: the threshold is a relative change (percentiles); false: absolute (rates). */
  relative: boolean;
  baseline: number | null;
  current: number | null;
  relativeChange: number | null;
  absoluteChange: number | null;
  threshold: number;
  /** Values on each side (for chunk gaps, at most the generations: the independent units). */
  counts: [number, number];
  /** Both sides hold at least minCount values: tested. */
  enough: boolean;
  /** "exact", "histogram scale N", "two-proportion z-test"; null when not tested. */
  basis: string | null;
  /** Holm-adjusted (or raw, with correction "none") p-value; null when not tested. */
  pValue: number | null;
  rawPValue: number | null;
  verdict: RegressionVerdict;
  regression: boolean;
}

export interface RegressionResult {
  findings: RegressionFinding[];
  regressions: number;
  /** Tests run: one per series or rate, shared by its percentiles. */
  tests: number;
  alpha: number;
  correction: 'holm' | 'none';
}

/** The text report of an export document; throws (CoreError) when the text is not JSON. */
export function reportFromExport(text: string | ExportDocument): Promise<string>;

/** Version of the export document this build writes and reads. */
export const schemaVersion: 2;

/** The largest document importJson() and mergeJson() read: 134,217,728 bytes (128 MiB). */
export const MAX_DOCUMENT_BYTES: number;
/** The most document text one mergeAll() call takes: 268,435,456 bytes (256 MiB). */
export const MAX_MERGE_BYTES: number;
/** The most values one recordDurations() call takes: 4,194,304. */
export const MAX_DURATIONS: number;

/** Options of MonitorCore#otlpJson. */
export interface OtlpRequestOptions {
  /** Resource attributes: service.name and friends. */
  resource?: Record<string, string | number | boolean>;
  /** The instrumentation scope's version. */
  scopeVersion?: string;
}

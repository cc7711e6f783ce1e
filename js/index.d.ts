// Declarations of the package root, 'webllm-monitor'. Hand-written but for the metrics types
// (js/generated/metrics.d.ts, generated from schema/description.mjs, which js/core.d.ts
// re-exports); checked by tests/types/.
/// <reference path="./webllm.d.ts" />
/// <reference path="./webllm-fallback.d.ts" />
import type { ChatOptions, MLCEngineConfig } from '@mlc-ai/web-llm';
import type { CacheLookupEvent, GenerationEvent, Histogram, ModelLoadEvent, MonitorConfig, OperationEvent } from './core.js';
import type { ExportDocument, GenerationRecord, MemorySnapshot, Metrics, Status } from './generated/metrics.js';

export * from './core.js';

/** Options of createMonitor. Every option is optional; unknown options are refused. */
export interface MonitorOptions extends MonitorConfig {
  /** Structured log entries at every level (default: warn and error only). */
  debug?: boolean;
  /** Save the export periodically and on pagehide, and restore it on the next createMonitor. */
  persist?: false | 'localStorage' | 'indexedDB';
  /** Storage key (default 'webllm-monitor'). */
  persistKey?: string;
  /** How often to save, in ms (default 30000). */
  persistIntervalMs?: number;
  /** Memory sampling period in ms (default 5000; 0 turns periodic sampling off). */
  sampleIntervalMs?: number;
  /** Sample memory (default true). */
  memory?: boolean;
  /** Record WebGPU adapter information and device losses (default true where navigator.gpu exists). */
  webgpu?: boolean;
  /** Estimate GPU memory by tracking GPUBuffer creation and destruction in this realm (default false). */
  gpuBuffers?: boolean;
  /** Type tag of calls that have none (default 'default'). */
  defaultType?: string;
  /** WebLLM's hasModelInCache, to tell loads from cache before they start: called with each model
   * id and the engine config's appConfig (as given, or undefined). */
  hasModelInCache?(modelId: string, appConfig?: unknown): Promise<boolean>;
  /** Minimum ms between subscriber notifications (default 250). */
  throttleMs?: number;
  /** Refused manual events throw a TypeError instead of returning { ok: false }. */
  strict?: boolean;
  /** Keep the messages of failed generations (cut to 500 characters) and track() calls (cut to
   * 2 KiB). Default false: only the error's name, because a message may quote the prompt or the
   * reply. Load errors keep their messages either way; manual events keep what they are given. */
  errorMessages?: boolean;
  /** Where log entries and printMetrics() go (default: console). */
  logger?: Pick<Console, 'debug' | 'info' | 'warn' | 'error' | 'log'> & Partial<Pick<Console, 'table'>>;
  /** Periodic OTLP/HTTP JSON pushes to `{endpoint}/v1/metrics`, and a last one on pagehide. */
  otlp?: OtlpOptions;
}

export interface OtlpOptions {
  /** The receiver's base URL, e.g. "http://localhost:4318" (an OpenTelemetry Collector). */
  endpoint: string;
  /** HTTP headers (e.g. an API key). With headers, the pagehide push is a keepalive fetch, not a beacon. */
  headers?: Record<string, string>;
  /** Push interval in ms (default 60000, at least 1000). */
  intervalMs?: number;
  /** Resource attributes over the defaults (service.name "unknown_service", a service.instance.id, telemetry.sdk.*). */
  resource?: Record<string, string | number | boolean>;
  /** Tries per push on 429/502/503/504 and network errors (default 5). */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled per retry, with jitter (default 1000). */
  backoffMs?: number;
  /** Per-attempt timeout in ms (default 10000). */
  timeoutMs?: number;
  /** Use navigator.sendBeacon on pagehide (default true). */
  beacon?: boolean;
}

/** The outcome of one OTLP push (with its retries). */
export interface OtlpPushResult {
  ok: boolean;
  /** The last HTTP status, or null after a network error. */
  status: number | null;
  attempts: number;
  error?: string;
  durationMs: number;
  bytes: number;
  via: 'fetch' | 'beacon';
}

/** Outcome of a manual record call. */
export type RecordResult = { ok: true } | { ok: false; field: string; message: string };

/** A generation recorded by hand: startedAt defaults to now - durationMs, type to the default. */
export type ManualGenerationEvent = Omit<GenerationEvent, 'startedAt'> & { startedAt?: number };
export type ManualModelLoadEvent = Omit<ModelLoadEvent, 'startedAt'> & { startedAt?: number };
export type ManualCacheLookupEvent = Omit<CacheLookupEvent, 'timestamp'> & { timestamp?: number };
export type ManualOperationEvent = Omit<OperationEvent, 'startedAt'> & { startedAt?: number };

export interface LoadingStatus {
  model: string;
  /** 0..1 as WebLLM reports it (restarts at 0 for the loading-from-cache phase). */
  progress: number;
  /** Seconds since the load started, as WebLLM reports it. */
  timeElapsed: number;
  text: string;
}

export interface MonitorStatus extends Status {
  /** A model is loaded and no load is running. */
  ready: boolean;
  loading: LoadingStatus | null;
  loadedModels: string[];
  debug: boolean;
  persist: false | 'localStorage' | 'indexedDB';
  /** Failures of the monitoring itself (the app was not affected). */
  faults: number;
  /** OTLP pushes so far, when the otlp option is set. */
  otlp: { endpoint: string; pushes: number; failures: number; last: (OtlpPushResult & { at: number }) | null } | null;
}

/**
 * What getMetrics() returns: the export's `metrics`, deep-frozen, the same object until something
 * changes (an event, an import, a reset, the sliding windows' next 10 s step). A top-level section
 * (`generations`, `errors`, `windows`, ...) whose content did not change is the previous
 * snapshot's object, so that comparing identities tells which parts changed.
 */
export interface MetricsSnapshot extends Metrics {
  /** Grows with each new snapshot. Not enumerable: the snapshot's JSON is the export's `metrics`. */
  readonly seq: number;
}

export interface MonitorSnapshot {
  metrics: MetricsSnapshot;
  status: MonitorStatus;
}

/** The commands installConsole() puts on globalThis. */
export interface ConsoleCommands {
  monitor: Monitor;
  help(): string;
  printMetrics(): string;
  getMetrics(): MetricsSnapshot;
  getStatus(): MonitorStatus;
  getAllGenerations(): GenerationRecord[];
  getMemorySnapshots(): MemorySnapshot[];
  exportMetrics(): string;
  exportCSV(): string;
  downloadMetrics(filename?: string): string | null;
  downloadCSV(filename?: string): string | null;
  importMetrics(json: string | ExportDocument): void;
  mergeMetrics(...jsons: (string | ExportDocument)[]): void;
  resetMetrics(): void;
}

export interface LogEntry {
  timestamp: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  service: string;
  message: string;
  [field: string]: unknown;
}

export declare class Monitor {
  private constructor();
  /** Wraps a WebLLM engine; the returned engine behaves exactly like it and every call is measured. */
  wrap<E extends object>(engine: E): E;
  /** Creates an engine with the app's factory and wraps it, measuring the first load too. The
   * config types are the factory's (CreateMLCEngine's, CreateSimulatedMLCEngine's...); a factory
   * whose parameters are not annotated, such as `(id, cfg, opts) => CreateWebWorkerMLCEngine(worker,
   * id, cfg, opts)`, gets WebLLM's MLCEngineConfig and ChatOptions (unknown without
   * @mlc-ai/web-llm installed). */
  createEngine<E extends object, C = MLCEngineConfig, O = ChatOptions | ChatOptions[]>(
    factory: (modelId: string | string[], engineConfig?: C, chatOpts?: O) => Promise<E>,
    modelId: string | string[],
    engineConfig?: NoInfer<C>,
    chatOpts?: NoInfer<O>,
  ): Promise<E>;
  /** Tags the engine calls `fn` makes synchronously (before its first await) with `type`. */
  withType<T>(type: string, fn: () => T): T;

  recordGeneration(event: ManualGenerationEvent): RecordResult;
  recordModelLoad(event: ManualModelLoadEvent): RecordResult;
  recordCacheLookup(event: ManualCacheLookupEvent): RecordResult;
  recordOperation(event: ManualOperationEvent): RecordResult;
  /** Times `fn` as operation `name`; returns its result or rethrows its error unchanged. */
  track<T>(name: string, fn: () => T): T;
  /** Takes a labelled memory sample now. */
  snapshotMemory(label: string): Promise<void>;

  getStatus(): MonitorStatus;
  /** One series' histogram as chart bars, from the core ("generations.latencyMs", "operations.<name>.durationMs"...). */
  getHistogram(path: string, options?: { maxBins?: number }): Histogram;
  getMetrics(): MetricsSnapshot;
  getAllGenerations(): GenerationRecord[];
  getMemorySnapshots(): MemorySnapshot[];
  /** The export document as JSON text. */
  exportMetrics(): string;
  /** Replaces this monitor's data; throws an Error with `path` naming the JSON path; nothing changes then. */
  importMetrics(json: string | ExportDocument): void;
  /** Adds exports to this monitor's data, all or nothing. */
  mergeMetrics(...jsons: (string | ExportDocument)[]): void;
  /** One row per generation in the history, with a header. */
  exportCSV(): string;
  /** console.table of the main series plus the text report; returns the report. */
  printMetrics(): string;
  /** Downloads the export as JSON (browsers); the file name, or null without a DOM. */
  downloadMetrics(filename?: string): string | null;
  /** Downloads the generations as CSV (browsers); the file name, or null without a DOM. */
  downloadCSV(filename?: string): string | null;
  resetMetrics(): void;
  /** The session as an OTLP/JSON ExportMetricsServiceRequest object; `resource` over the configured attributes. */
  toOTLP(options?: { resource?: Record<string, string | number | boolean> }): object;
  /** Pushes to the configured OTLP endpoint now; never rejects. Throws without the otlp option. */
  pushOTLP(): Promise<OtlpPushResult>;
  /** Throttled notifications after changes, and one right away; returns the unsubscribe function. */
  subscribe(listener: (snapshot: MonitorSnapshot) => void): () => void;
  /** Puts the console commands on globalThis[name]; returns a function that removes them. */
  installConsole(name?: string): () => void;
  /** Stops samplers and timers, saves a last time when persisting, frees the wasm memory. */
  dispose(): Promise<void>;
  readonly disposed: boolean;
  /** The last 100 log entries written. */
  readonly logEntries: LogEntry[];
}

/** Creates a monitor; the WebAssembly core is loaded once per page and shared. */
export function createMonitor(options?: MonitorOptions): Promise<Monitor>;

/** The CSV columns of exportCSV(), in order. */
export const CSV_COLUMNS: readonly string[];

/** Name and message of an error as WebLLM reports it (worker engines' "Name: message" strings too). */
export function classifyError(err: unknown): { name: string; message: string };

/**
 * Tracks GPUBuffer creation and destruction in a realm (call it inside the worker of a worker
 * engine) to estimate GPU memory held; idempotent per realm. null where the realm has no WebGPU.
 * `onDevice` is called for every device that creates a buffer (to watch its `lost` promise).
 */
export function installGpuBufferTracking(
  scope?: typeof globalThis,
  options?: { onDevice?: (device: unknown) => void },
): {
  bytes(): number;
  buffers(): number;
  uninstall(): void;
} | null;

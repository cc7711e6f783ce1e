// Generated from schema/description.mjs by scripts/generate.mjs (npm run generate): do not edit.
// The metrics, status and export document types; schema/export.schema.json is the exact contract.
// Durations are milliseconds, timestamps epoch milliseconds, sizes bytes, rates fractions 0..1.

/** Version of the export document this build writes and reads. */
export type SchemaVersion = 2;

export type OperationName = 'chat' | 'completion' | 'embedding';

export type FinishReason = 'stop' | 'length' | 'abort' | 'tool_calls' | 'error';

export type HealthLevel = 'healthy' | 'warning' | 'critical';

/** Summary of a series: nearest-rank quantiles, exact up to 256 values, then within 0.27%. Nulls when count is 0. */
export interface Stats {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
}

export interface GenerationMetrics {
  total: number;
  succeeded: number;
  failed: number;
  aborted: number;
  successRate: number | null;
  errorRate: number | null;
  abortRate: number | null;
  finishReasons: Record<FinishReason, number>;
  tokens: {
    prompt: number;
    completion: number;
    total: number;
  };
  /** Latency (ms); higher is worse. */
  latencyMs: Stats;
  /** TTFT (ms); higher is worse. */
  ttftMs: Stats;
  /** Decode speed (tokens/s); lower is worse. */
  decodeTokensPerSec: Stats;
  /** Prefill speed (tokens/s); lower is worse. */
  prefillTokensPerSec: Stats;
  /** Time per output token (ms); higher is worse. */
  timePerOutputTokenMs: Stats;
  /** Chunk gap (ms); higher is worse. */
  chunkGapMs: Stats;
  throughput: {
    tokensPerSec: number | null;
    tokensPerDecodeSec: number | null;
    requestsPerSec: number | null;
    wallTimeMs: number;
    decodeTimeMs: number;
  };
}

export interface HitMissMetrics {
  hits: number;
  misses: number;
  lookups: number;
  hitRate: number | null;
}

export interface ErrorEntry {
  time: number;
  name: string;
  message: string;
  model: string;
  operation: string;
}

export interface MemorySnapshot {
  label: string;
  timestamp: number | null;
  /** Bytes. */
  usedJSHeapSize: number | null;
  /** Bytes. */
  totalJSHeapSize: number | null;
  /** Bytes. */
  jsHeapSizeLimit: number | null;
  /** Bytes. */
  userAgentBytes: number | null;
  /** Bytes. */
  wasmHeapBytes: number | null;
  /** Bytes. */
  gpuBufferBytes: number | null;
  /** Bytes. */
  storageUsage: number | null;
  /** Bytes. */
  storageQuota: number | null;
}

export interface DeviceLostEntry {
  timestamp: number;
  reason: string;
  message: string;
  model: string;
}

export interface HealthReason {
  metric: 'generations.ttftMs.p95' | 'generations.latencyMs.p95' | 'generations.errorRate' | 'generations.decodeTokensPerSec.p50' | 'memory.jsHeapFraction';
  level: 'warning' | 'critical';
  value: number;
  threshold: number;
  message: string;
}

export interface WindowMetrics {
  spanMs: number;
  generations: GenerationMetrics;
  errors: {
    total: number;
  };
  cache: HitMissMetrics;
}

export interface Metrics {
  generations: GenerationMetrics & {
    byType: Record<string, GenerationMetrics>;
    byModel: Record<string, GenerationMetrics>;
    byOperation: Partial<Record<OperationName, GenerationMetrics>>;
  };
  initialization: {
    loads: number;
    succeeded: number;
    failed: number;
    fromCache: number;
    downloaded: number;
    unknownCache: number;
    bytesFetched: number;
    lastModel: string | null;
    lastDurationMs: number | null;
    lastFromCache: boolean | null;
    lastBytesFetched: number | null;
    lastSucceeded: boolean | null;
    lastLoadedAt: number | null;
    /** Model load (ms); higher is worse. */
    loadMs: Stats;
  };
  cache: HitMissMetrics & {
    byName: Record<string, HitMissMetrics>;
  };
  errors: {
    total: number;
    byName: Record<string, number>;
    recent: ErrorEntry[];
  };
  memory: {
    samples: number;
    latest: MemorySnapshot | null;
    peak: MemorySnapshot | null;
  };
  webgpu: {
    available: boolean | null;
    adapter: {
      vendor: string;
      architecture: string;
      device: string;
      description: string;
      isFallbackAdapter: boolean;
    } | null;
    limits: Record<string, number>;
    features: string[];
    deviceLost: {
      total: number;
      recent: DeviceLostEntry[];
    };
  };
  operations: Record<string, {
    count: number;
    succeeded: number;
    failed: number;
    successRate: number | null;
    /** Duration (ms); higher is worse. */
    durationMs: Stats;
  }>;
  cost: {
    currency: string;
    input: number;
    output: number;
    total: number;
    byModel: Record<string, {
      input: number;
      output: number;
      total: number;
    }>;
  };
  rejected: {
    total: number;
    byField: Record<string, number>;
    recent: {
      field: string;
      message: string;
    }[];
  };
  windows: {
    '1m': WindowMetrics;
    '5m': WindowMetrics;
    '1h': WindowMetrics;
  };
  health: {
    status: HealthLevel;
    basis: '5m' | 'session';
    reasons: HealthReason[];
  };
}

/** One entry of the export's `generations` history. */
export interface GenerationRecord {
  startedAt: number;
  model: string;
  type: string;
  operation: OperationName;
  durationMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  decodeTokensPerSec: number | null;
  prefillTokensPerSec: number | null;
  timePerOutputTokenMs: number | null;
  chunks: number;
  finishReason: FinishReason;
  errorName: string | null;
  errorMessage: string | null;
  promptChars: number | null;
  responseChars: number | null;
  temperature: number | null;
  maxTokens: number | null;
}

export interface Status {
  health: HealthLevel;
  healthReasons: HealthReason[];
  model: string | null;
  modelLoaded: boolean;
  generations: number;
  errors: number;
  rejected: number;
  firstEventAt: number | null;
  lastEventAt: number | null;
}

/** The export document (JSON.parse of exportJson()). `sketches` is the mergeable state. */
export interface ExportDocument {
  schemaVersion: 2;
  /** ISO 8601 UTC with milliseconds. */
  exportedAt: string;
  /** The same instant in epoch milliseconds: the end of the sliding windows. */
  exportedAtMs: number;
  status: Status;
  metrics: Metrics;
  /** The newest historySize generations, oldest first. */
  generations: GenerationRecord[];
  /** The newest historySize memory samples, oldest first. */
  memorySnapshots: MemorySnapshot[];
  sketches: Record<string, unknown>;
}

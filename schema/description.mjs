// The description of the export document: its schema version, the series it holds (unit, which
// direction is worse, labels) and the shape of every part. It is the one source of
//   schema/export.schema.json      the JSON Schema of the document
//   js/generated/description.js    schema version, series, units and labels for the JS package
//   js/generated/metrics.d.ts      the declarations of the metrics, status and document types
//   wasm/generated/description.hpp schema version and the series table for the C++ core
// which `npm run generate` (scripts/generate.mjs) writes; tests/js/generated.test.mjs checks
// that regenerating changes nothing. Plain data and small builders, no Node-only code.
//
// Its parts: the series table (schema/description/series.mjs), the named value sets and health
// checks, the events (schema/description/events.mjs), and the shape of every part (below); this
// module exports them all.
//
// Adding a series: one entry in `series` in schema/description/series.mjs (and its place in the
// shape below, where the shape does not already take it from `series`), then its computation in
// wasm/; run `npm run generate`.

import { seriesIn, units } from './description/series.mjs';

export { places, series, seriesIn, units } from './description/series.mjs';
export { events } from './description/events.mjs';

/** Version of the export document (`schemaVersion`); raise it when old documents no longer read. */
export const schemaVersion = 2;

// ---------------------------------------------------------------------------------------------
// Named value sets. `ts` names the TypeScript type of the set where the declarations use one.

export const enums = {
  operation: { ts: 'OperationName', values: ['chat', 'completion', 'embedding'] },
  finishReason: { ts: 'FinishReason', values: ['stop', 'length', 'abort', 'tool_calls', 'error'] },
  healthLevel: { ts: 'HealthLevel', values: ['healthy', 'warning', 'critical'] },
  /** A load's source in the state: the weights came from the cache, were downloaded, or not known. */
  fromCache: { values: ['true', 'false', 'unknown'] },
  bucketUnit: { values: Object.values(units).map((u) => u.bucketUnit) },
};

/** The sliding windows of metrics.windows. */
export const windows = ['1m', '5m', '1h'];

/**
 * The health checks (metrics.health), in the order of their reasons: the metric each watches
 * (in the 5 min window's or the session's generations, or the JS heap's use of its limit), its
 * threshold's name in the config, which way is bad, the words of its reasons' messages (label,
 * and the unit written after a value), and its default thresholds.
 */
export const healthChecks = [
  { metric: 'generations.ttftMs.p95', threshold: 'ttftP95Ms', worse: 'higher', label: 'p95 time to first token', unit: ' ms', warning: 2000, critical: 5000 },
  { metric: 'generations.latencyMs.p95', threshold: 'latencyP95Ms', worse: 'higher', label: 'p95 latency', unit: ' ms', warning: 30000, critical: 60000 },
  { metric: 'generations.errorRate', threshold: 'errorRate', worse: 'higher', label: 'error rate', unit: '', warning: 0.05, critical: 0.2 },
  {
    metric: 'generations.decodeTokensPerSec.p50',
    threshold: 'decodeTokensPerSecP50',
    worse: 'lower',
    label: 'p50 decode speed',
    unit: ' tokens/s',
    warning: 10,
    critical: 3,
  },
  { metric: 'memory.jsHeapFraction', threshold: 'jsHeapFraction', worse: 'higher', label: 'JS heap use', unit: ' of the limit', warning: 0.8, critical: 0.95 },
];

// ---------------------------------------------------------------------------------------------
// Builders of the shape. Each returns a plain node that scripts/generate.mjs renders as JSON
// Schema and as TypeScript. Options common to all: `doc` (the schema's description, also the
// declaration's comment), `tsDoc` (a comment in the declarations only), `tsName` (a named
// declaration instead of an inline type).

const node = (kind, fields, opts) => ({ kind, ...fields, ...opts });

export const t = {
  /** Any JSON Schema fragment with its TypeScript type (no `ts`: not reachable from the declarations). */
  raw: (schema, ts, opts) => node('raw', { schema, ts }, opts),
  string: (opts) => node('raw', { schema: { type: 'string' }, ts: 'string' }, opts),
  boolean: (opts) => node('raw', { schema: { type: 'boolean' }, ts: 'boolean' }, opts),
  number: (opts) => node('raw', { schema: { type: 'number' }, ts: 'number' }, opts),
  /** A part described under `defs`. */
  ref: (name, opts) => node('ref', { name }, opts),
  orNull: (of, opts) => node('orNull', { of }, opts),
  /** An object with exactly these keys, all required. `schemaExtra`: further keywords (conditions). */
  struct: (props, opts) => node('struct', { props }, opts),
  /** The keys of the struct `defs[base]` and more: a copy in the schema, `Base & {...}` in TypeScript. */
  extend: (base, props, opts) => node('extend', { base, props }, opts),
  /** An object keyed by name; `keys` names an enum the keys must be in. */
  map: (of, opts) => node('map', { of }, opts),
  array: (of, opts) => node('array', { of }, opts),
  /** One of the values of `enums[name]`. */
  enumOf: (name, opts) => node('enum', { name }, opts),
  /** One of these values. */
  oneOf: (values, opts) => node('oneOf', { values }, opts),
  constant: (value, opts) => node('const', { value }, opts),
  /** A count for each value of `enums[name]`. */
  counts: (name, opts) => node('counts', { name }, opts),
};

/** `{ [key]: make(key) }` for each key, in order. */
const each = (keys, make) => Object.fromEntries(keys.map((k) => [k, make(k)]));

/** The series of one place as struct members, each holding `make(s)`. */
const seriesMembers = (where, make) => Object.fromEntries(seriesIn(where).map((s) => [s.name, make(s)]));

const seriesDoc = (s) => `${s.title ?? s.label[0].toUpperCase() + s.label.slice(1)} (${s.unit}); ${s.worse} is worse.`;
const statsOf = (s) => t.ref('stats', { tsDoc: seriesDoc(s) });
const stateOf = (s) => t.ref(units[s.unit].seriesDef);

/** JSON Schema conditions on an object: `then` when `test` holds for its members, else `otherwise`. */
const when = (test, then, otherwise) => ({
  if: { type: 'object', properties: test },
  then: { type: 'object', properties: then },
  ...(otherwise ? { else: { type: 'object', properties: otherwise } } : {}),
});
const countIsZero = { count: { const: 0 } };
const nulls = (keys) => each(keys, () => ({ type: 'null' }));

const nullableString = () => t.orNull(t.string());
const nullableBoolean = () => t.orNull(t.boolean());
const errorType = (what) => t.orNull(t.raw({ type: 'string', minLength: 1 }, 'string'), { doc: `The error's name; null when the ${what} succeeded.` });

/** Parts the metrics and the state share. */
const errorsPart = () => t.struct({ total: t.ref('count'), byName: t.map(t.ref('count')), recent: t.array(t.ref('errorRecord'), { maxItems: 50 }) });
const memoryPart = () => t.struct({ samples: t.ref('count'), latest: t.orNull(t.ref('memorySample')), peak: t.orNull(t.ref('memorySample')) });
/** WebGPU adapter information (adapter.info) and its limits and features. */
const adapterMembers = () => ({
  vendor: t.string(),
  architecture: t.string(),
  device: t.string(),
  description: t.string(),
  isFallbackAdapter: t.boolean(),
});
const gpuCapabilities = () => ({ limits: t.map(t.ref('nonNegative')), features: t.array(t.string()) });
const deviceLostPart = () => t.struct({ total: t.ref('count'), recent: t.array(t.ref('deviceLost'), { maxItems: 10 }) });

/** The members of a stats object besides count. */
const STATS_VALUES = ['min', 'max', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999'];
const EXACT_LIMIT = 256;

// ---------------------------------------------------------------------------------------------
// The parts of the document ($defs in the schema), in the schema's order.

export const defs = {
  count: t.raw({ type: 'integer', minimum: 0, maximum: 2 ** 53 }, 'number', { doc: 'A whole number >= 0 (at most 2^53).' }),
  nonNegative: t.raw({ type: 'number', minimum: 0 }, 'number'),
  nonNegativeOrNull: t.orNull(t.raw({ type: 'number', minimum: 0 }, 'number')),
  rate: t.orNull(t.raw({ type: 'number', minimum: 0, maximum: 1 }, 'number'), { doc: 'A fraction 0..1, null when the denominator is 0.' }),
  timestamp: t.raw({ type: 'number', minimum: 0 }, 'number', { doc: 'Epoch milliseconds.' }),
  timestampOrNull: t.orNull(t.raw({ type: 'number', minimum: 0 }, 'number')),
  healthLevel: t.enumOf('healthLevel'),
  finishReasons: t.counts('finishReason'),

  stats: t.struct(
    { count: t.ref('count'), ...each(STATS_VALUES, () => t.raw(true, 'number | null')) },
    {
      tsName: 'Stats',
      doc: `Summary of a series: nearest-rank quantiles, exact up to ${EXACT_LIMIT} values, then within 0.27%. Nulls when count is 0.`,
      schemaExtra: when(
        countIsZero,
        nulls(STATS_VALUES),
        each(STATS_VALUES, () => ({ type: 'number', minimum: 0 })),
      ),
    },
  ),

  generationMetrics: t.struct(
    {
      total: t.ref('count'),
      succeeded: t.ref('count'),
      failed: t.ref('count'),
      aborted: t.ref('count'),
      successRate: t.ref('rate'),
      errorRate: t.ref('rate'),
      abortRate: t.ref('rate'),
      finishReasons: t.ref('finishReasons'),
      tokens: t.struct({ prompt: t.ref('count'), completion: t.ref('count'), total: t.ref('count') }),
      ...seriesMembers('generation', statsOf),
      throughput: t.struct({
        tokensPerSec: t.ref('nonNegativeOrNull'),
        tokensPerDecodeSec: t.ref('nonNegativeOrNull'),
        requestsPerSec: t.ref('nonNegativeOrNull'),
        wallTimeMs: t.ref('nonNegative'),
        decodeTimeMs: t.ref('nonNegative'),
      }),
    },
    { tsName: 'GenerationMetrics' },
  ),

  generationGroups: t.map(t.ref('generationMetrics')),

  hitMiss: t.struct({ hits: t.ref('count'), misses: t.ref('count'), lookups: t.ref('count'), hitRate: t.ref('rate') }, { tsName: 'HitMissMetrics' }),

  errorRecord: t.struct(
    { time: t.ref('timestamp'), name: t.string(), message: t.string(), model: t.string(), operation: t.string() },
    { tsName: 'ErrorEntry' },
  ),

  memorySample: t.struct(
    {
      label: t.string(),
      timestamp: t.ref('timestampOrNull'),
      ...each(
        ['usedJSHeapSize', 'totalJSHeapSize', 'jsHeapSizeLimit', 'userAgentBytes', 'wasmHeapBytes', 'gpuBufferBytes', 'storageUsage', 'storageQuota'],
        () => t.ref('nonNegativeOrNull', { tsDoc: 'Bytes.' }),
      ),
    },
    { tsName: 'MemorySnapshot' },
  ),

  deviceLost: t.struct({ timestamp: t.ref('timestamp'), reason: t.string(), message: t.string(), model: t.string() }, { tsName: 'DeviceLostEntry' }),

  webgpuInfo: t.struct({ timestamp: t.ref('timestampOrNull'), available: t.boolean(), ...adapterMembers(), ...gpuCapabilities() }),

  healthReason: t.struct(
    {
      metric: t.oneOf(healthChecks.map((c) => c.metric)),
      level: t.oneOf(['warning', 'critical']),
      value: t.number(),
      threshold: t.number(),
      message: t.string(),
    },
    { tsName: 'HealthReason' },
  ),

  windowMetrics: t.struct(
    {
      spanMs: t.ref('nonNegative'),
      generations: t.ref('generationMetrics'),
      errors: t.struct({ total: t.ref('count') }),
      cache: t.ref('hitMiss'),
    },
    { tsName: 'WindowMetrics' },
  ),

  metrics: t.struct(
    {
      generations: t.extend('generationMetrics', {
        byType: t.ref('generationGroups'),
        byModel: t.ref('generationGroups'),
        byOperation: t.map(t.ref('generationMetrics'), { keys: 'operation' }),
      }),
      initialization: t.struct({
        loads: t.ref('count'),
        succeeded: t.ref('count'),
        failed: t.ref('count'),
        fromCache: t.ref('count'),
        downloaded: t.ref('count'),
        unknownCache: t.ref('count'),
        bytesFetched: t.ref('nonNegative'),
        lastModel: nullableString(),
        lastDurationMs: t.ref('nonNegativeOrNull'),
        lastFromCache: nullableBoolean(),
        lastBytesFetched: t.ref('nonNegativeOrNull'),
        lastSucceeded: nullableBoolean(),
        lastLoadedAt: t.ref('timestampOrNull'),
        ...seriesMembers('load', statsOf),
      }),
      cache: t.extend('hitMiss', { byName: t.map(t.ref('hitMiss')) }),
      errors: errorsPart(),
      memory: memoryPart(),
      webgpu: t.struct({
        available: nullableBoolean(),
        adapter: t.orNull(t.struct(adapterMembers())),
        ...gpuCapabilities(),
        deviceLost: deviceLostPart(),
      }),
      operations: t.map(
        t.struct({
          count: t.ref('count'),
          succeeded: t.ref('count'),
          failed: t.ref('count'),
          successRate: t.ref('rate'),
          ...seriesMembers('operation', statsOf),
        }),
      ),
      cost: t.struct({
        currency: t.string(),
        input: t.ref('nonNegative'),
        output: t.ref('nonNegative'),
        total: t.ref('nonNegative'),
        byModel: t.map(t.struct({ input: t.ref('nonNegative'), output: t.ref('nonNegative'), total: t.ref('nonNegative') })),
      }),
      rejected: t.struct({
        total: t.ref('count'),
        byField: t.map(t.ref('count')),
        recent: t.array(t.struct({ field: t.string(), message: t.string() }), { maxItems: 20 }),
      }),
      windows: t.struct(each(windows, () => t.ref('windowMetrics'))),
      health: t.struct({
        status: t.ref('healthLevel'),
        basis: t.oneOf(['5m', 'session']),
        reasons: t.array(t.ref('healthReason')),
      }),
    },
    { tsName: 'Metrics' },
  ),

  generationRecord: t.struct(
    {
      startedAt: t.ref('timestamp'),
      model: t.raw({ type: 'string', minLength: 1 }, 'string'),
      type: t.raw({ type: 'string', minLength: 1 }, 'string'),
      operation: t.enumOf('operation'),
      durationMs: t.ref('nonNegative'),
      ttftMs: t.ref('nonNegativeOrNull'),
      promptTokens: t.ref('nonNegativeOrNull'),
      completionTokens: t.ref('nonNegativeOrNull'),
      decodeTokensPerSec: t.ref('nonNegativeOrNull'),
      prefillTokensPerSec: t.ref('nonNegativeOrNull'),
      timePerOutputTokenMs: t.ref('nonNegativeOrNull'),
      chunks: t.ref('count'),
      finishReason: t.enumOf('finishReason'),
      errorName: nullableString(),
      errorMessage: nullableString(),
      promptChars: t.ref('nonNegativeOrNull'),
      responseChars: t.ref('nonNegativeOrNull'),
      temperature: t.ref('nonNegativeOrNull'),
      maxTokens: t.ref('nonNegativeOrNull'),
    },
    { tsName: 'GenerationRecord', tsDoc: "One entry of the export's `generations` history." },
  ),

  // The mergeable state (`sketches`): opaque to the declarations.

  histogramState: t.struct(
    {
      scale: t.raw({ type: 'integer', minimum: -10, maximum: 7 }),
      zeroCount: t.ref('count'),
      offset: t.raw({ type: 'integer', minimum: -1048576, maximum: 1048576 }),
      counts: t.array(t.raw({ type: 'integer', minimum: 0, maximum: 4294967295 }), { maxItems: 3200 }),
      indexRange: t.orNull(t.array(t.raw({ type: 'integer' }), { minItems: 2, maxItems: 2 })),
      unit: t.enumOf('bucketUnit'),
    },
    {
      doc:
        "Exponential histogram with OpenTelemetry's layout: at scale s the base is 2^(2^-s) and counts[j] holds the values in (base^(offset+j), base^(offset+j+1)]; " +
        'zeroCount counts the zeros. indexRange is the occupied index range at scale 7, null when no positive value was added. ' +
        'unit is the unit of the buckets (an OpenTelemetry/UCUM unit): "s" for duration series, whose other members are in milliseconds (a value v ms falls in the bucket of v / 1000), ' +
        '"{token}" for token counts, "{token}/s" for token rates, "1" for plain values.',
    },
  ),

  seriesState: t.struct(
    {
      count: t.ref('count'),
      sum: t.ref('nonNegative'),
      min: t.ref('nonNegativeOrNull'),
      max: t.ref('nonNegativeOrNull'),
      exact: t.orNull(t.array(t.ref('nonNegative'), { maxItems: EXACT_LIMIT })),
      histogram: t.ref('histogramState'),
    },
    {
      doc: `A series: exact count, sum, min and max; the exact values while count <= ${EXACT_LIMIT} (null above); the histogram always. Everything but the histogram's buckets is in the values' unit.`,
      schemaExtra: {
        allOf: [
          when(
            countIsZero,
            nulls(['min', 'max']),
            each(['min', 'max'], () => ({ type: 'number' })),
          ),
          when({ count: { type: 'integer', maximum: EXACT_LIMIT } }, { exact: { type: 'array' } }, { exact: { type: 'null' } }),
        ],
      },
    },
  ),

  // One series state per unit that series use: the seriesState with that bucket unit.
  ...Object.fromEntries(
    Object.values(units)
      .filter((u) => u.seriesDef)
      .map((u) => [
        u.seriesDef,
        t.raw(
          {
            allOf: [
              { $ref: '#/$defs/seriesState' },
              { type: 'object', properties: { histogram: { type: 'object', properties: { unit: { const: u.bucketUnit } } } } },
            ],
          },
          undefined,
          { doc: u.seriesDoc },
        ),
      ]),
  ),

  generationState: t.struct({
    total: t.ref('count'),
    succeeded: t.ref('count'),
    failed: t.ref('count'),
    aborted: t.ref('count'),
    finishReasons: t.ref('finishReasons'),
    promptTokens: t.ref('count'),
    completionTokens: t.ref('count'),
    decodeTokens: t.ref('count'),
    decodeMs: t.ref('nonNegative'),
    firstStart: t.ref('timestampOrNull'),
    lastEnd: t.ref('timestampOrNull'),
    series: t.struct(seriesMembers('generation', stateOf)),
  }),

  generationStateGroups: t.map(t.ref('generationState')),

  sessionState: t.struct(
    {
      since: t.ref('timestampOrNull', { doc: 'When the aggregation started (epoch milliseconds), null when not known.' }),
      generations: t.ref('generationState'),
      byModel: t.ref('generationStateGroups'),
      byType: t.ref('generationStateGroups'),
      byOperation: t.map(t.ref('generationState'), { keys: 'operation' }),
      genAi: t.array(
        t.struct(
          {
            operation: t.enumOf('operation'),
            model: t.string(),
            errorType: errorType('generation'),
            ...seriesMembers('genAi', stateOf),
          },
          {
            schemaExtra: when(
              { errorType: { type: 'string' } },
              each(
                seriesIn('genAi')
                  .filter((s) => !s.onErrors)
                  .map((s) => s.name),
                () => ({ type: 'object', properties: countIsZero }),
              ),
            ),
          },
        ),
        {
          maxItems: 134,
          doc:
            'The aggregates behind the OpenTelemetry GenAI metrics, one entry per attribute set (operation, model, error type; aborted generations without an error name have "AbortError"). ' +
            'Entries with an error type hold durations only: token usage and stream timings go to the entry without one. Past 128 entries new models fold into "(other)". ' +
            'Their durationMs counts add up to generations.total.',
        },
      ),
      loads: t.struct({
        total: t.ref('count'),
        failed: t.ref('count'),
        fromCache: t.ref('count'),
        downloaded: t.ref('count'),
        bytesFetched: t.ref('nonNegative'),
        ...seriesMembers('load', stateOf),
        byKey: t.array(t.struct({ model: t.string(), fromCache: t.enumOf('fromCache'), errorType: errorType('load'), durationMs: t.ref('durationSeries') }), {
          maxItems: 70,
          doc: 'Every load\'s duration (failed ones included) by model, source and error type. Past 64 entries new models fold into "(other)". Their durationMs counts add up to total.',
        }),
        last: t.orNull(
          t.struct({
            model: t.string(),
            startedAt: t.ref('timestamp'),
            durationMs: t.ref('nonNegative'),
            bytesFetched: t.ref('nonNegativeOrNull'),
            fromCache: t.enumOf('fromCache'),
            succeeded: t.boolean(),
          }),
        ),
      }),
      cache: t.map(t.struct({ hits: t.ref('count'), misses: t.ref('count') })),
      errors: errorsPart(),
      operations: t.map(t.struct({ succeeded: t.ref('count'), failed: t.ref('count'), ...seriesMembers('operation', stateOf) })),
      memory: memoryPart(),
      webgpu: t.orNull(t.ref('webgpuInfo')),
      deviceLost: deviceLostPart(),
      rejected: t.struct({
        total: t.ref('count'),
        byField: t.map(t.ref('count')),
        recent: t.array(t.ref('errorRecord'), { maxItems: 20 }),
      }),
      firstEventAt: t.ref('timestampOrNull'),
      lastEventAt: t.ref('timestampOrNull'),
    },
    { doc: 'The mergeable state behind every metric (what importJson and mergeJson read).' },
  ),
};

// ---------------------------------------------------------------------------------------------
// The document itself.

export const document = {
  id: 'https://unpkg.com/webllm-monitor/schema/export.schema.json',
  title: 'webllm-monitor export',
  shape: t.struct(
    {
      schemaVersion: t.constant(schemaVersion),
      exportedAt: t.raw({ type: 'string', format: 'date-time', pattern: '^-?\\d{4,}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' }, 'string', {
        doc: 'ISO 8601 UTC with milliseconds.',
      }),
      exportedAtMs: t.number({ doc: 'The same instant in epoch milliseconds: the end of the sliding windows.' }),
      status: t.struct(
        {
          health: t.ref('healthLevel'),
          healthReasons: t.array(t.ref('healthReason')),
          model: nullableString(),
          modelLoaded: t.boolean(),
          generations: t.ref('count'),
          errors: t.ref('count'),
          rejected: t.ref('count'),
          firstEventAt: t.ref('timestampOrNull'),
          lastEventAt: t.ref('timestampOrNull'),
        },
        { tsName: 'Status' },
      ),
      metrics: t.ref('metrics'),
      generations: t.array(t.ref('generationRecord'), { doc: 'The newest historySize generations, oldest first.' }),
      memorySnapshots: t.array(t.ref('memorySample'), { doc: 'The newest historySize memory samples, oldest first.' }),
      sketches: t.ref('sessionState', { ts: 'Record<string, unknown>' }),
    },
    {
      tsName: 'ExportDocument',
      tsDoc: 'The export document (JSON.parse of exportJson()). `sketches` is the mergeable state.',
      doc:
        `The document written by exportJson() (schemaVersion ${schemaVersion}): a status summary, the derived metrics, the recent generation and memory histories, ` +
        'and `sketches`, the mergeable state that importJson() and mergeJson() read back. Durations are milliseconds (but the histogram buckets of duration series are in seconds), ' +
        'timestamps epoch milliseconds, sizes bytes, rates fractions 0..1 (null when there is nothing to divide). A statistic with no values has count 0 and nulls elsewhere.',
    },
  ),
};

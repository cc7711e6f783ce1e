// The series table of the description (schema/description.mjs re-exports it): the units of
// series, the places that keep them, and every series with its labels. The shape (defs in
// schema/description.mjs) takes the series of a place from here.
//
// Adding a series: one entry in `series` (and its place in the shape of schema/description.mjs,
// where the shape does not already take it from `series`), then its computation in wasm/; run
// `npm run generate`.

// ---------------------------------------------------------------------------------------------
// Units: what a series' values are in, and the unit of its histogram's buckets (an
// OpenTelemetry/UCUM unit). Durations are kept in ms but bucketed in seconds.

export const units = {
  ms: {
    bucketUnit: 's',
    seriesDef: 'durationSeries',
    seriesDoc: 'A series of durations: values, sum, min, max and exact in milliseconds, histogram buckets in seconds.',
  },
  tokens: { bucketUnit: '{token}', seriesDef: 'tokenSeries', seriesDoc: 'A series of token counts.' },
  'tokens/s': { bucketUnit: '{token}/s', seriesDef: 'tokenRateSeries', seriesDoc: 'A series of token rates (tokens per second).' },
  plain: { bucketUnit: '1', seriesDef: null, seriesDoc: null }, // no series uses it yet
};

// ---------------------------------------------------------------------------------------------
// Series: every distribution the core keeps (exact values while small, a histogram always).
//   name   its key in the metrics and in the state
//   in     a key of `places`: where the series is kept
//   unit   a key of `units`
//   worse  'higher' or 'lower': the direction of a regression
//   label  lower case, for the text report ("<label> <unit>")
//   short  for the console table ("<short> <unit>"); absent: not in the summary
//   title  for the panel's percentile table; absent: not in that table
//   clustered  several values per generation (not independent samples)
//   onErrors   genAi: also recorded in entries with an error type (else count 0 there)

/** Where series are kept: the object holding them in `metrics` (null: not in the metrics) and in `sketches`. */
export const places = {
  /** As stats in metrics.generations and in every window and group (byType, byModel, byOperation). */
  generation: { metrics: 'generations', state: 'generations.series' },
  load: { metrics: 'initialization', state: 'loads' },
  /** One entry per operation name. */
  operation: { metrics: 'operations.<name>', state: 'operations.<name>' },
  /** The entries behind the OpenTelemetry GenAI metrics. */
  genAi: { metrics: null, state: 'genAi[i]' },
};

export const series = [
  { name: 'latencyMs', in: 'generation', unit: 'ms', worse: 'higher', label: 'latency', short: 'latency', title: 'Latency' },
  { name: 'ttftMs', in: 'generation', unit: 'ms', worse: 'higher', label: 'time to first token', short: 'TTFT', title: 'TTFT' },
  { name: 'decodeTokensPerSec', in: 'generation', unit: 'tokens/s', worse: 'lower', label: 'decode', short: 'decode', title: 'Decode speed' },
  { name: 'prefillTokensPerSec', in: 'generation', unit: 'tokens/s', worse: 'lower', label: 'prefill', short: 'prefill', title: 'Prefill speed' },
  {
    name: 'timePerOutputTokenMs',
    in: 'generation',
    unit: 'ms',
    worse: 'higher',
    label: 'time per output token',
    short: 'time/output token',
    title: 'Time per output token',
  },
  { name: 'chunkGapMs', in: 'generation', unit: 'ms', worse: 'higher', label: 'chunk gap', short: 'chunk gap', clustered: true },
  { name: 'loadMs', in: 'load', unit: 'ms', worse: 'higher', label: 'model load', short: 'model load' },
  { name: 'durationMs', in: 'operation', unit: 'ms', worse: 'higher', label: 'duration' },
  { name: 'durationMs', in: 'genAi', unit: 'ms', worse: 'higher', label: 'operation duration', onErrors: true },
  { name: 'inputTokens', in: 'genAi', unit: 'tokens', worse: 'higher', label: 'input tokens' },
  { name: 'outputTokens', in: 'genAi', unit: 'tokens', worse: 'higher', label: 'output tokens' },
  { name: 'serverTtftMs', in: 'genAi', unit: 'ms', worse: 'higher', label: 'engine time to first token' },
  { name: 'serverTpotMs', in: 'genAi', unit: 'ms', worse: 'higher', label: 'engine time per output token' },
  { name: 'firstChunkMs', in: 'genAi', unit: 'ms', worse: 'higher', label: 'time to first chunk' },
  { name: 'chunkGapMs', in: 'genAi', unit: 'ms', worse: 'higher', label: 'chunk gap', clustered: true },
];

/** The series of one place (`in`), in order. */
export const seriesIn = (where) => series.filter((s) => s.in === where);

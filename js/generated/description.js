// Generated from schema/description.mjs by scripts/generate.mjs (npm run generate): do not edit.

const freeze = (v) => {
  if (v && typeof v === 'object') for (const x of Object.values(v)) freeze(x);
  return Object.freeze(v);
};

/** Version of the export document this build writes and reads (`schemaVersion` in exports). */
export const schemaVersion = 2;

/** Units of series values, each with the unit of its histogram's buckets (an OpenTelemetry/UCUM unit). */
export const UNITS = freeze({"ms":{"bucketUnit":"s"},"tokens":{"bucketUnit":"{token}"},"tokens/s":{"bucketUnit":"{token}/s"},"plain":{"bucketUnit":"1"}});

/** Every series: name, where it is ('generation', 'load', 'operation', 'genAi'), unit, worse ('higher' or 'lower'), label (text report), short (console table), title (panel). */
export const SERIES = freeze([
  {"name":"latencyMs","in":"generation","unit":"ms","worse":"higher","label":"latency","short":"latency","title":"Latency"},
  {"name":"ttftMs","in":"generation","unit":"ms","worse":"higher","label":"time to first token","short":"TTFT","title":"TTFT"},
  {"name":"decodeTokensPerSec","in":"generation","unit":"tokens/s","worse":"lower","label":"decode","short":"decode","title":"Decode speed"},
  {"name":"prefillTokensPerSec","in":"generation","unit":"tokens/s","worse":"lower","label":"prefill","short":"prefill","title":"Prefill speed"},
  {"name":"timePerOutputTokenMs","in":"generation","unit":"ms","worse":"higher","label":"time per output token","short":"time/output token","title":"Time per output token"},
  {"name":"chunkGapMs","in":"generation","unit":"ms","worse":"higher","label":"chunk gap","short":"chunk gap","clustered":true},
  {"name":"loadMs","in":"load","unit":"ms","worse":"higher","label":"model load","short":"model load"},
  {"name":"durationMs","in":"operation","unit":"ms","worse":"higher","label":"duration"},
  {"name":"durationMs","in":"genAi","unit":"ms","worse":"higher","label":"operation duration","onErrors":true},
  {"name":"inputTokens","in":"genAi","unit":"tokens","worse":"higher","label":"input tokens"},
  {"name":"outputTokens","in":"genAi","unit":"tokens","worse":"higher","label":"output tokens"},
  {"name":"serverTtftMs","in":"genAi","unit":"ms","worse":"higher","label":"engine time to first token"},
  {"name":"serverTpotMs","in":"genAi","unit":"ms","worse":"higher","label":"engine time per output token"},
  {"name":"firstChunkMs","in":"genAi","unit":"ms","worse":"higher","label":"time to first chunk"},
  {"name":"chunkGapMs","in":"genAi","unit":"ms","worse":"higher","label":"chunk gap","clustered":true},
]);

/** Where series are kept: the object holding them in `metrics` (null: not in the metrics) and in `sketches`. */
export const PLACES = freeze({"generation":{"metrics":"generations","state":"generations.series"},"load":{"metrics":"initialization","state":"loads"},"operation":{"metrics":"operations.<name>","state":"operations.<name>"},"genAi":{"metrics":null,"state":"genAi[i]"}});

/** The series of one place, in order. */
export const seriesIn = (where) => SERIES.filter((s) => s.in === where);

/** The fields of a generation record (the export's `generations` history), in order. */
export const GENERATION_RECORD_FIELDS = freeze([
  "startedAt",
  "model",
  "type",
  "operation",
  "durationMs",
  "ttftMs",
  "promptTokens",
  "completionTokens",
  "decodeTokensPerSec",
  "prefillTokensPerSec",
  "timePerOutputTokenMs",
  "chunks",
  "finishReason",
  "errorName",
  "errorMessage",
  "promptChars",
  "responseChars",
  "temperature",
  "maxTokens",
]);

/** The sliding windows of metrics.windows. */
export const WINDOWS = freeze([
  "1m",
  "5m",
  "1h",
]);

/** The health checks: the metric watched, its threshold in the config, which way is bad. */
export const HEALTH_CHECKS = freeze([
  {"metric":"generations.ttftMs.p95","threshold":"ttftP95Ms","worse":"higher","label":"p95 time to first token","unit":" ms","warning":2000,"critical":5000},
  {"metric":"generations.latencyMs.p95","threshold":"latencyP95Ms","worse":"higher","label":"p95 latency","unit":" ms","warning":30000,"critical":60000},
  {"metric":"generations.errorRate","threshold":"errorRate","worse":"higher","label":"error rate","unit":"","warning":0.05,"critical":0.2},
  {"metric":"generations.decodeTokensPerSec.p50","threshold":"decodeTokensPerSecP50","worse":"lower","label":"p50 decode speed","unit":" tokens/s","warning":10,"critical":3},
  {"metric":"memory.jsHeapFraction","threshold":"jsHeapFraction","worse":"higher","label":"JS heap use","unit":" of the limit","warning":0.8,"critical":0.95},
]);

/** Named value sets of the document. */
export const ENUMS = freeze({"operation":["chat","completion","embedding"],"finishReason":["stop","length","abort","tool_calls","error"],"healthLevel":["healthy","warning","critical"],"fromCache":["true","false","unknown"],"bucketUnit":["s","{token}","{token}/s","1"]});

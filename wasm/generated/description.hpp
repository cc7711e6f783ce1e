// Generated from schema/description.mjs by scripts/generate.mjs (npm run generate): do not edit.
// The export document's schema version, the series table and the health checks, for the core.
#pragma once

#include <cstddef>
#include <string_view>

namespace wlm::description {

/// Version of the export document (`schemaVersion`).
inline constexpr int kSchemaVersion = 2;

/// Where a series is kept: a generation series (metrics.generations.<name>, every window and
/// group, sketches.generations.series.<name>), a load series, an operation series, or one of the
/// entries behind the OpenTelemetry GenAI metrics (sketches.genAi[i].<name>).
enum class Where : unsigned char { generation, load, operation, gen_ai };
/// The direction of a regression.
enum class Worse : unsigned char { higher, lower };

struct SeriesInfo {
  std::string_view name;         ///< key in the metrics and the state
  Where where;
  std::string_view unit;         ///< unit of the values: "ms", "tokens", "tokens/s"
  std::string_view bucket_unit;  ///< unit of the histogram's buckets (OpenTelemetry/UCUM)
  Worse worse;
  std::string_view label;        ///< lower case, for the text report
  bool clustered;                ///< several values per generation (not independent)
};

inline constexpr SeriesInfo kSeries[] = {
    {"latencyMs", Where::generation, "ms", "s", Worse::higher, "latency", false},
    {"ttftMs", Where::generation, "ms", "s", Worse::higher, "time to first token", false},
    {"decodeTokensPerSec", Where::generation, "tokens/s", "{token}/s", Worse::lower, "decode", false},
    {"prefillTokensPerSec", Where::generation, "tokens/s", "{token}/s", Worse::lower, "prefill", false},
    {"timePerOutputTokenMs", Where::generation, "ms", "s", Worse::higher, "time per output token", false},
    {"chunkGapMs", Where::generation, "ms", "s", Worse::higher, "chunk gap", true},
    {"loadMs", Where::load, "ms", "s", Worse::higher, "model load", false},
    {"durationMs", Where::operation, "ms", "s", Worse::higher, "duration", false},
    {"durationMs", Where::gen_ai, "ms", "s", Worse::higher, "operation duration", false},
    {"inputTokens", Where::gen_ai, "tokens", "{token}", Worse::higher, "input tokens", false},
    {"outputTokens", Where::gen_ai, "tokens", "{token}", Worse::higher, "output tokens", false},
    {"serverTtftMs", Where::gen_ai, "ms", "s", Worse::higher, "engine time to first token", false},
    {"serverTpotMs", Where::gen_ai, "ms", "s", Worse::higher, "engine time per output token", false},
    {"firstChunkMs", Where::gen_ai, "ms", "s", Worse::higher, "time to first chunk", false},
    {"chunkGapMs", Where::gen_ai, "ms", "s", Worse::higher, "chunk gap", true},
};
inline constexpr std::size_t kSeriesCount = sizeof(kSeries) / sizeof(kSeries[0]);

/// The fields of a generation record (the export's `generations` history), in order.
inline constexpr std::string_view kGenerationRecordFields[] = {
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
};

/// The sliding windows of metrics.windows.
inline constexpr std::string_view kWindows[] = {
    "1m",
    "5m",
    "1h",
};

/// A health check (metrics.health): the metric it watches, its threshold's key in the
/// configuration, which way is bad, the words of its reasons (label, and the unit written after
/// a value) and its default thresholds.
struct HealthCheck {
  std::string_view metric;
  std::string_view threshold;
  Worse worse;
  std::string_view label;
  std::string_view unit;
  double warning;
  double critical;
};

inline constexpr HealthCheck kHealthChecks[] = {
    {"generations.ttftMs.p95", "ttftP95Ms", Worse::higher, "p95 time to first token", " ms", 2000, 5000},
    {"generations.latencyMs.p95", "latencyP95Ms", Worse::higher, "p95 latency", " ms", 30000, 60000},
    {"generations.errorRate", "errorRate", Worse::higher, "error rate", "", 0.05, 0.2},
    {"generations.decodeTokensPerSec.p50", "decodeTokensPerSecP50", Worse::lower, "p50 decode speed", " tokens/s", 10, 3},
    {"memory.jsHeapFraction", "jsHeapFraction", Worse::higher, "JS heap use", " of the limit", 0.8, 0.95},
};
inline constexpr std::size_t kHealthCheckCount = sizeof(kHealthChecks) / sizeof(kHealthChecks[0]);
/// The thresholds' keys, for a message.
inline constexpr std::string_view kThresholdKeys = "ttftP95Ms, latencyP95Ms, errorRate, decodeTokensPerSecP50, jsHeapFraction";

}  // namespace wlm::description

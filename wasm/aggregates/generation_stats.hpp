// The aggregates of a set of generations (the session, one model, one type, one time slice) and
// of the OpenTelemetry GenAI attribute sets: add and merge here; JSON in codec/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "aggregates/series.hpp"
#include "description.hpp"
#include "events.hpp"
#include "json_io.hpp"

namespace wlm {
namespace jsonw {
class Writer;
}

/// min and max where NaN stands for "none yet".
inline double nan_min(double a, double b) {
  return std::isnan(a) ? b : (std::isnan(b) ? a : std::min(a, b));
}
inline double nan_max(double a, double b) {
  return std::isnan(a) ? b : (std::isnan(b) ? a : std::max(a, b));
}

/// Per-generation values derived from an event (engine figures preferred where given).
struct DerivedTimings {
  double ttft_ms = NAN;
  double decode_tokens_per_sec = NAN;
  double prefill_tokens_per_sec = NAN;
  double time_per_output_token_ms = NAN;
  double decode_ms = NAN;  // time spent producing completion tokens
};
DerivedTimings derive(const GenerationEvent& e);

/// One generation's values readied once for every aggregate it is added to (the session, its
/// model, type and operation, two time slices, its GenAI attribute set): each value's bucket
/// index is computed here, not once per series. Holds `e` and its chunk gaps by address.
struct PreparedGeneration {
  const GenerationEvent* event = nullptr;
  const DerivedTimings* derived = nullptr;
  FinishReason outcome = FinishReason::stop;
  Prepared duration, ttft, decode_tps, prefill_tps, tpot;  // GenerationStats' series
  Prepared prompt_tokens, completion_tokens, client_ttft, engine_ttft, engine_tpot;  // GenAI's
  PreparedList chunk_gaps;
  /// Readies `e` and `d` (which must outlive the result's use), reusing chunk_gaps' capacity.
  void prepare(const GenerationEvent& e, const DerivedTimings& d) {
    prepare(e, d, e.chunk_gaps_ms.data(), e.chunk_gaps_ms.size());
  }
  /// The same with the chunk gaps `gaps[0..n)` instead of e's.
  void prepare(const GenerationEvent& e, const DerivedTimings& d, const double* gaps,
               std::size_t n);
};

/// Aggregate of a set of generations: the session, one model, one type, one time slice.
struct GenerationStats {
  std::uint64_t total = 0, succeeded = 0, failed = 0, aborted = 0;
  std::uint64_t finish[5] = {0, 0, 0, 0, 0};  // by FinishReason
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
  std::uint64_t decode_tokens = 0;  // completion tokens of generations with a known decode time
  double decode_ms = 0;
  double first_start = NAN, last_end = NAN;
  Series latency_ms{Unit::milliseconds}, ttft_ms{Unit::milliseconds};
  Series decode_tps{Unit::tokens_per_second}, prefill_tps{Unit::tokens_per_second};
  Series tpot_ms{Unit::milliseconds}, chunk_gap_ms{Unit::milliseconds};

  void add(const GenerationEvent& e, const DerivedTimings& d);
  /// add(*p.event, *p.derived), the values' indices already known.
  void add(const PreparedGeneration& p);
  void merge(const GenerationStats& o);
  /// The series named as in the metrics ("ttftMs", "latencyMs", ...), or nullptr.
  const Series* series(const std::string& key) const;
  /// Writes a generations object of the metrics. `wall_ms`: the span that wall-clock rates
  /// divide by; NaN -> last end - first start. `groups`, when given, writes the value of each
  /// of the keys "byModel", "byOperation" and "byType" (the session's object has them).
  using Groups = std::function<void(jsonw::Writer&, std::string_view key)>;
  void write_metrics(jsonw::Writer& w, double wall_ms = NAN, const Groups* groups = nullptr) const;
  /// A number of the object write_metrics() writes, by its path in it ("errorRate",
  /// "ttftMs.p95"): the number a health check watches; NaN when it is null or unknown.
  double value(std::string_view name) const;
  json state() const;
  Status read(const json& in, const std::string& path);
};

/// The aggregates behind the OpenTelemetry GenAI metrics for one attribute set: an operation,
/// a model and, for generations that did not succeed, an error type (the error's name; aborted
/// generations without one are "AbortError"). Entries with an error type hold durations only:
/// the conventions put error.type on the duration metric alone, so token usage and stream
/// timings of every generation go to the entry without one.
struct GenAiKey {
  Operation operation = Operation::chat;
  std::string model;
  std::string error_type;  // empty: succeeded
  bool operator<(const GenAiKey& o) const {
    if (operation != o.operation) return operation < o.operation;
    if (model != o.model) return model < o.model;
    return error_type < o.error_type;
  }
};
struct GenAiStats {
  Series duration_ms{Unit::milliseconds};  // gen_ai.client.operation.duration
  Series input_tokens{Unit::tokens}, output_tokens{Unit::tokens};  // gen_ai.client.token.usage
  Series server_ttft_ms{Unit::milliseconds};  // gen_ai.server.time_to_first_token
  Series server_tpot_ms{Unit::milliseconds};  // gen_ai.server.time_per_output_token
  Series first_chunk_ms{Unit::milliseconds};  // ...client.operation.time_to_first_chunk
  Series chunk_gap_ms{Unit::milliseconds};    // ...client.operation.time_per_output_chunk
  /// A generation's token usage and stream timings (not its duration); the server's time to
  /// first token and per output token too when `server` (the entry without an error type).
  void add_usage(const PreparedGeneration& p, bool server);
  void merge(const GenAiStats& o);
};

/// A series of GenerationStats by its key in the metrics and the state.
struct SeriesField {
  const char* key;
  Series GenerationStats::*member;
};
inline constexpr SeriesField kGenerationSeries[] = {
    {"latencyMs", &GenerationStats::latency_ms},
    {"ttftMs", &GenerationStats::ttft_ms},
    {"decodeTokensPerSec", &GenerationStats::decode_tps},
    {"prefillTokensPerSec", &GenerationStats::prefill_tps},
    {"timePerOutputTokenMs", &GenerationStats::tpot_ms},
    {"chunkGapMs", &GenerationStats::chunk_gap_ms},
};

/// A series of GenAiStats by its key in the state.
struct GenAiField {
  const char* key;
  Series GenAiStats::*member;
};
inline constexpr GenAiField kGenAiSeries[] = {
    {"durationMs", &GenAiStats::duration_ms},      {"inputTokens", &GenAiStats::input_tokens},
    {"outputTokens", &GenAiStats::output_tokens},  {"serverTtftMs", &GenAiStats::server_ttft_ms},
    {"serverTpotMs", &GenAiStats::server_tpot_ms}, {"firstChunkMs", &GenAiStats::first_chunk_ms},
    {"chunkGapMs", &GenAiStats::chunk_gap_ms},
};

// The tables name the series of the description (schema/description.mjs), in its order: a series
// added there fails here until its member is added.
static_assert(description::same_series(kGenerationSeries, description::Where::generation),
              "kGenerationSeries must list the description's generation series, in order");
static_assert(description::same_series(kGenAiSeries, description::Where::gen_ai),
              "kGenAiSeries must list the description's GenAI series, in order");

}  // namespace wlm

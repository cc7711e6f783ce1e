// The JSON of the generation aggregates: the metrics they report (rates, series summaries,
// throughput), their state, and the reading of it with its invariants.
#include <utility>

#include <fmt/format.h>

#include "aggregates/generation_stats.hpp"
#include "aggregates/session_state.hpp"
#include "codec/readers.hpp"

namespace wlm {
namespace {

using jsonio::child;

/// part / whole, null when whole is 0.
json rate(std::uint64_t part, std::uint64_t whole) {
  return whole ? json(static_cast<double>(part) / static_cast<double>(whole)) : json(nullptr);
}

/// How many generations ended with each finish reason, keyed by its name.
json finish_reasons(const std::uint64_t (&finish)[5]) {
  json out = json::object();
  for (int i = 0; i < 5; ++i) out[to_string(static_cast<FinishReason>(i))] = finish[i];
  return out;
}

}  // namespace

json HitMiss::metrics() const {
  return json{{"hits", hits},
              {"misses", misses},
              {"lookups", hits + misses},
              {"hitRate", rate(hits, hits + misses)}};
}

json GenerationStats::metrics(double wall_ms) const {
  if (std::isnan(wall_ms) && total > 0) wall_ms = last_end - first_start;
  bool has_wall = present(wall_ms) && wall_ms > 0;
  json out{{"total", total},
           {"succeeded", succeeded},
           {"failed", failed},
           {"aborted", aborted},
           {"successRate", rate(succeeded, total)},
           {"errorRate", rate(failed, total)},
           {"abortRate", rate(aborted, total)},
           {"finishReasons", finish_reasons(finish)},
           {"tokens",
            {{"prompt", prompt_tokens},
             {"completion", completion_tokens},
             {"total", prompt_tokens + completion_tokens}}}};
  for (const auto& f : kGenerationSeries) out[f.key] = (this->*f.member).summary();
  out["throughput"] = json{
      {"tokensPerSec", has_wall ? json(completion_tokens / (wall_ms / 1000.0)) : json(nullptr)},
      {"tokensPerDecodeSec",
       decode_ms > 0 ? json(decode_tokens / (decode_ms / 1000.0)) : json(nullptr)},
      {"requestsPerSec", has_wall ? json(total / (wall_ms / 1000.0)) : json(nullptr)},
      {"wallTimeMs", has_wall ? json(wall_ms) : json(0)},
      {"decodeTimeMs", decode_ms}};
  return out;
}

json GenerationStats::state() const {
  json out{{"total", total},
           {"succeeded", succeeded},
           {"failed", failed},
           {"aborted", aborted},
           {"finishReasons", finish_reasons(finish)},
           {"promptTokens", prompt_tokens},
           {"completionTokens", completion_tokens},
           {"decodeTokens", decode_tokens},
           {"decodeMs", decode_ms},
           {"firstStart", jsonio::number_or_null(first_start)},
           {"lastEnd", jsonio::number_or_null(last_end)}};
  json series = json::object();
  for (const auto& f : kGenerationSeries) series[f.key] = codec::series_state(this->*f.member);
  out["series"] = std::move(series);
  return out;
}

Status GenerationStats::read(const json& in, const std::string& path) {
  GenerationStats g;
  WLM_TRY(jsonio::count(in, path, "total", g.total));
  WLM_TRY(jsonio::count(in, path, "succeeded", g.succeeded));
  WLM_TRY(jsonio::count(in, path, "failed", g.failed));
  WLM_TRY(jsonio::count(in, path, "aborted", g.aborted));
  if (g.succeeded + g.failed + g.aborted != g.total)
    return Status::error(
        child(path, "total"),
        fmt::format("{}: {} is not succeeded + failed + aborted ({})", child(path, "total"),
                    g.total, g.succeeded + g.failed + g.aborted));
  const json* fr = nullptr;
  WLM_TRY(jsonio::object(in, path, "finishReasons", fr));
  std::uint64_t fr_sum = 0;
  for (int i = 0; i < 5; ++i) {
    WLM_TRY(jsonio::count(*fr, child(path, "finishReasons"),
                          to_string(static_cast<FinishReason>(i)), g.finish[i]));
    fr_sum += g.finish[i];
  }
  if (fr_sum != g.total || g.finish[static_cast<int>(FinishReason::error)] != g.failed ||
      g.finish[static_cast<int>(FinishReason::abort)] != g.aborted)
    return Status::error(child(path, "finishReasons"),
                         fmt::format("{}: counts do not match total, failed and aborted",
                                     child(path, "finishReasons")));
  WLM_TRY(jsonio::count(in, path, "promptTokens", g.prompt_tokens));
  WLM_TRY(jsonio::count(in, path, "completionTokens", g.completion_tokens));
  WLM_TRY(jsonio::count(in, path, "decodeTokens", g.decode_tokens));
  WLM_TRY(jsonio::number(in, path, "decodeMs", g.decode_ms, 0, codec::kMaxValue));
  WLM_TRY(jsonio::optional_number(in, path, "firstStart", g.first_start, 0, Limits::kMaxTimestamp));
  WLM_TRY(jsonio::optional_number(in, path, "lastEnd", g.last_end, 0, 2 * Limits::kMaxTimestamp));
  const json* series = nullptr;
  WLM_TRY(jsonio::object(in, path, "series", series));
  for (const auto& f : kGenerationSeries)
    WLM_TRY(codec::read_series(*series, child(path, "series"), f.key, g.*f.member));
  if (g.latency_ms.count() != g.succeeded)
    return Status::error(
        child(child(path, "series"), "latencyMs"),
        fmt::format("{}: {} values but {} generations succeeded",
                    child(child(path, "series"), "latencyMs"), g.latency_ms.count(), g.succeeded));
  *this = std::move(g);
  return Status::success();
}

}  // namespace wlm

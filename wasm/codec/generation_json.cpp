// The JSON of the generation aggregates: the metrics they report (rates, series summaries,
// throughput), their state, and the reading of it with its invariants.
#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "aggregates/generation_stats.hpp"
#include "aggregates/session_state.hpp"
#include "codec/json_writer.hpp"
#include "codec/readers.hpp"

namespace wlm {
namespace {

using jsonio::child;

/// How many generations ended with each finish reason, keyed by its name.
json finish_reasons(const std::uint64_t (&finish)[5]) {
  json out = json::object();
  for (int i = 0; i < 5; ++i) out[to_string(static_cast<FinishReason>(i))] = finish[i];
  return out;
}

}  // namespace

void HitMiss::write_members(jsonw::Writer& w) const {
  w.key("hitRate").rate(hits, hits + misses).key("hits").number(hits);
  w.key("lookups").number(hits + misses).key("misses").number(misses);
}

void HitMiss::write_metrics(jsonw::Writer& w) const {
  w.begin_object();
  write_members(w);
  w.end_object();
}

namespace {

/// A member of a generations object of the metrics.
enum class Part : std::uint8_t {
  abort_rate,
  aborted,
  groups,
  series,
  error_rate,
  failed,
  finish_reasons,
  succeeded,
  success_rate,
  throughput,
  tokens,
  total
};
struct Member {
  std::string_view key;
  Part part;
  std::size_t series = 0;  // kGenerationSeries' index, for Part::series
};

/// The members of a generations object in key order (what dump() writes): the fixed ones,
/// the description's series and the three groups of the session's.
const std::vector<Member>& members_in_key_order() {
  static const std::vector<Member> members = [] {
    std::vector<Member> m = {
        {"abortRate", Part::abort_rate},  {"aborted", Part::aborted},
        {"byModel", Part::groups},        {"byOperation", Part::groups},
        {"byType", Part::groups},         {"errorRate", Part::error_rate},
        {"failed", Part::failed},         {"finishReasons", Part::finish_reasons},
        {"succeeded", Part::succeeded},   {"successRate", Part::success_rate},
        {"throughput", Part::throughput}, {"tokens", Part::tokens},
        {"total", Part::total},
    };
    for (std::size_t i = 0; i < std::size(kGenerationSeries); ++i)
      m.push_back({kGenerationSeries[i].key, Part::series, i});
    std::sort(m.begin(), m.end(), [](const Member& a, const Member& b) { return a.key < b.key; });
    return m;
  }();
  return members;
}

/// The finish reasons in key order.
const std::vector<int>& finish_reasons_in_key_order() {
  static const std::vector<int> order = [] {
    std::vector<int> o = {0, 1, 2, 3, 4};
    std::sort(o.begin(), o.end(), [](int a, int b) {
      return std::string_view(to_string(static_cast<FinishReason>(a))) <
             std::string_view(to_string(static_cast<FinishReason>(b)));
    });
    return o;
  }();
  return order;
}

}  // namespace

void GenerationStats::write_metrics(jsonw::Writer& w, double wall_ms, const Groups* groups) const {
  if (std::isnan(wall_ms) && total > 0) wall_ms = last_end - first_start;
  bool has_wall = present(wall_ms) && wall_ms > 0;
  w.begin_object();
  for (const Member& m : members_in_key_order()) {
    switch (m.part) {
      case Part::abort_rate: w.key(m.key).rate(aborted, total); break;
      case Part::aborted: w.key(m.key).number(aborted); break;
      case Part::groups:
        if (groups != nullptr) (*groups)(w.key(m.key), m.key);
        break;
      case Part::series:
        (this->*kGenerationSeries[m.series].member).write_summary(w.key(m.key));
        break;
      case Part::error_rate: w.key(m.key).rate(failed, total); break;
      case Part::failed: w.key(m.key).number(failed); break;
      case Part::finish_reasons:
        w.key(m.key).begin_object();
        for (int i : finish_reasons_in_key_order())
          w.key(to_string(static_cast<FinishReason>(i))).number(finish[i]);
        w.end_object();
        break;
      case Part::succeeded: w.key(m.key).number(succeeded); break;
      case Part::success_rate: w.key(m.key).rate(succeeded, total); break;
      case Part::throughput:
        w.key(m.key).begin_object().key("decodeTimeMs").number(decode_ms);
        w.key("requestsPerSec");
        has_wall ? w.number(static_cast<double>(total) / (wall_ms / 1000.0)) : w.null();
        w.key("tokensPerDecodeSec");
        decode_ms > 0 ? w.number(static_cast<double>(decode_tokens) / (decode_ms / 1000.0))
                      : w.null();
        w.key("tokensPerSec");
        has_wall ? w.number(static_cast<double>(completion_tokens) / (wall_ms / 1000.0)) : w.null();
        w.key("wallTimeMs");
        has_wall ? w.number(wall_ms) : w.number(std::uint64_t{0});
        w.end_object();
        break;
      case Part::tokens:
        w.key(m.key).begin_object().key("completion").number(completion_tokens);
        w.key("prompt").number(prompt_tokens);
        w.key("total").number(prompt_tokens + completion_tokens).end_object();
        break;
      case Part::total: w.key(m.key).number(total); break;
    }
  }
  w.end_object();
}

double GenerationStats::value(std::string_view name) const {
  auto rate = [](std::uint64_t part, std::uint64_t whole) {
    return whole ? static_cast<double>(part) / static_cast<double>(whole) : NAN;
  };
  if (name == "errorRate") return rate(failed, total);
  if (name == "successRate") return rate(succeeded, total);
  if (name == "abortRate") return rate(aborted, total);
  if (name == "total") return static_cast<double>(total);
  std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return NAN;
  for (const auto& f : kGenerationSeries)
    if (name.substr(0, dot) == f.key) return (this->*f.member).summary_value(name.substr(dot + 1));
  return NAN;
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

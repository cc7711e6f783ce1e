// The state JSON of a session (the export's `sketches`) and its reading: every breakdown, list
// and series is checked against its limits and against the totals it must add up to.
#include <utility>

#include <fmt/format.h>

#include "aggregates/session_state.hpp"
#include "codec/event_json.hpp"
#include "codec/readers.hpp"

namespace wlm {
namespace {

using namespace codec;
using jsonio::child;

json counts_json(const CappedMap<std::uint64_t>& m) {
  json out = json::object();
  for (const auto& [k, v] : m.items) out[k] = v;
  return out;
}

Status read_genai_entry(const json& in, const std::string& path, GenAiKey& k, GenAiStats& g) {
  std::string op;
  WLM_TRY(jsonio::string(in, path, "operation", op, 16));
  if (!parse_operation(op, k.operation))
    return Status::error(child(path, "operation"),
                         fmt::format("{}: \"{}\" is not chat, completion or embedding",
                                     child(path, "operation"), op));
  WLM_TRY(jsonio::string(in, path, "model", k.model, Limits::kMaxNameBytes));
  WLM_TRY(read_error_type(in, path, k.error_type));
  for (const auto& f : kGenAiSeries) WLM_TRY(read_series(in, path, f.key, g.*f.member));
  if (!k.error_type.empty())
    for (const auto& f : kGenAiSeries)
      if (f.member != &GenAiStats::duration_ms && (g.*f.member).count() != 0)
        return Status::error(
            child(path, f.key),
            fmt::format("{}: must be empty in an entry with an error type", child(path, f.key)));
  return Status::success();
}

Status read_load_entry(const json& in, const std::string& path, LoadKey& k, LoadStats& v) {
  WLM_TRY(jsonio::string(in, path, "model", k.model, Limits::kMaxNameBytes));
  std::string fc;
  WLM_TRY(jsonio::string(in, path, "fromCache", fc, 16));
  if (!parse_tristate(fc, k.from_cache))
    return Status::error(
        child(path, "fromCache"),
        fmt::format("{}: \"{}\" is not true, false or unknown", child(path, "fromCache"), fc));
  WLM_TRY(read_error_type(in, path, k.error_type));
  return read_series(in, path, "durationMs", v.duration_ms);
}

}  // namespace

json SessionState::state() const {
  auto groups = [](const CappedMap<GenerationStats>& m) {
    json out = json::object();
    for (const auto& [k, v] : m.items) out[k] = v.state();
    return out;
  };
  json cache_json = json::object();
  for (const auto& [k, v] : cache.items)
    cache_json[k] = json{{"hits", v.hits}, {"misses", v.misses}};
  json ops = json::object();
  for (const auto& [k, v] : operations.items)
    ops[k] = json{{"succeeded", v.succeeded},
                  {"failed", v.failed},
                  {"durationMs", series_state(v.duration_ms)}};
  auto records = [](const std::deque<ErrorRecord>& list) {
    json out = json::array();
    for (const auto& r : list) out.push_back(r.to_json());
    return out;
  };
  json lost = json::array();
  for (const auto& d : recent_device_lost) lost.push_back(to_json(d));
  json genai_json = json::array();
  for (const auto& [k, v] : genai.items) {
    json entry{{"operation", to_string(k.operation)},
               {"model", k.model},
               {"errorType", k.error_type.empty() ? json(nullptr) : json(k.error_type)}};
    for (const auto& f : kGenAiSeries) entry[f.key] = series_state(v.*f.member);
    genai_json.push_back(std::move(entry));
  }
  json loads_by_json = json::array();
  for (const auto& [k, v] : loads_by.items)
    loads_by_json.push_back(
        json{{"model", k.model},
             {"fromCache", to_string(k.from_cache)},
             {"errorType", k.error_type.empty() ? json(nullptr) : json(k.error_type)},
             {"durationMs", series_state(v.duration_ms)}});
  json last = nullptr;
  if (last_load.present)
    last = json{{"model", last_load.model},
                {"startedAt", last_load.started_at},
                {"durationMs", last_load.duration_ms},
                {"bytesFetched", jsonio::number_or_null(last_load.bytes_fetched)},
                {"fromCache", to_string(last_load.from_cache)},
                {"succeeded", last_load.succeeded}};
  return json{{"since", jsonio::number_or_null(since)},
              {"generations", generations.state()},
              {"byModel", groups(by_model)},
              {"byType", groups(by_type)},
              {"byOperation", groups(by_operation)},
              {"genAi", std::move(genai_json)},
              {"loads",
               {{"total", loads},
                {"failed", loads_failed},
                {"fromCache", loads_from_cache},
                {"downloaded", loads_downloaded},
                {"bytesFetched", bytes_fetched},
                {"loadMs", series_state(load_ms)},
                {"byKey", std::move(loads_by_json)},
                {"last", std::move(last)}}},
              {"cache", std::move(cache_json)},
              {"errors",
               {{"total", errors},
                {"byName", counts_json(errors_by_name)},
                {"recent", records(recent_errors)}}},
              {"operations", std::move(ops)},
              {"memory",
               {{"samples", memory_samples},
                {"latest", memory_samples ? to_json(memory_latest) : json(nullptr)},
                {"peak", memory_samples ? to_json(memory_peak) : json(nullptr)}}},
              {"webgpu", has_webgpu ? to_json(webgpu) : json(nullptr)},
              {"deviceLost", {{"total", device_lost}, {"recent", std::move(lost)}}},
              {"rejected",
               {{"total", rejected},
                {"byField", counts_json(rejected_by_field)},
                {"recent", records(recent_rejections)}}},
              {"firstEventAt", jsonio::number_or_null(first_event_at)},
              {"lastEventAt", jsonio::number_or_null(last_event_at)}};
}

Status SessionState::read(const json& in, const std::string& path) {
  SessionState s;
  const json* obj = nullptr;
  auto read_group = [](const json& v, const std::string& p, GenerationStats& g) {
    if (!v.is_object())
      return Status::error(p,
                           fmt::format("{}: expected an object, got {}", p, jsonio::describe(v)));
    return g.read(v, p);
  };
  WLM_TRY(jsonio::optional_number(in, path, "since", s.since, 0, Limits::kMaxTimestamp));
  WLM_TRY(jsonio::object(in, path, "generations", obj));
  WLM_TRY(s.generations.read(*obj, child(path, "generations")));
  WLM_TRY(read_folded(in, path, "genAi", s.genai, s.generations.total, read_genai_entry));
  WLM_TRY(read_map(in, path, "byModel", s.by_model, read_group));
  WLM_TRY(read_map(in, path, "byType", s.by_type, read_group));
  WLM_TRY(read_map(in, path, "byOperation", s.by_operation, read_group));
  for (const auto& [k, v] : s.by_operation.items) {
    Operation op;
    if (!parse_operation(k, op))
      return Status::error(
          child(child(path, "byOperation"), k),
          fmt::format("{}: unknown operation", child(child(path, "byOperation"), k)));
  }

  const json* loads_json = nullptr;
  WLM_TRY(jsonio::object(in, path, "loads", loads_json));
  std::string lp = child(path, "loads");
  WLM_TRY(jsonio::count(*loads_json, lp, "total", s.loads));
  WLM_TRY(jsonio::count(*loads_json, lp, "failed", s.loads_failed));
  WLM_TRY(jsonio::count(*loads_json, lp, "fromCache", s.loads_from_cache));
  WLM_TRY(jsonio::count(*loads_json, lp, "downloaded", s.loads_downloaded));
  WLM_TRY(jsonio::number(*loads_json, lp, "bytesFetched", s.bytes_fetched, 0, kMaxValue));
  WLM_TRY(read_series(*loads_json, lp, "loadMs", s.load_ms));
  WLM_TRY(read_folded(*loads_json, lp, "byKey", s.loads_by, s.loads, read_load_entry));
  if (s.loads_failed > s.loads || s.load_ms.count() != s.loads - s.loads_failed ||
      s.loads_from_cache + s.loads_downloaded > s.load_ms.count())
    return Status::error(lp,
                         fmt::format("{}: total, failed, fromCache, downloaded and loadMs.count "
                                     "do not agree",
                                     lp));
  const json* last = nullptr;
  WLM_TRY(jsonio::member(*loads_json, lp, "last", last));
  if (!last->is_null()) {
    std::string p = child(lp, "last");
    LastLoad& l = s.last_load;
    l.present = true;
    std::string fc;
    WLM_TRY(jsonio::string(*last, p, "model", l.model, Limits::kMaxNameBytes));
    WLM_TRY(jsonio::number(*last, p, "startedAt", l.started_at, 0, Limits::kMaxTimestamp));
    WLM_TRY(jsonio::number(*last, p, "durationMs", l.duration_ms, 0, Limits::kMaxDurationMs));
    WLM_TRY(
        jsonio::optional_number(*last, p, "bytesFetched", l.bytes_fetched, 0, Limits::kMaxBytes));
    WLM_TRY(jsonio::string(*last, p, "fromCache", fc, 16));
    if (!parse_tristate(fc, l.from_cache))
      return Status::error(
          child(p, "fromCache"),
          fmt::format("{}: \"{}\" is not true, false or unknown", child(p, "fromCache"), fc));
    WLM_TRY(jsonio::boolean(*last, p, "succeeded", l.succeeded));
  }

  WLM_TRY(
      read_map(in, path, "cache", s.cache, [](const json& v, const std::string& p, HitMiss& hm) {
        WLM_TRY(jsonio::count(v, p, "hits", hm.hits));
        return jsonio::count(v, p, "misses", hm.misses);
      }));

  const json* errors_json = nullptr;
  WLM_TRY(jsonio::object(in, path, "errors", errors_json));
  std::string ep = child(path, "errors");
  WLM_TRY(jsonio::count(*errors_json, ep, "total", s.errors));
  WLM_TRY(read_counts(*errors_json, ep, "byName", s.errors_by_name));
  auto read_record = [](const json& v, const std::string& p, ErrorRecord& r) {
    return r.read(v, p);
  };
  WLM_TRY(read_list(*errors_json, ep, "recent", s.recent_errors, kRecentErrors, read_record));

  WLM_TRY(read_map(in, path, "operations", s.operations,
                   [](const json& v, const std::string& p, OperationStats& op) {
                     WLM_TRY(jsonio::count(v, p, "succeeded", op.succeeded));
                     WLM_TRY(jsonio::count(v, p, "failed", op.failed));
                     WLM_TRY(read_series(v, p, "durationMs", op.duration_ms));
                     if (op.duration_ms.count() != op.succeeded + op.failed)
                       return Status::error(
                           p, fmt::format("{}: durationMs.count is not succeeded + failed", p));
                     return Status::success();
                   }));

  const json* mem = nullptr;
  WLM_TRY(jsonio::object(in, path, "memory", mem));
  std::string mp = child(path, "memory");
  WLM_TRY(jsonio::count(*mem, mp, "samples", s.memory_samples));
  if (s.memory_samples) {
    const json* latest = nullptr;
    const json* peak = nullptr;
    WLM_TRY(jsonio::object(*mem, mp, "latest", latest));
    WLM_TRY(wlm::read(*latest, child(mp, "latest"), s.memory_latest));
    WLM_TRY(jsonio::object(*mem, mp, "peak", peak));
    WLM_TRY(wlm::read(*peak, child(mp, "peak"), s.memory_peak));
  }

  const json* gpu = nullptr;
  WLM_TRY(jsonio::member(in, path, "webgpu", gpu));
  if (!gpu->is_null()) {
    s.has_webgpu = true;
    WLM_TRY(wlm::read(*gpu, child(path, "webgpu"), s.webgpu));
  }
  const json* lost = nullptr;
  WLM_TRY(jsonio::object(in, path, "deviceLost", lost));
  WLM_TRY(jsonio::count(*lost, child(path, "deviceLost"), "total", s.device_lost));
  WLM_TRY(read_list(
      *lost, child(path, "deviceLost"), "recent", s.recent_device_lost, kRecentDeviceLost,
      [](const json& v, const std::string& p, DeviceLostEvent& d) { return wlm::read(v, p, d); }));

  const json* rej = nullptr;
  WLM_TRY(jsonio::object(in, path, "rejected", rej));
  std::string rp = child(path, "rejected");
  WLM_TRY(jsonio::count(*rej, rp, "total", s.rejected));
  WLM_TRY(read_counts(*rej, rp, "byField", s.rejected_by_field));
  WLM_TRY(read_list(*rej, rp, "recent", s.recent_rejections, kRecentRejections, read_record));

  WLM_TRY(jsonio::optional_number(in, path, "firstEventAt", s.first_event_at, 0,
                                  2 * Limits::kMaxTimestamp));
  WLM_TRY(jsonio::optional_number(in, path, "lastEventAt", s.last_event_at, 0,
                                  2 * Limits::kMaxTimestamp));
  *this = std::move(s);
  return Status::success();
}

}  // namespace wlm

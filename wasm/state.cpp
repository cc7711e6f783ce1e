#include "state.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace wlm {
namespace {

using jsonio::child;

constexpr double kMaxValue = 1e300;

double nan_min(double a, double b) { return std::isnan(a) ? b : (std::isnan(b) ? a : std::min(a, b)); }
double nan_max(double a, double b) { return std::isnan(a) ? b : (std::isnan(b) ? a : std::max(a, b)); }
json rate(std::uint64_t part, std::uint64_t whole) {
  return whole ? json(static_cast<double>(part) / static_cast<double>(whole)) : json(nullptr);
}

struct SeriesField {
  const char* key;
  Series GenerationStats::*member;
};
constexpr SeriesField kGenerationSeries[] = {
    {"latencyMs", &GenerationStats::latency_ms},
    {"ttftMs", &GenerationStats::ttft_ms},
    {"decodeTokensPerSec", &GenerationStats::decode_tps},
    {"prefillTokensPerSec", &GenerationStats::prefill_tps},
    {"timePerOutputTokenMs", &GenerationStats::tpot_ms},
    {"chunkGapMs", &GenerationStats::chunk_gap_ms},
};

struct GenAiField {
  const char* key;
  Series GenAiStats::*member;
};
constexpr GenAiField kGenAiSeries[] = {
    {"durationMs", &GenAiStats::duration_ms},
    {"inputTokens", &GenAiStats::input_tokens},
    {"outputTokens", &GenAiStats::output_tokens},
    {"serverTtftMs", &GenAiStats::server_ttft_ms},
    {"serverTpotMs", &GenAiStats::server_tpot_ms},
    {"firstChunkMs", &GenAiStats::first_chunk_ms},
    {"chunkGapMs", &GenAiStats::chunk_gap_ms},
};

/// Where a new key goes once a folded map is full: model and error type become "(other)".
template <class Key>
Key fold_other(Key k) {
  k.model = kOtherKey;
  if (!k.error_type.empty()) k.error_type = kOtherKey;
  return k;
}
const auto fold_genai = fold_other<GenAiKey>;
const auto fold_load = fold_other<LoadKey>;

/// Most entries a folded map can hold: its cap plus the folded keys (3 operations or sources,
/// with and without an error type).
template <class K, class V>
std::size_t folded_limit(const FoldedMap<K, V>& m) {
  return m.cap + 6;
}

struct MemoryField {
  const char* key;
  double MemorySample::*member;
};
constexpr MemoryField kMemoryFields[] = {
    {"usedJSHeapSize", &MemorySample::used_js_heap},
    {"totalJSHeapSize", &MemorySample::total_js_heap},
    {"jsHeapSizeLimit", &MemorySample::js_heap_limit},
    {"userAgentBytes", &MemorySample::ua_measured_bytes},
    {"wasmHeapBytes", &MemorySample::wasm_heap_bytes},
    {"gpuBufferBytes", &MemorySample::gpu_buffer_bytes},
    {"storageUsage", &MemorySample::storage_usage},
    {"storageQuota", &MemorySample::storage_quota},
};

/// Keeps the newest `cap` records of two time-ordered lists.
template <class T, class TimeOf>
void merge_recent(std::deque<T>& mine, const std::deque<T>& theirs, std::size_t cap, TimeOf time_of) {
  mine.insert(mine.end(), theirs.begin(), theirs.end());
  std::stable_sort(mine.begin(), mine.end(),
                   [&](const T& a, const T& b) { return time_of(a) < time_of(b); });
  while (mine.size() > cap) mine.pop_front();
}

/// Inserts in time order (usually at the end) and keeps the newest `cap`.
template <class T, class TimeOf>
void push_recent(std::deque<T>& list, T item, std::size_t cap, TimeOf time_of) {
  auto pos = list.end();
  while (pos != list.begin() && time_of(*std::prev(pos)) > time_of(item)) --pos;
  list.insert(pos, std::move(item));
  while (list.size() > cap) list.pop_front();
}

double error_time(const ErrorRecord& r) { return r.time; }
double lost_time(const DeviceLostEvent& d) { return d.timestamp; }

json counts_json(const CappedMap<std::uint64_t>& m) {
  json out = json::object();
  for (const auto& [k, v] : m.items) out[k] = v;
  return out;
}

/// A key of a breakdown (a model, type, cache, operation or error name, a rejected field) is
/// read as events give names: 1 to 256 bytes, no control character.
Status check_key(const std::string& path, const std::string& key) {
  if (key.empty()) return Status::error(path, fmt::format("{}: an empty name", path));
  if (key.size() > Limits::kMaxNameBytes)
    return Status::error(path, fmt::format("{}: a name of {} bytes, longer than {}", path, key.size(),
                                           Limits::kMaxNameBytes));
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f)
      return Status::error(path, fmt::format("{}: a name with a control character", path));
  return Status::success();
}

Status read_counts(const json& in, const std::string& path, const char* key,
                   CappedMap<std::uint64_t>& out) {
  const json* obj = nullptr;
  WLM_TRY(jsonio::object(in, path, key, obj));
  std::string p = child(path, key);
  if (obj->size() > out.cap)
    return Status::error(p, fmt::format("{}: {} keys, more than the limit {}", p, obj->size(), out.cap));
  out.items.clear();
  for (const auto& [k, v] : obj->items()) {
    WLM_TRY(check_key(child(p, k), k));
    WLM_TRY(jsonio::count_value(v, child(p, k), out.items[k]));
  }
  return Status::success();
}

/// Reads an object of `Item`s keyed by name into a capped map with `read_item`.
template <class V, class ReadItem>
Status read_map(const json& in, const std::string& path, const char* key, CappedMap<V>& out,
                ReadItem read_item) {
  const json* obj = nullptr;
  WLM_TRY(jsonio::object(in, path, key, obj));
  std::string p = child(path, key);
  if (obj->size() > out.cap)
    return Status::error(p, fmt::format("{}: {} keys, more than the limit {}", p, obj->size(), out.cap));
  out.items.clear();
  for (const auto& [k, v] : obj->items()) {
    WLM_TRY(check_key(child(p, k), k));
    WLM_TRY(read_item(v, child(p, k), out.items[k]));
  }
  return Status::success();
}

template <class T, class ReadItem>
Status read_list(const json& in, const std::string& path, const char* key, std::deque<T>& out,
                 std::size_t cap, ReadItem read_item) {
  const json* arr = nullptr;
  WLM_TRY(jsonio::array(in, path, key, arr));
  std::string p = child(path, key);
  if (arr->size() > cap)
    return Status::error(p, fmt::format("{}: {} entries, more than the limit {}", p, arr->size(), cap));
  out.clear();
  for (std::size_t i = 0; i < arr->size(); ++i) {
    T item;
    WLM_TRY(read_item((*arr)[i], child(p, i), item));
    out.push_back(std::move(item));
  }
  return Status::success();
}

Status read_series(const json& in, const std::string& path, const char* key, Series& out) {
  const json* obj = nullptr;
  WLM_TRY(jsonio::object(in, path, key, obj));
  return out.from_json(*obj, child(path, key));
}

json series_state(const Series& s) {
  json out;
  s.to_json(out);
  return out;
}

/// Reads "errorType": null (succeeded) or a non-empty name.
Status read_error_type(const json& in, const std::string& path, std::string& out) {
  const json* v = nullptr;
  WLM_TRY(jsonio::member(in, path, "errorType", v));
  if (v->is_null()) {
    out.clear();
    return Status::success();
  }
  WLM_TRY(jsonio::string(in, path, "errorType", out, Limits::kMaxNameBytes));
  if (out.empty())
    return Status::error(child(path, "errorType"),
                         fmt::format("{}: empty; null stands for no error", child(path, "errorType")));
  return Status::success();
}

/// Reads an array of attribute-set entries into a folded map: at most folded_limit() entries,
/// no key twice, and their duration counts adding up to `expected_total`.
template <class K, class V, class ReadEntry>
Status read_folded(const json& in, const std::string& path, const char* key, FoldedMap<K, V>& out,
                   std::uint64_t expected_total, ReadEntry read_entry) {
  static_assert(std::is_same_v<decltype(std::declval<V>().duration_ms), Series>);
  const json* arr = nullptr;
  WLM_TRY(jsonio::array(in, path, key, arr));
  std::string p = child(path, key);
  if (arr->size() > folded_limit(out))
    return Status::error(p, fmt::format("{}: {} entries, more than the limit {}", p, arr->size(),
                                        folded_limit(out)));
  out.items.clear();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    std::string ep = child(p, i);
    if (!(*arr)[i].is_object())
      return Status::error(ep, fmt::format("{}: expected an object, got {}", ep, jsonio::describe((*arr)[i])));
    K k;
    V v;
    WLM_TRY(read_entry((*arr)[i], ep, k, v));
    if (out.items.count(k))
      return Status::error(ep, fmt::format("{}: a second entry for the same attributes", ep));
    total += v.duration_ms.count();
    out.items.emplace(std::move(k), std::move(v));
  }
  if (total != expected_total)
    return Status::error(p, fmt::format("{}: the entries hold {} durations but the total is {}", p,
                                        total, expected_total));
  return Status::success();
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
        return Status::error(child(path, f.key),
                             fmt::format("{}: must be empty in an entry with an error type",
                                         child(path, f.key)));
  return Status::success();
}

Status read_load_entry(const json& in, const std::string& path, LoadKey& k, LoadStats& v) {
  WLM_TRY(jsonio::string(in, path, "model", k.model, Limits::kMaxNameBytes));
  std::string fc;
  WLM_TRY(jsonio::string(in, path, "fromCache", fc, 16));
  if (!parse_tristate(fc, k.from_cache))
    return Status::error(child(path, "fromCache"),
                         fmt::format("{}: \"{}\" is not true, false or unknown", child(path, "fromCache"), fc));
  WLM_TRY(read_error_type(in, path, k.error_type));
  return read_series(in, path, "durationMs", v.duration_ms);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Event JSON forms

json to_json(const MemorySample& m) {
  json out{{"label", m.label}, {"timestamp", jsonio::number_or_null(m.timestamp)}};
  for (const auto& f : kMemoryFields) out[f.key] = jsonio::number_or_null(m.*f.member);
  return out;
}

Status read(const json& in, const std::string& path, MemorySample& out) {
  MemorySample m;
  WLM_TRY(jsonio::string(in, path, "label", m.label, Limits::kMaxNameBytes));
  WLM_TRY(jsonio::number(in, path, "timestamp", m.timestamp, 0, Limits::kMaxTimestamp));
  for (const auto& f : kMemoryFields)
    WLM_TRY(jsonio::optional_number(in, path, f.key, m.*f.member, 0, Limits::kMaxBytes));
  out = std::move(m);
  return Status::success();
}

json to_json(const WebGpuInfo& w) {
  json limits = json::object();
  for (const auto& [k, v] : w.limits) limits[k] = v;
  return json{{"timestamp", jsonio::number_or_null(w.timestamp)},
              {"available", w.available},
              {"vendor", w.vendor},
              {"architecture", w.architecture},
              {"device", w.device},
              {"description", w.description},
              {"isFallbackAdapter", w.is_fallback_adapter},
              {"limits", std::move(limits)},
              {"features", w.features}};
}

Status read(const json& in, const std::string& path, WebGpuInfo& out) {
  WebGpuInfo w;
  WLM_TRY(jsonio::number(in, path, "timestamp", w.timestamp, 0, Limits::kMaxTimestamp));
  WLM_TRY(jsonio::boolean(in, path, "available", w.available));
  // Adapter strings of any length are cut to 256 bytes by validate(), as the event says.
  constexpr std::size_t kAnyLength = std::numeric_limits<std::size_t>::max();
  WLM_TRY(jsonio::string(in, path, "vendor", w.vendor, kAnyLength));
  WLM_TRY(jsonio::string(in, path, "architecture", w.architecture, kAnyLength));
  WLM_TRY(jsonio::string(in, path, "device", w.device, kAnyLength));
  WLM_TRY(jsonio::string(in, path, "description", w.description, kAnyLength));
  WLM_TRY(jsonio::boolean(in, path, "isFallbackAdapter", w.is_fallback_adapter));
  const json* limits = nullptr;
  WLM_TRY(jsonio::object(in, path, "limits", limits));
  for (const auto& [k, v] : limits->items())
    WLM_TRY(jsonio::number_value(v, child(child(path, "limits"), k), w.limits[k], 0, kMaxValue));
  const json* features = nullptr;
  WLM_TRY(jsonio::array(in, path, "features", features));
  for (std::size_t i = 0; i < features->size(); ++i) {
    const json& f = (*features)[i];
    if (!f.is_string())
      return Status::error(child(child(path, "features"), i),
                           fmt::format("{}: expected a string, got {}",
                                       child(child(path, "features"), i), jsonio::describe(f)));
    w.features.push_back(f.get<std::string>());
  }
  WLM_TRY(validate(w));
  out = std::move(w);
  return Status::success();
}

json to_json(const DeviceLostEvent& d) {
  return json{{"timestamp", d.timestamp}, {"reason", d.reason}, {"message", d.message}, {"model", d.model}};
}

Status read(const json& in, const std::string& path, DeviceLostEvent& out) {
  DeviceLostEvent d;
  WLM_TRY(jsonio::number(in, path, "timestamp", d.timestamp, 0, Limits::kMaxTimestamp));
  WLM_TRY(jsonio::string(in, path, "reason", d.reason, Limits::kMaxNameBytes));
  WLM_TRY(jsonio::string(in, path, "message", d.message, Limits::kMaxMessageBytes));
  WLM_TRY(jsonio::string(in, path, "model", d.model, Limits::kMaxNameBytes));
  out = std::move(d);
  return Status::success();
}

json ErrorRecord::to_json() const {
  return json{{"time", time}, {"name", name}, {"message", message}, {"model", model},
              {"operation", operation}};
}

Status ErrorRecord::read(const json& in, const std::string& path) {
  ErrorRecord r;
  WLM_TRY(jsonio::number(in, path, "time", r.time, 0, Limits::kMaxTimestamp));
  WLM_TRY(jsonio::string(in, path, "name", r.name, Limits::kMaxNameBytes));
  WLM_TRY(jsonio::string(in, path, "message", r.message, Limits::kMaxMessageBytes));
  WLM_TRY(jsonio::string(in, path, "model", r.model, Limits::kMaxNameBytes));
  WLM_TRY(jsonio::string(in, path, "operation", r.operation, Limits::kMaxNameBytes));
  *this = std::move(r);
  return Status::success();
}

json HitMiss::metrics() const {
  return json{{"hits", hits}, {"misses", misses}, {"lookups", hits + misses},
              {"hitRate", rate(hits, hits + misses)}};
}

// ---------------------------------------------------------------------------------------------
// Generations

DerivedTimings derive(const GenerationEvent& e) {
  DerivedTimings d;
  d.ttft_ms = present(e.ttft_ms) ? e.ttft_ms : e.engine_ttft_ms;
  double c = e.completion_tokens;
  // Client-side decode: the tokens after the first chunk over the time after it.
  bool client_decode = present(e.ttft_ms) && present(c) && c >= 2 && e.duration_ms > e.ttft_ms;
  double client_decode_ms = client_decode ? e.duration_ms - e.ttft_ms : NAN;
  if (present(e.engine_decode_tokens_per_sec) && e.engine_decode_tokens_per_sec > 0) {
    d.decode_tokens_per_sec = e.engine_decode_tokens_per_sec;
  } else if (client_decode) {
    d.decode_tokens_per_sec = (c - 1) / (client_decode_ms / 1000.0);
  }
  if (present(e.engine_prefill_tokens_per_sec) && e.engine_prefill_tokens_per_sec > 0) {
    d.prefill_tokens_per_sec = e.engine_prefill_tokens_per_sec;
  } else if (present(e.prompt_tokens) && e.prompt_tokens > 0 && present(d.ttft_ms) && d.ttft_ms > 0) {
    d.prefill_tokens_per_sec = e.prompt_tokens / (d.ttft_ms / 1000.0);
  }
  if (present(e.engine_time_per_output_token_ms)) {
    d.time_per_output_token_ms = e.engine_time_per_output_token_ms;
  } else if (client_decode) {
    d.time_per_output_token_ms = client_decode_ms / (c - 1);
  }
  if (client_decode) {
    d.decode_ms = client_decode_ms;
  } else if (present(c) && c > 0 && present(d.decode_tokens_per_sec)) {
    d.decode_ms = c / d.decode_tokens_per_sec * 1000.0;
  }
  return d;
}

void GenerationStats::add(const GenerationEvent& e, const DerivedTimings& d) {
  ++total;
  FinishReason out = e.outcome();
  ++finish[static_cast<int>(out)];
  if (out == FinishReason::error) {
    ++failed;
  } else if (out == FinishReason::abort) {
    ++aborted;
  } else {
    ++succeeded;
    latency_ms.add(e.duration_ms);
  }
  if (present(e.prompt_tokens)) prompt_tokens += static_cast<std::uint64_t>(e.prompt_tokens);
  if (present(e.completion_tokens)) {
    completion_tokens += static_cast<std::uint64_t>(e.completion_tokens);
    if (present(d.decode_ms)) {
      decode_tokens += static_cast<std::uint64_t>(e.completion_tokens);
      decode_ms += d.decode_ms;
    }
  }
  first_start = nan_min(first_start, e.started_at);
  last_end = nan_max(last_end, e.ended_at());
  if (present(d.ttft_ms)) ttft_ms.add(d.ttft_ms);
  if (present(d.decode_tokens_per_sec)) decode_tps.add(d.decode_tokens_per_sec);
  if (present(d.prefill_tokens_per_sec)) prefill_tps.add(d.prefill_tokens_per_sec);
  if (present(d.time_per_output_token_ms)) tpot_ms.add(d.time_per_output_token_ms);
  if (!e.chunk_gaps_ms.empty()) chunk_gap_ms.add_many(e.chunk_gaps_ms.data(), e.chunk_gaps_ms.size());
}

void GenerationStats::merge(const GenerationStats& o) {
  total += o.total;
  succeeded += o.succeeded;
  failed += o.failed;
  aborted += o.aborted;
  for (int i = 0; i < 5; ++i) finish[i] += o.finish[i];
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  decode_tokens += o.decode_tokens;
  decode_ms += o.decode_ms;
  first_start = nan_min(first_start, o.first_start);
  last_end = nan_max(last_end, o.last_end);
  for (const auto& f : kGenerationSeries) (this->*f.member).merge(o.*f.member);
}

json GenerationStats::metrics(double wall_ms) const {
  if (std::isnan(wall_ms) && total > 0) wall_ms = last_end - first_start;
  bool has_wall = present(wall_ms) && wall_ms > 0;
  json fr = json::object();
  for (int i = 0; i < 5; ++i) fr[to_string(static_cast<FinishReason>(i))] = finish[i];
  json out{{"total", total},
           {"succeeded", succeeded},
           {"failed", failed},
           {"aborted", aborted},
           {"successRate", rate(succeeded, total)},
           {"errorRate", rate(failed, total)},
           {"abortRate", rate(aborted, total)},
           {"finishReasons", std::move(fr)},
           {"tokens",
            {{"prompt", prompt_tokens},
             {"completion", completion_tokens},
             {"total", prompt_tokens + completion_tokens}}}};
  for (const auto& f : kGenerationSeries) out[f.key] = (this->*f.member).summary();
  out["throughput"] = json{
      {"tokensPerSec", has_wall ? json(completion_tokens / (wall_ms / 1000.0)) : json(nullptr)},
      {"tokensPerDecodeSec", decode_ms > 0 ? json(decode_tokens / (decode_ms / 1000.0)) : json(nullptr)},
      {"requestsPerSec", has_wall ? json(total / (wall_ms / 1000.0)) : json(nullptr)},
      {"wallTimeMs", has_wall ? json(wall_ms) : json(0)},
      {"decodeTimeMs", decode_ms}};
  return out;
}

json GenerationStats::state() const {
  json fr = json::object();
  for (int i = 0; i < 5; ++i) fr[to_string(static_cast<FinishReason>(i))] = finish[i];
  json out{{"total", total},
           {"succeeded", succeeded},
           {"failed", failed},
           {"aborted", aborted},
           {"finishReasons", std::move(fr)},
           {"promptTokens", prompt_tokens},
           {"completionTokens", completion_tokens},
           {"decodeTokens", decode_tokens},
           {"decodeMs", decode_ms},
           {"firstStart", jsonio::number_or_null(first_start)},
           {"lastEnd", jsonio::number_or_null(last_end)}};
  json series = json::object();
  for (const auto& f : kGenerationSeries) series[f.key] = series_state(this->*f.member);
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
    return Status::error(child(path, "total"),
                         fmt::format("{}: {} is not succeeded + failed + aborted ({})",
                                     child(path, "total"), g.total,
                                     g.succeeded + g.failed + g.aborted));
  const json* fr = nullptr;
  WLM_TRY(jsonio::object(in, path, "finishReasons", fr));
  std::uint64_t fr_sum = 0;
  for (int i = 0; i < 5; ++i) {
    WLM_TRY(jsonio::count(*fr, child(path, "finishReasons"), to_string(static_cast<FinishReason>(i)),
                          g.finish[i]));
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
  WLM_TRY(jsonio::number(in, path, "decodeMs", g.decode_ms, 0, kMaxValue));
  WLM_TRY(jsonio::optional_number(in, path, "firstStart", g.first_start, 0, Limits::kMaxTimestamp));
  WLM_TRY(jsonio::optional_number(in, path, "lastEnd", g.last_end, 0, 2 * Limits::kMaxTimestamp));
  const json* series = nullptr;
  WLM_TRY(jsonio::object(in, path, "series", series));
  for (const auto& f : kGenerationSeries)
    WLM_TRY(read_series(*series, child(path, "series"), f.key, g.*f.member));
  if (g.latency_ms.count() != g.succeeded)
    return Status::error(child(child(path, "series"), "latencyMs"),
                         fmt::format("{}: {} values but {} generations succeeded",
                                     child(child(path, "series"), "latencyMs"),
                                     g.latency_ms.count(), g.succeeded));
  *this = std::move(g);
  return Status::success();
}

const Series* GenerationStats::series(const std::string& key) const {
  for (const auto& f : kGenerationSeries)
    if (key == f.key) return &(this->*f.member);
  return nullptr;
}

void GenAiStats::merge(const GenAiStats& o) {
  for (const auto& f : kGenAiSeries) (this->*f.member).merge(o.*f.member);
}

// ---------------------------------------------------------------------------------------------
// Session

void SessionState::touch(double t) {
  first_event_at = nan_min(first_event_at, t);
  last_event_at = nan_max(last_event_at, t);
}

void SessionState::add_error(ErrorRecord r) {
  ++errors;
  ++errors_by_name.at(r.name);
  push_recent(recent_errors, std::move(r), kRecentErrors, error_time);
}

void SessionState::reject(const Status& s) {
  // The field becomes a key and a name, which an import reads as names (1 to 256 bytes, no
  // control character); the message is cut as error messages are.
  std::string field = s.field.empty() ? std::string("event") : s.field;
  if (field.size() > Limits::kMaxNameBytes) {
    std::size_t n = Limits::kMaxNameBytes;
    while (n > 0 && (static_cast<unsigned char>(field[n]) & 0xC0) == 0x80) --n;
    field.resize(n);
  }
  for (char& c : field)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  ++rejected;
  ++rejected_by_field.at(field);
  ErrorRecord r;
  r.time = last_event_at;
  if (std::isnan(r.time)) r.time = 0;
  r.name = std::move(field);
  r.message = s.message;
  if (r.message.size() > Limits::kMaxMessageBytes) {
    std::size_t n = Limits::kMaxMessageBytes;
    while (n > 0 && (static_cast<unsigned char>(r.message[n]) & 0xC0) == 0x80) --n;
    r.message.resize(n);
  }
  push_recent(recent_rejections, std::move(r), kRecentRejections, error_time);
}

void SessionState::add(const GenerationEvent& e) {
  DerivedTimings d = derive(e);
  generations.add(e, d);
  by_model.at(e.model).add(e, d);
  by_type.at(e.type).add(e, d);
  by_operation.at(to_string(e.operation)).add(e, d);

  FinishReason out = e.outcome();
  GenAiKey key{e.operation, e.model, ""};
  if (out == FinishReason::error) key.error_type = e.error_name;
  if (out == FinishReason::abort) key.error_type = e.error_name.empty() ? "AbortError" : e.error_name;
  GenAiStats& g = genai.at(key, fold_genai);
  g.duration_ms.add(e.duration_ms);
  bool tokens = present(e.prompt_tokens) || present(e.completion_tokens);
  bool chunks = present(e.ttft_ms) || !e.chunk_gaps_ms.empty();
  if (key.error_type.empty() || tokens || chunks) {
    // Token usage and stream timings carry no error type: the attribute set without one.
    GenAiStats& ok = key.error_type.empty() ? g : genai.at({e.operation, e.model, ""}, fold_genai);
    if (present(e.prompt_tokens)) ok.input_tokens.add(e.prompt_tokens);
    if (present(e.completion_tokens)) ok.output_tokens.add(e.completion_tokens);
    if (present(e.ttft_ms)) ok.first_chunk_ms.add(e.ttft_ms);
    if (!e.chunk_gaps_ms.empty()) ok.chunk_gap_ms.add_many(e.chunk_gaps_ms.data(), e.chunk_gaps_ms.size());
    if (key.error_type.empty()) {
      if (present(e.engine_ttft_ms)) ok.server_ttft_ms.add(e.engine_ttft_ms);
      if (present(e.engine_time_per_output_token_ms))
        ok.server_tpot_ms.add(e.engine_time_per_output_token_ms);
    }
  }

  if (out == FinishReason::error)
    add_error({e.ended_at(), e.error_name, e.error_message, e.model, to_string(e.operation)});
  touch(e.started_at);
  touch(e.ended_at());
}

void SessionState::add(const ModelLoadEvent& e) {
  ++loads;
  bool ok = e.error_name.empty();
  loads_by.at({e.model, e.from_cache, e.error_name}, fold_load).duration_ms.add(e.duration_ms);
  if (!ok) {
    ++loads_failed;
    add_error({e.started_at + e.duration_ms, e.error_name, e.error_message, e.model, "load"});
  } else {
    load_ms.add(e.duration_ms);
    if (e.from_cache == Tristate::yes) {
      ++loads_from_cache;
      ++cache.at("model").hits;
    } else if (e.from_cache == Tristate::no) {
      ++loads_downloaded;
      ++cache.at("model").misses;
    }
  }
  if (present(e.bytes_fetched)) bytes_fetched += e.bytes_fetched;
  if (!last_load.present || e.started_at >= last_load.started_at) {
    last_load = {true, e.model, e.started_at, e.duration_ms, e.bytes_fetched, e.from_cache, ok};
  }
  touch(e.started_at);
  touch(e.started_at + e.duration_ms);
}

void SessionState::add(const CacheLookupEvent& e) {
  HitMiss& hm = cache.at(e.cache);
  ++(e.hit ? hm.hits : hm.misses);
  touch(e.timestamp);
}

void SessionState::add(const OperationEvent& e) {
  OperationStats& op = operations.at(e.name);
  ++(e.success ? op.succeeded : op.failed);
  op.duration_ms.add(e.duration_ms);
  if (!e.success) add_error({e.started_at + e.duration_ms, e.error_name, e.error_message, "", e.name});
  touch(e.started_at);
  touch(e.started_at + e.duration_ms);
}

void SessionState::add(const MemorySample& e) {
  if (memory_samples == 0 || e.timestamp >= memory_latest.timestamp) memory_latest = e;
  if (memory_samples == 0) {
    memory_peak = e;
  } else {
    for (const auto& f : kMemoryFields)
      memory_peak.*f.member = nan_max(memory_peak.*f.member, e.*f.member);
  }
  memory_peak.label = "peak";
  ++memory_samples;
  touch(e.timestamp);
}

void SessionState::add(const WebGpuInfo& e) {
  if (!has_webgpu || e.timestamp >= webgpu.timestamp) webgpu = e;
  has_webgpu = true;
}

void SessionState::add(const DeviceLostEvent& e) {
  ++device_lost;
  push_recent(recent_device_lost, e, kRecentDeviceLost, lost_time);
  add_error({e.timestamp, "DeviceLostError", e.message.empty() ? e.reason : e.message,
             e.model.empty() ? last_load.model : e.model, "webgpu"});
  touch(e.timestamp);
}

void SessionState::merge(const SessionState& o) {
  generations.merge(o.generations);
  auto merge_groups = [](CappedMap<GenerationStats>& mine, const CappedMap<GenerationStats>& theirs) {
    for (const auto& [k, v] : theirs.items) mine.at(k).merge(v);
  };
  merge_groups(by_model, o.by_model);
  merge_groups(by_type, o.by_type);
  merge_groups(by_operation, o.by_operation);
  for (const auto& [k, v] : o.genai.items) genai.at(k, fold_genai).merge(v);
  since = nan_min(since, o.since);

  loads += o.loads;
  loads_failed += o.loads_failed;
  loads_from_cache += o.loads_from_cache;
  loads_downloaded += o.loads_downloaded;
  bytes_fetched += o.bytes_fetched;
  load_ms.merge(o.load_ms);
  for (const auto& [k, v] : o.loads_by.items) loads_by.at(k, fold_load).duration_ms.merge(v.duration_ms);
  if (o.last_load.present && (!last_load.present || o.last_load.started_at >= last_load.started_at))
    last_load = o.last_load;

  for (const auto& [k, v] : o.cache.items) cache.at(k).merge(v);

  errors += o.errors;
  for (const auto& [k, v] : o.errors_by_name.items) errors_by_name.at(k) += v;
  merge_recent(recent_errors, o.recent_errors, kRecentErrors, error_time);

  for (const auto& [k, v] : o.operations.items) {
    OperationStats& op = operations.at(k);
    op.succeeded += v.succeeded;
    op.failed += v.failed;
    op.duration_ms.merge(v.duration_ms);
  }

  if (o.memory_samples) {
    if (memory_samples == 0 || o.memory_latest.timestamp >= memory_latest.timestamp)
      memory_latest = o.memory_latest;
    if (memory_samples == 0) {
      memory_peak = o.memory_peak;
    } else {
      for (const auto& f : kMemoryFields)
        memory_peak.*f.member = nan_max(memory_peak.*f.member, o.memory_peak.*f.member);
    }
    memory_samples += o.memory_samples;
  }

  if (o.has_webgpu) add(o.webgpu);
  device_lost += o.device_lost;
  merge_recent(recent_device_lost, o.recent_device_lost, kRecentDeviceLost, lost_time);

  rejected += o.rejected;
  for (const auto& [k, v] : o.rejected_by_field.items) rejected_by_field.at(k) += v;
  merge_recent(recent_rejections, o.recent_rejections, kRecentRejections, error_time);

  first_event_at = nan_min(first_event_at, o.first_event_at);
  last_event_at = nan_max(last_event_at, o.last_event_at);
}

json SessionState::state() const {
  auto groups = [](const CappedMap<GenerationStats>& m) {
    json out = json::object();
    for (const auto& [k, v] : m.items) out[k] = v.state();
    return out;
  };
  json cache_json = json::object();
  for (const auto& [k, v] : cache.items) cache_json[k] = json{{"hits", v.hits}, {"misses", v.misses}};
  json ops = json::object();
  for (const auto& [k, v] : operations.items)
    ops[k] = json{{"succeeded", v.succeeded}, {"failed", v.failed},
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
    loads_by_json.push_back(json{{"model", k.model},
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
  return json{
      {"since", jsonio::number_or_null(since)},
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
       {{"total", errors}, {"byName", counts_json(errors_by_name)}, {"recent", records(recent_errors)}}},
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
      return Status::error(p, fmt::format("{}: expected an object, got {}", p, jsonio::describe(v)));
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
      return Status::error(child(child(path, "byOperation"), k),
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
    return Status::error(lp, fmt::format("{}: total, failed, fromCache, downloaded and loadMs.count "
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
    WLM_TRY(jsonio::optional_number(*last, p, "bytesFetched", l.bytes_fetched, 0, Limits::kMaxBytes));
    WLM_TRY(jsonio::string(*last, p, "fromCache", fc, 16));
    if (!parse_tristate(fc, l.from_cache))
      return Status::error(child(p, "fromCache"),
                           fmt::format("{}: \"{}\" is not true, false or unknown", child(p, "fromCache"), fc));
    WLM_TRY(jsonio::boolean(*last, p, "succeeded", l.succeeded));
  }

  WLM_TRY(read_map(in, path, "cache", s.cache, [](const json& v, const std::string& p, HitMiss& hm) {
    WLM_TRY(jsonio::count(v, p, "hits", hm.hits));
    return jsonio::count(v, p, "misses", hm.misses);
  }));

  const json* errors_json = nullptr;
  WLM_TRY(jsonio::object(in, path, "errors", errors_json));
  std::string ep = child(path, "errors");
  WLM_TRY(jsonio::count(*errors_json, ep, "total", s.errors));
  WLM_TRY(read_counts(*errors_json, ep, "byName", s.errors_by_name));
  auto read_record = [](const json& v, const std::string& p, ErrorRecord& r) { return r.read(v, p); };
  WLM_TRY(read_list(*errors_json, ep, "recent", s.recent_errors, kRecentErrors, read_record));

  WLM_TRY(read_map(in, path, "operations", s.operations,
                   [](const json& v, const std::string& p, OperationStats& op) {
                     WLM_TRY(jsonio::count(v, p, "succeeded", op.succeeded));
                     WLM_TRY(jsonio::count(v, p, "failed", op.failed));
                     WLM_TRY(read_series(v, p, "durationMs", op.duration_ms));
                     if (op.duration_ms.count() != op.succeeded + op.failed)
                       return Status::error(p, fmt::format("{}: durationMs.count is not succeeded + failed", p));
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
  WLM_TRY(read_list(*lost, child(path, "deviceLost"), "recent", s.recent_device_lost, kRecentDeviceLost,
                    [](const json& v, const std::string& p, DeviceLostEvent& d) { return wlm::read(v, p, d); }));

  const json* rej = nullptr;
  WLM_TRY(jsonio::object(in, path, "rejected", rej));
  std::string rp = child(path, "rejected");
  WLM_TRY(jsonio::count(*rej, rp, "total", s.rejected));
  WLM_TRY(read_counts(*rej, rp, "byField", s.rejected_by_field));
  WLM_TRY(read_list(*rej, rp, "recent", s.recent_rejections, kRecentRejections, read_record));

  WLM_TRY(jsonio::optional_number(in, path, "firstEventAt", s.first_event_at, 0, 2 * Limits::kMaxTimestamp));
  WLM_TRY(jsonio::optional_number(in, path, "lastEventAt", s.last_event_at, 0, 2 * Limits::kMaxTimestamp));
  *this = std::move(s);
  return Status::success();
}

}  // namespace wlm

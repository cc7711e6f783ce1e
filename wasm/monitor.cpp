#include "monitor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "otlp.hpp"
#include "report.hpp"

namespace wlm {
namespace {

using jsonio::child;

constexpr std::size_t kMaxHistory = 100'000;
constexpr std::size_t kMaxPrices = 1024;

struct ThresholdField {
  const char* key;
  Threshold Config::*member;
};
constexpr ThresholdField kThresholds[] = {
    {"ttftP95Ms", &Config::ttft_p95_ms},
    {"latencyP95Ms", &Config::latency_p95_ms},
    {"errorRate", &Config::error_rate},
    {"decodeTokensPerSecP50", &Config::decode_tokens_per_sec_p50},
    {"jsHeapFraction", &Config::js_heap_fraction},
};

struct Window {
  const char* name;
  bool fine;          // which ring
  std::int64_t back;  // slices before the current one
};
constexpr Window kWindows[] = {{"1m", true, 6}, {"5m", true, 30}, {"1h", false, 60}};

template <class T, class TimeOf>
void merge_by_time(std::deque<T>& mine, const std::deque<T>& theirs, std::size_t cap, TimeOf time_of) {
  mine.insert(mine.end(), theirs.begin(), theirs.end());
  std::stable_sort(mine.begin(), mine.end(),
                   [&](const T& a, const T& b) { return time_of(a) < time_of(b); });
  while (mine.size() > cap) mine.pop_front();
}

double number_at(const json& obj, std::initializer_list<const char*> path) {
  const json* cur = &obj;
  for (const char* key : path) {
    if (!cur->is_object()) return NAN;
    auto it = cur->find(key);
    if (it == cur->end()) return NAN;
    cur = &*it;
  }
  return cur->is_number() ? cur->get<double>() : NAN;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Config

json Config::to_json() const {
  json prices_json = json::object();
  for (const auto& [model, p] : prices)
    prices_json[model] = json{{"input", p.input_per_1k}, {"output", p.output_per_1k}};
  json thresholds = json::object();
  for (const auto& t : kThresholds)
    thresholds[t.key] = json{{"warning", jsonio::number_or_null((this->*t.member).warning)},
                             {"critical", jsonio::number_or_null((this->*t.member).critical)}};
  return json{{"historySize", history_size},
              {"currency", currency},
              {"prices", std::move(prices_json)},
              {"thresholds", std::move(thresholds)}};
}

Status Config::read(const json& in, const std::string& path) {
  if (!in.is_object())
    return Status::error(path, fmt::format("{}: expected an object, got {}", path, jsonio::describe(in)));
  Config c = *this;
  for (const auto& [key, value] : in.items()) {
    std::string p = child(path, key);
    if (key == "historySize") {
      std::uint64_t n = 0;
      WLM_TRY(jsonio::count(in, path, "historySize", n));
      if (n < 1 || n > kMaxHistory)
        return Status::error(p, fmt::format("{}: {} is outside [1, {}]", p, n, kMaxHistory));
      c.history_size = n;
    } else if (key == "currency") {
      WLM_TRY(jsonio::string(in, path, "currency", c.currency, 16));
    } else if (key == "prices") {
      if (!value.is_object())
        return Status::error(p, fmt::format("{}: expected an object of models, got {}", p,
                                            jsonio::describe(value)));
      if (value.size() > kMaxPrices)
        return Status::error(p, fmt::format("{}: {} models, more than the limit {}", p, value.size(),
                                            kMaxPrices));
      c.prices.clear();
      for (const auto& [model, price] : value.items()) {
        std::string mp = child(p, model);
        if (model.empty() || model.size() > Limits::kMaxNameBytes)
          return Status::error(mp, fmt::format("{}: a model name is 1 to {} bytes, this one {}", mp,
                                               Limits::kMaxNameBytes, model.size()));
        Price pr;
        WLM_TRY(jsonio::number(price, mp, "input", pr.input_per_1k, 0, 1e9));
        WLM_TRY(jsonio::number(price, mp, "output", pr.output_per_1k, 0, 1e9));
        c.prices[model] = pr;
      }
    } else if (key == "thresholds") {
      if (!value.is_object())
        return Status::error(p, fmt::format("{}: expected an object, got {}", p, jsonio::describe(value)));
      for (const auto& [name, t] : value.items()) {
        const ThresholdField* field = nullptr;
        for (const auto& f : kThresholds)
          if (name == f.key) field = &f;
        std::string tp = child(p, name);
        if (!field)
          return Status::error(tp, fmt::format("{}: unknown threshold (known: ttftP95Ms, latencyP95Ms, "
                                               "errorRate, decodeTokensPerSecP50, jsHeapFraction)",
                                               tp));
        Threshold th = c.*field->member;
        if (!t.is_object())
          return Status::error(tp, fmt::format("{}: expected {{warning, critical}}, got {}", tp,
                                               jsonio::describe(t)));
        if (t.contains("warning")) WLM_TRY(jsonio::optional_number(t, tp, "warning", th.warning, 0, 1e15));
        if (t.contains("critical")) WLM_TRY(jsonio::optional_number(t, tp, "critical", th.critical, 0, 1e15));
        c.*field->member = th;
      }
    } else {
      return Status::error(p, fmt::format("{}: unknown option (known: historySize, currency, prices, "
                                          "thresholds)",
                                          p));
    }
  }
  *this = std::move(c);
  return Status::success();
}

// ---------------------------------------------------------------------------------------------
// History records

json GenerationRecord::to_json() const {
  const GenerationEvent& e = event;
  auto opt = jsonio::number_or_null;
  auto opt_str = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return json{{"startedAt", e.started_at},
              {"model", e.model},
              {"type", e.type},
              {"operation", to_string(e.operation)},
              {"durationMs", e.duration_ms},
              {"ttftMs", opt(derived.ttft_ms)},
              {"promptTokens", opt(e.prompt_tokens)},
              {"completionTokens", opt(e.completion_tokens)},
              {"decodeTokensPerSec", opt(derived.decode_tokens_per_sec)},
              {"prefillTokensPerSec", opt(derived.prefill_tokens_per_sec)},
              {"timePerOutputTokenMs", opt(derived.time_per_output_token_ms)},
              {"chunks", chunks},
              {"finishReason", to_string(e.outcome())},
              {"errorName", opt_str(e.error_name)},
              {"errorMessage", opt_str(e.error_message)},
              {"promptChars", opt(e.prompt_chars)},
              {"responseChars", opt(e.response_chars)},
              {"temperature", opt(e.temperature)},
              {"maxTokens", opt(e.max_tokens)}};
}

Status GenerationRecord::read(const json& in, const std::string& path) {
  if (!in.is_object())
    return Status::error(path, fmt::format("{}: expected an object, got {}", path, jsonio::describe(in)));
  GenerationRecord r;
  GenerationEvent& e = r.event;
  std::string op, fr;
  WLM_TRY(jsonio::number(in, path, "startedAt", e.started_at, -INFINITY, INFINITY));
  WLM_TRY(jsonio::string(in, path, "model", e.model, 1 << 20));
  WLM_TRY(jsonio::string(in, path, "type", e.type, 1 << 20));
  WLM_TRY(jsonio::string(in, path, "operation", op, 32));
  if (!parse_operation(op, e.operation))
    return Status::error(child(path, "operation"),
                         fmt::format("{}: \"{}\" is not chat, completion or embedding", child(path, "operation"), op));
  WLM_TRY(jsonio::number(in, path, "durationMs", e.duration_ms, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "ttftMs", r.derived.ttft_ms, 0, Limits::kMaxDurationMs));
  WLM_TRY(jsonio::optional_number(in, path, "promptTokens", e.prompt_tokens, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "completionTokens", e.completion_tokens, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "decodeTokensPerSec", r.derived.decode_tokens_per_sec, 0,
                                  Limits::kMaxRate));
  WLM_TRY(jsonio::optional_number(in, path, "prefillTokensPerSec", r.derived.prefill_tokens_per_sec,
                                  0, Limits::kMaxRate));
  WLM_TRY(jsonio::optional_number(in, path, "timePerOutputTokenMs", r.derived.time_per_output_token_ms,
                                  0, Limits::kMaxDurationMs));
  WLM_TRY(jsonio::count(in, path, "chunks", r.chunks));
  WLM_TRY(jsonio::string(in, path, "finishReason", fr, 32));
  if (!parse_finish_reason(fr, e.finish_reason))
    return Status::error(child(path, "finishReason"),
                         fmt::format("{}: \"{}\" is not stop, length, abort, tool_calls or error",
                                     child(path, "finishReason"), fr));
  e.has_finish_reason = true;
  WLM_TRY(jsonio::optional_string(in, path, "errorName", e.error_name, 1 << 20));
  WLM_TRY(jsonio::optional_string(in, path, "errorMessage", e.error_message, 1 << 20));
  WLM_TRY(jsonio::optional_number(in, path, "promptChars", e.prompt_chars, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "responseChars", e.response_chars, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "temperature", e.temperature, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "maxTokens", e.max_tokens, -INFINITY, INFINITY));
  // The event's own rules apply to what it carries; re-point the field names at this record.
  GenerationEvent check = e;
  if (Status s = validate(check); !s) {
    std::string field = s.field.substr(s.field.find('.') + 1);
    std::string p = child(path, field);
    std::string msg = s.message;
    if (msg.rfind(s.field, 0) == 0) msg = p + msg.substr(s.field.size());
    return Status::error(p, msg);
  }
  // The message as an event would have left it: cut to 2048 bytes, control characters blanked
  // (a document could carry 1 MiB of them into the history, then into every export).
  e.error_message = std::move(check.error_message);
  *this = std::move(r);
  return Status::success();
}

// ---------------------------------------------------------------------------------------------
// Slices

std::int64_t SliceRing::id_of(double t) const {
  return static_cast<std::int64_t>(std::floor(t / width_ms_));
}

Slice* SliceRing::at(double t) {
  std::int64_t id = id_of(t);
  auto n = static_cast<std::int64_t>(slots_.size());
  Slice& s = slots_[static_cast<std::size_t>(((id % n) + n) % n)];
  if (s.id > id) return nullptr;  // the slot already holds a newer slice: t is too old
  if (s.id != id) s.clear(id);
  s.stamp = ++counter_;  // the caller is about to change it
  return &s;
}

std::uint64_t SliceRing::stamp_of(std::int64_t first, std::int64_t last) const {
  // A sum: a change raises a slice's stamp, and a slice leaving the range (its slot taken by a
  // far newer slice) takes its stamp out; stamps are unique, so either changes the sum.
  std::uint64_t sum = 0;
  for (const Slice& s : slots_)
    if (s.id >= first && s.id <= last) sum += s.stamp;
  return sum;
}

void SliceRing::collect(std::int64_t first, std::int64_t last, Slice& out) const {
  for (const Slice& s : slots_) {
    if (s.id < first || s.id > last) continue;
    out.generations.merge(s.generations);
    out.errors += s.errors;
    out.cache.merge(s.cache);
  }
}

void SliceRing::clear() {
  for (Slice& s : slots_) s = Slice();
  ++counter_;
}

std::size_t Slice::heap_bytes() const {
  std::size_t total = 0;
  const GenerationStats& g = generations;
  for (const Series* series : {&g.latency_ms, &g.ttft_ms, &g.decode_tps, &g.prefill_tps, &g.tpot_ms, &g.chunk_gap_ms})
    total += series->memory_bytes() - sizeof(Series);
  return total;
}

std::size_t SliceRing::memory_bytes() const {
  std::size_t total = slots_.capacity() * sizeof(Slice);
  for (const Slice& s : slots_) total += s.heap_bytes();
  return total;
}

// ---------------------------------------------------------------------------------------------
// Monitor

Monitor::Monitor() = default;
Monitor::Monitor(Config config) : config_(std::move(config)) {}

void Monitor::configure(Config config) {
  ++changes_;
  config_ = std::move(config);
  trim_histories();
}

void Monitor::trim_histories() {
  while (generations_.size() > config_.history_size) generations_.pop_front();
  while (memory_.size() > config_.history_size) memory_.pop_front();
}

void Monitor::reset(double now_ms) {
  ++changes_;
  ++epoch_;
  state_ = SessionState();
  state_.since = now_ms;
  generations_.clear();
  memory_.clear();
  fine_.clear();
  coarse_.clear();
}

Status Monitor::record(GenerationEvent e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  DerivedTimings d = derive(e);
  place(e, d);
  return Status::success();
}

void Monitor::place(GenerationEvent& e, const DerivedTimings& d) {
  for (SliceRing* ring : {&fine_, &coarse_}) {
    if (Slice* slice = ring->at(e.ended_at())) {
      slice->generations.add(e, d);
      if (e.outcome() == FinishReason::error) ++slice->errors;
    }
  }
  GenerationRecord& r = generations_.emplace_back();
  r.chunks = e.chunk_gaps_ms.empty() ? 0 : e.chunk_gaps_ms.size() + 1;
  // The history keeps no gaps (an empty vector that holds no memory); the caller gets the
  // vector back, emptied, to reuse its capacity.
  std::vector<double> gaps;
  gaps.swap(e.chunk_gaps_ms);
  if (!e.has_finish_reason) {
    e.finish_reason = e.outcome();
    e.has_finish_reason = true;
  }
  r.event = std::move(e);
  r.derived = d;
  trim_histories();
  gaps.clear();
  e.chunk_gaps_ms = std::move(gaps);
}

Status Monitor::record(ModelLoadEvent e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  double end = e.started_at + e.duration_ms;
  for (SliceRing* ring : {&fine_, &coarse_}) {
    if (Slice* slice = ring->at(end)) {
      if (!e.error_name.empty()) ++slice->errors;
      else if (e.from_cache == Tristate::yes) ++slice->cache.hits;
      else if (e.from_cache == Tristate::no) ++slice->cache.misses;
    }
  }
  return Status::success();
}

Status Monitor::record(CacheLookupEvent e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  for (SliceRing* ring : {&fine_, &coarse_})
    if (Slice* slice = ring->at(e.timestamp)) ++(e.hit ? slice->cache.hits : slice->cache.misses);
  return Status::success();
}

Status Monitor::record(OperationEvent e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  if (!e.success)
    for (SliceRing* ring : {&fine_, &coarse_})
      if (Slice* slice = ring->at(e.started_at + e.duration_ms)) ++slice->errors;
  return Status::success();
}

Status Monitor::record_durations(const std::string& name, bool success, double started_at,
                                 const double* values, std::size_t n) {
  ++changes_;
  OperationEvent probe;
  probe.name = name;
  probe.started_at = started_at;
  probe.duration_ms = 0;
  probe.success = success;
  if (Status s = validate(probe); !s) {
    state_.reject(s);
    return s;
  }
  // One pass: add values while they are valid; refuse an invalid one with its message and go on.
  Status first = Status::success();
  auto refuse = [&](double v) {
    OperationEvent e = probe;
    e.duration_ms = v;
    Status s = validate(e);
    state_.reject(s);
    if (first) first = s;
  };
  constexpr double kMax = Limits::kMaxDurationMs;
  std::size_t i = 0;
  while (i < n && !(values[i] >= 0 && values[i] <= kMax)) refuse(values[i++]);
  if (i == n) return first;  // no valid value: no operation entry either
  OperationStats& op = state_.operations.at(name);
  std::size_t added = 0;
  while (i < n) {
    std::size_t k = op.duration_ms.add_valid(values + i, n - i, kMax);
    added += k;
    i += k;
    if (i < n) refuse(values[i++]);
  }
  n = added;
  (success ? op.succeeded : op.failed) += n;
  if (!success) {
    state_.errors += n - 1;  // add_error counts one
    state_.errors_by_name.at("Error") += n - 1;
    state_.add_error({started_at, "Error", "", "", name});
    for (SliceRing* ring : {&fine_, &coarse_})
      if (Slice* slice = ring->at(started_at)) slice->errors += n;
  }
  state_.touch(started_at);
  return first;
}

Status Monitor::record(MemorySample e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  memory_.push_back(std::move(e));
  trim_histories();
  return Status::success();
}

Status Monitor::record(WebGpuInfo e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  return Status::success();
}

Status Monitor::record(DeviceLostEvent e) {
  ++changes_;
  if (Status s = validate(e); !s) {
    state_.reject(s);
    return s;
  }
  state_.add(e);
  for (SliceRing* ring : {&fine_, &coarse_})
    if (Slice* slice = ring->at(e.timestamp)) ++slice->errors;
  return Status::success();
}

json Monitor::window_metrics(const char* name, double now_ms) const {
  for (std::size_t i = 0; i < std::size(kWindows); ++i) {
    const Window& w = kWindows[i];
    if (std::string(name) != w.name) continue;
    const SliceRing& ring = w.fine ? fine_ : coarse_;
    std::int64_t last = ring.id_of(now_ms);
    std::int64_t first = last - w.back;
    // The slices before the current one rarely change: merge them again only when they did.
    WindowCache& cache = window_cache_[i];
    std::uint64_t stamp = ring.stamp_of(first, last - 1);
    if (cache.first != first || cache.last != last || cache.stamp != stamp) {
      cache.merged = Slice();
      ring.collect(first, last - 1, cache.merged);
      cache.first = first;
      cache.last = last;
      cache.stamp = stamp;
    }
    Slice agg = cache.merged;
    ring.collect(last, last, agg);
    double span = now_ms - static_cast<double>(first) * ring.width_ms();
    return json{{"spanMs", span},
                {"generations", agg.generations.metrics(span)},
                {"errors", {{"total", agg.errors}}},
                {"cache", agg.cache.metrics()}};
  }
  return nullptr;
}

json Monitor::cost() const {
  json by_model = json::object();
  double input = 0, output = 0;
  for (const auto& [model, g] : state_.by_model.items) {
    auto it = config_.prices.find(model);
    if (it == config_.prices.end()) it = config_.prices.find("*");
    Price p = it == config_.prices.end() ? Price{} : it->second;
    double in = static_cast<double>(g.prompt_tokens) / 1000.0 * p.input_per_1k;
    double out = static_cast<double>(g.completion_tokens) / 1000.0 * p.output_per_1k;
    input += in;
    output += out;
    by_model[model] = json{{"input", in}, {"output", out}, {"total", in + out}};
  }
  return json{{"currency", config_.currency},
              {"input", input},
              {"output", output},
              {"total", input + output},
              {"byModel", std::move(by_model)}};
}

json Monitor::health(double now_ms, const json& metrics) const {
  const json& w5 = metrics["windows"]["5m"]["generations"];
  bool recent = w5["total"].get<std::uint64_t>() > 0;
  const json& g = recent ? w5 : metrics["generations"];
  struct Check {
    const char* metric;
    const char* label;
    const char* unit;
    double value;
    const Threshold& t;
    bool lower_is_worse;
  };
  double heap_used = state_.memory_latest.used_js_heap;
  double heap_limit = state_.memory_latest.js_heap_limit;
  double heap = state_.memory_samples && present(heap_used) && present(heap_limit) && heap_limit > 0
                    ? heap_used / heap_limit
                    : NAN;
  Check checks[] = {
      {"generations.ttftMs.p95", "p95 time to first token", " ms", number_at(g, {"ttftMs", "p95"}),
       config_.ttft_p95_ms, false},
      {"generations.latencyMs.p95", "p95 latency", " ms", number_at(g, {"latencyMs", "p95"}),
       config_.latency_p95_ms, false},
      {"generations.errorRate", "error rate", "", number_at(g, {"errorRate"}), config_.error_rate, false},
      {"generations.decodeTokensPerSec.p50", "p50 decode speed", " tokens/s",
       number_at(g, {"decodeTokensPerSec", "p50"}), config_.decode_tokens_per_sec_p50, true},
      {"memory.jsHeapFraction", "JS heap use", " of the limit", heap, config_.js_heap_fraction, false},
  };
  int worst = 0;
  json reasons = json::array();
  for (const Check& c : checks) {
    if (std::isnan(c.value)) continue;
    auto beyond = [&](double limit) {
      return present(limit) && (c.lower_is_worse ? c.value < limit : c.value > limit);
    };
    int level = beyond(c.t.critical) ? 2 : beyond(c.t.warning) ? 1 : 0;
    if (!level) continue;
    worst = std::max(worst, level);
    double limit = level == 2 ? c.t.critical : c.t.warning;
    reasons.push_back(json{
        {"metric", c.metric},
        {"level", level == 2 ? "critical" : "warning"},
        {"value", c.value},
        {"threshold", limit},
        {"message", fmt::format("{} {:.4g}{} is {} the {} threshold {:.4g}{}", c.label, c.value, c.unit,
                                c.lower_is_worse ? "below" : "above",
                                level == 2 ? "critical" : "warning", limit, c.unit)}});
  }
  (void)now_ms;
  static const char* kLevels[] = {"healthy", "warning", "critical"};
  return json{{"status", kLevels[worst]}, {"basis", recent ? "5m" : "session"}, {"reasons", std::move(reasons)}};
}

json Monitor::metrics(double now_ms) const {
  const SessionState& s = state_;
  json out = json::object();

  json gen = s.generations.metrics();
  for (const auto& [key, map] : {std::make_pair("byType", &s.by_type), std::make_pair("byModel", &s.by_model),
                                 std::make_pair("byOperation", &s.by_operation)}) {
    json groups = json::object();
    for (const auto& [k, v] : map->items) groups[k] = v.metrics();
    gen[key] = std::move(groups);
  }
  out["generations"] = std::move(gen);

  const LastLoad& last = s.last_load;
  json last_from_cache = last.from_cache == Tristate::unknown ? json(nullptr)
                                                              : json(last.from_cache == Tristate::yes);
  out["initialization"] = json{
      {"loads", s.loads},
      {"succeeded", s.loads - s.loads_failed},
      {"failed", s.loads_failed},
      {"fromCache", s.loads_from_cache},
      {"downloaded", s.loads_downloaded},
      {"unknownCache", s.loads - s.loads_failed - s.loads_from_cache - s.loads_downloaded},
      {"bytesFetched", s.bytes_fetched},
      {"lastModel", last.present ? json(last.model) : json(nullptr)},
      {"lastDurationMs", last.present ? json(last.duration_ms) : json(nullptr)},
      {"lastFromCache", last.present ? last_from_cache : json(nullptr)},
      {"lastBytesFetched", last.present ? jsonio::number_or_null(last.bytes_fetched) : json(nullptr)},
      {"lastSucceeded", last.present ? json(last.succeeded) : json(nullptr)},
      {"lastLoadedAt", last.present ? json(last.started_at) : json(nullptr)},
      {"loadMs", s.load_ms.summary()}};

  HitMiss all;
  json by_name = json::object();
  for (const auto& [k, v] : s.cache.items) {
    all.merge(v);
    by_name[k] = v.metrics();
  }
  json cache = all.metrics();
  cache["byName"] = std::move(by_name);
  out["cache"] = std::move(cache);

  json recent = json::array();
  for (auto it = s.recent_errors.rbegin(); it != s.recent_errors.rend(); ++it)
    recent.push_back(it->to_json());  // newest first
  json errors_by_name = json::object();
  for (const auto& [k, v] : s.errors_by_name.items) errors_by_name[k] = v;
  out["errors"] = json{{"total", s.errors}, {"byName", std::move(errors_by_name)}, {"recent", std::move(recent)}};

  out["memory"] = json{{"samples", s.memory_samples},
                       {"latest", s.memory_samples ? to_json(s.memory_latest) : json(nullptr)},
                       {"peak", s.memory_samples ? to_json(s.memory_peak) : json(nullptr)}};

  json lost = json::array();
  for (auto it = s.recent_device_lost.rbegin(); it != s.recent_device_lost.rend(); ++it)
    lost.push_back(to_json(*it));
  json webgpu{{"available", s.has_webgpu ? json(s.webgpu.available) : json(nullptr)},
              {"adapter", nullptr},
              {"limits", json::object()},
              {"features", json::array()},
              {"deviceLost", {{"total", s.device_lost}, {"recent", std::move(lost)}}}};
  if (s.has_webgpu && s.webgpu.available) {
    json info = to_json(s.webgpu);
    webgpu["adapter"] = json{{"vendor", info["vendor"]},
                             {"architecture", info["architecture"]},
                             {"device", info["device"]},
                             {"description", info["description"]},
                             {"isFallbackAdapter", info["isFallbackAdapter"]}};
    webgpu["limits"] = info["limits"];
    webgpu["features"] = info["features"];
  }
  out["webgpu"] = std::move(webgpu);

  json ops = json::object();
  for (const auto& [k, v] : s.operations.items) {
    std::uint64_t n = v.succeeded + v.failed;
    ops[k] = json{{"count", n},
                  {"succeeded", v.succeeded},
                  {"failed", v.failed},
                  {"successRate", n ? json(static_cast<double>(v.succeeded) / static_cast<double>(n)) : json(nullptr)},
                  {"durationMs", v.duration_ms.summary()}};
  }
  out["operations"] = std::move(ops);
  out["cost"] = cost();

  json rejected_recent = json::array();
  for (auto it = s.recent_rejections.rbegin(); it != s.recent_rejections.rend(); ++it)
    rejected_recent.push_back(json{{"field", it->name}, {"message", it->message}});
  json rejected_by_field = json::object();
  for (const auto& [k, v] : s.rejected_by_field.items) rejected_by_field[k] = v;
  out["rejected"] = json{{"total", s.rejected}, {"byField", std::move(rejected_by_field)},
                         {"recent", std::move(rejected_recent)}};

  json windows = json::object();
  for (const Window& w : kWindows) windows[w.name] = window_metrics(w.name, now_ms);
  out["windows"] = std::move(windows);
  out["health"] = health(now_ms, out);
  // The status of these metrics, for status() until the data changes or the windows move on:
  // within one window step, no part of it depends on the exact time.
  status_cache_ = {true, changes_, window_step(now_ms), status_from(out)};
  return out;
}

json Monitor::status(double now_ms) const {
  if (!status_cache_.valid || status_cache_.changes != changes_ || status_cache_.step != window_step(now_ms))
    (void)metrics(now_ms);  // fills the cache
  return status_cache_.status;
}

json Monitor::status_from(const json& metrics) const {
  const LastLoad& last = state_.last_load;
  return json{{"health", metrics["health"]["status"]},
              {"healthReasons", metrics["health"]["reasons"]},
              {"model", last.present ? json(last.model) : json(nullptr)},
              {"modelLoaded", last.present && last.succeeded},
              {"generations", state_.generations.total},
              {"errors", state_.errors},
              {"rejected", state_.rejected},
              {"firstEventAt", jsonio::number_or_null(state_.first_event_at)},
              {"lastEventAt", jsonio::number_or_null(state_.last_event_at)}};
}

json Monitor::document_head(const json& metrics, double now_ms, json sketches) const {
  json doc = json::object();
  doc["schemaVersion"] = kSchemaVersion;
  doc["exportedAt"] = iso8601(now_ms);
  doc["exportedAtMs"] = now_ms;
  doc["status"] = status_from(metrics);
  doc["metrics"] = metrics;
  doc["generations"] = json::array();
  doc["memorySnapshots"] = json::array();
  doc["sketches"] = std::move(sketches);
  return doc;
}

namespace {

// Room for a history's text, reserved at once (a string that doubles holds 1.5 times its size
// while it copies): its strings at most twice their size once escaped (free text has no control
// characters but tab and line breaks), the rest of a record about 450 bytes, reserved as 640.
std::size_t generations_room(const std::deque<GenerationRecord>& records) {
  std::size_t room = 2;
  for (const GenerationRecord& r : records) {
    const GenerationEvent& e = r.event;
    room += 640 + 2 * (e.model.size() + e.type.size() + e.error_name.size() + e.error_message.size());
  }
  return room;
}

std::size_t memory_room(const std::deque<MemorySample>& samples) {
  std::size_t room = 2;
  for (const MemorySample& m : samples) room += 400 + 2 * m.label.size();
  return room;
}

/// A JSON array of `items`, each serialized on its own: the peak is the text, not a DOM of all
/// of them (100,000 history records with long messages took ~1.9 GiB of wasm memory that way,
/// a step from the 2 GiB where an allocation fails and the module aborts).
template <class Items, class ToJson>
void append_array(std::string& out, const Items& items, ToJson to_json) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    out += jsonio::dump(to_json(item));
  }
  out += ']';
}

void append_generations(std::string& out, const std::deque<GenerationRecord>& records) {
  append_array(out, records, [](const GenerationRecord& r) { return r.to_json(); });
}

void append_memory(std::string& out, const std::deque<MemorySample>& samples) {
  append_array(out, samples, [](const MemorySample& m) { return to_json(m); });
}

}  // namespace

json Monitor::export_document(double now_ms) const {
  json doc = document_head(metrics(now_ms), now_ms, state_.state());
  doc["generations"] = generations_json();
  doc["memorySnapshots"] = memory_json();
  return doc;
}

std::string Monitor::export_json(double now_ms) const {
  // The head's members as text, in the document's (sorted) key order; the histories, empty in
  // the head, are written record by record in their place. The head's DOM is gone before the
  // output is reserved.
  std::vector<std::pair<std::string, std::string>> members;
  std::size_t room = 2 + generations_room(generations_) + memory_room(memory_);
  {
    const json head = document_head(metrics(now_ms), now_ms, state_.state());
    for (auto it = head.begin(); it != head.end(); ++it) {
      const bool history = it.key() == "generations" || it.key() == "memorySnapshots";
      members.emplace_back(it.key(), history ? std::string() : jsonio::dump(it.value()));
      room += it.key().size() + 4 + members.back().second.size();
    }
  }
  std::string out;
  out.reserve(room);
  out += '{';
  for (const auto& [key, text] : members) {
    if (out.size() > 1) out += ',';
    out += jsonio::dump(json(key));
    out += ':';
    if (key == "generations") append_generations(out, generations_);
    else if (key == "memorySnapshots") append_memory(out, memory_);
    else out += text;
  }
  out += '}';
  return out;
}

std::string Monitor::generations_text() const {
  std::string out;
  out.reserve(generations_room(generations_));
  append_generations(out, generations_);
  return out;
}

std::string Monitor::memory_text() const {
  std::string out;
  out.reserve(memory_room(memory_));
  append_memory(out, memory_);
  return out;
}

json Monitor::generations_json() const {
  json out = json::array();
  for (const auto& r : generations_) out.push_back(r.to_json());
  return out;
}

json Monitor::memory_json() const {
  json out = json::array();
  for (const auto& s : memory_) out.push_back(to_json(s));
  return out;
}

struct Monitor::Parsed {
  SessionState state;
  std::deque<GenerationRecord> generations;
  std::deque<MemorySample> memory;
};

Status Monitor::parse_document(const std::string& text, Parsed& out) const {
  json doc;
  WLM_TRY(jsonio::parse(text, doc));
  if (!doc.is_object())
    return Status::error("$", fmt::format("$: expected an export object, got {}", jsonio::describe(doc)));
  std::int64_t version = 0;
  const json* v = nullptr;
  WLM_TRY(jsonio::member(doc, "$", "schemaVersion", v));
  if (!v->is_number_integer())
    return Status::error("$.schemaVersion",
                         fmt::format("$.schemaVersion: expected an integer, got {}", jsonio::describe(*v)));
  version = v->get<std::int64_t>();
  if (version == 1)
    return Status::error("$.schemaVersion",
                         "$.schemaVersion: version 1 (duration buckets in milliseconds) cannot be read "
                         "exactly by this build, which reads version 2 (buckets in seconds); export "
                         "the session again with this version");
  if (version != kSchemaVersion)
    return Status::error("$.schemaVersion",
                         fmt::format("$.schemaVersion: version {} is not supported (this build reads "
                                     "version {})",
                                     version, kSchemaVersion));
  const json* sketches = nullptr;
  WLM_TRY(jsonio::object(doc, "$", "sketches", sketches));
  WLM_TRY(out.state.read(*sketches, "$.sketches"));

  const json* gens = nullptr;
  WLM_TRY(jsonio::array(doc, "$", "generations", gens));
  if (gens->size() > kMaxHistory)
    return Status::error("$.generations", fmt::format("$.generations: {} entries, more than {}",
                                                      gens->size(), kMaxHistory));
  for (std::size_t i = 0; i < gens->size(); ++i) {
    GenerationRecord r;
    WLM_TRY(r.read((*gens)[i], child("$.generations", i)));
    out.generations.push_back(std::move(r));
  }
  const json* mem = nullptr;
  WLM_TRY(jsonio::array(doc, "$", "memorySnapshots", mem));
  if (mem->size() > kMaxHistory)
    return Status::error("$.memorySnapshots", fmt::format("$.memorySnapshots: {} entries, more than {}",
                                                          mem->size(), kMaxHistory));
  for (std::size_t i = 0; i < mem->size(); ++i) {
    MemorySample s;
    std::string p = child("$.memorySnapshots", i);
    if (!(*mem)[i].is_object())
      return Status::error(p, fmt::format("{}: expected an object, got {}", p, jsonio::describe((*mem)[i])));
    WLM_TRY(read((*mem)[i], p, s));
    out.memory.push_back(std::move(s));
  }
  return Status::success();
}

Status Monitor::import_json(const std::string& text) {
  ++changes_;
  Parsed p;
  WLM_TRY(parse_document(text, p));
  ++epoch_;
  state_ = std::move(p.state);
  generations_ = std::move(p.generations);
  memory_ = std::move(p.memory);
  fine_.clear();
  coarse_.clear();
  trim_histories();
  return Status::success();
}

Status Monitor::merge_json(const std::string& text) { return merge_json(std::vector<std::string>{text}); }

Status Monitor::merge_json(const std::vector<std::string>& texts) {
  ++changes_;
  std::vector<Parsed> docs(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Status s = parse_document(texts[i], docs[i]);
    if (!s) {
      if (texts.size() > 1) s.message = fmt::format("document {}: {}", i + 1, s.message);
      return s;
    }
  }
  // Each document is within the limits an import checks, but their sum may not be (counts past
  // 2^53, sums past 1e300): merge into a copy first and read it back as an import would, so that
  // the monitor never holds a session its own export could not restore. The merge proper is
  // then done in place, which keeps series objects (and find_series() pointers) where they are.
  {
    SessionState merged = state_;
    for (const Parsed& p : docs) merged.merge(p.state);
    SessionState check;
    if (Status s = check.read(merged.state(), "$.sketches"); !s)
      return Status::error(s.field, fmt::format("{} (in the merged session: nothing was merged)", s.message));
  }
  for (Parsed& p : docs) {
    state_.merge(p.state);
    merge_by_time(generations_, p.generations, config_.history_size,
                  [](const GenerationRecord& r) { return r.event.started_at; });
    merge_by_time(memory_, p.memory, config_.history_size, [](const MemorySample& s) { return s.timestamp; });
  }
  return Status::success();
}

const Series* Monitor::find_series(const std::string& path, bool& known) const {
  known = true;
  if (path == "initialization.loadMs") return &state_.load_ms;
  auto starts = [&](const char* prefix) { return path.rfind(prefix, 0) == 0; };
  std::size_t last = path.rfind('.');
  if (starts("operations.") && last > 11 && path.compare(last, std::string::npos, ".durationMs") == 0) {
    auto it = state_.operations.items.find(path.substr(11, last - 11));
    return it == state_.operations.items.end() ? nullptr : &it->second.duration_ms;
  }
  if (starts("generations.") && last != std::string::npos) {
    std::string name = path.substr(last + 1);
    const GenerationStats* g = nullptr;
    if (last == 11) {
      g = &state_.generations;
    } else {
      for (const auto& [group, map] : {std::pair{"generations.byModel.", &state_.by_model},
                                       std::pair{"generations.byType.", &state_.by_type},
                                       std::pair{"generations.byOperation.", &state_.by_operation}}) {
        std::size_t n = std::strlen(group);
        if (!starts(group) || last <= n) continue;
        auto it = map->items.find(path.substr(n, last - n));
        if (it == map->items.end()) return nullptr;
        g = &it->second;
        break;
      }
    }
    if (g != nullptr) {
      if (const Series* s = g->series(name)) return s;
    }
  }
  known = false;
  return nullptr;
}

Status Monitor::otlp_json(const std::string& options_json, double now_ms, std::string& out) const {
  json in;
  WLM_TRY(jsonio::parse(options_json, in));
  OtlpOptions options;
  WLM_TRY(options.read(in, "otlp"));
  out = jsonio::dump(otlp_metrics(state_, options, now_ms));
  return Status::success();
}

std::string Monitor::text_report(double now_ms) const {
  // The report reads the metrics and the header, not the histories.
  return wlm::text_report(document_head(metrics(now_ms), now_ms, json::object()));
}

std::size_t Monitor::memory_bytes() const {
  std::size_t total = sizeof(*this) + fine_.memory_bytes() + coarse_.memory_bytes();
  for (const WindowCache& c : window_cache_) total += c.merged.heap_bytes();
  auto group = [](const GenerationStats& g) {
    std::size_t n = sizeof(GenerationStats);
    for (const Series* s : {&g.latency_ms, &g.ttft_ms, &g.decode_tps, &g.prefill_tps, &g.tpot_ms, &g.chunk_gap_ms})
      n += s->memory_bytes() - sizeof(Series);
    return n;
  };
  total += group(state_.generations);
  for (const auto* m : {&state_.by_model, &state_.by_type, &state_.by_operation})
    for (const auto& [k, v] : m->items) total += k.size() + group(v);
  for (const auto& [k, v] : state_.operations.items) total += k.size() + v.duration_ms.memory_bytes();
  // The OpenTelemetry attribute sets: up to 134 entries of 7 series, the largest part of a
  // session with many models.
  for (const auto& [k, v] : state_.genai.items) {
    total += k.model.size() + k.error_type.size();
    for (const Series* s : {&v.duration_ms, &v.input_tokens, &v.output_tokens, &v.server_ttft_ms,
                            &v.server_tpot_ms, &v.first_chunk_ms, &v.chunk_gap_ms})
      total += s->memory_bytes();
  }
  for (const auto& [k, v] : state_.loads_by.items)
    total += k.model.size() + k.error_type.size() + v.duration_ms.memory_bytes();
  total += state_.load_ms.memory_bytes();
  total += generations_.size() * sizeof(GenerationRecord) + memory_.size() * sizeof(MemorySample);
  // The histories' strings: with long error messages, the largest part of a long history.
  for (const GenerationRecord& r : generations_) {
    const GenerationEvent& e = r.event;
    total += e.model.capacity() + e.type.capacity() + e.error_name.capacity() + e.error_message.capacity();
  }
  for (const MemorySample& m : memory_) total += m.label.capacity();
  return total;
}

std::string iso8601(double epoch_ms) {
  if (!std::isfinite(epoch_ms)) epoch_ms = 0;
  auto ms = static_cast<std::int64_t>(std::floor(epoch_ms));
  std::int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  std::int64_t rem = ms - days * 86'400'000;
  // Civil date from days since 1970-01-01 (proleptic Gregorian).
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3'600'000,
                     rem / 60'000 % 60, rem / 1000 % 60, rem % 1000);
}

}  // namespace wlm

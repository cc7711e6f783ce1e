#include "monitor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "otlp.hpp"
#include "report.hpp"

namespace wlm {

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
  for (const Series* series :
       {&g.latency_ms, &g.ttft_ms, &g.decode_tps, &g.prefill_tps, &g.tpot_ms, &g.chunk_gap_ms})
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
  WLM_TRY(admit(e));
  DerivedTimings d = derive(e);
  PreparedGeneration p;
  p.prepare(e, d);
  state_.add(p);
  place(e, d, p);
  return Status::success();
}

void Monitor::place(GenerationEvent& e, const DerivedTimings& d, const PreparedGeneration& p) {
  each_slice(e.ended_at(), [&](Slice& slice) {
    slice.generations.add(p);
    if (p.outcome == FinishReason::error) ++slice.errors;
  });
  // A full history reuses its oldest record, whose strings keep their buffers: in the steady
  // state a generation allocates nothing here.
  GenerationRecord* r = nullptr;
  if (config_.history_size > 0 && generations_.size() >= config_.history_size) {
    GenerationRecord oldest = std::move(generations_.front());
    generations_.pop_front();
    r = &generations_.emplace_back(std::move(oldest));
  } else {
    r = &generations_.emplace_back();
  }
  r->chunks = p.chunk_gaps.n == 0 ? 0 : p.chunk_gaps.n + 1;
  // The history keeps no gaps (an empty vector that holds no memory); the caller keeps its
  // vector, emptied, to reuse its capacity.
  std::vector<double> gaps;
  gaps.swap(e.chunk_gaps_ms);
  if (!e.has_finish_reason) {
    e.finish_reason = e.outcome();
    e.has_finish_reason = true;
  }
  r->event = e;
  r->derived = d;
  trim_histories();
  gaps.clear();
  e.chunk_gaps_ms = std::move(gaps);
}

Status Monitor::record(ModelLoadEvent e) {
  WLM_TRY(admit(e));
  state_.add(e);
  double end = e.started_at + e.duration_ms;
  each_slice(end, [&](Slice& slice) {
    if (!e.error_name.empty())
      ++slice.errors;
    else if (e.from_cache == Tristate::yes)
      ++slice.cache.hits;
    else if (e.from_cache == Tristate::no)
      ++slice.cache.misses;
  });
  return Status::success();
}

Status Monitor::record(CacheLookupEvent e) {
  WLM_TRY(admit(e));
  state_.add(e);
  each_slice(e.timestamp, [&](Slice& slice) { ++(e.hit ? slice.cache.hits : slice.cache.misses); });
  return Status::success();
}

Status Monitor::record(OperationEvent e) {
  WLM_TRY(admit(e));
  state_.add(e);
  if (!e.success) each_slice(e.started_at + e.duration_ms, [](Slice& slice) { ++slice.errors; });
  return Status::success();
}

Status Monitor::record_durations(const std::string& name, bool success, double started_at,
                                 const double* values, std::size_t n) {
  OperationEvent probe;
  probe.name = name;
  probe.started_at = started_at;
  probe.duration_ms = 0;
  probe.success = success;
  WLM_TRY(admit(probe));
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
    each_slice(started_at, [n](Slice& slice) { slice.errors += n; });
  }
  state_.touch(started_at);
  return first;
}

Status Monitor::record(MemorySample e) {
  WLM_TRY(admit(e));
  state_.add(e);
  memory_.push_back(std::move(e));
  trim_histories();
  return Status::success();
}

Status Monitor::record(WebGpuInfo e) {
  WLM_TRY(admit(e));
  state_.add(e);
  return Status::success();
}

Status Monitor::record(DeviceLostEvent e) {
  WLM_TRY(admit(e));
  state_.add(e);
  each_slice(e.timestamp, [](Slice& slice) { ++slice.errors; });
  return Status::success();
}

Status Monitor::find_series(const std::string& path, const Series*& out) const {
  bool known = path.size() <= kMaxSeriesPathBytes;
  out = known ? lookup_series(path, known) : nullptr;
  if (known) return Status::success();
  return Status::error(
      "path",
      fmt::format("{} names no series (generations[.byModel|byType|byOperation.<key>].<series>, "
                  "operations.<name>.durationMs, initialization.loadMs)",
                  jsonio::quote_short(path, 80)));
}

const Series* Monitor::lookup_series(const std::string& path, bool& known) const {
  known = true;
  if (path == "initialization.loadMs") return &state_.load_ms;
  auto starts = [&](const char* prefix) { return path.rfind(prefix, 0) == 0; };
  std::size_t last = path.rfind('.');
  if (starts("operations.") && last > 11 &&
      path.compare(last, std::string::npos, ".durationMs") == 0) {
    auto it = state_.operations.items.find(path.substr(11, last - 11));
    return it == state_.operations.items.end() ? nullptr : &it->second.duration_ms;
  }
  if (starts("generations.") && last != std::string::npos) {
    std::string name = path.substr(last + 1);
    const GenerationStats* g = nullptr;
    if (last == 11) {
      g = &state_.generations;
    } else {
      for (const auto& [group, map] :
           {std::pair{"generations.byModel.", &state_.by_model},
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
  for (const WindowCache& c : window_cache_)
    total += c.merged.heap_bytes() + c.current.heap_bytes();
  auto group = [](const GenerationStats& g) {
    std::size_t n = sizeof(GenerationStats);
    for (const Series* s :
         {&g.latency_ms, &g.ttft_ms, &g.decode_tps, &g.prefill_tps, &g.tpot_ms, &g.chunk_gap_ms})
      n += s->memory_bytes() - sizeof(Series);
    return n;
  };
  total += group(state_.generations);
  for (const auto* m : {&state_.by_model, &state_.by_type, &state_.by_operation})
    for (const auto& [k, v] : m->items) total += k.size() + group(v);
  for (const auto& [k, v] : state_.operations.items)
    total += k.size() + v.duration_ms.memory_bytes();
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
    total += e.model.capacity() + e.type.capacity() + e.error_name.capacity() +
             e.error_message.capacity();
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

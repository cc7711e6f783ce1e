#include "aggregates/session_state.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace wlm {
namespace {

/// Where a new key goes once a folded map is full: model and error type become "(other)".
template <class Key>
Key fold_other(Key k) {
  k.model = kOtherKey;
  if (!k.error_type.empty()) k.error_type = kOtherKey;
  return k;
}
const auto fold_genai = fold_other<GenAiKey>;
const auto fold_load = fold_other<LoadKey>;

/// Keeps the newest `cap` records of two time-ordered lists.
template <class T, class TimeOf>
void merge_recent(std::deque<T>& mine, const std::deque<T>& theirs, std::size_t cap,
                  TimeOf time_of) {
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

}  // namespace

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
  PreparedGeneration p;
  p.prepare(e, d);
  add(p);
}

void SessionState::add(const PreparedGeneration& p) {
  const GenerationEvent& e = *p.event;
  generations.add(p);
  by_model.at(e.model).add(p);
  by_type.at(e.type).add(p);
  by_operation.at(to_string(e.operation)).add(p);

  FinishReason out = p.outcome;
  GenAiKey key{e.operation, e.model, ""};
  if (out == FinishReason::error) key.error_type = e.error_name;
  if (out == FinishReason::abort)
    key.error_type = e.error_name.empty() ? "AbortError" : e.error_name;
  GenAiStats& g = genai.at(key, fold_genai);
  g.duration_ms.add(p.duration);
  bool tokens = present(e.prompt_tokens) || present(e.completion_tokens);
  bool chunks = present(e.ttft_ms) || !e.chunk_gaps_ms.empty();
  if (key.error_type.empty() || tokens || chunks) {
    // Token usage and stream timings carry no error type: the attribute set without one.
    GenAiStats& ok = key.error_type.empty() ? g : genai.at({e.operation, e.model, ""}, fold_genai);
    ok.add_usage(p, key.error_type.empty());
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
  if (!e.success)
    add_error({e.started_at + e.duration_ms, e.error_name, e.error_message, "", e.name});
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
  auto merge_groups = [](CappedMap<GenerationStats>& mine,
                         const CappedMap<GenerationStats>& theirs) {
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
  for (const auto& [k, v] : o.loads_by.items)
    loads_by.at(k, fold_load).duration_ms.merge(v.duration_ms);
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

}  // namespace wlm

// Everything a session has seen, as mergeable aggregates: breakdowns with capped keys, loads,
// caches, errors, operations, memory, WebGPU and rejections. Add and merge here; the state JSON
// in codec/session_json.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "aggregates/generation_stats.hpp"
#include "aggregates/series.hpp"
#include "events.hpp"
#include "json_io.hpp"

namespace wlm {

/// A map whose number of keys is capped: `cap` keys at most, the last being "(other)", into
/// which every key past the first cap - 1 folds.
template <class V>
struct CappedMap {
  std::map<std::string, V> items;
  std::size_t cap = 64;
  V& at(const std::string& key) {
    auto it = items.find(key);
    if (it != items.end()) return it->second;
    if (items.size() + 1 >= cap) return items["(other)"];
    return items[key];
  }
};
inline const char* kOtherKey = "(other)";

struct HitMiss {
  std::uint64_t hits = 0, misses = 0;
  void merge(const HitMiss& o) {
    hits += o.hits;
    misses += o.misses;
  }
  /// {hitRate, hits, lookups, misses} (codec/generation_json.cpp).
  void write_metrics(jsonw::Writer& w) const;
  /// Those members without the braces, for an object that has more.
  void write_members(jsonw::Writer& w) const;
};

struct ErrorRecord {
  double time = 0;
  std::string name, message, model, operation;
  json to_json() const;
  Status read(const json& in, const std::string& path);
};

struct OperationStats {
  std::uint64_t succeeded = 0, failed = 0;
  Series duration_ms{Unit::milliseconds};
};

/// Model loads by model, source and, for failed loads, error type (the error's name).
struct LoadKey {
  std::string model;
  Tristate from_cache = Tristate::unknown;
  std::string error_type;  // empty: succeeded
  bool operator<(const LoadKey& o) const {
    if (model != o.model) return model < o.model;
    if (from_cache != o.from_cache) return from_cache < o.from_cache;
    return error_type < o.error_type;
  }
};

struct LoadStats {
  Series duration_ms{Unit::milliseconds};
};

/// A map keyed by attribute sets with at most `cap` entries; past it, new keys fold into the
/// entry `fold(key)` names (the key with its model replaced by "(other)").
template <class K, class V>
struct FoldedMap {
  std::map<K, V> items;
  std::size_t cap;
  template <class Fold>
  V& at(const K& key, Fold fold) {
    auto it = items.find(key);
    if (it != items.end()) return it->second;
    if (items.size() >= cap) return items[fold(key)];
    return items[key];
  }
};

struct LastLoad {
  bool present = false;
  std::string model;
  double started_at = NAN, duration_ms = NAN, bytes_fetched = NAN;
  Tristate from_cache = Tristate::unknown;
  bool succeeded = false;
};

/// Everything a session has seen, mergeable and serializable. No clock, no configuration.
struct SessionState {
  static constexpr std::size_t kRecentErrors = 50;
  static constexpr std::size_t kRecentRejections = 20;
  static constexpr std::size_t kRecentDeviceLost = 10;

  /// Start of the aggregation (epoch ms): the start time of cumulative OpenTelemetry points.
  /// NaN when not known (then the first event's time stands in).
  double since = NAN;

  GenerationStats generations;
  CappedMap<GenerationStats> by_model{{}, 64}, by_type{{}, 128}, by_operation{{}, 8};
  /// Past 128 entries, new models fold into "(other)": at most 3 x 2 more entries.
  FoldedMap<GenAiKey, GenAiStats> genai{{}, 128};

  std::uint64_t loads = 0, loads_failed = 0, loads_from_cache = 0, loads_downloaded = 0;
  double bytes_fetched = 0;
  Series load_ms{Unit::milliseconds};
  LastLoad last_load;
  /// Every load's duration, failed ones included. Past 64 entries models fold into "(other)".
  FoldedMap<LoadKey, LoadStats> loads_by{{}, 64};

  CappedMap<HitMiss> cache{{}, 64};

  std::uint64_t errors = 0;
  CappedMap<std::uint64_t> errors_by_name{{}, 128};
  std::deque<ErrorRecord> recent_errors;

  CappedMap<OperationStats> operations{{}, 256};

  std::uint64_t memory_samples = 0;
  MemorySample memory_latest, memory_peak;

  bool has_webgpu = false;
  WebGpuInfo webgpu;
  std::uint64_t device_lost = 0;
  std::deque<DeviceLostEvent> recent_device_lost;

  std::uint64_t rejected = 0;
  CappedMap<std::uint64_t> rejected_by_field{{}, 64};
  std::deque<ErrorRecord> recent_rejections;  // name = field, message = reason

  double first_event_at = NAN, last_event_at = NAN;

  void add(const GenerationEvent& e);
  /// add(*p.event), its values readied (p.derived: derive(*p.event)).
  void add(const PreparedGeneration& p);
  void add(const ModelLoadEvent& e);
  void add(const CacheLookupEvent& e);
  void add(const OperationEvent& e);
  void add(const MemorySample& e);
  void add(const WebGpuInfo& e);
  void add(const DeviceLostEvent& e);
  void add_error(ErrorRecord r);
  void reject(const Status& s);
  void touch(double t);

  void merge(const SessionState& o);
  json state() const;
  Status read(const json& in, const std::string& path);
};

/// The numeric fields of a memory sample by their JSON key.
struct MemoryField {
  const char* key;
  double MemorySample::*member;
};
inline constexpr MemoryField kMemoryFields[] = {
    {"usedJSHeapSize", &MemorySample::used_js_heap},
    {"totalJSHeapSize", &MemorySample::total_js_heap},
    {"jsHeapSizeLimit", &MemorySample::js_heap_limit},
    {"userAgentBytes", &MemorySample::ua_measured_bytes},
    {"wasmHeapBytes", &MemorySample::wasm_heap_bytes},
    {"gpuBufferBytes", &MemorySample::gpu_buffer_bytes},
    {"storageUsage", &MemorySample::storage_usage},
    {"storageQuota", &MemorySample::storage_quota},
};

}  // namespace wlm

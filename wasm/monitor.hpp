// The core's object-level API: configure, record events, read metrics, export, import, merge.
// The core has no clock: every call that depends on "now" takes it in epoch milliseconds.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "generated/description.hpp"
#include "state.hpp"

namespace wlm {

namespace ingest {
class Recorder;
}

/// 2: duration buckets in seconds ("unit" on every histogram), "since", "genAi", "loads.byKey".
inline constexpr int kSchemaVersion = 2;

/// A health threshold: `warning` and `critical` levels; for "higher is better" metrics the
/// level is reached when the value falls below it. NaN disables a level.
struct Threshold {
  double warning = NAN;
  double critical = NAN;
};

struct Price {
  double input_per_1k = 0;   // per 1,000 prompt tokens
  double output_per_1k = 0;  // per 1,000 completion tokens
};

/// The most records a history keeps (`historySize`'s upper bound), and the most an export's
/// histories may hold.
inline constexpr std::size_t kMaxHistory = 100'000;
/// No series path is longer: a prefix, a name of at most Limits::kMaxNameBytes and a series name.
inline constexpr std::size_t kMaxSeriesPathBytes = 2 * Limits::kMaxNameBytes;

/// A sliding window of the metrics: which ring of slices, and how many slices before the
/// current one it spans.
struct Window {
  const char* name;
  bool fine;          // the 10 s ring, else the 1 min ring
  std::int64_t back;  // slices before the current one
};
inline constexpr Window kWindows[] = {{"1m", true, 6}, {"5m", true, 30}, {"1h", false, 60}};

struct Config {
  std::size_t history_size = 1000;
  std::string currency = "USD";
  std::map<std::string, Price> prices;  // by model; "*" applies to models not listed
  /// By health check (description::kHealthChecks), from its defaults.
  std::array<Threshold, description::kHealthCheckCount> thresholds = default_thresholds();

  /// The threshold of the check whose key is `key` ("ttftP95Ms"), nullptr for none.
  Threshold* threshold(std::string_view key) {
    std::size_t i = check_index(key);
    return i < thresholds.size() ? &thresholds[i] : nullptr;
  }
  const Threshold* threshold(std::string_view key) const {
    std::size_t i = check_index(key);
    return i < thresholds.size() ? &thresholds[i] : nullptr;
  }
  /// The index of the check whose threshold key is `key`; kHealthCheckCount for none.
  static std::size_t check_index(std::string_view key) {
    std::size_t i = 0;
    while (i < description::kHealthCheckCount && description::kHealthChecks[i].threshold != key)
      ++i;
    return i;
  }
  static std::array<Threshold, description::kHealthCheckCount> default_thresholds() {
    std::array<Threshold, description::kHealthCheckCount> out;
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = {description::kHealthChecks[i].warning, description::kHealthChecks[i].critical};
    return out;
  }

  json to_json() const;
  /// Reads a partial configuration over this one: keys not given keep their value.
  Status read(const json& in, const std::string& path);
};

/// One entry of the generation history shown in tables and charts.
struct GenerationRecord {
  GenerationEvent event;  // without chunk gaps
  std::uint64_t chunks = 0;
  DerivedTimings derived;
  json to_json() const;
  Status read(const json& in, const std::string& path);
};

/// A time slice of the sliding windows: mergeable aggregates of the events that ended in it.
struct Slice {
  std::int64_t id = INT64_MIN;
  std::uint64_t stamp = 0;  // SliceRing's counter at the slice's last change
  GenerationStats generations;
  std::uint64_t errors = 0;
  HitMiss cache;
  /// Bytes its series hold beyond sizeof(Slice).
  std::size_t heap_bytes() const;
  void clear(std::int64_t new_id) {
    *this = Slice();
    id = new_id;
  }
};

/// A ring of fixed-width slices; an event older than the ring is left out of the windows.
class SliceRing {
 public:
  SliceRing(double width_ms, std::size_t slots) : width_ms_(width_ms), slots_(slots) {}
  /// The slice for time t, or nullptr when t is older than the ring holds.
  Slice* at(double t);
  /// Merges the slices whose id is in [first, last] into `out`.
  void collect(std::int64_t first, std::int64_t last, Slice& out) const;
  /// A fingerprint of the slices whose id is in [first, last] and of their last changes: a merge
  /// of them made when it was the same is still exact.
  std::uint64_t stamp_of(std::int64_t first, std::int64_t last) const;
  std::int64_t id_of(double t) const;
  double width_ms() const { return width_ms_; }
  void clear();
  std::size_t memory_bytes() const;

 private:
  double width_ms_;
  std::vector<Slice> slots_;
  std::uint64_t counter_ = 0;  // never reset, so that stamps never repeat
};

class Monitor {
 public:
  Monitor();
  explicit Monitor(Config config);

  /// Replaces the configuration; collected data is kept (histories are cut to the new size).
  void configure(Config config);
  const Config& config() const { return config_; }

  /// Each validates the event. Invalid: the rejection is counted and nothing else changes.
  Status record(GenerationEvent e);
  Status record(ModelLoadEvent e);
  Status record(CacheLookupEvent e);
  Status record(OperationEvent e);
  Status record(MemorySample e);
  Status record(WebGpuInfo e);
  Status record(DeviceLostEvent e);
  /// Durations of many runs of one operation (a batch of validated-on-the-way values). Values
  /// that fail validation are rejected one by one; the rest are recorded. Returns the first error.
  Status record_durations(const std::string& name, bool success, double started_at,
                          const double* values, std::size_t n);

  /// Counts an event refused before it could be recorded (a decoding error at the bridge).
  void reject(const Status& s) {
    ++changes_;
    state_.reject(s);
  }
  /// Forgets every event (the configuration stays). `now_ms` (epoch ms) becomes the start of
  /// the aggregation: the start time of cumulative OpenTelemetry points.
  void reset(double now_ms = NAN);

  /// The `metrics` object of the export (metrics_text() parsed).
  json metrics(double now_ms) const;
  /// The `metrics` object's members as (key, JSON text), in key order. The `generations` and
  /// `errors` sections are kept as built while their data is unchanged (no event added to
  /// them, no import, merge or reset): then they cost no build and are the same text.
  using MetricsSections = std::vector<std::pair<std::string, std::string>>;
  void metrics_sections(double now_ms, MetricsSections& out) const;
  /// The `metrics` object as JSON text, written from metrics_sections().
  std::string metrics_text(double now_ms) const;
  /// The `generations` and `errors` sections' text written anew (what metrics_sections() keeps).
  std::string generations_section() const;
  std::string errors_section() const;
  /// The status summary (health, model, counts). Built from the last metrics() when neither the
  /// data nor the window step changed since: then it costs no metrics build.
  json status(double now_ms) const;
  /// Counts the calls that may have changed the data (events, rejections, import, merge, reset,
  /// configuration): metrics() and status() are the same while it and window_step() are.
  std::uint64_t changes() const { return changes_; }
  /// The sliding windows' step at `now_ms`: they move on only when it changes (every 10 s; the
  /// 1 min slices of the 1 h window are six steps).
  std::int64_t window_step(double now_ms) const { return fine_.id_of(now_ms); }
  json export_document(double now_ms) const;
  /// export_document() as text, the histories written record by record (no DOM of them).
  std::string export_json(double now_ms) const;
  /// Replaces all data with an export's. On error nothing changes.
  Status import_json(const std::string& text);
  /// Adds an export's data to this one's: counts add, sketches merge exactly, histories
  /// interleave by time. On error nothing changes.
  Status merge_json(const std::string& text);
  /// Merges several exports, all or nothing: every document is read before any is merged. An
  /// error names the document ("document 2: $.sketches...", when there are several) and changes
  /// nothing; `failed_document`, when given, is then set to the 1-based index of the document
  /// that could not be read, or 0 when the error is the merged session's.
  Status merge_json(const std::vector<std::string>& texts, std::size_t* failed_document = nullptr);
  /// The histories as they appear in the export (`generations`, `memorySnapshots`), oldest first.
  json generations_json() const;
  json memory_json() const;
  /// generations_json() and memory_json() as text, written record by record.
  std::string generations_text() const;
  std::string memory_text() const;
  /// The series a metrics path names, without building the metrics: "generations.<series>",
  /// "generations.byModel|byType|byOperation.<key>.<series>", "operations.<name>.durationMs",
  /// "initialization.loadMs". Fails (field "path") when the path has none of these forms; `out`
  /// is nullptr when the path has one of them but no data yet.
  Status find_series(const std::string& path, const Series*& out) const;
  /// Changes whenever series objects may have been replaced (reset, import), so that pointers
  /// from find_series() taken before are stale. Adding events and merging keep them valid.
  std::uint64_t epoch() const { return epoch_; }
  /// The OTLP/JSON ExportMetricsServiceRequest of the session (otlp.hpp); `options_json` as
  /// OtlpOptions::read takes it. On error `out` is unchanged.
  Status otlp_json(const std::string& options_json, double now_ms, std::string& out) const;
  /// Plain-text tables for consoles and CI logs.
  std::string text_report(double now_ms) const;

  const SessionState& state() const { return state_; }
  const std::deque<GenerationRecord>& generation_history() const { return generations_; }
  const std::deque<MemorySample>& memory_history() const { return memory_; }
  /// Bytes held by the monitor's data structures (approximate: containers' capacities).
  std::size_t memory_bytes() const;

 private:
  /// The batch's fast path (ingest/recorder.hpp) adds valid events to the aggregates itself.
  friend class ingest::Recorder;
  /// What record() does with a valid generation besides state_.add(): the windows' slices and
  /// the history, which takes the event (`d` is derive(e)). `e` is left moved from, but for its
  /// chunk_gaps_ms: emptied, with their capacity kept for the next event.
  void place(GenerationEvent& e, const DerivedTimings& d, const PreparedGeneration& p);

  struct Parsed;
  Status parse_document(const std::string& text, Parsed& out) const;
  /// Window kWindows[i] at `now_ms`: its slices merged, and the span its rates divide by.
  const Slice& window_slice(std::size_t i, double now_ms, double& span_ms) const;
  void write_generations(jsonw::Writer& w) const;
  void write_errors(jsonw::Writer& w) const;
  void write_cost(jsonw::Writer& w) const;
  /// The status summary, with the `health` section of the metrics it goes with.
  json status_from(const json& health) const;
  /// The export document without its histories ("generations": [], "memorySnapshots": []).
  json document_head(const json& metrics, double now_ms, json sketches) const;
  /// The `health` section: from the 5 min window's generations while it has any, else the
  /// session's.
  json health(const GenerationStats& window_5m, const GenerationStats& session) const;
  void trim_histories();

  Config config_;
  std::uint64_t epoch_ = 0;
  std::uint64_t changes_ = 0;
  struct StatusCache {
    bool valid = false;
    std::uint64_t changes = 0;
    std::int64_t step = 0;
    json status;
  };
  mutable StatusCache status_cache_;
  /// Counts the merges: with epoch_, what a kept section of the metrics depends on besides
  /// its own count.
  std::uint64_t merges_ = 0;
  /// A section of the metrics as last written, for the key {epoch_, merges_, count}, where
  /// count (the section's number of generations or errors) grows with every event added to
  /// its data.
  struct SectionCache {
    std::uint64_t epoch = ~std::uint64_t{0}, merges = 0, count = 0;
    std::string text;
  };
  mutable SectionCache generations_section_, errors_section_;
  /// The text of `cache`, written again with `write` when its key is not the current one.
  const std::string& section(SectionCache& cache, std::uint64_t count,
                             void (Monitor::*write)(jsonw::Writer&) const) const;
  /// What every record() does first: counts a change, validates (and normalizes) the event
  /// (events.hpp) and counts a refusal in the session's rejected events.
  template <class Event>
  Status admit(Event& e) {
    ++changes_;
    Status s = validate(e);
    if (!s) state_.reject(s);
    return s;
  }
  /// Calls `f` with the slice of both window rings (10 s and 1 min) that time `t` falls in,
  /// when it is inside their span.
  template <class F>
  void each_slice(double t, F&& f) {
    for (SliceRing* ring : {&fine_, &coarse_})
      if (Slice* slice = ring->at(t)) f(*slice);
  }
  /// find_series() without the message: `known` is false when the path has none of the forms.
  const Series* lookup_series(const std::string& path, bool& known) const;
  SessionState state_;
  std::deque<GenerationRecord> generations_;
  std::deque<MemorySample> memory_;
  SliceRing fine_{10'000, 31};    // 10 s slices: the 1 min and 5 min windows
  SliceRing coarse_{60'000, 61};  // 1 min slices: the 1 h window
  /// Per window, the merge of its slices before the current one, with the range and stamp it
  /// was made for: between two slice boundaries, reading a window merges one slice, not up to 61.
  struct WindowCache {
    std::int64_t first = 0, last = 0;
    std::uint64_t stamp = ~std::uint64_t{0};
    Slice merged;
    Slice current;  // merged and the current slice: what window_slice() returns
  };
  mutable WindowCache window_cache_[3];
};

/// ISO 8601 UTC with milliseconds, e.g. 2026-11-23T05:36:37.123Z.
std::string iso8601(double epoch_ms);

}  // namespace wlm

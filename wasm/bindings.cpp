// The only bridge between the core and JavaScript (Embind). Object-level calls only: events
// arrive in batches through a Float64Array view of `batch` (see batch.hpp), never one call per
// value.
//
// One convention for every call that can fail: it returns its value (a string, a number, or
// undefined when it has none), or a failure object { field, message } (with `document` where
// several documents are read), never a sentinel and never a message to parse. js/core/errors.js
// throws the object as a CoreError. The limits JS checks before it copies anything into wasm
// memory are this file's constants.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <map>
#include <string>
#include <vector>

#include "batch.hpp"
#include "events.hpp"
#include "json_io.hpp"
#include "monitor.hpp"
#include "regression.hpp"
#include "report.hpp"
#include "views/histogram.hpp"

namespace {

using emscripten::val;
using wlm::json;
using wlm::Status;

/// The failure object of a Status that failed.
val failure(const Status& s) {
  val out = val::object();
  out.set("field", s.field);
  out.set("message", s.message);
  return out;
}

/// undefined for a success, the failure object otherwise.
val outcome(const Status& s) { return s ? val::undefined() : failure(s); }

/// `value` for a success, the failure object otherwise.
val outcome(const Status& s, const std::string& value) { return s ? val(value) : failure(s); }

class Core {
 public:
  Core() : batch_(kInitialBatch) {}

  val configure(const std::string& config_json) {
    return outcome(wlm::batch::configure(monitor_, config_json));
  }
  std::string config() const { return wlm::jsonio::dump(monitor_.config().to_json()); }

  /// Address and capacity (in doubles) of the batch buffer. Valid until reserveBatch().
  std::uintptr_t batchPointer() { return reinterpret_cast<std::uintptr_t>(batch_.data()); }
  std::size_t batchCapacity() const { return batch_.size(); }
  void reserveBatch(std::size_t doubles) {
    if (doubles > batch_.size()) batch_.resize(doubles);
  }

  /// Ingests `records` records held in the first `size` doubles of the batch buffer; returns
  /// the number of rejected records (their details: rejections()), or the failure of a
  /// malformed batch (field "batch": a bug in the writer), with `accepted`, the records before
  /// it that were ingested.
  /// A buffer grown by reserveBatch() is back to its initial size afterwards.
  val ingest(std::size_t records, std::size_t size, val strings) {
    std::vector<std::string> table = emscripten::vecFromJSArray<std::string>(strings);
    if (size > batch_.size()) size = batch_.size();
    last_ = wlm::batch::ingest(monitor_, batch_.data(), size, records, table);
    // A record larger than the buffer grew it (reserveBatch): give the memory back, so that one
    // huge call does not keep megabytes for the monitor's lifetime. JS re-reads the address.
    if (batch_.size() > kInitialBatch) std::vector<double>(kInitialBatch).swap(batch_);
    if (!last_.malformed.empty()) {
      val out = failure(Status::error("batch", last_.malformed));
      out.set("accepted", static_cast<double>(last_.accepted));
      return out;
    }
    return val(static_cast<double>(last_.rejected.size()));
  }
  /// The records the last ingest() refused: [{ record, field, message }], record counted from
  /// the batch's first.
  val rejections() const {
    val out = val::array();
    for (const auto& r : last_.rejected) {
      val item = val::object();
      item.set("record", static_cast<double>(r.record));
      item.set("field", r.field);
      item.set("message", r.message);
      out.call<void>("push", item);
    }
    return out;
  }

  val recordWebGpu(const std::string& info_json) {
    return outcome(wlm::batch::record_webgpu(monitor_, info_json));
  }

  std::string metrics(double now) const { return monitor_.metrics_text(now); }
  /// The metrics' members as a flat array [key, text, key, text, ...] in key order, where the
  /// text of a member that is the same as in this object's previous call is null: JS keeps
  /// what it parsed then (js/core/snapshot.js), and the text does not cross the bridge again.
  /// With `all`, every text is sent (JS lost what it kept).
  val metricsSections(double now, bool all) {
    wlm::Monitor::MetricsSections sections;
    monitor_.metrics_sections(now, sections);
    val out = val::array();
    for (auto& [key, text] : sections) {
      out.call<void>("push", val(key));
      std::string& sent = sent_sections_[key];
      if (!all && text == sent) {
        out.call<void>("push", val::null());
      } else {
        out.call<void>("push", val(text));
        sent = std::move(text);
      }
    }
    return out;
  }
  /// With windowStep(now), the key of the metrics: they are the same while both are.
  double changes() const { return static_cast<double>(monitor_.changes()); }
  double windowStep(double now) const { return static_cast<double>(monitor_.window_step(now)); }
  std::string status(double now) const { return wlm::jsonio::dump(monitor_.status(now)); }
  std::string exportJson(double now) const { return monitor_.export_json(now); }
  std::string report(double now) const { return monitor_.text_report(now); }
  std::string generations() const { return monitor_.generations_text(); }
  std::string memorySnapshots() const { return monitor_.memory_text(); }
  val importJson(const std::string& text) { return outcome(monitor_.import_json(text)); }
  val mergeJson(const std::string& text) { return outcome(monitor_.merge_json(text)); }
  /// Merges several documents, all or nothing; when there are several, the failure of one that
  /// could not be read carries `document`, its 1-based index, as its message names it.
  val mergeAll(val texts) {
    std::size_t failed = 0;
    std::vector<std::string> docs = emscripten::vecFromJSArray<std::string>(texts);
    Status s = monitor_.merge_json(docs, &failed);
    if (s) return val::undefined();
    val out = failure(s);
    if (docs.size() > 1 && failed > 0) out.set("document", static_cast<double>(failed));
    return out;
  }
  void reset(double now) { monitor_.reset(now); }
  /// Quantile q of the series a metrics path names (NaN when it has no data), or the failure
  /// of a path that names no series. Reads the sketch directly (no metrics JSON).
  val quantile(const std::string& path, double q) const {
    const wlm::Series* s = nullptr;
    if (Status found = monitor_.find_series(path, s); !found) return failure(found);
    return val(s == nullptr ? NAN : s->quantile(q));
  }
  /// A small integer for a series path, for wlm_quantile() (a raw export: no string crosses
  /// the bridge per query); null when the handle table is full (quantile() then serves), or the
  /// failure of a path that names no series.
  val seriesHandle(const std::string& path) {
    const wlm::Series* s = nullptr;
    if (Status found = monitor_.find_series(path, s); !found) return failure(found);
    for (std::size_t i = 0; i < handles_.size(); ++i)
      if (handles_[i].path == path) return val(static_cast<double>(i));
    if (handles_.size() >= kMaxHandles) return val::null();
    handles_.push_back({path, s, monitor_.epoch()});
    return val(static_cast<double>(handles_.size() - 1));
  }
  double quantileAt(int handle, double q) {
    if (handle < 0 || static_cast<std::size_t>(handle) >= handles_.size()) return NAN;
    Handle& h = handles_[static_cast<std::size_t>(handle)];
    if (h.series == nullptr || h.epoch != monitor_.epoch()) {
      monitor_.find_series(h.path, h.series);  // a handle's path has a known form
      h.epoch = monitor_.epoch();
    }
    return h.series == nullptr ? NAN : h.series->quantile(q);
  }
  /// The chart bars of the series a metrics path names (views/histogram.hpp) as JSON text:
  /// {"count", "bins": [{lo, hi, count}]}, no bins when it has no data; or the failure of a
  /// path that names no series.
  val histogram(const std::string& path, int max_bins) const {
    const wlm::Series* s = nullptr;
    if (Status found = monitor_.find_series(path, s); !found) return failure(found);
    return val(wlm::jsonio::dump(wlm::histogram_json(s, max_bins)));
  }
  /// This object's address, for the raw exports.
  std::uintptr_t address() const { return reinterpret_cast<std::uintptr_t>(this); }
  /// The OTLP/JSON request as text.
  val otlp(const std::string& options_json, double now) const {
    std::string out;
    Status s = monitor_.otlp_json(options_json, now, out);
    return outcome(s, out);
  }
  double memoryBytes() const { return static_cast<double>(monitor_.memory_bytes()); }

 private:
  static constexpr std::size_t kInitialBatch = 8192;  // 64 KiB
  static constexpr std::size_t kMaxHandles = 1024;
  struct Handle {
    std::string path;
    const wlm::Series* series;  // nullptr until the series has data
    std::uint64_t epoch;
  };
  std::vector<Handle> handles_;
  wlm::Monitor monitor_;
  std::map<std::string, std::string> sent_sections_;  // metricsSections()' last texts
  std::vector<double> batch_;
  wlm::batch::Result last_;
};

/// Quantile q of a series by handle (Core::seriesHandle), called straight from JS as a wasm
/// export: the per-query path of MonitorCore#quantile.
extern "C" EMSCRIPTEN_KEEPALIVE double wlm_quantile(std::uintptr_t core, int handle, double q) {
  return reinterpret_cast<Core*>(core)->quantileAt(handle, q);
}

/// Text report of an export document given as JSON, without loading it into a monitor; the
/// failure of a text that is not JSON.
val reportFromExport(const std::string& text) {
  json doc;
  Status s = wlm::jsonio::parse(text, doc);
  return s ? val(wlm::text_report(doc)) : failure(s);
}

/// Regression findings of two export texts under options JSON (regression.hpp), as JSON text;
/// a failure carries `document`: "baseline" or "current", or null for the options.
val compareExports(const std::string& baseline, const std::string& current,
                   const std::string& options) {
  wlm::regression::Result result;
  std::string document;
  Status s = wlm::regression::compare_exports(baseline, current, options, result, document);
  if (s) return val(wlm::jsonio::dump(result.to_json()));
  val out = failure(s);
  out.set("document", document.empty() ? val::null() : val(document));
  return out;
}

/// The defaults of compareExports' options as JSON text.
std::string regressionDefaults() {
  return wlm::jsonio::dump(wlm::regression::Options().defaults_json());
}

}  // namespace

EMSCRIPTEN_BINDINGS(webllm_monitor_core) {
  emscripten::class_<Core>("Core")
      .constructor<>()
      .function("configure", &Core::configure)
      .function("config", &Core::config)
      .function("batchPointer", &Core::batchPointer)
      .function("batchCapacity", &Core::batchCapacity)
      .function("reserveBatch", &Core::reserveBatch)
      .function("ingest", &Core::ingest)
      .function("rejections", &Core::rejections)
      .function("recordWebGpu", &Core::recordWebGpu)
      .function("metrics", &Core::metrics)
      .function("metricsSections", &Core::metricsSections)
      .function("status", &Core::status)
      .function("changes", &Core::changes)
      .function("windowStep", &Core::windowStep)
      .function("exportJson", &Core::exportJson)
      .function("report", &Core::report)
      .function("generations", &Core::generations)
      .function("memorySnapshots", &Core::memorySnapshots)
      .function("importJson", &Core::importJson)
      .function("mergeJson", &Core::mergeJson)
      .function("mergeAll", &Core::mergeAll)
      .function("reset", &Core::reset)
      .function("otlp", &Core::otlp)
      .function("quantile", &Core::quantile)
      .function("seriesHandle", &Core::seriesHandle)
      .function("histogram", &Core::histogram)
      .function("address", &Core::address)
      .function("memoryBytes", &Core::memoryBytes);
  emscripten::function("reportFromExport", &reportFromExport);
  emscripten::function("compareExports", &compareExports);
  emscripten::function("regressionDefaults", &regressionDefaults);
  emscripten::constant("schemaVersion", wlm::kSchemaVersion);
  // The limits (wasm/events.hpp, wasm/json_io.hpp) that JS checks before copying into wasm
  // memory; js/core/limits.js reads them.
  emscripten::constant("maxNameBytes", static_cast<double>(wlm::Limits::kMaxNameBytes));
  emscripten::constant("maxMessageBytes", static_cast<double>(wlm::Limits::kMaxMessageBytes));
  emscripten::constant("maxDocumentBytes", static_cast<double>(wlm::jsonio::kMaxDocumentBytes));
  emscripten::constant("maxMergeBytes", static_cast<double>(wlm::jsonio::kMaxMergeBytes));
  emscripten::constant("maxJsonDepth", static_cast<double>(wlm::jsonio::kMaxJsonDepth));
  emscripten::constant("maxSeriesPathBytes", static_cast<double>(wlm::kMaxSeriesPathBytes));
}

// The only bridge between the core and JavaScript (Embind). Object-level calls only: events
// arrive in batches through a Float64Array view of `batch` (see batch.hpp), never one call per
// value. Errors come back as message strings ("" = success); js/core.js turns them into throws.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <string>
#include <vector>

#include "batch.hpp"
#include "monitor.hpp"
#include "regression.hpp"
#include "report.hpp"
#include "views/histogram.hpp"

namespace {

using wlm::json;

class Core {
 public:
  Core() : batch_(kInitialBatch) {}

  std::string configure(const std::string& config_json) {
    return wlm::batch::configure(monitor_, config_json).message;
  }
  std::string config() const { return wlm::jsonio::dump(monitor_.config().to_json()); }

  /// Address and capacity (in doubles) of the batch buffer. Valid until reserveBatch().
  std::uintptr_t batchPointer() { return reinterpret_cast<std::uintptr_t>(batch_.data()); }
  std::size_t batchCapacity() const { return batch_.size(); }
  void reserveBatch(std::size_t doubles) {
    if (doubles > batch_.size()) batch_.resize(doubles);
  }

  /// Ingests `records` records held in the first `size` doubles of the batch buffer; returns
  /// the number of rejected records (details in lastResult()), or -1 when the batch is malformed.
  /// A buffer grown by reserveBatch() is back to its initial size afterwards.
  int ingest(std::size_t records, std::size_t size, emscripten::val strings) {
    std::vector<std::string> table = emscripten::vecFromJSArray<std::string>(strings);
    if (size > batch_.size()) size = batch_.size();
    last_ = wlm::batch::ingest(monitor_, batch_.data(), size, records, table);
    // A record larger than the buffer grew it (reserveBatch): give the memory back, so that one
    // huge call does not keep megabytes for the monitor's lifetime. JS re-reads the address.
    if (batch_.size() > kInitialBatch) std::vector<double>(kInitialBatch).swap(batch_);
    if (!last_.malformed.empty()) return -1;
    return static_cast<int>(last_.rejected.size());
  }
  std::string lastResult() const {
    json rejected = json::array();
    for (const auto& r : last_.rejected)
      rejected.push_back(json{{"record", r.record}, {"field", r.field}, {"message", r.message}});
    return wlm::jsonio::dump(
        json{{"accepted", last_.accepted},
             {"rejected", std::move(rejected)},
             {"malformed", last_.malformed.empty() ? json(nullptr) : json(last_.malformed)}});
  }

  std::string recordWebGpu(const std::string& info_json) {
    return wlm::batch::record_webgpu(monitor_, info_json).message;
  }

  std::string metrics(double now) const { return wlm::jsonio::dump(monitor_.metrics(now)); }
  /// With windowStep(now), the key of the metrics: they are the same while both are.
  double changes() const { return static_cast<double>(monitor_.changes()); }
  double windowStep(double now) const { return static_cast<double>(monitor_.window_step(now)); }
  std::string status(double now) const { return wlm::jsonio::dump(monitor_.status(now)); }
  std::string exportJson(double now) const { return monitor_.export_json(now); }
  std::string report(double now) const { return monitor_.text_report(now); }
  std::string generations() const { return monitor_.generations_text(); }
  std::string memorySnapshots() const { return monitor_.memory_text(); }
  std::string importJson(const std::string& text) { return monitor_.import_json(text).message; }
  std::string mergeJson(const std::string& text) { return monitor_.merge_json(text).message; }
  std::string mergeAll(emscripten::val texts) {
    return monitor_.merge_json(emscripten::vecFromJSArray<std::string>(texts)).message;
  }
  void reset(double now) { monitor_.reset(now); }
  /// Quantile q of the series a metrics path names: NaN when it has no data, -1 when the path
  /// names no series. Reads the sketch directly (no metrics JSON).
  double quantile(const std::string& path, double q) const {
    bool known = false;
    const wlm::Series* s = monitor_.find_series(path, known);
    if (!known) return -1;
    return s == nullptr ? NAN : s->quantile(q);
  }
  /// A small integer for a series path, for wlm_quantile() (a raw export: no string crosses
  /// the bridge per query); -1 when the path names no series, -2 when the table is full.
  int seriesHandle(const std::string& path) {
    bool known = false;
    const wlm::Series* s = monitor_.find_series(path, known);
    if (!known) return -1;
    for (std::size_t i = 0; i < handles_.size(); ++i)
      if (handles_[i].path == path) return static_cast<int>(i);
    if (handles_.size() >= kMaxHandles) return -2;
    handles_.push_back({path, s, monitor_.epoch()});
    return static_cast<int>(handles_.size() - 1);
  }
  double quantileAt(int handle, double q) {
    if (handle < 0 || static_cast<std::size_t>(handle) >= handles_.size()) return NAN;
    Handle& h = handles_[static_cast<std::size_t>(handle)];
    if (h.series == nullptr || h.epoch != monitor_.epoch()) {
      bool known = false;
      h.series = monitor_.find_series(h.path, known);
      h.epoch = monitor_.epoch();
    }
    return h.series == nullptr ? NAN : h.series->quantile(q);
  }
  /// The chart bars of the series a metrics path names (views/histogram.hpp) as JSON text:
  /// {"count", "bins": [{lo, hi, count}]}, no bins when it has no data; "" when the path names
  /// no series.
  std::string histogram(const std::string& path, int max_bins) const {
    bool known = false;
    const wlm::Series* s = monitor_.find_series(path, known);
    if (!known) return "";
    return wlm::jsonio::dump(wlm::histogram_json(s, max_bins));
  }
  /// This object's address, for the raw exports.
  std::uintptr_t address() const { return reinterpret_cast<std::uintptr_t>(this); }
  /// The OTLP/JSON request, or a message starting with "error: ".
  std::string otlp(const std::string& options_json, double now) const {
    std::string out;
    if (wlm::Status s = monitor_.otlp_json(options_json, now, out); !s)
      return "error: " + s.message;
    return out;
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
  std::vector<double> batch_;
  wlm::batch::Result last_;
};

/// Quantile q of a series by handle (Core::seriesHandle), called straight from JS as a wasm
/// export: the per-query path of MonitorCore#quantile.
extern "C" EMSCRIPTEN_KEEPALIVE double wlm_quantile(std::uintptr_t core, int handle, double q) {
  return reinterpret_cast<Core*>(core)->quantileAt(handle, q);
}

/// Text report of an export document given as JSON, without loading it into a monitor.
/// Returns the report, or a message starting with "error: " when the text is not JSON.
std::string reportFromExport(const std::string& text) {
  json doc;
  if (wlm::Status s = wlm::jsonio::parse(text, doc); !s) return "error: " + s.message;
  return wlm::text_report(doc);
}

/// Regression findings of two export texts under options JSON (regression.hpp), as JSON text:
/// the result, or {"error": {field, message, document}} where document is "baseline",
/// "current" or null (the options).
std::string compareExports(const std::string& baseline, const std::string& current,
                           const std::string& options) {
  wlm::regression::Result result;
  std::string document;
  if (wlm::Status s =
          wlm::regression::compare_exports(baseline, current, options, result, document);
      !s)
    return wlm::jsonio::dump(
        json{{"error",
              {{"field", s.field},
               {"message", s.message},
               {"document", document.empty() ? json(nullptr) : json(document)}}}});
  return wlm::jsonio::dump(result.to_json());
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
      .function("lastResult", &Core::lastResult)
      .function("recordWebGpu", &Core::recordWebGpu)
      .function("metrics", &Core::metrics)
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
}

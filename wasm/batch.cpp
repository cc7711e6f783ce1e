#include "batch.hpp"

#include <cmath>

#include <fmt/format.h>

#include "ingest/recorder.hpp"

namespace wlm::batch {
namespace {

/// Reads one record's fields, honouring the presence mask.
class Fields {
 public:
  Fields(const double* f, std::uint64_t mask, const std::vector<std::string>& strings)
      : f_(f), mask_(mask), strings_(strings) {}

  bool has(int i) const { return (mask_ >> i) & 1u; }
  double number(int i) const { return has(i) ? f_[i] : NAN; }
  /// The string at field i; empty when absent. `ok` turns false on a bad string index.
  std::string text(int i, bool& ok) const {
    if (!has(i)) return {};
    double id = f_[i];
    if (!(id >= 0) || id != std::floor(id) || id >= static_cast<double>(strings_.size())) {
      ok = false;
      return {};
    }
    return strings_[static_cast<std::size_t>(id)];
  }

 private:
  const double* f_;
  std::uint64_t mask_;
  const std::vector<std::string>& strings_;
};

/// Wire names of each kind's fields, and which of them are plain numbers: a number marked
/// present must not be NaN (in the C++ event types NaN means "absent").
struct FieldInfo {
  const char* name;
  bool number;
};
constexpr FieldInfo kGenerationInfo[] = {{"generation.model", false},
                                         {"generation.type", false},
                                         {"generation.operation", false},
                                         {"generation.startedAt", true},
                                         {"generation.durationMs", true},
                                         {"generation.ttftMs", true},
                                         {"generation.promptTokens", true},
                                         {"generation.completionTokens", true},
                                         {"generation.engineTtftMs", true},
                                         {"generation.enginePrefillTokensPerSec", true},
                                         {"generation.engineDecodeTokensPerSec", true},
                                         {"generation.engineTimePerOutputTokenMs", true},
                                         {"generation.finishReason", false},
                                         {"generation.errorName", false},
                                         {"generation.errorMessage", false},
                                         {"generation.promptChars", true},
                                         {"generation.responseChars", true},
                                         {"generation.temperature", true},
                                         {"generation.maxTokens", true},
                                         {"generation.chunkGapsMs", false}};
constexpr FieldInfo kLoadInfo[] = {{"load.model", false},       {"load.startedAt", true},
                                   {"load.durationMs", true},   {"load.fromCache", false},
                                   {"load.bytesFetched", true}, {"load.errorName", false},
                                   {"load.errorMessage", false}};
constexpr FieldInfo kCacheInfo[] = {
    {"cache.cache", false}, {"cache.hit", false}, {"cache.timestamp", true}};
constexpr FieldInfo kOperationInfo[] = {
    {"operation.name", false},      {"operation.startedAt", true},
    {"operation.durationMs", true}, {"operation.success", false},
    {"operation.errorName", false}, {"operation.errorMessage", false}};
constexpr FieldInfo kMemoryInfo[] = {
    {"memory.label", false},          {"memory.timestamp", true},
    {"memory.usedJSHeapSize", true},  {"memory.totalJSHeapSize", true},
    {"memory.jsHeapSizeLimit", true}, {"memory.userAgentBytes", true},
    {"memory.wasmHeapBytes", true},   {"memory.gpuBufferBytes", true},
    {"memory.storageUsage", true},    {"memory.storageQuota", true}};
constexpr FieldInfo kDeviceLostInfo[] = {{"deviceLost.timestamp", true},
                                         {"deviceLost.reason", false},
                                         {"deviceLost.message", false},
                                         {"deviceLost.model", false}};
constexpr FieldInfo kDurationsInfo[] = {{"operation.name", false},
                                        {"operation.success", false},
                                        {"operation.startedAt", true},
                                        {"operation.count", false}};
constexpr FieldInfo kRejectedInfo[] = {{"rejected.field", false}, {"rejected.message", false}};
const FieldInfo* const kInfo[] = {nullptr,         kGenerationInfo, kLoadInfo,
                                  kCacheInfo,      kOperationInfo,  kMemoryInfo,
                                  kDeviceLostInfo, kDurationsInfo,  kRejectedInfo};

/// A 0/1 flag; anything else is reported as the field's error.
Status flag(const char* field, double v, bool& out) {
  if (v == 0 || v == 1) {
    out = v == 1;
    return Status::success();
  }
  return Status::error(field,
                       fmt::format("{}: {} is not true or false", field,
                                   std::isnan(v) ? std::string("NaN") : fmt::format("{}", v)));
}

Status required_flag(const Fields& r, int i, const char* field, bool& out) {
  if (!r.has(i)) return Status::error(field, fmt::format("{} is required", field));
  return flag(field, r.number(i), out);
}

Status decode_generation(const Fields& r, const double* extra, std::size_t extra_n,
                         GenerationEvent& e, bool& ok) {
  e.model = r.text(kModel, ok);
  if (r.has(kType)) e.type = r.text(kType, ok);
  if (r.has(kOperationName)) {
    std::string op = r.text(kOperationName, ok);
    if (ok && !parse_operation(op, e.operation))
      return Status::error(
          "generation.operation",
          fmt::format("generation.operation: \"{}\" is not chat, completion or embedding", op));
  }
  for (const GenerationNumber& n : kGenerationNumbers) e.*n.member = r.number(n.field);
  if (r.has(kFinishReason)) {
    std::string fr = r.text(kFinishReason, ok);
    if (ok && !parse_finish_reason(fr, e.finish_reason))
      return Status::error(
          "generation.finishReason",
          fmt::format("generation.finishReason: \"{}\" is not stop, length, abort, "
                      "tool_calls or error",
                      fr));
    e.has_finish_reason = true;
  }
  e.error_name = r.text(kErrorName, ok);
  e.error_message = r.text(kErrorMessage, ok);
  e.chunk_gaps_ms.assign(extra, extra + extra_n);
  return Status::success();
}

/// ingest(), with the fast path or without it.
Result ingest_records(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
                      const std::vector<std::string>& strings, bool fast) {
  Result result;
  ingest::Recorder recorder(monitor, strings);
  std::size_t pos = 0;
  for (std::size_t index = 0; index < records; ++index) {
    auto malformed = [&](const std::string& why) {
      result.malformed = fmt::format("batch record {} at offset {}: {}", index, pos, why);
      return result;
    };
    if (pos + kHeader > size) return malformed("truncated header");
    double kind_d = data[pos], length_d = data[pos + 1], mask_d = data[pos + 2];
    if (!(kind_d >= 1 && kind_d <= 8) || kind_d != std::floor(kind_d))
      return malformed(fmt::format("unknown kind {}", kind_d));
    int kind = static_cast<int>(kind_d);
    int nfields = kFieldCount[kind];
    // Compare as doubles before converting: a huge or fractional length must not wrap.
    if (!(length_d >= kHeader + nfields) || length_d != std::floor(length_d) ||
        length_d > static_cast<double>(size - pos))
      return malformed(fmt::format("bad length {}", length_d));
    if (!(mask_d >= 0 && mask_d < 9007199254740992.0) || mask_d != std::floor(mask_d))
      return malformed(fmt::format("bad mask {}", mask_d));
    auto length = static_cast<std::size_t>(length_d);
    const double* f = data + pos + kHeader;
    const double* extra = f + nfields;
    std::size_t extra_n = length - kHeader - static_cast<std::size_t>(nfields);
    auto mask = static_cast<std::uint64_t>(mask_d);
    if (fast && recorder.record(kind, f, mask, extra, extra_n)) {
      ++result.accepted;
      ++result.fast;
      pos += length;
      continue;
    }
    Fields r(f, mask, strings);
    bool ok = true;
    bool recorded = false;  // record() counts its own rejections
    Status status;
    auto record = [&](auto&& event) {
      recorded = true;
      return monitor.record(std::forward<decltype(event)>(event));
    };

    for (int i = 0; i < nfields && status; ++i) {
      const FieldInfo& info = kInfo[kind][i];
      if (info.number && r.has(i) && std::isnan(f[i]))
        status = Status::error(info.name, fmt::format("{}: NaN is not a number", info.name));
    }

    switch (status ? kind : 0) {
      case 0: break;
      case kGeneration: {
        double declared = r.has(kChunkGapCount) ? f[kChunkGapCount] : 0;
        if (declared != static_cast<double>(extra_n))
          return malformed("chunk gap count does not match the record length");
        GenerationEvent e;
        status = decode_generation(r, extra, extra_n, e, ok);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case kModelLoad: {
        ModelLoadEvent e;
        e.model = r.text(0, ok);
        e.started_at = r.number(1);
        e.duration_ms = r.number(2);
        std::string fc = r.text(3, ok);
        if (fc == "true")
          e.from_cache = Tristate::yes;
        else if (fc == "false")
          e.from_cache = Tristate::no;
        else if (fc.empty() || fc == "unknown")
          e.from_cache = Tristate::unknown;
        else
          status = Status::error(
              "load.fromCache",
              fmt::format("load.fromCache: \"{}\" is not true, false or unknown", fc));
        e.bytes_fetched = r.number(4);
        e.error_name = r.text(5, ok);
        e.error_message = r.text(6, ok);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case kCacheLookup: {
        CacheLookupEvent e;
        e.cache = r.text(0, ok);
        status = required_flag(r, 1, "cache.hit", e.hit);
        e.timestamp = r.number(2);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case kOperation: {
        OperationEvent e;
        e.name = r.text(0, ok);
        e.started_at = r.number(1);
        e.duration_ms = r.number(2);
        if (r.has(3)) status = flag("operation.success", r.number(3), e.success);
        e.error_name = r.text(4, ok);
        e.error_message = r.text(5, ok);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case kMemory: {
        MemorySample e;
        e.label = r.has(0) ? r.text(0, ok) : std::string("periodic");
        e.timestamp = r.number(1);
        double* values[] = {&e.used_js_heap,      &e.total_js_heap,   &e.js_heap_limit,
                            &e.ua_measured_bytes, &e.wasm_heap_bytes, &e.gpu_buffer_bytes,
                            &e.storage_usage,     &e.storage_quota};
        for (int i = 0; i < 8; ++i) *values[i] = r.number(2 + i);
        if (ok) status = record(std::move(e));
        break;
      }
      case kDeviceLost: {
        DeviceLostEvent e;
        e.timestamp = r.number(0);
        e.reason = r.text(1, ok);
        e.message = r.text(2, ok);
        e.model = r.text(3, ok);
        if (ok) status = record(std::move(e));
        break;
      }
      case kDurations: {
        double declared = r.has(3) ? f[3] : 0;
        if (declared != static_cast<double>(extra_n))
          return malformed("duration count does not match the record length");
        bool success = true;
        if (r.has(1)) status = flag("operation.success", r.number(1), success);
        std::string name = r.text(0, ok);
        if (ok && status) {
          recorded = true;
          status = monitor.record_durations(name, success, r.number(2), extra, extra_n);
        }
        break;
      }
      case kRejected: {
        std::string field = r.text(0, ok);
        std::string message = r.text(1, ok);
        if (field.empty()) field = "event";
        if (message.empty()) message = field + ": refused";
        status = Status::error(std::move(field), std::move(message));
        break;
      }
    }
    if (!ok) return malformed("string index out of range");
    if (status) {
      ++result.accepted;
    } else {
      if (!recorded) monitor.reject(status);
      result.rejected.push_back({index, status.field, status.message});
    }
    pos += length;
  }
  return result;
}

}  // namespace

Result ingest(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
              const std::vector<std::string>& strings) {
  return ingest_records(monitor, data, size, records, strings, true);
}

Result ingest_reference(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
                        const std::vector<std::string>& strings) {
  return ingest_records(monitor, data, size, records, strings, false);
}

Status record_webgpu(Monitor& monitor, const std::string& json_text) {
  json doc;
  WebGpuInfo info;
  Status s = jsonio::parse(json_text, doc);
  if (s && !doc.is_object())
    s = Status::error("webgpu",
                      fmt::format("webgpu: expected an object, got {}", jsonio::describe(doc)));
  if (s) s = read(doc, "webgpu", info);
  if (!s) {
    monitor.reject(s);
    return s;
  }
  return monitor.record(std::move(info));
}

Status configure(Monitor& monitor, const std::string& json_text) {
  json doc;
  WLM_TRY(jsonio::parse(json_text, doc));
  Config config = monitor.config();
  WLM_TRY(config.read(doc, "config"));
  monitor.configure(std::move(config));
  return Status::success();
}

}  // namespace wlm::batch

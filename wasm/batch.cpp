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

namespace gf = events::generation_field;
namespace lf = events::load_field;
namespace cf = events::cache_field;
namespace of = events::operation_field;
namespace mf = events::memory_field;
namespace df = events::deviceLost_field;
namespace uf = events::durations_field;
namespace rf = events::rejected_field;

/// Reads the plain numbers of a record into its event (NaN when absent).
template <class Event, std::size_t N>
void read_numbers(const Fields& r, const events::NumberField<Event> (&table)[N], Event& e) {
  for (const events::NumberField<Event>& n : table) e.*n.member = r.number(n.field);
}

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
  e.model = r.text(gf::kModel, ok);
  if (r.has(gf::kType)) e.type = r.text(gf::kType, ok);
  if (r.has(gf::kOperation)) {
    std::string op = r.text(gf::kOperation, ok);
    if (ok && !parse_operation(op, e.operation))
      return Status::error(
          "generation.operation",
          fmt::format("generation.operation: \"{}\" is not chat, completion or embedding", op));
  }
  read_numbers(r, events::kGenerationNumbers<GenerationEvent>, e);
  if (r.has(gf::kFinishReason)) {
    std::string fr = r.text(gf::kFinishReason, ok);
    if (ok && !parse_finish_reason(fr, e.finish_reason))
      return Status::error(
          "generation.finishReason",
          fmt::format("generation.finishReason: \"{}\" is not stop, length, abort, "
                      "tool_calls or error",
                      fr));
    e.has_finish_reason = true;
  }
  e.error_name = r.text(gf::kErrorName, ok);
  e.error_message = r.text(gf::kErrorMessage, ok);
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
    if (pos + events::kHeader > size) return malformed("truncated header");
    double kind_d = data[pos], length_d = data[pos + 1], mask_d = data[pos + 2];
    if (!(kind_d >= 1 && kind_d < events::kKindCount) || kind_d != std::floor(kind_d))
      return malformed(fmt::format("unknown kind {}", kind_d));
    int kind = static_cast<int>(kind_d);
    int nfields = events::kFieldCount[kind];
    // Compare as doubles before converting: a huge or fractional length must not wrap.
    if (!(length_d >= events::kHeader + nfields) || length_d != std::floor(length_d) ||
        length_d > static_cast<double>(size - pos))
      return malformed(fmt::format("bad length {}", length_d));
    if (!(mask_d >= 0 && mask_d < 9007199254740992.0) || mask_d != std::floor(mask_d))
      return malformed(fmt::format("bad mask {}", mask_d));
    auto length = static_cast<std::size_t>(length_d);
    const double* f = data + pos + events::kHeader;
    const double* extra = f + nfields;
    std::size_t extra_n = length - events::kHeader - static_cast<std::size_t>(nfields);
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
      const events::FieldInfo& info = events::kFields[kind][i];
      if (info.number && r.has(i) && std::isnan(f[i]))
        status = Status::error(info.name, fmt::format("{}: NaN is not a number", info.name));
    }

    switch (status ? kind : 0) {
      case 0: break;
      case events::kGeneration: {
        double declared = r.has(gf::kChunkGapsMs) ? f[gf::kChunkGapsMs] : 0;
        if (declared != static_cast<double>(extra_n))
          return malformed("chunk gap count does not match the record length");
        GenerationEvent e;
        status = decode_generation(r, extra, extra_n, e, ok);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case events::kModelLoad: {
        ModelLoadEvent e;
        e.model = r.text(lf::kModel, ok);
        read_numbers(r, events::kModelLoadNumbers<ModelLoadEvent>, e);
        std::string fc = r.text(lf::kFromCache, ok);
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
        e.error_name = r.text(lf::kErrorName, ok);
        e.error_message = r.text(lf::kErrorMessage, ok);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case events::kCacheLookup: {
        CacheLookupEvent e;
        e.cache = r.text(cf::kCache, ok);
        status = required_flag(r, cf::kHit, "cache.hit", e.hit);
        read_numbers(r, events::kCacheLookupNumbers<CacheLookupEvent>, e);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case events::kOperation: {
        OperationEvent e;
        e.name = r.text(of::kName, ok);
        read_numbers(r, events::kOperationNumbers<OperationEvent>, e);
        if (r.has(of::kSuccess))
          status = flag("operation.success", r.number(of::kSuccess), e.success);
        e.error_name = r.text(of::kErrorName, ok);
        e.error_message = r.text(of::kErrorMessage, ok);
        if (ok && status) status = record(std::move(e));
        break;
      }
      case events::kMemorySample: {
        MemorySample e;
        e.label = r.has(mf::kLabel) ? r.text(mf::kLabel, ok) : std::string("periodic");
        read_numbers(r, events::kMemorySampleNumbers<MemorySample>, e);
        if (ok) status = record(std::move(e));
        break;
      }
      case events::kDeviceLost: {
        DeviceLostEvent e;
        read_numbers(r, events::kDeviceLostNumbers<DeviceLostEvent>, e);
        e.reason = r.text(df::kReason, ok);
        e.message = r.text(df::kMessage, ok);
        e.model = r.text(df::kModel, ok);
        if (ok) status = record(std::move(e));
        break;
      }
      case events::kDurations: {
        double declared = r.has(uf::kCount) ? f[uf::kCount] : 0;
        if (declared != static_cast<double>(extra_n))
          return malformed("duration count does not match the record length");
        bool success = true;
        if (r.has(uf::kSuccess))
          status = flag("operation.success", r.number(uf::kSuccess), success);
        std::string name = r.text(uf::kName, ok);
        if (ok && status) {
          recorded = true;
          status =
              monitor.record_durations(name, success, r.number(uf::kStartedAt), extra, extra_n);
        }
        break;
      }
      case events::kRejected: {
        std::string field = r.text(rf::kField, ok);
        std::string message = r.text(rf::kMessage, ok);
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

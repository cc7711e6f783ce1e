#include "codec/event_json.hpp"

#include <limits>
#include <utility>

#include <fmt/format.h>

#include "aggregates/session_state.hpp"
#include "codec/readers.hpp"

namespace wlm {

using jsonio::child;

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
    WLM_TRY(
        jsonio::number_value(v, child(child(path, "limits"), k), w.limits[k], 0, codec::kMaxValue));
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
  return json{
      {"timestamp", d.timestamp}, {"reason", d.reason}, {"message", d.message}, {"model", d.model}};
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
  return json{{"time", time},
              {"name", name},
              {"message", message},
              {"model", model},
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

}  // namespace wlm

// JSON forms of the events kept in the state and the histories: memory samples, the WebGPU
// adapter, device losses (and ErrorRecord's members). Reading validates as the events do.
#pragma once

#include <string>

#include "events.hpp"
#include "json_io.hpp"

namespace wlm {

/// JSON forms shared by the state, the histories and the metrics view.
json to_json(const MemorySample& m);
Status read(const json& in, const std::string& path, MemorySample& out);
json to_json(const WebGpuInfo& w);
Status read(const json& in, const std::string& path, WebGpuInfo& out);
json to_json(const DeviceLostEvent& d);
Status read(const json& in, const std::string& path, DeviceLostEvent& out);

}  // namespace wlm

// OpenTelemetry export: the session's statistics as an OTLP/JSON ExportMetricsServiceRequest,
// named by the GenAI semantic conventions, with the project's own metrics under the
// "webllm_monitor." prefix. Histograms are exponential histogram points made of the core's own
// buckets (durations in seconds, see Unit), all cumulative since SessionState::since.
#pragma once

#include <string>

#include "state.hpp"

namespace wlm {

struct OtlpOptions {
  /// Resource attributes: name -> string, finite number or boolean.
  json resource = json::object();
  /// The instrumentation scope's version (the package version).
  std::string scope_version;

  /// Reads {"resource": {...}, "scopeVersion": "..."}; both optional.
  Status read(const json& in, const std::string& path);
};

/// The request for `state` as of `now_ms` (epoch ms). Cumulative points start at state.since,
/// else at the first event, and never after now_ms.
json otlp_metrics(const SessionState& state, const OtlpOptions& options, double now_ms);

/// Metric names, for tests and documentation.
inline constexpr const char* kOtlpScopeName = "webllm-monitor";
inline constexpr const char* kOtlpProviderName = "webllm";

}  // namespace wlm

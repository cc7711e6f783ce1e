#include "events.hpp"

#include <fmt/format.h>

namespace wlm {
namespace {

std::string text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

/// Validates one numeric field. `required` fields must be present; present values must be
/// finite, within [lo, hi], and whole when `whole`.
Status check(const char* field, double v, bool required, double lo, double hi, bool whole = false) {
  if (std::isnan(v)) {
    if (!required) return Status::success();
    return Status::error(field, fmt::format("{} is required (got NaN or nothing)", field));
  }
  if (std::isinf(v))
    return Status::error(field, fmt::format("{}: {} is not a finite number", field, text(v)));
  if (v < lo) {
    if (lo == 0) return Status::error(field, fmt::format("{}: {} is negative", field, text(v)));
    return Status::error(field, fmt::format("{}: {} is below the minimum {}", field, text(v), lo));
  }
  if (v > hi)
    return Status::error(
        field, fmt::format("{}: {} is larger than the limit {}", field, text(v), text(hi)));
  if (whole && v != std::floor(v))
    return Status::error(field, fmt::format("{}: {} is not a whole number", field, text(v)));
  return Status::success();
}

/// The string with control characters written as \u00XX, cut to 64 bytes, for messages.
std::string escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 64)) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return s.size() > 64 ? out + "..." : out;
}

Status check_name(const char* field, const std::string& s, bool required) {
  if (s.empty()) {
    if (!required) return Status::success();
    return Status::error(field, fmt::format("{} must be a non-empty string", field));
  }
  if (s.size() > Limits::kMaxNameBytes)
    return Status::error(field, fmt::format("{}: \"{}...\" is {} bytes, longer than {}", field,
                                            s.substr(0, 32), s.size(), Limits::kMaxNameBytes));
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return Status::error(
          field, fmt::format("{}: \"{}\" contains a control character", field, escaped(s)));
  return Status::success();
}

/// Cuts a free-text message to the limit without splitting a UTF-8 sequence, and blanks its
/// control characters but tab, line feed and carriage return: JSON writes each as a 6-byte
/// \u00XX, and 100,000 history records of 2,048 of them made an export (1.3 GB) that no wasm
/// memory could hold, which aborted the module.
void cut(std::string& s, std::size_t limit) {
  if (s.size() > limit) {
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
  }
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) c = ' ';
  }
}

}  // namespace

const char* to_string(Operation op) {
  switch (op) {
    case Operation::chat: return "chat";
    case Operation::completion: return "completion";
    case Operation::embedding: return "embedding";
  }
  return "chat";
}

const char* to_string(FinishReason fr) {
  switch (fr) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::abort: return "abort";
    case FinishReason::tool_calls: return "tool_calls";
    case FinishReason::error: return "error";
  }
  return "stop";
}

const char* to_string(Tristate t) {
  switch (t) {
    case Tristate::no: return "false";
    case Tristate::yes: return "true";
    case Tristate::unknown: return "unknown";
  }
  return "unknown";
}

bool parse_tristate(const std::string& s, Tristate& out) {
  for (Tristate t : {Tristate::no, Tristate::yes, Tristate::unknown}) {
    if (s == to_string(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

bool parse_operation(const std::string& s, Operation& out) {
  for (auto op : {Operation::chat, Operation::completion, Operation::embedding})
    if (s == to_string(op)) {
      out = op;
      return true;
    }
  return false;
}

bool parse_finish_reason(const std::string& s, FinishReason& out) {
  for (auto fr : {FinishReason::stop, FinishReason::length, FinishReason::abort,
                  FinishReason::tool_calls, FinishReason::error})
    if (s == to_string(fr)) {
      out = fr;
      return true;
    }
  return false;
}

Status validate(GenerationEvent& e) {
  WLM_TRY(check_name("generation.model", e.model, true));
  WLM_TRY(check_name("generation.type", e.type, true));
  WLM_TRY(check("generation.startedAt", e.started_at, true, 0, Limits::kMaxTimestamp));
  WLM_TRY(check("generation.durationMs", e.duration_ms, true, 0, Limits::kMaxDurationMs));
  WLM_TRY(check("generation.ttftMs", e.ttft_ms, false, 0, Limits::kMaxDurationMs));
  if (present(e.ttft_ms) && e.ttft_ms > e.duration_ms)
    return Status::error("generation.ttftMs",
                         fmt::format("generation.ttftMs: {} is greater than durationMs {}",
                                     text(e.ttft_ms), text(e.duration_ms)));
  if (e.chunk_gaps_ms.size() > Limits::kMaxChunkGaps)
    return Status::error("generation.chunkGapsMs",
                         fmt::format("generation.chunkGapsMs: {} gaps, more than the limit {}",
                                     e.chunk_gaps_ms.size(), Limits::kMaxChunkGaps));
  for (std::size_t i = 0; i < e.chunk_gaps_ms.size(); ++i) {
    double g = e.chunk_gaps_ms[i];
    if (!std::isfinite(g) || g < 0 || g > Limits::kMaxDurationMs)
      return Status::error(
          "generation.chunkGapsMs",
          fmt::format("generation.chunkGapsMs[{}]: {} is not a duration in [0, {}]", i, text(g),
                      text(Limits::kMaxDurationMs)));
  }
  WLM_TRY(check("generation.promptTokens", e.prompt_tokens, false, 0, Limits::kMaxTokens, true));
  WLM_TRY(check("generation.completionTokens", e.completion_tokens, false, 0, Limits::kMaxTokens,
                true));
  WLM_TRY(check("generation.engineTtftMs", e.engine_ttft_ms, false, 0, Limits::kMaxDurationMs));
  WLM_TRY(check("generation.enginePrefillTokensPerSec", e.engine_prefill_tokens_per_sec, false, 0,
                Limits::kMaxRate));
  WLM_TRY(check("generation.engineDecodeTokensPerSec", e.engine_decode_tokens_per_sec, false, 0,
                Limits::kMaxRate));
  WLM_TRY(check("generation.engineTimePerOutputTokenMs", e.engine_time_per_output_token_ms, false,
                0, Limits::kMaxDurationMs));
  WLM_TRY(check_name("generation.errorName", e.error_name, false));
  WLM_TRY(check("generation.promptChars", e.prompt_chars, false, 0, Limits::kMaxChars, true));
  WLM_TRY(check("generation.responseChars", e.response_chars, false, 0, Limits::kMaxChars, true));
  WLM_TRY(check("generation.temperature", e.temperature, false, 0, Limits::kMaxTemperature));
  WLM_TRY(check("generation.maxTokens", e.max_tokens, false, 1, Limits::kMaxTokens, true));
  if (e.outcome() == FinishReason::error && e.error_name.empty()) e.error_name = "Error";
  cut(e.error_message, Limits::kMaxMessageBytes);
  return Status::success();
}

Status validate(ModelLoadEvent& e) {
  WLM_TRY(check_name("load.model", e.model, true));
  WLM_TRY(check("load.startedAt", e.started_at, true, 0, Limits::kMaxTimestamp));
  WLM_TRY(check("load.durationMs", e.duration_ms, true, 0, Limits::kMaxDurationMs));
  WLM_TRY(check("load.bytesFetched", e.bytes_fetched, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check_name("load.errorName", e.error_name, false));
  if (e.error_name.empty() && !e.error_message.empty()) e.error_name = "Error";
  cut(e.error_message, Limits::kMaxMessageBytes);
  return Status::success();
}

Status validate(CacheLookupEvent& e) {
  WLM_TRY(check_name("cache.cache", e.cache, true));
  WLM_TRY(check("cache.timestamp", e.timestamp, true, 0, Limits::kMaxTimestamp));
  return Status::success();
}

Status validate(OperationEvent& e) {
  WLM_TRY(check_name("operation.name", e.name, true));
  WLM_TRY(check("operation.startedAt", e.started_at, true, 0, Limits::kMaxTimestamp));
  WLM_TRY(check("operation.durationMs", e.duration_ms, true, 0, Limits::kMaxDurationMs));
  WLM_TRY(check_name("operation.errorName", e.error_name, false));
  if (!e.success && e.error_name.empty()) e.error_name = "Error";
  cut(e.error_message, Limits::kMaxMessageBytes);
  return Status::success();
}

Status validate(MemorySample& e) {
  WLM_TRY(check_name("memory.label", e.label, true));
  WLM_TRY(check("memory.timestamp", e.timestamp, true, 0, Limits::kMaxTimestamp));
  WLM_TRY(check("memory.usedJSHeapSize", e.used_js_heap, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.totalJSHeapSize", e.total_js_heap, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.jsHeapSizeLimit", e.js_heap_limit, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.userAgentBytes", e.ua_measured_bytes, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.wasmHeapBytes", e.wasm_heap_bytes, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.gpuBufferBytes", e.gpu_buffer_bytes, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.storageUsage", e.storage_usage, false, 0, Limits::kMaxBytes, true));
  WLM_TRY(check("memory.storageQuota", e.storage_quota, false, 0, Limits::kMaxBytes, true));
  return Status::success();
}

Status validate(WebGpuInfo& e) {
  WLM_TRY(check("webgpu.timestamp", e.timestamp, true, 0, Limits::kMaxTimestamp));
  for (std::string* s : {&e.vendor, &e.architecture, &e.device, &e.description})
    cut(*s, Limits::kMaxNameBytes);
  if (e.limits.size() > 256)
    return Status::error(
        "webgpu.limits",
        fmt::format("webgpu.limits: {} entries, more than the limit 256", e.limits.size()));
  if (e.features.size() > 256)
    return Status::error(
        "webgpu.features",
        fmt::format("webgpu.features: {} entries, more than the limit 256", e.features.size()));
  for (const auto& [name, v] : e.limits) {
    WLM_TRY(check_name("webgpu.limits", name, true));
    if (!std::isfinite(v) || v < 0)
      return Status::error(
          "webgpu.limits",
          fmt::format("webgpu.limits: {} is {}, not a finite number >= 0", name, text(v)));
  }
  for (const auto& f : e.features) WLM_TRY(check_name("webgpu.features", f, true));
  return Status::success();
}

Status validate(DeviceLostEvent& e) {
  WLM_TRY(check("deviceLost.timestamp", e.timestamp, true, 0, Limits::kMaxTimestamp));
  WLM_TRY(check_name("deviceLost.model", e.model, false));
  cut(e.reason, Limits::kMaxNameBytes);
  cut(e.message, Limits::kMaxMessageBytes);
  return Status::success();
}

}  // namespace wlm

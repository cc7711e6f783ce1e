// The events the core ingests, and their validation. Timestamps are epoch milliseconds,
// durations milliseconds, sizes bytes. NaN in an optional field means "absent".
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.hpp"

namespace wlm {

enum class Operation : std::uint8_t { chat = 0, completion = 1, embedding = 2 };
enum class FinishReason : std::uint8_t {
  stop = 0,
  length = 1,
  abort = 2,
  tool_calls = 3,
  error = 4
};
/// Model loaded from the browser cache: yes, no, or not known.
enum class Tristate : std::uint8_t { no = 0, yes = 1, unknown = 2 };

const char* to_string(Operation op);
const char* to_string(FinishReason fr);
const char* to_string(Tristate t);
bool parse_operation(const std::string& s, Operation& out);
bool parse_finish_reason(const std::string& s, FinishReason& out);
/// "true", "false" or "unknown", as to_string(Tristate) writes them.
bool parse_tristate(const std::string& s, Tristate& out);

inline bool present(double v) { return !std::isnan(v); }

/// Limits beyond which a value is refused as absurd.
struct Limits {
  static constexpr double kMaxTimestamp = 8.64e15;   // JavaScript's Date range
  static constexpr double kMaxDurationMs = 6.048e8;  // one week
  static constexpr double kMaxTokens = 1e9;
  static constexpr double kMaxChars = 1e10;
  static constexpr double kMaxRate = 1e9;                    // tokens per second
  static constexpr double kMaxBytes = 1.125899906842624e15;  // 1 PiB
  static constexpr double kMaxTemperature = 100;
  static constexpr std::size_t kMaxNameBytes = 256;      // model, type, cache, operation names
  static constexpr std::size_t kMaxMessageBytes = 2048;  // error messages are cut to this
  static constexpr std::size_t kMaxChunkGaps = 1u << 20;
};

/// The type of a generation that names none.
inline constexpr const char* kDefaultType = "default";

struct GenerationEvent {
  std::string model;
  std::string type = kDefaultType;
  Operation operation = Operation::chat;
  double started_at = NAN;
  double duration_ms = NAN;
  double ttft_ms = NAN;
  std::vector<double> chunk_gaps_ms;
  double prompt_tokens = NAN;
  double completion_tokens = NAN;
  double engine_ttft_ms = NAN;
  double engine_prefill_tokens_per_sec = NAN;
  double engine_decode_tokens_per_sec = NAN;
  double engine_time_per_output_token_ms = NAN;
  /// Absent -> error when error_name is set, else stop.
  bool has_finish_reason = false;
  FinishReason finish_reason = FinishReason::stop;
  std::string error_name;
  std::string error_message;
  double prompt_chars = NAN;
  double response_chars = NAN;
  double temperature = NAN;
  double max_tokens = NAN;

  FinishReason outcome() const {
    if (has_finish_reason) return finish_reason;
    return error_name.empty() ? FinishReason::stop : FinishReason::error;
  }
  double ended_at() const { return started_at + duration_ms; }
};

struct ModelLoadEvent {
  std::string model;
  double started_at = NAN;
  double duration_ms = NAN;
  Tristate from_cache = Tristate::unknown;
  double bytes_fetched = NAN;
  std::string error_name;  // empty on success
  std::string error_message;
};

struct CacheLookupEvent {
  std::string cache;
  bool hit = false;
  double timestamp = NAN;
};

struct OperationEvent {
  std::string name;
  double started_at = NAN;
  double duration_ms = NAN;
  bool success = true;
  std::string error_name;
  std::string error_message;
};

struct MemorySample {
  std::string label;
  double timestamp = NAN;
  double used_js_heap = NAN;
  double total_js_heap = NAN;
  double js_heap_limit = NAN;
  double ua_measured_bytes = NAN;
  double wasm_heap_bytes = NAN;
  double gpu_buffer_bytes = NAN;
  double storage_usage = NAN;
  double storage_quota = NAN;
};

struct WebGpuInfo {
  double timestamp = NAN;
  bool available = false;
  std::string vendor, architecture, device, description;
  bool is_fallback_adapter = false;
  std::map<std::string, double> limits;
  std::vector<std::string> features;
};

struct DeviceLostEvent {
  double timestamp = NAN;
  std::string reason;
  std::string message;
  std::string model;  // the model whose device was lost; empty -> the last loaded model
};

/// Each returns ok, or the first offending field ("generation.durationMs") and a message naming
/// its value. Validation may normalize free text (cut long error messages, blank their control
/// characters but tab and line breaks); it never changes other valid data.
Status validate(GenerationEvent& e);
Status validate(ModelLoadEvent& e);
Status validate(CacheLookupEvent& e);
Status validate(OperationEvent& e);
Status validate(MemorySample& e);
Status validate(WebGpuInfo& e);
Status validate(DeviceLostEvent& e);

}  // namespace wlm

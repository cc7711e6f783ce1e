// The batch wire format: events written by JavaScript into a Float64Array view of wasm memory
// and ingested with one call. js/core.js writes exactly this layout.
//
// A record is [kind, length, mask, field 0, field 1, ...(, extra values)] where `length` counts
// every double of the record including the three header slots, and bit i of `mask` says that
// field i is present (an absent field is distinct from a NaN, which is refused). String fields
// hold an index into the batch's string table; enum fields are strings too, so that an unknown
// value can be named in the error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "monitor.hpp"

namespace wlm::batch {

enum Kind : int {
  kGeneration = 1,   // fields: see GenerationField; then chunkGapCount gap values
  kModelLoad = 2,    // model, startedAt, durationMs, fromCache ("true"|"false"|"unknown"),
                     // bytesFetched, errorName, errorMessage
  kCacheLookup = 3,  // cache, hit (0|1), timestamp
  kOperation = 4,    // name, startedAt, durationMs, success (0|1), errorName, errorMessage
  kMemory = 5,       // label, timestamp, usedJSHeapSize, totalJSHeapSize, jsHeapSizeLimit,
                     // userAgentBytes, wasmHeapBytes, gpuBufferBytes, storageUsage, storageQuota
  kDeviceLost = 6,   // timestamp, reason, message, model
  kDurations = 7,    // name, success (0|1), startedAt, count; then count duration values
  kRejected = 8,     // field, message: an event the writer refused (a wrong JS type), counted
};

enum GenerationField : int {
  kModel,
  kType,
  kOperationName,
  kStartedAt,
  kDurationMs,
  kTtftMs,
  kPromptTokens,
  kCompletionTokens,
  kEngineTtftMs,
  kEnginePrefillTps,
  kEngineDecodeTps,
  kEngineTpotMs,
  kFinishReason,
  kErrorName,
  kErrorMessage,
  kPromptChars,
  kResponseChars,
  kTemperature,
  kMaxTokens,
  kChunkGapCount,
  kGenerationFieldCount
};

/// The generation fields that are plain numbers, and the member of the event each goes to
/// (NaN when absent).
struct GenerationNumber {
  GenerationField field;
  double GenerationEvent::*member;
};
inline constexpr GenerationNumber kGenerationNumbers[] = {
    {kStartedAt, &GenerationEvent::started_at},
    {kDurationMs, &GenerationEvent::duration_ms},
    {kTtftMs, &GenerationEvent::ttft_ms},
    {kPromptTokens, &GenerationEvent::prompt_tokens},
    {kCompletionTokens, &GenerationEvent::completion_tokens},
    {kEngineTtftMs, &GenerationEvent::engine_ttft_ms},
    {kEnginePrefillTps, &GenerationEvent::engine_prefill_tokens_per_sec},
    {kEngineDecodeTps, &GenerationEvent::engine_decode_tokens_per_sec},
    {kEngineTpotMs, &GenerationEvent::engine_time_per_output_token_ms},
    {kPromptChars, &GenerationEvent::prompt_chars},
    {kResponseChars, &GenerationEvent::response_chars},
    {kTemperature, &GenerationEvent::temperature},
    {kMaxTokens, &GenerationEvent::max_tokens},
};

/// Fields per kind (index = kind), the header excluded.
inline constexpr int kFieldCount[] = {0, kGenerationFieldCount, 7, 3, 6, 10, 4, 4, 2};
inline constexpr int kHeader = 3;

struct Rejection {
  std::size_t record;  // 0-based index of the record in the batch
  std::string field;
  std::string message;
};

struct Result {
  std::size_t accepted = 0;
  /// Of the accepted records, those the fast path took (ingest/recorder.hpp).
  std::size_t fast = 0;
  std::vector<Rejection> rejected;
  /// Set when the batch itself is malformed (a bug in the writer): records from the bad one on
  /// were not read.
  std::string malformed;
};

/// Ingests `records` records from `data` (holding `size` doubles). Successful operations and
/// generations that pass every check take a fast path (ingest/recorder.hpp); every other record
/// is decoded into its event and given to Monitor::record.
Result ingest(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
              const std::vector<std::string>& strings);

/// ingest() without the fast path: every record decoded and given to Monitor::record. The
/// reference the tests hold ingest() to (the same result and the same monitor afterwards).
Result ingest_reference(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
                        const std::vector<std::string>& strings);

/// Records WebGPU adapter information given as JSON ({timestamp, available, vendor, architecture,
/// device, description, isFallbackAdapter, limits, features}); rare, so JSON is fine here.
Status record_webgpu(Monitor& monitor, const std::string& json_text);

/// Applies a partial configuration given as JSON (see Config::read). On error nothing changes.
Status configure(Monitor& monitor, const std::string& json_text);

}  // namespace wlm::batch

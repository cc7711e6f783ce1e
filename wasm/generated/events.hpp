// Generated from schema/description.mjs by scripts/generate.mjs (npm run generate): do not edit.
// The batch records of the events (wasm/batch.hpp): kinds, fields and their wire names.
#pragma once

#include <cstddef>

namespace wlm::events {

/// The kind of a record (its first double).
enum Kind : int {
  kGeneration = 1,
  kModelLoad = 2,
  kCacheLookup = 3,
  kOperation = 4,
  kMemorySample = 5,
  kDeviceLost = 6,
  kDurations = 7,
  kRejected = 8,
};
inline constexpr int kKindCount = 9;  ///< kinds are 1..8

/// A record's header, in doubles: kind, length (the whole record's), presence mask.
inline constexpr int kHeader = 3;

/// Fields of a generation record.
namespace generation_field {
enum : int {
  kModel,
  kType,
  kOperation,
  kStartedAt,
  kDurationMs,
  kTtftMs,
  kPromptTokens,
  kCompletionTokens,
  kEngineTtftMs,
  kEnginePrefillTokensPerSec,
  kEngineDecodeTokensPerSec,
  kEngineTimePerOutputTokenMs,
  kFinishReason,
  kErrorName,
  kErrorMessage,
  kPromptChars,
  kResponseChars,
  kTemperature,
  kMaxTokens,
  kChunkGapsMs,
  kFieldCount
};
}  // namespace generation_field

/// Fields of a load record.
namespace load_field {
enum : int {
  kModel,
  kStartedAt,
  kDurationMs,
  kFromCache,
  kBytesFetched,
  kErrorName,
  kErrorMessage,
  kFieldCount
};
}  // namespace load_field

/// Fields of a cache record.
namespace cache_field {
enum : int {
  kCache,
  kHit,
  kTimestamp,
  kFieldCount
};
}  // namespace cache_field

/// Fields of a operation record.
namespace operation_field {
enum : int {
  kName,
  kStartedAt,
  kDurationMs,
  kSuccess,
  kErrorName,
  kErrorMessage,
  kFieldCount
};
}  // namespace operation_field

/// Fields of a memory record.
namespace memory_field {
enum : int {
  kLabel,
  kTimestamp,
  kUsedJSHeapSize,
  kTotalJSHeapSize,
  kJsHeapSizeLimit,
  kUserAgentBytes,
  kWasmHeapBytes,
  kGpuBufferBytes,
  kStorageUsage,
  kStorageQuota,
  kFieldCount
};
}  // namespace memory_field

/// Fields of a deviceLost record.
namespace deviceLost_field {
enum : int {
  kTimestamp,
  kReason,
  kMessage,
  kModel,
  kFieldCount
};
}  // namespace deviceLost_field

/// Fields of a durations record.
namespace durations_field {
enum : int {
  kName,
  kSuccess,
  kStartedAt,
  kCount,
  kFieldCount
};
}  // namespace durations_field

/// Fields of a rejected record.
namespace rejected_field {
enum : int {
  kField,
  kMessage,
  kFieldCount
};
}  // namespace rejected_field

/// A field's wire name ("generation.model"), and whether it is a plain number: a number marked
/// present must not be NaN (in the C++ event types NaN means "absent").
struct FieldInfo {
  const char* name;
  bool number;
};

inline constexpr FieldInfo kGenerationFields[] = {
    {"generation.model", false},
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
    {"generation.chunkGapsMs", false},
};
inline constexpr FieldInfo kModelLoadFields[] = {
    {"load.model", false},
    {"load.startedAt", true},
    {"load.durationMs", true},
    {"load.fromCache", false},
    {"load.bytesFetched", true},
    {"load.errorName", false},
    {"load.errorMessage", false},
};
inline constexpr FieldInfo kCacheLookupFields[] = {
    {"cache.cache", false},
    {"cache.hit", false},
    {"cache.timestamp", true},
};
inline constexpr FieldInfo kOperationFields[] = {
    {"operation.name", false},
    {"operation.startedAt", true},
    {"operation.durationMs", true},
    {"operation.success", false},
    {"operation.errorName", false},
    {"operation.errorMessage", false},
};
inline constexpr FieldInfo kMemorySampleFields[] = {
    {"memory.label", false},
    {"memory.timestamp", true},
    {"memory.usedJSHeapSize", true},
    {"memory.totalJSHeapSize", true},
    {"memory.jsHeapSizeLimit", true},
    {"memory.userAgentBytes", true},
    {"memory.wasmHeapBytes", true},
    {"memory.gpuBufferBytes", true},
    {"memory.storageUsage", true},
    {"memory.storageQuota", true},
};
inline constexpr FieldInfo kDeviceLostFields[] = {
    {"deviceLost.timestamp", true},
    {"deviceLost.reason", false},
    {"deviceLost.message", false},
    {"deviceLost.model", false},
};
inline constexpr FieldInfo kDurationsFields[] = {
    {"operation.name", false},
    {"operation.success", false},
    {"operation.startedAt", true},
    {"operation.count", false},
};
inline constexpr FieldInfo kRejectedFields[] = {
    {"rejected.field", false},
    {"rejected.message", false},
};

/// The plain-number fields of a record, each with the member of the record's event that it is
/// read into (NaN when absent). A template over the event type (wasm/events.hpp), so that this
/// header includes none: kGenerationNumbers<GenerationEvent>.
template <class Event>
struct NumberField {
  int field;
  double Event::*member;
};

template <class Event>
inline constexpr NumberField<Event> kGenerationNumbers[] = {
    {generation_field::kStartedAt, &Event::started_at},
    {generation_field::kDurationMs, &Event::duration_ms},
    {generation_field::kTtftMs, &Event::ttft_ms},
    {generation_field::kPromptTokens, &Event::prompt_tokens},
    {generation_field::kCompletionTokens, &Event::completion_tokens},
    {generation_field::kEngineTtftMs, &Event::engine_ttft_ms},
    {generation_field::kEnginePrefillTokensPerSec, &Event::engine_prefill_tokens_per_sec},
    {generation_field::kEngineDecodeTokensPerSec, &Event::engine_decode_tokens_per_sec},
    {generation_field::kEngineTimePerOutputTokenMs, &Event::engine_time_per_output_token_ms},
    {generation_field::kPromptChars, &Event::prompt_chars},
    {generation_field::kResponseChars, &Event::response_chars},
    {generation_field::kTemperature, &Event::temperature},
    {generation_field::kMaxTokens, &Event::max_tokens},
};
template <class Event>
inline constexpr NumberField<Event> kModelLoadNumbers[] = {
    {load_field::kStartedAt, &Event::started_at},
    {load_field::kDurationMs, &Event::duration_ms},
    {load_field::kBytesFetched, &Event::bytes_fetched},
};
template <class Event>
inline constexpr NumberField<Event> kCacheLookupNumbers[] = {
    {cache_field::kTimestamp, &Event::timestamp},
};
template <class Event>
inline constexpr NumberField<Event> kOperationNumbers[] = {
    {operation_field::kStartedAt, &Event::started_at},
    {operation_field::kDurationMs, &Event::duration_ms},
};
template <class Event>
inline constexpr NumberField<Event> kMemorySampleNumbers[] = {
    {memory_field::kTimestamp, &Event::timestamp},
    {memory_field::kUsedJSHeapSize, &Event::used_js_heap},
    {memory_field::kTotalJSHeapSize, &Event::total_js_heap},
    {memory_field::kJsHeapSizeLimit, &Event::js_heap_limit},
    {memory_field::kUserAgentBytes, &Event::ua_measured_bytes},
    {memory_field::kWasmHeapBytes, &Event::wasm_heap_bytes},
    {memory_field::kGpuBufferBytes, &Event::gpu_buffer_bytes},
    {memory_field::kStorageUsage, &Event::storage_usage},
    {memory_field::kStorageQuota, &Event::storage_quota},
};
template <class Event>
inline constexpr NumberField<Event> kDeviceLostNumbers[] = {
    {deviceLost_field::kTimestamp, &Event::timestamp},
};

/// Per kind (index = kind): its fields, and how many there are.
inline constexpr const FieldInfo* kFields[] = {nullptr, kGenerationFields, kModelLoadFields, kCacheLookupFields, kOperationFields, kMemorySampleFields, kDeviceLostFields, kDurationsFields, kRejectedFields};
inline constexpr int kFieldCount[] = {0, 20, 7, 3, 6, 10, 4, 4, 2};

/// The most numbers a record carries after its fields.
inline constexpr std::size_t kMaxGenerationList = 1048576;
inline constexpr std::size_t kMaxDurationsList = 4194304;

}  // namespace wlm::events

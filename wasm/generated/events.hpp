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
  kCount
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
  kCount
};
}  // namespace load_field

/// Fields of a cache record.
namespace cache_field {
enum : int {
  kCache,
  kHit,
  kTimestamp,
  kCount
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
  kCount
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
  kCount
};
}  // namespace memory_field

/// Fields of a deviceLost record.
namespace deviceLost_field {
enum : int {
  kTimestamp,
  kReason,
  kMessage,
  kModel,
  kCount
};
}  // namespace deviceLost_field

/// Fields of a durations record.
namespace durations_field {
enum : int {
  kName,
  kSuccess,
  kStartedAt,
  kCount,
  kCount
};
}  // namespace durations_field

/// Fields of a rejected record.
namespace rejected_field {
enum : int {
  kField,
  kMessage,
  kCount
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

/// Per kind (index = kind): its fields, and how many there are.
inline constexpr const FieldInfo* kFields[] = {nullptr, kGenerationFields, kModelLoadFields, kCacheLookupFields, kOperationFields, kMemorySampleFields, kDeviceLostFields, kDurationsFields, kRejectedFields};
inline constexpr int kFieldCount[] = {0, 20, 7, 3, 6, 10, 4, 4, 2};

/// The most numbers a record carries after its fields.
inline constexpr std::size_t kMaxGenerationList = 1048576;
inline constexpr std::size_t kMaxDurationsList = 4194304;

}  // namespace wlm::events

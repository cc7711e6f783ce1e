// What the validation suites share (validation*.cpp): one valid event of each kind, and the check
// that an event is accepted.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "monitor.hpp"

namespace validation_test {

using wlm::CacheLookupEvent;
using wlm::DeviceLostEvent;
using wlm::FinishReason;
using wlm::GenerationEvent;
using wlm::json;
using wlm::Limits;
using wlm::MemorySample;
using wlm::ModelLoadEvent;
using wlm::Monitor;
using wlm::OperationEvent;
using wlm::Status;
using wlm::Tristate;
using wlm::WebGpuInfo;

inline constexpr double kT0 = 1'700'000'000'000.0;  // 2023-11-14, epoch ms
inline constexpr double kNow = kT0 + 120'000;

// ------------------------------------------------------------------------------------------------
// Valid events, one of each kind.

inline GenerationEvent valid_generation() {
  GenerationEvent e;
  e.model = "Llama-3.1-8B-Instruct-q4f16_1-MLC";
  e.type = "chat-ui";
  e.operation = wlm::Operation::chat;
  e.started_at = kT0 + 1000;
  e.duration_ms = 2000;
  e.ttft_ms = 300;
  e.chunk_gaps_ms = {20, 25, 30};
  e.prompt_tokens = 120;
  e.completion_tokens = 64;
  e.engine_ttft_ms = 280;
  e.engine_prefill_tokens_per_sec = 450;
  e.engine_decode_tokens_per_sec = 38;
  e.engine_time_per_output_token_ms = 26;
  e.prompt_chars = 480;
  e.response_chars = 250;
  e.temperature = 0.7;
  e.max_tokens = 512;
  return e;
}

inline ModelLoadEvent valid_load() {
  ModelLoadEvent e;
  e.model = "Llama-3.1-8B-Instruct-q4f16_1-MLC";
  e.started_at = kT0;
  e.duration_ms = 900;
  e.from_cache = Tristate::no;
  e.bytes_fetched = 4'500'000'000;
  return e;
}

inline CacheLookupEvent valid_cache() {
  CacheLookupEvent e;
  e.cache = "webllm/model";
  e.hit = true;
  e.timestamp = kT0 + 500;
  return e;
}

inline OperationEvent valid_operation() {
  OperationEvent e;
  e.name = "tokenize";
  e.started_at = kT0 + 700;
  e.duration_ms = 12;
  e.success = true;
  return e;
}

inline MemorySample valid_memory() {
  MemorySample e;
  e.label = "periodic";
  e.timestamp = kT0 + 1500;
  e.used_js_heap = 50'000'000;
  e.total_js_heap = 80'000'000;
  e.js_heap_limit = 4'000'000'000;
  e.ua_measured_bytes = 120'000'000;
  e.wasm_heap_bytes = 16'777'216;
  e.gpu_buffer_bytes = 4'200'000'000;
  e.storage_usage = 4'600'000'000;
  e.storage_quota = 100'000'000'000;
  return e;
}

inline WebGpuInfo valid_webgpu() {
  WebGpuInfo e;
  e.timestamp = kT0 + 10;
  e.available = true;
  e.vendor = "nvidia";
  e.architecture = "ampere";
  e.limits = {{"maxBufferSize", 268435456}, {"maxComputeWorkgroupSizeX", 256}};
  e.features = {"shader-f16", "timestamp-query"};
  return e;
}

inline DeviceLostEvent valid_device_lost() {
  DeviceLostEvent e;
  e.timestamp = kT0 + 5000;
  e.reason = "unknown";
  e.message = "GPU connection lost";
  return e;
}

/// Records `e`, which must be accepted, with no rejection counted.
template <class Event>
void expect_accepted(Monitor& m, Event e) {
  std::uint64_t total = m.state().rejected;
  Status s = m.record(std::move(e));
  INFO("field: " << s.field << ", message: " << s.message);
  CHECK(s.ok);
  CHECK(m.state().rejected == total);
}

}  // namespace validation_test

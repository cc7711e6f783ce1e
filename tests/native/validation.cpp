// Event validation through Monitor::record: every field of every event kind refused with its exact
// name and value, counted as a rejection, and nothing else touched. The valid edge cases, absent
// fields and defaults are in validation_accepted.cpp; what both use in validation_helpers.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "monitor.hpp"
#include "validation_helpers.hpp"

using namespace validation_test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::uint64_t rejected_for(const Monitor& m, const std::string& field) {
  const auto& items = m.state().rejected_by_field.items;
  auto it = items.find(field);
  return it == items.end() ? 0 : it->second;
}

/// A monitor holding one valid event of every kind (and a failed generation), so that "nothing
/// else changed" compares non-trivial state.
void populate(Monitor& m) {
  CHECK(m.record(valid_load()).ok);
  CHECK(m.record(valid_generation()).ok);
  GenerationEvent failed = valid_generation();
  failed.started_at += 4000;
  failed.error_name = "InternalError";
  failed.error_message = "out of memory";
  CHECK(m.record(failed).ok);
  CHECK(m.record(valid_cache()).ok);
  CHECK(m.record(valid_operation()).ok);
  CHECK(m.record(valid_memory()).ok);
  CHECK(m.record(valid_webgpu()).ok);
  CHECK(m.record(valid_device_lost()).ok);
  double durations[] = {3, 4, 5};
  CHECK(m.record_durations("embed", true, kT0 + 9000, durations, 3).ok);
  CHECK(m.state().rejected == 0);
}

// ------------------------------------------------------------------------------------------------
// The rejection contract.

/// Everything an export or the metrics hold, except the rejection counters.
json untouched_view(const Monitor& m) {
  json doc = m.export_document(kNow);
  json out = json::object();
  json sketches = doc["sketches"];
  sketches.erase("rejected");
  out["sketches"] = sketches;
  for (const char* key : {"generations", "initialization", "cache", "errors", "memory",
                          "operations", "webgpu", "windows", "cost", "health"})
    out[std::string("metrics.") + key] = doc["metrics"][key];
  out["history.generations"] = doc["generations"];
  out["history.memorySnapshots"] = doc["memorySnapshots"];
  json status = doc["status"];
  status.erase("rejected");
  out["status"] = status;
  return out;
}

/// Records `e`, which must be refused naming `field` and (when not empty) `value` in its message,
/// counted as one rejection of that field, and leaving every other part of the state as it was.
template <class Event>
void expect_rejected(Monitor& m, Event e, const std::string& field, const std::string& value) {
  INFO("expected field: " << field << ", value: " << value);
  json before = untouched_view(m);
  std::uint64_t total = m.state().rejected;
  std::uint64_t by_field = rejected_for(m, field);

  Status s = m.record(std::move(e));
  INFO("got field: " << s.field << ", message: " << s.message);
  CHECK_FALSE(s.ok);
  CHECK(s.field == field);
  CHECK(contains(s.message, field));
  if (!value.empty()) CHECK(contains(s.message, value));

  CHECK(m.state().rejected == total + 1);
  CHECK(rejected_for(m, field) == by_field + 1);
  json metrics = m.metrics(kNow);
  json& rejected = metrics["rejected"];
  CHECK(rejected["total"] == json(total + 1));
  CHECK(rejected["byField"].value(field, json(0)) == json(by_field + 1));
  // (REQUIRE does not stop a test without exceptions: guard by hand.)
  bool has_recent = rejected["recent"].is_array() && !rejected["recent"].empty();
  CHECK(has_recent);
  if (has_recent) {
    CHECK(rejected["recent"][0]["field"] == json(field));
    CHECK(rejected["recent"][0]["message"] == json(s.message));
  }

  json after = untouched_view(m);
  for (auto it = before.begin(); it != before.end(); ++it) {
    // (clang 14 cannot capture a structured binding in doctest's message lambda: no [k, v] here)
    const std::string key = it.key();
    bool same = after[key] == it.value();  // a bool: the documents are too big to print
    CHECK_MESSAGE(same, "changed by a refused event: " << key);
  }
}

struct Bad {
  double value;
  const char* text;
};

/// The rules of one numeric field.
struct Rule {
  bool required;
  bool whole;
  double over;            // just above the limit
  const char* over_text;  // how the message writes it
  double min = 0;
};

const Rule kTimestamp{true, false, 8640000000000001.0, "8640000000000001"};
const Rule kDuration{true, false, 604800001.0, "604800001"};
const Rule kOptionalDuration{false, false, 604800001.0, "604800001"};
const Rule kTokens{false, true, 1000000001.0, "1000000001"};
const Rule kChars{false, true, 10000000001.0, "10000000001"};
const Rule kRate{false, false, 1000000001.0, "1000000001"};
const Rule kBytes{false, true, 1125899906842625.0, "1125899906842625"};
const Rule kTemperature{false, false, 100.5, "100.5"};
const Rule kMaxTokens{false, true, 1000000001.0, "1000000001", 1};

std::vector<Bad> bad_values(const Rule& r) {
  std::vector<Bad> out = {{INFINITY, "Infinity"}, {-INFINITY, "-Infinity"}, {-5, "-5"},
                          {-0.25, "-0.25"},       {r.over, r.over_text},    {1e300, "1e+300"}};
  if (r.required) out.push_back({NAN, "NaN"});
  if (r.whole) out.push_back({2.5, "2.5"});
  if (r.min > 0) out.push_back({0, "0"});
  return out;
}

/// Every bad value of a numeric field is refused; an absent optional one (NaN) is accepted.
template <class Event>
void check_number(Monitor& m, const Event& base, double Event::*member, const std::string& field,
                  const Rule& rule) {
  for (const Bad& bad : bad_values(rule)) {
    Event e = base;
    e.*member = bad.value;
    expect_rejected(m, e, field, bad.text);
  }
  if (!rule.required) {
    INFO("absent optional field " << field);
    Event e = base;
    e.*member = NAN;
    expect_accepted(m, e);
  }
}

/// Names (model, type, cache, operation name, label, error name): empty when required, longer than
/// 256 bytes, or holding a control character.
template <class Event>
void check_name(Monitor& m, const Event& base, std::string Event::*member, const std::string& field,
                bool required) {
  Event e = base;
  if (required) {
    e.*member = "";
    expect_rejected(m, e, field, "");
  } else {
    INFO("empty optional name " << field);
    e.*member = "";
    expect_accepted(m, e);
  }
  e.*member = std::string(257, 'n');
  expect_rejected(m, e, field, "257");
  e.*member = std::string(1000, 'n');
  expect_rejected(m, e, field, "1000");
  // Control characters: the message must say which value (its printable part at least).
  for (char control : {'\x01', '\n', '\t', '\x1f', '\x7f'}) {
    INFO("control character " << static_cast<int>(control) << " in " << field);
    e.*member = std::string("bad") + control + "name";
    expect_rejected(m, e, field, "bad");
  }
  // Just at the limit, and UTF-8, are fine.
  e.*member = std::string(256, 'n');
  expect_accepted(m, e);
  e.*member = "模型-ü-😀";
  expect_accepted(m, e);
}

}  // namespace

// ================================================================================================

TEST_CASE("validation: GenerationEvent numeric fields") {
  Monitor m;
  populate(m);
  const GenerationEvent base = valid_generation();
  check_number(m, base, &GenerationEvent::started_at, "generation.startedAt", kTimestamp);
  check_number(m, base, &GenerationEvent::duration_ms, "generation.durationMs", kDuration);
  // ttftMs may not exceed durationMs: raise the duration so that the limit checks are reached.
  GenerationEvent long_run = base;
  long_run.duration_ms = Limits::kMaxDurationMs;
  check_number(m, long_run, &GenerationEvent::ttft_ms, "generation.ttftMs", kOptionalDuration);
  check_number(m, base, &GenerationEvent::prompt_tokens, "generation.promptTokens", kTokens);
  check_number(m, base, &GenerationEvent::completion_tokens, "generation.completionTokens",
               kTokens);
  check_number(m, base, &GenerationEvent::engine_ttft_ms, "generation.engineTtftMs",
               kOptionalDuration);
  check_number(m, base, &GenerationEvent::engine_prefill_tokens_per_sec,
               "generation.enginePrefillTokensPerSec", kRate);
  check_number(m, base, &GenerationEvent::engine_decode_tokens_per_sec,
               "generation.engineDecodeTokensPerSec", kRate);
  check_number(m, base, &GenerationEvent::engine_time_per_output_token_ms,
               "generation.engineTimePerOutputTokenMs", kOptionalDuration);
  check_number(m, base, &GenerationEvent::prompt_chars, "generation.promptChars", kChars);
  check_number(m, base, &GenerationEvent::response_chars, "generation.responseChars", kChars);
  check_number(m, base, &GenerationEvent::temperature, "generation.temperature", kTemperature);
  check_number(m, base, &GenerationEvent::max_tokens, "generation.maxTokens", kMaxTokens);
}

TEST_CASE("validation: GenerationEvent maxTokens 0 and ttftMs > durationMs") {
  Monitor m;
  populate(m);
  GenerationEvent e = valid_generation();
  e.max_tokens = 0;
  expect_rejected(m, e, "generation.maxTokens", "0");

  e = valid_generation();
  e.duration_ms = 2000;
  e.ttft_ms = 2500;
  expect_rejected(m, e, "generation.ttftMs", "2500");
  e.ttft_ms = 2000.5;
  expect_rejected(m, e, "generation.ttftMs", "2000.5");
  e.ttft_ms = 2000;  // equal is fine
  expect_accepted(m, e);
}

TEST_CASE("validation: GenerationEvent chunk gaps") {
  Monitor m;
  populate(m);
  for (const Bad& bad : std::vector<Bad>{{NAN, "NaN"},
                                         {INFINITY, "Infinity"},
                                         {-INFINITY, "-Infinity"},
                                         {-1, "-1"},
                                         {604800001.0, "604800001"},
                                         {1e300, "1e+300"}}) {
    GenerationEvent e = valid_generation();
    e.chunk_gaps_ms = {10, 20, bad.value, 30};
    expect_rejected(m, e, "generation.chunkGapsMs", bad.text);
  }
  {
    GenerationEvent e = valid_generation();
    e.chunk_gaps_ms.assign(Limits::kMaxChunkGaps + 1, 1.0);
    expect_rejected(m, e, "generation.chunkGapsMs", "1048577");
  }
  GenerationEvent e = valid_generation();
  e.chunk_gaps_ms = {0, 0, Limits::kMaxDurationMs};
  e.duration_ms = Limits::kMaxDurationMs;
  expect_accepted(m, e);
  e.chunk_gaps_ms.clear();
  expect_accepted(m, e);
}

TEST_CASE("validation: GenerationEvent names") {
  Monitor m;
  populate(m);
  const GenerationEvent base = valid_generation();
  check_name(m, base, &GenerationEvent::model, "generation.model", true);
  check_name(m, base, &GenerationEvent::type, "generation.type", true);
  check_name(m, base, &GenerationEvent::error_name, "generation.errorName", false);
}

TEST_CASE("validation: ModelLoadEvent") {
  Monitor m;
  populate(m);
  const ModelLoadEvent base = valid_load();
  check_name(m, base, &ModelLoadEvent::model, "load.model", true);
  check_number(m, base, &ModelLoadEvent::started_at, "load.startedAt", kTimestamp);
  check_number(m, base, &ModelLoadEvent::duration_ms, "load.durationMs", kDuration);
  check_number(m, base, &ModelLoadEvent::bytes_fetched, "load.bytesFetched", kBytes);
  check_name(m, base, &ModelLoadEvent::error_name, "load.errorName", false);
}

TEST_CASE("validation: CacheLookupEvent") {
  Monitor m;
  populate(m);
  const CacheLookupEvent base = valid_cache();
  check_name(m, base, &CacheLookupEvent::cache, "cache.cache", true);
  check_number(m, base, &CacheLookupEvent::timestamp, "cache.timestamp", kTimestamp);
}

TEST_CASE("validation: OperationEvent") {
  Monitor m;
  populate(m);
  const OperationEvent base = valid_operation();
  check_name(m, base, &OperationEvent::name, "operation.name", true);
  check_number(m, base, &OperationEvent::started_at, "operation.startedAt", kTimestamp);
  check_number(m, base, &OperationEvent::duration_ms, "operation.durationMs", kDuration);
  check_name(m, base, &OperationEvent::error_name, "operation.errorName", false);
}

TEST_CASE("validation: MemorySample") {
  Monitor m;
  populate(m);
  const MemorySample base = valid_memory();
  check_name(m, base, &MemorySample::label, "memory.label", true);
  check_number(m, base, &MemorySample::timestamp, "memory.timestamp", kTimestamp);
  check_number(m, base, &MemorySample::used_js_heap, "memory.usedJSHeapSize", kBytes);
  check_number(m, base, &MemorySample::total_js_heap, "memory.totalJSHeapSize", kBytes);
  check_number(m, base, &MemorySample::js_heap_limit, "memory.jsHeapSizeLimit", kBytes);
  check_number(m, base, &MemorySample::ua_measured_bytes, "memory.userAgentBytes", kBytes);
  check_number(m, base, &MemorySample::wasm_heap_bytes, "memory.wasmHeapBytes", kBytes);
  check_number(m, base, &MemorySample::gpu_buffer_bytes, "memory.gpuBufferBytes", kBytes);
  check_number(m, base, &MemorySample::storage_usage, "memory.storageUsage", kBytes);
  check_number(m, base, &MemorySample::storage_quota, "memory.storageQuota", kBytes);
}

TEST_CASE("validation: WebGpuInfo") {
  Monitor m;
  populate(m);
  const WebGpuInfo base = valid_webgpu();
  SUBCASE("timestamp") {
    check_number(m, base, &WebGpuInfo::timestamp, "webgpu.timestamp", kTimestamp);
  }
  SUBCASE("limit values") {
    for (const Bad& bad : std::vector<Bad>{
             {NAN, "NaN"}, {INFINITY, "Infinity"}, {-INFINITY, "-Infinity"}, {-1, "-1"}}) {
      WebGpuInfo e = base;
      e.limits["maxStorageBufferBindingSize"] = bad.value;
      expect_rejected(m, e, "webgpu.limits", bad.text);
      const auto& recent = m.state().recent_rejections;
      CHECK(!recent.empty());
      if (!recent.empty()) CHECK(contains(recent.back().message, "maxStorageBufferBindingSize"));
    }
  }
  SUBCASE("limit names") {
    WebGpuInfo e = base;
    e.limits[""] = 1;
    expect_rejected(m, e, "webgpu.limits", "");
    e = base;
    e.limits[std::string(257, 'l')] = 1;
    expect_rejected(m, e, "webgpu.limits", "257");
    e = base;
    e.limits["bad\x01limit"] = 1;
    expect_rejected(m, e, "webgpu.limits", "bad");
  }
  SUBCASE("features") {
    WebGpuInfo e = base;
    e.features.push_back("");
    expect_rejected(m, e, "webgpu.features", "");
    e = base;
    e.features.push_back(std::string(300, 'f'));
    expect_rejected(m, e, "webgpu.features", "300");
    e = base;
    e.features.push_back("bad\nfeature");
    expect_rejected(m, e, "webgpu.features", "bad");
  }
  SUBCASE("too many limits or features") {
    WebGpuInfo e = base;
    e.limits.clear();
    for (int i = 0; i < 257; ++i) e.limits["limit" + std::to_string(i)] = i;
    expect_rejected(m, e, "webgpu.limits", "257");
    e = base;
    e.features.clear();
    for (int i = 0; i < 257; ++i) e.features.push_back("feature-" + std::to_string(i));
    expect_rejected(m, e, "webgpu.features", "257");
  }
  SUBCASE("valid: 256 of each, long adapter strings cut") {
    WebGpuInfo e = base;
    e.limits.clear();
    for (int i = 0; i < 256; ++i) e.limits["limit" + std::to_string(i)] = i;
    for (int i = 0; i < 256 - 2; ++i) e.features.push_back("feature-" + std::to_string(i));
    e.description = std::string(300, 'd');
    e.timestamp = kT0 + 20;
    expect_accepted(m, e);
    CHECK(m.state().webgpu.limits.size() == 256);
    CHECK(m.state().webgpu.features.size() == 256);
    CHECK(m.state().webgpu.description.size() == Limits::kMaxNameBytes);
  }
}

TEST_CASE("validation: DeviceLostEvent") {
  Monitor m;
  populate(m);
  const DeviceLostEvent base = valid_device_lost();
  check_number(m, base, &DeviceLostEvent::timestamp, "deviceLost.timestamp", kTimestamp);
}

// ------------------------------------------------------------------------------------------------
// Valid edge cases

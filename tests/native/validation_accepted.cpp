// Event validation through Monitor::record, what it accepts: zero durations and tokens, values at
// the limits, optional fields absent, the default type, the inferred finishReason, and error
// messages over 2048 bytes cut without breaking UTF-8.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "monitor.hpp"
#include "validation_helpers.hpp"

using namespace validation_test;

namespace {

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("validation: zero durations, zero tokens and values at the limits are accepted") {
  Monitor m;
  GenerationEvent g;
  g.model = "m";
  g.started_at = 0;
  g.duration_ms = 0;
  g.ttft_ms = 0;
  g.chunk_gaps_ms = {0, 0};
  g.prompt_tokens = 0;
  g.completion_tokens = 0;
  g.engine_ttft_ms = 0;
  g.engine_prefill_tokens_per_sec = 0;
  g.engine_decode_tokens_per_sec = 0;
  g.engine_time_per_output_token_ms = 0;
  g.prompt_chars = 0;
  g.response_chars = 0;
  g.temperature = 0;
  g.max_tokens = 1;
  expect_accepted(m, g);

  GenerationEvent top = valid_generation();
  top.started_at = Limits::kMaxTimestamp;
  top.duration_ms = Limits::kMaxDurationMs;
  top.ttft_ms = Limits::kMaxDurationMs;
  top.prompt_tokens = Limits::kMaxTokens;
  top.completion_tokens = Limits::kMaxTokens;
  top.engine_prefill_tokens_per_sec = Limits::kMaxRate;
  top.engine_decode_tokens_per_sec = Limits::kMaxRate;
  top.prompt_chars = Limits::kMaxChars;
  top.response_chars = Limits::kMaxChars;
  top.temperature = Limits::kMaxTemperature;
  top.max_tokens = Limits::kMaxTokens;
  expect_accepted(m, top);

  ModelLoadEvent l = valid_load();
  l.started_at = 0;
  l.duration_ms = 0;
  l.bytes_fetched = 0;
  expect_accepted(m, l);
  l.bytes_fetched = Limits::kMaxBytes;
  expect_accepted(m, l);

  OperationEvent o = valid_operation();
  o.duration_ms = 0;
  expect_accepted(m, o);

  CacheLookupEvent c = valid_cache();
  c.timestamp = 0;
  expect_accepted(m, c);

  MemorySample s = valid_memory();
  s.used_js_heap = 0;
  s.storage_quota = Limits::kMaxBytes;
  expect_accepted(m, s);

  DeviceLostEvent d;
  d.timestamp = 0;
  expect_accepted(m, d);

  json metrics = m.metrics(kNow);
  CHECK(metrics["generations"]["total"] == 2);
  CHECK(metrics["generations"]["succeeded"] == 2);
  CHECK(metrics["initialization"]["loads"] == 2);
  CHECK(metrics["operations"]["tokenize"]["count"] == 1);
  CHECK(metrics["memory"]["samples"] == 1);
  CHECK(metrics["rejected"]["total"] == 0);
}

TEST_CASE("validation: optional fields absent") {
  Monitor m;
  GenerationEvent g;  // model, startedAt and durationMs only
  g.model = "m";
  g.started_at = kT0;
  g.duration_ms = 1500;
  expect_accepted(m, g);
  CHECK(m.generation_history().size() == 1);
  if (m.generation_history().size() != 1) return;
  const auto& r = m.generation_history().back();
  CHECK(r.event.type == "default");
  CHECK(r.event.outcome() == FinishReason::stop);
  CHECK(r.chunks == 0);
  CHECK(std::isnan(r.derived.ttft_ms));
  json metrics = m.metrics(kNow);
  CHECK(metrics["generations"]["byType"].contains("default"));
  CHECK(metrics["generations"]["tokens"]["total"] == 0);
  CHECK(metrics["generations"]["ttftMs"]["count"] == 0);
  CHECK(metrics["generations"]["latencyMs"]["count"] == 1);
  CHECK(metrics["generations"]["finishReasons"]["stop"] == 1);
  json rec = r.to_json();
  CHECK(rec["ttftMs"].is_null());
  CHECK(rec["promptTokens"].is_null());
  CHECK(rec["temperature"].is_null());
  CHECK(rec["maxTokens"].is_null());
  CHECK(rec["errorName"].is_null());

  ModelLoadEvent l;  // no bytes, no cache information, no error
  l.model = "m";
  l.started_at = kT0;
  l.duration_ms = 10;
  expect_accepted(m, l);
  metrics = m.metrics(kNow);
  CHECK(metrics["initialization"]["unknownCache"] == 1);
  CHECK(metrics["initialization"]["lastBytesFetched"].is_null());
  CHECK(metrics["initialization"]["lastFromCache"].is_null());
  CHECK(metrics["initialization"]["lastSucceeded"] == true);

  MemorySample s;  // no sizes at all
  s.label = "periodic";
  s.timestamp = kT0;
  expect_accepted(m, s);
  metrics = m.metrics(kNow);
  CHECK(metrics["memory"]["latest"]["usedJSHeapSize"].is_null());

  OperationEvent o;
  o.name = "op";
  o.started_at = kT0;
  o.duration_ms = 1;
  expect_accepted(m, o);

  WebGpuInfo w;  // an unavailable adapter: no strings, limits or features
  w.timestamp = kT0;
  expect_accepted(m, w);
  metrics = m.metrics(kNow);
  CHECK(metrics["webgpu"]["available"] == false);

  DeviceLostEvent d;  // no reason, no message
  d.timestamp = kT0;
  expect_accepted(m, d);
  CHECK(m.state().rejected == 0);
}

TEST_CASE("validation: the default type is \"default\"") {
  GenerationEvent e;
  CHECK(e.type == "default");
  Monitor m;
  e.model = "m";
  e.started_at = kT0;
  e.duration_ms = 1;
  expect_accepted(m, e);
  CHECK(m.state().by_type.items.count("default") == 1);
  CHECK(m.generation_history().back().to_json()["type"] == "default");
}

TEST_CASE("validation: finishReason is inferred as error when errorName is set") {
  Monitor m;
  GenerationEvent e = valid_generation();
  e.error_name = "GPUOutOfMemory";
  e.error_message = "could not allocate";
  CHECK_FALSE(e.has_finish_reason);
  expect_accepted(m, e);
  json metrics = m.metrics(kNow);
  CHECK(metrics["generations"]["failed"] == 1);
  CHECK(metrics["generations"]["finishReasons"]["error"] == 1);
  CHECK(metrics["errors"]["byName"]["GPUOutOfMemory"] == 1);
  CHECK(metrics["errors"]["recent"][0]["message"] == "could not allocate");
  CHECK(m.generation_history().back().to_json()["finishReason"] == "error");

  // An explicit finish reason wins over the inference.
  e.has_finish_reason = true;
  e.finish_reason = FinishReason::abort;
  expect_accepted(m, e);
  metrics = m.metrics(kNow);
  CHECK(metrics["generations"]["aborted"] == 1);
  CHECK(m.generation_history().back().to_json()["finishReason"] == "abort");

  // finishReason "error" without a name gets the name "Error"; no name and no reason is "stop".
  GenerationEvent unnamed = valid_generation();
  unnamed.has_finish_reason = true;
  unnamed.finish_reason = FinishReason::error;
  expect_accepted(m, unnamed);
  GenerationEvent plain = valid_generation();
  expect_accepted(m, plain);
  metrics = m.metrics(kNow);
  CHECK(metrics["errors"]["byName"]["Error"] == 1);
  CHECK(metrics["generations"]["finishReasons"]["stop"] == 1);
  CHECK(metrics["generations"]["failed"] == 2);

  // A failed operation without a name is an "Error" too.
  OperationEvent o = valid_operation();
  o.success = false;
  expect_accepted(m, o);
  CHECK(m.metrics(kNow)["errors"]["byName"]["Error"] == 2);
}

TEST_CASE("validation: error messages over 2048 bytes are cut without breaking UTF-8") {
  struct Cut {
    std::string message;
    std::size_t expected_size;
  };
  const std::string euro = "\xE2\x82\xAC";       // 3 bytes
  const std::string e_acute = "\xC3\xA9";        // 2 bytes
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  const std::vector<Cut> cuts = {
      {std::string(2048, 'a'), 2048},                     // at the limit: kept
      {std::string(2049, 'a'), 2048},                     // ASCII: cut at the limit
      {std::string(5000, 'a'), 2048},                     //
      {std::string(2047, 'a') + e_acute + "tail", 2047},  // é would straddle byte 2048
      {std::string(2046, 'a') + euro + "tail", 2046},     // € would straddle
      {std::string(2047, 'a') + euro + "tail", 2047},     // € starts at 2047
      {std::string(2045, 'a') + emoji + "tail", 2045},    // 😀 would straddle
      {std::string(2044, 'a') + emoji + "tail", 2048},    // 😀 ends exactly at 2048
      {std::string(2046, 'a') + e_acute + "tail", 2048},  // é ends exactly at 2048
  };
  for (const Cut& c : cuts) {
    INFO("message of " << c.message.size() << " bytes, expected " << c.expected_size);
    Monitor m;
    GenerationEvent g = valid_generation();
    g.error_name = "Error";
    g.error_message = c.message;
    expect_accepted(m, g);
    const std::string& got = m.generation_history().back().event.error_message;
    CHECK(got.size() == c.expected_size);
    CHECK(valid_utf8(got));
    CHECK(c.message.compare(0, got.size(), got) == 0);  // a prefix of the original
    CHECK(m.metrics(kNow)["errors"]["recent"][0]["message"] == json(got));

    ModelLoadEvent l = valid_load();
    l.error_name = "NetworkError";
    l.error_message = c.message;
    expect_accepted(m, l);
    CHECK(m.state().recent_errors.back().message == got);

    OperationEvent o = valid_operation();
    o.success = false;
    o.error_message = c.message;
    expect_accepted(m, o);
    CHECK(m.state().recent_errors.back().message == got);

    DeviceLostEvent d = valid_device_lost();
    d.message = c.message;
    expect_accepted(m, d);
    CHECK(m.state().recent_device_lost.back().message == got);
  }
  // A device-lost reason is a name: cut to 256 bytes, UTF-8 kept whole.
  Monitor m;
  DeviceLostEvent d = valid_device_lost();
  d.reason = std::string(255, 'r') + "\xC3\xA9";
  expect_accepted(m, d);
  CHECK(m.state().recent_device_lost.back().reason == std::string(255, 'r'));
}

// The batch wire format (wlm::batch::ingest): records built by hand, every kind decoded into the
// state, the presence mask and the string table. Refusals and malformed batches are in
// batch_refusals.cpp, configure and record_webgpu in batch_config.cpp, the fast path in
// batch_fast_path.cpp; what they share in batch_helpers.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "batch.hpp"
#include "batch_helpers.hpp"

using namespace batch_test;

TEST_CASE("batch: every kind 1..8 is decoded into the state") {
  Monitor m;
  Batch b;
  // 0: a generation with every client-side field and three chunk gaps.
  b.add(we::kGeneration,
        {{gf::kModel, b.str("llama")},
         {gf::kType, b.str("chat-ui")},
         {gf::kOperation, b.str("completion")},
         {gf::kStartedAt, kT0 + 1000},
         {gf::kDurationMs, 2000},
         {gf::kTtftMs, 500},
         {gf::kPromptTokens, 100},
         {gf::kCompletionTokens, 51},
         {gf::kFinishReason, b.str("length")},
         {gf::kPromptChars, 400},
         {gf::kResponseChars, 300},
         {gf::kTemperature, 0.5},
         {gf::kMaxTokens, 256},
         {gf::kChunkGapsMs, 3}},
        {10, 20, 30});
  // 1: a failed generation with the engine's own figures and no finish reason.
  b.add(we::kGeneration, {{gf::kModel, b.str("llama")},
                          {gf::kStartedAt, kT0 + 5000},
                          {gf::kDurationMs, 1000},
                          {gf::kCompletionTokens, 10},
                          {gf::kEngineTtftMs, 100},
                          {gf::kEnginePrefillTokensPerSec, 800},
                          {gf::kEngineDecodeTokensPerSec, 40},
                          {gf::kEngineTimePerOutputTokenMs, 25},
                          {gf::kErrorName, b.str("GPUError")},
                          {gf::kErrorMessage, b.str("lost the device")}});
  // 2-4: model loads from the cache, downloaded (the latest), and failed.
  b.add(we::kModelLoad, load(b));
  b.add(we::kModelLoad,
        {{0, b.str("qwen")}, {1, kT0 + 100}, {2, 5000}, {3, b.str("false")}, {4, 1e9}});
  b.add(we::kModelLoad, {{0, b.str("phi")},
                         {1, kT0 + 50},
                         {2, 700},
                         {5, b.str("NetworkError")},
                         {6, b.str("offline")}});
  // 5-6: a cache hit and a miss.
  b.add(we::kCacheLookup, cache(b, true));
  b.add(we::kCacheLookup, cache(b, false));
  // 7-8: a failed operation and one with success absent (true).
  b.add(we::kOperation, {{0, b.str("tokenize")},
                         {1, kT0 + 20},
                         {2, 12},
                         {3, 0},
                         {4, b.str("TypeError")},
                         {5, b.str("bad input")}});
  b.add(we::kOperation, operation(b, "detokenize"));
  // 9: a memory sample without a label ("periodic") and with two sizes.
  b.add(we::kMemorySample, memory(b));
  // 10: a device loss.
  b.add(we::kDeviceLost, device_lost(b));
  // 11: three durations of one operation.
  b.add(we::kDurations, durations(b, 3), {5, 6, 7});
  // 12: an event the writer refused.
  b.add(we::kRejected, {{0, b.str("generation.model")},
                        {1, b.str("generation.model: expected a string, got 42")}});

  wb::Result r = b.ingest(m);
  CHECK(r.malformed == "");
  CHECK(r.accepted == 12);
  CHECK(r.rejected.size() == 1);
  if (r.rejected.size() == 1) {
    CHECK(r.rejected[0].record == 12);
    CHECK(r.rejected[0].field == "generation.model");
    CHECK(r.rejected[0].message == "generation.model: expected a string, got 42");
  }

  json metrics = m.metrics(kNow);
  json& g = metrics["generations"];
  CHECK(g["total"] == 2);
  CHECK(g["succeeded"] == 1);
  CHECK(g["failed"] == 1);
  CHECK(g["finishReasons"]["length"] == 1);
  CHECK(g["finishReasons"]["error"] == 1);
  CHECK(g["tokens"]["prompt"] == 100);
  CHECK(g["tokens"]["completion"] == 61);
  CHECK(g["byModel"]["llama"]["total"] == 2);
  CHECK(g["byType"]["chat-ui"]["total"] == 1);
  CHECK(g["byType"]["default"]["total"] == 1);
  CHECK(g["byOperation"]["completion"]["total"] == 1);
  CHECK(g["byOperation"]["chat"]["total"] == 1);
  CHECK(g["latencyMs"]["count"] == 1);
  CHECK(g["latencyMs"]["p50"] == 2000.0);
  CHECK(g["ttftMs"]["count"] == 2);
  CHECK(g["ttftMs"]["min"] == 100.0);  // the engine's, for the second
  CHECK(g["ttftMs"]["max"] == 500.0);
  CHECK(g["chunkGapMs"]["count"] == 3);
  CHECK(g["chunkGapMs"]["min"] == 10.0);
  CHECK(g["chunkGapMs"]["max"] == 30.0);
  CHECK(g["decodeTokensPerSec"]["min"].get<double>() == doctest::Approx(50 / 1.5));
  CHECK(g["decodeTokensPerSec"]["max"] == 40.0);
  CHECK(g["prefillTokensPerSec"]["min"] == 200.0);  // 100 tokens in 500 ms
  CHECK(g["prefillTokensPerSec"]["max"] == 800.0);
  CHECK(g["timePerOutputTokenMs"]["max"] == 30.0);  // 1500 ms / 50 tokens
  CHECK(g["timePerOutputTokenMs"]["min"] == 25.0);

  const auto& history = m.generation_history();
  CHECK(history.size() == 2);
  if (history.size() == 2) {
    json first = history[0].to_json();
    CHECK(first["model"] == "llama");
    CHECK(first["type"] == "chat-ui");
    CHECK(first["operation"] == "completion");
    CHECK(first["startedAt"] == kT0 + 1000);
    CHECK(first["finishReason"] == "length");
    CHECK(first["chunks"] == 4);
    CHECK(first["promptChars"] == 400.0);
    CHECK(first["responseChars"] == 300.0);
    CHECK(first["temperature"] == 0.5);
    CHECK(first["maxTokens"] == 256.0);
    json second = history[1].to_json();
    CHECK(second["type"] == "default");
    CHECK(second["operation"] == "chat");
    CHECK(second["finishReason"] == "error");
    CHECK(second["errorName"] == "GPUError");
    CHECK(second["errorMessage"] == "lost the device");
    CHECK(second["ttftMs"] == 100.0);
    CHECK(second["decodeTokensPerSec"] == 40.0);
    CHECK(second["timePerOutputTokenMs"] == 25.0);
    CHECK(second["chunks"] == 0);
  }

  json& init = metrics["initialization"];
  CHECK(init["loads"] == 3);
  CHECK(init["succeeded"] == 2);
  CHECK(init["failed"] == 1);
  CHECK(init["fromCache"] == 1);
  CHECK(init["downloaded"] == 1);
  CHECK(init["unknownCache"] == 0);
  CHECK(init["bytesFetched"] == 1e9);
  CHECK(init["lastModel"] == "qwen");
  CHECK(init["lastDurationMs"] == 5000.0);
  CHECK(init["lastFromCache"] == false);
  CHECK(init["lastSucceeded"] == true);
  CHECK(init["loadMs"]["count"] == 2);
  CHECK(init["loadMs"]["min"] == 3000.0);

  json& c = metrics["cache"];
  CHECK(c["byName"]["shader"]["hits"] == 1);
  CHECK(c["byName"]["shader"]["misses"] == 1);
  CHECK(c["byName"]["model"]["hits"] == 1);
  CHECK(c["byName"]["model"]["misses"] == 1);
  CHECK(c["lookups"] == 4);

  json& ops = metrics["operations"];
  CHECK(ops["tokenize"]["count"] == 1);
  CHECK(ops["tokenize"]["failed"] == 1);
  CHECK(ops["tokenize"]["durationMs"]["p50"] == 12.0);
  CHECK(ops["detokenize"]["succeeded"] == 1);
  CHECK(ops["embed"]["count"] == 3);
  CHECK(ops["embed"]["succeeded"] == 3);
  CHECK(ops["embed"]["durationMs"]["min"] == 5.0);
  CHECK(ops["embed"]["durationMs"]["p50"] == 6.0);
  CHECK(ops["embed"]["durationMs"]["max"] == 7.0);

  json& errors = metrics["errors"];
  CHECK(errors["total"] == 4);
  CHECK(errors["byName"]["GPUError"] == 1);
  CHECK(errors["byName"]["NetworkError"] == 1);
  CHECK(errors["byName"]["TypeError"] == 1);
  CHECK(errors["byName"]["DeviceLostError"] == 1);

  json& mem = metrics["memory"];
  CHECK(mem["samples"] == 1);
  CHECK(mem["latest"]["label"] == "periodic");
  CHECK(mem["latest"]["timestamp"] == kT0 + 30);
  CHECK(mem["latest"]["usedJSHeapSize"] == 1e6);
  CHECK(mem["latest"]["jsHeapSizeLimit"] == 4e9);
  CHECK(mem["latest"]["totalJSHeapSize"].is_null());
  CHECK(m.memory_history().size() == 1);

  json& lost = metrics["webgpu"]["deviceLost"];
  CHECK(lost["total"] == 1);
  CHECK(lost["recent"][0]["reason"] == "destroyed");
  CHECK(lost["recent"][0]["message"] == "device destroyed");
  CHECK(lost["recent"][0]["model"] == "Phi-3.5");
  bool blamed = false;  // the error log names the model the event gave, not the last loaded one
  for (const auto& e : errors["recent"])
    if (e["name"] == "DeviceLostError") blamed = e["model"] == "Phi-3.5";
  CHECK(blamed);

  json& rejected = metrics["rejected"];
  CHECK(rejected["total"] == 1);
  CHECK(rejected["byField"]["generation.model"] == 1);
  CHECK(rejected["recent"][0]["message"] == "generation.model: expected a string, got 42");
}

TEST_CASE("batch: an empty batch does nothing") {
  Monitor m;
  Batch b;
  wb::Result r = b.ingest(m);
  CHECK(r.accepted == 0);
  CHECK(r.rejected.empty());
  CHECK(r.malformed.empty());
  CHECK(m.state().generations.total == 0);
}

TEST_CASE("batch: the presence mask") {
  SUBCASE("absent optional fields are fine; absent enums take their defaults") {
    Monitor m;
    Batch b;
    b.add(we::kGeneration,
          {{gf::kModel, b.str("m")}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 10}});
    b.add(we::kModelLoad, {{0, b.str("m")}, {1, kT0}, {2, 10}});
    b.add(we::kOperation, {{0, b.str("op")}, {1, kT0}, {2, 10}});
    b.add(we::kMemorySample, {{1, kT0}});
    b.add(we::kDeviceLost, {{0, kT0}});
    b.add(we::kDurations, {{0, b.str("op")}, {2, kT0}});  // no count: no values
    wb::Result r = b.ingest(m);
    CHECK(r.malformed.empty());
    CHECK(r.accepted == 6);
    CHECK(r.rejected.empty());
    CHECK(m.state().rejected == 0);
    if (!m.generation_history().empty()) {
      json rec = m.generation_history().back().to_json();
      CHECK(rec["type"] == "default");
      CHECK(rec["operation"] == "chat");
      CHECK(rec["finishReason"] == "stop");
      CHECK(rec["ttftMs"].is_null());
      CHECK(rec["promptTokens"].is_null());
      CHECK(rec["temperature"].is_null());
    }
    json metrics = m.metrics(kNow);
    CHECK(metrics["initialization"]["unknownCache"] == 1);
    CHECK(metrics["initialization"]["lastBytesFetched"].is_null());
    CHECK(metrics["operations"]["op"]["succeeded"] == 1);
    CHECK(metrics["memory"]["latest"]["label"] == "periodic");
    CHECK(metrics["memory"]["latest"]["usedJSHeapSize"].is_null());
  }

  SUBCASE("a present NaN is refused naming the field, whether optional or required") {
    struct Case {
      int kind;
      int field;
      const char* name;
    };
    const Case cases[] = {
        {we::kGeneration, gf::kStartedAt, "generation.startedAt"},
        {we::kGeneration, gf::kDurationMs, "generation.durationMs"},
        {we::kGeneration, gf::kTtftMs, "generation.ttftMs"},
        {we::kGeneration, gf::kPromptTokens, "generation.promptTokens"},
        {we::kGeneration, gf::kCompletionTokens, "generation.completionTokens"},
        {we::kGeneration, gf::kEngineTtftMs, "generation.engineTtftMs"},
        {we::kGeneration, gf::kEnginePrefillTokensPerSec, "generation.enginePrefillTokensPerSec"},
        {we::kGeneration, gf::kEngineDecodeTokensPerSec, "generation.engineDecodeTokensPerSec"},
        {we::kGeneration, gf::kEngineTimePerOutputTokenMs, "generation.engineTimePerOutputTokenMs"},
        {we::kGeneration, gf::kPromptChars, "generation.promptChars"},
        {we::kGeneration, gf::kResponseChars, "generation.responseChars"},
        {we::kGeneration, gf::kTemperature, "generation.temperature"},
        {we::kGeneration, gf::kMaxTokens, "generation.maxTokens"},
        {we::kModelLoad, 1, "load.startedAt"},
        {we::kModelLoad, 2, "load.durationMs"},
        {we::kModelLoad, 4, "load.bytesFetched"},
        {we::kCacheLookup, 2, "cache.timestamp"},
        {we::kOperation, 1, "operation.startedAt"},
        {we::kOperation, 2, "operation.durationMs"},
        {we::kMemorySample, 1, "memory.timestamp"},
        {we::kMemorySample, 2, "memory.usedJSHeapSize"},
        {we::kMemorySample, 3, "memory.totalJSHeapSize"},
        {we::kMemorySample, 4, "memory.jsHeapSizeLimit"},
        {we::kMemorySample, 5, "memory.userAgentBytes"},
        {we::kMemorySample, 6, "memory.wasmHeapBytes"},
        {we::kMemorySample, 7, "memory.gpuBufferBytes"},
        {we::kMemorySample, 8, "memory.storageUsage"},
        {we::kMemorySample, 9, "memory.storageQuota"},
        {we::kDeviceLost, 0, "deviceLost.timestamp"},
        {we::kDurations, 2, "operation.startedAt"},
    };
    Monitor m;
    for (const Case& c : cases) {
      Batch b;
      Fields f = valid_fields(c.kind, b);
      f[c.field] = NAN;
      b.add(c.kind, f);
      expect_refused(m, b, c.name, "NaN");
    }
  }

  SUBCASE("an absent required field is refused naming it") {
    struct Case {
      int kind;
      int field;
      const char* name;
    };
    const Case cases[] = {
        {we::kGeneration, gf::kModel, "generation.model"},
        {we::kGeneration, gf::kStartedAt, "generation.startedAt"},
        {we::kGeneration, gf::kDurationMs, "generation.durationMs"},
        {we::kModelLoad, 0, "load.model"},
        {we::kModelLoad, 1, "load.startedAt"},
        {we::kModelLoad, 2, "load.durationMs"},
        {we::kCacheLookup, 0, "cache.cache"},
        {we::kCacheLookup, 1, "cache.hit"},
        {we::kCacheLookup, 2, "cache.timestamp"},
        {we::kOperation, 0, "operation.name"},
        {we::kOperation, 1, "operation.startedAt"},
        {we::kOperation, 2, "operation.durationMs"},
        {we::kMemorySample, 1, "memory.timestamp"},
        {we::kDeviceLost, 0, "deviceLost.timestamp"},
        {we::kDurations, 0, "operation.name"},
        {we::kDurations, 2, "operation.startedAt"},
    };
    Monitor m;
    for (const Case& c : cases) {
      Batch b;
      Fields f = valid_fields(c.kind, b);
      f.erase(c.field);
      b.add(c.kind, f);
      expect_refused(m, b, c.name, "");
    }
  }
}

TEST_CASE("batch: string fields come from the string table") {
  Monitor m;
  Batch b;
  double model = b.str("Llama-3.1-8B · 模型 😀");
  double shared = b.str("shared");  // one entry used by two fields
  b.add(we::kGeneration, {{gf::kModel, model},
                          {gf::kType, shared},
                          {gf::kStartedAt, kT0},
                          {gf::kDurationMs, 100},
                          {gf::kErrorName, b.str("AbortError")},
                          {gf::kErrorMessage, shared},
                          {gf::kFinishReason, b.str("abort")}});
  b.add(we::kCacheLookup, {{0, shared}, {1, 1}, {2, kT0}});
  b.add(we::kCacheLookup, {{0, model}, {1, 0}, {2, kT0}});
  wb::Result r = b.ingest(m);
  CHECK(r.malformed.empty());
  CHECK(r.accepted == 3);
  if (!m.generation_history().empty()) {
    const auto& e = m.generation_history().back().event;
    CHECK(e.model == "Llama-3.1-8B · 模型 😀");
    CHECK(e.type == "shared");
    CHECK(e.error_name == "AbortError");
    CHECK(e.error_message == "shared");
    CHECK(e.outcome() == wlm::FinishReason::abort);
  }
  json metrics = m.metrics(kNow);
  CHECK(metrics["cache"]["byName"]["shared"]["hits"] == 1);
  CHECK(metrics["cache"]["byName"]["Llama-3.1-8B · 模型 😀"]["misses"] == 1);
  CHECK(metrics["generations"]["aborted"] == 1);
}

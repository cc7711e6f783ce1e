// The batch wire format (wlm::batch::ingest): records built by hand, every kind decoded into the
// state, the presence mask, the string table, refusals and malformed batches; configure and
// record_webgpu.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "batch.hpp"

namespace wb = wlm::batch;
using wlm::json;
using wlm::Monitor;
using wlm::Status;

namespace {

constexpr double kT0 = 1'700'000'000'000.0;
constexpr double kNow = kT0 + 120'000;
/// Written into the slot of every absent field: invalid as a value and as a string index, so a
/// reader that ignored the mask would fail.
constexpr double kAbsent = -7777.5;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::uint64_t rejected_for(const Monitor& m, const std::string& field) {
  const auto& items = m.state().rejected_by_field.items;
  auto it = items.find(field);
  return it == items.end() ? 0 : it->second;
}

using Fields = std::map<int, double>;

/// A batch as js/core.js writes it: doubles, a string table and a record count.
struct Batch {
  std::vector<double> data;
  std::vector<std::string> strings;
  std::size_t records = 0;

  /// Adds `s` to the string table; returns its index as a record holds it.
  double str(const std::string& s) {
    strings.push_back(s);
    return static_cast<double>(strings.size() - 1);
  }

  /// Appends a record of `kind`: the fields given are present (mask bit set), the others absent.
  Batch& add(int kind, const Fields& fields, const std::vector<double>& extra = {}) {
    const int n = wb::kFieldCount[kind];
    std::uint64_t mask = 0;
    data.push_back(kind);
    data.push_back(static_cast<double>(wb::kHeader + n + static_cast<int>(extra.size())));
    std::size_t mask_at = data.size();
    data.push_back(0);
    for (int i = 0; i < n; ++i) {
      auto it = fields.find(i);
      if (it == fields.end()) {
        data.push_back(kAbsent);
      } else {
        mask |= std::uint64_t{1} << i;
        data.push_back(it->second);
      }
    }
    data[mask_at] = static_cast<double>(mask);
    data.insert(data.end(), extra.begin(), extra.end());
    ++records;
    return *this;
  }

  /// Appends raw doubles as one more record (a malformed one).
  Batch& raw(const std::vector<double>& values) {
    data.insert(data.end(), values.begin(), values.end());
    ++records;
    return *this;
  }

  wb::Result ingest(Monitor& m) const {
    return wb::ingest(m, data.data(), data.size(), records, strings);
  }
};

// Valid records of each kind (all fields that matter present).

Fields generation(Batch& b) {
  return {{wb::kModel, b.str("llama")}, {wb::kStartedAt, kT0 + 1000}, {wb::kDurationMs, 2000},
          {wb::kTtftMs, 500},           {wb::kPromptTokens, 100},     {wb::kCompletionTokens, 51}};
}

Fields load(Batch& b) {
  return {{0, b.str("llama")}, {1, kT0}, {2, 3000}, {3, b.str("true")}, {4, 0}};
}

Fields cache(Batch& b, bool hit = true) {
  return {{0, b.str("shader")}, {1, hit ? 1.0 : 0.0}, {2, kT0 + 10}};
}

Fields operation(Batch& b, const std::string& name = "tokenize") {
  return {{0, b.str(name)}, {1, kT0 + 20}, {2, 12}};
}

Fields memory(Batch&) { return {{1, kT0 + 30}, {2, 1'000'000}, {4, 4'000'000'000}}; }

Fields device_lost(Batch& b) {
  return {{0, kT0 + 40},
          {1, b.str("destroyed")},
          {2, b.str("device destroyed")},
          {3, b.str("Phi-3.5")}};
}

Fields durations(Batch& b, std::size_t count, const std::string& name = "embed") {
  return {{0, b.str(name)}, {1, 1}, {2, kT0 + 60}, {3, static_cast<double>(count)}};
}

/// Ingests a one-record batch that must be refused naming `field` (and `value` when not empty),
/// counted once as a rejection of that field, with no generation, load, cache lookup, operation,
/// memory sample or device loss recorded.
void expect_refused(Monitor& m, const Batch& b, const std::string& field,
                    const std::string& value) {
  INFO("expected field: " << field << ", value: " << value);
  std::uint64_t total = m.state().rejected;
  std::uint64_t by_field = rejected_for(m, field);
  json before = m.metrics(kNow);
  wb::Result r = b.ingest(m);
  CHECK(r.malformed.empty());
  INFO("malformed: " << r.malformed);
  CHECK(r.accepted == 0);
  CHECK(r.rejected.size() == 1);
  if (r.rejected.size() == 1) {
    const wb::Rejection& rej = r.rejected[0];
    INFO("got field: " << rej.field << ", message: " << rej.message);
    CHECK(rej.record == 0);
    CHECK(rej.field == field);
    CHECK(contains(rej.message, field));
    if (!value.empty()) CHECK(contains(rej.message, value));
  }
  CHECK(m.state().rejected == total + 1);
  CHECK(rejected_for(m, field) == by_field + 1);
  json after = m.metrics(kNow);
  CHECK(after["rejected"]["total"] == json(total + 1));
  for (const char* key :
       {"generations", "initialization", "cache", "errors", "memory", "operations", "webgpu"}) {
    bool same = after[key] == before[key];
    CHECK_MESSAGE(same, "changed by a refused record: " << std::string(key));
  }
}

/// A valid record's fields of the given kind (kinds 1 to 7).
Fields valid_fields(int kind, Batch& b) {
  switch (kind) {
    case wb::kGeneration: return generation(b);
    case wb::kModelLoad: return load(b);
    case wb::kCacheLookup: return cache(b);
    case wb::kOperation: return operation(b);
    case wb::kMemory: return memory(b);
    case wb::kDeviceLost: return device_lost(b);
    default: return durations(b, 0);
  }
}

}  // namespace

// ================================================================================================

TEST_CASE("batch: every kind 1..8 is decoded into the state") {
  Monitor m;
  Batch b;
  // 0: a generation with every client-side field and three chunk gaps.
  b.add(wb::kGeneration,
        {{wb::kModel, b.str("llama")},
         {wb::kType, b.str("chat-ui")},
         {wb::kOperationName, b.str("completion")},
         {wb::kStartedAt, kT0 + 1000},
         {wb::kDurationMs, 2000},
         {wb::kTtftMs, 500},
         {wb::kPromptTokens, 100},
         {wb::kCompletionTokens, 51},
         {wb::kFinishReason, b.str("length")},
         {wb::kPromptChars, 400},
         {wb::kResponseChars, 300},
         {wb::kTemperature, 0.5},
         {wb::kMaxTokens, 256},
         {wb::kChunkGapCount, 3}},
        {10, 20, 30});
  // 1: a failed generation with the engine's own figures and no finish reason.
  b.add(wb::kGeneration, {{wb::kModel, b.str("llama")},
                          {wb::kStartedAt, kT0 + 5000},
                          {wb::kDurationMs, 1000},
                          {wb::kCompletionTokens, 10},
                          {wb::kEngineTtftMs, 100},
                          {wb::kEnginePrefillTps, 800},
                          {wb::kEngineDecodeTps, 40},
                          {wb::kEngineTpotMs, 25},
                          {wb::kErrorName, b.str("GPUError")},
                          {wb::kErrorMessage, b.str("lost the device")}});
  // 2-4: model loads from the cache, downloaded (the latest), and failed.
  b.add(wb::kModelLoad, load(b));
  b.add(wb::kModelLoad,
        {{0, b.str("qwen")}, {1, kT0 + 100}, {2, 5000}, {3, b.str("false")}, {4, 1e9}});
  b.add(wb::kModelLoad, {{0, b.str("phi")},
                         {1, kT0 + 50},
                         {2, 700},
                         {5, b.str("NetworkError")},
                         {6, b.str("offline")}});
  // 5-6: a cache hit and a miss.
  b.add(wb::kCacheLookup, cache(b, true));
  b.add(wb::kCacheLookup, cache(b, false));
  // 7-8: a failed operation and one with success absent (true).
  b.add(wb::kOperation, {{0, b.str("tokenize")},
                         {1, kT0 + 20},
                         {2, 12},
                         {3, 0},
                         {4, b.str("TypeError")},
                         {5, b.str("bad input")}});
  b.add(wb::kOperation, operation(b, "detokenize"));
  // 9: a memory sample without a label ("periodic") and with two sizes.
  b.add(wb::kMemory, memory(b));
  // 10: a device loss.
  b.add(wb::kDeviceLost, device_lost(b));
  // 11: three durations of one operation.
  b.add(wb::kDurations, durations(b, 3), {5, 6, 7});
  // 12: an event the writer refused.
  b.add(wb::kRejected, {{0, b.str("generation.model")},
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
    b.add(wb::kGeneration,
          {{wb::kModel, b.str("m")}, {wb::kStartedAt, kT0}, {wb::kDurationMs, 10}});
    b.add(wb::kModelLoad, {{0, b.str("m")}, {1, kT0}, {2, 10}});
    b.add(wb::kOperation, {{0, b.str("op")}, {1, kT0}, {2, 10}});
    b.add(wb::kMemory, {{1, kT0}});
    b.add(wb::kDeviceLost, {{0, kT0}});
    b.add(wb::kDurations, {{0, b.str("op")}, {2, kT0}});  // no count: no values
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
        {wb::kGeneration, wb::kStartedAt, "generation.startedAt"},
        {wb::kGeneration, wb::kDurationMs, "generation.durationMs"},
        {wb::kGeneration, wb::kTtftMs, "generation.ttftMs"},
        {wb::kGeneration, wb::kPromptTokens, "generation.promptTokens"},
        {wb::kGeneration, wb::kCompletionTokens, "generation.completionTokens"},
        {wb::kGeneration, wb::kEngineTtftMs, "generation.engineTtftMs"},
        {wb::kGeneration, wb::kEnginePrefillTps, "generation.enginePrefillTokensPerSec"},
        {wb::kGeneration, wb::kEngineDecodeTps, "generation.engineDecodeTokensPerSec"},
        {wb::kGeneration, wb::kEngineTpotMs, "generation.engineTimePerOutputTokenMs"},
        {wb::kGeneration, wb::kPromptChars, "generation.promptChars"},
        {wb::kGeneration, wb::kResponseChars, "generation.responseChars"},
        {wb::kGeneration, wb::kTemperature, "generation.temperature"},
        {wb::kGeneration, wb::kMaxTokens, "generation.maxTokens"},
        {wb::kModelLoad, 1, "load.startedAt"},
        {wb::kModelLoad, 2, "load.durationMs"},
        {wb::kModelLoad, 4, "load.bytesFetched"},
        {wb::kCacheLookup, 2, "cache.timestamp"},
        {wb::kOperation, 1, "operation.startedAt"},
        {wb::kOperation, 2, "operation.durationMs"},
        {wb::kMemory, 1, "memory.timestamp"},
        {wb::kMemory, 2, "memory.usedJSHeapSize"},
        {wb::kMemory, 3, "memory.totalJSHeapSize"},
        {wb::kMemory, 4, "memory.jsHeapSizeLimit"},
        {wb::kMemory, 5, "memory.userAgentBytes"},
        {wb::kMemory, 6, "memory.wasmHeapBytes"},
        {wb::kMemory, 7, "memory.gpuBufferBytes"},
        {wb::kMemory, 8, "memory.storageUsage"},
        {wb::kMemory, 9, "memory.storageQuota"},
        {wb::kDeviceLost, 0, "deviceLost.timestamp"},
        {wb::kDurations, 2, "operation.startedAt"},
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
        {wb::kGeneration, wb::kModel, "generation.model"},
        {wb::kGeneration, wb::kStartedAt, "generation.startedAt"},
        {wb::kGeneration, wb::kDurationMs, "generation.durationMs"},
        {wb::kModelLoad, 0, "load.model"},
        {wb::kModelLoad, 1, "load.startedAt"},
        {wb::kModelLoad, 2, "load.durationMs"},
        {wb::kCacheLookup, 0, "cache.cache"},
        {wb::kCacheLookup, 1, "cache.hit"},
        {wb::kCacheLookup, 2, "cache.timestamp"},
        {wb::kOperation, 0, "operation.name"},
        {wb::kOperation, 1, "operation.startedAt"},
        {wb::kOperation, 2, "operation.durationMs"},
        {wb::kMemory, 1, "memory.timestamp"},
        {wb::kDeviceLost, 0, "deviceLost.timestamp"},
        {wb::kDurations, 0, "operation.name"},
        {wb::kDurations, 2, "operation.startedAt"},
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
  b.add(wb::kGeneration, {{wb::kModel, model},
                          {wb::kType, shared},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 100},
                          {wb::kErrorName, b.str("AbortError")},
                          {wb::kErrorMessage, shared},
                          {wb::kFinishReason, b.str("abort")}});
  b.add(wb::kCacheLookup, {{0, shared}, {1, 1}, {2, kT0}});
  b.add(wb::kCacheLookup, {{0, model}, {1, 0}, {2, kT0}});
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

TEST_CASE("batch: unknown enum strings and bad flags are refused naming the field and the value") {
  struct Case {
    const char* what;
    int kind;
    int field;
    const char* text;  // a string field's value, or nullptr for `number`
    double number;
    const char* name;
    const char* value;
  };
  const Case cases[] = {
      {"operation chatt", wb::kGeneration, wb::kOperationName, "chatt", 0, "generation.operation",
       "\"chatt\""},
      {"operation Chat", wb::kGeneration, wb::kOperationName, "Chat", 0, "generation.operation",
       "\"Chat\""},
      {"operation empty", wb::kGeneration, wb::kOperationName, "", 0, "generation.operation",
       "\"\""},
      {"finishReason halted", wb::kGeneration, wb::kFinishReason, "halted", 0,
       "generation.finishReason", "\"halted\""},
      {"finishReason STOP", wb::kGeneration, wb::kFinishReason, "STOP", 0,
       "generation.finishReason", "\"STOP\""},
      {"fromCache maybe", wb::kModelLoad, 3, "maybe", 0, "load.fromCache", "\"maybe\""},
      {"fromCache yes", wb::kModelLoad, 3, "yes", 0, "load.fromCache", "\"yes\""},
      {"cache hit 2", wb::kCacheLookup, 1, nullptr, 2, "cache.hit", "2"},
      {"cache hit -1", wb::kCacheLookup, 1, nullptr, -1, "cache.hit", "-1"},
      {"cache hit NaN", wb::kCacheLookup, 1, nullptr, NAN, "cache.hit", "NaN"},
      {"operation success 0.5", wb::kOperation, 3, nullptr, 0.5, "operation.success", "0.5"},
      {"durations success 3", wb::kDurations, 1, nullptr, 3, "operation.success", "3"},
  };
  Monitor m;
  for (const Case& c : cases) {
    INFO("case: " << std::string(c.what));
    Batch b;
    Fields f;
    switch (c.kind) {
      case wb::kGeneration: f = generation(b); break;
      case wb::kModelLoad: f = load(b); break;
      case wb::kCacheLookup: f = cache(b); break;
      case wb::kOperation: f = operation(b); break;
      case wb::kDurations: f = durations(b, 0); break;
    }
    f[c.field] = c.text ? b.str(c.text) : c.number;
    b.add(c.kind, f);
    expect_refused(m, b, c.name, c.value);
  }
  // Every one of them counted, none recorded.
  CHECK(m.state().rejected == std::size(cases));
  CHECK(rejected_for(m, "generation.operation") == 3);
  CHECK(rejected_for(m, "generation.finishReason") == 2);
  CHECK(rejected_for(m, "load.fromCache") == 2);
  CHECK(m.state().generations.total == 0);
  CHECK(m.state().loads == 0);

  // The known values are all accepted.
  Batch ok;
  for (const char* op : {"chat", "completion", "embedding"}) {
    Fields f = generation(ok);
    f[wb::kOperationName] = ok.str(op);
    ok.add(wb::kGeneration, f);
  }
  for (const char* fr : {"stop", "length", "abort", "tool_calls", "error"}) {
    Fields f = generation(ok);
    f[wb::kFinishReason] = ok.str(fr);
    ok.add(wb::kGeneration, f);
  }
  for (const char* fc : {"true", "false", "unknown", ""}) {
    Fields f = load(ok);
    f[3] = ok.str(fc);
    ok.add(wb::kModelLoad, f);
  }
  wb::Result r = ok.ingest(m);
  CHECK(r.rejected.empty());
  CHECK(r.accepted == 12);
  json g = m.metrics(kNow)["generations"];
  CHECK(g["byOperation"]["embedding"]["total"] == 1);
  CHECK(g["byOperation"]["chat"]["total"] == 6);
  CHECK(g["finishReasons"]["tool_calls"] == 1);
  CHECK(g["finishReasons"]["stop"] == 4);
  CHECK(m.metrics(kNow)["initialization"]["unknownCache"] == 2);
}

TEST_CASE("batch: kind 8 is counted as a rejection of its field") {
  Monitor m;
  Batch b;
  b.add(wb::kRejected, {{0, b.str("memory.usedJSHeapSize")},
                        {1, b.str("memory.usedJSHeapSize: expected a number, got \"12\"")}});
  b.add(wb::kRejected, {{0, b.str("memory.usedJSHeapSize")}});  // no message
  b.add(wb::kRejected, {});                                     // neither
  wb::Result r = b.ingest(m);
  CHECK(r.malformed.empty());
  CHECK(r.accepted == 0);
  CHECK(r.rejected.size() == 3);
  if (r.rejected.size() == 3) {
    CHECK(r.rejected[0].record == 0);
    CHECK(r.rejected[0].field == "memory.usedJSHeapSize");
    CHECK(r.rejected[0].message == "memory.usedJSHeapSize: expected a number, got \"12\"");
    CHECK(r.rejected[1].record == 1);
    CHECK(r.rejected[1].field == "memory.usedJSHeapSize");
    CHECK(contains(r.rejected[1].message, "memory.usedJSHeapSize"));
    CHECK(r.rejected[2].record == 2);
    CHECK(r.rejected[2].field == "event");
  }
  CHECK(m.state().rejected == 3);
  CHECK(rejected_for(m, "memory.usedJSHeapSize") == 2);
  CHECK(rejected_for(m, "event") == 1);
  json metrics = m.metrics(kNow);
  CHECK(metrics["rejected"]["total"] == 3);
  CHECK(metrics["rejected"]["byField"]["memory.usedJSHeapSize"] == 2);
  CHECK(metrics["memory"]["samples"] == 0);
}

TEST_CASE("batch: rejections carry the record index and do not stop later records") {
  Monitor m;
  Batch b;
  b.add(wb::kGeneration, generation(b));  // 0
  Fields bad = generation(b);
  bad[wb::kDurationMs] = -5;
  b.add(wb::kGeneration, bad);                                // 1: refused by validation
  b.add(wb::kCacheLookup, cache(b));                          // 2
  b.add(wb::kOperation, {{0, b.str("")}, {1, kT0}, {2, 1}});  // 3: empty name
  b.add(wb::kMemory, memory(b));                              // 4
  Fields enum_bad = load(b);
  enum_bad[3] = b.str("maybe");
  b.add(wb::kModelLoad, enum_bad);          // 5: refused while decoding
  b.add(wb::kRejected, {{0, b.str("x")}});  // 6
  b.add(wb::kGeneration, generation(b));    // 7
  wb::Result r = b.ingest(m);
  CHECK(r.malformed.empty());
  CHECK(r.accepted == 4);
  CHECK(r.rejected.size() == 4);
  if (r.rejected.size() == 4) {
    CHECK(r.rejected[0].record == 1);
    CHECK(r.rejected[0].field == "generation.durationMs");
    CHECK(contains(r.rejected[0].message, "-5"));
    CHECK(r.rejected[1].record == 3);
    CHECK(r.rejected[1].field == "operation.name");
    CHECK(r.rejected[2].record == 5);
    CHECK(r.rejected[2].field == "load.fromCache");
    CHECK(r.rejected[3].record == 6);
    CHECK(r.rejected[3].field == "x");
  }
  CHECK(m.state().rejected == 4);
  json metrics = m.metrics(kNow);
  CHECK(metrics["generations"]["total"] == 2);
  CHECK(metrics["cache"]["lookups"] == 1);
  CHECK(metrics["memory"]["samples"] == 1);
  CHECK(metrics["initialization"]["loads"] == 0);
  CHECK(metrics["operations"].empty());
  CHECK(metrics["rejected"]["total"] == 4);
}

TEST_CASE("batch: a malformed batch stops at the bad record and keeps the earlier ones") {
  // Each case: two good records, the bad one (record 2), then a good one that must not be read.
  // The string table holds "llama" (0) and "shader" (1) only.
  struct Case {
    const char* what;
    std::vector<double> record;  // the raw doubles of record 2
    const char* why;             // expected in Result::malformed
  };
  const double n1 = wb::kFieldCount[wb::kGeneration];
  const double gen_len = wb::kHeader + n1;
  const double model_only = (1u << wb::kModel) | (1u << wb::kStartedAt) | (1u << wb::kDurationMs);
  const double with_count = model_only + (1u << wb::kChunkGapCount);
  auto gen = [&](double length, double mask, double gap_count, std::vector<double> extra) {
    std::vector<double> rec = {wb::kGeneration, length, mask};
    for (int i = 0; i < wb::kGenerationFieldCount; ++i) rec.push_back(kAbsent);
    rec[wb::kHeader + wb::kModel] = 0;
    rec[wb::kHeader + wb::kStartedAt] = kT0;
    rec[wb::kHeader + wb::kDurationMs] = 100;
    rec[wb::kHeader + wb::kChunkGapCount] = gap_count;
    rec.insert(rec.end(), extra.begin(), extra.end());
    return rec;
  };
  const std::vector<Case> cases = {
      {"kind 9", {9, 6, 0, 0, 1, kT0}, "unknown kind 9"},
      {"kind 0", {0, 6, 0, 0, 1, kT0}, "unknown kind 0"},
      {"kind -1", {-1, 6, 0, 0, 1, kT0}, "unknown kind"},
      {"kind 2.5", {2.5, 10, 0, 0, 0, 0, 0, 0, 0, 0}, "unknown kind"},
      {"kind NaN", {NAN, 6, 0, 0, 1, kT0}, "unknown kind"},
      {"length below header + fields", {wb::kCacheLookup, 5, 7, 0, 1, kT0}, "bad length 5"},
      {"length 0", {wb::kCacheLookup, 0, 7, 0, 1}, "bad length 0"},
      {"length beyond the data", {wb::kCacheLookup, 60, 7, 0, 1, kT0}, "bad length 60"},
      {"length 6.5", {wb::kCacheLookup, 6.5, 7, 0, 1, kT0}, "bad length"},
      {"length NaN", {wb::kCacheLookup, NAN, 7, 0, 1, kT0}, "bad length"},
      {"length 1e30", {wb::kCacheLookup, 1e30, 7, 0, 1, kT0}, "bad length"},
      {"mask negative", {wb::kCacheLookup, 6, -1, 0, 1, kT0}, "bad mask"},
      {"mask 1.5", {wb::kCacheLookup, 6, 1.5, 0, 1, kT0}, "bad mask"},
      {"mask 2^53", {wb::kCacheLookup, 6, 9007199254740992.0, 0, 1, kT0}, "bad mask"},
      {"mask NaN", {wb::kCacheLookup, 6, NAN, 0, 1, kT0}, "bad mask"},
      {"more chunk gaps than declared", gen(gen_len + 3, with_count, 2, {1, 2, 3}), "chunk gap"},
      {"fewer chunk gaps than declared", gen(gen_len + 2, with_count, 3, {1, 2}), "chunk gap"},
      {"gaps without a count", gen(gen_len + 2, model_only, kAbsent, {1, 2}), "chunk gap"},
      {"chunk gap count 2.5", gen(gen_len + 2, with_count, 2.5, {1, 2}), "chunk gap"},
      {"chunk gap count -1", gen(gen_len, with_count, -1, {}), "chunk gap"},
      {"chunk gap count NaN", gen(gen_len, with_count, NAN, {}), "chunk gap"},
      {"chunk gap count 1e30", gen(gen_len, with_count, 1e30, {}), "chunk gap"},
      {"durations count mismatch", {wb::kDurations, 7 + 2, 0b1101, 0, 0, kT0, 3, 5, 6}, "count"},
      {"durations count 1.5", {wb::kDurations, 7 + 1, 0b1101, 0, 0, kT0, 1.5, 5}, "count"},
      {"durations count NaN", {wb::kDurations, 7, 0b1101, 0, 0, kT0, NAN}, "count"},
      {"string index out of range", {wb::kCacheLookup, 6, 7, 99, 1, kT0}, "string index"},
      {"string index = table size", {wb::kCacheLookup, 6, 7, 2, 1, kT0}, "string index"},
      {"string index negative", {wb::kCacheLookup, 6, 7, -1, 1, kT0}, "string index"},
      {"string index 0.5", {wb::kCacheLookup, 6, 7, 0.5, 1, kT0}, "string index"},
      {"string index NaN", {wb::kCacheLookup, 6, 7, NAN, 1, kT0}, "string index"},
      {"bad enum string index",
       {wb::kModelLoad, 10, 0b1111, 0, kT0, 1, 42, 0, 0, 0},
       "string index"},
      {"bad kind-8 field index", {wb::kRejected, 5, 1, 42, 0}, "string index"},
      {"truncated header", {wb::kCacheLookup, 6}, "truncated header"},
      {"header only", {wb::kCacheLookup, 6, 7}, "bad length"},
  };
  SUBCASE("each malformed record") {
    for (const Case& c : cases) {
      INFO("case: " << std::string(c.what));
      Monitor m;
      Batch b;
      b.add(wb::kGeneration, generation(b));  // uses string 0 ("llama")
      b.add(wb::kCacheLookup, cache(b));      // uses string 1 ("shader")
      b.raw(c.record);
      bool at_end =
          std::string(c.why) == "truncated header" || std::string(c.what) == "header only";
      if (!at_end)  // record 3, never read; it reuses string 0 to keep the table at two entries
        b.add(wb::kGeneration, {{wb::kModel, 0}, {wb::kStartedAt, kT0}, {wb::kDurationMs, 1}});
      CHECK(b.strings.size() == 2);
      wb::Result r = b.ingest(m);
      INFO("malformed: " << r.malformed);
      CHECK(contains(r.malformed, "record 2"));
      CHECK(contains(r.malformed, c.why));
      CHECK(r.accepted == 2);
      CHECK(r.rejected.empty());
      CHECK(m.state().generations.total == 1);
      CHECK(m.state().cache.items.count("shader") == 1);
      CHECK(m.generation_history().size() == 1);
    }
  }
  SUBCASE("more records announced than the data holds") {
    Monitor m;
    Batch b;
    b.add(wb::kGeneration, generation(b));
    b.records = 3;
    wb::Result r = b.ingest(m);
    CHECK(contains(r.malformed, "record 1"));
    CHECK(contains(r.malformed, "truncated header"));
    CHECK(r.accepted == 1);
    CHECK(m.state().generations.total == 1);
  }
  SUBCASE("the first record malformed: nothing recorded") {
    Monitor m;
    Batch b;
    b.raw({42, 6, 0, 0, 0, 0});
    b.add(wb::kGeneration, generation(b));
    wb::Result r = b.ingest(m);
    CHECK(contains(r.malformed, "record 0"));
    CHECK(contains(r.malformed, "unknown kind 42"));
    CHECK(r.accepted == 0);
    CHECK(m.state().generations.total == 0);
    CHECK(m.state().rejected == 0);
  }
}

TEST_CASE("batch: record_durations refuses only the invalid values") {
  SUBCASE("through a kind-7 record") {
    Monitor m;
    Batch b;
    std::vector<double> values = {5, -1, NAN, 7, INFINITY, 7e8, 0, -INFINITY};
    b.add(wb::kDurations, durations(b, values.size()), values);
    b.add(wb::kCacheLookup, cache(b));  // the next record is still read
    wb::Result r = b.ingest(m);
    CHECK(r.malformed.empty());
    CHECK(r.accepted == 1);
    CHECK(r.rejected.size() == 1);  // one record, its first error
    if (r.rejected.size() == 1) {
      CHECK(r.rejected[0].record == 0);
      CHECK(r.rejected[0].field == "operation.durationMs");
      CHECK(contains(r.rejected[0].message, "-1"));
    }
    CHECK(m.state().rejected == 5);  // -1, NaN, Infinity, 7e8, -Infinity
    CHECK(rejected_for(m, "operation.durationMs") == 5);
    json metrics = m.metrics(kNow);
    CHECK(metrics["rejected"]["total"] == 5);
    json& embed = metrics["operations"]["embed"];
    CHECK(embed["count"] == 3);  // 5, 7, 0
    CHECK(embed["succeeded"] == 3);
    CHECK(embed["durationMs"]["min"] == 0.0);
    CHECK(embed["durationMs"]["max"] == 7.0);
    CHECK(embed["durationMs"]["mean"].get<double>() == doctest::Approx(4.0));
    CHECK(metrics["cache"]["lookups"] == 1);
    // The messages name each value.
    std::vector<std::string> messages;
    for (const auto& rec : m.state().recent_rejections) messages.push_back(rec.message);
    CHECK(messages.size() == 5);
    if (messages.size() == 5) {
      CHECK(contains(messages[0], "-1"));
      CHECK(contains(messages[1], "NaN"));
      CHECK(contains(messages[2], "Infinity"));
      CHECK(contains(messages[3], "700000000"));
      CHECK(contains(messages[4], "-Infinity"));
    }
  }
  SUBCASE("directly, failed runs") {
    Monitor m;
    const double values[] = {10, -3, 20, 30};
    Status s = m.record_durations("compile", false, kT0, values, 4);
    CHECK_FALSE(s.ok);
    CHECK(s.field == "operation.durationMs");
    CHECK(contains(s.message, "-3"));
    CHECK(m.state().rejected == 1);
    json metrics = m.metrics(kNow);
    CHECK(metrics["operations"]["compile"]["count"] == 3);
    CHECK(metrics["operations"]["compile"]["failed"] == 3);
    CHECK(metrics["errors"]["total"] == 3);
    CHECK(metrics["errors"]["byName"]["Error"] == 3);
  }
  SUBCASE("all values invalid: nothing recorded") {
    Monitor m;
    const double values[] = {-1, NAN};
    Status s = m.record_durations("compile", true, kT0, values, 2);
    CHECK_FALSE(s.ok);
    CHECK(m.state().rejected == 2);
    CHECK(m.state().operations.items.count("compile") == 0);
    CHECK(std::isnan(m.state().first_event_at));
  }
  SUBCASE("a bad name or start refuses the record once") {
    Monitor m;
    const double values[] = {1, 2, 3};
    Status s = m.record_durations("", true, kT0, values, 3);
    CHECK(s.field == "operation.name");
    s = m.record_durations("op", true, -1, values, 3);
    CHECK(s.field == "operation.startedAt");
    CHECK(contains(s.message, "-1"));
    CHECK(m.state().rejected == 2);
    CHECK(m.state().operations.items.empty());
  }
}

TEST_CASE("batch: configure") {
  Monitor m;

  SUBCASE("a valid partial configuration changes only what it names") {
    Status s = wb::configure(m, R"({"historySize": 5,
                                    "thresholds": {"ttftP95Ms": {"warning": 100},
                                                   "errorRate": {"critical": null}},
                                    "prices": {"llama": {"input": 0.5, "output": 1.5}}})");
    INFO(s.field << ": " << s.message);
    CHECK(s.ok);
    CHECK(m.config().history_size == 5);
    CHECK(m.config().threshold("ttftP95Ms")->warning == 100);
    CHECK(m.config().threshold("ttftP95Ms")->critical == 5000);  // kept
    CHECK(std::isnan(m.config().threshold("errorRate")->critical));
    CHECK(m.config().threshold("errorRate")->warning == 0.05);
    CHECK(m.config().currency == "USD");
    CHECK(m.config().prices.count("llama") == 1);
    CHECK(m.config().threshold("latencyP95Ms")->warning == 30000);
    // A second partial configuration keeps the first one's values.
    CHECK(wb::configure(m, R"({"currency": "EUR"})").ok);
    CHECK(m.config().currency == "EUR");
    CHECK(m.config().history_size == 5);
    CHECK(m.config().threshold("ttftP95Ms")->warning == 100);
    CHECK(wb::configure(m, "{}").ok);
    CHECK(m.config().currency == "EUR");
  }
  SUBCASE("historySize trims the history") {
    Batch b;
    for (int i = 0; i < 8; ++i) b.add(wb::kGeneration, generation(b));
    CHECK(b.ingest(m).accepted == 8);
    CHECK(wb::configure(m, R"({"historySize": 3})").ok);
    CHECK(m.generation_history().size() == 3);
    CHECK(m.state().generations.total == 8);  // the aggregates are kept
  }
  struct Bad {
    const char* what;
    const char* json_text;
    const char* field;
    const char* value;
  };
  const Bad bad[] = {
      {"unknown option", R"({"bogus": 1})", "config.bogus", ""},
      {"unknown option after a valid one", R"({"historySize": 5, "bogus": true})", "config.bogus",
       ""},
      {"negative threshold", R"({"thresholds": {"ttftP95Ms": {"warning": -1}}})",
       "config.thresholds.ttftP95Ms.warning", "-1"},
      {"threshold a string", R"({"thresholds": {"latencyP95Ms": {"critical": "high"}}})",
       "config.thresholds.latencyP95Ms.critical", "\"high\""},
      {"threshold not an object", R"({"thresholds": {"errorRate": 0.1}})",
       "config.thresholds.errorRate", "0.1"},
      {"unknown threshold", R"({"thresholds": {"ttftP99Ms": {"warning": 1}}})",
       "config.thresholds.ttftP99Ms", ""},
      {"historySize 0", R"({"historySize": 0})", "config.historySize", "0"},
      {"historySize 2.5", R"({"historySize": 2.5})", "config.historySize", "2.5"},
      {"historySize too big", R"({"historySize": 100001})", "config.historySize", "100001"},
      {"negative price", R"({"prices": {"m": {"input": -1, "output": 1}}})",
       "config.prices.m.input", "-1"},
      {"currency a number", R"({"currency": 5})", "config.currency", "5"},
      {"not an object", R"([1, 2])", "config", ""},
      {"not JSON", R"({"historySize": )", "$", ""},
  };
  SUBCASE("errors name the option; nothing changes") {
    for (const Bad& c : bad) {
      INFO("case: " << std::string(c.what));
      Monitor fresh;
      CHECK(wb::configure(fresh, R"({"currency": "EUR"})").ok);
      const json before = fresh.config().to_json();
      Status s = wb::configure(fresh, c.json_text);
      INFO("got field: " << s.field << ", message: " << s.message);
      CHECK_FALSE(s.ok);
      CHECK(s.field == c.field);
      CHECK(contains(s.message, c.field));
      if (*c.value) CHECK(contains(s.message, c.value));
      CHECK(fresh.config().to_json() == before);  // nothing changed
      CHECK(fresh.state().rejected == 0);         // a configuration error is not an event
    }
  }
  CHECK(m.config().to_json()["historySize"].is_number());
}

TEST_CASE("batch: record_webgpu") {
  const char* valid = R"({"timestamp": 1700000000000, "available": true, "vendor": "nvidia",
      "architecture": "ampere", "device": "", "description": "RTX 3080",
      "isFallbackAdapter": false,
      "limits": {"maxBufferSize": 268435456, "maxComputeWorkgroupSizeX": 256},
      "features": ["shader-f16", "timestamp-query"]})";

  SUBCASE("valid JSON") {
    Monitor m;
    Status s = wb::record_webgpu(m, valid);
    INFO(s.field << ": " << s.message);
    CHECK(s.ok);
    json w = m.metrics(kNow)["webgpu"];
    CHECK(w["available"] == true);
    CHECK(w["adapter"]["vendor"] == "nvidia");
    CHECK(w["adapter"]["architecture"] == "ampere");
    CHECK(w["adapter"]["description"] == "RTX 3080");
    CHECK(w["adapter"]["isFallbackAdapter"] == false);
    CHECK(w["limits"]["maxBufferSize"] == 268435456.0);
    CHECK(w["features"] == json({"shader-f16", "timestamp-query"}));
    CHECK(m.state().rejected == 0);
  }

  struct Bad {
    const char* what;
    const char* json_text;
    const char* field;
    const char* value;
  };
  const Bad bad[] = {
      {"available a string",
       R"({"timestamp": 1, "available": "yes", "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.available", "\"yes\""},
      {"timestamp a string",
       R"({"timestamp": "now", "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.timestamp", "\"now\""},
      {"timestamp negative",
       R"({"timestamp": -5, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.timestamp", "-5"},
      {"vendor a number",
       R"({"timestamp": 1, "available": true, "vendor": 10, "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.vendor", "10"},
      {"a limit a string",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {"maxBufferSize": "big"},
           "features": []})",
       "webgpu.limits.maxBufferSize", "\"big\""},
      {"a negative limit",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {"maxBufferSize": -1},
           "features": []})",
       "webgpu.limits.maxBufferSize", "-1"},
      {"limits an array",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": [], "features": []})",
       "webgpu.limits", ""},
      {"a feature a number",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": ["a", 7]})",
       "webgpu.features[1]", "7"},
      {"a field missing",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "limits": {}, "features": []})",
       "webgpu.isFallbackAdapter", ""},
      {"not an object", R"("nvidia")", "webgpu", "\"nvidia\""},
  };
  SUBCASE("wrong types and values name the JSON path") {
    for (const Bad& c : bad) {
      INFO("case: " << std::string(c.what));
      Monitor m;
      CHECK(wb::record_webgpu(m, valid).ok);
      const json before = m.metrics(kNow)["webgpu"];
      Status s = wb::record_webgpu(m, c.json_text);
      INFO("got field: " << s.field << ", message: " << s.message);
      CHECK_FALSE(s.ok);
      CHECK(s.field == c.field);
      CHECK(contains(s.message, c.field));
      if (*c.value) CHECK(contains(s.message, c.value));
      CHECK(m.state().rejected == 1);
      CHECK(rejected_for(m, c.field) == 1);
      json after = m.metrics(kNow);
      CHECK(after["rejected"]["total"] == 1);
      bool same = after["webgpu"] == before;
      CHECK_MESSAGE(same, "a refused adapter changed the webgpu metrics");
    }
  }
  SUBCASE("not JSON") {
    Monitor m;
    Status s = wb::record_webgpu(m, "{nope");
    CHECK_FALSE(s.ok);
    CHECK(m.state().rejected == 1);
    CHECK(m.metrics(kNow)["webgpu"]["available"].is_null());
  }
}

// ================================================================================================
// The fast path (wasm/ingest/recorder.hpp): ingest() must return what ingest_reference() returns,
// which gives every record to Monitor::record, and leave the monitor the same.

namespace {

/// Two monitors fed the same batches: `fast` through ingest(), `ref` through ingest_reference().
struct Twins {
  Monitor fast, ref;

  /// Ingests `b` into both and checks that the results and the monitors are the same; returns
  /// the fast one's result.
  wb::Result feed(const Batch& b) {
    wb::Result got = b.ingest(fast);
    wb::Result want = wb::ingest_reference(ref, b.data.data(), b.data.size(), b.records, b.strings);
    CHECK(want.fast == 0);
    CHECK(got.accepted == want.accepted);
    CHECK(got.malformed == want.malformed);
    CHECK(got.rejected.size() == want.rejected.size());
    for (std::size_t i = 0; i < got.rejected.size() && i < want.rejected.size(); ++i) {
      INFO("rejection " << i << ": " << want.rejected[i].message);
      CHECK(got.rejected[i].record == want.rejected[i].record);
      CHECK(got.rejected[i].field == want.rejected[i].field);
      CHECK(got.rejected[i].message == want.rejected[i].message);
    }
    same();
    return got;
  }

  /// The monitors hold the same: their export (metrics with the windows, sketches, histories),
  /// status, change count and memory.
  void same() const {
    CHECK(fast.changes() == ref.changes());
    CHECK(fast.memory_bytes() == ref.memory_bytes());
    CHECK(fast.status(kNow) == ref.status(kNow));
    std::string a = fast.export_json(kNow), b = ref.export_json(kNow);
    CHECK(a.size() == b.size());
    CHECK_MESSAGE(a == b, "the exports differ");
  }
};

/// splitmix64: the same numbers on every platform (std distributions are not).
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(std::size_t one_in) { return below(one_in) == 0; }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
};

/// A number near the edges of what validation accepts, or a plain one.
double edgy(Random& rnd, double plain) {
  const double edges[] = {0,         -0.0,
                          -1,        0.5,
                          1,         2.5,
                          100,       100.5,
                          1e9,       1e9 + 1,
                          1e10,      1e10 + 1,
                          6.048e8,   std::nextafter(6.048e8, INFINITY),
                          8.64e15,   8.64e15 * 2,
                          -1e-300,   INFINITY,
                          -INFINITY, NAN};
  return rnd.chance(8) ? rnd.pick(edges) : plain;
}

/// A batch of `n` records, mostly operations and generations (valid ones mostly, every field
/// sometimes at an edge), some of the other kinds; strings from a table with repeated, invalid
/// and enum strings in it.
Batch random_batch(Random& rnd, std::size_t n, double t0) {
  Batch b;
  // The first five are the names mostly used; some longer than a short string holds in place.
  const char* texts[] = {"llama",
                         "Qwen2.5-0.5B-Instruct",
                         "llama",
                         "retrieve",
                         "embed-documents",
                         "chat",
                         "completion",
                         "embedding",
                         "stop",
                         "length",
                         "abort",
                         "tool_calls",
                         "error",
                         "bogus",
                         "",
                         "bad\x01name",
                         "default",
                         "(other)",
                         "TypeError",
                         "AbortError",
                         "tab\there",
                         "del\x7f"};
  for (const char* s : texts) b.str(s);
  b.str(std::string(256, 'n'));   // the longest valid name
  b.str(std::string(257, 'n'));   // one byte too long
  b.str(std::string(3000, 'm'));  // a message to cut
  const std::size_t strings = b.strings.size();
  auto str = [&]() { return static_cast<double>(rnd.below(strings)); };
  auto name = [&]() { return rnd.chance(6) ? str() : static_cast<double>(rnd.below(5)); };
  for (std::size_t i = 0; i < n; ++i) {
    double t = t0 + static_cast<double>(rnd.below(600'000)) - 120'000;
    std::size_t kind = rnd.below(10);
    if (kind < 4) {
      Fields f = {{0, name()},
                  {1, edgy(rnd, t)},
                  {2, edgy(rnd, 1 + static_cast<double>(rnd.below(5000)) / 8)}};
      if (rnd.chance(3)) f[3] = rnd.chance(4) ? edgy(rnd, 0) : 1;
      if (rnd.chance(8)) f[4] = str();
      if (rnd.chance(8)) f[5] = str();
      for (int k : {0, 1, 2})
        if (rnd.chance(40)) f.erase(k);
      b.add(wb::kOperation, f);
    } else if (kind < 8) {
      std::vector<double> gaps(rnd.below(12));
      for (double& g : gaps)
        g = rnd.chance(30) ? edgy(rnd, 20) : 5 + static_cast<double>(rnd.below(400)) / 4;
      double duration = 100 + static_cast<double>(rnd.below(20'000));
      Fields f = {{wb::kModel, name()},
                  {wb::kStartedAt, edgy(rnd, t)},
                  {wb::kDurationMs, edgy(rnd, duration)}};
      if (!gaps.empty() || rnd.chance(2)) f[wb::kChunkGapCount] = static_cast<double>(gaps.size());
      if (rnd.chance(2)) f[wb::kType] = name();
      if (rnd.chance(3))
        f[wb::kOperationName] = rnd.chance(4) ? str() : static_cast<double>(5 + rnd.below(3));
      if (rnd.chance(3))
        f[wb::kFinishReason] = rnd.chance(4) ? str() : static_cast<double>(8 + rnd.below(4));
      if (rnd.chance(2))
        f[wb::kTtftMs] = edgy(rnd, duration * static_cast<double>(rnd.below(100)) / 90);
      const int numbers[] = {wb::kPromptTokens,     wb::kCompletionTokens, wb::kEngineTtftMs,
                             wb::kEnginePrefillTps, wb::kEngineDecodeTps,  wb::kEngineTpotMs,
                             wb::kPromptChars,      wb::kResponseChars,    wb::kTemperature,
                             wb::kMaxTokens};
      for (int k : numbers)
        if (rnd.chance(2)) f[k] = edgy(rnd, 1 + static_cast<double>(rnd.below(60)));
      if (rnd.chance(10)) f[wb::kErrorName] = str();
      if (rnd.chance(10)) f[wb::kErrorMessage] = str();
      for (int k : {wb::kModel, wb::kStartedAt, wb::kDurationMs})
        if (rnd.chance(40)) f.erase(k);
      b.add(wb::kGeneration, f, gaps);
    } else if (kind == 8) {
      b.add(wb::kCacheLookup, {{0, name()}, {1, static_cast<double>(rnd.below(2))}, {2, t}});
    } else {
      b.add(wb::kModelLoad,
            {{0, name()}, {1, t}, {2, 500}, {3, static_cast<double>(8 + rnd.below(3))}});
    }
  }
  return b;
}

}  // namespace

TEST_CASE("batch fast path: valid operations and generations take it, with the same outcome") {
  Twins twins;
  Batch b;
  b.add(wb::kOperation, operation(b, "retrieve"));
  b.add(wb::kOperation, {{0, b.str("retrieve")}, {1, kT0 + 30}, {2, 0}, {3, 1}});  // success given
  b.add(wb::kGeneration, generation(b));
  // Every field, numbers at the edges of their ranges (ttftMs = durationMs is allowed).
  Fields edges = generation(b);
  for (auto [field, value] : {std::pair{wb::kType, b.str("chat-ui")},
                              {wb::kOperationName, b.str("completion")},
                              {wb::kTtftMs, 2000.0},
                              {wb::kPromptTokens, 0.0},
                              {wb::kCompletionTokens, 1e9},
                              {wb::kEngineTtftMs, 0.0},
                              {wb::kEnginePrefillTps, 1e9},
                              {wb::kEngineDecodeTps, 40.0},
                              {wb::kEngineTpotMs, 6.048e8},
                              {wb::kFinishReason, b.str("tool_calls")},
                              {wb::kPromptChars, 1e10},
                              {wb::kResponseChars, 0.0},
                              {wb::kTemperature, 100.0},
                              {wb::kMaxTokens, 1.0},
                              {wb::kChunkGapCount, 4.0}})
    edges[field] = value;
  b.add(wb::kGeneration, edges, {0, 6.048e8, 12.5, 3});
  b.add(wb::kGeneration, {{wb::kModel, b.str(std::string(256, 'x'))},
                          {wb::kStartedAt, 0},
                          {wb::kDurationMs, 0},
                          {wb::kFinishReason, b.str("length")},
                          {wb::kOperationName, b.str("embedding")}});
  wb::Result r = twins.feed(b);
  CHECK(r.accepted == 5);
  CHECK(r.fast == 5);
  CHECK(r.rejected.empty());
}

TEST_CASE("batch fast path: repeated strings, one entry or several, are looked up once each") {
  Twins twins;
  Batch b;
  double llama = b.str("llama"), op = b.str("retrieve"), chat = b.str("chat-ui");
  double llama2 = b.str("llama"), op2 = b.str("retrieve");  // the same text at other indices
  for (int i = 0; i < 200; ++i) {
    double t = kT0 + i * 700.0;
    b.add(wb::kOperation, {{0, i % 3 ? op : op2}, {1, t}, {2, 1.0 + i}});
    b.add(wb::kGeneration,
          {{wb::kModel, i % 2 ? llama : llama2},
           {wb::kType, chat},
           {wb::kStartedAt, t},
           {wb::kDurationMs, 900},
           {wb::kTtftMs, 100.0 + i},
           {wb::kCompletionTokens, 20},
           {wb::kChunkGapCount, 3}},
          {10, 20, 30.0 + i});
  }
  wb::Result r = twins.feed(b);
  CHECK(r.accepted == 400);
  CHECK(r.fast == 400);
  CHECK(twins.fast.state().operations.items.size() == 1);
  CHECK(twins.fast.state().operations.items.at("retrieve").succeeded == 200);
  CHECK(twins.fast.state().by_model.items.at("llama").total == 200);
  CHECK(twins.fast.state().by_type.items.at("chat-ui").total == 200);
  // A second batch reuses the entries the first one made.
  Batch again;
  again.add(wb::kOperation, operation(again, "retrieve"));
  again.add(wb::kGeneration, generation(again));
  r = twins.feed(again);
  CHECK(r.fast == 2);
  CHECK(twins.fast.state().operations.items.at("retrieve").succeeded == 201);
}

TEST_CASE("batch fast path: a bad string among good ones is refused with its field and message") {
  Twins twins;
  Batch b;
  double good = b.str("retrieve"), model = b.str("llama");
  double control = b.str("re\x01trieve"), empty = b.str(""),
         long_name = b.str(std::string(257, 'x'));
  for (double name : {good, control, good, empty, good, long_name, good}) {
    b.add(wb::kOperation, {{0, name}, {1, kT0 + 10}, {2, 5}});
    b.add(
        wb::kGeneration,
        {{wb::kModel, name == good ? model : name}, {wb::kStartedAt, kT0}, {wb::kDurationMs, 10}});
  }
  // The bad strings in other fields: the type, and names of an operation or a finish reason.
  b.add(wb::kGeneration,
        {{wb::kModel, model}, {wb::kType, control}, {wb::kStartedAt, kT0}, {wb::kDurationMs, 10}});
  b.add(wb::kGeneration, {{wb::kModel, model},
                          {wb::kOperationName, good},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 10}});
  b.add(wb::kGeneration, {{wb::kModel, model},
                          {wb::kFinishReason, good},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 10}});
  wb::Result r = twins.feed(b);
  CHECK(r.accepted == 8);
  CHECK(r.fast == 8);
  REQUIRE(r.rejected.size() == 9);
  CHECK(r.rejected[0].record == 2);
  CHECK(r.rejected[0].field == "operation.name");
  CHECK(r.rejected[0].message ==
        "operation.name: \"re\\u0001trieve\" contains a control character");
  CHECK(r.rejected[1].field == "generation.model");
  CHECK(r.rejected[1].message ==
        "generation.model: \"re\\u0001trieve\" contains a control character");
  CHECK(r.rejected[2].field == "operation.name");
  CHECK(r.rejected[2].message == "operation.name must be a non-empty string");
  CHECK(r.rejected[3].field == "generation.model");
  CHECK(r.rejected[4].field == "operation.name");
  CHECK(contains(r.rejected[4].message, "is 257 bytes, longer than 256"));
  CHECK(r.rejected[5].field == "generation.model");
  CHECK(r.rejected[6].field == "generation.type");
  CHECK(r.rejected[7].field == "generation.operation");
  CHECK(r.rejected[7].message ==
        "generation.operation: \"retrieve\" is not chat, completion or embedding");
  CHECK(r.rejected[8].field == "generation.finishReason");
}

TEST_CASE("batch fast path: what it leaves to the decoder comes out the same") {
  Twins twins;
  Batch b;
  // Failed operations and generations, errors named, aborts: Monitor::record's.
  b.add(wb::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {3, 0}});
  b.add(wb::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {4, b.str("TypeError")}});
  b.add(wb::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {5, b.str("a message")}});
  b.add(wb::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {3, 0.5}});  // not a flag
  b.add(wb::kGeneration, {{wb::kModel, b.str("llama")},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 10},
                          {wb::kErrorName, b.str("GPUError")}});
  b.add(wb::kGeneration, {{wb::kModel, b.str("llama")},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 10},
                          {wb::kFinishReason, b.str("abort")},
                          {wb::kTtftMs, 4}});
  b.add(wb::kGeneration, {{wb::kModel, b.str("llama")},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 10},
                          {wb::kFinishReason, b.str("error")}});
  b.add(wb::kGeneration, {{wb::kModel, b.str("llama")},
                          {wb::kStartedAt, kT0},
                          {wb::kDurationMs, 10},
                          {wb::kErrorMessage, b.str(std::string(3000, 'm'))}});
  // Values at the edges of the ranges, one past them, NaN and infinities, in every number.
  const int numbers[] = {wb::kStartedAt,        wb::kDurationMs,       wb::kTtftMs,
                         wb::kPromptTokens,     wb::kCompletionTokens, wb::kEngineTtftMs,
                         wb::kEnginePrefillTps, wb::kEngineDecodeTps,  wb::kEngineTpotMs,
                         wb::kPromptChars,      wb::kResponseChars,    wb::kTemperature,
                         wb::kMaxTokens};
  const double values[] = {-1,          -0.0,     0.5,       1,
                           100.5,       1e9 + 1,  1e10 + 1,  std::nextafter(6.048e8, INFINITY),
                           8.64e15 + 2, INFINITY, -INFINITY, NAN};
  for (int k : numbers) {
    for (double v : values) {
      Fields f = generation(b);
      f[k] = v;
      b.add(wb::kGeneration, f);
    }
  }
  for (int k : {1, 2})
    for (double v : values) {
      Fields f = operation(b);
      f[k] = v;
      b.add(wb::kOperation, f);
    }
  b.add(wb::kGeneration,
        {{wb::kModel, b.str("llama")},
         {wb::kStartedAt, kT0},
         {wb::kDurationMs, 10},
         {wb::kTtftMs, 11}},  // after the end
        {});
  b.add(wb::kGeneration,
        {{wb::kModel, b.str("llama")},
         {wb::kStartedAt, kT0},
         {wb::kDurationMs, 10},
         {wb::kChunkGapCount, 2}},
        {3, -1});
  wb::Result r = twins.feed(b);
  CHECK(r.malformed.empty());
  CHECK(r.accepted > r.fast);
  CHECK(!r.rejected.empty());
  // And a malformed record after fast ones: the same stop, the same records kept.
  Batch bad;
  bad.add(wb::kOperation, operation(bad));
  bad.add(wb::kGeneration, generation(bad));
  bad.add(wb::kGeneration,
          {{wb::kModel, 0}, {wb::kStartedAt, kT0}, {wb::kDurationMs, 10}, {wb::kChunkGapCount, 3}},
          {1, 2});
  bad.add(wb::kGeneration, {{wb::kModel, 99}, {wb::kStartedAt, kT0}, {wb::kDurationMs, 10}});
  r = twins.feed(bad);
  CHECK(contains(r.malformed, "record 2"));
  CHECK(r.fast == 2);
  Batch bad_index;
  bad_index.add(wb::kOperation, operation(bad_index));
  bad_index.add(wb::kOperation, {{0, 99}, {1, kT0}, {2, 1}});
  r = twins.feed(bad_index);
  CHECK(contains(r.malformed, "string index"));
  CHECK(r.fast == 1);
}

TEST_CASE(
    "batch fast path: past the caps of the breakdowns, keys fold as Monitor::record folds them") {
  Twins twins;
  for (int round = 0; round < 3; ++round) {  // across batches: each looks its entries up anew
    Batch b;
    for (int i = 0; i < 160; ++i) {
      double t = kT0 + round * 50'000.0 + i;
      std::string n = std::to_string(i + round * 120);  // 400 names, some in two rounds
      b.add(wb::kOperation, {{0, b.str("op" + n)}, {1, t}, {2, 3}});
      b.add(wb::kGeneration, {{wb::kModel, b.str("model" + n)},
                              {wb::kType, b.str("type" + n)},
                              {wb::kOperationName, b.str(i % 3 == 0   ? "chat"
                                                         : i % 3 == 1 ? "completion"
                                                                      : "embedding")},
                              {wb::kStartedAt, t},
                              {wb::kDurationMs, 40},
                              {wb::kPromptTokens, 5}});
    }
    wb::Result r = twins.feed(b);
    CHECK(r.fast == 320);
  }
  CHECK(twins.fast.state().by_model.items.count("(other)") == 1);
  CHECK(twins.fast.state().by_type.items.count("(other)") == 1);
  CHECK(twins.fast.state().operations.items.count("(other)") == 1);
  bool folded = false;
  for (const auto& [key, stats] : twins.fast.state().genai.items)
    folded = folded || key.model == "(other)";
  CHECK(folded);
}

TEST_CASE("batch fast path: random batches give the same results and monitors as the reference") {
  Twins twins;
  wlm::Config config;
  config.history_size = 50;  // the history is cut while the batches go in
  twins.fast.configure(config);
  twins.ref.configure(config);
  Random rnd{20240611};
  std::size_t fast = 0, accepted = 0, rejected = 0;
  for (int i = 0; i < 40; ++i) {
    INFO("batch " << i);
    wb::Result r = twins.feed(random_batch(rnd, 250, kT0 + i * 30'000.0));
    fast += r.fast;
    accepted += r.accepted;
    rejected += r.rejected.size();
  }
  MESSAGE("random batches: " << accepted << " accepted, " << fast << " of them by the fast path, "
                             << rejected << " refused");
  CHECK(fast > 1000);
  CHECK(accepted > fast);
  CHECK(rejected > 500);
}

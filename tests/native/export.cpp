// The export document: shape, import round trip, exact merging, and refusal of bad documents.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include <fmt/format.h>

#include "monitor.hpp"
#include "report.hpp"

using namespace wlm;

namespace {

constexpr double kT0 = 1.7e12;

/// A session with every kind of event; `seed` varies the numbers, `offset` the times.
void feed(Monitor& m, unsigned seed, double offset, int n) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> ttft(std::log(300.0), 0.6), gap(std::log(25.0), 0.3);
  ModelLoadEvent load;
  load.model = seed % 2 ? "Llama-3.2-1B" : "Qwen2.5-0.5B";
  load.started_at = kT0 + offset;
  load.duration_ms = 20000 + seed;
  load.from_cache = seed % 3 ? Tristate::yes : Tristate::no;
  load.bytes_fetched = seed % 3 ? NAN : 6e8;
  REQUIRE(m.record(load));
  for (int i = 0; i < n; ++i) {
    GenerationEvent e;
    e.model = i % 4 ? load.model : "Phi-3.5";
    e.type = i % 3 ? "chat" : "enhance_summary";
    e.started_at = kT0 + offset + 30000 + i * 2000.0;
    e.ttft_ms = ttft(rng);
    int tokens = 5 + i % 40;
    for (int k = 1; k < tokens; ++k) e.chunk_gaps_ms.push_back(gap(rng));
    double decode = 0;
    for (double g : e.chunk_gaps_ms) decode += g;
    e.duration_ms = e.ttft_ms + decode;
    e.prompt_tokens = 20 + i % 100;
    e.completion_tokens = tokens;
    e.prompt_chars = 80 + i;
    e.temperature = 0.7;
    if (i % 37 == 5) {
      e.error_name = "DeviceLostError";
      e.error_message = "WebGPU device was lost";
    } else if (i % 41 == 7) {
      e.has_finish_reason = true;
      e.finish_reason = FinishReason::abort;
    }
    REQUIRE(m.record(e));
    if (i % 10 == 0) {
      MemorySample s;
      s.label = "periodic";
      s.timestamp = e.started_at;
      s.used_js_heap = 5e7 + i * 1000.0;
      s.js_heap_limit = 4e9;
      s.gpu_buffer_bytes = 8e8;
      REQUIRE(m.record(s));
      CacheLookupEvent c;
      c.cache = "rag";
      c.hit = (i / 10) % 3 != 0;
      c.timestamp = e.started_at;
      REQUIRE(m.record(c));
      OperationEvent op;
      op.name = "retrieval";
      op.started_at = e.started_at;
      op.duration_ms = 5 + i % 13;
      REQUIRE(m.record(op));
    }
  }
  WebGpuInfo w;
  w.timestamp = kT0 + offset;
  w.available = true;
  w.vendor = "google";
  w.architecture = "swiftshader";
  w.limits["maxBufferSize"] = 2147483648.0;
  REQUIRE(m.record(w));
  GenerationEvent bad;
  bad.model = "";
  m.record(bad);  // one rejection per session
}

json without_windows(json metrics) {
  metrics.erase("windows");
  metrics.erase("health");  // its basis depends on the windows
  return metrics;
}

}  // namespace

TEST_CASE("an empty monitor exports every key, absent data as null or 0") {
  Monitor m;
  json doc = m.export_document(kT0);
  for (const char* k : {"schemaVersion", "exportedAt", "status", "metrics", "generations",
                        "memorySnapshots", "sketches"})
    CHECK_MESSAGE(doc.contains(k), k);
  CHECK(doc["schemaVersion"] == kSchemaVersion);
  json mm = doc["metrics"];
  for (const char* k : {"generations", "initialization", "cache", "errors", "memory", "webgpu",
                        "operations", "cost", "health", "rejected", "windows"})
    CHECK_MESSAGE(mm.contains(k), k);
  CHECK(mm["generations"]["total"] == 0);
  CHECK(mm["generations"]["successRate"].is_null());
  CHECK(mm["generations"]["ttftMs"]["p95"].is_null());
  CHECK(mm["generations"]["throughput"]["tokensPerSec"].is_null());
  CHECK(mm["cache"]["hitRate"].is_null());
  CHECK(mm["initialization"]["lastModel"].is_null());
  CHECK(mm["memory"]["latest"].is_null());
  CHECK(mm["webgpu"]["adapter"].is_null());
  for (const char* w : {"1m", "5m", "1h"}) CHECK(mm["windows"][w]["generations"]["total"] == 0);
  // And it imports.
  Monitor back;
  CHECK(back.import_json(m.export_json(kT0)));
}

TEST_CASE("import restores the session: metrics, histories and further ingestion") {
  Monitor m;
  feed(m, 1, 0, 400);
  double now = kT0 + 2e6;
  std::string text = m.export_json(now);
  Monitor back;
  REQUIRE(back.import_json(text));
  CHECK(without_windows(back.metrics(now)) == without_windows(m.metrics(now)));
  json a = json::parse(text), b = json::parse(back.export_json(now));
  CHECK(a["generations"] == b["generations"]);
  CHECK(a["memorySnapshots"] == b["memorySnapshots"]);
  CHECK(a["sketches"] == b["sketches"]);
  // Both continue identically.
  feed(m, 7, 1e6, 50);
  feed(back, 7, 1e6, 50);
  CHECK(without_windows(back.metrics(now)) == without_windows(m.metrics(now)));
}

TEST_CASE("merging exports equals one monitor fed every session") {
  Monitor a, b, c, all;
  feed(a, 1, 0, 300);
  feed(b, 2, 5e5, 500);
  feed(c, 3, 1e6, 10);
  feed(all, 1, 0, 300);
  feed(all, 2, 5e5, 500);
  feed(all, 3, 1e6, 10);
  double now = kT0 + 3e6;
  Monitor merged;
  REQUIRE(merged.merge_json(a.export_json(now)));
  REQUIRE(merged.merge_json(b.export_json(now)));
  REQUIRE(merged.merge_json(c.export_json(now)));
  json got = without_windows(merged.metrics(now));
  json want = without_windows(all.metrics(now));
  // Sums of doubles may differ in the last bits with the order of addition; everything else
  // (counts, quantiles from the merged sketches, min, max) is identical.
  for (json* j : {&got, &want})
    for (const char* series : {"latencyMs", "ttftMs", "decodeTokensPerSec", "prefillTokensPerSec",
                               "timePerOutputTokenMs", "chunkGapMs"})
      (*j)["generations"][series].erase("mean");
  CHECK(got["generations"]["total"] == 810);
  CHECK(got["generations"]["ttftMs"] == want["generations"]["ttftMs"]);
  CHECK(got["generations"]["chunkGapMs"] == want["generations"]["chunkGapMs"]);
  CHECK(got["generations"]["latencyMs"] == want["generations"]["latencyMs"]);
  CHECK(got["generations"]["tokens"] == want["generations"]["tokens"]);
  CHECK(got["generations"]["byModel"]["Phi-3.5"]["total"] ==
        want["generations"]["byModel"]["Phi-3.5"]["total"]);
  CHECK(got["generations"]["byModel"]["Phi-3.5"]["ttftMs"]["p99"] ==
        want["generations"]["byModel"]["Phi-3.5"]["ttftMs"]["p99"]);
  CHECK(got["cache"] == want["cache"]);
  CHECK(got["errors"] == want["errors"]);
  CHECK(got["initialization"]["loads"] == 3);
  CHECK(got["initialization"]["loadMs"] == want["initialization"]["loadMs"]);
  CHECK(got["operations"]["retrieval"]["count"] == want["operations"]["retrieval"]["count"]);
  CHECK(got["memory"] == want["memory"]);
  CHECK(got["rejected"]["total"] == 3);
  // Histories interleave by time and keep the newest.
  const auto& h = merged.generation_history();
  CHECK(h.size() == 810 - 0);
  for (std::size_t i = 1; i < h.size(); ++i)
    REQUIRE(h[i - 1].event.started_at <= h[i].event.started_at);
}

TEST_CASE("merging several documents names the one that cannot be read, and merges none") {
  Monitor m;
  feed(m, 4, 0, 60);
  double now = kT0 + 1e6;
  std::string good = m.export_json(now);
  Monitor target;
  std::string before = target.export_json(now);
  std::size_t failed = 99;
  Status s = target.merge_json(std::vector<std::string>{good, good, "{"}, &failed);
  CHECK_FALSE(s.ok);
  CHECK(failed == 3);
  CHECK(s.field == "$");
  CHECK_MESSAGE(s.message.rfind("document 3: $: ", 0) == 0, s.message);
  CHECK(target.export_json(now) == before);
  // One document: no "document N" in the message, but its index all the same.
  s = target.merge_json(std::vector<std::string>{"[]"}, &failed);
  CHECK(failed == 1);
  CHECK_MESSAGE(s.message.rfind("$: ", 0) == 0, s.message);
  CHECK(target.merge_json(std::vector<std::string>{good, good}, &failed));
  CHECK(failed == 0);
}

TEST_CASE(
    "find_series: a path of no known form fails naming it; a known form without data is null") {
  Monitor m;
  feed(m, 2, 0, 60);
  const wlm::Series* s = nullptr;
  CHECK(m.find_series("generations.ttftMs", s));
  CHECK(s != nullptr);
  CHECK(m.find_series("generations.byModel.nobody.ttftMs", s));
  CHECK(s == nullptr);
  CHECK(m.find_series("operations.none.durationMs", s));
  CHECK(s == nullptr);
  Status bad = m.find_series("generations.nope.latencyMs", s);
  CHECK_FALSE(bad.ok);
  CHECK(bad.field == "path");
  CHECK(bad.message ==
        "\"generations.nope.latencyMs\" names no series (generations[.byModel|byType|"
        "byOperation.<key>].<series>, operations.<name>.durationMs, initialization.loadMs)");
  bad = m.find_series(std::string(100, 'x'), s);
  CHECK_MESSAGE(bad.message.rfind("\"" + std::string(80, 'x') + "...\" names no series", 0) == 0,
                bad.message);
}

TEST_CASE("bad documents are refused with the JSON path, and nothing changes") {
  Monitor m;
  feed(m, 4, 0, 60);
  double now = kT0 + 1e6;
  std::string before = m.export_json(now);
  json good = json::parse(before);

  auto refuse = [&](const std::string& text, const std::string& path, const char* words) {
    Status s = m.import_json(text);
    CHECK_FALSE(s.ok);
    CHECK(s.field == path);
    CHECK_MESSAGE(s.message.find(words) != std::string::npos, s.message);
    Status s2 = m.merge_json(text);
    CHECK_FALSE(s2.ok);
    CHECK(m.export_json(now) == before);
  };
  refuse(before.substr(0, before.size() / 2), "$", "not valid JSON");
  refuse("", "$", "not valid JSON");
  refuse("[1, 2]", "$", "expected an export object");
  refuse(std::string(100, '[') + std::string(100, ']'), "$", "nesting deeper than 64");

  json doc = good;
  doc["schemaVersion"] = 3;
  refuse(doc.dump(), "$.schemaVersion", "version 3 is not supported");
  doc["schemaVersion"] = 1;
  refuse(doc.dump(), "$.schemaVersion", "duration buckets in milliseconds");
  doc = good;
  doc["sketches"]["generations"]["series"]["ttftMs"]["histogram"]["unit"] = "ms";
  refuse(doc.dump(), "$.sketches.generations.series.ttftMs.histogram.unit", "buckets are in \"s\"");
  doc = good;
  doc["sketches"]["genAi"][0]["errorType"] = "";
  refuse(doc.dump(), "$.sketches.genAi[0].errorType", "null stands for no error");
  doc = good;
  doc["sketches"]["genAi"].push_back(doc["sketches"]["genAi"][0]);
  refuse(doc.dump(), "$.sketches.genAi[" + std::to_string(good["sketches"]["genAi"].size()) + "]",
         "a second entry for the same attributes");
  doc = good;
  doc["sketches"]["genAi"].erase(0);
  refuse(doc.dump(), "$.sketches.genAi", "but the total is 60");
  doc = good;
  doc["sketches"]["genAi"][0]["operation"] = "dance";
  refuse(doc.dump(), "$.sketches.genAi[0].operation", "is not chat, completion or embedding");
  doc = good;
  doc["sketches"]["loads"]["byKey"][0]["fromCache"] = "maybe";
  refuse(doc.dump(), "$.sketches.loads.byKey[0].fromCache",
         "\"maybe\" is not true, false or unknown");
  doc = good;
  doc.erase("sketches");
  refuse(doc.dump(), "$.sketches", "missing");
  doc = good;
  doc["sketches"]["generations"]["total"] = "many";
  refuse(doc.dump(), "$.sketches.generations.total", "expected a whole number");
  doc = good;
  doc["sketches"]["generations"]["total"] = 5;
  refuse(doc.dump(), "$.sketches.generations.total", "is not succeeded + failed + aborted");
  doc = good;
  doc["sketches"]["generations"]["series"]["ttftMs"]["histogram"]["counts"][0] = 1.5;
  refuse(doc.dump(), "$.sketches.generations.series.ttftMs.histogram.counts[0]", "whole number");
  doc = good;
  doc["sketches"]["byModel"]["Phi-3.5"]["failed"] = -1;
  refuse(doc.dump(), "$.sketches.byModel[\"Phi-3.5\"].failed", "negative");
  doc = good;
  doc["generations"][3]["durationMs"] = -4;
  refuse(doc.dump(), "$.generations[3].durationMs", "-4 is negative");
  doc = good;
  doc["generations"][0]["finishReason"] = "halted";
  refuse(doc.dump(), "$.generations[0].finishReason", "\"halted\" is not stop");
  doc = good;
  doc["memorySnapshots"][1]["usedJSHeapSize"] = "big";
  refuse(doc.dump(), "$.memorySnapshots[1].usedJSHeapSize", "expected a number");
  doc = good;
  doc["sketches"]["errors"]["recent"] = json::object();
  refuse(doc.dump(), "$.sketches.errors.recent", "expected an array");
  doc = good;
  doc["sketches"]["loads"]["failed"] = 99;
  refuse(doc.dump(), "$.sketches.loads", "do not agree");
  doc = good;
  doc["sketches"]["byOperation"]["dance"] = doc["sketches"]["byOperation"]["chat"];
  refuse(doc.dump(), "$.sketches.byOperation.dance", "unknown operation");
}

TEST_CASE("numbers beyond 2^53 and huge counts are refused") {
  Monitor m;
  json doc = m.export_document(kT0);
  doc["sketches"]["errors"]["total"] = 18446744073709551615ull;
  Status s = m.import_json(doc.dump());
  CHECK_FALSE(s.ok);
  CHECK(s.field == "$.sketches.errors.total");
  CHECK(s.message.find("2^53") != std::string::npos);
}

TEST_CASE("the text report shows the session's figures") {
  Monitor m;
  feed(m, 5, 0, 120);
  double now = kT0 + 1e6;
  std::string r = m.text_report(now);
  json mm = m.metrics(now);
  CHECK(r.find("webllm-monitor report") != std::string::npos);
  CHECK(r.find("Generations: 120 total") != std::string::npos);
  CHECK(r.find("time to first token ms") != std::string::npos);
  CHECK(r.find("DeviceLostError") != std::string::npos);
  CHECK(r.find("enhance_summary") != std::string::npos);
  CHECK(r.find("Phi-3.5") != std::string::npos);
  CHECK(r.find("retrieval") != std::string::npos);
  CHECK(r.find("swiftshader") != std::string::npos);
  CHECK(r.find("Rejected events: 1") != std::string::npos);
  CHECK(r.find(fmt::format("{:.0f}", mm["generations"]["tokens"]["completion"].get<double>())) !=
        std::string::npos);
  // A partial or foreign document still renders.
  CHECK(text_report(json::object()).find("Generations: - total") != std::string::npos);
  CHECK(text_report(json::parse("[1]")).size() > 0);
}

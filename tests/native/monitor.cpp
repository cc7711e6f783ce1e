// Statistics out of a monitor: rates, throughput, derived timings, cache, errors, cost, health,
// breakdowns, sliding windows and bounded history.
#include <doctest/doctest.h>

#include <string>

#include "monitor.hpp"

using namespace wlm;

namespace {

constexpr double kT0 = 1.7e12;  // an epoch-ms start time

GenerationEvent gen(const std::string& model, const std::string& type, double start,
                    double duration, double ttft, double prompt, double completion) {
  GenerationEvent e;
  e.model = model;
  e.type = type;
  e.started_at = start;
  e.duration_ms = duration;
  e.ttft_ms = ttft;
  e.prompt_tokens = prompt;
  e.completion_tokens = completion;
  return e;
}

}  // namespace

TEST_CASE("counts, outcomes, rates and tokens") {
  Monitor m;
  for (int i = 0; i < 8; ++i) REQUIRE(m.record(gen("A", "chat", kT0 + i * 1000, 500, 100, 10, 21)));
  auto failed = gen("A", "chat", kT0 + 9000, 300, NAN, 10, NAN);
  failed.error_name = "ContextWindowSizeExceededError";
  failed.error_message = "Prompt tokens exceed context window size";
  REQUIRE(m.record(failed));
  auto aborted = gen("B", "summary", kT0 + 10000, 1000, 200, 5, 3);
  aborted.has_finish_reason = true;
  aborted.finish_reason = FinishReason::abort;
  REQUIRE(m.record(aborted));

  json g = m.metrics(kT0 + 20000)["generations"];
  CHECK(g["total"] == 10);
  CHECK(g["succeeded"] == 8);
  CHECK(g["failed"] == 1);
  CHECK(g["aborted"] == 1);
  CHECK(g["successRate"].get<double>() == doctest::Approx(0.8));
  CHECK(g["errorRate"].get<double>() == doctest::Approx(0.1));
  CHECK(g["abortRate"].get<double>() == doctest::Approx(0.1));
  CHECK(g["finishReasons"]["error"] == 1);
  CHECK(g["finishReasons"]["abort"] == 1);
  CHECK(g["finishReasons"]["stop"] == 8);
  CHECK(g["tokens"]["prompt"] == 95);
  CHECK(g["tokens"]["completion"] == 171);
  CHECK(g["tokens"]["total"] == 266);
  // Latency covers succeeded generations only; TTFT every generation that had a first token.
  CHECK(g["latencyMs"]["count"] == 8);
  CHECK(g["ttftMs"]["count"] == 9);
  CHECK(g["ttftMs"]["max"] == 200.0);
  // Client-side decode speed: (21 - 1) tokens over (500 - 100) ms = 50 tokens/s.
  CHECK(g["decodeTokensPerSec"]["p50"].get<double>() == doctest::Approx(50.0));
  CHECK(g["timePerOutputTokenMs"]["p50"].get<double>() == doctest::Approx(20.0));
  // Prefill from prompt tokens over TTFT: 10 tokens / 0.1 s.
  CHECK(g["prefillTokensPerSec"]["p50"].get<double>() == doctest::Approx(100.0));
  // Throughput: 171 completion tokens over the wall span [kT0, kT0 + 11000].
  CHECK(g["throughput"]["wallTimeMs"].get<double>() == doctest::Approx(11000));
  CHECK(g["throughput"]["tokensPerSec"].get<double>() == doctest::Approx(171 / 11.0));
  CHECK(g["throughput"]["requestsPerSec"].get<double>() == doctest::Approx(10 / 11.0));
  // Decode time: 8 x 400 ms + the aborted one's 800 ms for its 3 tokens.
  CHECK(g["throughput"]["decodeTimeMs"].get<double>() == doctest::Approx(8 * 400 + 800));
  CHECK(g["throughput"]["tokensPerDecodeSec"].get<double>() == doctest::Approx(171 / 4.0));
}

TEST_CASE("engine figures are preferred; engine TTFT stands in for a missing client TTFT") {
  Monitor m;
  auto e = gen("A", "chat", kT0, 2000, NAN, 100, 50);
  e.engine_ttft_ms = 250;
  e.engine_decode_tokens_per_sec = 33;
  e.engine_prefill_tokens_per_sec = 800;
  e.engine_time_per_output_token_ms = 30;
  REQUIRE(m.record(e));
  json g = m.metrics(kT0 + 5000)["generations"];
  CHECK(g["ttftMs"]["p50"] == 250.0);
  CHECK(g["decodeTokensPerSec"]["p50"] == 33.0);
  CHECK(g["prefillTokensPerSec"]["p50"] == 800.0);
  CHECK(g["timePerOutputTokenMs"]["p50"] == 30.0);
  // Decode time from the engine's speed: 50 tokens at 33 tokens/s.
  CHECK(g["throughput"]["decodeTimeMs"].get<double>() == doctest::Approx(50 / 33.0 * 1000));
}

TEST_CASE("chunk gaps feed their own series") {
  Monitor m;
  auto e = gen("A", "chat", kT0, 1000, 100, 5, 4);
  e.chunk_gaps_ms = {10, 20, 30};
  REQUIRE(m.record(e));
  json g = m.metrics(kT0 + 2000)["generations"];
  CHECK(g["chunkGapMs"]["count"] == 3);
  CHECK(g["chunkGapMs"]["p50"] == 20.0);
  CHECK(m.generation_history().back().chunks == 4);
}

TEST_CASE("breakdowns by model, type and operation have the same structure as the whole") {
  Monitor m;
  REQUIRE(m.record(gen("A", "chat", kT0, 100, 10, 1, 2)));
  REQUIRE(m.record(gen("A", "summary", kT0 + 1, 200, 20, 1, 2)));
  auto emb = gen("B", "search", kT0 + 2, 50, NAN, 30, NAN);
  emb.operation = Operation::embedding;
  REQUIRE(m.record(emb));
  json g = m.metrics(kT0 + 1000)["generations"];
  CHECK(g["byModel"]["A"]["total"] == 2);
  CHECK(g["byModel"]["B"]["total"] == 1);
  CHECK(g["byType"]["summary"]["latencyMs"]["p50"] == 200.0);
  CHECK(g["byOperation"]["embedding"]["tokens"]["prompt"] == 30);
  CHECK(g["byOperation"]["chat"]["total"] == 2);
  for (const auto& model : g["byModel"].items()) {
    for (const auto& field : g.items()) {
      std::string key = field.key();
      if (key == "byModel" || key == "byType" || key == "byOperation") continue;
      CHECK_MESSAGE(model.value().contains(key), "byModel." << model.key() << " lacks " << key);
    }
  }
}

TEST_CASE("breakdown keys are capped; the rest fold into (other)") {
  Monitor m;
  for (int i = 0; i < 200; ++i)
    REQUIRE(m.record(gen("M", "type-" + std::to_string(i), kT0 + i, 10, 1, 1, 1)));
  json by_type = m.metrics(kT0 + 1000)["generations"]["byType"];
  CHECK(by_type.size() == 128);
  CHECK(by_type.contains("(other)"));
  CHECK(by_type["(other)"]["total"] == 200 - 127);
}

TEST_CASE("model loads, cache hit rates, and the model cache") {
  Monitor m;
  ModelLoadEvent first;
  first.model = "Llama";
  first.started_at = kT0;
  first.duration_ms = 30000;
  first.from_cache = Tristate::no;
  first.bytes_fetched = 7e8;
  REQUIRE(m.record(first));
  ModelLoadEvent second = first;
  second.started_at = kT0 + 60000;
  second.duration_ms = 4000;
  second.from_cache = Tristate::yes;
  second.bytes_fetched = NAN;
  REQUIRE(m.record(second));
  ModelLoadEvent broken = first;
  broken.started_at = kT0 + 70000;
  broken.duration_ms = 100;
  broken.error_name = "DeviceLostError";
  broken.error_message = "GPU out of memory";
  REQUIRE(m.record(broken));
  for (bool hit : {true, true, true, false}) {
    CacheLookupEvent c;
    c.cache = "embeddings";
    c.hit = hit;
    c.timestamp = kT0 + 1000;
    REQUIRE(m.record(c));
  }
  json mm = m.metrics(kT0 + 80000);
  json init = mm["initialization"];
  CHECK(init["loads"] == 3);
  CHECK(init["succeeded"] == 2);
  CHECK(init["failed"] == 1);
  CHECK(init["fromCache"] == 1);
  CHECK(init["downloaded"] == 1);
  CHECK(init["bytesFetched"] == 14e8);  // a failed load's bytes were fetched too
  CHECK(init["lastModel"] == "Llama");
  CHECK(init["lastSucceeded"] == false);
  CHECK(init["loadMs"]["count"] == 2);
  CHECK(init["loadMs"]["max"] == 30000.0);
  json cache = mm["cache"];
  CHECK(cache["hits"] == 4);
  CHECK(cache["misses"] == 2);
  CHECK(cache["hitRate"].get<double>() == doctest::Approx(4 / 6.0));
  CHECK(cache["byName"]["model"]["hitRate"].get<double>() == doctest::Approx(0.5));
  CHECK(cache["byName"]["embeddings"]["hitRate"].get<double>() == doctest::Approx(0.75));
  CHECK(mm["errors"]["byName"]["DeviceLostError"] == 1);
  CHECK(mm["errors"]["recent"][0]["operation"] == "load");
}

TEST_CASE("errors: counted by name, the last 50 kept, newest first") {
  Monitor m;
  for (int i = 0; i < 70; ++i) {
    auto e = gen("A", "chat", kT0 + i * 10, 5, NAN, 1, NAN);
    e.error_name = i % 2 ? "ModelNotLoadedError" : "DeviceLostError";
    e.error_message = "failure " + std::to_string(i);
    REQUIRE(m.record(e));
  }
  DeviceLostEvent lost;
  lost.timestamp = kT0 + 5000;
  lost.reason = "unknown";
  lost.message = "GPU connection lost";
  REQUIRE(m.record(lost));
  OperationEvent op;
  op.name = "retrieval";
  op.started_at = kT0 + 6000;
  op.duration_ms = 12;
  op.success = false;
  op.error_name = "TimeoutError";
  REQUIRE(m.record(op));
  json errors = m.metrics(kT0 + 7000)["errors"];
  CHECK(errors["total"] == 72);
  CHECK(errors["byName"]["DeviceLostError"] == 36);
  CHECK(errors["byName"]["ModelNotLoadedError"] == 35);
  CHECK(errors["byName"]["TimeoutError"] == 1);
  CHECK(errors["recent"].size() == 50);
  CHECK(errors["recent"][0]["name"] == "TimeoutError");
  CHECK(errors["recent"][0]["operation"] == "retrieval");
  CHECK(errors["recent"][1]["message"] == "GPU connection lost");
  CHECK(errors["recent"][2]["message"] == "failure 69");
  json webgpu = m.metrics(kT0 + 7000)["webgpu"];
  CHECK(webgpu["deviceLost"]["total"] == 1);
  CHECK(webgpu["deviceLost"]["recent"][0]["reason"] == "unknown");
}

TEST_CASE("operations, memory and WebGPU") {
  Monitor m;
  for (int i = 1; i <= 4; ++i) {
    OperationEvent op;
    op.name = "rerank";
    op.started_at = kT0;
    op.duration_ms = i * 10;
    REQUIRE(m.record(op));
  }
  double durations[] = {1, 2, 3, 4, 5, 6};
  REQUIRE(m.record_durations("retrieval", true, kT0, durations, 6));
  MemorySample a;
  a.label = "periodic";
  a.timestamp = kT0;
  a.used_js_heap = 1e8;
  a.js_heap_limit = 4e9;
  a.gpu_buffer_bytes = 5e8;
  MemorySample b = a;
  b.timestamp = kT0 + 1000;
  b.used_js_heap = 5e7;
  b.gpu_buffer_bytes = 9e8;
  b.wasm_heap_bytes = 1.6e7;
  REQUIRE(m.record(a));
  REQUIRE(m.record(b));
  WebGpuInfo w;
  w.timestamp = kT0;
  w.available = true;
  w.vendor = "google";
  w.architecture = "swiftshader";
  w.is_fallback_adapter = true;
  w.limits["maxBufferSize"] = 268435456;
  w.features = {"shader-f16"};
  REQUIRE(m.record(w));

  json mm = m.metrics(kT0 + 2000);
  CHECK(mm["operations"]["rerank"]["count"] == 4);
  CHECK(mm["operations"]["rerank"]["durationMs"]["p50"] == 20.0);
  CHECK(mm["operations"]["retrieval"]["durationMs"]["max"] == 6.0);
  CHECK(mm["operations"]["retrieval"]["successRate"] == 1.0);
  CHECK(mm["memory"]["samples"] == 2);
  CHECK(mm["memory"]["latest"]["usedJSHeapSize"] == 5e7);
  CHECK(mm["memory"]["peak"]["usedJSHeapSize"] == 1e8);
  CHECK(mm["memory"]["peak"]["gpuBufferBytes"] == 9e8);
  CHECK(mm["memory"]["latest"]["storageQuota"].is_null());
  CHECK(mm["webgpu"]["available"] == true);
  CHECK(mm["webgpu"]["adapter"]["architecture"] == "swiftshader");
  CHECK(mm["webgpu"]["adapter"]["isFallbackAdapter"] == true);
  CHECK(mm["webgpu"]["limits"]["maxBufferSize"] == 268435456.0);
  CHECK(mm["webgpu"]["features"][0] == "shader-f16");
  CHECK(m.memory_history().size() == 2);

  // Newer information without an adapter: available false, no adapter, no limits.
  WebGpuInfo none;
  none.timestamp = kT0 + 10;
  none.available = false;
  REQUIRE(m.record(none));
  json gpu = m.metrics(kT0 + 2000)["webgpu"];
  CHECK(gpu["available"] == false);
  CHECK(gpu["adapter"].is_null());
  CHECK(gpu["limits"].empty());
}

TEST_CASE("cost from per-model prices, with a wildcard") {
  Config c;
  c.prices["A"] = {0.5, 1.5};
  c.prices["*"] = {0.1, 0.2};
  c.currency = "EUR";
  Monitor m(c);
  REQUIRE(m.record(gen("A", "chat", kT0, 10, 1, 2000, 1000)));
  REQUIRE(m.record(gen("B", "chat", kT0, 10, 1, 1000, 3000)));
  json cost = m.metrics(kT0 + 100)["cost"];
  CHECK(cost["currency"] == "EUR");
  CHECK(cost["byModel"]["A"]["total"].get<double>() == doctest::Approx(1.0 + 1.5));
  CHECK(cost["byModel"]["B"]["total"].get<double>() == doctest::Approx(0.1 + 0.6));
  CHECK(cost["total"].get<double>() == doctest::Approx(3.2));
  CHECK(Monitor().metrics(kT0)["cost"]["total"] == 0.0);
}

TEST_CASE("health from thresholds, with reasons; recent window preferred over the session") {
  Monitor m;
  // Old and slow: outside the 5 min window.
  for (int i = 0; i < 20; ++i) REQUIRE(m.record(gen("A", "chat", kT0 + i, 9000, 8000, 1, 10)));
  double now = kT0 + 3'600'000;
  json h = m.metrics(now)["health"];
  CHECK(h["basis"] == "session");
  CHECK(h["status"] == "critical");
  CHECK(h["reasons"][0]["metric"] == "generations.ttftMs.p95");
  CHECK(h["reasons"][0]["level"] == "critical");
  CHECK(h["reasons"][0]["message"].get<std::string>().find("above the critical threshold 5000") !=
        std::string::npos);
  // Recent and fast: the 5 min window decides.
  for (int i = 0; i < 20; ++i)
    REQUIRE(m.record(gen("A", "chat", now - 60000 + i, 1000, 100, 1, 30)));
  h = m.metrics(now)["health"];
  CHECK(h["basis"] == "5m");
  CHECK(h["status"] == "healthy");
  CHECK(h["reasons"].empty());

  // Slow decoding is "below" its thresholds; heap use from the latest memory sample.
  Config c;
  *c.threshold("decodeTokensPerSecP50") = {100, 10};
  Monitor slow(c);
  REQUIRE(slow.record(gen("A", "chat", kT0, 1100, 100, 1, 51)));  // 50 tokens/s
  MemorySample s;
  s.label = "periodic";
  s.timestamp = kT0;
  s.used_js_heap = 0.9e9;
  s.js_heap_limit = 1e9;
  REQUIRE(slow.record(s));
  h = slow.metrics(kT0 + 2000)["health"];
  CHECK(h["status"] == "warning");
  REQUIRE(h["reasons"].size() == 2);
  CHECK(h["reasons"][0]["metric"] == "generations.decodeTokensPerSec.p50");
  CHECK(h["reasons"][0]["message"].get<std::string>().find("below the warning threshold 100") !=
        std::string::npos);
  CHECK(h["reasons"][1]["metric"] == "memory.jsHeapFraction");
  CHECK(h["reasons"][1]["value"].get<double>() == doctest::Approx(0.9));
}

TEST_CASE("sliding windows: 1 min, 5 min, 1 h from time slices") {
  Monitor m;
  double now = kT0 + 10 * 3'600'000;
  // Generations ending 30 s, 3 min, 30 min and 2 h before now.
  for (double ago : {30e3, 180e3, 1800e3, 7200e3})
    REQUIRE(m.record(gen("A", "chat", now - ago - 100, 100, 10, 1, 2)));
  json w = m.metrics(now)["windows"];
  CHECK(w["1m"]["generations"]["total"] == 1);
  CHECK(w["5m"]["generations"]["total"] == 2);
  CHECK(w["1h"]["generations"]["total"] == 3);
  CHECK(m.metrics(now)["generations"]["total"] == 4);
  // A window spans at least its length and at most one slice more.
  CHECK(w["1m"]["spanMs"].get<double>() >= 60000);
  CHECK(w["1m"]["spanMs"].get<double>() < 70000);
  CHECK(w["1h"]["spanMs"].get<double>() >= 3'600'000);
  CHECK(w["1h"]["spanMs"].get<double>() < 3'660'000);
  // Window throughput divides by the window's span.
  CHECK(w["1m"]["generations"]["throughput"]["requestsPerSec"].get<double>() ==
        doctest::Approx(1000.0 / w["1m"]["spanMs"].get<double>()));
  // Later, the old events leave the windows.
  json later = m.metrics(now + 2000e3)["windows"];
  CHECK(later["5m"]["generations"]["total"] == 0);
  CHECK(later["1h"]["generations"]["total"] == 2);
  CHECK(later["5m"]["generations"]["latencyMs"]["p50"].is_null());
}

TEST_CASE(
    "windows read through their cache equal windows merged afresh: late events, far-future events, reset") {
  // `cached` is read between events (its window caches are filled and must be invalidated);
  // `fresh` is read only at the checks, after the same events.
  Monitor cached, fresh;
  double now = kT0 + 5 * 3'600'000;
  auto both = [&](const GenerationEvent& e) {
    REQUIRE(cached.record(e));
    REQUIRE(fresh.record(e));
  };
  auto same = [&](double t) {
    json a = cached.metrics(t)["windows"], b = fresh.metrics(t)["windows"];
    for (const char* w : {"1m", "5m", "1h"}) {
      CHECK(a[w]["generations"]["total"] == b[w]["generations"]["total"]);
      for (const char* s : {"latencyMs", "ttftMs"})
        for (const char* q : {"count", "min", "max", "p50", "p99"})
          CHECK_MESSAGE(a[w]["generations"][s][q] == b[w]["generations"][s][q],
                        w << " " << s << " " << q);
    }
  };
  for (int i = 0; i < 400; ++i) {
    both(gen("A", "chat", now - 3'000'000 + i * 7'000.0, 100 + i % 37, 10 + i % 11, 1, 2));
    if (i % 25 == 0) (void)cached.metrics(now);
  }
  same(now);
  // A late event, into a slice the caches hold.
  both(gen("A", "chat", now - 200'000, 5000, 4000, 1, 2));
  same(now);
  // Time moves within the current slice, then past it.
  same(now + 3000);
  same(now + 65'000);
  // An event far in the future takes over slots of slices inside the windows.
  both(gen("A", "chat", now + 20 * 60'000.0, 50, 5, 1, 2));
  same(now + 65'000);
  // Reset: the caches must not survive it.
  cached.reset(now);
  fresh.reset(now);
  both(gen("A", "chat", now - 1000, 10, 1, 1, 2));
  same(now);
}

TEST_CASE("memory stays bounded however many events arrive") {
  Config c;
  c.history_size = 100;
  Monitor m(c);
  auto feed = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      auto e = gen(i % 2 ? "A" : "B", i % 3 ? "chat" : "summary", kT0 + i * 50.0, 400 + i % 300,
                   50 + i % 70, 20, 30);
      e.chunk_gaps_ms = {10, 11, 12, 13};
      REQUIRE(m.record(e));
    }
  };
  // 100k events at 50 ms apart span 83 minutes: every slice of both rings is in use by then.
  feed(0, 100'000);
  std::size_t after_100k = m.memory_bytes();
  feed(100'000, 200'000);
  std::size_t after_200k = m.memory_bytes();
  MESSAGE("monitor bytes after 100k generations " << after_100k << ", after 200k " << after_200k);
  CHECK(m.generation_history().size() == 100);
  CHECK(after_200k <= after_100k * 1.05);
  CHECK(after_200k < 2'000'000);
  CHECK(m.metrics(kT0 + 200'000 * 50.0)["generations"]["total"] == 200'000);
}

TEST_CASE("history keeps the newest N; configure keeps data and trims; reset forgets") {
  Config c;
  c.history_size = 5;
  Monitor m(c);
  for (int i = 0; i < 12; ++i) REQUIRE(m.record(gen("A", "chat", kT0 + i, 10, 1, 1, 1)));
  REQUIRE(m.generation_history().size() == 5);
  CHECK(m.generation_history().front().event.started_at == kT0 + 7);
  CHECK(m.generation_history().back().event.started_at == kT0 + 11);
  c.history_size = 2;
  m.configure(c);
  CHECK(m.generation_history().size() == 2);
  CHECK(m.metrics(kT0)["generations"]["total"] == 12);
  m.reset();
  CHECK(m.generation_history().empty());
  CHECK(m.metrics(kT0)["generations"]["total"] == 0);
  CHECK(m.config().history_size == 2);
}

TEST_CASE("configuration from JSON: partial, validated, named errors") {
  Config c;
  REQUIRE(c.read(json::parse(R"({"historySize": 50, "prices": {"A": {"input": 1, "output": 2}},
                               "thresholds": {"ttftP95Ms": {"warning": 100}}})"),
                 "config"));
  CHECK(c.history_size == 50);
  CHECK(c.prices["A"].output_per_1k == 2);
  CHECK(c.threshold("ttftP95Ms")->warning == 100);
  CHECK(c.threshold("ttftP95Ms")->critical == 5000);  // untouched
  CHECK(c.threshold("nope") == nullptr);
  auto refuse = [](const char* text, const char* field) {
    Config x;
    Status s = x.read(json::parse(text), "config");
    CHECK_FALSE(s.ok);
    CHECK(s.field == field);
    CHECK(x.history_size == 1000);
  };
  refuse(R"({"historySize": 0})", "config.historySize");
  refuse(R"({"historySize": "many"})", "config.historySize");
  refuse(R"({"histroySize": 10})", "config.histroySize");
  refuse(R"({"prices": {"A": {"input": -1, "output": 0}}})", "config.prices.A.input");
  refuse(R"({"thresholds": {"ttft": {"warning": 1}}})", "config.thresholds.ttft");
  refuse(R"({"historySize": 10, "thresholds": {"errorRate": {"critical": "high"}}})",
         "config.thresholds.errorRate.critical");
}

TEST_CASE("status summarizes the session") {
  Monitor m;
  json s = m.status(kT0);
  CHECK(s["health"] == "healthy");
  CHECK(s["model"].is_null());
  CHECK(s["modelLoaded"] == false);
  ModelLoadEvent l;
  l.model = "Llama";
  l.started_at = kT0;
  l.duration_ms = 10;
  REQUIRE(m.record(l));
  s = m.status(kT0 + 100);
  CHECK(s["model"] == "Llama");
  CHECK(s["modelLoaded"] == true);
  CHECK(s["firstEventAt"] == kT0);
}

TEST_CASE("ISO 8601 timestamps") {
  CHECK(iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601(1795412197123.0) == "2026-11-23T05:36:37.123Z");
  CHECK(iso8601(951782400000.0) == "2000-02-29T00:00:00.000Z");
}

TEST_CASE("changes() counts what may change the data; status() follows it and the window step") {
  Monitor m;
  std::uint64_t c0 = m.changes();
  REQUIRE(m.record(gen("M", "chat", kT0, 900, 100, 10, 40)));
  CHECK(m.changes() > c0);
  json first = m.status(kT0 + 1000);
  CHECK(first["generations"] == 1);
  // A refused event is counted: a change too.
  std::uint64_t c1 = m.changes();
  CHECK_FALSE(m.record(gen("M", "chat", kT0, -5, 100, 10, 40)));
  CHECK(m.changes() > c1);
  CHECK(m.status(kT0 + 1000)["rejected"] == 1);
  // The same data in the same step: the same status as one built from fresh metrics.
  (void)m.metrics(kT0 + 2000);
  CHECK(m.status(kT0 + 3000) == m.status(kT0 + 3000));
  CHECK(m.window_step(kT0 + 3000) == m.window_step(kT0 + 2000));
  CHECK(m.window_step(kT0 + 20'000) != m.window_step(kT0));
  std::uint64_t c2 = m.changes();
  m.reset(kT0 + 4000);
  CHECK(m.changes() > c2);
  CHECK(m.status(kT0 + 4000)["generations"] == 0);
}

TEST_CASE("the health checks and their thresholds come from the description, in its order") {
  Config c;
  json thresholds = c.to_json()["thresholds"];
  REQUIRE(thresholds.size() == wlm::description::kHealthCheckCount);
  std::size_t i = 0;
  for (auto it = thresholds.begin(); it != thresholds.end(); ++it) {
    const std::string key = it.key();
    const json& t = it.value();
    INFO(key);
    const auto* check = &wlm::description::kHealthChecks[0];
    while (check->threshold != key) ++check;  // every key is a check's
    CHECK(t["warning"] == check->warning);
    CHECK(t["critical"] == check->critical);
    CHECK(c.threshold(key) ==
          &c.thresholds[static_cast<std::size_t>(check - &wlm::description::kHealthChecks[0])]);
    ++i;
  }
  CHECK(i == wlm::description::kHealthCheckCount);
  // Each check fires on its own metric, named by the description, with its label and unit.
  Config strict;
  for (auto& t : strict.thresholds) t = {NAN, NAN};
  *strict.threshold("latencyP95Ms") = {1, NAN};
  Monitor m(strict);
  REQUIRE(m.record(gen("A", "chat", kT0, 1000, 100, 1, 30)));
  json reasons = m.metrics(kT0 + 1000)["health"]["reasons"];
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0]["metric"] == "generations.latencyMs.p95");
  CHECK(reasons[0]["message"].get<std::string>().rfind(
            "p95 latency 1000 ms is above the warning threshold 1 ms", 0) == 0);
}

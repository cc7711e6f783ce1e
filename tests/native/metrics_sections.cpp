// The metrics as sections: the kept `generations` and `errors` sections are what a fresh build
// gives after every kind of change, and the text of metrics() is its sections in key order.
#include <doctest/doctest.h>

#include <string>

#include "monitor.hpp"

using namespace wlm;

namespace {

constexpr double kT0 = 1.7e12;

GenerationEvent generation(int i, bool failed) {
  GenerationEvent e;
  e.model = i % 3 == 0 ? "A" : "B";
  e.type = i % 2 ? "chat" : "summary";
  e.started_at = kT0 + i * 100.0;
  e.duration_ms = 200 + i;
  e.ttft_ms = 50 + i % 7;
  e.prompt_tokens = 10 + i;
  e.completion_tokens = 20;
  e.chunk_gaps_ms = {10.0 + i % 5, 12, 14};
  if (failed) {
    e.error_name = "TypeError";
    e.error_message = "failed " + std::to_string(i);
  }
  return e;
}

/// The kept sections against fresh builds, and metrics() against its sections.
void check_sections(const Monitor& m, double now) {
  Monitor::MetricsSections sections;
  m.metrics_sections(now, sections);
  std::string keys;
  for (const auto& [key, text] : sections) {
    keys += key + " ";
    if (key == "generations") CHECK(text == m.generations_section());
    if (key == "errors") CHECK(text == m.errors_section());
  }
  CHECK(keys ==
        "cache cost errors generations health initialization memory operations rejected webgpu "
        "windows ");
  json parsed = m.metrics(now);
  REQUIRE(parsed.is_object());
  CHECK(jsonio::dump(parsed) == m.metrics_text(now));
  CHECK(parsed["generations"] == json::parse(m.generations_section()));
  CHECK(parsed["errors"] == json::parse(m.errors_section()));
}

}  // namespace

TEST_CASE("the kept sections follow every change: events, errors, loads, import, merge, reset") {
  Monitor m;
  double now = kT0 + 60'000;
  check_sections(m, now);
  for (int i = 0; i < 40; ++i) {
    REQUIRE(m.record(generation(i, i % 9 == 4)));
    if (i % 5 == 0) check_sections(m, now);
  }
  // An error that is not a generation's: a failed load.
  ModelLoadEvent load;
  load.model = "A";
  load.started_at = kT0;
  load.duration_ms = 1000;
  load.error_name = "NetworkError";
  load.error_message = "offline";
  REQUIRE(m.record(load));
  check_sections(m, now);
  // A failed operation's error, a refused event, a cache lookup: no generation.
  OperationEvent op;
  op.name = "embed";
  op.started_at = kT0;
  op.duration_ms = 5;
  op.success = false;
  op.error_name = "RangeError";
  REQUIRE(m.record(op));
  GenerationEvent refused = generation(1, false);
  refused.duration_ms = -5;
  CHECK_FALSE(m.record(refused));
  REQUIRE(m.record(CacheLookupEvent{"kv", true, kT0}));
  check_sections(m, now);
  // Every other section with data: a cached load, memory, WebGPU and a lost device, names that
  // need escaping.
  ModelLoadEvent cached;
  cached.model = "A \"quoted\" \u00e9";
  cached.started_at = kT0 + 10;
  cached.duration_ms = 80;
  cached.from_cache = Tristate::yes;
  cached.bytes_fetched = 0;
  REQUIRE(m.record(cached));
  MemorySample mem;
  mem.label = "after load";
  mem.timestamp = kT0 + 20;
  mem.used_js_heap = 1e8;
  mem.js_heap_limit = 4e9;
  REQUIRE(m.record(mem));
  WebGpuInfo gpu;
  gpu.timestamp = kT0;
  gpu.available = true;
  gpu.vendor = "v";
  gpu.limits = {{"maxBufferSize", 268435456}};
  gpu.features = {"shader-f16"};
  REQUIRE(m.record(gpu));
  DeviceLostEvent lost;
  lost.timestamp = kT0 + 30;
  lost.reason = "unknown";
  lost.message = "gone";
  REQUIRE(m.record(lost));
  REQUIRE(m.record(CacheLookupEvent{"caf\u00e9", false, kT0 + 40}));
  check_sections(m, now);
  json full = m.metrics(now);
  CHECK(full["initialization"]["lastFromCache"] == true);
  CHECK(full["webgpu"]["adapter"]["vendor"] == "v");
  CHECK(full["cache"]["byName"].contains("caf\u00e9"));
  CHECK(full["windows"]["1h"]["generations"]["total"] == 40);

  const std::string exported = m.export_json(now);
  // Merged with itself: the counts double, the sections follow.
  const std::string before = m.metrics_text(now);
  REQUIRE(m.merge_json(exported));
  check_sections(m, now);
  CHECK(m.metrics_text(now) != before);
  // An import replaces the data, with as many generations and errors as before the merge.
  REQUIRE(m.import_json(exported));
  check_sections(m, now);
  json imported = m.metrics(now);
  CHECK(imported["generations"]["total"] == 40);
  // A reset, then as many events again as the kept sections counted.
  m.reset(now);
  check_sections(m, now);
  for (int i = 0; i < 40; ++i) REQUIRE(m.record(generation(i + 1, i % 9 == 4)));
  check_sections(m, now);
  CHECK(m.metrics(now)["generations"]["total"] == 40);
}

TEST_CASE("an unchanged section is the same text; the time moves the windows only") {
  Monitor m;
  for (int i = 0; i < 10; ++i) REQUIRE(m.record(generation(i, i == 3)));
  Monitor::MetricsSections a, b;
  m.metrics_sections(kT0 + 2000, a);
  REQUIRE(m.record(CacheLookupEvent{"kv", false, kT0 + 1500}));
  m.metrics_sections(kT0 + 3000, b);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    bool changes = a[i].first == "cache" || a[i].first == "windows";
    CHECK((a[i].second != b[i].second) == changes);
  }
}

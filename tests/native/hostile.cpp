// Hostile input at the core's boundary: documents and configurations that are too large, keys
// that no event could have made, merges whose sums leave the importable range, and fields that
// would make a monitor's own export unreadable. Each is refused with its path (or normalized),
// nothing changes, and the monitor's export always reads back.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "batch.hpp"
#include "json_io.hpp"
#include "monitor.hpp"

using wlm::json;
using wlm::Limits;
using wlm::Monitor;
using wlm::Status;
namespace jsonio = wlm::jsonio;

namespace {

constexpr double kT0 = 1'700'000'000'000.0;
constexpr double kNow = kT0 + 3'600'000;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A small session with a generation, an operation, a cache lookup and an error.
Monitor session() {
  Monitor m;
  wlm::GenerationEvent g;
  g.model = "m";
  g.started_at = kT0;
  g.duration_ms = 100;
  g.ttft_ms = 10;
  g.completion_tokens = 5;
  REQUIRE(m.record(g));
  wlm::OperationEvent op;
  op.name = "op";
  op.started_at = kT0;
  op.duration_ms = 20;
  op.success = false;
  op.error_name = "E";
  REQUIRE(m.record(op));
  wlm::CacheLookupEvent c;
  c.cache = "k";
  c.hit = true;
  c.timestamp = kT0;
  REQUIRE(m.record(c));
  return m;
}

/// `obj` with its key `from` renamed to `to`.
void rename_key(json& obj, const std::string& from, const std::string& to) {
  REQUIRE(obj.contains(from));
  json v = obj[from];
  obj.erase(from);
  obj[to] = std::move(v);
}

}  // namespace

TEST_CASE("parse refuses texts past the size and value limits before their DOM grows") {
  json out;
  std::string big(jsonio::kMaxDocumentBytes + 1, ' ');
  Status s = jsonio::parse(big, out);
  CHECK_FALSE(s.ok);
  CHECK(s.field == "$");
  CHECK_MESSAGE(contains(s.message, "134217729 bytes, more than the limit of 134217728 (128 MiB)"),
                s.message);
  big.clear();
  big.shrink_to_fit();

  // One value past the limit: "[0,0,...]" with kMaxJsonValues zeros (the array is a value too).
  std::string many;
  many.reserve(2 * jsonio::kMaxJsonValues + 2);
  many += '[';
  for (std::size_t i = 0; i < jsonio::kMaxJsonValues; ++i) many += i ? ",0" : "0";
  many += ']';
  s = jsonio::parse(many, out);
  CHECK_FALSE(s.ok);
  CHECK(s.field == "$");
  CHECK_MESSAGE(contains(s.message, "more than 8388608 JSON values"), s.message);
  // At the limit it reads.
  many.resize(many.size() - 3);  // drop ",0]" : kMaxJsonValues - 1 zeros and the array
  many += ']';
  CHECK(jsonio::parse(many, out));
  CHECK(out.size() == jsonio::kMaxJsonValues - 1);
}

TEST_CASE("paths cut keys longer than 256 bytes, without splitting a character") {
  std::string key =
      std::string(255, 'a') + "\xC3\xA9" + std::string(1000, 'b');  // "é" across byte 256
  std::string p = jsonio::child("$.x", key);
  CHECK(p == "$.x[\"" + std::string(255, 'a') + "...\"]");
  CHECK(jsonio::child("$.x", std::string(256, 'c')) == "$.x." + std::string(256, 'c'));
}

TEST_CASE("imports refuse breakdown keys that no event could have made; nothing changes") {
  Monitor m = session();
  std::string before = m.export_json(kNow);
  json good = json::parse(before);
  struct Place {
    const char* path;
    std::vector<const char*> keys;  // JSON pointer steps to the object
    const char* key;
  };
  const Place places[] = {
      {"$.sketches.byModel", {"sketches", "byModel"}, "m"},
      {"$.sketches.byType", {"sketches", "byType"}, "default"},
      {"$.sketches.cache", {"sketches", "cache"}, "k"},
      {"$.sketches.operations", {"sketches", "operations"}, "op"},
      {"$.sketches.errors.byName", {"sketches", "errors", "byName"}, "E"},
  };
  const std::string long_key(Limits::kMaxNameBytes + 1, 'x');
  const std::pair<std::string, const char*> bad_keys[] = {
      {long_key, "a name of 257 bytes, longer than 256"},
      {"", "an empty name"},
      {std::string("a\0b", 3), "a name with a control character"},
      {"tab\there", "a name with a control character"},
  };
  for (const Place& place : places) {
    for (const auto& [key, words] : bad_keys) {
      json doc = good;
      json* obj = &doc;
      for (const char* k : place.keys) obj = &(*obj)[k];
      rename_key(*obj, place.key, key);
      Status s = m.import_json(doc.dump());
      CHECK_FALSE(s.ok);
      CHECK_MESSAGE(s.field == jsonio::child(place.path, key), s.field);
      CHECK_MESSAGE(contains(s.message, words), s.message);
      CHECK_FALSE(m.merge_json(doc.dump()).ok);
      CHECK(m.export_json(kNow) == before);
    }
  }
  // Keys that are only unusual in JavaScript are names like any other.
  for (const char* key : {"__proto__", "constructor", "prototype", "toString"}) {
    json doc = good;
    rename_key(doc["sketches"]["byModel"], "m", key);
    Monitor other;
    CHECK(other.import_json(doc.dump()));
    CHECK(json::parse(other.export_json(kNow))["metrics"]["generations"]["byModel"].contains(key));
  }
}

TEST_CASE("a refused WebGPU record with a long or odd key keeps the export importable") {
  Monitor m;
  std::string key(5000, 'k');
  key += "\x01";
  json info = {{"timestamp", kT0},           {"available", true},     {"vendor", ""},
               {"architecture", ""},         {"device", ""},          {"description", ""},
               {"isFallbackAdapter", false}, {"limits", {{key, -1}}}, {"features", json::array()}};
  Status s = wlm::batch::record_webgpu(m, info.dump());
  CHECK_FALSE(s.ok);
  CHECK(s.field.size() > Limits::kMaxNameBytes);  // the path as read, cut at 256 bytes of key
  CHECK(s.field.size() < 300);
  json doc = json::parse(m.export_json(kNow));
  const json& by_field = doc["sketches"]["rejected"]["byField"];
  REQUIRE(by_field.size() == 1);
  CHECK(by_field.begin().key().size() == Limits::kMaxNameBytes);
  Monitor other;
  Status read = other.import_json(doc.dump());
  CHECK_MESSAGE(read.ok, read.message);
}

TEST_CASE("configure refuses too many prices and price keys that are not model names") {
  Monitor m;
  json prices = json::object();
  for (int i = 0; i < 1025; ++i)
    prices["model-" + std::to_string(i)] = {{"input", 1}, {"output", 1}};
  Status s = wlm::batch::configure(m, json{{"prices", prices}}.dump());
  CHECK_FALSE(s.ok);
  CHECK(s.field == "config.prices");
  CHECK_MESSAGE(contains(s.message, "1025 models, more than the limit 1024"), s.message);
  prices.erase("model-0");
  CHECK(wlm::batch::configure(m, json{{"prices", prices}}.dump()));
  CHECK(m.config().prices.size() == 1024);

  for (const std::string& model : {std::string(), std::string(300, 'm')}) {
    s = wlm::batch::configure(m, json{{"prices", {{model, {{"input", 1}, {"output", 1}}}}}}.dump());
    CHECK_FALSE(s.ok);
    CHECK_MESSAGE(contains(s.message, "a model name is 1 to 256 bytes"), s.message);
    CHECK(m.config().prices.size() == 1024);  // unchanged
  }
}

TEST_CASE("a merge whose counts would pass 2^53 is refused whole; nothing changes") {
  Monitor m = session();
  json doc = json::parse(m.export_json(kNow));
  doc["sketches"]["cache"]["k"]["hits"] = std::uint64_t{1} << 53;  // the largest a document holds
  Monitor big;
  REQUIRE(big.import_json(doc.dump()));
  std::string before = big.export_json(kNow);
  Status s = big.merge_json(doc.dump());
  CHECK_FALSE(s.ok);
  CHECK(s.field == "$.sketches.cache.k.hits");
  CHECK_MESSAGE(contains(s.message, "is larger than 2^53"), s.message);
  CHECK_MESSAGE(contains(s.message, "nothing was merged"), s.message);
  CHECK(big.export_json(kNow) == before);
  // All or nothing across documents too, and a small merge still goes through afterwards.
  CHECK_FALSE(big.merge_json(std::vector<std::string>{m.export_json(kNow), doc.dump()}).ok);
  CHECK(big.export_json(kNow) == before);
  Monitor small;
  wlm::GenerationEvent g;
  g.model = "m";
  g.started_at = kT0;
  g.duration_ms = 50;
  REQUIRE(small.record(g));
  CHECK(big.merge_json(small.export_json(kNow)));
  CHECK(json::parse(big.export_json(kNow))["sketches"]["generations"]["total"] == 2);
}

TEST_CASE("a series whose bucket count saturated still reads back, and merges") {
  Monitor m = session();
  json doc = json::parse(m.export_json(kNow));
  // The operation's one duration, 2^32 + 4 times: its bucket saturates at 2^32 - 1.
  json& op = doc["sketches"]["operations"]["op"];
  const std::uint64_t n = (std::uint64_t{1} << 32) + 4;
  op["failed"] = n;
  json& d = op["durationMs"];
  d["count"] = n;
  d["sum"] = 20.0 * static_cast<double>(n);
  d["exact"] = nullptr;
  REQUIRE(d["histogram"]["counts"].size() == 1);
  d["histogram"]["counts"][0] = std::numeric_limits<std::uint32_t>::max();
  Monitor sat;
  Status s = sat.import_json(doc.dump());
  REQUIRE_MESSAGE(s.ok, s.message);
  const wlm::Series* series = nullptr;
  REQUIRE(sat.find_series("operations.op.durationMs", series));
  REQUIRE(series != nullptr);
  CHECK(series->count() == n);
  CHECK(series->quantile(0.99) == doctest::Approx(20).epsilon(0.003));
  Status merged = sat.merge_json(sat.export_json(kNow));
  CHECK_MESSAGE(merged.ok, merged.message);
  Monitor again;
  CHECK(again.import_json(sat.export_json(kNow)));

  // Not saturated, the counts must agree as before.
  d["histogram"]["counts"][0] = 7;
  Status bad = sat.import_json(doc.dump());
  CHECK_FALSE(bad.ok);
  CHECK(bad.field == "$.sketches.operations.op.durationMs.count");
}

TEST_CASE(
    "WebGPU adapter strings of any length are cut to 256 bytes, as the event says, not refused") {
  Monitor m;
  json info = {{"timestamp", kT0},
               {"available", true},
               {"vendor", std::string(300, 'v')},
               {"architecture", ""},
               {"device", ""},
               {"description", std::string(100000, 'd')},
               {"isFallbackAdapter", false},
               {"limits", json::object()},
               {"features", json::array()}};
  Status s = wlm::batch::record_webgpu(m, info.dump());
  CHECK_MESSAGE(s.ok, s.message);
  json adapter = json::parse(m.export_json(kNow))["metrics"]["webgpu"]["adapter"];
  CHECK(adapter["vendor"].get<std::string>().size() == Limits::kMaxNameBytes);
  CHECK(adapter["description"].get<std::string>().size() == Limits::kMaxNameBytes);
  Monitor other;
  CHECK(other.import_json(m.export_json(kNow)));
}

TEST_CASE("memory_bytes counts the OpenTelemetry attribute sets and the loads by key") {
  wlm::Config c;
  c.history_size = 1;
  Monitor m(c);
  auto record = [&](int model) {
    wlm::GenerationEvent g;
    g.model = "model-" + std::to_string(model);
    g.started_at = kT0;
    g.duration_ms = 100;
    g.ttft_ms = 10;
    g.completion_tokens = 5;
    g.prompt_tokens = 7;
    g.chunk_gaps_ms = {20, 30};
    REQUIRE(m.record(g));
    wlm::ModelLoadEvent l;
    l.model = g.model;
    l.started_at = kT0;
    l.duration_ms = 1000;
    REQUIRE(m.record(l));
  };
  for (int i = 0; i < 70; ++i) record(i);  // byModel is full (63 models and "(other)")
  std::size_t before = m.memory_bytes();
  for (int i = 70; i < 128; ++i) record(i);  // new attribute sets only: byModel folds them
  std::size_t after = m.memory_bytes();
  MESSAGE("memory_bytes " << before << " -> " << after);
  CHECK(after - before >= 58 * 7 * sizeof(wlm::Series));
}

TEST_CASE("free text keeps tabs and line breaks; other control characters become spaces") {
  Monitor m;
  wlm::GenerationEvent g;
  g.model = "m";
  g.started_at = kT0;
  g.duration_ms = 5;
  g.error_name = "TypeError";
  g.error_message =
      "a\x01"
      "b\tc\nd\re\x1b[0m\x7f";
  REQUIRE(m.record(g));
  wlm::DeviceLostEvent d;
  d.timestamp = kT0;
  d.reason = "r\x02";
  d.message = "m\x03";
  REQUIRE(m.record(d));
  CHECK(m.generation_history().back().event.error_message == "a b\tc\nd\re [0m ");
  json metrics = m.metrics(kNow);
  CHECK(metrics["errors"]["recent"][0]["message"] == "a b\tc\nd\re [0m ");
  CHECK(metrics["webgpu"]["deviceLost"]["recent"][0]["reason"] == "r ");
  CHECK(metrics["webgpu"]["deviceLost"]["recent"][0]["message"] == "m ");
}

TEST_CASE("the export written record by record is the document's own text") {
  wlm::Config c;
  c.history_size = 50;
  Monitor m(c);
  for (int i = 0; i < 120; ++i) {
    wlm::GenerationEvent g;
    g.model = i % 2 ? "a" : "b \"quoted\"";
    g.started_at = kT0 + i * 1000.0;
    g.duration_ms = 10 + i;
    if (i % 7 == 0) g.error_message = "line\nbreak \\ and \"quotes\" é";
    g.chunk_gaps_ms = {1, 2};
    REQUIRE(m.record(g));
    wlm::MemorySample s;
    s.label = "periodic";
    s.timestamp = kT0 + i * 1000.0;
    s.used_js_heap = 1e6 + i;
    REQUIRE(m.record(s));
  }
  CHECK(m.export_json(kNow) == jsonio::dump(m.export_document(kNow)));
  CHECK(m.generations_text() == jsonio::dump(m.generations_json()));
  CHECK(m.memory_text() == jsonio::dump(m.memory_json()));
  Monitor empty;
  CHECK(empty.export_json(kNow) == jsonio::dump(empty.export_document(kNow)));
  CHECK(empty.generations_text() == "[]");
}

TEST_CASE("history messages read from a document are cut and blanked as an event's are") {
  Monitor m = session();
  json doc = json::parse(m.export_json(kNow));
  doc["generations"][0]["errorName"] = "TypeError";
  doc["generations"][0]["errorMessage"] = std::string(5000, '\x01');
  Monitor other;
  Status s = other.import_json(doc.dump());
  REQUIRE_MESSAGE(s.ok, s.message);
  CHECK(other.generation_history().front().event.error_message ==
        std::string(Limits::kMaxMessageBytes, ' '));
}

TEST_CASE("memory_bytes counts the strings the histories hold") {
  wlm::Config c;
  c.history_size = 100;
  auto fill = [&](std::size_t message_bytes) {
    Monitor m(c);
    for (int i = 0; i < 100; ++i) {
      wlm::GenerationEvent g;
      g.model = "m";
      g.started_at = kT0 + i;
      g.duration_ms = 5;
      g.error_name = "E";
      g.error_message = std::string(message_bytes, 'x');
      REQUIRE(m.record(g));
    }
    return m.memory_bytes();
  };
  std::size_t small = fill(10);
  std::size_t large = fill(2000);
  MESSAGE("memory_bytes with 100 messages of 10 and of 2000 bytes: " << small << ", " << large);
  CHECK(large - small >= 100 * 1900);
}

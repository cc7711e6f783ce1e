// The batch wire format (wlm::batch::ingest), what it refuses: unknown enum strings and bad flags,
// kind 8, rejections by record, malformed batches, record_durations' invalid values.
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
      {"operation chatt", we::kGeneration, gf::kOperation, "chatt", 0, "generation.operation",
       "\"chatt\""},
      {"operation Chat", we::kGeneration, gf::kOperation, "Chat", 0, "generation.operation",
       "\"Chat\""},
      {"operation empty", we::kGeneration, gf::kOperation, "", 0, "generation.operation", "\"\""},
      {"finishReason halted", we::kGeneration, gf::kFinishReason, "halted", 0,
       "generation.finishReason", "\"halted\""},
      {"finishReason STOP", we::kGeneration, gf::kFinishReason, "STOP", 0,
       "generation.finishReason", "\"STOP\""},
      {"fromCache maybe", we::kModelLoad, 3, "maybe", 0, "load.fromCache", "\"maybe\""},
      {"fromCache yes", we::kModelLoad, 3, "yes", 0, "load.fromCache", "\"yes\""},
      {"cache hit 2", we::kCacheLookup, 1, nullptr, 2, "cache.hit", "2"},
      {"cache hit -1", we::kCacheLookup, 1, nullptr, -1, "cache.hit", "-1"},
      {"cache hit NaN", we::kCacheLookup, 1, nullptr, NAN, "cache.hit", "NaN"},
      {"operation success 0.5", we::kOperation, 3, nullptr, 0.5, "operation.success", "0.5"},
      {"durations success 3", we::kDurations, 1, nullptr, 3, "operation.success", "3"},
  };
  Monitor m;
  for (const Case& c : cases) {
    INFO("case: " << std::string(c.what));
    Batch b;
    Fields f;
    switch (c.kind) {
      case we::kGeneration: f = generation(b); break;
      case we::kModelLoad: f = load(b); break;
      case we::kCacheLookup: f = cache(b); break;
      case we::kOperation: f = operation(b); break;
      case we::kDurations: f = durations(b, 0); break;
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
    f[gf::kOperation] = ok.str(op);
    ok.add(we::kGeneration, f);
  }
  for (const char* fr : {"stop", "length", "abort", "tool_calls", "error"}) {
    Fields f = generation(ok);
    f[gf::kFinishReason] = ok.str(fr);
    ok.add(we::kGeneration, f);
  }
  for (const char* fc : {"true", "false", "unknown", ""}) {
    Fields f = load(ok);
    f[3] = ok.str(fc);
    ok.add(we::kModelLoad, f);
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
  b.add(we::kRejected, {{0, b.str("memory.usedJSHeapSize")},
                        {1, b.str("memory.usedJSHeapSize: expected a number, got \"12\"")}});
  b.add(we::kRejected, {{0, b.str("memory.usedJSHeapSize")}});  // no message
  b.add(we::kRejected, {});                                     // neither
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
  b.add(we::kGeneration, generation(b));  // 0
  Fields bad = generation(b);
  bad[gf::kDurationMs] = -5;
  b.add(we::kGeneration, bad);                                // 1: refused by validation
  b.add(we::kCacheLookup, cache(b));                          // 2
  b.add(we::kOperation, {{0, b.str("")}, {1, kT0}, {2, 1}});  // 3: empty name
  b.add(we::kMemorySample, memory(b));                        // 4
  Fields enum_bad = load(b);
  enum_bad[3] = b.str("maybe");
  b.add(we::kModelLoad, enum_bad);          // 5: refused while decoding
  b.add(we::kRejected, {{0, b.str("x")}});  // 6
  b.add(we::kGeneration, generation(b));    // 7
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
  const double n1 = we::kFieldCount[we::kGeneration];
  const double gen_len = we::kHeader + n1;
  const double model_only = (1u << gf::kModel) | (1u << gf::kStartedAt) | (1u << gf::kDurationMs);
  const double with_count = model_only + (1u << gf::kChunkGapsMs);
  auto gen = [&](double length, double mask, double gap_count, std::vector<double> extra) {
    std::vector<double> rec = {we::kGeneration, length, mask};
    for (int i = 0; i < gf::kFieldCount; ++i) rec.push_back(kAbsent);
    rec[we::kHeader + gf::kModel] = 0;
    rec[we::kHeader + gf::kStartedAt] = kT0;
    rec[we::kHeader + gf::kDurationMs] = 100;
    rec[we::kHeader + gf::kChunkGapsMs] = gap_count;
    rec.insert(rec.end(), extra.begin(), extra.end());
    return rec;
  };
  const std::vector<Case> cases = {
      {"kind 9", {9, 6, 0, 0, 1, kT0}, "unknown kind 9"},
      {"kind 0", {0, 6, 0, 0, 1, kT0}, "unknown kind 0"},
      {"kind -1", {-1, 6, 0, 0, 1, kT0}, "unknown kind"},
      {"kind 2.5", {2.5, 10, 0, 0, 0, 0, 0, 0, 0, 0}, "unknown kind"},
      {"kind NaN", {NAN, 6, 0, 0, 1, kT0}, "unknown kind"},
      {"length below header + fields", {we::kCacheLookup, 5, 7, 0, 1, kT0}, "bad length 5"},
      {"length 0", {we::kCacheLookup, 0, 7, 0, 1}, "bad length 0"},
      {"length beyond the data", {we::kCacheLookup, 60, 7, 0, 1, kT0}, "bad length 60"},
      {"length 6.5", {we::kCacheLookup, 6.5, 7, 0, 1, kT0}, "bad length"},
      {"length NaN", {we::kCacheLookup, NAN, 7, 0, 1, kT0}, "bad length"},
      {"length 1e30", {we::kCacheLookup, 1e30, 7, 0, 1, kT0}, "bad length"},
      {"mask negative", {we::kCacheLookup, 6, -1, 0, 1, kT0}, "bad mask"},
      {"mask 1.5", {we::kCacheLookup, 6, 1.5, 0, 1, kT0}, "bad mask"},
      {"mask 2^53", {we::kCacheLookup, 6, 9007199254740992.0, 0, 1, kT0}, "bad mask"},
      {"mask NaN", {we::kCacheLookup, 6, NAN, 0, 1, kT0}, "bad mask"},
      {"more chunk gaps than declared", gen(gen_len + 3, with_count, 2, {1, 2, 3}), "chunk gap"},
      {"fewer chunk gaps than declared", gen(gen_len + 2, with_count, 3, {1, 2}), "chunk gap"},
      {"gaps without a count", gen(gen_len + 2, model_only, kAbsent, {1, 2}), "chunk gap"},
      {"chunk gap count 2.5", gen(gen_len + 2, with_count, 2.5, {1, 2}), "chunk gap"},
      {"chunk gap count -1", gen(gen_len, with_count, -1, {}), "chunk gap"},
      {"chunk gap count NaN", gen(gen_len, with_count, NAN, {}), "chunk gap"},
      {"chunk gap count 1e30", gen(gen_len, with_count, 1e30, {}), "chunk gap"},
      {"durations count mismatch", {we::kDurations, 7 + 2, 0b1101, 0, 0, kT0, 3, 5, 6}, "count"},
      {"durations count 1.5", {we::kDurations, 7 + 1, 0b1101, 0, 0, kT0, 1.5, 5}, "count"},
      {"durations count NaN", {we::kDurations, 7, 0b1101, 0, 0, kT0, NAN}, "count"},
      {"string index out of range", {we::kCacheLookup, 6, 7, 99, 1, kT0}, "string index"},
      {"string index = table size", {we::kCacheLookup, 6, 7, 2, 1, kT0}, "string index"},
      {"string index negative", {we::kCacheLookup, 6, 7, -1, 1, kT0}, "string index"},
      {"string index 0.5", {we::kCacheLookup, 6, 7, 0.5, 1, kT0}, "string index"},
      {"string index NaN", {we::kCacheLookup, 6, 7, NAN, 1, kT0}, "string index"},
      {"bad enum string index",
       {we::kModelLoad, 10, 0b1111, 0, kT0, 1, 42, 0, 0, 0},
       "string index"},
      {"bad kind-8 field index", {we::kRejected, 5, 1, 42, 0}, "string index"},
      {"truncated header", {we::kCacheLookup, 6}, "truncated header"},
      {"header only", {we::kCacheLookup, 6, 7}, "bad length"},
  };
  SUBCASE("each malformed record") {
    for (const Case& c : cases) {
      INFO("case: " << std::string(c.what));
      Monitor m;
      Batch b;
      b.add(we::kGeneration, generation(b));  // uses string 0 ("llama")
      b.add(we::kCacheLookup, cache(b));      // uses string 1 ("shader")
      b.raw(c.record);
      bool at_end =
          std::string(c.why) == "truncated header" || std::string(c.what) == "header only";
      if (!at_end)  // record 3, never read; it reuses string 0 to keep the table at two entries
        b.add(we::kGeneration, {{gf::kModel, 0}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 1}});
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
    b.add(we::kGeneration, generation(b));
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
    b.add(we::kGeneration, generation(b));
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
    b.add(we::kDurations, durations(b, values.size()), values);
    b.add(we::kCacheLookup, cache(b));  // the next record is still read
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

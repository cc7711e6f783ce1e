// The fast path (wasm/ingest/recorder.hpp): ingest() must return what ingest_reference() returns,
// which gives every record to Monitor::record, and leave the monitor the same.
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
      b.add(we::kOperation, f);
    } else if (kind < 8) {
      std::vector<double> gaps(rnd.below(12));
      for (double& g : gaps)
        g = rnd.chance(30) ? edgy(rnd, 20) : 5 + static_cast<double>(rnd.below(400)) / 4;
      double duration = 100 + static_cast<double>(rnd.below(20'000));
      Fields f = {{gf::kModel, name()},
                  {gf::kStartedAt, edgy(rnd, t)},
                  {gf::kDurationMs, edgy(rnd, duration)}};
      if (!gaps.empty() || rnd.chance(2)) f[gf::kChunkGapsMs] = static_cast<double>(gaps.size());
      if (rnd.chance(2)) f[gf::kType] = name();
      if (rnd.chance(3))
        f[gf::kOperation] = rnd.chance(4) ? str() : static_cast<double>(5 + rnd.below(3));
      if (rnd.chance(3))
        f[gf::kFinishReason] = rnd.chance(4) ? str() : static_cast<double>(8 + rnd.below(4));
      if (rnd.chance(2))
        f[gf::kTtftMs] = edgy(rnd, duration * static_cast<double>(rnd.below(100)) / 90);
      const int numbers[] = {gf::kPromptTokens,
                             gf::kCompletionTokens,
                             gf::kEngineTtftMs,
                             gf::kEnginePrefillTokensPerSec,
                             gf::kEngineDecodeTokensPerSec,
                             gf::kEngineTimePerOutputTokenMs,
                             gf::kPromptChars,
                             gf::kResponseChars,
                             gf::kTemperature,
                             gf::kMaxTokens};
      for (int k : numbers)
        if (rnd.chance(2)) f[k] = edgy(rnd, 1 + static_cast<double>(rnd.below(60)));
      if (rnd.chance(10)) f[gf::kErrorName] = str();
      if (rnd.chance(10)) f[gf::kErrorMessage] = str();
      for (int k : {gf::kModel, gf::kStartedAt, gf::kDurationMs})
        if (rnd.chance(40)) f.erase(k);
      b.add(we::kGeneration, f, gaps);
    } else if (kind == 8) {
      b.add(we::kCacheLookup, {{0, name()}, {1, static_cast<double>(rnd.below(2))}, {2, t}});
    } else {
      b.add(we::kModelLoad,
            {{0, name()}, {1, t}, {2, 500}, {3, static_cast<double>(8 + rnd.below(3))}});
    }
  }
  return b;
}

}  // namespace

TEST_CASE("batch fast path: valid operations and generations take it, with the same outcome") {
  Twins twins;
  Batch b;
  b.add(we::kOperation, operation(b, "retrieve"));
  b.add(we::kOperation, {{0, b.str("retrieve")}, {1, kT0 + 30}, {2, 0}, {3, 1}});  // success given
  b.add(we::kGeneration, generation(b));
  // Every field, numbers at the edges of their ranges (ttftMs = durationMs is allowed).
  Fields edges = generation(b);
  for (auto [field, value] : {std::pair{gf::kType, b.str("chat-ui")},
                              {gf::kOperation, b.str("completion")},
                              {gf::kTtftMs, 2000.0},
                              {gf::kPromptTokens, 0.0},
                              {gf::kCompletionTokens, 1e9},
                              {gf::kEngineTtftMs, 0.0},
                              {gf::kEnginePrefillTokensPerSec, 1e9},
                              {gf::kEngineDecodeTokensPerSec, 40.0},
                              {gf::kEngineTimePerOutputTokenMs, 6.048e8},
                              {gf::kFinishReason, b.str("tool_calls")},
                              {gf::kPromptChars, 1e10},
                              {gf::kResponseChars, 0.0},
                              {gf::kTemperature, 100.0},
                              {gf::kMaxTokens, 1.0},
                              {gf::kChunkGapsMs, 4.0}})
    edges[field] = value;
  b.add(we::kGeneration, edges, {0, 6.048e8, 12.5, 3});
  b.add(we::kGeneration, {{gf::kModel, b.str(std::string(256, 'x'))},
                          {gf::kStartedAt, 0},
                          {gf::kDurationMs, 0},
                          {gf::kFinishReason, b.str("length")},
                          {gf::kOperation, b.str("embedding")}});
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
    b.add(we::kOperation, {{0, i % 3 ? op : op2}, {1, t}, {2, 1.0 + i}});
    b.add(we::kGeneration,
          {{gf::kModel, i % 2 ? llama : llama2},
           {gf::kType, chat},
           {gf::kStartedAt, t},
           {gf::kDurationMs, 900},
           {gf::kTtftMs, 100.0 + i},
           {gf::kCompletionTokens, 20},
           {gf::kChunkGapsMs, 3}},
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
  again.add(we::kOperation, operation(again, "retrieve"));
  again.add(we::kGeneration, generation(again));
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
    b.add(we::kOperation, {{0, name}, {1, kT0 + 10}, {2, 5}});
    b.add(
        we::kGeneration,
        {{gf::kModel, name == good ? model : name}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 10}});
  }
  // The bad strings in other fields: the type, and names of an operation or a finish reason.
  b.add(we::kGeneration,
        {{gf::kModel, model}, {gf::kType, control}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 10}});
  b.add(
      we::kGeneration,
      {{gf::kModel, model}, {gf::kOperation, good}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 10}});
  b.add(we::kGeneration, {{gf::kModel, model},
                          {gf::kFinishReason, good},
                          {gf::kStartedAt, kT0},
                          {gf::kDurationMs, 10}});
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
  b.add(we::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {3, 0}});
  b.add(we::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {4, b.str("TypeError")}});
  b.add(we::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {5, b.str("a message")}});
  b.add(we::kOperation, {{0, b.str("retrieve")}, {1, kT0}, {2, 5}, {3, 0.5}});  // not a flag
  b.add(we::kGeneration, {{gf::kModel, b.str("llama")},
                          {gf::kStartedAt, kT0},
                          {gf::kDurationMs, 10},
                          {gf::kErrorName, b.str("GPUError")}});
  b.add(we::kGeneration, {{gf::kModel, b.str("llama")},
                          {gf::kStartedAt, kT0},
                          {gf::kDurationMs, 10},
                          {gf::kFinishReason, b.str("abort")},
                          {gf::kTtftMs, 4}});
  b.add(we::kGeneration, {{gf::kModel, b.str("llama")},
                          {gf::kStartedAt, kT0},
                          {gf::kDurationMs, 10},
                          {gf::kFinishReason, b.str("error")}});
  b.add(we::kGeneration, {{gf::kModel, b.str("llama")},
                          {gf::kStartedAt, kT0},
                          {gf::kDurationMs, 10},
                          {gf::kErrorMessage, b.str(std::string(3000, 'm'))}});
  // Values at the edges of the ranges, one past them, NaN and infinities, in every number.
  const int numbers[] = {gf::kStartedAt,
                         gf::kDurationMs,
                         gf::kTtftMs,
                         gf::kPromptTokens,
                         gf::kCompletionTokens,
                         gf::kEngineTtftMs,
                         gf::kEnginePrefillTokensPerSec,
                         gf::kEngineDecodeTokensPerSec,
                         gf::kEngineTimePerOutputTokenMs,
                         gf::kPromptChars,
                         gf::kResponseChars,
                         gf::kTemperature,
                         gf::kMaxTokens};
  const double values[] = {-1,          -0.0,     0.5,       1,
                           100.5,       1e9 + 1,  1e10 + 1,  std::nextafter(6.048e8, INFINITY),
                           8.64e15 + 2, INFINITY, -INFINITY, NAN};
  for (int k : numbers) {
    for (double v : values) {
      Fields f = generation(b);
      f[k] = v;
      b.add(we::kGeneration, f);
    }
  }
  for (int k : {1, 2})
    for (double v : values) {
      Fields f = operation(b);
      f[k] = v;
      b.add(we::kOperation, f);
    }
  b.add(we::kGeneration,
        {{gf::kModel, b.str("llama")},
         {gf::kStartedAt, kT0},
         {gf::kDurationMs, 10},
         {gf::kTtftMs, 11}},  // after the end
        {});
  b.add(we::kGeneration,
        {{gf::kModel, b.str("llama")},
         {gf::kStartedAt, kT0},
         {gf::kDurationMs, 10},
         {gf::kChunkGapsMs, 2}},
        {3, -1});
  wb::Result r = twins.feed(b);
  CHECK(r.malformed.empty());
  CHECK(r.accepted > r.fast);
  CHECK(!r.rejected.empty());
  // And a malformed record after fast ones: the same stop, the same records kept.
  Batch bad;
  bad.add(we::kOperation, operation(bad));
  bad.add(we::kGeneration, generation(bad));
  bad.add(we::kGeneration,
          {{gf::kModel, 0}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 10}, {gf::kChunkGapsMs, 3}},
          {1, 2});
  bad.add(we::kGeneration, {{gf::kModel, 99}, {gf::kStartedAt, kT0}, {gf::kDurationMs, 10}});
  r = twins.feed(bad);
  CHECK(contains(r.malformed, "record 2"));
  CHECK(r.fast == 2);
  Batch bad_index;
  bad_index.add(we::kOperation, operation(bad_index));
  bad_index.add(we::kOperation, {{0, 99}, {1, kT0}, {2, 1}});
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
      b.add(we::kOperation, {{0, b.str("op" + n)}, {1, t}, {2, 3}});
      b.add(we::kGeneration, {{gf::kModel, b.str("model" + n)},
                              {gf::kType, b.str("type" + n)},
                              {gf::kOperation, b.str(i % 3 == 0   ? "chat"
                                                     : i % 3 == 1 ? "completion"
                                                                  : "embedding")},
                              {gf::kStartedAt, t},
                              {gf::kDurationMs, 40},
                              {gf::kPromptTokens, 5}});
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

TEST_CASE(
    "batch fast path: many models and types, slices in turn, zero gaps, an error among them") {
  // 40 models, two types, slices 10 s apart in turn, a zero among the chunk gaps, and an error
  // in the middle (left to the decoder).
  Twins twins;
  for (int round = 0; round < 3; ++round) {
    Batch b;
    for (int i = 0; i < 300; ++i) {
      Fields f = generation(b);
      f[gf::kModel] = b.str("model-" + std::to_string(i % 40));
      f[gf::kType] = b.str(i % 3 ? "chat" : "summary");
      f[gf::kStartedAt] = kT0 + (i % 7) * 11'000.0 + round * 400'000.0 + i;
      f[gf::kTtftMs] = 50 + i % 13;
      if (i == 150) f[gf::kErrorName] = b.str("TypeError");
      std::vector<double> gaps = {10.0 + i % 9, 0.0, 25.5, 1000.0 * (1 + i % 5)};
      f[gf::kChunkGapsMs] = static_cast<double>(gaps.size());
      b.add(we::kGeneration, f, gaps);
    }
    wb::Result r = twins.feed(b);
    CHECK(r.fast == 299);
  }
}

TEST_CASE("batch fast path: a slice's slot taken by a newer slice keeps none of the older one") {
  // The 10 s ring has 31 slots: a time 310 s later takes the same slot. Each slice gets more
  // values than the exact phase keeps, so that the window's quantiles come from the buckets.
  const double old_time = kNow - 5'000 - 310'000, new_time = kNow - 5'000;
  auto add = [](Batch& b, double t, int count, bool error_first) {
    for (int i = 0; i < count; ++i) {
      Fields f = generation(b);
      f[gf::kStartedAt] = t + i;
      f[gf::kDurationMs] = t < kNow - 100'000 ? 900 + i : 3000 + i;
      f[gf::kTtftMs] = 10 + i % 50;
      if (error_first && i == 0) f[gf::kErrorName] = b.str("TypeError");
      std::vector<double> gaps = {t < kNow - 100'000 ? 5.0 : 80.0, 20.0 + i % 7};
      f[gf::kChunkGapsMs] = static_cast<double>(gaps.size());
      b.add(we::kGeneration, f, gaps);
    }
  };
  for (bool error_first : {false, true}) {
    INFO("the newer slice begins with " << (error_first ? "an error" : "a generation"));
    Twins twins;
    Batch b;
    add(b, old_time, 300, false);
    add(b, new_time, 300, error_first);
    twins.feed(b);
    json w = json::parse(twins.fast.export_json(kNow))["metrics"]["windows"]["1m"];
    CHECK(w["generations"]["total"] == 300);
    CHECK(w["generations"]["chunkGapMs"]["min"] == 20.0);
  }
}

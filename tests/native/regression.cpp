// Regression detection (regression.hpp): the U and two-proportion tests against hand-computed
// values, Holm's ordering, histograms at different scales, and whole comparisons of sessions.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "monitor.hpp"
#include "regression.hpp"

using namespace wlm;
using namespace wlm::regression;

namespace {

constexpr double kT0 = 1.7e12;

/// Values as points, counted in an ordered map (not with the core's exact_points).
Points points(const std::vector<double>& xs) {
  std::map<double, double> counts;
  for (double x : xs) counts[x] += 1;
  Points out;
  for (const auto& [key, n] : counts) out.push_back({key, n});
  return out;
}

/// The p-value of a z score with the C library's erfc (independent of the core's fit).
double tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

const Finding* find(const Result& r, const std::string& metric) {
  for (const Finding& f : r.findings)
    if (f.metric == metric) return &f;
  return nullptr;
}

/// A session of `n` generations whose times are `factor` times the seed's draws.
void run(Monitor& m, unsigned seed, int n, double factor, const std::string& type = "default",
         double error_rate = 0.02) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> ttft(std::log(250.0), 0.25), gap(std::log(21.0), 0.2);
  std::uniform_real_distribution<double> u(0, 1);
  double t = kT0;
  for (int i = 0; i < n; ++i) {
    GenerationEvent e;
    e.model = "m";
    e.type = type;
    e.started_at = t;
    if (u(rng) < error_rate) {
      e.duration_ms = 100;
      e.error_name = "Error";
      e.error_message = "failed";
      REQUIRE(m.record(e));
      t += 1000;
      continue;
    }
    e.ttft_ms = ttft(rng) * factor;
    double decode = 0;
    for (int k = 0; k < 40; ++k) {
      e.chunk_gaps_ms.push_back(gap(rng) * factor);
      decode += e.chunk_gaps_ms.back();
    }
    e.duration_ms = e.ttft_ms + decode;
    e.prompt_tokens = 100;
    e.completion_tokens = 41;
    REQUIRE(m.record(e));
    t += e.duration_ms + 500;
  }
}

}  // namespace

TEST_CASE("normal tail and the two-proportion test give textbook values") {
  CHECK(normal_upper_tail(1.959964) == doctest::Approx(0.025).epsilon(1e-5));
  CHECK(normal_upper_tail(0) == doctest::Approx(0.5).epsilon(1e-7));
  CHECK(normal_upper_tail(-2.326348) == doctest::Approx(0.99).epsilon(1e-6));
  CHECK(std::isnan(normal_upper_tail(NAN)));
  for (double z : {-3.0, -1.0, 0.3, 1.7, 4.0})
    CHECK(normal_upper_tail(z) == doctest::Approx(tail(z)).epsilon(2e-7));
  // 10/100 vs 25/100: z = 0.15 / sqrt(0.175 * 0.825 * 0.02) = 2.79237
  ZTest r = two_proportion(10, 100, 25, 100, Direction::greater);
  CHECK(r.z == doctest::Approx(0.15 / std::sqrt(0.175 * 0.825 * 0.02)));
  CHECK(r.p == doctest::Approx(tail(r.z)).epsilon(1e-6));
  CHECK(two_proportion(10, 100, 25, 100, Direction::less).p > 0.99);
  // No variance (all or none): p = 1.
  CHECK(two_proportion(0, 50, 0, 50, Direction::greater).p == 1);
}

TEST_CASE("Mann-Whitney U matches hand computations, with and without ties") {
  // a = 1 2 2 3, b = 2 3 4 5: pairs b > a = 1 + 3 + 4 + 4 = 12, tied pairs (2,2) x2 and (3,3)
  // count 1/2: U = 13.5. Tie groups of 3 and 2: sum t^3 - t = 24 + 6 = 30.
  UTest r = mann_whitney(points({1, 2, 2, 3}), points({2, 3, 4, 5}), Direction::greater);
  CHECK(r.u == 13.5);
  CHECK(r.auc == 13.5 / 16);
  double variance = 16.0 / 12 * (9 - 30.0 / 56);
  double z = (13.5 - 8 - 0.5) / std::sqrt(variance);
  CHECK(r.z == doctest::Approx(z).epsilon(1e-12));
  CHECK(r.p == doctest::Approx(tail(z)).epsilon(1e-6));  // 0.06834
  CHECK(r.p == doctest::Approx(0.06834).epsilon(1e-3));
  // The other direction: z = -(5.5 - 0.5) / sd.
  CHECK(mann_whitney(points({1, 2, 2, 3}), points({2, 3, 4, 5}), Direction::less).p ==
        doctest::Approx(tail(-z)).epsilon(1e-6));
  // Grouped points give the same answer as repeated ones.
  UTest g = mann_whitney(Points{{1, 1}, {2, 2}, {3, 1}}, points({2, 3, 4, 5}), Direction::greater);
  CHECK(g.u == r.u);
  CHECK(g.p == r.p);
  // Complete separation, 5 and 5 without ties: U = 25, mean 12.5, variance 25 * 11 / 12.
  UTest s = mann_whitney(points({1, 2, 3, 4, 5}), points({6, 7, 8, 9, 10}), Direction::greater);
  CHECK(s.u == 25);
  CHECK(s.z == doctest::Approx(12 / std::sqrt(25.0 * 11 / 12)).epsilon(1e-12));
  CHECK(s.p == doctest::Approx(0.006093).epsilon(1e-3));
  // All values equal: no variance, p = 1.
  CHECK(mann_whitney(points({4, 4, 4}), points({4, 4}), Direction::greater).p == 1);
}

TEST_CASE("Mann-Whitney U is calibrated under the null") {
  std::mt19937 rng(3);
  std::lognormal_distribution<double> d(std::log(100.0), 0.5);
  int below = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<double> a(30), b(30);
    for (double& x : a) x = d(rng);
    for (double& x : b) x = d(rng);
    if (mann_whitney(points(a), points(b), Direction::greater).p < 0.05) ++below;
  }
  CHECK(below / 2000.0 > 0.03);
  CHECK(below / 2000.0 < 0.07);
}

TEST_CASE("clustered values: the variance of the independent units") {
  std::mt19937 rng(5);
  std::lognormal_distribution<double> d(std::log(20.0), 0.2);
  std::vector<double> a(240), b(240);
  for (double& x : a) x = d(rng);
  for (double& x : b) x = d(rng) * 1.05;
  UTest all = mann_whitney(points(a), points(b), Direction::greater);
  UTest units = mann_whitney(points(a), points(b), Direction::greater, 24, 24);
  CHECK(units.u == all.u);
  // z scaled by sqrt(m1 m2 (n1 + n2 + 1) / (n1 n2 (m1 + m2 + 1))).
  CHECK(units.z ==
        doctest::Approx(all.z * std::sqrt(24.0 * 24 * 481 / (240.0 * 240 * 49))).epsilon(1e-12));
  CHECK(units.p > all.p);
  // Units not fewer than the values: no change.
  CHECK(mann_whitney(points(a), points(b), Direction::greater, 240, 1000).z == all.z);
}

TEST_CASE("Holm's step-down adjustment keeps the order of its input") {
  std::vector<double> p = holm({0.01, 0.04, 0.03, 0.005});
  // Sorted 0.005 x4, 0.01 x3, 0.03 x2, 0.04 x1, each at least the one before.
  CHECK(p[3] == doctest::Approx(0.02));
  CHECK(p[0] == doctest::Approx(0.03));
  CHECK(p[2] == doctest::Approx(0.06));
  CHECK(p[1] == doctest::Approx(0.06));
  // Ties: the same adjusted value whatever their order; never above 1.
  std::vector<double> ties = holm({0.5, 0.2, 0.2});
  CHECK(ties[1] == doctest::Approx(0.6));
  CHECK(ties[2] == doctest::Approx(0.6));
  CHECK(ties[0] == doctest::Approx(0.6));
  std::vector<double> capped = holm({0.6, 0.7});
  CHECK(capped[0] == 1);
  CHECK(capped[1] == 1);
  CHECK(holm({}).empty());
}

TEST_CASE("exact points count repeated values once") {
  Series s;
  for (double v : {3.0, 1.0, 3.0, 0.0, 2.0}) s.add(v);
  Points p = exact_points(s);
  REQUIRE(p.size() == 4);
  CHECK(p[0].key == 0);
  CHECK(p[3].key == 3);
  CHECK(p[3].n == 2);
}

TEST_CASE("histogram points at a coarser scale are the buckets of that scale") {
  std::mt19937 rng(71);
  std::lognormal_distribution<double> d(std::log(100.0), 0.3);
  Series fine, coarse;
  for (int i = 0; i < 400; ++i) {
    double v = d(rng);
    fine.add(v);
    coarse.add(v);
  }
  // Values spread over more than 25 octaves force the second histogram to a coarser scale.
  coarse.add(1e-6);
  coarse.add(1e6);
  REQUIRE(fine.histogram().scale() == ExpHistogram::kMaxScale);
  REQUIRE(coarse.histogram().scale() < fine.histogram().scale());
  Samples s = comparable_samples(fine, coarse);
  CHECK_FALSE(s.exact);
  CHECK(s.scale == coarse.histogram().scale());
  // The fine side brought to the coarse scale is what the coarse histogram holds, outliers aside.
  REQUIRE(s.b.size() == s.a.size() + 2);
  for (std::size_t i = 0; i < s.a.size(); ++i) {
    CHECK(s.a[i].key == s.b[i + 1].key);
    CHECK(s.a[i].n == s.b[i + 1].n);
  }
  // Each key is bucket ceil(log2(v) * 2^scale) - 1 of its values.
  Points p = histogram_points(fine.histogram(), 3);
  double n = 0;
  for (const Point& pt : p) n += pt.n;
  CHECK(n == 400);
  std::set<double> keys;
  for (const Point& pt : p) keys.insert(pt.key);
  std::mt19937 again(71);
  for (int i = 0; i < 400; ++i) {
    double v = d(again);
    CHECK(keys.count(std::ceil(std::log2(v) * 8) - 1) == 1);
  }
  // Zeros come first, with key -infinity.
  Series z;
  for (int i = 0; i < 300; ++i) z.add(i % 3 ? 5.0 : 0.0);
  Points zp = histogram_points(z.histogram(), 7);
  CHECK(zp.front().key == -INFINITY);
  CHECK(zp.front().n == 100);
}

TEST_CASE("a shift is found the same on histograms at different scales as on exact values") {
  std::mt19937 rng(72);
  std::lognormal_distribution<double> d(std::log(100.0), 0.3);
  std::vector<double> a(400), b(400);
  Series sa, sb;
  for (double& x : a) sa.add(x = d(rng));
  for (double& x : b) sb.add(x = d(rng) * 1.2);
  sb.add(1e-6);  // to scale < 7
  sb.add(1e6);
  std::vector<double> b2 = b;
  b2.push_back(1e-6);
  b2.push_back(1e6);
  Samples s = comparable_samples(sa, sb);
  REQUIRE_FALSE(s.exact);
  UTest binned = mann_whitney(s.a, s.b, Direction::greater);
  UTest exact = mann_whitney(points(a), points(b2), Direction::greater);
  CHECK(std::fabs(binned.auc - exact.auc) < 0.01);
  CHECK(binned.p < 1e-6);
}

TEST_CASE("threshold lookup by metric path") {
  Options o;
  o.thresholds = {{"ttftMs.p95", 0.2}, {"generations.errorRate", 0.01}, {"cache.hitRate", 0.1}};
  CHECK(o.threshold_for("generations.ttftMs.p95", 0.1) == 0.2);
  CHECK(o.threshold_for("generations.byType.chat.ttftMs.p95", 0.1) == 0.2);
  CHECK(o.threshold_for("generations.byType.chat.errorRate", 0.05) == 0.05);
  CHECK(o.threshold_for("generations.errorRate", 0.05) == 0.01);
  CHECK(o.threshold_for("cache.hitRate", 0.05) == 0.1);
  CHECK(o.threshold_for("generations.ttftMs.p50", 0.1) == 0.1);
  o.thresholds = {{"generations.byType.chat.ttftMs.p50", 0.3}};
  CHECK(o.threshold_for("generations.byType.chat.ttftMs.p50", 0.1) == 0.3);
  CHECK(o.threshold_for("generations.byType.x.ttftMs.p50", 0.1) == 0.1);
}

TEST_CASE("options are read over the defaults and refused by name") {
  Options o;
  json in = json::parse(R"({"alpha": 0.05, "threshold": 0.2, "thresholds": {"ttftMs.p50": 0.3},
                            "minCount": 20, "byType": false, "correction": "none", "ignored": null})");
  // "ignored": null is a default, not an unknown key.
  in.erase("ignored");
  REQUIRE(o.read(in, "options"));
  CHECK(o.alpha == 0.05);
  CHECK(o.threshold == 0.2);
  CHECK(o.thresholds.at("ttftMs.p50") == 0.3);
  CHECK(o.min_count == 20);
  CHECK_FALSE(o.by_type);
  CHECK_FALSE(o.holm);
  CHECK(Options().read(json::parse(R"({"alpha": null})"), "options"));
  struct Bad {
    const char* text;
    const char* field;
  };
  for (const Bad& b :
       {Bad{R"({"alpha": 1})", "options.alpha"}, Bad{R"({"alpha": "0.1"})", "options.alpha"},
        Bad{R"({"threshold": -1})", "options.threshold"},
        Bad{R"({"thresholds": {"a.p50": "x"}})", "options.thresholds[\"a.p50\"]"},
        Bad{R"({"thresholds": 3})", "options.thresholds"},
        Bad{R"({"minCount": 0})", "options.minCount"},
        Bad{R"({"minCount": 2.5})", "options.minCount"}, Bad{R"({"byType": 1})", "options.byType"},
        Bad{R"({"correction": "bonferroni"})", "options.correction"},
        Bad{R"({"alpah": 0.1})", "options.alpah"}, Bad{"[]", "options"}}) {
    Options x;
    Status s = x.read(json::parse(b.text), "options");
    CHECK_FALSE(s);
    CHECK_MESSAGE(s.field == b.field, b.text, " -> ", s.field);
    CHECK(s.message.rfind(b.field, 0) == 0);
  }
}

TEST_CASE("comparisons of sessions: identical, noise, slowdown, too little data") {
  Monitor base, same, slow, few, fewer;
  run(base, 1, 40, 1);
  run(same, 2, 40, 1);
  run(slow, 3, 40, 1.5);
  run(few, 4, 6, 1);
  run(fewer, 5, 6, 3);

  Result id = compare(base.state(), base.state(), Options{});
  CHECK(id.regressions == 0);
  CHECK(id.findings.size() >= 13);
  for (const Finding& f : id.findings) {
    CHECK(f.relative_change == 0);
    CHECK((f.verdict == Verdict::no_change || f.verdict == Verdict::no_data));
  }
  CHECK(compare(base.state(), same.state(), Options{}).regressions == 0);

  Result r = compare(base.state(), slow.state(), Options{});
  CHECK(r.regressions >= 6);
  for (const char* m : {"generations.ttftMs.p50", "generations.timePerOutputTokenMs.p50",
                        "generations.decodeTokensPerSec.p50", "generations.chunkGapMs.p95"}) {
    const Finding* f = find(r, m);
    REQUIRE(f != nullptr);
    CHECK_MESSAGE(f->verdict == Verdict::regression, m);
    CHECK(f->p < 0.01);
    CHECK(f->p >= f->raw_p);
    // Up to 256 values the exact ones; the gaps are past it.
    CHECK(f->basis ==
          (std::string(m).find("chunkGap") != std::string::npos ? "histogram scale 7" : "exact"));
  }
  // Chunk gaps: 40 generations, 1,560 gaps; counted as 40 (39 succeeded plus the failed ones).
  const Finding* gaps = find(r, "generations.chunkGapMs.p50");
  CHECK(gaps->counts[0] <= 40);
  CHECK(slow.state().generations.chunk_gap_ms.count() > 1000);
  CHECK(find(r, "generations.ttftMs.p99") == nullptr);  // p99 needs 100 values on both sides
  CHECK(find(r, "generations.chunkGapMs.p99") != nullptr);
  // Every series shares its test among its percentiles; Holm over 7 tests (6 series, errorRate).
  CHECK(r.raw.size() == 7);
  CHECK(find(r, "generations.ttftMs.p50")->test == find(r, "generations.ttftMs.p95")->test);
  // The reverse is an improvement.
  Result back = compare(slow.state(), base.state(), Options{});
  CHECK(back.regressions == 0);
  CHECK(find(back, "generations.ttftMs.p50")->verdict == Verdict::improvement);
  // A threshold of 500% makes none of it a regression.
  Options lenient;
  lenient.threshold = 5;
  for (const Finding& f : compare(base.state(), slow.state(), lenient).findings)
    if (f.relative) CHECK(f.verdict != Verdict::regression);

  Result small = compare(few.state(), fewer.state(), Options{});
  CHECK(small.regressions == 0);
  CHECK(small.raw.empty());
  const Finding* t = find(small, "generations.ttftMs.p50");
  CHECK(t->verdict == Verdict::not_enough_data);
  CHECK(std::isnan(t->p));
}

TEST_CASE("comparisons by type, of rates, of load times") {
  Monitor a, b;
  run(a, 1, 40, 1, "chat");
  run(a, 2, 40, 1, "summary");
  run(b, 3, 40, 1, "chat");
  run(b, 4, 40, 1.6, "summary", 0.3);
  Result r = compare(a.state(), b.state(), Options{});
  CHECK(find(r, "generations.byType.summary.decodeTokensPerSec.p50")->verdict ==
        Verdict::regression);
  CHECK(find(r, "generations.byType.chat.decodeTokensPerSec.p50")->verdict != Verdict::regression);
  const Finding* e = find(r, "generations.byType.summary.errorRate");
  REQUIRE(e != nullptr);
  CHECK_FALSE(e->relative);
  CHECK(e->basis == "two-proportion z-test");
  Options no_types;
  no_types.by_type = false;
  CHECK(find(compare(a.state(), b.state(), no_types), "generations.byType.chat.ttftMs.p50") ==
        nullptr);

  Monitor c, d;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> load(std::log(3000.0), 0.3);
  for (int i = 0; i < 200; ++i) {
    CacheLookupEvent hit;
    hit.cache = "kv";
    hit.timestamp = kT0 + i;
    hit.hit = u(rng) < 0.9;
    REQUIRE(c.record(hit));
    hit.hit = u(rng) < 0.6;
    REQUIRE(d.record(hit));
  }
  for (int i = 0; i < 20; ++i) {
    ModelLoadEvent l;
    l.model = "m";
    l.started_at = kT0 + i * 60000.0;
    l.duration_ms = load(rng);
    REQUIRE(c.record(l));
    l.duration_ms = load(rng) * 2;
    REQUIRE(d.record(l));
  }
  Result rc = compare(c.state(), d.state(), Options{});
  CHECK(find(rc, "cache.hitRate")->verdict == Verdict::regression);
  const Finding* lm = find(rc, "initialization.loadMs.p50");
  REQUIRE(lm != nullptr);
  CHECK(lm->verdict == Verdict::regression);
  CHECK(find(rc, "initialization.loadMs.p95") == nullptr);  // load time: p50 only
  CHECK(find(rc, "generations.ttftMs.p50") == nullptr);     // no generations on either side
  CHECK(compare(d.state(), c.state(), Options{}).regressions == 0);
}

TEST_CASE("compare_exports reads both documents and the options, and names what is wrong") {
  Monitor a;
  run(a, 1, 20, 1);
  std::string doc = a.export_json(kT0 + 1e6);
  Result r;
  std::string which;
  REQUIRE(compare_exports(doc, doc, "{}", r, which));
  CHECK(r.regressions == 0);
  json out = r.to_json();
  CHECK(out["findings"][0]["metric"] == "generations.latencyMs.p50");
  CHECK(out["findings"][0]["verdict"] == "noChange");
  CHECK(out["correction"] == "holm");

  std::string v3 = doc;
  v3.replace(v3.find("\"schemaVersion\":2"), 17, "\"schemaVersion\":3");
  Status s = compare_exports(doc, v3, "{}", r, which);
  CHECK_FALSE(s);
  CHECK(which == "current");
  CHECK(s.field == "$.schemaVersion");
  CHECK(s.message.rfind("current: $.schemaVersion: version 3", 0) == 0);
  s = compare_exports("{", doc, "{}", r, which);
  CHECK(which == "baseline");
  s = compare_exports(doc, doc, R"({"alpha": 2})", r, which);
  CHECK(which.empty());
  CHECK(s.field == "options.alpha");
  s = compare_exports(doc, doc, "nope", r, which);
  CHECK(s.field == "options");
}

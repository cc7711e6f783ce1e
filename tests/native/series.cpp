// The quantile sketch: bucket indexing, accuracy against exact quantiles, memory bound, merging.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "aggregates/series.hpp"
#include "codec/json_writer.hpp"
#include "json_io.hpp"

using wlm::ExpHistogram;
using wlm::Series;
using wlm::Status;
using wlm::Unit;

namespace {

/// Exact nearest-rank quantile of sorted values: the definition the series promises.
double exact_quantile(const std::vector<double>& sorted, double q) {
  return sorted[wlm::nearest_rank(q, sorted.size()) - 1];
}

/// Worst relative error over p50..p999 of a series fed `values`.
double worst_error(const std::vector<double>& values, Series& s) {
  for (double v : values) s.add(v);
  std::vector<double> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  double worst = 0;
  for (double q : wlm::kQuantiles) {
    double exact = exact_quantile(sorted, q);
    double got = s.quantile(q);
    worst = std::max(worst, std::fabs(got - exact) / exact);
  }
  return worst;
}

std::vector<double> lognormal(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(300.0), 0.9);  // TTFT-like, ms
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<double> pareto(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> v(n);
  for (auto& x : v) x = 20.0 / std::pow(1.0 - u(rng), 1.0 / 1.2);  // heavy tail, xm = 20 ms
  return v;
}

std::vector<double> bimodal(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> fast(40.0, 5.0), slow(900.0, 120.0);
  std::bernoulli_distribution pick_slow(0.15);
  std::vector<double> v(n);
  for (auto& x : v) x = std::max(0.5, pick_slow(rng) ? slow(rng) : fast(rng));
  return v;
}

}  // namespace

TEST_CASE("bucket index follows OpenTelemetry's layout: (base^i, base^(i+1)]") {
  // Exact powers of two close the bucket below them.
  CHECK(ExpHistogram::index_at_max_scale(1.0) == -1);
  CHECK(ExpHistogram::index_at_max_scale(2.0) == 127);
  CHECK(ExpHistogram::index_at_max_scale(0.5) == -129);
  CHECK(ExpHistogram::index_at_max_scale(1024.0) == 10 * 128 - 1);
  // Just above a power of two opens the next bucket.
  CHECK(ExpHistogram::index_at_max_scale(std::nextafter(1.0, 2.0)) == 0);
  CHECK(ExpHistogram::index_at_max_scale(std::nextafter(2.0, 3.0)) == 128);

  // Against the log2 definition, away from boundaries (within 1e-9 relative of a boundary the
  // two methods may round differently; OpenTelemetry accepts that).
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-30.0, 40.0);
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    double v = std::exp2(exponent(rng));
    double pos = std::log2(v) * 128;
    if (std::fabs(pos - std::round(pos)) < 1e-6) continue;
    auto expected = static_cast<std::int32_t>(std::ceil(pos)) - 1;
    REQUIRE(ExpHistogram::index_at_max_scale(v) == expected);
    ++checked;
  }
  CHECK(checked > 199000);

  // Subnormals take the slow path but still land in the right bucket.
  double tiny = 5e-320;
  CHECK(ExpHistogram::index_at_max_scale(tiny) ==
        static_cast<std::int32_t>(std::ceil(std::log2(tiny) * 128)) - 1);
}

TEST_CASE("every value lies inside the bounds of the bucket it was counted in") {
  ExpHistogram h;
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> d(0, 1.5);  // ~25 octaves: no downscaling
  for (int i = 0; i < 20000; ++i) {
    double v = d(rng);
    h.add(v);
    REQUIRE(h.scale() == ExpHistogram::kMaxScale);
    std::int32_t idx = ExpHistogram::index_at_max_scale(v);
    REQUIRE(h.lower_bound(idx) < v * (1 + 1e-12));
    REQUIRE(v <= h.upper_bound(idx) * (1 + 1e-12));
  }
  CHECK(h.scale() == ExpHistogram::kMaxScale);
  CHECK(h.relative_error() < 0.00272);
  CHECK(h.relative_error() > 0.00270);
}

TEST_CASE("quantiles are exact while a series is small") {
  Series s;
  for (double v : {5.0, 1.0, 4.0, 2.0, 3.0}) s.add(v);
  CHECK(s.exact());
  CHECK(s.quantile(0.5) == 3.0);
  CHECK(s.quantile(0.9) == 5.0);
  CHECK(s.quantile(0.2) == 1.0);
  CHECK(s.quantile(0.21) == 2.0);
  CHECK(s.min() == 1.0);
  CHECK(s.max() == 5.0);
  CHECK(s.sum() == 15.0);

  // Up to the limit the answer is the exact nearest rank; one past it the sketch answers.
  Series t;
  for (std::size_t i = 1; i <= Series::kExactLimit; ++i) t.add(static_cast<double>(i) * 1.37);
  CHECK(t.exact());
  CHECK(t.quantile(0.99) == doctest::Approx(wlm::nearest_rank(0.99, Series::kExactLimit) * 1.37));
  t.add(1e6);
  CHECK_FALSE(t.exact());
  double exact_p50 = wlm::nearest_rank(0.5, Series::kExactLimit + 1) * 1.37;
  CHECK(std::fabs(t.quantile(0.5) - exact_p50) / exact_p50 < 0.0028);
  CHECK(t.quantile(1.0) == 1e6);  // clamped to the exact max
}

namespace {
wlm::json summary_of(const Series& s) {
  std::string text;
  wlm::jsonw::Writer w(text);
  s.write_summary(w);
  wlm::json out = wlm::json::parse(text, nullptr, false);
  CHECK(out.dump() == text);  // as dump() writes it: sorted keys, its number format
  return out;
}
}  // namespace

TEST_CASE("summary has every key, nulls when empty; summary_value() reads its numbers") {
  Series s;
  auto empty = summary_of(s);
  for (const char* k : {"count", "min", "max", "mean", "p50", "p90", "p95", "p99", "p999"})
    CHECK(empty.contains(k));
  CHECK(empty["count"] == 0);
  CHECK(empty["p99"].is_null());
  s.add(10);
  s.add(30);
  auto two = summary_of(s);
  CHECK(two["count"] == 2);
  CHECK(two["mean"] == 20.0);
  CHECK(two["p50"] == 10.0);
  CHECK(two["p999"] == 30.0);
  for (const char* k : {"count", "min", "max", "mean", "p50", "p90", "p95", "p99", "p999"})
    CHECK(s.summary_value(k) == two[k].get<double>());
  CHECK(std::isnan(s.summary_value("p42")));
  CHECK(std::isnan(Series().summary_value("p50")));
}

TEST_CASE("accuracy: 1,000,000 values, every quantile p50..p999 within 0.5% of exact") {
  struct Case {
    const char* name;
    std::vector<double> values;
  };
  Case cases[] = {{"lognormal", lognormal(1'000'000, 1)},
                  {"pareto", pareto(1'000'000, 2)},
                  {"bimodal", bimodal(1'000'000, 3)}};
  for (auto& c : cases) {
    CAPTURE(c.name);
    Series s;
    double err = worst_error(c.values, s);
    CHECK(s.count() == 1'000'000);
    CHECK(err <= 0.005);
    // The guarantee is tighter than the target: the bucket's half-width in relative terms.
    CHECK(err <= s.histogram().relative_error() + 1e-12);
    MESSAGE(std::string(c.name) << " worst relative error " << err);
  }
}

TEST_CASE("footprint: 10,000,000 values leave a series at 16 KB or less") {
  Series s;
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> d(std::log(50.0), 1.5);
  std::vector<double> chunk(100'000);
  for (int round = 0; round < 100; ++round) {
    for (auto& x : chunk) x = d(rng);
    s.add_many(chunk.data(), chunk.size());
  }
  CHECK(s.count() == 10'000'000);
  CHECK(s.memory_bytes() <= 16 * 1024);
  MESSAGE("series bytes after 1e7 lognormal values: " << s.memory_bytes());

  // The bound holds for any input: values spread over 600 octaves force downscaling.
  Series wide;
  std::uniform_real_distribution<double> exponent(-300.0, 300.0);
  for (int i = 0; i < 1'000'000; ++i) wide.add(std::exp2(exponent(rng)));
  CHECK(wide.memory_bytes() <= 16 * 1024);
  CHECK(wide.histogram().scale() < ExpHistogram::kMaxScale);
  CHECK(wide.histogram().counts().size() <= static_cast<std::size_t>(ExpHistogram::kMaxBuckets));
  CHECK(wide.quantile(0.5) > 0);
}

TEST_CASE("merge: two halves merged equal one series fed the whole") {
  for (auto values :
       {lognormal(200'000, 9), pareto(200'000, 10), bimodal(300, 12), bimodal(100, 13)}) {
    Series whole, a, b;
    for (std::size_t i = 0; i < values.size(); ++i) {
      whole.add(values[i]);
      (i % 3 == 0 ? a : b).add(values[i]);  // interleaved, not just split in two
    }
    a.merge(b);
    CHECK(a.count() == whole.count());
    CHECK(a.min() == whole.min());
    CHECK(a.max() == whole.max());
    CHECK(a.sum() == doctest::Approx(whole.sum()).epsilon(1e-12));
    CHECK(a.exact() == whole.exact());
    for (double q : wlm::kQuantiles) CHECK(a.quantile(q) == whole.quantile(q));
    CHECK(a.histogram().scale() == whole.histogram().scale());
    CHECK(a.histogram().zero_count() == whole.histogram().zero_count());
    wlm::json ja, jw;
    a.histogram().to_json(ja);
    whole.histogram().to_json(jw);
    CHECK(ja == jw);  // bucket for bucket
  }
}

TEST_CASE("merge across scales equals sequential ingestion") {
  // One side is forced to downscale by a huge range, the other is not.
  Series seq, narrow, wide;
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> e1(0, 10), e2(-200, 200);
  for (int i = 0; i < 5000; ++i) {
    double v1 = std::exp2(e1(rng));
    double v2 = std::exp2(e2(rng));
    narrow.add(v1);
    wide.add(v2);
    seq.add(v1);
    seq.add(v2);
  }
  CHECK(narrow.histogram().scale() == ExpHistogram::kMaxScale);
  CHECK(wide.histogram().scale() < ExpHistogram::kMaxScale);
  Series ab = narrow;
  ab.merge(wide);
  Series ba = wide;
  ba.merge(narrow);
  ba.merge(Series());  // merging an empty series changes nothing
  for (const Series* m : {&ab, &ba}) {
    CHECK(m->count() == seq.count());
    CHECK(m->histogram().scale() == seq.histogram().scale());
    for (double q : wlm::kQuantiles) CHECK(m->quantile(q) == seq.quantile(q));
    wlm::json jm, js;
    m->histogram().to_json(jm);
    seq.histogram().to_json(js);
    CHECK(jm == js);
  }
}

TEST_CASE("zero values have their own bucket") {
  Series s;
  for (int i = 0; i < 600; ++i) s.add(i < 400 ? 0.0 : 10.0);
  CHECK(s.histogram().zero_count() == 400);
  CHECK(s.quantile(0.5) == 0.0);
  CHECK(s.quantile(0.9) == doctest::Approx(10.0).epsilon(0.003));
}

TEST_CASE("state JSON round trip, and corrupt state is refused with its path") {
  Series s;
  for (auto v : lognormal(5000, 4)) s.add(v);
  s.add(0);
  wlm::json j;
  s.to_json(j);
  Series back;
  REQUIRE(back.from_json(j, "$.s"));
  CHECK(back.count() == s.count());
  for (double q : wlm::kQuantiles) CHECK(back.quantile(q) == s.quantile(q));
  // Further values land identically in both.
  back.add(123.0);
  s.add(123.0);
  CHECK(back.quantile(0.999) == s.quantile(0.999));

  Series small;
  small.add(1);
  small.add(2);
  wlm::json js;
  small.to_json(js);
  Series small_back;
  REQUIRE(small_back.from_json(js, "$"));
  CHECK(small_back.exact());
  CHECK(small_back.quantile(0.5) == 1.0);

  auto refuse = [](wlm::json bad, const char* path) {
    Series x;
    wlm::Status st = x.from_json(bad, "$.s");
    CHECK_FALSE(st.ok);
    CHECK(st.field == path);
    CHECK(st.message.find(path) != std::string::npos);
  };
  wlm::json bad = j;
  bad["count"] = 7;
  refuse(bad, "$.s.count");
  bad = j;
  bad["histogram"]["counts"][0] = -1;
  refuse(bad, "$.s.histogram.counts[0]");
  bad = j;
  bad["histogram"]["scale"] = 9;
  refuse(bad, "$.s.histogram.scale");
  bad = j;
  bad["histogram"]["counts"] = wlm::json::array();
  for (int i = 0; i < 4000; ++i) bad["histogram"]["counts"].push_back(1);
  refuse(bad, "$.s.histogram.counts");
  bad = js;
  bad["exact"] = wlm::json::array({1});
  refuse(bad, "$.s.exact");
  bad = j;
  bad["min"] = "small";
  refuse(bad, "$.s.min");
  bad = j;
  bad["histogram"]["indexRange"] = wlm::json::array({0, 1});
  refuse(bad, "$.s.histogram.indexRange");
  bad = j;
  bad.erase("sum");
  refuse(bad, "$.s.sum");
}

TEST_CASE("nearest rank") {
  CHECK(wlm::nearest_rank(0.5, 1) == 1);
  CHECK(wlm::nearest_rank(0.5, 2) == 1);
  CHECK(wlm::nearest_rank(0.5, 3) == 2);
  CHECK(wlm::nearest_rank(0.99, 1'000'000) == 990'000);
  CHECK(wlm::nearest_rank(0.999, 1'000'000) == 999'000);
  CHECK(wlm::nearest_rank(0.0, 10) == 1);
  CHECK(wlm::nearest_rank(1.0, 10) == 10);
}

TEST_CASE("a duration series: values in milliseconds, buckets in seconds") {
  Series ms(Unit::milliseconds);
  for (double v : {123.4, 0.5, 1000.0, 2500.0}) ms.add(v);
  // Exact values come back unchanged (no division and multiplication round trip).
  CHECK(ms.quantile(0.5) == 123.4);
  CHECK(ms.min() == 0.5);
  // 1000 ms is 1 s: the bucket that 1.0 closes at scale 7 (index -1), as OpenTelemetry lays it out.
  nlohmann::json j;
  ms.to_json(j);
  CHECK(j["histogram"]["unit"] == "s");
  CHECK(ExpHistogram::index_at_max_scale(1.0) == -1);
  CHECK(ms.histogram().lower_bound(-1) < 1.0);
  // Past the exact phase, quantiles come from the second buckets, scaled back to milliseconds.
  Series a(Unit::milliseconds), plain;
  for (int i = 1; i <= 5000; ++i) {
    a.add(i * 0.731);
    plain.add(i * 0.731 / 1000.0);
  }
  for (double q : wlm::kQuantiles) {
    CHECK(a.quantile(q) == a.histogram_quantile(q));
    CHECK(a.quantile(q) == doctest::Approx(plain.quantile(q) * 1000).epsilon(1e-12));
  }
  // A reader that expects another unit refuses the histogram.
  Series tokens(Unit::tokens);
  Status s = tokens.from_json(j, "$.x");
  CHECK_FALSE(s.ok);
  CHECK(s.field == "$.x.histogram.unit");
  Series back(Unit::milliseconds);
  CHECK(back.from_json(j, "$.x").ok);
  CHECK(back.quantile(0.5) == 123.4);
  back.clear();
  CHECK(back.unit() == Unit::milliseconds);
}

TEST_CASE(
    "rank queries through the block sums equal a scan of the buckets, after adds, merges and downscales") {
  std::mt19937 rng(9);
  std::lognormal_distribution<double> narrow(0.0, 0.5), wide(5.0, 4.0);
  ExpHistogram a, b;
  for (int i = 0; i < 20000; ++i) a.add(narrow(rng));
  for (int i = 0; i < 20000; ++i) b.add(wide(rng), 1 + static_cast<std::uint64_t>(i % 3));
  b.add(0.0, 5);
  a.merge(b);  // a downscales to b's range
  for (const ExpHistogram* h : {&a, &b}) {
    nlohmann::json j;
    h->to_json(j);
    const auto& counts = j["counts"];
    std::int32_t offset = j["offset"].get<std::int32_t>();
    std::uint64_t zero = j["zeroCount"].get<std::uint64_t>();
    std::uint64_t total = h->total();
    for (std::uint64_t rank = 1; rank <= total; rank += 1 + total / 997) {
      double want = 0;
      std::uint64_t seen = zero;
      if (rank > zero) {
        for (std::size_t k = 0; k < counts.size(); ++k) {
          seen += counts[k].get<std::uint64_t>();
          if (seen >= rank) {
            double lo = h->lower_bound(offset + static_cast<std::int32_t>(k));
            double hi = h->upper_bound(offset + static_cast<std::int32_t>(k));
            want = 2 * lo * hi / (lo + hi);
            break;
          }
        }
      }
      REQUIRE(h->value_at_rank(rank) == want);
    }
  }
}

TEST_CASE("bucket bounds agree with the bucket index to the bit, and with exp2 to an ulp") {
  ExpHistogram h;  // scale 7
  for (std::int32_t i = -3000; i <= 3000; i += 7) {
    double lo = h.lower_bound(i);
    CHECK(ExpHistogram::index_at_max_scale(lo) == i - 1);  // (lo, hi]: lo closes bucket i - 1
    CHECK(ExpHistogram::index_at_max_scale(std::nextafter(lo, INFINITY)) == i);
    double ref = std::exp2(i / 128.0);
    CHECK(std::abs(lo - ref) <= std::nextafter(ref, INFINITY) - ref);
  }
}

TEST_CASE("values readied once (Prepared, PreparedList) add exactly what add() and add_many() do") {
  // A value added to several series is mapped once (aggregates/series.hpp): the series must end
  // bit for bit as if fed the plain values, in the exact phase, across it and past it, with
  // zeros, negative zeros, tiny and huge values, in each unit.
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(3.0, 2.0);
  for (Unit unit : {Unit::milliseconds, Unit::tokens, Unit::tokens_per_second, Unit::plain}) {
    Series plain(unit), readied(unit);
    wlm::PreparedList list;
    std::vector<double> gaps;
    for (int event = 0; event < 600; ++event) {
      double v = event % 97 == 0   ? 0.0
                 : event % 89 == 0 ? -0.0
                 : event % 83 == 0 ? 1e-310
                                   : dist(rng);
      plain.add(v);
      readied.add(wlm::prepare(v, unit));
      gaps.assign(static_cast<std::size_t>(event % 11), 0.0);
      for (double& g : gaps) g = event % 53 == 0 ? 0.0 : dist(rng);
      plain.add_many(gaps.data(), gaps.size());
      list.prepare(gaps.data(), gaps.size(), unit);
      readied.add_many(list);
    }
    wlm::json a, b;
    plain.to_json(a);
    readied.to_json(b);
    CHECK(a.dump() == b.dump());
    CHECK(plain.sum() == readied.sum());
    CHECK(std::signbit(plain.min()) == std::signbit(readied.min()));
  }
}

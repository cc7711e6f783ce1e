// The bars a chart draws of a series' histogram (wasm/views/histogram.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "views/histogram.hpp"

using namespace wlm;

TEST_CASE(
    "histogram bars: at most max_bins, ascending, in the series' unit, counts summing to the count") {
  Series s(Unit::milliseconds);
  std::vector<double> values;
  for (int i = 0; i < 5000; ++i) values.push_back(20.0 * std::exp(0.002 * i));  // 20 ms to ~440 s
  for (double v : values) s.add(v);
  for (int max_bins : {2, 7, 40, 400}) {
    std::vector<HistogramBin> bins = histogram_bins(s, max_bins);
    REQUIRE(!bins.empty());
    CHECK(bins.size() <= static_cast<std::size_t>(max_bins));
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < bins.size(); ++i) {
      CHECK(bins[i].lo < bins[i].hi);
      if (i > 0) CHECK(bins[i].lo == doctest::Approx(bins[i - 1].hi));
      total += bins[i].count;
    }
    CHECK(total == values.size());
    // In milliseconds: the first bar holds 20 ms, the last the largest value.
    CHECK(bins.front().lo <= 20.0);
    CHECK(bins.front().hi >= 20.0);
    CHECK(bins.back().hi >= values.back());
    // Every value falls in the bar that counts it: count them again by edges.
    std::vector<std::uint64_t> again(bins.size(), 0);
    for (double v : values)
      for (std::size_t i = 0; i < bins.size(); ++i)
        if (v > bins[i].lo * (1 - 1e-9) && v <= bins[i].hi * (1 + 1e-9)) {
          ++again[i];
          break;
        }
    for (std::size_t i = 0; i < bins.size(); ++i) CHECK(again[i] == bins[i].count);
  }
}

TEST_CASE("histogram bars: the zero bucket is a bar of its own; an empty series has none") {
  Series s(Unit::tokens);
  CHECK(histogram_bins(s, 40).empty());
  CHECK(histogram_json(nullptr, 40)["bins"].empty());
  s.add(0);
  s.add(0);
  s.add(12);
  std::vector<HistogramBin> bins = histogram_bins(s, 40);
  REQUIRE(bins.size() == 2);
  CHECK(bins[0].lo == 0);
  CHECK(bins[0].hi == 0);
  CHECK(bins[0].count == 2);
  CHECK(bins[1].lo < 12);
  CHECK(bins[1].hi >= 12);
  json j = histogram_json(&s, 40);
  CHECK(j["count"] == 3);
  CHECK(j["bins"].size() == 2);
}

TEST_CASE("histogram bars: values below and above 1 at one bar asked: two bars, never a loop") {
  Series s(Unit::plain);
  for (double v : {0.25, 0.5, 3.0, 900.0}) s.add(v);
  std::vector<HistogramBin> bins = histogram_bins(s, 1);
  REQUIRE(bins.size() == 2);
  CHECK(bins[0].count + bins[1].count == 4);
  CHECK(bins[0].hi == doctest::Approx(bins[1].lo));
}

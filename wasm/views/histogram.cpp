#include "views/histogram.hpp"

#include <algorithm>
#include <cmath>

#include "aggregates/mapping.hpp"

namespace wlm {

std::vector<HistogramBin> histogram_bins(const Series& s, int max_bins) {
  const ExpHistogram& h = s.histogram();
  std::vector<HistogramBin> bins;
  if (h.zero_count() > 0) bins.push_back({0, 0, h.zero_count()});
  const std::vector<std::uint32_t>& counts = h.counts();
  auto nonzero = [](std::uint32_t c) { return c > 0; };
  auto first = std::find_if(counts.begin(), counts.end(), nonzero);
  if (first == counts.end()) return bins;
  auto last = std::find_if(counts.rbegin(), counts.rend(), nonzero).base() - 1;
  auto lo_index = static_cast<std::int64_t>(h.offset() + (first - counts.begin()));
  auto hi_index = static_cast<std::int64_t>(h.offset() + (last - counts.begin()));
  // Merge 2^shift neighbours: the bars are the buckets of the same histogram at scale - shift.
  auto floor_div = [](std::int64_t a, int shift) { return a >> shift; };  // arithmetic: floors
  // Two bars at least: at any scale, the buckets below 1 and from 1 up stay apart.
  const std::int64_t most = std::max(2, max_bins);
  int shift = 0;
  while (floor_div(hi_index, shift) - floor_div(lo_index, shift) + 1 > most) ++shift;
  const std::int64_t j0 = floor_div(lo_index, shift);
  std::vector<std::uint64_t> merged(static_cast<std::size_t>(floor_div(hi_index, shift) - j0 + 1),
                                    0);
  for (auto it = first; it <= last; ++it) {
    std::int64_t index = h.offset() + (it - counts.begin());
    merged[static_cast<std::size_t>(floor_div(index, shift) - j0)] += *it;
  }
  const int scale = h.scale() - shift;
  const double unit = bucket_divisor(s.unit());  // buckets of durations are in seconds
  for (std::size_t j = 0; j < merged.size(); ++j) {
    auto index = static_cast<std::int32_t>(j0 + static_cast<std::int64_t>(j));
    bins.push_back({unit * mapping::lower_boundary(index, scale),
                    unit * mapping::lower_boundary(index + 1, scale), merged[j]});
  }
  return bins;
}

json histogram_json(const Series* s, int max_bins) {
  json bins = json::array();
  std::uint64_t total = 0;
  if (s != nullptr) {
    for (const HistogramBin& b : histogram_bins(*s, max_bins)) {
      bins.push_back(json{{"lo", b.lo}, {"hi", b.hi}, {"count", b.count}});
      total += b.count;
    }
  }
  return json{{"count", total}, {"bins", std::move(bins)}};
}

}  // namespace wlm

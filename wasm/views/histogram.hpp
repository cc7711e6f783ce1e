// A series' histogram as bars for a chart: at most `max_bins` of them, in the series' own unit.
#pragma once

#include <cstdint>
#include <vector>

#include "aggregates/series.hpp"
#include "json_io.hpp"

namespace wlm {

struct HistogramBin {
  double lo;  ///< lower edge, in the series' unit (ms for durations); 0 for the zero bucket
  double hi;  ///< upper edge; equal to lo for the zero bucket
  std::uint64_t count;
};

/// The sketch's buckets regrouped into at most `max_bins` bars by merging 2^k neighbours (the
/// exact downscaling the sketch itself does, never a re-estimate); the zero bucket is a bar of its
/// own. The bars' counts sum to the histogram's count. `max_bins` below 2 counts as 2 (the
/// buckets below 1 and from 1 up are never merged, at any scale).
std::vector<HistogramBin> histogram_bins(const Series& s, int max_bins);

/// {"count": n, "bins": [{"lo", "hi", "count"}...]}; an empty series (nullptr) has no bins.
json histogram_json(const Series* s, int max_bins);

}  // namespace wlm

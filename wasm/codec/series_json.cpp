// The state JSON of the quantile series: a histogram's occupied buckets, a series' exact values
// and totals, and the summary the metrics report; reading checks every invariant.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "aggregates/series.hpp"
#include "codec/json_writer.hpp"
#include "json_io.hpp"

namespace wlm {

void ExpHistogram::to_json(json& out) const {
  // Only the occupied buckets: trim the zero slack at both ends.
  std::size_t first = 0;
  std::size_t last = counts_.size();
  while (first < last && counts_[first] == 0) ++first;
  while (last > first && counts_[last - 1] == 0) --last;
  json counts = json::array();
  for (std::size_t j = first; j < last; ++j) counts.push_back(counts_[j]);
  out = json{{"scale", scale_},
             {"zeroCount", zero_count_},
             {"offset", offset_ + static_cast<std::int32_t>(first)},
             {"counts", std::move(counts)}};
  if (max_index7_ >= min_index7_) {
    out["indexRange"] = json::array({min_index7_, max_index7_});
  } else {
    out["indexRange"] = nullptr;
  }
}

Status ExpHistogram::from_json(const json& in, const std::string& path) {
  ExpHistogram h;
  std::int64_t scale = 0, offset = 0;
  if (Status s = jsonio::integer(in, path, "scale", scale, kMinScale, kMaxScale); !s) return s;
  if (Status s = jsonio::count(in, path, "zeroCount", h.zero_count_); !s) return s;
  if (Status s = jsonio::integer(in, path, "offset", offset, -(1 << 20), 1 << 20); !s) return s;
  const json* counts = nullptr;
  if (Status s = jsonio::array(in, path, "counts", counts); !s) return s;
  std::string cpath = jsonio::child(path, "counts");
  if (counts->size() > static_cast<std::size_t>(kMaxBuckets))
    return Status::error(cpath, fmt::format("{}: {} buckets, more than the limit of {}", cpath,
                                            counts->size(), kMaxBuckets));
  h.scale_ = static_cast<int>(scale);
  h.offset_ = static_cast<std::int32_t>(offset);
  h.counts_.reserve(counts->size());
  for (std::size_t j = 0; j < counts->size(); ++j) {
    std::uint64_t c = 0;
    if (Status s = jsonio::count_value((*counts)[j], jsonio::child(cpath, j), c); !s) return s;
    if (c > std::numeric_limits<std::uint32_t>::max())
      return Status::error(
          jsonio::child(cpath, j),
          fmt::format("{}: {} exceeds a bucket's 32-bit count", jsonio::child(cpath, j), c));
    h.counts_.push_back(static_cast<std::uint32_t>(c));
  }
  const json* range = nullptr;
  if (Status s = jsonio::member(in, path, "indexRange", range); !s) return s;
  std::string rpath = jsonio::child(path, "indexRange");
  bool has_values = std::any_of(h.counts_.begin(), h.counts_.end(), [](auto c) { return c != 0; });
  if (range->is_null()) {
    if (has_values)
      return Status::error(rpath, fmt::format("{}: null although counts holds values", rpath));
  } else {
    if (!range->is_array() || range->size() != 2 || !(*range)[0].is_number_integer() ||
        !(*range)[1].is_number_integer())
      return Status::error(rpath, fmt::format("{}: expected [min, max] indices, got {}", rpath,
                                              jsonio::describe(*range)));
    std::int64_t lo = (*range)[0].get<std::int64_t>();
    std::int64_t hi = (*range)[1].get<std::int64_t>();
    int d = kMaxScale - h.scale_;
    std::int64_t first = h.offset_;
    std::int64_t last = h.offset_ + static_cast<std::int64_t>(h.counts_.size()) - 1;
    if (!has_values || lo > hi || lo < -(1 << 20) || hi > (1 << 20) || (lo >> d) > first ||
        (hi >> d) < last || ((hi >> d) - (lo >> d) + 1) > kMaxBuckets ||
        (h.scale_ < kMaxScale &&
         scale_needed(static_cast<std::int32_t>(lo), static_cast<std::int32_t>(hi), kMaxScale) !=
             h.scale_))
      return Status::error(rpath, fmt::format("{}: {} does not match the scale and buckets", rpath,
                                              jsonio::dump(*range)));
    h.min_index7_ = static_cast<std::int32_t>(lo);
    h.max_index7_ = static_cast<std::int32_t>(hi);
  }
  h.rebuild_blocks();
  *this = std::move(h);
  return Status::success();
}

void Series::summary_quantiles(double (&out)[kQuantileCount]) const {
  if (exact()) {
    std::vector<double> sorted(exact_);
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < kQuantileCount; ++i)
      out[i] = sorted[nearest_rank(kQuantiles[i], count_) - 1];
  } else {
    for (int i = 0; i < kQuantileCount; ++i) out[i] = quantile(kQuantiles[i]);
  }
}

double Series::summary_value(std::string_view key) const {
  if (key == "count") return static_cast<double>(count_);
  if (count_ == 0) return NAN;
  if (key == "min") return min_;
  if (key == "max") return max_;
  if (key == "mean") return sum_ / static_cast<double>(count_);
  for (int i = 0; i < kQuantileCount; ++i) {
    if (key != kQuantileKeys[i]) continue;
    double q[kQuantileCount];
    summary_quantiles(q);
    return q[i];
  }
  return NAN;
}

void Series::write_summary(jsonw::Writer& w) const {
  // The keys in sorted order: count, max, mean, min, then the quantiles' (sorted already).
  w.begin_object().key("count").number(count_);
  if (count_ == 0) {
    w.key("max").null().key("mean").null().key("min").null();
    for (const char* k : kQuantileKeys) w.key(k).null();
    w.end_object();
    return;
  }
  w.key("max").number(max_).key("mean").number(sum_ / static_cast<double>(count_));
  w.key("min").number(min_);
  double q[kQuantileCount];
  summary_quantiles(q);
  for (int i = 0; i < kQuantileCount; ++i) w.key(kQuantileKeys[i]).number(q[i]);
  w.end_object();
}

void Series::to_json(json& out) const {
  out = json::object();
  out["count"] = count_;
  out["sum"] = sum_;
  out["min"] = count_ ? json(min_) : json(nullptr);
  out["max"] = count_ ? json(max_) : json(nullptr);
  out["exact"] = exact() ? json(exact_) : json(nullptr);
  json& h = out["histogram"];
  hist_.to_json(h);
  h["unit"] = bucket_unit(unit_);
}

Status Series::from_json(const json& in, const std::string& path) {
  Series s(unit_);
  constexpr double kMaxValue = 1e300;
  if (Status st = jsonio::count(in, path, "count", s.count_); !st) return st;
  if (Status st = jsonio::number(in, path, "sum", s.sum_, 0, kMaxValue); !st) return st;
  if (s.count_ > 0) {
    if (Status st = jsonio::number(in, path, "min", s.min_, 0, kMaxValue); !st) return st;
    if (Status st = jsonio::number(in, path, "max", s.max_, s.min_, kMaxValue); !st) return st;
  }
  const json* hist = nullptr;
  if (Status st = jsonio::object(in, path, "histogram", hist); !st) return st;
  std::string hpath = jsonio::child(path, "histogram");
  std::string unit;
  if (Status st = jsonio::string(*hist, hpath, "unit", unit, 16); !st) return st;
  if (unit != bucket_unit(unit_))
    return Status::error(jsonio::child(hpath, "unit"),
                         fmt::format("{}: \"{}\", but this series' buckets are in \"{}\"",
                                     jsonio::child(hpath, "unit"), unit, bucket_unit(unit_)));
  if (Status st = s.hist_.from_json(*hist, hpath); !st) return st;
  // A bucket's count saturates at 2^32 - 1 (ExpHistogram::add): the histogram then holds fewer
  // values than the series counted, and the export of such a series still reads back.
  const auto& counts = s.hist_.counts();
  bool saturated = std::find(counts.begin(), counts.end(),
                             std::numeric_limits<std::uint32_t>::max()) != counts.end();
  if (s.hist_.total() != s.count_ && !(saturated && s.hist_.total() < s.count_))
    return Status::error(jsonio::child(path, "count"),
                         fmt::format("{}: {} but the histogram holds {} values",
                                     jsonio::child(path, "count"), s.count_, s.hist_.total()));
  const json* exact = nullptr;
  if (Status st = jsonio::member(in, path, "exact", exact); !st) return st;
  std::string epath = jsonio::child(path, "exact");
  if (s.exact()) {
    if (!exact->is_array() || exact->size() != s.count_)
      return Status::error(epath, fmt::format("{}: expected the {} exact values, got {}", epath,
                                              s.count_, jsonio::describe(*exact)));
    for (std::size_t j = 0; j < exact->size(); ++j) {
      double v = 0;
      if (Status st = jsonio::number_value((*exact)[j], jsonio::child(epath, j), v, s.min_, s.max_);
          !st)
        return st;
      s.exact_.push_back(v);
    }
  } else if (!exact->is_null()) {
    return Status::error(epath, fmt::format("{}: expected null above {} values, got {}", epath,
                                            kExactLimit, jsonio::describe(*exact)));
  }
  *this = std::move(s);
  return Status::success();
}

}  // namespace wlm

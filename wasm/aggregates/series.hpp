// A statistic over a stream of non-negative values: exact while small, an exponential histogram
// (exp_histogram.hpp) always. Add and merge here; JSON in codec/series_json.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "aggregates/exp_histogram.hpp"
#include "status.hpp"

namespace wlm {
namespace jsonw {
class Writer;
}

/// The quantiles every stats object reports, in this order.
inline constexpr double kQuantiles[] = {0.5, 0.9, 0.95, 0.99, 0.999};
inline constexpr const char* kQuantileKeys[] = {"p50", "p90", "p95", "p99", "p999"};
inline constexpr int kQuantileCount = 5;

/// 1-based nearest rank of quantile q among n values: ceil(q * n), clamped to [1, n].
std::uint64_t nearest_rank(double q, std::uint64_t n);

/// What a series measures, which fixes the unit of its histogram's buckets.
///
/// Durations are recorded and reported in milliseconds, but their buckets are in seconds: the
/// unit of OpenTelemetry's duration metrics, so that the core's buckets are exported as
/// exponential histogram points as they are. Base-2 buckets cannot be re-expressed in another
/// unit unless the factor is a power of two, and 1000 is not.
enum class Unit : std::uint8_t {
  plain,              // buckets in the values' unit ("1")
  milliseconds,       // values in ms, buckets in seconds ("s")
  tokens,             // "{token}"
  tokens_per_second,  // "{token}/s"
};
/// The unit of the buckets, as an OpenTelemetry (UCUM) unit string.
const char* bucket_unit(Unit u);
/// Values per bucket unit: a value v falls in the bucket of v / divisor.
inline double bucket_divisor(Unit u) { return u == Unit::milliseconds ? 1000.0 : 1.0; }
/// A value in its bucket's unit: the one rule of every series (v / 1.0 is v exactly).
inline double in_bucket_unit(double v, Unit u) { return v / bucket_divisor(u); }

/// A value readied for the series of one unit it is added to (a generation's latency goes to
/// seven): its bucket and its histogram index computed once, not once per series.
struct Prepared {
  double v = 0;         // in the values' unit
  double bucket = 0;    // v / bucket_divisor(unit)
  std::int32_t i7 = 0;  // index_at_max_scale(bucket), when bucket > 0
};
inline Prepared prepare(double v, Unit u) {
  Prepared p;
  p.v = v;
  p.bucket = in_bucket_unit(v, u);
  if (p.bucket > 0) p.i7 = mapping::index_at_max_scale(p.bucket);
  return p;
}

/// A list of valid values (a generation's chunk gaps) readied once for the series of one unit
/// they go to: each value's index, and what add_many() sums and compares past the exact phase.
struct PreparedList {
  const double* values = nullptr;
  std::size_t n = 0;
  double sum = 0, lo = 0, hi = 0;  // summed from 0 in order; the first smallest and largest
  bool positive = true;            // every bucket > 0 (else only add_many() can add them)
  std::vector<std::int32_t> i7;
  /// Readies values[0..n) (kept by address) for series of unit `u`, reusing i7's capacity.
  void prepare(const double* v, std::size_t count, Unit u);
};

/// A statistic over a stream of non-negative values: exact count, sum, min and max; the exact
/// values while count <= kExactLimit (quantiles then exact), an ExpHistogram always. Everything
/// but the histogram is in the values' unit.
class Series {
 public:
  static constexpr std::size_t kExactLimit = 256;

  Series() = default;
  explicit Series(Unit unit) : unit_(unit) {}
  Unit unit() const { return unit_; }

  void add(double v) { add(prepare(v, unit_)); }
  /// add(p.v), with its bucket index already known (p readied for this series' unit).
  void add(const Prepared& p) {
    ++count_;
    sum_ += p.v;
    if (count_ == 1) {
      min_ = max_ = p.v;
    } else {
      if (p.v < min_) min_ = p.v;
      if (p.v > max_) max_ = p.v;
    }
    if (count_ <= kExactLimit) {
      exact_.push_back(p.v);
    } else if (count_ == kExactLimit + 1) {
      std::vector<double>().swap(exact_);
    }
    if (p.bucket > 0)
      hist_.add_index(p.i7);
    else
      hist_.add(p.bucket);
  }
  /// Adds a batch of already validated values.
  void add_many(const double* values, std::size_t n);
  /// add_many(p.values, p.n), with the indices, sum and extremes already known (p readied
  /// for this series' unit).
  void add_many(const PreparedList& p) {
    if (count_ <= kExactLimit || !p.positive || p.n == 0) {
      add_many(p.values, p.n);
      return;
    }
    count_ += p.n;
    sum_ += p.sum;
    if (p.lo < min_) min_ = p.lo;
    if (p.hi > max_) max_ = p.hi;
    for (std::size_t i = 0; i < p.n; ++i) hist_.add_index(p.i7[i]);
  }
  /// Adds values while each is in [0, max] (NaN is not); returns how many it added, so that
  /// values[return] is the first refused one (or return == n). One pass, no copy.
  std::size_t add_valid(const double* values, std::size_t n, double max);
  void merge(const Series& other);
  void clear();

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return count_ ? min_ : 0.0; }
  double max() const { return count_ ? max_ : 0.0; }
  bool exact() const { return count_ <= kExactLimit; }
  /// Nearest-rank quantile; exact while exact(), else within histogram().relative_error().
  double quantile(double q) const;
  /// Quantile from the histogram alone, in the values' unit: the bucket's representative value
  /// times bucket_divisor(), clamped to [min, max]. What a reader of the exported buckets gets.
  double histogram_quantile(double q) const;
  const ExpHistogram& histogram() const { return hist_; }
  /// The values in arrival order while exact(); empty past kExactLimit.
  const std::vector<double>& exact_values() const { return exact_; }
  std::size_t memory_bytes() const;

  /// {count, max, mean, min, p50, p90, p95, p99, p999}; nulls when empty. (codec/series_json.cpp)
  void write_summary(jsonw::Writer& w) const;
  /// One number of the summary by its key ("p95", "count"...); NaN where it is null or the
  /// key is none of them.
  double summary_value(std::string_view key) const;
  /// The histogram carries "unit": bucket_unit(); reading checks it against this series' unit.
  void to_json(nlohmann::json& out) const;
  /// Reads what to_json() writes: the counts, the exact values and the histogram must agree.
  Status from_json(const nlohmann::json& in, const std::string& path);

 private:
  /// The summary's quantiles, in kQuantiles' order (count_ > 0).
  void summary_quantiles(double (&out)[kQuantileCount]) const;
  Unit unit_ = Unit::plain;
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
  std::vector<double> exact_;
  ExpHistogram hist_;
};

}  // namespace wlm

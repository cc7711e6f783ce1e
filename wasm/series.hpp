// Quantile series: exact while small, an OpenTelemetry-layout exponential histogram always.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "status.hpp"

namespace wlm {

/// The quantiles every stats object reports, in this order.
inline constexpr double kQuantiles[] = {0.5, 0.9, 0.95, 0.99, 0.999};
inline constexpr const char* kQuantileKeys[] = {"p50", "p90", "p95", "p99", "p999"};
inline constexpr int kQuantileCount = 5;

/// 1-based nearest rank of quantile q among n values: ceil(q * n), clamped to [1, n].
std::uint64_t nearest_rank(double q, std::uint64_t n);

/// Base-2 exponential histogram with OpenTelemetry's bucket layout: at scale s the base is
/// 2^(2^-s) and bucket i holds the values in (base^i, base^(i+1)]; zero has its own count.
/// Starts at kMaxScale and halves its resolution only when the occupied index range would
/// exceed kMaxBuckets, so memory is bounded whatever the input.
class ExpHistogram {
 public:
  /// Scale 7: relative error of a bucket's representative value <= (b-1)/(b+1) = 0.271%.
  static constexpr int kMaxScale = 7;
  /// 3200 four-byte counts = 12.5 KiB: 25 octaves (a max/min ratio of 3.3e7) at scale 7.
  static constexpr std::int32_t kMaxBuckets = 3200;
  static constexpr int kMinScale = -10;

  /// Adds a finite value >= 0 (callers validate); `n` copies of it.
  void add(double v, std::uint64_t n = 1);
  /// add(v) with the common case (the bucket exists) first: the per-value path of a series.
  void add_one(double v);
  /// Adds another histogram's counts; the result equals one histogram fed both inputs.
  void merge(const ExpHistogram& other);
  void clear();

  /// Value of the `rank`-th smallest element (1-based) as the bucket's representative value
  /// 2*lo*hi/(lo+hi), the point of least relative error; 0 for the zero bucket.
  double value_at_rank(std::uint64_t rank) const;

  int scale() const { return scale_; }
  std::uint64_t zero_count() const { return zero_count_; }
  std::int32_t offset() const { return offset_; }
  const std::vector<std::uint32_t>& counts() const { return counts_; }
  std::uint64_t total() const;
  /// Lower and upper bound of bucket `index` at the current scale.
  double lower_bound(std::int32_t index) const;
  double upper_bound(std::int32_t index) const;
  /// Worst relative error of a representative value at the current scale.
  double relative_error() const;
  std::size_t memory_bytes() const;

  /// Bucket index at scale kMaxScale of a positive finite value (exact to within one ulp of
  /// the boundaries; a table lookup and one comparison, no log()).
  static std::int32_t index_at_max_scale(double v);

  void to_json(nlohmann::json& out) const;
  Status from_json(const nlohmann::json& in, const std::string& path);

 private:
  void downscale(int by);
  void ensure_range(std::int32_t lo, std::int32_t hi);
  /// Recomputes blocks_ from counts_ (after the buckets moved or merged).
  void rebuild_blocks();
  static int scale_needed(std::int32_t lo7, std::int32_t hi7, int start_scale);

  int scale_ = kMaxScale;
  std::int32_t offset_ = 0;  // index of counts_[0] at scale_
  std::vector<std::uint32_t> counts_;
  /// Sums of counts_ by blocks of kBlock buckets, kept up to date on every add: a rank query
  /// walks at most kMaxBuckets / kBlock blocks, then one block.
  static constexpr int kBlockBits = 6;
  std::vector<std::uint64_t> blocks_;
  std::uint64_t zero_count_ = 0;
  // Occupied range at kMaxScale, kept so that downscaling decisions depend on the data only.
  std::int32_t min_index7_ = 0;
  std::int32_t max_index7_ = -1;
};

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

/// A statistic over a stream of non-negative values: exact count, sum, min and max; the exact
/// values while count <= kExactLimit (quantiles then exact), an ExpHistogram always. Everything
/// but the histogram is in the values' unit.
class Series {
 public:
  static constexpr std::size_t kExactLimit = 256;

  Series() = default;
  explicit Series(Unit unit) : unit_(unit) {}
  Unit unit() const { return unit_; }

  void add(double v);
  /// Adds a batch of already validated values.
  void add_many(const double* values, std::size_t n);
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

  /// {count, min, max, mean, p50, p90, p95, p99, p999}; nulls when empty.
  nlohmann::json summary() const;
  /// The histogram carries "unit": bucket_unit(); reading checks it against this series' unit.
  void to_json(nlohmann::json& out) const;
  Status from_json(const nlohmann::json& in, const std::string& path);

 private:
  void add_to_histogram(double v) {
    hist_.add_one(unit_ == Unit::milliseconds ? v / 1000.0 : v);
  }

  Unit unit_ = Unit::plain;
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
  std::vector<double> exact_;
  ExpHistogram hist_;
};

}  // namespace wlm

// The buckets of a quantile series: an OpenTelemetry-layout exponential histogram with bounded
// memory. Index math in mapping.hpp; JSON in codec/series_json.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "aggregates/mapping.hpp"
#include "status.hpp"

namespace wlm {

/// Base-2 exponential histogram with OpenTelemetry's bucket layout: at scale s the base is
/// 2^(2^-s) and bucket i holds the values in (base^i, base^(i+1)]; zero has its own count.
/// Starts at kMaxScale and halves its resolution only when the occupied index range would
/// exceed kMaxBuckets, so memory is bounded whatever the input.
class ExpHistogram {
 public:
  /// Scale 7: relative error of a bucket's representative value <= (b-1)/(b+1) = 0.271%.
  static constexpr int kMaxScale = mapping::kMaxScale;
  /// 3200 four-byte counts = 12.5 KiB: 25 octaves (a max/min ratio of 3.3e7) at scale 7.
  static constexpr std::int32_t kMaxBuckets = 3200;
  static constexpr int kMinScale = mapping::kMinScale;

  /// Adds a finite value >= 0 (callers validate); `n` copies of it.
  void add(double v, std::uint64_t n = 1);
  /// add(v) with the common case (the bucket exists) first: the per-value path of a series.
  void add_one(double v) {
    if (v > 0)
      add_index(index_at_max_scale(v));
    else
      add(v, 1);
  }
  /// Adds one positive value whose index_at_max_scale() is `i7`: what add_one() does once the
  /// index is known, so that a value added to several histograms is mapped once.
  void add_index(std::int32_t i7) {
    std::size_t j = static_cast<std::size_t>((i7 >> (kMaxScale - scale_)) - offset_);
    if (j < counts_.size()) {
      // Hot path: the bucket exists (a negative difference wraps past the size). Counts
      // saturate rather than wrap.
      if (i7 < min_index7_) min_index7_ = i7;
      if (i7 > max_index7_) max_index7_ = i7;
      std::uint32_t& c = counts_[j];
      std::uint32_t inc = c != UINT32_MAX;
      c += inc;
      blocks_[j >> kBlockBits] += inc;
      return;
    }
    add_new(i7, 1);
  }
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
  double lower_bound(std::int32_t index) const { return mapping::lower_boundary(index, scale_); }
  double upper_bound(std::int32_t index) const { return lower_bound(index + 1); }
  /// Worst relative error of a representative value at the current scale.
  double relative_error() const { return mapping::relative_error(scale_); }
  std::size_t memory_bytes() const;

  /// Bucket index at scale kMaxScale of a positive finite value (mapping::index_at_max_scale).
  static std::int32_t index_at_max_scale(double v) { return mapping::index_at_max_scale(v); }

  /// {scale, zeroCount, offset, counts, indexRange}: only the occupied buckets.
  void to_json(nlohmann::json& out) const;
  /// Reads what to_json() writes, checking the buckets against the scale and the index range.
  Status from_json(const nlohmann::json& in, const std::string& path);

 private:
  /// Adds `n` positive values of index `i7` at kMaxScale, growing or downscaling as needed.
  void add_new(std::int32_t i7, std::uint64_t n);
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

}  // namespace wlm

// The index math of base-2 exponential histograms (OpenTelemetry's bucket layout): which bucket a
// value falls in and where a bucket begins, at any scale, with no log() on the per-value path.
#pragma once

#include <cstdint>
#include <cstring>

namespace wlm {
namespace mapping {

/// Finest scale: 128 buckets per octave, relative error of a representative value <= 0.271%.
inline constexpr int kMaxScale = 7;
/// Coarsest scale: a bucket spans 2^1024, so every double fits.
inline constexpr int kMinScale = -10;

namespace detail {

inline constexpr std::uint64_t kMantissaMask = (1ull << 52) - 1;
inline constexpr int kSubBuckets = 1 << kMaxScale;  // 128 buckets per octave
inline constexpr int kSlotBits = 10;                // 1024 slots over [1, 2)
inline constexpr int kSlotShift = 52 - kSlotBits;

/// Boundaries 2^(k/128) as 52-bit mantissas, and for each of 1024 equal slots of the mantissa
/// the bucket of the slot's smallest mantissa. A slot (width 2^-10) is narrower than the
/// narrowest bucket (2^(1/128) - 1 = 0.0054), so it straddles at most one boundary and a single
/// comparison finishes the lookup.
struct IndexTable {
  std::uint64_t bound[kSubBuckets + 1];
  std::uint8_t slot[1 << kSlotBits];
  IndexTable();
};
extern const IndexTable kTable;

inline std::uint64_t bits_of(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// The slow path of index_at_max_scale(): subnormal values.
std::int32_t subnormal_index(double v);

}  // namespace detail

/// Bucket index at kMaxScale of a positive finite value: bucket i holds (2^(i/128), 2^((i+1)/128)].
/// Exact to within one ulp of the boundaries; a table lookup and one comparison, no log().
inline std::int32_t index_at_max_scale(double v) {
  using namespace detail;
  std::uint64_t b = bits_of(v);
  int biased = static_cast<int>((b >> 52) & 0x7ff);
  std::uint64_t mant = b & kMantissaMask;
  if (biased == 0) return subnormal_index(v);  // rare enough for the slow path
  std::int32_t e = biased - 1023;
  if (mant == 0) return e * kSubBuckets - 1;  // exact powers of two close their bucket
  int k = kTable.slot[mant >> kSlotShift];
  if (mant > kTable.bound[k + 1]) ++k;
  return e * kSubBuckets + k;
}

/// Lower boundary 2^(index / 2^scale) of bucket `index` at `scale`, from the same table as
/// index_at_max_scale(), so that bounds and indices agree to the bit.
double lower_boundary(std::int32_t index, int scale);

/// Worst relative error of a bucket's representative value at `scale`: (b - 1) / (b + 1).
double relative_error(int scale);

}  // namespace mapping
}  // namespace wlm

#include "aggregates/mapping.hpp"

#include <algorithm>
#include <cmath>

namespace wlm {
namespace mapping {
namespace detail {

IndexTable::IndexTable() {
  bound[0] = 0;
  for (int k = 1; k < kSubBuckets; ++k) bound[k] = bits_of(std::exp2(k / 128.0)) & kMantissaMask;
  bound[kSubBuckets] = 1ull << 52;
  int k = 0;
  for (int t = 0; t < (1 << kSlotBits); ++t) {
    std::uint64_t m = (static_cast<std::uint64_t>(t) << kSlotShift) | (t == 0 ? 1 : 0);
    while (m > bound[k + 1]) ++k;
    slot[t] = static_cast<std::uint8_t>(k);
  }
}

const IndexTable kTable;

std::int32_t subnormal_index(double v) {
  return static_cast<std::int32_t>(std::ceil(std::log2(v) * kSubBuckets)) - 1;
}

}  // namespace detail

double lower_boundary(std::int32_t index, int scale) {
  using namespace detail;
  std::int64_t i7 = static_cast<std::int64_t>(index) * (std::int64_t{1} << (kMaxScale - scale));
  std::int64_t e = i7 >= 0 ? i7 / kSubBuckets : -((-i7 + kSubBuckets - 1) / kSubBuckets);
  std::uint64_t mant = kTable.bound[i7 - e * kSubBuckets];
  if (e > -1023 && e < 1024) {
    std::uint64_t bits = (static_cast<std::uint64_t>(e + 1023) << 52) | mant;
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  double m;
  std::uint64_t one = (std::uint64_t{1023} << 52) | mant;
  std::memcpy(&m, &one, sizeof m);
  return std::ldexp(m, static_cast<int>(std::clamp<std::int64_t>(e, -2000, 2000)));
}

double relative_error(int scale) {
  double base = std::exp2(std::ldexp(1.0, -scale));
  return (base - 1) / (base + 1);
}

}  // namespace mapping
}  // namespace wlm

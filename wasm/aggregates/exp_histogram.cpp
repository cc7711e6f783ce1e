#include "aggregates/exp_histogram.hpp"

#include <algorithm>
#include <limits>

namespace wlm {

// Downscaling maps bucket index i to i >> d, which for negative indices (values below 1) needs an
// arithmetic right shift: implementation-defined before C++20, true of g++ and clang.
static_assert((-3 >> 1) == -2 && (std::int32_t{-129} >> 7) == -2,
              "arithmetic right shift required");

int ExpHistogram::scale_needed(std::int32_t lo7, std::int32_t hi7, int start_scale) {
  int s = start_scale;
  while (s > kMinScale) {
    int d = kMaxScale - s;
    if ((hi7 >> d) - (lo7 >> d) + 1 <= kMaxBuckets) break;
    --s;
  }
  return s;
}

void ExpHistogram::add(double v, std::uint64_t n) {
  if (n == 0) return;
  if (v == 0) {
    zero_count_ += n;
    return;
  }
  add_new(index_at_max_scale(v), n);
}

void ExpHistogram::add_new(std::int32_t i7, std::uint64_t n) {
  int d = kMaxScale - scale_;
  std::int32_t idx = i7 >> d;
  if (!counts_.empty() && idx >= offset_ &&
      idx < offset_ + static_cast<std::int32_t>(counts_.size())) {
    // The bucket exists, so the value is within the known range.
    if (i7 < min_index7_) min_index7_ = i7;
    if (i7 > max_index7_) max_index7_ = i7;
  } else {
    bool first = max_index7_ < min_index7_;
    std::int32_t lo7 = first ? i7 : std::min(min_index7_, i7);
    std::int32_t hi7 = first ? i7 : std::max(max_index7_, i7);
    int need = scale_needed(lo7, hi7, scale_);
    if (need < scale_) downscale(scale_ - need);
    min_index7_ = lo7;
    max_index7_ = hi7;
    d = kMaxScale - scale_;
    idx = i7 >> d;
    ensure_range(idx, idx);
  }
  std::size_t j = static_cast<std::size_t>(idx - offset_);
  std::uint32_t& c = counts_[j];
  constexpr std::uint64_t kCap = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t before = c;
  c = static_cast<std::uint32_t>(std::min<std::uint64_t>(kCap, c + n));
  blocks_[j >> kBlockBits] += c - before;
}

void ExpHistogram::rebuild_blocks() {
  blocks_.assign((counts_.size() + (std::size_t{1} << kBlockBits) - 1) >> kBlockBits, 0);
  for (std::size_t j = 0; j < counts_.size(); ++j) blocks_[j >> kBlockBits] += counts_[j];
}

void ExpHistogram::ensure_range(std::int32_t lo, std::int32_t hi) {
  if (counts_.empty()) {
    offset_ = lo;
    counts_.assign(static_cast<std::size_t>(hi - lo + 1), 0);
    rebuild_blocks();
    return;
  }
  std::int32_t cur_lo = offset_;
  std::int32_t cur_hi = offset_ + static_cast<std::int32_t>(counts_.size()) - 1;
  if (lo >= cur_lo && hi <= cur_hi) return;
  std::int32_t new_lo = std::min(lo, cur_lo);
  std::int32_t new_hi = std::max(hi, cur_hi);
  // Room to grow into, so that a slowly widening range does not copy on every new bucket.
  std::int32_t span = new_hi - new_lo + 1;
  std::int32_t slack =
      std::min(std::max(kMaxBuckets - span, 0), std::max<std::int32_t>(16, span / 2));
  if (lo < cur_lo && hi > cur_hi) {
    new_lo -= slack / 2;
    new_hi += slack - slack / 2;
  } else if (lo < cur_lo) {
    new_lo -= slack;
  } else {
    new_hi += slack;
  }
  std::vector<std::uint32_t> next(static_cast<std::size_t>(new_hi - new_lo + 1), 0);
  std::copy(counts_.begin(), counts_.end(), next.begin() + (cur_lo - new_lo));
  counts_.swap(next);
  offset_ = new_lo;
  rebuild_blocks();
}

void ExpHistogram::downscale(int by) {
  if (by <= 0) return;
  scale_ -= by;
  if (counts_.empty()) return;
  std::int32_t lo = offset_ >> by;
  std::int32_t hi = (offset_ + static_cast<std::int32_t>(counts_.size()) - 1) >> by;
  std::vector<std::uint32_t> next(static_cast<std::size_t>(hi - lo + 1), 0);
  constexpr std::uint64_t kCap = std::numeric_limits<std::uint32_t>::max();
  for (std::size_t j = 0; j < counts_.size(); ++j) {
    if (!counts_[j]) continue;
    std::int32_t idx = (offset_ + static_cast<std::int32_t>(j)) >> by;
    std::uint32_t& c = next[static_cast<std::size_t>(idx - lo)];
    c = static_cast<std::uint32_t>(std::min<std::uint64_t>(kCap, std::uint64_t{c} + counts_[j]));
  }
  counts_.swap(next);
  offset_ = lo;
  rebuild_blocks();
}

void ExpHistogram::merge(const ExpHistogram& other) {
  zero_count_ += other.zero_count_;
  if (other.max_index7_ < other.min_index7_) return;  // no positive values
  bool first = max_index7_ < min_index7_;
  std::int32_t lo7 = first ? other.min_index7_ : std::min(min_index7_, other.min_index7_);
  std::int32_t hi7 = first ? other.max_index7_ : std::max(max_index7_, other.max_index7_);
  int target = scale_needed(lo7, hi7, std::min(scale_, other.scale_));
  downscale(scale_ - target);
  min_index7_ = lo7;
  max_index7_ = hi7;
  int d = other.scale_ - target;
  int d7 = kMaxScale - target;
  ensure_range(other.min_index7_ >> d7, other.max_index7_ >> d7);
  constexpr std::uint64_t kCap = std::numeric_limits<std::uint32_t>::max();
  for (std::size_t j = 0; j < other.counts_.size(); ++j) {
    if (!other.counts_[j]) continue;
    std::int32_t idx = (other.offset_ + static_cast<std::int32_t>(j)) >> d;
    std::size_t k = static_cast<std::size_t>(idx - offset_);
    std::uint32_t& c = counts_[k];
    std::uint32_t before = c;
    c = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(kCap, std::uint64_t{c} + other.counts_[j]));
    blocks_[k >> kBlockBits] += c - before;
  }
}

void ExpHistogram::clear() { *this = ExpHistogram(); }

std::uint64_t ExpHistogram::total() const {
  std::uint64_t t = zero_count_;
  for (auto c : counts_) t += c;
  return t;
}

double ExpHistogram::value_at_rank(std::uint64_t rank) const {
  if (rank <= zero_count_) return 0.0;
  // Whole blocks first, from the nearer end (high quantiles are near the top), then the
  // buckets of the block that holds the rank.
  std::uint64_t total = zero_count_;
  for (auto c : blocks_) total += c;
  std::uint64_t seen = zero_count_;
  std::size_t b = 0;
  if (rank > total / 2 && !blocks_.empty()) {
    b = blocks_.size() - 1;
    seen = total - blocks_[b];  // values below block b
    while (b > 0 && seen >= rank) seen -= blocks_[--b];
  } else {
    for (; b < blocks_.size() && seen + blocks_[b] < rank; ++b) seen += blocks_[b];
  }
  for (std::size_t j = b << kBlockBits; j < counts_.size(); ++j) {
    seen += counts_[j];
    if (seen >= rank) {
      std::int32_t idx = offset_ + static_cast<std::int32_t>(j);
      double lo = lower_bound(idx);
      double hi = upper_bound(idx);
      return 2 * lo * hi / (lo + hi);
    }
  }
  return counts_.empty() ? 0.0
                         : upper_bound(offset_ + static_cast<std::int32_t>(counts_.size()) - 1);
}

std::size_t ExpHistogram::memory_bytes() const {
  return sizeof(*this) + counts_.capacity() * sizeof(std::uint32_t) +
         blocks_.capacity() * sizeof(std::uint64_t);
}

}  // namespace wlm

#include "series.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "json_io.hpp"

namespace wlm {
namespace {

// Downscaling maps bucket index i to i >> d, which for negative indices (values below 1) needs an
// arithmetic right shift: implementation-defined before C++20, true of g++ and clang.
static_assert((-3 >> 1) == -2 && (std::int32_t{-129} >> 7) == -2, "arithmetic right shift required");

constexpr std::uint64_t kMantissaMask = (1ull << 52) - 1;
constexpr int kSubBuckets = 1 << ExpHistogram::kMaxScale;  // 128 buckets per octave
constexpr int kSlotBits = 10;                              // 1024 slots over [1, 2)
constexpr int kSlotShift = 52 - kSlotBits;

std::uint64_t bits_of(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// Boundaries 2^(k/128) as 52-bit mantissas, and for each of 1024 equal slots of the mantissa
/// the bucket of the slot's smallest mantissa. A slot (width 2^-10) is narrower than the
/// narrowest bucket (2^(1/128) - 1 = 0.0054), so it straddles at most one boundary and a single
/// comparison finishes the lookup.
struct IndexTable {
  std::uint64_t bound[kSubBuckets + 1];
  std::uint8_t slot[1 << kSlotBits];
  IndexTable() {
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
};
const IndexTable kTable;

}  // namespace

std::uint64_t nearest_rank(double q, std::uint64_t n) {
  if (n == 0) return 0;
  // The small epsilon keeps q*n that should be whole (0.99 * 1e6) from rounding up past it.
  double r = std::ceil(q * static_cast<double>(n) - 1e-9);
  if (r < 1) return 1;
  if (r > static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(r);
}

// ---------------------------------------------------------------------------------------------
// ExpHistogram

std::int32_t ExpHistogram::index_at_max_scale(double v) {
  std::uint64_t b = bits_of(v);
  int biased = static_cast<int>((b >> 52) & 0x7ff);
  std::uint64_t mant = b & kMantissaMask;
  if (biased == 0) {  // subnormal: rare enough for the slow path
    return static_cast<std::int32_t>(std::ceil(std::log2(v) * kSubBuckets)) - 1;
  }
  std::int32_t e = biased - 1023;
  if (mant == 0) return e * kSubBuckets - 1;  // exact powers of two close their bucket
  int k = kTable.slot[mant >> kSlotShift];
  if (mant > kTable.bound[k + 1]) ++k;
  return e * kSubBuckets + k;
}

int ExpHistogram::scale_needed(std::int32_t lo7, std::int32_t hi7, int start_scale) {
  int s = start_scale;
  while (s > kMinScale) {
    int d = kMaxScale - s;
    if ((hi7 >> d) - (lo7 >> d) + 1 <= kMaxBuckets) break;
    --s;
  }
  return s;
}

void ExpHistogram::add_one(double v) {
  if (v > 0) {
    std::int32_t i7 = index_at_max_scale(v);
    std::int32_t idx = i7 >> (kMaxScale - scale_);
    std::size_t j = static_cast<std::size_t>(idx - offset_);
    if (!counts_.empty() && idx >= offset_ && j < counts_.size()) {
      // Hot path: the bucket exists. Counts saturate rather than wrap.
      if (i7 < min_index7_) min_index7_ = i7;
      if (i7 > max_index7_) max_index7_ = i7;
      std::uint32_t& c = counts_[j];
      std::uint32_t inc = c != std::numeric_limits<std::uint32_t>::max();
      c += inc;
      blocks_[j >> kBlockBits] += inc;
      return;
    }
  }
  add(v, 1);
}

void ExpHistogram::add(double v, std::uint64_t n) {
  if (n == 0) return;
  if (v == 0) {
    zero_count_ += n;
    return;
  }
  std::int32_t i7 = index_at_max_scale(v);
  int d = kMaxScale - scale_;
  std::int32_t idx = i7 >> d;
  if (!counts_.empty() && idx >= offset_ &&
      idx < offset_ + static_cast<std::int32_t>(counts_.size())) {
    // Hot path: the bucket exists, so the value is within the known range.
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
  std::int32_t slack = std::min(std::max(kMaxBuckets - span, 0), std::max<std::int32_t>(16, span / 2));
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
    c = static_cast<std::uint32_t>(std::min<std::uint64_t>(kCap, std::uint64_t{c} + other.counts_[j]));
    blocks_[k >> kBlockBits] += c - before;
  }
}

void ExpHistogram::clear() { *this = ExpHistogram(); }

std::uint64_t ExpHistogram::total() const {
  std::uint64_t t = zero_count_;
  for (auto c : counts_) t += c;
  return t;
}

double ExpHistogram::lower_bound(std::int32_t index) const {
  // 2^(index / 2^scale) from the boundary table that index_at_max_scale() uses, so that bounds
  // and bucket indices agree to the bit (and no exp2() call per query).
  std::int64_t i7 = static_cast<std::int64_t>(index) * (std::int64_t{1} << (kMaxScale - scale_));
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

double ExpHistogram::upper_bound(std::int32_t index) const { return lower_bound(index + 1); }

double ExpHistogram::relative_error() const {
  double base = std::exp2(std::ldexp(1.0, -scale_));
  return (base - 1) / (base + 1);
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
  return counts_.empty() ? 0.0 : upper_bound(offset_ + static_cast<std::int32_t>(counts_.size()) - 1);
}

std::size_t ExpHistogram::memory_bytes() const {
  return sizeof(*this) + counts_.capacity() * sizeof(std::uint32_t) +
         blocks_.capacity() * sizeof(std::uint64_t);
}

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
      return Status::error(jsonio::child(cpath, j),
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
        (h.scale_ < kMaxScale && scale_needed(static_cast<std::int32_t>(lo),
                                              static_cast<std::int32_t>(hi), kMaxScale) != h.scale_))
      return Status::error(rpath, fmt::format("{}: {} does not match the scale and buckets", rpath,
                                              jsonio::dump(*range)));
    h.min_index7_ = static_cast<std::int32_t>(lo);
    h.max_index7_ = static_cast<std::int32_t>(hi);
  }
  h.rebuild_blocks();
  *this = std::move(h);
  return Status::success();
}

// ---------------------------------------------------------------------------------------------
// Series

const char* bucket_unit(Unit u) {
  switch (u) {
    case Unit::milliseconds: return "s";
    case Unit::tokens: return "{token}";
    case Unit::tokens_per_second: return "{token}/s";
    case Unit::plain: break;
  }
  return "1";
}

void Series::add(double v) {
  ++count_;
  sum_ += v;
  if (count_ == 1) {
    min_ = max_ = v;
  } else {
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  if (count_ <= kExactLimit) {
    exact_.push_back(v);
  } else if (count_ == kExactLimit + 1) {
    std::vector<double>().swap(exact_);
  }
  add_to_histogram(v);
}

void Series::add_many(const double* values, std::size_t n) {
  add_valid(values, n, std::numeric_limits<double>::infinity());
}

std::size_t Series::add_valid(const double* values, std::size_t n, double max) {
  std::size_t i = 0;
  for (; i < n && count_ <= kExactLimit; ++i) {
    double v = values[i];
    if (!(v >= 0 && v <= max)) return i;
    add(v);
  }
  // Past the exact phase: no per-value branch on the exact buffer, nor on the unit.
  double sum = 0, lo = min_, hi = max_;
  std::size_t start = i;
  auto run = [&](auto to_bucket_unit) {
    for (; i < n; ++i) {
      double v = values[i];
      if (!(v >= 0 && v <= max)) break;  // NaN fails both comparisons
      sum += v;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
      hist_.add_one(to_bucket_unit(v));
    }
  };
  if (unit_ == Unit::milliseconds) {
    run([](double v) { return v / 1000.0; });
  } else {
    run([](double v) { return v; });
  }
  count_ += i - start;
  sum_ += sum;
  min_ = lo;
  max_ = hi;
  return i;
}

void Series::merge(const Series& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
  if (count_ <= kExactLimit) {
    exact_.insert(exact_.end(), other.exact_.begin(), other.exact_.end());
  } else {
    std::vector<double>().swap(exact_);
  }
  hist_.merge(other.hist_);
}

void Series::clear() { *this = Series(unit_); }

double Series::quantile(double q) const {
  if (count_ == 0) return std::nan("");
  if (!exact()) return histogram_quantile(q);
  std::uint64_t rank = nearest_rank(q, count_);
  std::vector<double> sorted(exact_);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                   sorted.end());
  return sorted[rank - 1];
}

double Series::histogram_quantile(double q) const {
  if (count_ == 0) return std::nan("");
  double v = hist_.value_at_rank(nearest_rank(q, count_)) * bucket_divisor(unit_);
  return std::clamp(v, min_, max_);
}

std::size_t Series::memory_bytes() const {
  return sizeof(*this) - sizeof(ExpHistogram) + hist_.memory_bytes() +
         exact_.capacity() * sizeof(double);
}

json Series::summary() const {
  json out = json::object();
  out["count"] = count_;
  if (count_ == 0) {
    for (const char* k : {"min", "max", "mean"}) out[k] = nullptr;
    for (const char* k : kQuantileKeys) out[k] = nullptr;
    return out;
  }
  out["min"] = min_;
  out["max"] = max_;
  out["mean"] = sum_ / static_cast<double>(count_);
  if (exact()) {
    std::vector<double> sorted(exact_);
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < kQuantileCount; ++i)
      out[kQuantileKeys[i]] = sorted[nearest_rank(kQuantiles[i], count_) - 1];
  } else {
    for (int i = 0; i < kQuantileCount; ++i) out[kQuantileKeys[i]] = quantile(kQuantiles[i]);
  }
  return out;
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
  bool saturated = std::find(counts.begin(), counts.end(), std::numeric_limits<std::uint32_t>::max()) !=
                   counts.end();
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

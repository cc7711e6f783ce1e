#include "aggregates/series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wlm {

std::uint64_t nearest_rank(double q, std::uint64_t n) {
  if (n == 0) return 0;
  // The small epsilon keeps q*n that should be whole (0.99 * 1e6) from rounding up past it.
  double r = std::ceil(q * static_cast<double>(n) - 1e-9);
  if (r < 1) return 1;
  if (r > static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(r);
}

const char* bucket_unit(Unit u) {
  switch (u) {
    case Unit::milliseconds: return "s";
    case Unit::tokens: return "{token}";
    case Unit::tokens_per_second: return "{token}/s";
    case Unit::plain: break;
  }
  return "1";
}

void PreparedList::prepare(const double* v, std::size_t count, Unit u) {
  values = v;
  n = count;
  i7.resize(count);
  positive = true;
  double total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    double b = in_bucket_unit(v[i], u);
    positive = positive && b > 0;
    i7[i] = b > 0 ? mapping::index_at_max_scale(b) : 0;
    total += v[i];
    if (i == 0) {
      lo = hi = v[i];
    } else {
      lo = v[i] < lo ? v[i] : lo;
      hi = v[i] > hi ? v[i] : hi;
    }
  }
  sum = total;
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
  const double divisor = bucket_divisor(unit_);  // in_bucket_unit(v, unit_) is v / divisor
  std::size_t start = i;
  for (; i < n; ++i) {
    double v = values[i];
    if (!(v >= 0 && v <= max)) break;  // NaN fails both comparisons
    sum += v;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    hist_.add_one(v / divisor);
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

}  // namespace wlm

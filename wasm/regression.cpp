// Regression detection: the tests, Holm's adjustment and the selection of metrics (see the header).
#include "regression.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "description.hpp"
#include "monitor.hpp"

namespace wlm {
namespace regression {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;

/// erfc with fractional error < 1.2e-7 everywhere (the Chebyshev fit of Numerical Recipes).
double erfc_fit(double x) {
  double z = std::fabs(x);
  double t = 1 / (1 + 0.5 * z);
  // clang-format off: the fit's nested polynomial, one coefficient a line
  double r =
      t *
      std::exp(
          -z * z - 1.26551223 +
          t * (1.00002368 +
               t * (0.37409196 +
                    t * (0.09678418 +
                         t * (-0.18628806 +
                              t * (0.27886807 + t * (-1.13520398 +
                                                     t * (1.48851587 + t * (-0.82215223 +
                                                                            t * 0.17087277)))))))));
  // clang-format on
  return x >= 0 ? r : 2 - r;
}

double sign(double v) { return v > 0 ? 1 : v < 0 ? -1 : 0; }

const char* const kOptionKeys = "alpha, threshold, thresholds, minCount, byType, correction";

Status option_number(const json& v, const std::string& path, double& out, double lo, double hi,
                     bool open_lo, bool open_hi) {
  if (!v.is_number())
    return Status::error(path,
                         fmt::format("{}: expected a number, got {}", path, jsonio::describe(v)));
  double d = v.get<double>();
  bool ok = std::isfinite(d) && (open_lo ? d > lo : d >= lo) && (open_hi ? d < hi : d <= hi);
  if (!ok)
    return Status::error(
        path, fmt::format("{}: expected a number in {}{}, {}{}, got {}", path, open_lo ? "(" : "[",
                          lo, hi, open_hi ? ")" : "]", jsonio::dump(v)));
  out = d;
  return Status::success();
}

constexpr double kMaxThreshold = 1e9;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options

Status Options::read(const json& in, const std::string& path) {
  if (!in.is_object())
    return Status::error(path,
                         fmt::format("{}: expected an object, got {}", path, jsonio::describe(in)));
  Options o = *this;
  for (const auto& [key, v] : in.items()) {
    std::string p = jsonio::child(path, key);
    if (v.is_null()) continue;  // the default
    if (key == "alpha") {
      WLM_TRY(option_number(v, p, o.alpha, 0, 1, true, true));
    } else if (key == "threshold") {
      WLM_TRY(option_number(v, p, o.threshold, 0, kMaxThreshold, false, false));
    } else if (key == "thresholds") {
      if (!v.is_object())
        return Status::error(
            p, fmt::format("{}: expected an object of thresholds by metric path, got {}", p,
                           jsonio::describe(v)));
      for (const auto& [metric, t] : v.items()) {
        double d = 0;
        WLM_TRY(option_number(t, jsonio::child(p, metric), d, 0, kMaxThreshold, false, false));
        o.thresholds[metric] = d;
      }
    } else if (key == "minCount") {
      std::uint64_t n = 0;
      WLM_TRY(jsonio::count_value(v, p, n));
      if (n < 1) return Status::error(p, fmt::format("{}: expected a whole number >= 1, got 0", p));
      o.min_count = n;
    } else if (key == "byType") {
      if (!v.is_boolean())
        return Status::error(
            p, fmt::format("{}: expected true or false, got {}", p, jsonio::describe(v)));
      o.by_type = v.get<bool>();
    } else if (key == "correction") {
      if (v != "holm" && v != "none")
        return Status::error(
            p, fmt::format("{}: expected \"holm\" or \"none\", got {}", p, jsonio::describe(v)));
      o.holm = v == "holm";
    } else {
      return Status::error(p,
                           fmt::format("{}: unknown option (the options are {})", p, kOptionKeys));
    }
  }
  *this = std::move(o);
  return Status::success();
}

json Options::defaults_json() const {
  Options d;
  return json{{"alpha", d.alpha},
              {"threshold", d.threshold},
              {"errorRate", d.error_rate_threshold},
              {"hitRate", d.hit_rate_threshold},
              {"minCount", d.min_count}};
}

double Options::threshold_for(const std::string& path, double fallback) const {
  if (thresholds.empty()) return fallback;
  auto strip = [](const std::string& s, const std::string& prefix, bool through_key) {
    if (s.compare(0, prefix.size(), prefix) != 0) return s;
    std::size_t from = prefix.size();
    if (through_key) {
      std::size_t dot = s.find('.', from);
      // "generations.byType.<type>." needs a type of at least one character before its dot.
      if (dot == std::string::npos || dot == from) return s;
      from = dot + 1;
    }
    return s.substr(from);
  };
  for (const std::string& c :
       {path, strip(path, "generations.", false), strip(path, "generations.byType.", true)}) {
    auto it = thresholds.find(c);
    if (it != thresholds.end()) return it->second;
  }
  return fallback;
}

// ---------------------------------------------------------------------------------------------
// Samples

Points exact_points(const Series& s) {
  std::vector<double> v = s.exact_values();
  std::sort(v.begin(), v.end());
  Points out;
  for (double x : v) {
    if (!out.empty() && out.back().key == x)
      out.back().n += 1;
    else
      out.push_back({x, 1});
  }
  return out;
}

Points histogram_points(const ExpHistogram& h, int scale) {
  int shift = h.scale() - scale;
  Points out;
  if (h.zero_count() > 0) out.push_back({-INFINITY, static_cast<double>(h.zero_count())});
  const auto& counts = h.counts();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    std::int32_t index = h.offset() + static_cast<std::int32_t>(i);
    // An arithmetic shift: floor(index / 2^shift), the bucket at the coarser scale.
    double key = static_cast<double>(shift > 0 ? index >> shift : index);
    if (!out.empty() && out.back().key == key)
      out.back().n += counts[i];
    else
      out.push_back({key, static_cast<double>(counts[i])});
  }
  return out;
}

Samples comparable_samples(const Series& a, const Series& b) {
  Samples s;
  if (a.exact() && b.exact()) {
    s.exact = true;
    s.a = exact_points(a);
    s.b = exact_points(b);
    return s;
  }
  s.scale = std::min(a.histogram().scale(), b.histogram().scale());
  s.a = histogram_points(a.histogram(), s.scale);
  s.b = histogram_points(b.histogram(), s.scale);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Tests

double normal_upper_tail(double z) {
  if (std::isnan(z)) return NAN;
  return 0.5 * erfc_fit(z / kSqrt2);
}

UTest mann_whitney(const Points& a, const Points& b, Direction d, double effective_a,
                   double effective_b) {
  UTest r;
  for (const Point& p : a) r.n1 += p.n;
  for (const Point& p : b) r.n2 += p.n;
  const double n1 = r.n1, n2 = r.n2, N = n1 + n2;
  // Both lists are sorted: walk the union of their keys in order, with midranks for ties.
  double below = 0, r2 = 0, tie_sum = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    double key = j == b.size() || (i < a.size() && a[i].key < b[j].key) ? a[i].key : b[j].key;
    double c1 = 0, c2 = 0;
    if (i < a.size() && a[i].key == key) c1 = a[i++].n;
    if (j < b.size() && b[j].key == key) c2 = b[j++].n;
    double t = c1 + c2;
    double midrank = below + (t + 1) / 2;
    r2 += c2 * midrank;
    tie_sum += t * t * t - t;
    below += t;
  }
  r.u = r2 - (n2 * (n2 + 1)) / 2;  // pairs (a, b) with b > a, ties counting 1/2
  r.auc = r.u / (n1 * n2);
  double mean = (n1 * n2) / 2;
  double variance = ((n1 * n2) / 12) * (N + 1 - tie_sum / (N * (N - 1)));
  double diff = d == Direction::greater ? r.u - mean : mean - r.u;
  diff = std::max(0.0, std::fabs(diff) - 0.5) * sign(diff);
  double z = variance > 0 ? diff / std::sqrt(variance) : 0;
  if (effective_a < n1 || effective_b < n2) {
    // z = (AUC - 1/2) * sqrt(12 n1 n2 / (N + 1)) without ties: rescale to the independent units.
    double m1 = std::min(effective_a, n1), m2 = std::min(effective_b, n2);
    z *= std::sqrt((m1 * m2 * (n1 + n2 + 1)) / (n1 * n2 * (m1 + m2 + 1)));
  }
  if (variance <= 0) return r;  // z 0, p 1
  r.z = z;
  r.p = normal_upper_tail(z);
  return r;
}

ZTest two_proportion(double x1, double n1, double x2, double n2, Direction d) {
  double p1 = x1 / n1, p2 = x2 / n2;
  double pooled = (x1 + x2) / (n1 + n2);
  double se = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return {};
  double z = (d == Direction::greater ? p2 - p1 : p1 - p2) / se;
  return {z, normal_upper_tail(z)};
}

std::vector<double> holm(const std::vector<double>& raw) {
  std::vector<std::size_t> order(raw.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return raw[x] < raw[y]; });
  std::vector<double> out(raw.size());
  double running = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    running =
        std::max(running, std::min(1.0, static_cast<double>(order.size() - k) * raw[order[k]]));
    out[order[k]] = running;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The comparison

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::no_data: return "noData";
    case Verdict::not_enough_data: return "notEnoughData";
    case Verdict::no_change: return "noChange";
    case Verdict::improvement: return "improvement";
    case Verdict::within_threshold: return "withinThreshold";
    case Verdict::not_significant: return "notSignificant";
    case Verdict::regression: return "regression";
  }
  return "noData";
}

namespace {

using description::SeriesInfo;
using description::Where;

/// The generation series compared per group, in the findings' order (that of the recorded
/// results, tests/cli/fixtures/regression-expected.json); the description gives each its unit,
/// its worse direction and whether it is clustered (many values per generation).
// clang-format off
constexpr std::string_view kCompared[] = {
    "latencyMs",
    "ttftMs",
    "timePerOutputTokenMs",
    "chunkGapMs",
    "decodeTokensPerSec",
    "prefillTokensPerSec",
};
// clang-format on

/// True when kCompared holds every generation series of the description, each once.
constexpr bool compares_every_series() {
  if (std::size(kCompared) != description::count(Where::generation)) return false;
  for (std::size_t i = 0; i < std::size(kCompared); ++i) {
    if (!description::has(Where::generation, kCompared[i])) return false;
    for (std::size_t j = 0; j < i; ++j)
      if (kCompared[j] == kCompared[i]) return false;
  }
  return true;
}
static_assert(compares_every_series(),
              "kCompared must name every generation series of the description once");

/// True when every unit of the description is a whole C string (Finding::unit keeps a pointer).
constexpr bool units_are_c_strings() {
  for (const SeriesInfo& s : description::kSeries)
    if (s.unit.data()[s.unit.size()] != '\0') return false;
  return true;
}
static_assert(units_are_c_strings(), "the description's units must be string literals");

constexpr const SeriesInfo& kLoadMs = *description::find(Where::load, "loadMs");

class Comparison {
 public:
  explicit Comparison(const Options& o) { result_.options = o; }

  /// Findings of one series at p50, p95 and (both counts >= 100) p99, or at p50 only.
  void percentiles(const std::string& prefix, const Series& a, const Series& b,
                   const SeriesInfo& info, bool p50_only, std::uint64_t units_a = UINT64_MAX,
                   std::uint64_t units_b = UINT64_MAX) {
    bool higher_is_worse = info.worse == description::Worse::higher;
    if (a.count() == 0 && b.count() == 0) return;
    const Options& o = result_.options;
    std::uint64_t na = std::min(a.count(), units_a), nb = std::min(b.count(), units_b);
    bool enough = na >= o.min_count && nb >= o.min_count;
    int test = -1;
    std::string basis;
    if (enough) {
      Samples s = comparable_samples(a, b);
      basis = s.exact ? std::string("exact") : fmt::format("histogram scale {}", s.scale);
      double ea = units_a == UINT64_MAX ? INFINITY : static_cast<double>(units_a);
      double eb = units_b == UINT64_MAX ? INFINITY : static_cast<double>(units_b);
      test = add_test(
          mann_whitney(s.a, s.b, higher_is_worse ? Direction::greater : Direction::less, ea, eb).p);
    }
    int last = p50_only ? 0 : a.count() >= 100 && b.count() >= 100 ? 3 : 2;
    for (int qi : {0, 2, 3}) {
      if (qi > last) break;
      Finding f;
      f.quantile = kQuantileKeys[qi];
      f.metric = prefix + "." + f.quantile;
      f.unit = info.unit.data();
      f.higher_is_worse = higher_is_worse;
      f.relative = true;
      f.baseline = a.count() ? a.quantile(kQuantiles[qi]) : NAN;
      f.current = b.count() ? b.quantile(kQuantiles[qi]) : NAN;
      f.threshold = o.threshold_for(f.metric, o.threshold);
      f.counts[0] = na;
      f.counts[1] = nb;
      f.enough = enough;
      f.basis = basis;
      f.test = test;
      result_.findings.push_back(std::move(f));
    }
  }

  /// A rate x/n on each side, tested with the two-proportion test.
  void rate(const std::string& metric, std::uint64_t xa, std::uint64_t na, std::uint64_t xb,
            std::uint64_t nb, bool higher_is_worse, double threshold) {
    if (na == 0 && nb == 0) return;
    const Options& o = result_.options;
    Finding f;
    f.metric = metric;
    f.unit = "rate";
    f.higher_is_worse = higher_is_worse;
    f.relative = false;
    f.baseline = na ? static_cast<double>(xa) / static_cast<double>(na) : NAN;
    f.current = nb ? static_cast<double>(xb) / static_cast<double>(nb) : NAN;
    f.threshold = o.threshold_for(metric, threshold);
    f.counts[0] = na;
    f.counts[1] = nb;
    f.enough = na >= o.min_count && nb >= o.min_count;
    f.basis = "two-proportion z-test";
    if (f.enough)
      f.test = add_test(two_proportion(static_cast<double>(xa), static_cast<double>(na),
                                       static_cast<double>(xb), static_cast<double>(nb),
                                       higher_is_worse ? Direction::greater : Direction::less)
                            .p);
    result_.findings.push_back(std::move(f));
  }

  /// Every series and the error rate of a generation group.
  void group(const std::string& prefix, const GenerationStats& a, const GenerationStats& b) {
    for (std::string_view name : kCompared) {
      const SeriesInfo& s = *description::find(Where::generation, name);
      std::string key(name);
      std::uint64_t ua = s.clustered ? a.total : UINT64_MAX,
                    ub = s.clustered ? b.total : UINT64_MAX;
      percentiles(prefix + "." + key, *a.series(key), *b.series(key), s, false, ua, ub);
    }
    rate(prefix + ".errorRate", a.failed, a.total, b.failed, b.total, true,
         result_.options.error_rate_threshold);
  }

  /// Adjusts the p-values and gives each finding its verdict.
  Result finish() {
    Result& r = result_;
    r.adjusted = r.options.holm ? holm(r.raw) : r.raw;
    for (Finding& f : r.findings) {
      if (f.test >= 0) {
        f.raw_p = r.raw[static_cast<std::size_t>(f.test)];
        f.p = r.adjusted[static_cast<std::size_t>(f.test)];
      }
      f.verdict = verdict(f, r.options.alpha);
      if (f.verdict == Verdict::regression) ++r.regressions;
    }
    return std::move(r);
  }

 private:
  int add_test(double p) {
    result_.raw.push_back(p);
    return static_cast<int>(result_.raw.size() - 1);
  }

  static Verdict verdict(Finding& f, double alpha) {
    if (std::isnan(f.baseline) || std::isnan(f.current)) return Verdict::no_data;
    f.absolute_change = f.current - f.baseline;
    f.relative_change = f.baseline != 0  ? f.absolute_change / std::fabs(f.baseline)
                        : f.current == 0 ? 0
                                         : NAN;
    double change = f.relative ? f.relative_change : f.absolute_change;
    double worse = f.higher_is_worse ? 1 : -1;
    bool beyond = std::isnan(change) ? worse * f.absolute_change > 0 : worse * change > f.threshold;
    if (!f.enough) return Verdict::not_enough_data;
    if (worse * f.absolute_change <= 0)
      return f.absolute_change == 0 ? Verdict::no_change : Verdict::improvement;
    if (!beyond) return Verdict::within_threshold;
    if (!(f.p < alpha)) return Verdict::not_significant;
    return Verdict::regression;
  }

  Result result_;
};

HitMiss all_caches(const SessionState& s) {
  HitMiss all;
  for (const auto& [name, hm] : s.cache.items) all.merge(hm);
  return all;
}

}  // namespace

Result compare(const SessionState& a, const SessionState& b, const Options& o) {
  Comparison c(o);
  c.group("generations", a.generations, b.generations);
  if (o.by_type && (a.by_type.items.size() > 1 || b.by_type.items.size() > 1)) {
    for (const auto& [type, ga] : a.by_type.items) {
      auto it = b.by_type.items.find(type);
      if (it == b.by_type.items.end()) continue;
      if (ga.latency_ms.count() < o.min_count || it->second.latency_ms.count() < o.min_count)
        continue;
      c.group("generations.byType." + type, ga, it->second);
    }
  }
  HitMiss ca = all_caches(a), cb = all_caches(b);
  c.rate("cache.hitRate", ca.hits, ca.hits + ca.misses, cb.hits, cb.hits + cb.misses, false,
         o.hit_rate_threshold);
  c.percentiles("initialization." + std::string(kLoadMs.name), a.load_ms, b.load_ms, kLoadMs, true);
  return c.finish();
}

json Finding::to_json() const {
  using jsonio::number_or_null;
  return json{{"metric", metric},
              {"quantile", quantile.empty() ? json(nullptr) : json(quantile)},
              {"unit", unit},
              {"worse", higher_is_worse ? "higher" : "lower"},
              {"relative", relative},
              {"baseline", number_or_null(baseline)},
              {"current", number_or_null(current)},
              {"relativeChange", number_or_null(relative_change)},
              {"absoluteChange", number_or_null(absolute_change)},
              {"threshold", threshold},
              {"counts", {counts[0], counts[1]}},
              {"enough", enough},
              {"basis", basis.empty() ? json(nullptr) : json(basis)},
              {"pValue", number_or_null(p)},
              {"rawPValue", number_or_null(raw_p)},
              {"verdict", to_string(verdict)},
              {"regression", verdict == Verdict::regression}};
}

json Result::to_json() const {
  json list = json::array();
  for (const Finding& f : findings) list.push_back(f.to_json());
  return json{{"findings", std::move(list)},
              {"regressions", regressions},
              {"tests", raw.size()},
              {"alpha", options.alpha},
              {"correction", options.holm ? "holm" : "none"}};
}

Status compare_exports(const std::string& baseline, const std::string& current,
                       const std::string& options_json, Result& out, std::string& document) {
  document.clear();
  Options o;
  json options;
  if (Status s = jsonio::parse(options_json, options); !s)
    return Status::error("options", fmt::format("options: {}", s.message));
  WLM_TRY(o.read(options, "options"));
  Monitor sides[2];
  const std::string* texts[2] = {&baseline, &current};
  const char* names[2] = {"baseline", "current"};
  for (int i = 0; i < 2; ++i) {
    if (Status s = sides[i].import_json(*texts[i]); !s) {
      document = names[i];
      return Status::error(s.field, fmt::format("{}: {}", names[i], s.message));
    }
  }
  out = compare(sides[0].state(), sides[1].state(), o);
  return Status::success();
}

}  // namespace regression
}  // namespace wlm

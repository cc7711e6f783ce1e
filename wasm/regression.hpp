// Regression detection between two sessions: a before/after comparison of the key percentiles
// and rates in which a change counts as a regression only when it is BOTH larger than a
// per-metric threshold in the bad direction AND unlikely to be noise according to a one-sided
// test on the two distributions.
//
// - Percentiles (latency, TTFT, per-token time, chunk gaps, decode/prefill tokens/s, model load
//   time p50): Mann-Whitney U, one-sided, normal approximation with the tie correction and a
//   continuity correction of 0.5, on the exact values when both series still hold them, else on
//   both histograms brought to the coarser of their scales (values in one bucket are ties).
// - Chunk gaps come many per generation and are not independent: their test keeps the U
//   statistic of all gaps but takes its variance from the generation counts.
// - Rates (errorRate, cache hitRate): the one-sided pooled two-proportion z-test.
// - Holm's step-down adjustment over the tests of one comparison (one per series or rate, shared
//   by its percentiles), so that alpha bounds the chance of any false alarm in a comparison.
// - A side with fewer than minCount values: not tested, never a regression.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aggregates/series.hpp"
#include "aggregates/session_state.hpp"
#include "json_io.hpp"

namespace wlm {
namespace regression {

/// What a comparison tests against, with the defaults of the CLI.
struct Options {
  double alpha = 0.01;                       // significance level of the one-sided tests
  double threshold = 0.1;                    // relative change of a percentile (fraction)
  double error_rate_threshold = 0.05;        // absolute change of errorRate
  double hit_rate_threshold = 0.05;          // absolute change of cache hitRate
  std::map<std::string, double> thresholds;  // by metric path, see threshold_for()
  std::uint64_t min_count = 10;              // fewer values on a side: not tested
  bool by_type = true;                       // findings per request type when there are several
  bool holm = true;                          // Holm's adjustment ("holm"), or none ("none")

  /// Reads {alpha, threshold, thresholds, minCount, byType, correction} over the defaults;
  /// null means the default; unknown keys are refused.
  Status read(const json& in, const std::string& path);
  /// The defaults as the JS side shows them: {alpha, threshold, errorRate, hitRate, minCount}.
  json defaults_json() const;
  /// The threshold of a metric path: thresholds[path], else without "generations.", else
  /// without "generations.byType.<type>.", else `fallback`.
  double threshold_for(const std::string& path, double fallback) const;
};

/// A value with its multiplicity; points are sorted by key, keys distinct.
struct Point {
  double key;
  double n;
};
using Points = std::vector<Point>;

/// The exact values of a series as points.
Points exact_points(const Series& s);
/// A histogram's buckets at `scale` (<= its own) as points keyed by bucket index; zeros first
/// with key -infinity.
Points histogram_points(const ExpHistogram& h, int scale);

/// Two series as comparable samples: exact values when both have them, else both histograms at
/// the coarser of their scales.
struct Samples {
  bool exact = false;
  int scale = 0;  // when !exact
  Points a, b;
};
Samples comparable_samples(const Series& a, const Series& b);

enum class Direction { greater, less };

/// A one-sided Mann-Whitney U test of "b is stochastically larger (greater) / smaller (less)
/// than a". `u` counts pairs with b > a (ties 1/2); auc = u / (n1 n2).
struct UTest {
  double u = 0, auc = 0, z = 0, p = 1, n1 = 0, n2 = 0;
};
/// `effective_a`/`_b` replace the sample sizes in the variance when smaller (clustered data).
UTest mann_whitney(const Points& a, const Points& b, Direction d, double effective_a = INFINITY,
                   double effective_b = INFINITY);

struct ZTest {
  double z = 0, p = 1;
};
/// One-sided pooled two-proportion z-test of "x2/n2 > x1/n1" (greater) or "<" (less).
ZTest two_proportion(double x1, double n1, double x2, double n2, Direction d);

/// P(Z > z) for a standard normal Z (fractional error < 1.2e-7).
double normal_upper_tail(double z);

/// Holm's step-down adjusted p-values, in the order of `raw`.
std::vector<double> holm(const std::vector<double>& raw);

enum class Verdict {
  no_data,           // one side has no value
  not_enough_data,   // fewer than minCount values: not tested
  no_change,         // equal values
  improvement,       // changed in the good direction
  within_threshold,  // worse, but not beyond the threshold
  not_significant,   // worse beyond the threshold, p >= alpha
  regression,        // worse beyond the threshold and p < alpha
};
const char* to_string(Verdict v);

/// One compared metric.
struct Finding {
  std::string metric;     // "generations.ttftMs.p95", "cache.hitRate", ...
  std::string quantile;   // "p50", "p95", "p99"; empty for rates
  const char* unit = "";  // "ms", "tokens/s", "rate"
  bool higher_is_worse = true;
  bool relative = true;  // the threshold is a relative change (percentiles), else absolute
  double baseline = NAN, current = NAN;
  double relative_change = NAN, absolute_change = NAN;  // NaN: none
  double threshold = 0;
  std::uint64_t counts[2] = {0, 0};  // values (independent units) on each side
  bool enough = false;
  std::string basis;  // "exact", "histogram scale N", "two-proportion z-test"; "" untested
  int test = -1;      // index into Result::raw / adjusted; -1 untested
  double raw_p = NAN, p = NAN;
  Verdict verdict = Verdict::no_data;
  json to_json() const;
};

struct Result {
  std::vector<Finding> findings;
  std::vector<double> raw, adjusted;  // one per test
  std::size_t regressions = 0;
  Options options;
  json to_json() const;
};

/// Compares two sessions (imported exports): every finding with its test and verdict.
Result compare(const SessionState& baseline, const SessionState& current, const Options& o);

/// compare() of two export texts (read as importJson reads them) under options JSON. On error
/// `document` is "baseline", "current" or "" (the options), and the message starts with it.
Status compare_exports(const std::string& baseline, const std::string& current,
                       const std::string& options_json, Result& out, std::string& document);

}  // namespace regression
}  // namespace wlm

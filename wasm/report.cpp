// The plain-text report: a pure function of an export document, so that a live monitor and an
// exported file print the same tables.
#include "report.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "description.hpp"

namespace wlm {
namespace {

const json kNull = nullptr;

const json& at(const json& obj, const char* key) {
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

double num(const json& v) { return v.is_number() ? v.get<double>() : NAN; }

/// Compact number: "-" when absent, whole from 1000 on, else four significant digits.
std::string n(double v) {
  if (std::isnan(v)) return "-";
  double a = std::fabs(v);
  if (a >= 1000 || a == std::floor(a)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.4g}", v);
}
std::string n(const json& v) { return n(num(v)); }

std::string pct(const json& v) {
  double d = num(v);
  return std::isnan(d) ? std::string("-") : fmt::format("{:.1f}%", d * 100);
}

std::string bytes(const json& v) {
  double d = num(v);
  if (std::isnan(d)) return "-";
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (d >= 1024 && u < 4) {
    d /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", d) : fmt::format("{:.1f} {}", d, units[u]);
}

std::string str(const json& v, const char* absent = "-") {
  return v.is_string() ? v.get<std::string>() : std::string(absent);
}

std::string cut(std::string s, std::size_t width) {
  if (s.size() <= width) return s;
  return s.substr(0, width - 1) + "~";
}

void stats_header(std::string& out, const char* first) {
  fmt::format_to(std::back_inserter(out),
                 "  {:<26}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", first, "count",
                 "min", "p50", "p90", "p95", "p99", "p999", "max", "mean");
}

void stats_row(std::string& out, const std::string& label, const json& s) {
  fmt::format_to(
      std::back_inserter(out), "  {:<26}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n",
      cut(label, 25), n(at(s, "count")), n(at(s, "min")), n(at(s, "p50")), n(at(s, "p90")),
      n(at(s, "p95")), n(at(s, "p99")), n(at(s, "p999")), n(at(s, "max")), n(at(s, "mean")));
}

void group_table(std::string& out, const char* title, const json& groups) {
  if (!groups.is_object() || groups.empty()) return;
  fmt::format_to(std::back_inserter(out), "\n{}\n", title);
  fmt::format_to(std::back_inserter(out), "  {:<36}{:>8}{:>8}{:>8}{:>8}{:>12}{:>12}{:>12}{:>12}\n",
                 "name", "total", "ok", "failed", "aborted", "p50 ms", "p95 ms", "p95 ttft",
                 "p50 tok/s");
  for (const auto& [name, g] : groups.items()) {
    fmt::format_to(
        std::back_inserter(out), "  {:<36}{:>8}{:>8}{:>8}{:>8}{:>12}{:>12}{:>12}{:>12}\n",
        cut(name, 35), n(at(g, "total")), n(at(g, "succeeded")), n(at(g, "failed")),
        n(at(g, "aborted")), n(at(at(g, "latencyMs"), "p50")), n(at(at(g, "latencyMs"), "p95")),
        n(at(at(g, "ttftMs"), "p95")), n(at(at(g, "decodeTokensPerSec"), "p50")));
  }
}

}  // namespace

std::string text_report(const json& doc) {
  std::string out;
  auto w = [&out](auto&&... args) { fmt::format_to(std::back_inserter(out), args...); };
  const json& m = at(doc, "metrics");
  const json& g = at(m, "generations");
  const json& health = at(m, "health");

  w("webllm-monitor report  exported {}  health: {}\n", str(at(doc, "exportedAt")),
    str(at(health, "status"), "unknown"));
  for (const auto& r : at(health, "reasons").is_array() ? at(health, "reasons") : json::array())
    w("  ! {}: {}\n", str(at(r, "level")), str(at(r, "message")));

  w("\nGenerations: {} total, {} succeeded, {} failed, {} aborted (success {}, errors {}, aborts {})\n",
    n(at(g, "total")), n(at(g, "succeeded")), n(at(g, "failed")), n(at(g, "aborted")),
    pct(at(g, "successRate")), pct(at(g, "errorRate")), pct(at(g, "abortRate")));
  const json& tokens = at(g, "tokens");
  const json& tp = at(g, "throughput");
  w("Tokens: {} prompt, {} completion; throughput {} tokens/s over wall time, {} tokens/s of decode "
    "time, {} requests/s\n",
    n(at(tokens, "prompt")), n(at(tokens, "completion")), n(at(tp, "tokensPerSec")),
    n(at(tp, "tokensPerDecodeSec")), n(at(tp, "requestsPerSec")));

  w("\n");
  stats_header(out, "metric");
  const json& init = at(m, "initialization");
  // The generation series, then the load series: "<label> <unit>" as the description gives them.
  for (description::Where where : {description::Where::generation, description::Where::load}) {
    const json& parent = where == description::Where::generation ? g : init;
    for (const description::SeriesInfo& s : description::kSeries)
      if (s.where == where)
        stats_row(out, fmt::format("{} {}", s.label, s.unit),
                  at(parent, std::string(s.name).c_str()));
  }

  group_table(out, "By model", at(g, "byModel"));
  group_table(out, "By type", at(g, "byType"));

  w("\nModel loads: {} ({} from cache, {} downloaded, {} failed), {} fetched", n(at(init, "loads")),
    n(at(init, "fromCache")), n(at(init, "downloaded")), n(at(init, "failed")),
    bytes(at(init, "bytesFetched")));
  if (at(init, "lastModel").is_string()) {
    const json& fc = at(init, "lastFromCache");
    w("; last: {} in {} ms, {}", str(at(init, "lastModel")), n(at(init, "lastDurationMs")),
      fc.is_boolean() ? (fc.get<bool>() ? "from cache" : "downloaded") : "cache unknown");
  }
  w("\n");

  const json& cache = at(m, "cache");
  w("Cache: hit rate {} ({} hits, {} misses)\n", pct(at(cache, "hitRate")), n(at(cache, "hits")),
    n(at(cache, "misses")));
  if (at(cache, "byName").is_object())
    for (const auto& [name, c] : at(cache, "byName").items())
      w("  {:<24}{:>8} hits{:>8} misses  {}\n", cut(name, 23), n(at(c, "hits")), n(at(c, "misses")),
        pct(at(c, "hitRate")));

  const json& ops = at(m, "operations");
  if (ops.is_object() && !ops.empty()) {
    w("\nOperations\n");
    stats_header(out, "name (duration ms)");
    for (const auto& [name, op] : ops.items()) {
      stats_row(out, name, at(op, "durationMs"));
      if (num(at(op, "failed")) > 0) w("  {:<24}{:>8} failed\n", "", n(at(op, "failed")));
    }
  }

  const json& errors = at(m, "errors");
  w("\nErrors: {}", n(at(errors, "total")));
  if (at(errors, "byName").is_object() && !at(errors, "byName").empty()) {
    std::string sep = " (";
    for (const auto& [name, count] : at(errors, "byName").items()) {
      w("{}{} {}", sep, name, n(count));
      sep = ", ";
    }
    w(")");
  }
  w("\n");
  std::size_t shown = 0;
  for (const auto& e : at(errors, "recent").is_array() ? at(errors, "recent") : json::array()) {
    if (++shown > 10) break;
    w("  {:<32} {:<10} {:<34} {}\n", cut(str(at(e, "name")), 32), cut(str(at(e, "operation")), 10),
      cut(str(at(e, "model")), 34), cut(str(at(e, "message")), 80));
  }

  const json& mem = at(m, "memory");
  const json& latest = at(mem, "latest");
  const json& peak = at(mem, "peak");
  w("\nMemory ({} samples): JS heap {} of {} (peak {}), wasm heap {}, GPU buffers {} (peak {}), "
    "storage {} of {}\n",
    n(at(mem, "samples")), bytes(at(latest, "usedJSHeapSize")),
    bytes(at(latest, "jsHeapSizeLimit")), bytes(at(peak, "usedJSHeapSize")),
    bytes(at(latest, "wasmHeapBytes")), bytes(at(latest, "gpuBufferBytes")),
    bytes(at(peak, "gpuBufferBytes")), bytes(at(latest, "storageUsage")),
    bytes(at(latest, "storageQuota")));

  const json& gpu = at(m, "webgpu");
  const json& adapter = at(gpu, "adapter");
  if (adapter.is_object()) {
    w("WebGPU: {} {} {}{}; device lost {} times\n", str(at(adapter, "vendor")),
      str(at(adapter, "architecture")), str(at(adapter, "description"), ""),
      at(adapter, "isFallbackAdapter") == json(true) ? " (fallback adapter)" : "",
      n(at(at(gpu, "deviceLost"), "total")));
  } else {
    w("WebGPU: no adapter information; device lost {} times\n",
      n(at(at(gpu, "deviceLost"), "total")));
  }

  const json& cost = at(m, "cost");
  if (num(at(cost, "total")) > 0)
    w("Cost: {} {:.4f} (input {:.4f}, output {:.4f})\n", str(at(cost, "currency")),
      num(at(cost, "total")), num(at(cost, "input")), num(at(cost, "output")));

  const json& windows = at(m, "windows");
  w("\nWindows{:<17}{:>8}{:>8}{:>12}{:>12}{:>12}{:>12}\n", "", "total", "errors", "p95 ms",
    "p95 ttft", "p50 tok/s", "hit rate");
  for (const char* name : {"1m", "5m", "1h"}) {
    const json& wm = at(windows, name);
    const json& wg = at(wm, "generations");
    w("  {:<22}{:>8}{:>8}{:>12}{:>12}{:>12}{:>12}\n", name, n(at(wg, "total")),
      n(at(at(wm, "errors"), "total")), n(at(at(wg, "latencyMs"), "p95")),
      n(at(at(wg, "ttftMs"), "p95")), n(at(at(wg, "decodeTokensPerSec"), "p50")),
      pct(at(at(wm, "cache"), "hitRate")));
  }

  const json& rejected = at(m, "rejected");
  if (num(at(rejected, "total")) > 0) {
    w("\nRejected events: {}\n", n(at(rejected, "total")));
    std::size_t k = 0;
    for (const auto& r :
         at(rejected, "recent").is_array() ? at(rejected, "recent") : json::array()) {
      if (++k > 5) break;
      w("  {}\n", cut(str(at(r, "message")), 120));
    }
  }
  return out;
}

}  // namespace wlm

// The monitor's views of its data: the metrics object (session, groups, windows, cost, health)
// and the status summary. The numbers come from the aggregates; this file arranges them, each
// section written as JSON text (codec/json_writer.hpp) with its keys in sorted order.
#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "codec/event_json.hpp"
#include "codec/json_writer.hpp"
#include "monitor.hpp"

namespace wlm {
namespace {

using jsonw::Writer;

/// The text `write(w)` writes.
template <class Write>
std::string text_of(Write&& write) {
  std::string out;
  Writer w(out);
  write(w);
  return out;
}

/// The windows' indices in kWindows by name, in key order ("1h", "1m", "5m").
const std::vector<std::size_t>& windows_in_key_order() {
  static const std::vector<std::size_t> order = [] {
    std::vector<std::size_t> o;
    for (std::size_t i = 0; i < std::size(kWindows); ++i) o.push_back(i);
    std::sort(o.begin(), o.end(), [](std::size_t a, std::size_t b) {
      return std::string_view(kWindows[a].name) < std::string_view(kWindows[b].name);
    });
    return o;
  }();
  return order;
}

/// The number a health check's metric names in a generations object: "generations.ttftMs.p95"
/// is g.value("ttftMs.p95"); NaN when it is absent or null.
double generation_value(const GenerationStats& g, std::string_view metric) {
  constexpr std::string_view kPrefix = "generations.";
  if (metric.substr(0, kPrefix.size()) != kPrefix) return NAN;
  return g.value(metric.substr(kPrefix.size()));
}

}  // namespace

const Slice& Monitor::window_slice(std::size_t i, double now_ms, double& span_ms) const {
  const Window& w = kWindows[i];
  const SliceRing& ring = w.fine ? fine_ : coarse_;
  std::int64_t last = ring.id_of(now_ms);
  std::int64_t first = last - w.back;
  // The slices before the current one rarely change: merge them again only when they did.
  WindowCache& cache = window_cache_[i];
  std::uint64_t stamp = ring.stamp_of(first, last - 1);
  if (cache.first != first || cache.last != last || cache.stamp != stamp) {
    cache.merged = Slice();
    ring.collect(first, last - 1, cache.merged);
    cache.first = first;
    cache.last = last;
    cache.stamp = stamp;
  }
  cache.current = cache.merged;  // keeps its buffers: no allocation once they are large enough
  ring.collect(last, last, cache.current);
  span_ms = now_ms - static_cast<double>(first) * ring.width_ms();
  return cache.current;
}

void Monitor::write_cost(Writer& w) const {
  // byModel comes first in key order, but the totals are summed over it: write it, then them.
  double input = 0, output = 0;
  w.begin_object().key("byModel").begin_object();
  for (const auto& [model, g] : state_.by_model.items) {
    auto it = config_.prices.find(model);
    if (it == config_.prices.end()) it = config_.prices.find("*");
    Price p = it == config_.prices.end() ? Price{} : it->second;
    double in = static_cast<double>(g.prompt_tokens) / 1000.0 * p.input_per_1k;
    double out = static_cast<double>(g.completion_tokens) / 1000.0 * p.output_per_1k;
    input += in;
    output += out;
    w.key_escaped(model).begin_object().key("input").number(in).key("output").number(out);
    w.key("total").number(in + out).end_object();
  }
  w.end_object();
  w.key("currency").string(config_.currency).key("input").number(input);
  w.key("output").number(output).key("total").number(input + output).end_object();
}

json Monitor::health(const GenerationStats& window_5m, const GenerationStats& session) const {
  bool recent = window_5m.total > 0;
  const GenerationStats& g = recent ? window_5m : session;
  double heap_used = state_.memory_latest.used_js_heap;
  double heap_limit = state_.memory_latest.js_heap_limit;
  double heap = state_.memory_samples && present(heap_used) && present(heap_limit) && heap_limit > 0
                    ? heap_used / heap_limit
                    : NAN;
  int worst = 0;
  json reasons = json::array();
  for (std::size_t i = 0; i < description::kHealthCheckCount; ++i) {
    const description::HealthCheck& c = description::kHealthChecks[i];
    const Threshold& t = config_.thresholds[i];
    double value = c.metric == "memory.jsHeapFraction" ? heap : generation_value(g, c.metric);
    if (std::isnan(value)) continue;
    bool lower_is_worse = c.worse == description::Worse::lower;
    auto beyond = [&](double limit) {
      return present(limit) && (lower_is_worse ? value < limit : value > limit);
    };
    int level = beyond(t.critical) ? 2 : beyond(t.warning) ? 1 : 0;
    if (!level) continue;
    worst = std::max(worst, level);
    double limit = level == 2 ? t.critical : t.warning;
    reasons.push_back(
        json{{"metric", c.metric},
             {"level", level == 2 ? "critical" : "warning"},
             {"value", value},
             {"threshold", limit},
             {"message", fmt::format("{} {:.4g}{} is {} the {} threshold {:.4g}{}", c.label, value,
                                     c.unit, lower_is_worse ? "below" : "above",
                                     level == 2 ? "critical" : "warning", limit, c.unit)}});
  }
  static const char* kLevels[] = {"healthy", "warning", "critical"};
  return json{{"status", kLevels[worst]},
              {"basis", recent ? "5m" : "session"},
              {"reasons", std::move(reasons)}};
}

std::string Monitor::generations_section() const {
  return text_of([&](Writer& w) { write_generations(w); });
}

std::string Monitor::errors_section() const {
  return text_of([&](Writer& w) { write_errors(w); });
}

void Monitor::write_generations(Writer& w) const {
  const SessionState& s = state_;
  GenerationStats::Groups groups = [&s](Writer& out, std::string_view key) {
    const auto& map = key == "byModel"       ? s.by_model.items
                      : key == "byOperation" ? s.by_operation.items
                                             : s.by_type.items;
    out.begin_object();
    for (const auto& [k, v] : map) v.write_metrics(out.key_escaped(k));
    out.end_object();
  };
  s.generations.write_metrics(w, NAN, &groups);
}

void Monitor::write_errors(Writer& w) const {
  const SessionState& s = state_;
  w.begin_object().key("byName").begin_object();
  for (const auto& [k, v] : s.errors_by_name.items) w.key_escaped(k).number(v);
  w.end_object().key("recent").begin_array();
  for (auto it = s.recent_errors.rbegin(); it != s.recent_errors.rend(); ++it)
    w.value(it->to_json());  // newest first
  w.end_array().key("total").number(s.errors).end_object();
}

const std::string& Monitor::section(SectionCache& cache, std::uint64_t count,
                                    void (Monitor::*write)(Writer&) const) const {
  if (cache.epoch != epoch_ || cache.merges != merges_ || cache.count != count) {
    cache.text.clear();
    Writer w(cache.text);
    (this->*write)(w);
    cache.epoch = epoch_;
    cache.merges = merges_;
    cache.count = count;
  }
  return cache.text;
}

void Monitor::metrics_sections(double now_ms, MetricsSections& sections) const {
  const SessionState& s = state_;
  sections.clear();
  // In key order: what dump() of the object writes.
  sections.emplace_back("cache", text_of([&](Writer& w) {
                          HitMiss all;
                          for (const auto& [k, v] : s.cache.items) all.merge(v);
                          // {byName, hitRate, hits, lookups, misses}: byName, then the totals'
                          // members.
                          w.begin_object().key("byName").begin_object();
                          for (const auto& [k, v] : s.cache.items)
                            v.write_metrics(w.key_escaped(k));
                          w.end_object();
                          all.write_members(w);
                          w.end_object();
                        }));
  sections.emplace_back("cost", text_of([&](Writer& w) { write_cost(w); }));
  sections.emplace_back("errors", section(errors_section_, s.errors, &Monitor::write_errors));
  sections.emplace_back("generations", section(generations_section_, s.generations.total,
                                               &Monitor::write_generations));

  // The windows: the health reads the 5 min one.
  std::string windows;
  const GenerationStats* window_5m = nullptr;
  {
    Writer w(windows);
    w.begin_object();
    for (std::size_t i : windows_in_key_order()) {
      double span = 0;
      const Slice& slice = window_slice(i, now_ms, span);
      if (std::string_view(kWindows[i].name) == "5m") window_5m = &slice.generations;
      w.key(kWindows[i].name).begin_object().key("cache");
      slice.cache.write_metrics(w);
      w.key("errors").begin_object().key("total").number(slice.errors).end_object();
      slice.generations.write_metrics(w.key("generations"), span);
      w.key("spanMs").number(span).end_object();
    }
    w.end_object();
  }
  json health_tree = health(*window_5m, s.generations);
  // The status of these metrics, for status() until the data changes or the windows move on:
  // within one window step, no part of it depends on the exact time.
  status_cache_ = {true, changes_, window_step(now_ms), status_from(health_tree)};
  sections.emplace_back("health", jsonio::dump(health_tree));

  const LastLoad& last = s.last_load;
  sections.emplace_back(
      "initialization", text_of([&](Writer& w) {
        w.begin_object().key("bytesFetched").number(s.bytes_fetched);
        w.key("downloaded").number(s.loads_downloaded).key("failed").number(s.loads_failed);
        w.key("fromCache").number(s.loads_from_cache);
        w.key("lastBytesFetched").number_or_null(last.present ? last.bytes_fetched : NAN);
        w.key("lastDurationMs").number_or_null(last.present ? last.duration_ms : NAN);
        w.key("lastFromCache");
        if (!last.present || last.from_cache == Tristate::unknown)
          w.null();
        else
          w.boolean(last.from_cache == Tristate::yes);
        w.key("lastLoadedAt").number_or_null(last.present ? last.started_at : NAN);
        w.key("lastModel");
        last.present ? w.string(last.model) : w.null();
        w.key("lastSucceeded");
        last.present ? w.boolean(last.succeeded) : w.null();
        s.load_ms.write_summary(w.key("loadMs"));
        w.key("loads").number(s.loads).key("succeeded").number(s.loads - s.loads_failed);
        w.key("unknownCache")
            .number(s.loads - s.loads_failed - s.loads_from_cache - s.loads_downloaded)
            .end_object();
      }));
  sections.emplace_back("memory", text_of([&](Writer& w) {
                          w.begin_object().key("latest");
                          s.memory_samples ? w.value(to_json(s.memory_latest)) : w.null();
                          w.key("peak");
                          s.memory_samples ? w.value(to_json(s.memory_peak)) : w.null();
                          w.key("samples").number(s.memory_samples).end_object();
                        }));
  sections.emplace_back("operations", text_of([&](Writer& w) {
                          w.begin_object();
                          for (const auto& [k, v] : s.operations.items) {
                            std::uint64_t n = v.succeeded + v.failed;
                            w.key_escaped(k).begin_object().key("count").number(n);
                            v.duration_ms.write_summary(w.key("durationMs"));
                            w.key("failed").number(v.failed).key("succeeded").number(v.succeeded);
                            w.key("successRate").rate(v.succeeded, n).end_object();
                          }
                          w.end_object();
                        }));
  sections.emplace_back(
      "rejected", text_of([&](Writer& w) {
        w.begin_object().key("byField").begin_object();
        for (const auto& [k, v] : s.rejected_by_field.items) w.key_escaped(k).number(v);
        w.end_object().key("recent").begin_array();
        for (auto it = s.recent_rejections.rbegin(); it != s.recent_rejections.rend(); ++it) {
          w.begin_object().key("field").string(it->name).key("message").string(it->message);
          w.end_object();
        }
        w.end_array().key("total").number(s.rejected).end_object();
      }));
  sections.emplace_back(
      "webgpu", text_of([&](Writer& w) {
        // Small and rarely read: written as a tree.
        json lost = json::array();
        for (auto it = s.recent_device_lost.rbegin(); it != s.recent_device_lost.rend(); ++it)
          lost.push_back(to_json(*it));
        json webgpu{{"available", s.has_webgpu ? json(s.webgpu.available) : json(nullptr)},
                    {"adapter", nullptr},
                    {"limits", json::object()},
                    {"features", json::array()},
                    {"deviceLost", {{"total", s.device_lost}, {"recent", std::move(lost)}}}};
        if (s.has_webgpu && s.webgpu.available) {
          json info = to_json(s.webgpu);
          webgpu["adapter"] = json{{"vendor", info["vendor"]},
                                   {"architecture", info["architecture"]},
                                   {"device", info["device"]},
                                   {"description", info["description"]},
                                   {"isFallbackAdapter", info["isFallbackAdapter"]}};
          webgpu["limits"] = info["limits"];
          webgpu["features"] = info["features"];
        }
        w.value(webgpu);
      }));
  sections.emplace_back("windows", std::move(windows));
}

std::string Monitor::metrics_text(double now_ms) const {
  MetricsSections sections;
  metrics_sections(now_ms, sections);
  std::size_t size = 2;
  for (const auto& [key, text] : sections) size += key.size() + text.size() + 4;
  std::string out;
  out.reserve(size);
  out += '{';
  for (const auto& [key, text] : sections) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += key;  // a fixed name: nothing to escape
    out += "\":";
    out += text;
  }
  out += '}';
  return out;
}

json Monitor::metrics(double now_ms) const {
  // Text this monitor wrote (valid UTF-8: jsonio::dump replaces what is not), read back.
  return json::parse(metrics_text(now_ms), nullptr, false);
}

json Monitor::status(double now_ms) const {
  if (!status_cache_.valid || status_cache_.changes != changes_ ||
      status_cache_.step != window_step(now_ms))
    (void)metrics_text(now_ms);  // fills the cache
  return status_cache_.status;
}

json Monitor::status_from(const json& health) const {
  const LastLoad& last = state_.last_load;
  return json{{"health", health["status"]},
              {"healthReasons", health["reasons"]},
              {"model", last.present ? json(last.model) : json(nullptr)},
              {"modelLoaded", last.present && last.succeeded},
              {"generations", state_.generations.total},
              {"errors", state_.errors},
              {"rejected", state_.rejected},
              {"firstEventAt", jsonio::number_or_null(state_.first_event_at)},
              {"lastEventAt", jsonio::number_or_null(state_.last_event_at)}};
}

}  // namespace wlm

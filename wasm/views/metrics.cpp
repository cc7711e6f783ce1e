// The monitor's views of its data: the metrics object (session, groups, windows, cost, health)
// and the status summary. The numbers come from the aggregates; this file arranges them.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "monitor.hpp"

namespace wlm {
namespace {

/// The number a check's metric names in a generations object (the 5 min window's or the
/// session's): "generations.ttftMs.p95" is g["ttftMs"]["p95"]; NaN when it is absent or null.
double generation_value(const json& g, std::string_view metric) {
  constexpr std::string_view kPrefix = "generations.";
  if (metric.substr(0, kPrefix.size()) != kPrefix) return NAN;
  const json* cur = &g;
  std::string_view rest = metric.substr(kPrefix.size());
  while (!rest.empty()) {
    std::size_t dot = rest.find('.');
    std::string key(rest.substr(0, dot));
    if (!cur->is_object()) return NAN;
    auto it = cur->find(key);
    if (it == cur->end()) return NAN;
    cur = &*it;
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  return cur->is_number() ? cur->get<double>() : NAN;
}

}  // namespace

json Monitor::window_metrics(const char* name, double now_ms) const {
  for (std::size_t i = 0; i < std::size(kWindows); ++i) {
    const Window& w = kWindows[i];
    if (std::string(name) != w.name) continue;
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
    Slice agg = cache.merged;
    ring.collect(last, last, agg);
    double span = now_ms - static_cast<double>(first) * ring.width_ms();
    return json{{"spanMs", span},
                {"generations", agg.generations.metrics(span)},
                {"errors", {{"total", agg.errors}}},
                {"cache", agg.cache.metrics()}};
  }
  return nullptr;
}

json Monitor::cost() const {
  json by_model = json::object();
  double input = 0, output = 0;
  for (const auto& [model, g] : state_.by_model.items) {
    auto it = config_.prices.find(model);
    if (it == config_.prices.end()) it = config_.prices.find("*");
    Price p = it == config_.prices.end() ? Price{} : it->second;
    double in = static_cast<double>(g.prompt_tokens) / 1000.0 * p.input_per_1k;
    double out = static_cast<double>(g.completion_tokens) / 1000.0 * p.output_per_1k;
    input += in;
    output += out;
    by_model[model] = json{{"input", in}, {"output", out}, {"total", in + out}};
  }
  return json{{"currency", config_.currency},
              {"input", input},
              {"output", output},
              {"total", input + output},
              {"byModel", std::move(by_model)}};
}

json Monitor::health(const json& windows, const json& generations) const {
  const json& w5 = windows["5m"]["generations"];
  bool recent = w5["total"].get<std::uint64_t>() > 0;
  const json& g = recent ? w5 : generations;
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

json Monitor::generations_metrics() const {
  const SessionState& s = state_;
  json gen = s.generations.metrics();
  for (const auto& [key, map] :
       {std::make_pair("byType", &s.by_type), std::make_pair("byModel", &s.by_model),
        std::make_pair("byOperation", &s.by_operation)}) {
    json groups = json::object();
    for (const auto& [k, v] : map->items) groups[k] = v.metrics();
    gen[key] = std::move(groups);
  }
  return gen;
}

json Monitor::errors_metrics() const {
  const SessionState& s = state_;
  json recent = json::array();
  for (auto it = s.recent_errors.rbegin(); it != s.recent_errors.rend(); ++it)
    recent.push_back(it->to_json());  // newest first
  json errors_by_name = json::object();
  for (const auto& [k, v] : s.errors_by_name.items) errors_by_name[k] = v;
  return json{
      {"total", s.errors}, {"byName", std::move(errors_by_name)}, {"recent", std::move(recent)}};
}

const Monitor::SectionCache& Monitor::section(SectionCache& cache, std::uint64_t count,
                                              json (Monitor::*build)() const) const {
  if (cache.epoch != epoch_ || cache.merges != merges_ || cache.count != count) {
    cache.tree = (this->*build)();
    cache.text = jsonio::dump(cache.tree);
    cache.epoch = epoch_;
    cache.merges = merges_;
    cache.count = count;
  }
  return cache;
}

void Monitor::metrics_sections(double now_ms, MetricsSections& sections) const {
  const SessionState& s = state_;
  json out = json::object();

  const LastLoad& last = s.last_load;
  json last_from_cache =
      last.from_cache == Tristate::unknown ? json(nullptr) : json(last.from_cache == Tristate::yes);
  out["initialization"] =
      json{{"loads", s.loads},
           {"succeeded", s.loads - s.loads_failed},
           {"failed", s.loads_failed},
           {"fromCache", s.loads_from_cache},
           {"downloaded", s.loads_downloaded},
           {"unknownCache", s.loads - s.loads_failed - s.loads_from_cache - s.loads_downloaded},
           {"bytesFetched", s.bytes_fetched},
           {"lastModel", last.present ? json(last.model) : json(nullptr)},
           {"lastDurationMs", last.present ? json(last.duration_ms) : json(nullptr)},
           {"lastFromCache", last.present ? last_from_cache : json(nullptr)},
           {"lastBytesFetched",
            last.present ? jsonio::number_or_null(last.bytes_fetched) : json(nullptr)},
           {"lastSucceeded", last.present ? json(last.succeeded) : json(nullptr)},
           {"lastLoadedAt", last.present ? json(last.started_at) : json(nullptr)},
           {"loadMs", s.load_ms.summary()}};

  HitMiss all;
  json by_name = json::object();
  for (const auto& [k, v] : s.cache.items) {
    all.merge(v);
    by_name[k] = v.metrics();
  }
  json cache = all.metrics();
  cache["byName"] = std::move(by_name);
  out["cache"] = std::move(cache);

  out["memory"] = json{{"samples", s.memory_samples},
                       {"latest", s.memory_samples ? to_json(s.memory_latest) : json(nullptr)},
                       {"peak", s.memory_samples ? to_json(s.memory_peak) : json(nullptr)}};

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
  out["webgpu"] = std::move(webgpu);

  json ops = json::object();
  for (const auto& [k, v] : s.operations.items) {
    std::uint64_t n = v.succeeded + v.failed;
    ops[k] =
        json{{"count", n},
             {"succeeded", v.succeeded},
             {"failed", v.failed},
             {"successRate",
              n ? json(static_cast<double>(v.succeeded) / static_cast<double>(n)) : json(nullptr)},
             {"durationMs", v.duration_ms.summary()}};
  }
  out["operations"] = std::move(ops);
  out["cost"] = cost();

  json rejected_recent = json::array();
  for (auto it = s.recent_rejections.rbegin(); it != s.recent_rejections.rend(); ++it)
    rejected_recent.push_back(json{{"field", it->name}, {"message", it->message}});
  json rejected_by_field = json::object();
  for (const auto& [k, v] : s.rejected_by_field.items) rejected_by_field[k] = v;
  out["rejected"] = json{{"total", s.rejected},
                         {"byField", std::move(rejected_by_field)},
                         {"recent", std::move(rejected_recent)}};

  json windows = json::object();
  for (const Window& w : kWindows) windows[w.name] = window_metrics(w.name, now_ms);
  const SectionCache& generations =
      section(generations_section_, s.generations.total, &Monitor::generations_metrics);
  const SectionCache& errors = section(errors_section_, s.errors, &Monitor::errors_metrics);
  json health_tree = health(windows, generations.tree);
  // The status of these metrics, for status() until the data changes or the windows move on:
  // within one window step, no part of it depends on the exact time.
  status_cache_ = {true, changes_, window_step(now_ms), status_from(health_tree)};
  out["windows"] = std::move(windows);
  out["health"] = std::move(health_tree);

  // The members in the order of a JSON object's keys (nlohmann's: sorted), the two kept
  // sections in their places.
  sections.clear();
  for (auto& [key, value] : out.items()) sections.emplace_back(key, jsonio::dump(value));
  sections.emplace_back("generations", generations.text);
  sections.emplace_back("errors", errors.text);
  std::sort(sections.begin(), sections.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
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

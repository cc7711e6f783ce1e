#include "otlp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace wlm {
namespace {

using jsonio::child;

/// OTLP/JSON writes 64-bit integers as decimal strings.
json u64(std::uint64_t v) { return fmt::format_int(v).str(); }

/// Epoch milliseconds as epoch nanoseconds (a decimal string), to the nanosecond.
json nanos(double ms) {
  constexpr double kMaxMs = 9.2e12;  // int64 nanoseconds end in 2262
  if (!(ms > 0)) ms = 0;
  ms = std::min(ms, kMaxMs);
  double whole = std::floor(ms);
  std::int64_t ns = static_cast<std::int64_t>(whole) * 1'000'000 +
                    static_cast<std::int64_t>(std::llround((ms - whole) * 1e6));
  return fmt::format_int(ns).str();
}

json string_attr(const char* key, const std::string& value) {
  return json{{"key", key}, {"value", {{"stringValue", value}}}};
}

const char* genai_operation(Operation op) {
  switch (op) {
    case Operation::chat: return "chat";
    case Operation::completion: return "text_completion";
    case Operation::embedding: return "embeddings";
  }
  return "chat";
}

const char* load_source(Tristate from_cache) {
  switch (from_cache) {
    case Tristate::yes: return "cache";
    case Tristate::no: return "network";
    case Tristate::unknown: break;
  }
  return "unknown";
}

/// Collects the metrics of one scope; a metric without data points is left out.
class MetricsWriter {
 public:
  MetricsWriter(double start_ms, double now_ms) : start_(nanos(start_ms)), now_(nanos(now_ms)) {}

  /// An exponential histogram point per attribute set, straight from the series' buckets.
  void histogram(const char* name, const char* unit, const char* description,
                 std::vector<std::pair<json, const Series*>> points) {
    json data = json::array();
    for (auto& [attrs, s] : points) {
      if (s->count() == 0) continue;
      const ExpHistogram& h = s->histogram();
      double div = bucket_divisor(s->unit());
      json buckets;
      h.to_json(buckets);  // occupied buckets only
      json counts = json::array();
      for (const auto& c : buckets["counts"]) counts.push_back(u64(c.get<std::uint64_t>()));
      json p{{"attributes", std::move(attrs)},
             {"startTimeUnixNano", start_},
             {"timeUnixNano", now_},
             {"count", u64(s->count())},
             {"sum", s->sum() / div},
             {"min", s->min() / div},
             {"max", s->max() / div},
             {"scale", h.scale()},
             {"zeroCount", u64(h.zero_count())},
             {"zeroThreshold", 0.0}};
      if (!counts.empty())
        p["positive"] = json{{"offset", buckets["offset"]}, {"bucketCounts", std::move(counts)}};
      data.push_back(std::move(p));
    }
    if (data.empty()) return;
    add(name, unit, description, "exponentialHistogram",
        json{{"aggregationTemporality", 2}, {"dataPoints", std::move(data)}});
  }

  /// A monotonic cumulative sum; points with a zero count are kept (a known attribute set).
  void counter(const char* name, const char* unit, const char* description,
               std::vector<std::pair<json, std::uint64_t>> points) {
    json data = json::array();
    for (auto& [attrs, v] : points)
      data.push_back(json{{"attributes", std::move(attrs)},
                          {"startTimeUnixNano", start_},
                          {"timeUnixNano", now_},
                          {"asInt", u64(v)}});
    if (data.empty()) return;
    add(name, unit, description, "sum",
        json{
            {"aggregationTemporality", 2}, {"isMonotonic", true}, {"dataPoints", std::move(data)}});
  }

  /// A gauge point taken at `at_ms`; NaN values are left out. Integers go as asInt.
  void gauge(const char* name, const char* unit, const char* description,
             std::vector<std::pair<json, double>> points, double at_ms, bool integer) {
    json data = json::array();
    for (auto& [attrs, v] : points) {
      if (std::isnan(v)) continue;
      json p{{"attributes", std::move(attrs)}, {"timeUnixNano", nanos(at_ms)}};
      if (integer) {
        p["asInt"] = fmt::format_int(std::llround(v)).str();
      } else {
        p["asDouble"] = v;
      }
      data.push_back(std::move(p));
    }
    if (data.empty()) return;
    add(name, unit, description, "gauge", json{{"dataPoints", std::move(data)}});
  }

  json take() { return std::move(metrics_); }

 private:
  void add(const char* name, const char* unit, const char* description, const char* kind,
           json data) {
    metrics_.push_back(json{
        {"name", name}, {"description", description}, {"unit", unit}, {kind, std::move(data)}});
  }

  json start_, now_;
  json metrics_ = json::array();
};

json resource_attributes(const json& resource) {
  json out = json::array();
  for (const auto& [k, v] : resource.items()) {
    json value;
    if (v.is_string()) {
      value = json{{"stringValue", v}};
    } else if (v.is_boolean()) {
      value = json{{"boolValue", v}};
    } else if (v.is_number_integer()) {
      value =
          json{{"intValue", v.is_number_unsigned() ? fmt::format_int(v.get<std::uint64_t>()).str()
                                                   : fmt::format_int(v.get<std::int64_t>()).str()}};
    } else {
      value = json{{"doubleValue", v}};
    }
    out.push_back(json{{"key", k}, {"value", std::move(value)}});
  }
  return out;
}

void genai_metrics(const SessionState& s, MetricsWriter& w) {
  using Points = std::vector<std::pair<json, const Series*>>;
  Points duration, tokens, ttft, tpot, first_chunk, chunk;
  for (const auto& [k, g] : s.genai.items) {
    json attrs = json::array({string_attr("gen_ai.operation.name", genai_operation(k.operation)),
                              string_attr("gen_ai.provider.name", kOtlpProviderName),
                              string_attr("gen_ai.request.model", k.model)});
    json with_error = attrs;
    if (!k.error_type.empty()) with_error.push_back(string_attr("error.type", k.error_type));
    duration.emplace_back(std::move(with_error), &g.duration_ms);
    json input = attrs, output = attrs;
    input.push_back(string_attr("gen_ai.token.type", "input"));
    output.push_back(string_attr("gen_ai.token.type", "output"));
    tokens.emplace_back(std::move(input), &g.input_tokens);
    tokens.emplace_back(std::move(output), &g.output_tokens);
    ttft.emplace_back(attrs, &g.server_ttft_ms);
    tpot.emplace_back(attrs, &g.server_tpot_ms);
    first_chunk.emplace_back(attrs, &g.first_chunk_ms);
    chunk.emplace_back(std::move(attrs), &g.chunk_gap_ms);
  }
  w.histogram("gen_ai.client.operation.duration", "s", "GenAI operation duration.",
              std::move(duration));
  w.histogram("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.",
              std::move(tokens));
  w.histogram("gen_ai.server.time_to_first_token", "s",
              "Time to generate first token for successful responses.", std::move(ttft));
  w.histogram("gen_ai.server.time_per_output_token", "s",
              "Time per output token generated after the first token for successful responses.",
              std::move(tpot));
  w.histogram(
      "gen_ai.client.operation.time_to_first_chunk", "s",
      "Time to receive the first chunk, measured from when the client issues the generation "
      "request to when the first chunk is received in the response stream.",
      std::move(first_chunk));
  w.histogram(
      "gen_ai.client.operation.time_per_output_chunk", "s",
      "Time per output chunk, recorded for each chunk received after the first one, measured "
      "as the time elapsed from the end of the previous chunk to the end of the current chunk.",
      std::move(chunk));
}

void own_metrics(const SessionState& s, MetricsWriter& w, double now_ms) {
  std::vector<std::pair<json, const Series*>> loads;
  for (const auto& [k, v] : s.loads_by.items) {
    json attrs =
        json::array({string_attr("gen_ai.provider.name", kOtlpProviderName),
                     string_attr("gen_ai.request.model", k.model),
                     string_attr("webllm_monitor.load.source", load_source(k.from_cache))});
    if (!k.error_type.empty()) attrs.push_back(string_attr("error.type", k.error_type));
    loads.emplace_back(std::move(attrs), &v.duration_ms);
  }
  w.histogram("webllm_monitor.model.load.duration", "s",
              "Model load duration (engine.reload), by source: the browser cache or the network.",
              std::move(loads));

  std::vector<std::pair<json, std::uint64_t>> lookups;
  std::vector<std::pair<json, double>> ratios;
  for (const auto& [name, hm] : s.cache.items) {
    for (bool hit : {true, false}) {
      lookups.emplace_back(
          json::array({string_attr("webllm_monitor.cache.name", name),
                       string_attr("webllm_monitor.cache.result", hit ? "hit" : "miss")}),
          hit ? hm.hits : hm.misses);
    }
    std::uint64_t total = hm.hits + hm.misses;
    if (total)
      ratios.emplace_back(json::array({string_attr("webllm_monitor.cache.name", name)}),
                          static_cast<double>(hm.hits) / static_cast<double>(total));
  }
  w.counter("webllm_monitor.cache.lookups", "{lookup}", "Cache lookups by cache and result.",
            std::move(lookups));
  w.gauge("webllm_monitor.cache.hit_ratio", "1",
          "Share of the cache's lookups that hit, since the start.", std::move(ratios), now_ms,
          false);

  if (s.memory_samples) {
    const MemorySample& m = s.memory_latest;
    struct Gauge {
      const char* name;
      const char* description;
      double value;
    };
    const Gauge gauges[] = {
        {"webllm_monitor.js_heap.used", "JS heap in use (performance.memory.usedJSHeapSize).",
         m.used_js_heap},
        {"webllm_monitor.js_heap.total", "JS heap allocated (performance.memory.totalJSHeapSize).",
         m.total_js_heap},
        {"webllm_monitor.js_heap.limit", "JS heap limit (performance.memory.jsHeapSizeLimit).",
         m.js_heap_limit},
        {"webllm_monitor.page.memory", "Page memory (performance.measureUserAgentSpecificMemory).",
         m.ua_measured_bytes},
        {"webllm_monitor.wasm_heap.size", "WebAssembly memory of the sampled modules.",
         m.wasm_heap_bytes},
        {"webllm_monitor.gpu.buffer.size", "Bytes of the live WebGPU buffers the engine created.",
         m.gpu_buffer_bytes},
        {"webllm_monitor.storage.usage", "Origin storage in use (navigator.storage.estimate).",
         m.storage_usage},
        {"webllm_monitor.storage.quota", "Origin storage quota (navigator.storage.estimate).",
         m.storage_quota},
    };
    for (const auto& g : gauges)
      w.gauge(g.name, "By", g.description, {{json::array(), g.value}}, m.timestamp, true);
  }

  std::vector<std::pair<json, const Series*>> ops;
  std::vector<std::pair<json, std::uint64_t>> op_failures;
  for (const auto& [name, op] : s.operations.items) {
    json attrs = json::array({string_attr("webllm_monitor.operation.name", name)});
    op_failures.emplace_back(attrs, op.failed);
    ops.emplace_back(std::move(attrs), &op.duration_ms);
  }
  w.histogram("webllm_monitor.operation.duration", "s",
              "Duration of tracked operations (monitor.track) and of the monitor's own work.",
              std::move(ops));
  w.counter("webllm_monitor.operation.failures", "{operation}", "Tracked operations that failed.",
            std::move(op_failures));

  std::vector<std::pair<json, std::uint64_t>> rejected;
  for (const auto& [field, n] : s.rejected_by_field.items)
    rejected.emplace_back(json::array({string_attr("webllm_monitor.event.field", field)}), n);
  w.counter("webllm_monitor.events.rejected", "{event}",
            "Events the monitor refused, by the first invalid field.", std::move(rejected));
  if (s.device_lost || s.has_webgpu)
    w.counter("webllm_monitor.gpu.device_lost", "{event}", "WebGPU devices lost.",
              {{json::array(), s.device_lost}});
}

}  // namespace

Status OtlpOptions::read(const json& in, const std::string& path) {
  if (!in.is_object())
    return Status::error(path,
                         fmt::format("{}: expected an object, got {}", path, jsonio::describe(in)));
  OtlpOptions o;
  if (in.contains("resource")) {
    const json* res = nullptr;
    WLM_TRY(jsonio::object(in, path, "resource", res));
    std::string rp = child(path, "resource");
    if (res->size() > 128)
      return Status::error(rp, fmt::format("{}: {} attributes, more than 128", rp, res->size()));
    for (const auto& [k, v] : res->items()) {
      std::string p = child(rp, k);
      if (k.empty() || k.size() > Limits::kMaxNameBytes)
        return Status::error(p, fmt::format("{}: an attribute name must have 1 to {} bytes", p,
                                            Limits::kMaxNameBytes));
      bool ok = v.is_boolean() || (v.is_number() && std::isfinite(v.get<double>())) ||
                (v.is_string() && v.get<std::string>().size() <= Limits::kMaxMessageBytes);
      if (!ok)
        return Status::error(p,
                             fmt::format("{}: expected a string (up to {} bytes), a finite number "
                                         "or a boolean, got {}",
                                         p, Limits::kMaxMessageBytes, jsonio::describe(v)));
    }
    o.resource = *res;
  }
  if (in.contains("scopeVersion"))
    WLM_TRY(jsonio::string(in, path, "scopeVersion", o.scope_version, 64));
  *this = std::move(o);
  return Status::success();
}

json otlp_metrics(const SessionState& state, const OtlpOptions& options, double now_ms) {
  double start = present(state.since) ? state.since : state.first_event_at;
  if (!present(start) || start > now_ms) start = present(start) ? std::min(start, now_ms) : now_ms;
  MetricsWriter w(start, now_ms);
  genai_metrics(state, w);
  own_metrics(state, w, now_ms);
  json scope{{"name", kOtlpScopeName}};
  if (!options.scope_version.empty()) scope["version"] = options.scope_version;
  return json{
      {"resourceMetrics",
       json::array({json{{"resource", {{"attributes", resource_attributes(options.resource)}}},
                         {"scopeMetrics", json::array({json{{"scope", std::move(scope)},
                                                            {"metrics", w.take()}}})}}})}};
}

}  // namespace wlm

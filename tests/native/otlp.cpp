// The OTLP request built by the core: start times, bounded attribute sets, option refusal.
// (Decoding with OpenTelemetry's protobuf definitions and the push are tested in
// tests/js/otlp.test.mjs and tests/browser/otlp.test.mjs.)
#include <doctest/doctest.h>

#include <string>

#include "monitor.hpp"
#include "otlp.hpp"

using namespace wlm;

namespace {

constexpr double kT0 = 1.7e12;

GenerationEvent generation(const std::string& model, double started_at, double duration_ms) {
  GenerationEvent e;
  e.model = model;
  e.started_at = started_at;
  e.duration_ms = duration_ms;
  return e;
}

json request(const Monitor& m, double now, const std::string& options = "{}") {
  std::string out;
  Status s = m.otlp_json(options, now, out);
  REQUIRE_MESSAGE(s.ok, s.message);
  return json::parse(out);
}

const json* metric(const json& req, const std::string& name) {
  for (const auto& m : req["resourceMetrics"][0]["scopeMetrics"][0]["metrics"])
    if (m["name"] == name) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("cumulative points start at reset(now), else at the first event, never after the point") {
  Monitor m;
  REQUIRE(m.record(generation("a", kT0 + 500, 100)));
  // No start recorded (a monitor never reset): the first event stands in.
  json r = request(m, kT0 + 10'000);
  const json& p =
      (*metric(r, "gen_ai.client.operation.duration"))["exponentialHistogram"]["dataPoints"][0];
  CHECK(p["startTimeUnixNano"] == "1700000000500000000");
  CHECK(p["timeUnixNano"] == "1700000010000000000");
  // Fractions of a millisecond survive, to the precision of the epoch-ms double (~0.25 us).
  m.reset(kT0 + 0.125);
  REQUIRE(m.record(generation("a", kT0 + 500, 100)));
  r = request(m, kT0 + 10'000.5);
  const json& q =
      (*metric(r, "gen_ai.client.operation.duration"))["exponentialHistogram"]["dataPoints"][0];
  CHECK(q["startTimeUnixNano"] == "1700000000000125000");
  CHECK(q["timeUnixNano"] == "1700000010000500000");
  // A start after "now" (a clock that went back) is clamped to now.
  r = request(m, kT0 - 1000);
  const json& z =
      (*metric(r, "gen_ai.client.operation.duration"))["exponentialHistogram"]["dataPoints"][0];
  CHECK(z["startTimeUnixNano"] == z["timeUnixNano"]);
}

TEST_CASE("an empty monitor sends a valid request without data points") {
  Monitor m;
  m.reset(kT0);
  json r = request(m, kT0 + 1);
  CHECK(r["resourceMetrics"][0]["scopeMetrics"][0]["scope"]["name"] == "webllm-monitor");
  CHECK(r["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].empty());
}

TEST_CASE("attribute sets are bounded: past 128, new models fold into (other)") {
  Monitor m;
  m.reset(kT0);
  for (int i = 0; i < 300; ++i) {
    GenerationEvent e = generation("model-" + std::to_string(i), kT0 + i, 10);
    if (i % 3 == 0) e.error_name = "Error" + std::to_string(i);  // distinct error types too
    REQUIRE(m.record(e));
  }
  CHECK(m.state().genai.items.size() <= m.state().genai.cap + 6);
  json r = request(m, kT0 + 1e6);
  const json& points =
      (*metric(r, "gen_ai.client.operation.duration"))["exponentialHistogram"]["dataPoints"];
  std::uint64_t total = 0;
  bool other = false;
  for (const auto& p : points) {
    total += std::stoull(p["count"].get<std::string>());
    for (const auto& a : p["attributes"])
      if (a["key"] == "gen_ai.request.model" && a["value"]["stringValue"] == "(other)")
        other = true;
  }
  CHECK(total == 300);
  CHECK(other);
  // The folded state round-trips through the export.
  Monitor back;
  REQUIRE(back.import_json(m.export_json(kT0 + 1e6)));
  CHECK(request(back, kT0 + 1e6) == r);
}

TEST_CASE("loads by source, with error.type on failures") {
  Monitor m;
  m.reset(kT0);
  ModelLoadEvent ok;
  ok.model = "m";
  ok.started_at = kT0;
  ok.duration_ms = 2500;
  ok.from_cache = Tristate::yes;
  REQUIRE(m.record(ok));
  ModelLoadEvent bad = ok;
  bad.from_cache = Tristate::unknown;
  bad.error_name = "ModelNotFoundError";
  REQUIRE(m.record(bad));
  json r = request(m, kT0 + 1e4);
  const json* loads = metric(r, "webllm_monitor.model.load.duration");
  REQUIRE(loads != nullptr);
  CHECK((*loads)["unit"] == "s");
  const json& points = (*loads)["exponentialHistogram"]["dataPoints"];
  REQUIRE(points.size() == 2);
  int with_error = 0;
  for (const auto& p : points) {
    CHECK(p["sum"] == 2.5);
    for (const auto& a : p["attributes"]) {
      if (a["key"] == "error.type") {
        CHECK(a["value"]["stringValue"] == "ModelNotFoundError");
        ++with_error;
      }
      if (a["key"] == "webllm_monitor.load.source") {
        CHECK((a["value"]["stringValue"] == "cache" || a["value"]["stringValue"] == "unknown"));
      }
    }
  }
  CHECK(with_error == 1);
}

TEST_CASE("options are checked: the field is named") {
  Monitor m;
  std::string out = "unchanged";
  Status s = m.otlp_json(R"({"resource": {"service.name": ["a"]}})", kT0, out);
  CHECK_FALSE(s.ok);
  CHECK(s.field == "otlp.resource[\"service.name\"]");
  CHECK(out == "unchanged");
  s = m.otlp_json(R"({"resource": {"": "x"}})", kT0, out);
  CHECK_FALSE(s.ok);
  CHECK(s.message.find("1 to 256 bytes") != std::string::npos);
  s = m.otlp_json(R"({"scopeVersion": 7})", kT0, out);
  CHECK(s.field == "otlp.scopeVersion");
  s = m.otlp_json("{", kT0, out);
  CHECK_FALSE(s.ok);
  s = m.otlp_json(
      R"({"resource": {"a": 1, "b": true, "c": 1.5, "d": "x"}, "scopeVersion": "1.2.3"})", kT0,
      out);
  CHECK(s.ok);
  json r = json::parse(out);
  CHECK(r["resourceMetrics"][0]["scopeMetrics"][0]["scope"]["version"] == "1.2.3");
  CHECK(r["resourceMetrics"][0]["resource"]["attributes"][0]["value"]["intValue"] == "1");
}

// The batch wire format (wlm::batch): configure and record_webgpu.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "batch.hpp"
#include "batch_helpers.hpp"

using namespace batch_test;

TEST_CASE("batch: configure") {
  Monitor m;

  SUBCASE("a valid partial configuration changes only what it names") {
    Status s = wb::configure(m, R"({"historySize": 5,
                                    "thresholds": {"ttftP95Ms": {"warning": 100},
                                                   "errorRate": {"critical": null}},
                                    "prices": {"llama": {"input": 0.5, "output": 1.5}}})");
    INFO(s.field << ": " << s.message);
    CHECK(s.ok);
    CHECK(m.config().history_size == 5);
    CHECK(m.config().threshold("ttftP95Ms")->warning == 100);
    CHECK(m.config().threshold("ttftP95Ms")->critical == 5000);  // kept
    CHECK(std::isnan(m.config().threshold("errorRate")->critical));
    CHECK(m.config().threshold("errorRate")->warning == 0.05);
    CHECK(m.config().currency == "USD");
    CHECK(m.config().prices.count("llama") == 1);
    CHECK(m.config().threshold("latencyP95Ms")->warning == 30000);
    // A second partial configuration keeps the first one's values.
    CHECK(wb::configure(m, R"({"currency": "EUR"})").ok);
    CHECK(m.config().currency == "EUR");
    CHECK(m.config().history_size == 5);
    CHECK(m.config().threshold("ttftP95Ms")->warning == 100);
    CHECK(wb::configure(m, "{}").ok);
    CHECK(m.config().currency == "EUR");
  }
  SUBCASE("historySize trims the history") {
    Batch b;
    for (int i = 0; i < 8; ++i) b.add(we::kGeneration, generation(b));
    CHECK(b.ingest(m).accepted == 8);
    CHECK(wb::configure(m, R"({"historySize": 3})").ok);
    CHECK(m.generation_history().size() == 3);
    CHECK(m.state().generations.total == 8);  // the aggregates are kept
  }
  struct Bad {
    const char* what;
    const char* json_text;
    const char* field;
    const char* value;
  };
  const Bad bad[] = {
      {"unknown option", R"({"bogus": 1})", "config.bogus", ""},
      {"unknown option after a valid one", R"({"historySize": 5, "bogus": true})", "config.bogus",
       ""},
      {"negative threshold", R"({"thresholds": {"ttftP95Ms": {"warning": -1}}})",
       "config.thresholds.ttftP95Ms.warning", "-1"},
      {"threshold a string", R"({"thresholds": {"latencyP95Ms": {"critical": "high"}}})",
       "config.thresholds.latencyP95Ms.critical", "\"high\""},
      {"threshold not an object", R"({"thresholds": {"errorRate": 0.1}})",
       "config.thresholds.errorRate", "0.1"},
      {"unknown threshold", R"({"thresholds": {"ttftP99Ms": {"warning": 1}}})",
       "config.thresholds.ttftP99Ms", ""},
      {"historySize 0", R"({"historySize": 0})", "config.historySize", "0"},
      {"historySize 2.5", R"({"historySize": 2.5})", "config.historySize", "2.5"},
      {"historySize too big", R"({"historySize": 100001})", "config.historySize", "100001"},
      {"negative price", R"({"prices": {"m": {"input": -1, "output": 1}}})",
       "config.prices.m.input", "-1"},
      {"currency a number", R"({"currency": 5})", "config.currency", "5"},
      {"not an object", R"([1, 2])", "config", ""},
      {"not JSON", R"({"historySize": )", "$", ""},
  };
  SUBCASE("errors name the option; nothing changes") {
    for (const Bad& c : bad) {
      INFO("case: " << std::string(c.what));
      Monitor fresh;
      CHECK(wb::configure(fresh, R"({"currency": "EUR"})").ok);
      const json before = fresh.config().to_json();
      Status s = wb::configure(fresh, c.json_text);
      INFO("got field: " << s.field << ", message: " << s.message);
      CHECK_FALSE(s.ok);
      CHECK(s.field == c.field);
      CHECK(contains(s.message, c.field));
      if (*c.value) CHECK(contains(s.message, c.value));
      CHECK(fresh.config().to_json() == before);  // nothing changed
      CHECK(fresh.state().rejected == 0);         // a configuration error is not an event
    }
  }
  CHECK(m.config().to_json()["historySize"].is_number());
}

TEST_CASE("batch: record_webgpu") {
  const char* valid = R"({"timestamp": 1700000000000, "available": true, "vendor": "nvidia",
      "architecture": "ampere", "device": "", "description": "RTX 3080",
      "isFallbackAdapter": false,
      "limits": {"maxBufferSize": 268435456, "maxComputeWorkgroupSizeX": 256},
      "features": ["shader-f16", "timestamp-query"]})";

  SUBCASE("valid JSON") {
    Monitor m;
    Status s = wb::record_webgpu(m, valid);
    INFO(s.field << ": " << s.message);
    CHECK(s.ok);
    json w = m.metrics(kNow)["webgpu"];
    CHECK(w["available"] == true);
    CHECK(w["adapter"]["vendor"] == "nvidia");
    CHECK(w["adapter"]["architecture"] == "ampere");
    CHECK(w["adapter"]["description"] == "RTX 3080");
    CHECK(w["adapter"]["isFallbackAdapter"] == false);
    CHECK(w["limits"]["maxBufferSize"] == 268435456.0);
    CHECK(w["features"] == json({"shader-f16", "timestamp-query"}));
    CHECK(m.state().rejected == 0);
  }

  struct Bad {
    const char* what;
    const char* json_text;
    const char* field;
    const char* value;
  };
  const Bad bad[] = {
      {"available a string",
       R"({"timestamp": 1, "available": "yes", "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.available", "\"yes\""},
      {"timestamp a string",
       R"({"timestamp": "now", "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.timestamp", "\"now\""},
      {"timestamp negative",
       R"({"timestamp": -5, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.timestamp", "-5"},
      {"vendor a number",
       R"({"timestamp": 1, "available": true, "vendor": 10, "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": []})",
       "webgpu.vendor", "10"},
      {"a limit a string",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {"maxBufferSize": "big"},
           "features": []})",
       "webgpu.limits.maxBufferSize", "\"big\""},
      {"a negative limit",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {"maxBufferSize": -1},
           "features": []})",
       "webgpu.limits.maxBufferSize", "-1"},
      {"limits an array",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": [], "features": []})",
       "webgpu.limits", ""},
      {"a feature a number",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "isFallbackAdapter": false, "limits": {}, "features": ["a", 7]})",
       "webgpu.features[1]", "7"},
      {"a field missing",
       R"({"timestamp": 1, "available": true, "vendor": "", "architecture": "", "device": "",
           "description": "", "limits": {}, "features": []})",
       "webgpu.isFallbackAdapter", ""},
      {"not an object", R"("nvidia")", "webgpu", "\"nvidia\""},
  };
  SUBCASE("wrong types and values name the JSON path") {
    for (const Bad& c : bad) {
      INFO("case: " << std::string(c.what));
      Monitor m;
      CHECK(wb::record_webgpu(m, valid).ok);
      const json before = m.metrics(kNow)["webgpu"];
      Status s = wb::record_webgpu(m, c.json_text);
      INFO("got field: " << s.field << ", message: " << s.message);
      CHECK_FALSE(s.ok);
      CHECK(s.field == c.field);
      CHECK(contains(s.message, c.field));
      if (*c.value) CHECK(contains(s.message, c.value));
      CHECK(m.state().rejected == 1);
      CHECK(rejected_for(m, c.field) == 1);
      json after = m.metrics(kNow);
      CHECK(after["rejected"]["total"] == 1);
      bool same = after["webgpu"] == before;
      CHECK_MESSAGE(same, "a refused adapter changed the webgpu metrics");
    }
  }
  SUBCASE("not JSON") {
    Monitor m;
    Status s = wb::record_webgpu(m, "{nope");
    CHECK_FALSE(s.ok);
    CHECK(m.state().rejected == 1);
    CHECK(m.metrics(kNow)["webgpu"]["available"].is_null());
  }
}

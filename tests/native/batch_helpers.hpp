// What the batch suites share (batch*.cpp): records built by hand as js/core.js writes them,
// valid records of each kind, and the check of a refused one.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "batch.hpp"

namespace batch_test {

namespace wb = wlm::batch;
namespace we = wlm::events;
namespace gf = wlm::events::generation_field;
using wlm::json;
using wlm::Monitor;
using wlm::Status;

inline constexpr double kT0 = 1'700'000'000'000.0;
inline constexpr double kNow = kT0 + 120'000;
/// Written into the slot of every absent field: invalid as a value and as a string index, so a
/// reader that ignored the mask would fail.
inline constexpr double kAbsent = -7777.5;

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::uint64_t rejected_for(const Monitor& m, const std::string& field) {
  const auto& items = m.state().rejected_by_field.items;
  auto it = items.find(field);
  return it == items.end() ? 0 : it->second;
}

using Fields = std::map<int, double>;

/// A batch as js/core.js writes it: doubles, a string table and a record count.
struct Batch {
  std::vector<double> data;
  std::vector<std::string> strings;
  std::size_t records = 0;

  /// Adds `s` to the string table; returns its index as a record holds it.
  double str(const std::string& s) {
    strings.push_back(s);
    return static_cast<double>(strings.size() - 1);
  }

  /// Appends a record of `kind`: the fields given are present (mask bit set), the others absent.
  Batch& add(int kind, const Fields& fields, const std::vector<double>& extra = {}) {
    const int n = we::kFieldCount[kind];
    std::uint64_t mask = 0;
    data.push_back(kind);
    data.push_back(static_cast<double>(we::kHeader + n + static_cast<int>(extra.size())));
    std::size_t mask_at = data.size();
    data.push_back(0);
    for (int i = 0; i < n; ++i) {
      auto it = fields.find(i);
      if (it == fields.end()) {
        data.push_back(kAbsent);
      } else {
        mask |= std::uint64_t{1} << i;
        data.push_back(it->second);
      }
    }
    data[mask_at] = static_cast<double>(mask);
    data.insert(data.end(), extra.begin(), extra.end());
    ++records;
    return *this;
  }

  /// Appends raw doubles as one more record (a malformed one).
  Batch& raw(const std::vector<double>& values) {
    data.insert(data.end(), values.begin(), values.end());
    ++records;
    return *this;
  }

  wb::Result ingest(Monitor& m) const {
    return wb::ingest(m, data.data(), data.size(), records, strings);
  }
};

// Valid records of each kind (all fields that matter present).

inline Fields generation(Batch& b) {
  return {{gf::kModel, b.str("llama")}, {gf::kStartedAt, kT0 + 1000}, {gf::kDurationMs, 2000},
          {gf::kTtftMs, 500},           {gf::kPromptTokens, 100},     {gf::kCompletionTokens, 51}};
}

inline Fields load(Batch& b) {
  return {{0, b.str("llama")}, {1, kT0}, {2, 3000}, {3, b.str("true")}, {4, 0}};
}

inline Fields cache(Batch& b, bool hit = true) {
  return {{0, b.str("shader")}, {1, hit ? 1.0 : 0.0}, {2, kT0 + 10}};
}

inline Fields operation(Batch& b, const std::string& name = "tokenize") {
  return {{0, b.str(name)}, {1, kT0 + 20}, {2, 12}};
}

inline Fields memory(Batch&) { return {{1, kT0 + 30}, {2, 1'000'000}, {4, 4'000'000'000}}; }

inline Fields device_lost(Batch& b) {
  return {{0, kT0 + 40},
          {1, b.str("destroyed")},
          {2, b.str("device destroyed")},
          {3, b.str("Phi-3.5")}};
}

inline Fields durations(Batch& b, std::size_t count, const std::string& name = "embed") {
  return {{0, b.str(name)}, {1, 1}, {2, kT0 + 60}, {3, static_cast<double>(count)}};
}

/// Ingests a one-record batch that must be refused naming `field` (and `value` when not empty),
/// counted once as a rejection of that field, with no generation, load, cache lookup, operation,
/// memory sample or device loss recorded.
inline void expect_refused(Monitor& m, const Batch& b, const std::string& field,
                           const std::string& value) {
  INFO("expected field: " << field << ", value: " << value);
  std::uint64_t total = m.state().rejected;
  std::uint64_t by_field = rejected_for(m, field);
  json before = m.metrics(kNow);
  wb::Result r = b.ingest(m);
  CHECK(r.malformed.empty());
  INFO("malformed: " << r.malformed);
  CHECK(r.accepted == 0);
  CHECK(r.rejected.size() == 1);
  if (r.rejected.size() == 1) {
    const wb::Rejection& rej = r.rejected[0];
    INFO("got field: " << rej.field << ", message: " << rej.message);
    CHECK(rej.record == 0);
    CHECK(rej.field == field);
    CHECK(contains(rej.message, field));
    if (!value.empty()) CHECK(contains(rej.message, value));
  }
  CHECK(m.state().rejected == total + 1);
  CHECK(rejected_for(m, field) == by_field + 1);
  json after = m.metrics(kNow);
  CHECK(after["rejected"]["total"] == json(total + 1));
  for (const char* key :
       {"generations", "initialization", "cache", "errors", "memory", "operations", "webgpu"}) {
    bool same = after[key] == before[key];
    CHECK_MESSAGE(same, "changed by a refused record: " << std::string(key));
  }
}

/// A valid record's fields of the given kind (kinds 1 to 7).
inline Fields valid_fields(int kind, Batch& b) {
  switch (kind) {
    case we::kGeneration: return generation(b);
    case we::kModelLoad: return load(b);
    case we::kCacheLookup: return cache(b);
    case we::kOperation: return operation(b);
    case we::kMemorySample: return memory(b);
    case we::kDeviceLost: return device_lost(b);
    default: return durations(b, 0);
  }
}

}  // namespace batch_test

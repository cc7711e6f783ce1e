// JSON text written straight into a string, as nlohmann's dump() writes the same tree: the views
// of the metrics write their sections with it instead of building a DOM to dump.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "json_io.hpp"

namespace wlm::jsonw {

/// Appends JSON to `out` without spaces, doubles as dump() writes them (shortest round trip,
/// "0.0" for zero, null for NaN and infinities), unsigned integers as integers. Keys are
/// written in the order they are given: a caller that gives each object's keys in sorted
/// order (std::map's, nlohmann's) writes the text dump() would (tests/native/metrics_text.cpp
/// reads it back and dumps it again). The commas are the writer's.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& begin_object() {
    separate();
    out_ += '{';
    comma_ = false;
    return *this;
  }
  Writer& end_object() {
    out_ += '}';
    comma_ = true;
    return *this;
  }
  Writer& begin_array() {
    separate();
    out_ += '[';
    comma_ = false;
    return *this;
  }
  Writer& end_array() {
    out_ += ']';
    comma_ = true;
    return *this;
  }
  /// A key that needs no escaping (the code's own names: ASCII letters and digits).
  Writer& key(std::string_view name) {
    separate();
    out_ += '"';
    out_ += name;
    out_ += "\":";
    comma_ = false;
    return *this;
  }
  /// A key from the data (a model's name, say), escaped as dump() escapes strings.
  Writer& key_escaped(const std::string& name);

  Writer& null() { return raw("null"); }
  Writer& boolean(bool b) { return raw(b ? "true" : "false"); }
  Writer& number(std::uint64_t n);
  Writer& number(double v);
  /// `v`, or null when it is NaN ("none").
  Writer& number_or_null(double v) { return std::isnan(v) ? null() : number(v); }
  /// part / whole, or null when whole is 0.
  Writer& rate(std::uint64_t part, std::uint64_t whole) {
    return whole ? number(static_cast<double>(part) / static_cast<double>(whole)) : null();
  }
  Writer& string(const std::string& s);
  /// A value given as a tree (small, rarely written parts: a record, an adapter's info).
  Writer& value(const json& v) { return raw(jsonio::dump(v)); }
  /// Text that is already JSON (a section written before).
  Writer& raw(std::string_view text) {
    separate();
    out_ += text;
    comma_ = true;
    return *this;
  }

 private:
  void separate() {
    if (comma_) out_ += ',';
  }
  std::string& out_;
  bool comma_ = false;  // a value was written at this level: the next one needs a comma
};

}  // namespace wlm::jsonw

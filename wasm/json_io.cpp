#include "json_io.hpp"

#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace wlm::jsonio {
namespace {

/// Forwards to nlohmann's DOM builder, keeps the parse error's text (no exceptions) and refuses
/// nesting deeper than kMaxJsonDepth, which no export has and which would recurse in dump(), and
/// more than kMaxValues values, whose DOM could exhaust wasm memory (an abort would take the
/// module down for the whole page): "[[],[],...]" costs about 50 bytes of DOM per 3 of text.
class Sax {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<json>;
  explicit Sax(json& root) : dom_(root, false) {}

  bool null() { return value() && dom_.null(); }
  bool boolean(bool v) { return value() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return value() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return value() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return value() && dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return value() && dom_.string(v); }
  bool binary(json::binary_t& v) { return value() && dom_.binary(v); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/, const Exception& ex) {
    message_ = ex.what();
    return false;
  }

  const std::string& message() const { return message_; }
  /// True when the parse stopped at a limit (the text may well be valid JSON).
  bool too_large() const { return too_large_; }

 private:
  bool value() {
    if (++values_ > kMaxJsonValues) {
      message_ =
          fmt::format("$: the document holds more than {} JSON values, the limit", kMaxJsonValues);
      too_large_ = true;
      return false;
    }
    return true;
  }
  bool enter() {
    if (++depth_ > kMaxJsonDepth) {
      message_ = fmt::format("nesting deeper than {} levels", kMaxJsonDepth);
      return false;
    }
    return value();
  }
  Dom dom_;
  std::size_t depth_ = 0;
  std::size_t values_ = 0;
  bool too_large_ = false;
  std::string message_;
};

/// The longest key a path shows in full; longer ones are cut (a path names, it does not copy).
constexpr std::size_t kMaxPathKeyBytes = 256;

bool is_identifier(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status wrong_type(const std::string& path, const char* want, const json& v) {
  return Status::error(path, fmt::format("{}: expected {}, got {}", path, want, describe(v)));
}

}  // namespace

Status parse(const std::string& text, json& out) {
  if (text.size() > kMaxDocumentBytes)
    return Status::error("$", fmt::format("$: the document is {} bytes, more than the limit of {} "
                                          "({} MiB)",
                                          text.size(), kMaxDocumentBytes, kMaxDocumentBytes >> 20));
  json root;
  Sax sax(root);
  bool ok = json::sax_parse(text, &sax);
  if (!ok && sax.too_large()) return Status::error("$", sax.message());
  if (!ok) {
    std::string msg = sax.message().empty() ? std::string("invalid JSON") : sax.message();
    // nlohmann prefixes "[json.exception.parse_error.101] "; keep the human part.
    auto close = msg.find("] ");
    if (msg.rfind("[json.exception", 0) == 0 && close != std::string::npos) msg.erase(0, close + 2);
    return Status::error("$", fmt::format("$: not valid JSON: {}", msg));
  }
  out = std::move(root);
  return Status::success();
}

std::string dump(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return fmt::format("an array of {}", v.size());
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (s.size() > 40)
        return fmt::format("a string \"{}...\" ({} bytes)", s.substr(0, 40), s.size());
      return fmt::format("\"{}\"", s);
    }
    case json::value_t::null: return "null";
    case json::value_t::discarded: return "nothing";
    default: return dump(v);
  }
}

std::string quote_short(const std::string& s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return dump(json(s));
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return dump(json(s.substr(0, n) + "..."));
}

std::string child(const std::string& path, const std::string& key) {
  if (key.size() > kMaxPathKeyBytes) return path + "[" + quote_short(key, kMaxPathKeyBytes) + "]";
  if (is_identifier(key)) return path + "." + key;
  return path + "[" + dump(json(key)) + "]";
}

std::string child(const std::string& path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

Status member(const json& obj, const std::string& path, const char* key, const json*& out) {
  if (!obj.is_object()) return wrong_type(path, "an object", obj);
  auto it = obj.find(key);
  if (it == obj.end()) {
    std::string p = child(path, key);
    return Status::error(p, fmt::format("{}: missing", p));
  }
  out = &*it;
  return Status::success();
}

Status object(const json& obj, const std::string& path, const char* key, const json*& out) {
  if (Status s = member(obj, path, key, out); !s) return s;
  if (!out->is_object()) return wrong_type(child(path, key), "an object", *out);
  return Status::success();
}

Status array(const json& obj, const std::string& path, const char* key, const json*& out) {
  if (Status s = member(obj, path, key, out); !s) return s;
  if (!out->is_array()) return wrong_type(child(path, key), "an array", *out);
  return Status::success();
}

Status number_value(const json& v, const std::string& path, double& out, double lo, double hi) {
  if (!v.is_number()) return wrong_type(path, "a number", v);
  double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    return Status::error(path, fmt::format("{}: {} is outside [{}, {}]", path, dump(v), lo, hi));
  out = d;
  return Status::success();
}

Status number(const json& obj, const std::string& path, const char* key, double& out, double lo,
              double hi) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  return number_value(*v, child(path, key), out, lo, hi);
}

Status optional_number(const json& obj, const std::string& path, const char* key, double& out,
                       double lo, double hi) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  if (v->is_null()) {
    out = std::nan("");
    return Status::success();
  }
  return number_value(*v, child(path, key), out, lo, hi);
}

Status count_value(const json& v, const std::string& path, std::uint64_t& out) {
  constexpr std::uint64_t kMax = 1ull << 53;
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
  } else if (v.is_number_integer()) {
    std::int64_t i = v.get<std::int64_t>();
    if (i < 0) return Status::error(path, fmt::format("{}: {} is negative", path, i));
    out = static_cast<std::uint64_t>(i);
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(d >= 0) || d != std::floor(d) || d > static_cast<double>(kMax))
      return Status::error(path, fmt::format("{}: {} is not a whole number >= 0", path, dump(v)));
    out = static_cast<std::uint64_t>(d);
  } else {
    return wrong_type(path, "a whole number", v);
  }
  if (out > kMax) return Status::error(path, fmt::format("{}: {} is larger than 2^53", path, out));
  return Status::success();
}

Status count(const json& obj, const std::string& path, const char* key, std::uint64_t& out) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  return count_value(*v, child(path, key), out);
}

Status integer(const json& obj, const std::string& path, const char* key, std::int64_t& out,
               std::int64_t lo, std::int64_t hi) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  std::string p = child(path, key);
  if (v->is_number_integer()) {  // true for signed and unsigned
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
      return Status::error(p, fmt::format("{}: {} is outside [{}, {}]", p, dump(*v), lo, hi));
    out = v->get<std::int64_t>();
  } else if (v->is_number_float() && v->get<double>() == std::floor(v->get<double>()) &&
             std::fabs(v->get<double>()) < 9.007199254740992e15) {
    out = static_cast<std::int64_t>(v->get<double>());
  } else {
    return wrong_type(p, "an integer", *v);
  }
  if (out < lo || out > hi)
    return Status::error(p, fmt::format("{}: {} is outside [{}, {}]", p, out, lo, hi));
  return Status::success();
}

Status string(const json& obj, const std::string& path, const char* key, std::string& out,
              std::size_t max_len) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  std::string p = child(path, key);
  if (!v->is_string()) return wrong_type(p, "a string", *v);
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len)
    return Status::error(p, fmt::format("{}: {} bytes is longer than {}", p, s.size(), max_len));
  out = s;
  return Status::success();
}

Status optional_string(const json& obj, const std::string& path, const char* key, std::string& out,
                       std::size_t max_len) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  if (v->is_null()) {
    out.clear();
    return Status::success();
  }
  return string(obj, path, key, out, max_len);
}

Status boolean(const json& obj, const std::string& path, const char* key, bool& out) {
  const json* v = nullptr;
  if (Status s = member(obj, path, key, v); !s) return s;
  if (!v->is_boolean()) return wrong_type(child(path, key), "true or false", *v);
  out = v->get<bool>();
  return Status::success();
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace wlm::jsonio

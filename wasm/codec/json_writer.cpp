#include "codec/json_writer.hpp"

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

namespace wlm::jsonw {

Writer& Writer::number(std::uint64_t n) {
  std::array<char, 24> buf;
  auto end = std::to_chars(buf.data(), buf.data() + buf.size(), n).ptr;
  return raw(std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

Writer& Writer::number(double v) {
  if (!std::isfinite(v)) return null();
  // The conversion dump() uses (Grisu2, "%.17g"-like layout, ".0" on integral values).
  std::array<char, 64> buf;
  char* end = nlohmann::detail::to_chars(buf.data(), buf.data() + buf.size(), v);
  return raw(std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

Writer& Writer::string(const std::string& s) { return raw(jsonio::dump(json(s))); }

Writer& Writer::key_escaped(const std::string& name) {
  string(name);
  out_ += ':';
  comma_ = false;
  return *this;
}

}  // namespace wlm::jsonw

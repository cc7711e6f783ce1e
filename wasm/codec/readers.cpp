#include "codec/readers.hpp"

namespace wlm {
namespace codec {

using jsonio::child;

Status check_key(const std::string& path, const std::string& key) {
  if (key.empty()) return Status::error(path, fmt::format("{}: an empty name", path));
  if (key.size() > Limits::kMaxNameBytes)
    return Status::error(path, fmt::format("{}: a name of {} bytes, longer than {}", path,
                                           key.size(), Limits::kMaxNameBytes));
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f)
      return Status::error(path, fmt::format("{}: a name with a control character", path));
  return Status::success();
}

Status read_counts(const json& in, const std::string& path, const char* key,
                   CappedMap<std::uint64_t>& out) {
  const json* obj = nullptr;
  WLM_TRY(jsonio::object(in, path, key, obj));
  std::string p = child(path, key);
  if (obj->size() > out.cap)
    return Status::error(
        p, fmt::format("{}: {} keys, more than the limit {}", p, obj->size(), out.cap));
  out.items.clear();
  for (const auto& [k, v] : obj->items()) {
    WLM_TRY(check_key(child(p, k), k));
    WLM_TRY(jsonio::count_value(v, child(p, k), out.items[k]));
  }
  return Status::success();
}

Status read_series(const json& in, const std::string& path, const char* key, Series& out) {
  const json* obj = nullptr;
  WLM_TRY(jsonio::object(in, path, key, obj));
  return out.from_json(*obj, child(path, key));
}

json series_state(const Series& s) {
  json out;
  s.to_json(out);
  return out;
}

/// Reads "errorType": null (succeeded) or a non-empty name.
Status read_error_type(const json& in, const std::string& path, std::string& out) {
  const json* v = nullptr;
  WLM_TRY(jsonio::member(in, path, "errorType", v));
  if (v->is_null()) {
    out.clear();
    return Status::success();
  }
  WLM_TRY(jsonio::string(in, path, "errorType", out, Limits::kMaxNameBytes));
  if (out.empty())
    return Status::error(
        child(path, "errorType"),
        fmt::format("{}: empty; null stands for no error", child(path, "errorType")));
  return Status::success();
}

}  // namespace codec
}  // namespace wlm

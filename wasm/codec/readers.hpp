// What the readers of the state JSON share: breakdown keys, capped maps and lists, series,
// error types and folded attribute-set maps, each refused with its JSON path.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "aggregates/session_state.hpp"
#include "json_io.hpp"

namespace wlm {
namespace codec {

/// The largest sum or byte count a state may hold.
inline constexpr double kMaxValue = 1e300;

/// A key of a breakdown (a model, type, cache, operation or error name, a rejected field) is
/// read as events give names: 1 to 256 bytes, no control character.
Status check_key(const std::string& path, const std::string& key);

/// Reads an object of counts keyed by name into a capped map.
Status read_counts(const json& in, const std::string& path, const char* key,
                   CappedMap<std::uint64_t>& out);

/// Reads an object of `Item`s keyed by name into a capped map with `read_item`.
template <class V, class ReadItem>
Status read_map(const json& in, const std::string& path, const char* key, CappedMap<V>& out,
                ReadItem read_item) {
  const json* obj = nullptr;
  WLM_TRY(jsonio::object(in, path, key, obj));
  std::string p = jsonio::child(path, key);
  if (obj->size() > out.cap)
    return Status::error(
        p, fmt::format("{}: {} keys, more than the limit {}", p, obj->size(), out.cap));
  out.items.clear();
  for (const auto& [k, v] : obj->items()) {
    WLM_TRY(check_key(jsonio::child(p, k), k));
    WLM_TRY(read_item(v, jsonio::child(p, k), out.items[k]));
  }
  return Status::success();
}

/// Reads an array of at most `cap` items into a list with `read_item`.
template <class T, class ReadItem>
Status read_list(const json& in, const std::string& path, const char* key, std::deque<T>& out,
                 std::size_t cap, ReadItem read_item) {
  const json* arr = nullptr;
  WLM_TRY(jsonio::array(in, path, key, arr));
  std::string p = jsonio::child(path, key);
  if (arr->size() > cap)
    return Status::error(
        p, fmt::format("{}: {} entries, more than the limit {}", p, arr->size(), cap));
  out.clear();
  for (std::size_t i = 0; i < arr->size(); ++i) {
    T item;
    WLM_TRY(read_item((*arr)[i], jsonio::child(p, i), item));
    out.push_back(std::move(item));
  }
  return Status::success();
}

/// Reads the series under `key` of `in`.
Status read_series(const json& in, const std::string& path, const char* key, Series& out);
/// A series' state JSON as a value.
json series_state(const Series& s);
/// Reads "errorType": null (succeeded) or a non-empty name.
Status read_error_type(const json& in, const std::string& path, std::string& out);

/// Most entries a folded map can hold: its cap plus the folded keys (3 operations or sources,
/// with and without an error type).
template <class K, class V>
std::size_t folded_limit(const FoldedMap<K, V>& m) {
  return m.cap + 6;
}

/// Reads an array of attribute-set entries into a folded map: at most folded_limit() entries,
/// no key twice, and their duration counts adding up to `expected_total`.
template <class K, class V, class ReadEntry>
Status read_folded(const json& in, const std::string& path, const char* key, FoldedMap<K, V>& out,
                   std::uint64_t expected_total, ReadEntry read_entry) {
  static_assert(std::is_same_v<decltype(std::declval<V>().duration_ms), Series>);
  const json* arr = nullptr;
  WLM_TRY(jsonio::array(in, path, key, arr));
  std::string p = jsonio::child(path, key);
  if (arr->size() > folded_limit(out))
    return Status::error(p, fmt::format("{}: {} entries, more than the limit {}", p, arr->size(),
                                        folded_limit(out)));
  out.items.clear();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    std::string ep = jsonio::child(p, i);
    if (!(*arr)[i].is_object())
      return Status::error(
          ep, fmt::format("{}: expected an object, got {}", ep, jsonio::describe((*arr)[i])));
    K k;
    V v;
    WLM_TRY(read_entry((*arr)[i], ep, k, v));
    if (out.items.count(k))
      return Status::error(ep, fmt::format("{}: a second entry for the same attributes", ep));
    total += v.duration_ms.count();
    out.items.emplace(std::move(k), std::move(v));
  }
  if (total != expected_total)
    return Status::error(p, fmt::format("{}: the entries hold {} durations but the total is {}", p,
                                        total, expected_total));
  return Status::success();
}

}  // namespace codec
}  // namespace wlm

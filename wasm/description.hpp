// Compile-time look-ups in the series table generated from the description
// (generated/description.hpp): the series kept in one place, in the description's order.
#pragma once

#include <cstddef>
#include <string_view>

#include "generated/description.hpp"

namespace wlm {
namespace description {

/// How many series the description keeps in `where`.
constexpr std::size_t count(Where where) {
  std::size_t n = 0;
  for (const SeriesInfo& s : kSeries) n += s.where == where;
  return n;
}

/// The `i`-th series kept in `where`, in the description's order (nullptr past the last).
constexpr const SeriesInfo* nth(Where where, std::size_t i) {
  for (const SeriesInfo& s : kSeries)
    if (s.where == where && i-- == 0) return &s;
  return nullptr;
}

/// The series `name` kept in `where`, or nullptr.
constexpr const SeriesInfo* find(Where where, std::string_view name) {
  for (const SeriesInfo& s : kSeries)
    if (s.where == where && s.name == name) return &s;
  return nullptr;
}

/// Whether the description keeps a series `name` in `where`. (A bool, not find() != nullptr:
/// g++ refuses that pointer comparison in a constant expression under -fsanitize=undefined.)
constexpr bool has(Where where, std::string_view name) {
  for (const SeriesInfo& s : kSeries)
    if (s.where == where && s.name == name) return true;
  return false;
}

/// True when the keys of `table` (entries with a `key`) are, in order, the series of `where`.
template <class Field, std::size_t N>
constexpr bool same_series(const Field (&table)[N], Where where) {
  if (count(where) != N) return false;
  for (std::size_t i = 0; i < N; ++i)
    if (std::string_view(table[i].key) != nth(where, i)->name) return false;
  return true;
}

}  // namespace description
}  // namespace wlm

// The core's series against the description (wasm/generated/description.hpp): every series the
// description lists exists in the aggregates with the bucket unit it gives.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "aggregates/session_state.hpp"
#include "description.hpp"

using namespace wlm;
using description::Where;

namespace {

/// The series of a state that the description places in `where` under `name`, or nullptr.
const Series* kept(const SessionState& s, Where where, std::string_view name) {
  switch (where) {
    case Where::generation: return s.generations.series(std::string(name));
    case Where::load: return name == "loadMs" ? &s.load_ms : nullptr;
    case Where::operation:
      return name == "durationMs" ? &s.operations.items.at("op").duration_ms : nullptr;
    case Where::gen_ai:
      for (const auto& f : kGenAiSeries)
        if (name == f.key) return &(s.genai.items.begin()->second.*f.member);
      return nullptr;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("every described series is kept, with the described bucket unit") {
  SessionState s;
  s.operations.at("op");
  s.genai.at(GenAiKey{}, [](const GenAiKey& k) { return k; });
  for (const auto& info : description::kSeries) {
    CAPTURE(std::string(info.name));
    const Series* series = kept(s, info.where, info.name);
    REQUIRE(series != nullptr);
    CHECK(std::string_view(bucket_unit(series->unit())) == info.bucket_unit);
  }
  CHECK(description::find(Where::generation, "ttftMs") != nullptr);
  CHECK(description::find(Where::gen_ai, "ttftMs") == nullptr);
  CHECK(description::nth(Where::load, 1) == nullptr);
}

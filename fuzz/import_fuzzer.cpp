// libFuzzer target: an export document from anywhere (a file, storage, another machine) read by
// import_json and merge_json. Oracles beyond "no crash": a refused document changes nothing; an
// accepted one exports again and imports back to the same data (a fixed point).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "monitor.hpp"
#include "require.hpp"

namespace {

/// A monitor with a little of everything, to merge into.
wlm::Monitor seeded() {
  wlm::Monitor m;
  m.reset(1.7e12);
  wlm::GenerationEvent e;
  e.model = "m";
  e.started_at = 1.7e12;
  e.duration_ms = 120;
  e.ttft_ms = 30;
  e.chunk_gaps_ms = {10, 12, 9};
  e.prompt_tokens = 8;
  e.completion_tokens = 4;
  (void)m.record(e);
  wlm::ModelLoadEvent load;
  load.model = "m";
  load.started_at = 1.7e12 - 5000;
  load.duration_ms = 4000;
  load.from_cache = wlm::Tristate::yes;
  (void)m.record(load);
  return m;
}

/// The parts of an export that import reads back (metrics and status also hold the sliding
/// windows, which are live views and not exported).
wlm::json persisted(const std::string& text) {
  wlm::json doc = wlm::json::parse(text, nullptr, false);
  return wlm::json{{"sketches", doc["sketches"]},
                   {"generations", doc["generations"]},
                   {"memorySnapshots", doc["memorySnapshots"]}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr double kNow = 1.7e12 + 60'000;
  const std::string text(reinterpret_cast<const char*>(data), size);

  wlm::Monitor m = seeded();
  const std::string before = m.export_json(kNow);
  wlm::Status imported = m.import_json(text);
  if (!imported.ok) {
    require(m.export_json(kNow) == before, "a refused import changed the monitor");
  } else {
    // Export, import, export: what import reads comes back the same.
    const std::string once = m.export_json(kNow);
    wlm::Monitor back;
    require(back.import_json(once).ok, "an export of an accepted import was refused");
    require(persisted(back.export_json(kNow)) == persisted(once),
            "export -> import -> export is not a fixed point");
    (void)m.metrics(kNow);
    (void)m.text_report(kNow);
    std::string otlp;
    require(m.otlp_json("{}", kNow, otlp).ok, "otlp_json failed on an accepted import");
  }

  wlm::Monitor target = seeded();
  const std::string target_before = target.export_json(kNow);
  wlm::Status merged = target.merge_json(text);
  if (!merged.ok)
    require(target.export_json(kNow) == target_before, "a refused merge changed the monitor");
  require(merged.ok == imported.ok, "import and merge disagree on a document");
  return 0;
}

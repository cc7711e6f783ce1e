// libFuzzer target: the batch wire format (what js/core.js writes into wasm memory) and event
// validation behind it. The input is read as a string table and a batch of doubles, with the
// record count and the doubles taken as they come: malformed batches must be refused, bad
// values rejected with a field name, and the monitor's reads must work on whatever got in.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "batch.hpp"
#include "monitor.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Byte 0: how many strings; byte 1: how many records. Then the strings (each a length byte
  // and its bytes); the rest is the batch, 8 bytes per double.
  std::size_t nstrings = data[0] % 16;
  std::size_t records = data[1] % 32;
  std::size_t pos = 2;
  std::vector<std::string> strings;
  for (std::size_t i = 0; i < nstrings && pos < size; ++i) {
    std::size_t len = data[pos++] % 64;
    if (len > size - pos) len = size - pos;
    strings.emplace_back(reinterpret_cast<const char*>(data + pos), len);
    pos += len;
  }
  std::vector<double> batch((size - pos) / 8);
  if (!batch.empty()) std::memcpy(batch.data(), data + pos, batch.size() * 8);

  wlm::Monitor m;
  m.reset(1.7e12);
  wlm::batch::Result r = wlm::batch::ingest(m, batch.data(), batch.size(), records, strings);
  require(r.accepted + r.rejected.size() <= records,
          "more records accepted or rejected than the batch holds");
  for (const auto& rej : r.rejected)
    require(!rej.field.empty() && !rej.message.empty(),
            "a refusal names no field or has no message");

  // Whatever was accepted must read, export and import back.
  constexpr double kNow = 1.7e12 + 3'600'000;
  (void)m.metrics(kNow);
  (void)m.status(kNow);
  std::string text = m.export_json(kNow);
  wlm::Monitor back;
  require(back.import_json(text).ok, "an export of accepted events was refused");
  wlm::json a = wlm::json::parse(text, nullptr, false);
  wlm::json b = wlm::json::parse(back.export_json(kNow), nullptr, false);
  require(a["sketches"] == b["sketches"] && a["generations"] == b["generations"],
          "export -> import -> export is not a fixed point");
  std::string otlp;
  require(m.otlp_json(R"({"resource":{"service.name":"fuzz"}})", kNow, otlp).ok,
          "otlp_json failed on accepted events");
  return 0;
}

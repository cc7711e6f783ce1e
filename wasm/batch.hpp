// The batch wire format: events written by JavaScript into a Float64Array view of wasm memory
// and ingested with one call. js/core.js writes exactly this layout.
//
// A record is [kind, length, mask, field 0, field 1, ...(, extra values)] where `length` counts
// every double of the record including the three header slots, and bit i of `mask` says that
// field i is present (an absent field is distinct from a NaN, which is refused). String fields
// hold an index into the batch's string table; enum fields are strings too, so that an unknown
// value can be named in the error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generated/events.hpp"
#include "monitor.hpp"

namespace wlm::batch {

// The kinds, the fields of each and their tables are those of the description
// (schema/description.mjs, its `events`), generated into generated/events.hpp: events::Kind,
// events::<kind>_field, events::kFields, events::kFieldCount, events::kHeader and the plain
// numbers of each event with the member each goes to (events::k<Kind>Numbers<Event>).

struct Rejection {
  std::size_t record;  // 0-based index of the record in the batch
  std::string field;
  std::string message;
};

struct Result {
  std::size_t accepted = 0;
  /// Of the accepted records, those the fast path took (ingest/recorder.hpp).
  std::size_t fast = 0;
  std::vector<Rejection> rejected;
  /// Set when the batch itself is malformed (a bug in the writer): records from the bad one on
  /// were not read.
  std::string malformed;
};

/// Ingests `records` records from `data` (holding `size` doubles). Successful operations and
/// generations that pass every check take a fast path (ingest/recorder.hpp); every other record
/// is decoded into its event and given to Monitor::record.
Result ingest(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
              const std::vector<std::string>& strings);

/// ingest() without the fast path: every record decoded and given to Monitor::record. The
/// reference the tests hold ingest() to (the same result and the same monitor afterwards).
Result ingest_reference(Monitor& monitor, const double* data, std::size_t size, std::size_t records,
                        const std::vector<std::string>& strings);

/// Records WebGPU adapter information given as JSON ({timestamp, available, vendor, architecture,
/// device, description, isFallbackAdapter, limits, features}); rare, so JSON is fine here.
Status record_webgpu(Monitor& monitor, const std::string& json_text);

/// Applies a partial configuration given as JSON (see Config::read). On error nothing changes.
Status configure(Monitor& monitor, const std::string& json_text);

}  // namespace wlm::batch

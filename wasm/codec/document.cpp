// The export document of a monitor: writing it (the histories record by record, no DOM of them),
// reading one back (import) and adding one or several to the data (merge), all or nothing.
#include <algorithm>

#include <fmt/format.h>

#include "monitor.hpp"

namespace wlm {
namespace {

using jsonio::child;

template <class T, class TimeOf>
void merge_by_time(std::deque<T>& mine, const std::deque<T>& theirs, std::size_t cap,
                   TimeOf time_of) {
  mine.insert(mine.end(), theirs.begin(), theirs.end());
  std::stable_sort(mine.begin(), mine.end(),
                   [&](const T& a, const T& b) { return time_of(a) < time_of(b); });
  while (mine.size() > cap) mine.pop_front();
}

}  // namespace

json Monitor::document_head(const json& metrics, double now_ms, json sketches) const {
  json doc = json::object();
  doc["schemaVersion"] = kSchemaVersion;
  doc["exportedAt"] = iso8601(now_ms);
  doc["exportedAtMs"] = now_ms;
  doc["status"] = status_from(metrics["health"]);
  doc["metrics"] = metrics;
  doc["generations"] = json::array();
  doc["memorySnapshots"] = json::array();
  doc["sketches"] = std::move(sketches);
  return doc;
}

namespace {

// Room for a history's text, reserved at once (a string that doubles holds 1.5 times its size
// while it copies): its strings at most twice their size once escaped (free text has no control
// characters but tab and line breaks), the rest of a record about 450 bytes, reserved as 640.
std::size_t generations_room(const std::deque<GenerationRecord>& records) {
  std::size_t room = 2;
  for (const GenerationRecord& r : records) {
    const GenerationEvent& e = r.event;
    room +=
        640 + 2 * (e.model.size() + e.type.size() + e.error_name.size() + e.error_message.size());
  }
  return room;
}

std::size_t memory_room(const std::deque<MemorySample>& samples) {
  std::size_t room = 2;
  for (const MemorySample& m : samples) room += 400 + 2 * m.label.size();
  return room;
}

/// A JSON array of `items`, each serialized on its own: the peak is the text, not a DOM of all
/// of them (100,000 history records with long messages took ~1.9 GiB of wasm memory that way,
/// a step from the 2 GiB where an allocation fails and the module aborts).
template <class Items, class ToJson>
void append_array(std::string& out, const Items& items, ToJson to_json) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    out += jsonio::dump(to_json(item));
  }
  out += ']';
}

void append_generations(std::string& out, const std::deque<GenerationRecord>& records) {
  append_array(out, records, [](const GenerationRecord& r) { return r.to_json(); });
}

void append_memory(std::string& out, const std::deque<MemorySample>& samples) {
  append_array(out, samples, [](const MemorySample& m) { return to_json(m); });
}

}  // namespace

json Monitor::export_document(double now_ms) const {
  json doc = document_head(metrics(now_ms), now_ms, state_.state());
  doc["generations"] = generations_json();
  doc["memorySnapshots"] = memory_json();
  return doc;
}

std::string Monitor::export_json(double now_ms) const {
  // The head's members as text, in the document's (sorted) key order; the histories, empty in
  // the head, are written record by record in their place. The head's DOM is gone before the
  // output is reserved.
  std::vector<std::pair<std::string, std::string>> members;
  std::size_t room = 2 + generations_room(generations_) + memory_room(memory_);
  {
    const json head = document_head(metrics(now_ms), now_ms, state_.state());
    for (auto it = head.begin(); it != head.end(); ++it) {
      const bool history = it.key() == "generations" || it.key() == "memorySnapshots";
      members.emplace_back(it.key(), history ? std::string() : jsonio::dump(it.value()));
      room += it.key().size() + 4 + members.back().second.size();
    }
  }
  std::string out;
  out.reserve(room);
  out += '{';
  for (const auto& [key, text] : members) {
    if (out.size() > 1) out += ',';
    out += jsonio::dump(json(key));
    out += ':';
    if (key == "generations")
      append_generations(out, generations_);
    else if (key == "memorySnapshots")
      append_memory(out, memory_);
    else
      out += text;
  }
  out += '}';
  return out;
}

std::string Monitor::generations_text() const {
  std::string out;
  out.reserve(generations_room(generations_));
  append_generations(out, generations_);
  return out;
}

std::string Monitor::memory_text() const {
  std::string out;
  out.reserve(memory_room(memory_));
  append_memory(out, memory_);
  return out;
}

json Monitor::generations_json() const {
  json out = json::array();
  for (const auto& r : generations_) out.push_back(r.to_json());
  return out;
}

json Monitor::memory_json() const {
  json out = json::array();
  for (const auto& s : memory_) out.push_back(to_json(s));
  return out;
}

struct Monitor::Parsed {
  SessionState state;
  std::deque<GenerationRecord> generations;
  std::deque<MemorySample> memory;
};

Status Monitor::parse_document(const std::string& text, Parsed& out) const {
  json doc;
  WLM_TRY(jsonio::parse(text, doc));
  if (!doc.is_object())
    return Status::error(
        "$", fmt::format("$: expected an export object, got {}", jsonio::describe(doc)));
  std::int64_t version = 0;
  const json* v = nullptr;
  WLM_TRY(jsonio::member(doc, "$", "schemaVersion", v));
  if (!v->is_number_integer())
    return Status::error(
        "$.schemaVersion",
        fmt::format("$.schemaVersion: expected an integer, got {}", jsonio::describe(*v)));
  version = v->get<std::int64_t>();
  if (version == 1)
    return Status::error(
        "$.schemaVersion",
        "$.schemaVersion: version 1 (duration buckets in milliseconds) cannot be read "
        "exactly by this build, which reads version 2 (buckets in seconds); export "
        "the session again with this version");
  if (version != kSchemaVersion)
    return Status::error(
        "$.schemaVersion",
        fmt::format("$.schemaVersion: version {} is not supported (this build reads "
                    "version {})",
                    version, kSchemaVersion));
  const json* sketches = nullptr;
  WLM_TRY(jsonio::object(doc, "$", "sketches", sketches));
  WLM_TRY(out.state.read(*sketches, "$.sketches"));

  const json* gens = nullptr;
  WLM_TRY(jsonio::array(doc, "$", "generations", gens));
  if (gens->size() > kMaxHistory)
    return Status::error("$.generations", fmt::format("$.generations: {} entries, more than {}",
                                                      gens->size(), kMaxHistory));
  for (std::size_t i = 0; i < gens->size(); ++i) {
    GenerationRecord r;
    WLM_TRY(r.read((*gens)[i], child("$.generations", i)));
    out.generations.push_back(std::move(r));
  }
  const json* mem = nullptr;
  WLM_TRY(jsonio::array(doc, "$", "memorySnapshots", mem));
  if (mem->size() > kMaxHistory)
    return Status::error(
        "$.memorySnapshots",
        fmt::format("$.memorySnapshots: {} entries, more than {}", mem->size(), kMaxHistory));
  for (std::size_t i = 0; i < mem->size(); ++i) {
    MemorySample s;
    std::string p = child("$.memorySnapshots", i);
    if (!(*mem)[i].is_object())
      return Status::error(
          p, fmt::format("{}: expected an object, got {}", p, jsonio::describe((*mem)[i])));
    WLM_TRY(read((*mem)[i], p, s));
    out.memory.push_back(std::move(s));
  }
  return Status::success();
}

Status Monitor::import_json(const std::string& text) {
  ++changes_;
  Parsed p;
  WLM_TRY(parse_document(text, p));
  ++epoch_;
  state_ = std::move(p.state);
  generations_ = std::move(p.generations);
  memory_ = std::move(p.memory);
  fine_.clear();
  coarse_.clear();
  trim_histories();
  return Status::success();
}

Status Monitor::merge_json(const std::string& text) {
  return merge_json(std::vector<std::string>{text});
}

Status Monitor::merge_json(const std::vector<std::string>& texts, std::size_t* failed_document) {
  ++changes_;
  if (failed_document != nullptr) *failed_document = 0;
  std::size_t total = 0;
  for (const std::string& t : texts) total += t.size();
  if (total > jsonio::kMaxMergeBytes)
    return Status::error("$",
                         fmt::format("$: the documents hold {} bytes together, more than the "
                                     "limit of {} bytes ({} MiB) per merge",
                                     total, jsonio::kMaxMergeBytes, jsonio::kMaxMergeBytes >> 20));
  std::vector<Parsed> docs(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Status s = parse_document(texts[i], docs[i]);
    if (!s) {
      if (texts.size() > 1) s.message = fmt::format("document {}: {}", i + 1, s.message);
      if (failed_document != nullptr) *failed_document = i + 1;
      return s;
    }
  }
  // Each document is within the limits an import checks, but their sum may not be (counts past
  // 2^53, sums past 1e300): merge into a copy first and read it back as an import would, so that
  // the monitor never holds a session its own export could not restore. The merge proper is
  // then done in place, which keeps series objects (and find_series() pointers) where they are.
  {
    SessionState merged = state_;
    for (const Parsed& p : docs) merged.merge(p.state);
    SessionState check;
    if (Status s = check.read(merged.state(), "$.sketches"); !s)
      return Status::error(
          s.field, fmt::format("{} (in the merged session: nothing was merged)", s.message));
  }
  ++merges_;
  for (Parsed& p : docs) {
    state_.merge(p.state);
    merge_by_time(generations_, p.generations, config_.history_size,
                  [](const GenerationRecord& r) { return r.event.started_at; });
    merge_by_time(memory_, p.memory, config_.history_size,
                  [](const MemorySample& s) { return s.timestamp; });
  }
  return Status::success();
}

}  // namespace wlm

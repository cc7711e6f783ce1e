#include "ingest/recorder.hpp"

#include <cmath>

#include "batch.hpp"

namespace wlm::ingest {
namespace {

namespace gf = events::generation_field;
namespace of = events::operation_field;

bool has(std::uint64_t mask, int i) { return (mask >> i) & 1u; }

/// What validation's range check accepts of a present number: within [lo, hi] (so neither NaN
/// nor infinite), and whole when `whole`.
bool within(double v, double lo, double hi, bool whole = false) {
  return v >= lo && v <= hi && (!whole || v == std::floor(v));
}

/// What validate(GenerationEvent) accepts of each number field, when present.
struct Range {
  int field;
  double lo, hi;
  bool whole;
};
constexpr Range kGenerationRanges[] = {
    {gf::kStartedAt, 0, Limits::kMaxTimestamp, false},
    {gf::kDurationMs, 0, Limits::kMaxDurationMs, false},
    {gf::kTtftMs, 0, Limits::kMaxDurationMs, false},
    {gf::kPromptTokens, 0, Limits::kMaxTokens, true},
    {gf::kCompletionTokens, 0, Limits::kMaxTokens, true},
    {gf::kEngineTtftMs, 0, Limits::kMaxDurationMs, false},
    {gf::kEnginePrefillTokensPerSec, 0, Limits::kMaxRate, false},
    {gf::kEngineDecodeTokensPerSec, 0, Limits::kMaxRate, false},
    {gf::kEngineTimePerOutputTokenMs, 0, Limits::kMaxDurationMs, false},
    {gf::kPromptChars, 0, Limits::kMaxChars, true},
    {gf::kResponseChars, 0, Limits::kMaxChars, true},
    {gf::kTemperature, 0, Limits::kMaxTemperature, false},
    {gf::kMaxTokens, 1, Limits::kMaxTokens, true},
};

/// The value of an enum that string `s` names (parse_operation, parse_finish_reason), parsed
/// once into `memo` (-1: not yet, kNone: it names none); false when it names none.
constexpr std::int8_t kNone = 127;
template <class Enum>
bool parse_once(std::int8_t& memo, const std::string& s, bool (*parse)(const std::string&, Enum&),
                Enum& out) {
  if (memo < 0) {
    Enum e{};
    memo = parse(s, e) ? static_cast<std::int8_t>(e) : kNone;
  }
  if (memo == kNone) return false;
  out = static_cast<Enum>(memo);
  return true;
}

}  // namespace

Recorder::Recorder(Monitor& monitor, const std::vector<std::string>& strings)
    : monitor_(monitor), state_(monitor.state_), strings_(strings), texts_(strings.size()) {}

bool Recorder::index(const double* f, std::uint64_t mask, int i, std::size_t& id) const {
  if (!has(mask, i)) return false;
  double v = f[i];
  if (!(v >= 0) || v != std::floor(v) || v >= static_cast<double>(strings_.size())) return false;
  id = static_cast<std::size_t>(v);
  return true;
}

bool Recorder::valid_name(std::size_t id) {
  Text& t = texts_[id];
  if (t.name < 0) {
    // validate()'s name check: 1 to kMaxNameBytes bytes, no control character.
    const std::string& s = strings_[id];
    bool ok = !s.empty() && s.size() <= Limits::kMaxNameBytes;
    for (std::size_t i = 0; ok && i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      ok = c >= 0x20 && c != 0x7f;
    }
    t.name = ok ? 1 : 0;
  }
  return t.name == 1;
}

void Recorder::touch(double t) {
  state_.first_event_at = nan_min(state_.first_event_at, t);
  state_.last_event_at = nan_max(state_.last_event_at, t);
}

bool Recorder::record(int kind, const double* f, std::uint64_t mask, const double* extra,
                      std::size_t extra_n) {
  switch (kind) {
    case events::kOperation: return operation(f, mask);
    case events::kGeneration: return generation(f, mask, extra, extra_n);
    default: return false;
  }
}

// Taken: a successful operation without an error name or message.
bool Recorder::operation(const double* f, std::uint64_t mask) {
  if (!has(mask, of::kStartedAt) || !has(mask, of::kDurationMs) || has(mask, of::kErrorName) ||
      has(mask, of::kErrorMessage))
    return false;
  if (has(mask, of::kSuccess) && f[of::kSuccess] != 1) return false;  // failed, or not a flag
  std::size_t name = 0;
  if (!index(f, mask, of::kName, name) || !valid_name(name)) return false;
  double started_at = f[of::kStartedAt], duration_ms = f[of::kDurationMs];
  if (!within(started_at, 0, Limits::kMaxTimestamp) ||
      !within(duration_ms, 0, Limits::kMaxDurationMs))
    return false;

  // SessionState::add(OperationEvent) of a successful operation; no slice counts it.
  Text& t = texts_[name];
  if (t.operation_entry == nullptr) t.operation_entry = &state_.operations.at(strings_[name]);
  OperationStats& op = *t.operation_entry;
  ++monitor_.changes_;
  ++op.succeeded;
  op.duration_ms.add(duration_ms);
  touch(started_at);
  touch(started_at + duration_ms);
  return true;
}

// Taken: a generation whose outcome is not an error or an abort, without an error name or
// message, every field valid.
bool Recorder::generation(const double* f, std::uint64_t mask, const double* gaps, std::size_t n) {
  using namespace gf;
  if (has(mask, kErrorName) || has(mask, kErrorMessage)) return false;
  double declared = has(mask, kChunkGapsMs) ? f[kChunkGapsMs] : 0;
  if (declared != static_cast<double>(n) || n > Limits::kMaxChunkGaps)
    return false;  // the decoder's
  if (!has(mask, kStartedAt) || !has(mask, kDurationMs)) return false;

  std::size_t model = 0, type = 0, id = 0;
  if (!index(f, mask, kModel, model) || !valid_name(model)) return false;
  const bool has_type = has(mask, kType);
  if (has_type && (!index(f, mask, kType, type) || !valid_name(type))) return false;
  Operation op = Operation::chat;
  if (has(mask, kOperation) &&
      (!index(f, mask, kOperation, id) ||
       !parse_once(texts_[id].operation, strings_[id], parse_operation, op)))
    return false;
  const bool has_finish_reason = has(mask, kFinishReason);
  FinishReason finish = FinishReason::stop;
  if (has_finish_reason &&
      (!index(f, mask, kFinishReason, id) ||
       !parse_once(texts_[id].finish, strings_[id], parse_finish_reason, finish) ||
       finish == FinishReason::error || finish == FinishReason::abort))
    return false;

  // validate(GenerationEvent)'s checks of the numbers (startedAt and durationMs are required).
  for (const Range& r : kGenerationRanges)
    if (has(mask, r.field) && !within(f[r.field], r.lo, r.hi, r.whole)) return false;
  if (has(mask, kTtftMs) && f[kTtftMs] > f[kDurationMs]) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (!within(gaps[i], 0, Limits::kMaxDurationMs)) return false;

  // The event as the decoder builds it, but for its chunk gaps, which are read from the batch;
  // its strings reuse the last event's buffers.
  GenerationEvent& e = event_;
  e.model.assign(strings_[model]);
  e.type.assign(has_type ? strings_[type] : kDefaultType);
  e.operation = op;
  for (const auto& k : events::kGenerationNumbers<GenerationEvent>)
    e.*k.member = has(mask, k.field) ? f[k.field] : NAN;
  e.has_finish_reason = has_finish_reason;
  e.finish_reason = finish;
  e.error_name.clear();
  e.error_message.clear();
  const DerivedTimings d = derive(e);

  // SessionState::add(GenerationEvent) of a generation that did not fail, the entries of the
  // breakdowns looked up once per string of the batch.
  Text& m = texts_[model];
  if (m.model_entry == nullptr) m.model_entry = &state_.by_model.at(e.model);
  GenerationStats*& type_entry = has_type ? texts_[type].type_entry : default_type_entry_;
  if (type_entry == nullptr) type_entry = &state_.by_type.at(e.type);
  GenerationStats*& operation_entry = operation_entry_[static_cast<int>(op)];
  if (operation_entry == nullptr) operation_entry = &state_.by_operation.at(to_string(op));
  GenAiStats*& genai_entry = m.genai_entry[static_cast<int>(op)];
  if (genai_entry == nullptr) {
    // Without an error type, a new key past the cap folds into the model "(other)".
    auto fold = [](GenAiKey k) {
      k.model = kOtherKey;
      return k;
    };
    genai_entry = &state_.genai.at(GenAiKey{op, e.model, ""}, fold);
  }
  PreparedGeneration& p = prepared_;
  p.prepare(e, d, gaps, n);
  state_.generations.add(p);
  m.model_entry->add(p);
  type_entry->add(p);
  operation_entry->add(p);
  genai_entry->duration_ms.add(p.duration);
  genai_entry->add_usage(p, true);
  touch(e.started_at);
  touch(e.ended_at());

  ++monitor_.changes_;
  monitor_.place(e, d, p);
  return true;
}

}  // namespace wlm::ingest

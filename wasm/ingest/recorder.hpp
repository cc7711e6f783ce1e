// The fast path of a batch (batch::ingest): operations and generations that pass every check are
// added straight to the monitor's aggregates, each string of the batch's table checked, parsed
// and looked up in the maps once per batch, with no Status and no temporary string. Anything
// else (an error, a bad value, a kind it does not take) is left to the decoder, which records it
// through Monitor::record and so refuses it with the same field and message as always.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "monitor.hpp"

namespace wlm::ingest {

class Recorder {
 public:
  /// `strings`: the batch's string table, which must outlive the recorder. So must the monitor's
  /// state: the entries looked up are kept by address (map nodes stay put while keys are added).
  Recorder(Monitor& monitor, const std::vector<std::string>& strings);

  /// Records the event of one record (`f`: its fields, `mask`: which are present, `extra`: the
  /// values after them) when its kind is one this path takes and every field passes; the effect
  /// is that of Monitor::record. Returns false when it did not, having changed nothing.
  bool record(int kind, const double* f, std::uint64_t mask, const double* extra,
              std::size_t extra_n);

 private:
  /// What is known of one string of the table: -1 not yet looked at, else a result.
  struct Text {
    std::int8_t name = -1;       // 1: a valid name (what validation's name check accepts), 0 not
    std::int8_t operation = -1;  // the Operation it names, or none (recorder.cpp's kNone)
    std::int8_t finish = -1;     // the FinishReason it names, or none
    OperationStats* operation_entry = nullptr;                 // state().operations.at(it)
    GenerationStats* model_entry = nullptr;                    // state().by_model.at(it)
    GenerationStats* type_entry = nullptr;                     // state().by_type.at(it)
    GenAiStats* genai_entry[3] = {nullptr, nullptr, nullptr};  // by operation, no error type
  };

  bool operation(const double* f, std::uint64_t mask);
  bool generation(const double* f, std::uint64_t mask, const double* gaps, std::size_t n);
  /// The string index held by field i into `id`; false when it holds none (absent, or not an
  /// index of the table).
  bool index(const double* f, std::uint64_t mask, int i, std::size_t& id) const;
  /// Whether string `id` is a valid name, checked once.
  bool valid_name(std::size_t id);
  /// SessionState::touch(t), here where it can be inlined (session_state.cpp is built for size).
  void touch(double t);

  Monitor& monitor_;
  SessionState& state_;
  const std::vector<std::string>& strings_;
  std::vector<Text> texts_;
  GenerationStats* operation_entry_[3] = {nullptr, nullptr, nullptr};  // by_operation, by Operation
  GenerationStats* default_type_entry_ = nullptr;                      // by_type.at("default")
  GenerationEvent event_;        // the event taken last: its strings' buffers, reused
  PreparedGeneration prepared_;  // its values readied: the capacity of the gaps' indices
};

}  // namespace wlm::ingest

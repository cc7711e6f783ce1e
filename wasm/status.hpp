// Error reporting without exceptions: the core is built with -fno-exceptions.
#pragma once

#include <string>
#include <utility>

namespace wlm {

/// Outcome of a validation, an import or a parse. `field` names the offending event field or
/// JSON path; `message` is a sentence fit to show a developer.
struct Status {
  bool ok = true;
  std::string field;
  std::string message;

  static Status success() { return {}; }
  static Status error(std::string field, std::string message) {
    return Status{false, std::move(field), std::move(message)};
  }
  explicit operator bool() const { return ok; }
};

}  // namespace wlm

/// Returns early with the Status of `expr` when it failed.
#define WLM_TRY(expr)                             \
  do {                                            \
    if (::wlm::Status wlm_s_ = (expr); !wlm_s_) { \
      return wlm_s_;                              \
    }                                             \
  } while (0)

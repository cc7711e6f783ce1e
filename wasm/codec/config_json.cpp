// The JSON of the monitor's configuration (Config) and of a generation history record: writing,
// and reading with a clear error naming the path.
#include <fmt/format.h>

#include "monitor.hpp"

namespace wlm {
namespace {

using jsonio::child;

constexpr std::size_t kMaxPrices = 1024;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Config

json Config::to_json() const {
  json prices_json = json::object();
  for (const auto& [model, p] : prices)
    prices_json[model] = json{{"input", p.input_per_1k}, {"output", p.output_per_1k}};
  json thresholds = json::object();
  for (std::size_t i = 0; i < this->thresholds.size(); ++i)
    thresholds[std::string(description::kHealthChecks[i].threshold)] =
        json{{"warning", jsonio::number_or_null(this->thresholds[i].warning)},
             {"critical", jsonio::number_or_null(this->thresholds[i].critical)}};
  return json{{"historySize", history_size},
              {"currency", currency},
              {"prices", std::move(prices_json)},
              {"thresholds", std::move(thresholds)}};
}

Status Config::read(const json& in, const std::string& path) {
  if (!in.is_object())
    return Status::error(path,
                         fmt::format("{}: expected an object, got {}", path, jsonio::describe(in)));
  Config c = *this;
  for (const auto& [key, value] : in.items()) {
    std::string p = child(path, key);
    if (key == "historySize") {
      std::uint64_t n = 0;
      WLM_TRY(jsonio::count(in, path, "historySize", n));
      if (n < 1 || n > kMaxHistory)
        return Status::error(p, fmt::format("{}: {} is outside [1, {}]", p, n, kMaxHistory));
      c.history_size = n;
    } else if (key == "currency") {
      WLM_TRY(jsonio::string(in, path, "currency", c.currency, 16));
    } else if (key == "prices") {
      if (!value.is_object())
        return Status::error(
            p, fmt::format("{}: expected an object of models, got {}", p, jsonio::describe(value)));
      if (value.size() > kMaxPrices)
        return Status::error(
            p, fmt::format("{}: {} models, more than the limit {}", p, value.size(), kMaxPrices));
      c.prices.clear();
      for (const auto& [model, price] : value.items()) {
        std::string mp = child(p, model);
        if (model.empty() || model.size() > Limits::kMaxNameBytes)
          return Status::error(mp, fmt::format("{}: a model name is 1 to {} bytes, this one {}", mp,
                                               Limits::kMaxNameBytes, model.size()));
        Price pr;
        WLM_TRY(jsonio::number(price, mp, "input", pr.input_per_1k, 0, 1e9));
        WLM_TRY(jsonio::number(price, mp, "output", pr.output_per_1k, 0, 1e9));
        c.prices[model] = pr;
      }
    } else if (key == "thresholds") {
      if (!value.is_object())
        return Status::error(
            p, fmt::format("{}: expected an object, got {}", p, jsonio::describe(value)));
      for (const auto& [name, t] : value.items()) {
        Threshold* field = c.threshold(name);
        std::string tp = child(p, name);
        if (!field)
          return Status::error(tp, fmt::format("{}: unknown threshold (known: {})", tp,
                                               description::kThresholdKeys));
        Threshold th = *field;
        if (!t.is_object())
          return Status::error(tp, fmt::format("{}: expected {{warning, critical}}, got {}", tp,
                                               jsonio::describe(t)));
        if (t.contains("warning"))
          WLM_TRY(jsonio::optional_number(t, tp, "warning", th.warning, 0, 1e15));
        if (t.contains("critical"))
          WLM_TRY(jsonio::optional_number(t, tp, "critical", th.critical, 0, 1e15));
        *field = th;
      }
    } else {
      return Status::error(p,
                           fmt::format("{}: unknown option (known: historySize, currency, prices, "
                                       "thresholds)",
                                       p));
    }
  }
  *this = std::move(c);
  return Status::success();
}

// ---------------------------------------------------------------------------------------------
// History records

json GenerationRecord::to_json() const {
  const GenerationEvent& e = event;
  auto opt = jsonio::number_or_null;
  auto opt_str = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return json{{"startedAt", e.started_at},
              {"model", e.model},
              {"type", e.type},
              {"operation", to_string(e.operation)},
              {"durationMs", e.duration_ms},
              {"ttftMs", opt(derived.ttft_ms)},
              {"promptTokens", opt(e.prompt_tokens)},
              {"completionTokens", opt(e.completion_tokens)},
              {"decodeTokensPerSec", opt(derived.decode_tokens_per_sec)},
              {"prefillTokensPerSec", opt(derived.prefill_tokens_per_sec)},
              {"timePerOutputTokenMs", opt(derived.time_per_output_token_ms)},
              {"chunks", chunks},
              {"finishReason", to_string(e.outcome())},
              {"errorName", opt_str(e.error_name)},
              {"errorMessage", opt_str(e.error_message)},
              {"promptChars", opt(e.prompt_chars)},
              {"responseChars", opt(e.response_chars)},
              {"temperature", opt(e.temperature)},
              {"maxTokens", opt(e.max_tokens)}};
}

Status GenerationRecord::read(const json& in, const std::string& path) {
  if (!in.is_object())
    return Status::error(path,
                         fmt::format("{}: expected an object, got {}", path, jsonio::describe(in)));
  GenerationRecord r;
  GenerationEvent& e = r.event;
  std::string op, fr;
  WLM_TRY(jsonio::number(in, path, "startedAt", e.started_at, -INFINITY, INFINITY));
  WLM_TRY(jsonio::string(in, path, "model", e.model, 1 << 20));
  WLM_TRY(jsonio::string(in, path, "type", e.type, 1 << 20));
  WLM_TRY(jsonio::string(in, path, "operation", op, 32));
  if (!parse_operation(op, e.operation))
    return Status::error(child(path, "operation"),
                         fmt::format("{}: \"{}\" is not chat, completion or embedding",
                                     child(path, "operation"), op));
  WLM_TRY(jsonio::number(in, path, "durationMs", e.duration_ms, -INFINITY, INFINITY));
  WLM_TRY(
      jsonio::optional_number(in, path, "ttftMs", r.derived.ttft_ms, 0, Limits::kMaxDurationMs));
  WLM_TRY(jsonio::optional_number(in, path, "promptTokens", e.prompt_tokens, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "completionTokens", e.completion_tokens, -INFINITY,
                                  INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "decodeTokensPerSec", r.derived.decode_tokens_per_sec,
                                  0, Limits::kMaxRate));
  WLM_TRY(jsonio::optional_number(in, path, "prefillTokensPerSec", r.derived.prefill_tokens_per_sec,
                                  0, Limits::kMaxRate));
  WLM_TRY(jsonio::optional_number(in, path, "timePerOutputTokenMs",
                                  r.derived.time_per_output_token_ms, 0, Limits::kMaxDurationMs));
  WLM_TRY(jsonio::count(in, path, "chunks", r.chunks));
  WLM_TRY(jsonio::string(in, path, "finishReason", fr, 32));
  if (!parse_finish_reason(fr, e.finish_reason))
    return Status::error(child(path, "finishReason"),
                         fmt::format("{}: \"{}\" is not stop, length, abort, tool_calls or error",
                                     child(path, "finishReason"), fr));
  e.has_finish_reason = true;
  WLM_TRY(jsonio::optional_string(in, path, "errorName", e.error_name, 1 << 20));
  WLM_TRY(jsonio::optional_string(in, path, "errorMessage", e.error_message, 1 << 20));
  WLM_TRY(jsonio::optional_number(in, path, "promptChars", e.prompt_chars, -INFINITY, INFINITY));
  WLM_TRY(
      jsonio::optional_number(in, path, "responseChars", e.response_chars, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "temperature", e.temperature, -INFINITY, INFINITY));
  WLM_TRY(jsonio::optional_number(in, path, "maxTokens", e.max_tokens, -INFINITY, INFINITY));
  // The event's own rules apply to what it carries; re-point the field names at this record.
  GenerationEvent check = e;
  if (Status s = validate(check); !s) {
    std::string field = s.field.substr(s.field.find('.') + 1);
    std::string p = child(path, field);
    std::string msg = s.message;
    if (msg.rfind(s.field, 0) == 0) msg = p + msg.substr(s.field.size());
    return Status::error(p, msg);
  }
  // The message as an event would have left it: cut to 2048 bytes, control characters blanked
  // (a document could carry 1 MiB of them into the history, then into every export).
  e.error_message = std::move(check.error_message);
  *this = std::move(r);
  return Status::success();
}

}  // namespace wlm

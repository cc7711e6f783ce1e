#include "aggregates/generation_stats.hpp"

namespace wlm {

DerivedTimings derive(const GenerationEvent& e) {
  DerivedTimings d;
  d.ttft_ms = present(e.ttft_ms) ? e.ttft_ms : e.engine_ttft_ms;
  double c = e.completion_tokens;
  // Client-side decode: the tokens after the first chunk over the time after it.
  bool client_decode = present(e.ttft_ms) && present(c) && c >= 2 && e.duration_ms > e.ttft_ms;
  double client_decode_ms = client_decode ? e.duration_ms - e.ttft_ms : NAN;
  if (present(e.engine_decode_tokens_per_sec) && e.engine_decode_tokens_per_sec > 0) {
    d.decode_tokens_per_sec = e.engine_decode_tokens_per_sec;
  } else if (client_decode) {
    d.decode_tokens_per_sec = (c - 1) / (client_decode_ms / 1000.0);
  }
  if (present(e.engine_prefill_tokens_per_sec) && e.engine_prefill_tokens_per_sec > 0) {
    d.prefill_tokens_per_sec = e.engine_prefill_tokens_per_sec;
  } else if (present(e.prompt_tokens) && e.prompt_tokens > 0 && present(d.ttft_ms) &&
             d.ttft_ms > 0) {
    d.prefill_tokens_per_sec = e.prompt_tokens / (d.ttft_ms / 1000.0);
  }
  if (present(e.engine_time_per_output_token_ms)) {
    d.time_per_output_token_ms = e.engine_time_per_output_token_ms;
  } else if (client_decode) {
    d.time_per_output_token_ms = client_decode_ms / (c - 1);
  }
  if (client_decode) {
    d.decode_ms = client_decode_ms;
  } else if (present(c) && c > 0 && present(d.decode_tokens_per_sec)) {
    d.decode_ms = c / d.decode_tokens_per_sec * 1000.0;
  }
  return d;
}

void PreparedGeneration::prepare(const GenerationEvent& e, const DerivedTimings& d,
                                 const double* gaps, std::size_t n) {
  event = &e;
  derived = &d;
  outcome = e.outcome();
  auto ms = [](double v) { return wlm::prepare(v, Unit::milliseconds); };
  duration = ms(e.duration_ms);
  ttft = ms(d.ttft_ms);
  decode_tps = wlm::prepare(d.decode_tokens_per_sec, Unit::tokens_per_second);
  prefill_tps = wlm::prepare(d.prefill_tokens_per_sec, Unit::tokens_per_second);
  tpot = ms(d.time_per_output_token_ms);
  prompt_tokens = wlm::prepare(e.prompt_tokens, Unit::tokens);
  completion_tokens = wlm::prepare(e.completion_tokens, Unit::tokens);
  client_ttft = ms(e.ttft_ms);
  engine_ttft = ms(e.engine_ttft_ms);
  engine_tpot = ms(e.engine_time_per_output_token_ms);
  chunk_gaps.prepare(gaps, n, Unit::milliseconds);
}

void GenerationStats::add(const GenerationEvent& e, const DerivedTimings& d) {
  PreparedGeneration p;
  p.prepare(e, d);
  add(p);
}

void GenerationStats::add(const PreparedGeneration& p) {
  const GenerationEvent& e = *p.event;
  const DerivedTimings& d = *p.derived;
  ++total;
  FinishReason out = p.outcome;
  ++finish[static_cast<int>(out)];
  if (out == FinishReason::error) {
    ++failed;
  } else if (out == FinishReason::abort) {
    ++aborted;
  } else {
    ++succeeded;
    latency_ms.add(p.duration);
  }
  if (present(e.prompt_tokens)) prompt_tokens += static_cast<std::uint64_t>(e.prompt_tokens);
  if (present(e.completion_tokens)) {
    completion_tokens += static_cast<std::uint64_t>(e.completion_tokens);
    if (present(d.decode_ms)) {
      decode_tokens += static_cast<std::uint64_t>(e.completion_tokens);
      decode_ms += d.decode_ms;
    }
  }
  first_start = nan_min(first_start, e.started_at);
  last_end = nan_max(last_end, e.ended_at());
  if (present(d.ttft_ms)) ttft_ms.add(p.ttft);
  if (present(d.decode_tokens_per_sec)) decode_tps.add(p.decode_tps);
  if (present(d.prefill_tokens_per_sec)) prefill_tps.add(p.prefill_tps);
  if (present(d.time_per_output_token_ms)) tpot_ms.add(p.tpot);
  if (p.chunk_gaps.n != 0) chunk_gap_ms.add_many(p.chunk_gaps);
}

void GenAiStats::add_usage(const PreparedGeneration& p, bool server) {
  const GenerationEvent& e = *p.event;
  if (present(e.prompt_tokens)) input_tokens.add(p.prompt_tokens);
  if (present(e.completion_tokens)) output_tokens.add(p.completion_tokens);
  if (present(e.ttft_ms)) first_chunk_ms.add(p.client_ttft);
  if (p.chunk_gaps.n != 0) chunk_gap_ms.add_many(p.chunk_gaps);
  if (server) {
    if (present(e.engine_ttft_ms)) server_ttft_ms.add(p.engine_ttft);
    if (present(e.engine_time_per_output_token_ms)) server_tpot_ms.add(p.engine_tpot);
  }
}

void GenerationStats::merge(const GenerationStats& o) {
  total += o.total;
  succeeded += o.succeeded;
  failed += o.failed;
  aborted += o.aborted;
  for (int i = 0; i < 5; ++i) finish[i] += o.finish[i];
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  decode_tokens += o.decode_tokens;
  decode_ms += o.decode_ms;
  first_start = nan_min(first_start, o.first_start);
  last_end = nan_max(last_end, o.last_end);
  for (const auto& f : kGenerationSeries) (this->*f.member).merge(o.*f.member);
}

const Series* GenerationStats::series(const std::string& key) const {
  for (const auto& f : kGenerationSeries)
    if (key == f.key) return &(this->*f.member);
  return nullptr;
}

void GenAiStats::merge(const GenAiStats& o) {
  for (const auto& f : kGenAiSeries) (this->*f.member).merge(o.*f.member);
}

}  // namespace wlm

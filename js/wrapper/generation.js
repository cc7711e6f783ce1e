// One generation (a chat, completion or embedding call, or a resumed chat generation) measured:
// what the caller sent, each chunk of its stream, the response, and the event recorded.

import { isWrapper } from './context.js';
import { boundMessage, classifyError } from './errors.js';
import { finite, isName, recordableModel } from './hooks.js';
import { HIDE, MeasuredStream } from './stream.js';

const FINISH_REASONS = new Set(['stop', 'length', 'abort', 'tool_calls', 'error']);

/** Characters of a message's content: a string, or the text parts of a content array. */
export function contentChars(content) {
  if (typeof content === 'string') return content.length;
  if (Array.isArray(content)) {
    let n = 0;
    for (const part of content) if (part && typeof part.text === 'string') n += part.text.length;
    return n;
  }
  return 0;
}

function promptCharsOf(operation, request) {
  if (operation === 'chat') {
    if (!Array.isArray(request.messages)) return undefined;
    let n = 0;
    for (const m of request.messages) if (m) n += contentChars(m.content);
    return n;
  }
  const text = operation === 'completion' ? request.prompt : request.input;
  if (typeof text === 'string') return text.length;
  if (Array.isArray(text) && text.every((s) => typeof s === 'string')) return text.reduce((n, s) => n + s.length, 0);
  return undefined;
}

/** Characters of tool calls: each function's name and arguments (streamed or not alike). */
function toolCallChars(calls) {
  if (!Array.isArray(calls)) return 0;
  let n = 0;
  for (const call of calls) {
    const f = call && call.function;
    if (f === null || typeof f !== 'object') continue;
    if (typeof f.name === 'string') n += f.name.length;
    if (typeof f.arguments === 'string') n += f.arguments.length;
  }
  return n;
}

/** A request WebLLM saves for resumeChatCompletion() (extra_body.resumable.enabled). */
function isResumable(request) {
  const extra = request.extra_body;
  const r = extra !== null && typeof extra === 'object' ? extra.resumable : undefined;
  return r !== null && typeof r === 'object' && r.enabled === true;
}

/** @typedef {import('./context.js').Context} Context */

/** One call measured, from the call to the event it records (hooks.recordGeneration). */
export class Measurement {
  /**
   * @param {Context} ctx
   * @param {'chat' | 'completion' | 'embedding'} operation
   * @param {any} request the caller's request (never modified); undefined for a resumed generation
   * @param {any} [typeRequest] what hooks.typeFor is given (default: the request)
   */
  constructor(ctx, operation, request, typeRequest = request) {
    this.ctx = ctx;
    this.operation = operation;
    this.startedAt = ctx.now();
    this.t0 = ctx.clock();
    this.finished = false;
    this.type = undefined;
    this.model = undefined;
    this.promptChars = undefined;
    this.temperature = undefined;
    this.maxTokens = undefined;
    this.hideUsage = false;
    this.ttft = -1;
    this.lastT = 0;
    /** Time spent in model loads the worker ran inside this call (kept out of its TTFT). */
    this.loadMs = 0;
    /** @type {Float64Array | null} */
    this.gaps = null;
    this.ngaps = 0;
    this.responseChars = 0;
    /** Characters of the tool calls of a stream's final chunk (they replace the streamed text). */
    this.toolChars = -1;
    /** Choices of a non-streaming response (WebLLM sums prompt tokens and prefill over them). */
    this.choices = 1;
    this.finishReason = undefined;
    this.usage = undefined;
    this.responseModel = undefined;
    /** The model(s) loaded when the call was made: a reload() during the call changes the engine's. */
    this.loadedModel = ctx.loadedModelName();
    try {
      const type = typeof ctx.hooks.typeFor === 'function' ? ctx.hooks.typeFor(typeRequest) : undefined;
      if (isName(type)) this.type = type;
    } catch (err) {
      ctx.fault('hooks.typeFor', err);
    }
    if (request !== null && typeof request === 'object') {
      // A model id the core cannot take (the engine will refuse it too) is recorded as "unknown".
      if (typeof request.model === 'string' && request.model !== '') this.model = isName(request.model) ? request.model : 'unknown';
      try {
        this.promptChars = promptCharsOf(operation, request);
      } catch (err) {
        ctx.fault('promptChars', err);
      }
      if (finite(request.temperature)) this.temperature = request.temperature;
      if (finite(request.max_tokens)) this.maxTokens = request.max_tokens;
    }
    ctx.inFlight.add(this);
    ctx.call('generationStarted', { model: this.modelName(), type: this.type, operation });
  }

  /**
   * The request the engine receives: the caller's object itself, or a shallow copy without
   * `monitorType` and, for streams, with `stream_options.include_usage`. Resumable requests get
   * no include_usage: WebLLM saves them and replays them on resumeChatCompletion(), maybe after
   * a page reload, when no wrapper knows any more that the app had not asked for usage. Under
   * another monitor's wrapper `monitorType` stays for that one to read (and remove).
   */
  prepare(request) {
    if (request === null || typeof request !== 'object' || Array.isArray(request)) return request;
    const hasTag = Object.prototype.hasOwnProperty.call(request, 'monitorType') && !isWrapper(this.ctx.engine);
    const addUsage =
      this.operation !== 'embedding' && request.stream && !(request.stream_options && request.stream_options.include_usage === true) && !isResumable(request);
    if (!hasTag && !addUsage) return request;
    const copy = { ...request };
    if (hasTag) delete copy.monitorType;
    if (addUsage) {
      const options = request.stream_options;
      copy.stream_options = options !== null && typeof options === 'object' ? { ...options, include_usage: true } : { include_usage: true };
      this.hideUsage = true;
    }
    return copy;
  }

  modelName() {
    return this.model ?? this.responseModel ?? this.loadedModel ?? this.ctx.loadedModelName() ?? 'unknown';
  }

  /** Called with what the engine's create() resolved to; returns what the caller gets. */
  settle(result) {
    try {
      if (result !== null && typeof result === 'object' && typeof result[Symbol.asyncIterator] === 'function') {
        return new MeasuredStream(this, result);
      }
      this.finishResponse(result);
    } catch (err) {
      this.ctx.fault('response', err);
    }
    return result;
  }

  /** What resumeChatCompletion() resolved to: a stream, or a result with the recovered text. */
  settleResume(result) {
    try {
      if (result !== null && typeof result === 'object' && typeof result[Symbol.asyncIterator] === 'function') {
        return new MeasuredStream(this, result);
      }
      if (result !== null && typeof result === 'object' && result.recoveryMode === 'text_only') {
        // Nothing was generated: the text saved before the interruption, read back.
        this.discard();
      } else {
        this.finishResumed(result);
      }
    } catch (err) {
      this.ctx.fault('response', err);
    }
    return result;
  }

  /** Per chunk: returns HIDE for the usage chunk the wrapper asked for. Allocates nothing. */
  observeChunk(chunk) {
    const choices = chunk.choices;
    if (this.finished) return choices !== undefined && choices.length === 0 && chunk.usage && this.hideUsage ? HIDE : 0;
    if (this.responseModel === undefined && isName(chunk.model)) this.responseModel = chunk.model;
    if (choices !== undefined && choices.length > 0) {
      const c = choices[0];
      const delta = c.delta;
      const content = delta !== undefined && delta !== null ? delta.content : c.text;
      if (typeof content === 'string' && content.length > 0) {
        const t = this.ctx.clock();
        if (this.ttft < 0) this.ttft = t - this.t0;
        else this.pushGap(t - this.lastT);
        this.lastT = t;
        this.responseChars += content.length;
      }
      // WebLLM streams a tool call's JSON as text, then parses it into the final chunk.
      if (delta !== undefined && delta !== null && Array.isArray(delta.tool_calls)) this.toolChars = toolCallChars(delta.tool_calls);
      const reason = c.finish_reason;
      if (reason !== null && reason !== undefined) this.finishReason = reason;
      if (chunk.usage) this.usage = chunk.usage;
      return 0;
    }
    if (chunk.usage) {
      this.usage = chunk.usage;
      if (this.hideUsage) return HIDE;
    }
    return 0;
  }

  pushGap(gap) {
    let gaps = this.gaps;
    if (gaps === null) gaps = this.gaps = new Float64Array(64);
    else if (this.ngaps === gaps.length) {
      const bigger = new Float64Array(gaps.length * 2);
      bigger.set(gaps);
      gaps = this.gaps = bigger;
    }
    gaps[this.ngaps++] = gap;
  }

  finishResponse(res) {
    if (this.finished) return;
    const end = this.ctx.clock();
    if (res !== null && typeof res === 'object') {
      if (isName(res.model)) this.responseModel = res.model;
      this.usage = res.usage;
      if (this.operation !== 'embedding' && Array.isArray(res.choices)) {
        let chars = 0;
        for (const c of res.choices) {
          if (!c) continue;
          const message = c.message;
          chars += message ? contentChars(message.content) + toolCallChars(message.tool_calls) : contentChars(c.text);
        }
        this.responseChars = chars;
        if (res.choices.length > 1) this.choices = res.choices.length;
        const first = res.choices[0];
        if (first) this.finishReason = first.finish_reason;
      }
    }
    this.emit(end, undefined);
  }

  /** A non-streaming resumed generation: the reply is the recovered text (saved text included). */
  finishResumed(res) {
    if (this.finished) return;
    const end = this.ctx.clock();
    if (res !== null && typeof res === 'object' && typeof res.recoveredText === 'string') this.responseChars = res.recoveredText.length;
    this.emit(end, undefined);
  }

  /** The stream ended (done). */
  finishStream() {
    if (this.finished) return;
    this.emit(this.ctx.clock(), undefined);
  }

  /**
   * The caller stopped iterating before the end (break, return(), throw()): an abort, unless the
   * chunk with finish_reason had already arrived (the generation was over).
   */
  abortStream() {
    if (this.finished) return;
    if (this.finishReason === undefined || this.finishReason === null) this.finishReason = 'abort';
    this.emit(this.ctx.clock(), undefined);
  }

  /** A stream the caller never iterated: an abort that lasted until create() resolved. */
  abandon(end) {
    if (this.finished) return;
    this.finishReason = 'abort';
    this.emit(end, undefined);
  }

  /** Not a generation after all: nothing recorded. */
  discard() {
    if (this.finished) return;
    this.finished = true;
    this.ctx.inFlight.delete(this);
    this.ctx.generationEnded(this, undefined, false);
    this.ctx.call('generationFinished', { model: recordableModel(this.modelName()), type: this.type, operation: this.operation, ok: true });
  }

  fail(err) {
    if (this.finished) return;
    try {
      this.emit(this.ctx.clock(), err === undefined ? new Error('undefined') : err, true);
    } catch (e) {
      this.ctx.fault('error', e);
    }
  }

  emit(end, error, failed = false) {
    this.finished = true;
    const ctx = this.ctx;
    ctx.inFlight.delete(this);
    ctx.generationEnded(this, error, failed);
    const model = recordableModel(this.modelName());
    const e = {
      model,
      type: this.type,
      operation: this.operation,
      startedAt: this.startedAt,
      durationMs: Math.max(0, end - this.t0),
    };
    if (this.ttft >= 0) e.ttftMs = Math.min(Math.max(0, this.ttft - this.loadMs), e.durationMs);
    if (this.ngaps > 0) e.chunkGapsMs = this.gaps.subarray(0, this.ngaps);
    const usage = this.usage;
    // WebLLM's sums over the n choices of a non-streaming call, per request (see js/wrapper.js).
    const n = this.choices;
    if (usage !== null && typeof usage === 'object') {
      if (finite(usage.prompt_tokens)) e.promptTokens = n > 1 ? Math.round(usage.prompt_tokens / n) : usage.prompt_tokens;
      if (finite(usage.completion_tokens)) e.completionTokens = usage.completion_tokens;
      const extra = usage.extra;
      if (extra !== null && typeof extra === 'object') {
        // Rates of 0 are WebLLM's placeholders for "nothing decoded"; NaN / Infinity are dropped.
        if (this.operation !== 'embedding' && finite(extra.time_to_first_token_s) && extra.time_to_first_token_s > 0)
          e.engineTtftMs = (extra.time_to_first_token_s * 1000) / n;
        if (finite(extra.prefill_tokens_per_s) && extra.prefill_tokens_per_s > 0) e.enginePrefillTokensPerSec = extra.prefill_tokens_per_s;
        if (finite(extra.decode_tokens_per_s) && extra.decode_tokens_per_s > 0) e.engineDecodeTokensPerSec = extra.decode_tokens_per_s;
        if (finite(extra.time_per_output_token_s) && extra.time_per_output_token_s > 0) e.engineTimePerOutputTokenMs = extra.time_per_output_token_s * 1000;
      }
    }
    if (failed) {
      const { name, message } = classifyError(error);
      e.errorName = name;
      // The message may quote the prompt or the reply: only on the monitor's say-so.
      if (ctx.hooks.errorMessages === true && message !== '') e.errorMessage = boundMessage(message);
      if (name === 'ModelNotLoadedError' || name === 'WorkerEngineModelNotLoadedError') ctx.noteNothingLoaded();
      else ctx.checkStillLoaded();
    } else if (typeof this.finishReason === 'string' && FINISH_REASONS.has(this.finishReason)) {
      e.finishReason = this.finishReason;
    }
    if (this.promptChars !== undefined) e.promptChars = this.promptChars;
    const chars = this.toolChars >= 0 ? this.toolChars : this.responseChars;
    if (this.operation !== 'embedding' && (!failed || chars > 0)) e.responseChars = chars;
    if (this.temperature !== undefined) e.temperature = this.temperature;
    if (this.maxTokens !== undefined) e.maxTokens = this.maxTokens;
    if (e.type === undefined) delete e.type;
    ctx.call('recordGeneration', e);
    ctx.call('generationFinished', { model, type: this.type, operation: this.operation, ok: !failed });
  }
}

/**
 * Runs `call(requestForEngine)` measured. Whatever the engine returns, throws or rejects with is
 * what the caller gets (a thenable is followed by `then`).
 */
export function measure(ctx, operation, request, call) {
  let m;
  let sent = request;
  try {
    m = new Measurement(ctx, operation, request);
    sent = m.prepare(request);
  } catch (err) {
    ctx.fault('prepare', err);
    if (m !== undefined) m.discard(); // do not record a half-prepared call
    m = undefined;
    sent = request;
  }
  return follow(
    m,
    () => call(sent),
    (res) => m.settle(res),
  );
}

/**
 * resumeChatCompletion(sessionId, options): with `continueGeneration: true` the engine generates
 * (streamed or not), measured as a chat generation; without, it only reads the saved text.
 */
export function measureResume(ctx, sessionId, options, rest) {
  const call = () => ctx.engine.resumeChatCompletion(sessionId, options, ...rest);
  let m;
  try {
    if (options !== null && typeof options === 'object' && options.continueGeneration === true) m = new Measurement(ctx, 'chat', undefined, options);
  } catch (err) {
    ctx.fault('prepare', err);
    if (m !== undefined) m.discard();
    m = undefined;
  }
  if (m === undefined) return call();
  return follow(m, call, (res) => m.settleResume(res));
}

/** Calls `call()`; its result, throw or rejection goes to `m` (when there is one) and on, as is. */
function follow(m, call, settle) {
  let result;
  try {
    result = call();
  } catch (err) {
    if (m !== undefined) m.fail(err);
    throw err;
  }
  if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
    if (m === undefined) return result;
    return result.then(settle, (err) => {
      m.fail(err);
      throw err;
    });
  }
  return m === undefined ? result : settle(result);
}

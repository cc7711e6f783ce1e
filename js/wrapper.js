// Measures every call of a WebLLM engine (MLCEngine, WebWorkerMLCEngine, ServiceWorkerMLCEngine,
// or any object of that shape) without changing what the app sees: the same chunk objects in the
// same order, the same response objects, the same errors (the very objects, rethrown), the same
// progress callbacks. What is measured goes to `hooks` (js/monitor.js writes them; the contract
// is in js/wrapper.d.ts). A failure of the measuring code is reported through `hooks.fault` and
// never reaches the app.
//
// WebLLM facts this relies on (@mlc-ai/web-llm 0.2.86, lib/index.js):
// - Streaming `create()` resolves to an AsyncGenerator; the model's lock is taken at the first
//   next(). Each delta chunk carries `choices[0].delta.content` (chat) or `choices[0].text`
//   (completion); then a chunk with `finish_reason`; then, only with
//   `stream_options.include_usage`, one chunk with `choices: []` and `usage`.
// - `reload()` registers the engine's current initProgressCallback with the runtime when it
//   starts, so the wrapper's observer is installed before calling it; `unload()` (or another
//   `reload()`) during a reload makes it return without throwing, and such a reload never
//   reports "Finish loading on ...".
// - Progress texts: "MB" is Math.ceil(bytes / (1024 * 1024)), so bytes = MB * 1048576. "MB
//   fetched" is WebLLM's count, an upper bound of what went over the network: when some shards
//   are missing, its download loop adds the size of every shard, cached ones included, so a
//   resumed download reports the whole model. The texts tell no more; bytesFetched is that figure.
// - A WebWorkerMLCEngine or ServiceWorkerMLCEngine keeps no appConfig (setAppConfig only posts
//   it to the worker), so hasModelInCache is asked only with a config the app gave, and the
//   progress texts, which are evidence, win over its answer.
// - The worker handler reloads inside a generation request when its model is not the one the
//   client expects (a service worker that was restarted: reloadIfUnmatched); the texts of that
//   load arrive while the generation runs. A service worker's handler skips a reload of what it
//   has loaded already and reports only "Finish loading on ...".
// - Resumable streams (extra_body.resumable) save the request the engine received, and
//   resumeChatCompletion() replays it later, maybe after a page reload: the wrapper adds no
//   include_usage to those, so a resumed stream has a usage chunk only when the app asked for it.
// - Non-streaming n > 1: WebLLM sums prompt_tokens and the prefill time (time_to_first_token_s)
//   over the n choices, each of which prefills the same prompt; the wrapper records the
//   per-request values (the sums divided by n). completion_tokens stays the sum (n replies).
// - MLCEngine.unload() destroys its GPU device (the device is "lost" with reason "destroyed").
// - A WebWorkerMLCEngine rejects with `err.toString()` strings ("Name: message").
// - Error messages may quote the app's text: ToolCallOutputParseError carries the model's whole
//   reply, UnsupportedImageURLError the image URL of a message. So the message of a failed
//   generation is recorded only when the hooks say `errorMessages: true` (the monitor's option);
//   by default only the error's name is. Load errors keep their messages (no prompt is involved).
//   Kept messages are cut to MAX_MESSAGE_CHARS.
//
// Plain ES module. Types: js/wrapper.d.ts.

const MIB = 1024 * 1024;
const FINISH_REASONS = new Set(['stop', 'length', 'abort', 'tool_calls', 'error']);
/** Error messages are cut to this many characters (then "…"). */
export const MAX_MESSAGE_CHARS = 500;

/** wrapper -> its Context */
const contexts = new WeakMap();
/** engine -> the outermost of its wrappers (the last made; each wraps the one before) */
const outermost = new WeakMap();
/** a wrapper's progress observer -> its Context */
const observers = new WeakMap();
/** More nested wrappers than this are taken for a cycle. */
const MAX_NESTING = 64;

// ---------------------------------------------------------------------------------------------
// Public helpers

/**
 * The name and message of anything a WebLLM engine throws or rejects with: `err.name` for
 * errors (WebLLM sets it on every class), the leading name of a web worker's "Name: message"
 * string, else "Error". A name is an identifier of at most 128 characters (anything else gives
 * "Error"), and a worker string's leading word counts as a name only when it reads as one
 * ("...Error", "...Exception", or one of WebLLM's few other names): "Summarize: <text>" is not
 * an error named "Summarize", so no word of a message becomes a name.
 * @param {unknown} err
 * @returns {{ name: string, message: string }}
 */
export function classifyError(err) {
  try {
    if (typeof err === 'string') return classifyString(err);
    if (err !== null && typeof err === 'object') {
      const e = /** @type {any} */ (err);
      let name = typeof e.name === 'string' && e.name !== '' ? e.name : undefined;
      if (name === undefined) {
        const ctor = e.constructor && e.constructor.name;
        name = typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' ? ctor : 'Error';
      }
      if (!ERROR_NAME.test(name)) name = 'Error';
      const message = typeof e.message === 'string' ? e.message : e.message === undefined ? '' : String(e.message);
      return { name, message };
    }
    if (err === undefined) return { name: 'Error', message: '' };
    return { name: 'Error', message: String(err) };
  } catch {
    return { name: 'Error', message: '' };
  }
}

const ERROR_NAME = /^[A-Za-z_$][\w$]{0,127}$/;
const LEADING_NAME = /^\s*([A-Za-z_$][\w$]{0,127})\s*:\s?([\s\S]*)$/;
/** WebLLM's error names that do not end in "Error". */
const OTHER_NAMES = new Set(['TextCompletionConversationExpectsPrompt', 'UserMessageContentErrorForNonVLM']);

function classifyString(text) {
  const m = LEADING_NAME.exec(text);
  if (m && (/(Error|Exception)$/.test(m[1]) || OTHER_NAMES.has(m[1]))) return { name: m[1], message: m[2] };
  return { name: 'Error', message: text };
}

/** A message cut to MAX_MESSAGE_CHARS (without splitting a surrogate pair). */
function boundMessage(message) {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  let n = MAX_MESSAGE_CHARS;
  const c = message.charCodeAt(n - 1);
  if (c >= 0xd800 && c <= 0xdbff) n -= 1;
  return message.slice(0, n) + '…';
}

const PROGRESS_PATTERNS = [
  [
    'fetch',
    /^Fetching param cache\[(\d+)\/(\d+)\]:\s*(\d+(?:\.\d+)?)\s*MB fetched\.\s*(\d+(?:\.\d+)?)% completed,\s*(\d+(?:\.\d+)?) secs elapsed/i,
  ],
  [
    'load',
    /^Loading model from cache\[(\d+)\/(\d+)\]:\s*(\d+(?:\.\d+)?)\s*MB loaded\.\s*(\d+(?:\.\d+)?)% completed,\s*(\d+(?:\.\d+)?) secs elapsed/i,
  ],
];
const SHADERS = /^Loading GPU shader modules\[(\d+)\/(\d+)\]:\s*(\d+(?:\.\d+)?)% completed,\s*(\d+(?:\.\d+)?) secs elapsed/i;
const FINISH = /^Finish loading on\s*(.*)$/is;

/**
 * What can be read from one of WebLLM's progress texts.
 * @param {string} text
 * @returns {import('./wrapper.d.ts').ProgressInfo}
 */
export function parseProgressText(text) {
  if (typeof text !== 'string') return { phase: 'unknown' };
  const t = text.trim();
  if (/^Start to fetch params/i.test(t)) return { phase: 'start' };
  for (const [phase, re] of PROGRESS_PATTERNS) {
    const m = re.exec(t);
    if (m) {
      const megabytes = Number(m[3]);
      return {
        phase,
        index: Number(m[1]),
        total: Number(m[2]),
        megabytes,
        bytes: megabytes * MIB,
        percent: Number(m[4]),
        secondsElapsed: Number(m[5]),
      };
    }
  }
  let m = SHADERS.exec(t);
  if (m) return { phase: 'shaders', index: Number(m[1]), total: Number(m[2]), percent: Number(m[3]), secondsElapsed: Number(m[4]) };
  m = FINISH.exec(t);
  if (m) {
    const device = m[1].trim();
    const dash = /^WebGPU\s*-\s*/i.exec(device);
    return { phase: 'done', device, adapter: dash ? device.slice(dash[0].length) : device };
  }
  return { phase: 'unknown' };
}

/** The engine under a wrapper, or under several nested ones (the argument itself when it is not a wrapper). */
export function unwrapEngine(engine) {
  let e = engine;
  for (let ctx = contexts.get(e); ctx !== undefined; ctx = contexts.get(e)) e = ctx.engine;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Guarded access to the hooks

class Guard {
  constructor(hooks) {
    this.hooks = hooks;
  }

  fault(where, err) {
    try {
      if (typeof this.hooks.fault === 'function') this.hooks.fault(where, err);
    } catch {
      // nowhere left to report to
    }
  }

  now() {
    try {
      const t = this.hooks.now();
      if (typeof t === 'number' && Number.isFinite(t)) return t;
    } catch (err) {
      this.fault('hooks.now', err);
    }
    return Date.now();
  }

  clock() {
    try {
      return this.hooks.clock();
    } catch (err) {
      this.fault('hooks.clock', err);
      return performance.now();
    }
  }

  /** Calls hooks[name](arg) if it is a function; an exception goes to fault(). */
  call(name, arg) {
    try {
      const fn = this.hooks[name];
      if (typeof fn === 'function') fn.call(this.hooks, arg);
    } catch (err) {
      this.fault(`hooks.${name}`, err);
    }
  }
}

function finite(x) {
  return typeof x === 'number' && Number.isFinite(x);
}

const CONTROL = /[\u0000-\u001f\u007f]/;
let encoder;

/**
 * A string the core takes as a model or type name: not empty, at most 256 UTF-8 bytes, no control
 * characters. (The core would refuse the whole event for a bad one, and quote it in the refusal.)
 */
function isName(s) {
  if (typeof s !== 'string' || s === '' || CONTROL.test(s)) return false;
  if (s.length <= 64) return true;
  if (s.length > 256) return false;
  encoder ??= new TextEncoder();
  return encoder.encode(s).length <= 256;
}

/** The model name an event can carry: several ids joined with "+" may be too long for one. */
function recordableModel(name) {
  if (isName(name)) return name;
  const ids = typeof name === 'string' ? name.split('+') : [];
  if (ids.length > 1 && isName(ids[0])) {
    const short = `${ids[0]}+${ids.length - 1} more`;
    if (isName(short)) return short;
  }
  return 'unknown';
}

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

// ---------------------------------------------------------------------------------------------
// One generation (chat, completion or embedding call)

const HIDE = 1;

/** A never-iterated stream is recorded as abandoned after this long (hooks.abandonAfterMs). */
export const ABANDON_AFTER_MS = 60_000;

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

class Measurement {
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
    const hasTag = Object.prototype.hasOwnProperty.call(request, 'monitorType') && !contexts.has(this.ctx.engine);
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
    // WebLLM's sums over the n choices of a non-streaming call, per request (see the top).
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
        if (finite(extra.time_per_output_token_s) && extra.time_per_output_token_s > 0)
          e.engineTimePerOutputTokenMs = extra.time_per_output_token_s * 1000;
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
 * What the caller iterates instead of the engine's stream: next() resolves to the engine's own
 * result objects (hence the same chunk objects), except the usage chunk the wrapper asked for.
 * A stream the caller does not touch for hooks.abandonAfterMs (default ABANDON_AFTER_MS) after
 * create() resolved is recorded as abandoned (an abort); it is not closed, so the caller can
 * still iterate it, unmeasured.
 */
class MeasuredStream {
  constructor(m, source) {
    this.m = m;
    this.it = source[Symbol.asyncIterator]();
    this.onStep = (r) => this.step(r);
    this.onError = (err) => {
      this.m.fail(err);
      throw err;
    };
    this.timer = undefined;
    try {
      const end = m.ctx.clock();
      const after = m.ctx.hooks.abandonAfterMs;
      const delay = finite(after) && after >= 0 ? after : ABANDON_AFTER_MS;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        try {
          m.abandon(end);
        } catch (err) {
          m.ctx.fault('abandon', err);
        }
      }, delay);
      if (this.timer && typeof this.timer.unref === 'function') this.timer.unref();
    } catch (err) {
      m.ctx.fault('abandon', err);
    }
  }

  touch() {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  next(...args) {
    this.touch();
    let p;
    try {
      p = this.it.next(...args);
    } catch (err) {
      // An iterator whose next() throws instead of rejecting: the caller gets the same throw.
      this.m.fail(err);
      throw err;
    }
    return (p !== null && typeof p === 'object' && typeof p.then === 'function' ? p : Promise.resolve(p)).then(this.onStep, this.onError);
  }

  step(r) {
    const m = this.m;
    let hide = false;
    try {
      if (r.done) m.finishStream();
      else hide = m.observeChunk(r.value) === HIDE;
    } catch (err) {
      m.ctx.fault('chunk', err);
    }
    return hide ? this.next() : r;
  }

  return(value) {
    this.touch();
    const m = this.m;
    const it = this.it;
    const close = () => (typeof it.return === 'function' ? it.return(value) : Promise.resolve({ value, done: true }));
    if (!m.finished && m.hideUsage && m.finishReason !== undefined && m.finishReason !== null) {
      // The caller stopped at the finish chunk: the usage chunk the wrapper asked for is next
      // (already computed by the engine); read it, then close the engine's iterator.
      let pulled;
      try {
        pulled = it.next();
      } catch (err) {
        m.ctx.fault('return', err);
      }
      if (pulled !== undefined && typeof pulled.then === 'function') {
        return pulled.then(
          (r) => {
            try {
              if (!r.done) m.observeChunk(r.value);
              m.finishStream();
            } catch (err) {
              m.ctx.fault('return', err);
            }
            return close();
          },
          () => {
            m.finishStream();
            return close();
          },
        );
      }
    }
    try {
      m.abortStream();
    } catch (err) {
      m.ctx.fault('return', err);
    }
    return close();
  }

  throw(err) {
    this.touch();
    try {
      this.m.abortStream();
    } catch (e) {
      this.m.ctx.fault('throw', e);
    }
    if (typeof this.it.throw === 'function') return this.it.throw(err);
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/**
 * Runs `call(requestForEngine)` measured. Whatever the engine returns, throws or rejects with is
 * what the caller gets (a thenable is followed by `then`).
 */
function measure(ctx, operation, request, call) {
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
  return follow(m, () => call(sent), (res) => m.settle(res));
}

/**
 * resumeChatCompletion(sessionId, options): with `continueGeneration: true` the engine generates
 * (streamed or not), measured as a chat generation; without, it only reads the saved text.
 */
function measureResume(ctx, sessionId, options, rest) {
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

// ---------------------------------------------------------------------------------------------
// One model load (reload() or the factory of createEngine(), or one the worker ran by itself)

class LoadTracker {
  /**
   * @param {Guard} guard
   * @param {unknown[]} ids
   * @param {unknown} appConfig the app's config, or undefined: then hasModelInCache is not asked
   * @param {(ok: boolean, ids: string[]) => void} [onDone]
   */
  constructor(guard, ids, appConfig, onDone) {
    this.guard = guard;
    this.ids = ids.map((id) => String(id));
    this.model = this.ids.join('+');
    this.onDone = onDone;
    this.startedAt = guard.now();
    this.t0 = guard.clock();
    this.durationMs = 0;
    this.interrupted = false;
    this.settled = false;
    this.fetchSeen = false;
    this.loadSeen = false;
    this.starts = 0;
    this.finishes = 0;
    this.committedBytes = 0;
    this.currentMB = 0;
    this.cacheAnswer = undefined; // true | false once hasModelInCache answered
    this.cachePending = null;
    const has = guard.hooks.hasModelInCache;
    if (typeof has === 'function' && appConfig !== undefined && appConfig !== null) {
      try {
        const answers = this.ids.map((id) => has.call(guard.hooks, id, appConfig));
        this.cachePending = Promise.all(answers).then(
          (values) => {
            if (values.every((v) => typeof v === 'boolean')) this.cacheAnswer = values.every((v) => v);
            this.cachePending = null;
          },
          () => {
            // Not a fault: WebLLM's hasModelInCache rejects for a model missing from the app
            // config, and the load then fails with its own error. The answer stays unknown.
            this.cachePending = null;
          },
        );
      } catch (err) {
        guard.fault('hooks.hasModelInCache', err);
        this.cachePending = null;
      }
    }
    guard.call('loadStarted', { model: this.model });
  }

  onProgress(report) {
    if (this.settled || report === null || typeof report !== 'object') return;
    const text = typeof report.text === 'string' ? report.text : '';
    if (text.startsWith('Fetching param cache')) {
      this.fetchSeen = true;
      const info = parseProgressText(text);
      if (info.megabytes !== undefined && info.megabytes > this.currentMB) this.currentMB = info.megabytes;
    } else if (text.startsWith('Loading model from cache')) {
      this.loadSeen = true;
    } else if (text.startsWith('Start to fetch params')) {
      this.starts += 1;
      this.commitBytes();
    } else if (text.startsWith('Finish loading')) {
      this.finishes += 1;
      this.commitBytes();
    }
    this.guard.call('loadProgress', { model: this.model, progress: report.progress, timeElapsed: report.timeElapsed, text });
  }

  /** Every model reported "Finish loading", each after its start. */
  complete() {
    return this.finishes >= this.ids.length && this.finishes >= this.starts;
  }

  commitBytes() {
    this.committedBytes += this.currentMB * MIB;
    this.currentMB = 0;
  }

  /** The engine's reload resolved. */
  succeed() {
    if (this.settled) return;
    // A service worker's handler that has these models loaded already skips the reload and
    // reports "Finish loading" alone: nothing was loaded, so no load is recorded.
    if (!this.interrupted && this.starts === 0 && this.finishes > 0 && !this.fetchSeen && !this.loadSeen) {
      this.settled = true;
      this.guard.call('loadFinished', { model: this.model, ok: true, error: undefined });
      if (this.onDone) this.onDone(true, this.ids);
      return;
    }
    // A reload interrupted by unload() or another reload() resolves too, without having loaded:
    // a model whose "Start to fetch params" had no "Finish loading" gives it away.
    const aborted = this.interrupted || this.starts > this.finishes;
    this.finish(aborted ? ABORT_ERROR : undefined);
  }

  fail(err) {
    this.finish(err === undefined ? new Error('undefined') : err, true);
  }

  finish(error, failed = error !== undefined) {
    if (this.settled) return;
    this.settled = true;
    const durationMs = (this.durationMs = Math.max(0, this.guard.clock() - this.t0));
    this.commitBytes();
    const record = () => {
      try {
        const e = { model: recordableModel(this.model), startedAt: this.startedAt, durationMs };
        // The texts are evidence; hasModelInCache decides only when they say nothing.
        let fromCache = this.fetchSeen ? false : this.loadSeen ? true : 'unknown';
        if (fromCache === 'unknown' && this.cacheAnswer !== undefined) fromCache = this.cacheAnswer;
        e.fromCache = fromCache;
        // WebLLM's "MB fetched": an upper bound when part of the model was cached (see the top).
        if (this.fetchSeen) e.bytesFetched = this.committedBytes;
        else if (fromCache === true) e.bytesFetched = 0;
        if (failed) {
          const { name, message } = classifyError(error);
          e.errorName = name;
          if (message !== '') e.errorMessage = boundMessage(message);
        }
        this.guard.call('recordModelLoad', e);
        this.guard.call('loadFinished', { model: this.model, ok: !failed, error: failed ? error : undefined });
        if (this.onDone) this.onDone(!failed, this.ids);
      } catch (err) {
        this.guard.fault('load', err);
      }
    };
    if (this.cachePending === null || this.fetchSeen || this.loadSeen) record();
    else {
      // hasModelInCache has not answered yet: record when it does (or after 3 s without it).
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, 3000);
        if (timer && typeof timer.unref === 'function') timer.unref();
      });
      Promise.race([this.cachePending, timeout]).then(() => {
        clearTimeout(timer);
        record();
      });
    }
  }
}

const ABORT_ERROR = Object.freeze({
  name: 'AbortError',
  message: 'reload() returned without loading the model: it was interrupted by unload() or another reload()',
});

// ---------------------------------------------------------------------------------------------
// The wrapper's state

class Context extends Guard {
  constructor(engine, hooks, init) {
    super(hooks);
    this.engine = engine;
    this.userCallback = undefined;
    this.observerInstalled = false;
    this.appConfig = init && init.appConfig !== undefined ? init.appConfig : undefined;
    /** @type {string[] | undefined} models known to be loaded (undefined: not known) */
    this.loaded = init && init.loaded ? init.loaded : undefined;
    /** @type {LoadTracker | null} */
    this.currentLoad = null;
    /** A load the worker runs inside a generation request (reloadIfUnmatched), seen by its texts. */
    /** @type {LoadTracker | null} */
    this.implicitLoad = null;
    /** @type {Set<Measurement>} generations not recorded yet */
    this.inFlight = new Set();
    this.subProxies = new WeakMap();
    this.bound = new Map();
    this.inObserver = false;
    this.observer = (report) => {
      // A cycle of progress callbacks (another wrapper that took this one for the app's, or the
      // app's own) ends here instead of overflowing the stack.
      if (this.inObserver) return undefined;
      this.inObserver = true;
      try {
        try {
          this.onProgress(report);
        } catch (err) {
          this.fault('progress', err);
        }
        const cb = this.userCallback;
        // The app's callback is called as the engine would call it; its exceptions are its own.
        if (cb !== undefined && cb !== null) return cb(report);
        return undefined;
      } finally {
        this.inObserver = false;
      }
    };
    observers.set(this.observer, this);
    try {
      this.installObserver(init && 'userCallback' in init, init ? init.userCallback : undefined);
    } catch (err) {
      this.fault('setInitProgressCallback', err);
    }
  }

  onProgress(report) {
    let load = this.currentLoad;
    if (load === null) load = this.implicitLoad ?? this.startImplicitLoad(report);
    if (load === null) return;
    load.onProgress(report);
    if (load === this.implicitLoad && load.complete()) this.endImplicitLoad(undefined, false);
  }

  /**
   * Load texts while no reload() runs but a generation does: a worker handler reloading inside
   * that request, the models being those the client expects (its `modelId`).
   */
  startImplicitLoad(report) {
    if (this.inFlight.size === 0 || report === null || typeof report !== 'object' || typeof report.text !== 'string') return null;
    if (!/^(Start to fetch params|Fetching param cache|Loading model from cache|Loading GPU shader)/.test(report.text)) return null;
    const ids = safeField(this.engine, 'modelId');
    const models = Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string') ? ids : this.loadedModels();
    if (models === undefined || models.length === 0) return null;
    this.implicitLoad = new LoadTracker(this, models, undefined, (ok, loadedIds) => {
      if (ok) this.loaded = loadedIds;
    });
    return this.implicitLoad;
  }

  /** The implicit load is over: the generations it delayed keep its time out of their TTFT. */
  endImplicitLoad(error, failed) {
    const load = this.implicitLoad;
    if (load === null) return;
    this.implicitLoad = null;
    if (failed) load.fail(error);
    else load.succeed();
    for (const m of this.inFlight) if (m.ttft < 0 && m.t0 <= load.t0) m.loadMs += load.durationMs;
  }

  /** A generation was recorded (or discarded): an implicit load cannot outlive the requests. */
  generationEnded(m, error, failed) {
    if (this.implicitLoad === null) return;
    const load = this.implicitLoad;
    if (m.ttft < 0 && m.t0 <= load.t0) {
      // The request the load ran in (or one waiting behind it) ended first.
      this.endImplicitLoad(error, failed);
      m.loadMs += load.durationMs;
    } else if (this.inFlight.size === 0) this.endImplicitLoad(undefined, false);
  }

  /** Puts the wrapper's progress observer on the engine; the callback found there is the app's. */
  installObserver(given = false, userCallback = undefined) {
    const e = this.engine;
    if (typeof e.setInitProgressCallback !== 'function') return;
    const current = typeof e.getInitProgressCallback === 'function' ? e.getInitProgressCallback() : e.initProgressCallback;
    if (current === this.observer) return;
    this.userCallback = given ? userCallback : current;
    e.setInitProgressCallback(this.observer);
    this.observerInstalled = true;
  }

  /** The models the engine has loaded, from the wrapper's records or the engine's own fields. */
  loadedModels() {
    if (this.loaded !== undefined) return this.loaded;
    try {
      const e = this.engine;
      if (e.loadedModelIdToPipeline instanceof Map) return [...e.loadedModelIdToPipeline.keys()].map(String);
      if (Array.isArray(e.modelId)) return e.modelId.map(String);
    } catch (err) {
      this.fault('loadedModels', err);
    }
    return undefined;
  }

  loadedModelName() {
    const models = this.loadedModels();
    return models !== undefined && models.length > 0 ? models.join('+') : undefined;
  }

  noteNothingLoaded() {
    if (this.loaded === undefined || this.loaded.length > 0) this.call('unloaded', { model: undefined });
    this.loaded = [];
  }

  /**
   * After a failed generation: an engine in this realm that has no model any more (a lost GPU
   * device makes MLCEngine unload everything) has nothing loaded. A worker engine's client cannot
   * tell; its next call fails with ModelNotLoadedError, which says the same.
   */
  checkStillLoaded() {
    try {
      if (this.currentLoad !== null) return;
      const pipelines = this.engine.loadedModelIdToPipeline;
      if (pipelines instanceof Map && pipelines.size === 0 && (this.loaded === undefined || this.loaded.length > 0)) this.noteNothingLoaded();
    } catch (err) {
      this.fault('loadedModels', err);
    }
  }

  interruptImplicitLoad() {
    if (this.implicitLoad === null) return;
    this.implicitLoad.interrupted = true;
    this.endImplicitLoad(undefined, false);
  }

  /**
   * The app config for hasModelInCache: the one the app gave (createEngine's engineConfig,
   * setAppConfig through the wrapper), else the config an MLCEngine keeps (the app's or WebLLM's
   * default, which it loads with). A worker engine keeps none: undefined, hasModelInCache is not
   * asked (it would fall back to WebLLM's prebuilt config and its "cache" backend).
   */
  cacheConfig() {
    if (this.appConfig !== undefined) return this.appConfig;
    const config = safeField(this.engine, 'appConfig');
    return config !== null && typeof config === 'object' ? config : undefined;
  }

  /** Wrapping an engine that has models loaded already: the monitor learns them now. */
  announceLoaded() {
    const models = this.loadedModels();
    if (models !== undefined && models.length > 0) this.call('loadFinished', { model: models.join('+'), ok: true, error: undefined });
  }

  // -------------------------------------------------------------------------------------------
  // Intercepted methods

  reload(modelId, chatOpts, rest) {
    let load = null;
    try {
      const ids = Array.isArray(modelId) ? modelId : [modelId];
      const previous = this.loadedModels();
      if (this.currentLoad !== null) this.currentLoad.interrupted = true;
      this.interruptImplicitLoad();
      this.call('unloading', undefined);
      // reload() unloads everything first.
      if (previous !== undefined && previous.length > 0) this.call('unloaded', { model: previous.join('+') });
      this.loaded = [];
      this.installObserver();
      load = new LoadTracker(this, ids, this.cacheConfig(), (ok, loadedIds) => {
        if (ok) this.loaded = loadedIds;
      });
      this.currentLoad = load;
    } catch (err) {
      this.fault('reload', err);
    }
    const done = () => {
      if (this.currentLoad === load) this.currentLoad = null;
    };
    let p;
    try {
      p = this.engine.reload(modelId, chatOpts, ...rest);
    } catch (err) {
      done();
      if (load !== null) load.fail(err);
      throw err;
    }
    if (p === null || typeof p !== 'object' || typeof p.then !== 'function') {
      done();
      if (load !== null) load.succeed();
      return p;
    }
    return p.then(
      (value) => {
        done();
        if (load !== null) load.succeed();
        return value;
      },
      (err) => {
        done();
        if (load !== null) load.fail(err);
        throw err;
      },
    );
  }

  unload(args) {
    let models;
    try {
      if (this.currentLoad !== null) this.currentLoad.interrupted = true;
      this.interruptImplicitLoad();
      this.call('unloading', undefined);
      models = this.loadedModelName();
    } catch (err) {
      this.fault('unload', err);
    }
    const after = () => {
      this.loaded = [];
      this.call('unloaded', { model: models });
    };
    const p = this.engine.unload(...args);
    if (p === null || typeof p !== 'object' || typeof p.then !== 'function') {
      after();
      return p;
    }
    return p.then((value) => {
      after();
      return value;
    });
  }

  setInitProgressCallback(cb, rest) {
    try {
      this.installObserver();
      if (this.observerInstalled) {
        this.setAppCallback(cb);
        return undefined;
      }
    } catch (err) {
      this.fault('setInitProgressCallback', err);
    }
    return this.engine.setInitProgressCallback(cb, ...rest);
  }

  getInitProgressCallback(args) {
    if (this.observerInstalled) {
      try {
        const current = this.engine.getInitProgressCallback(...args);
        if (current === this.observer) return this.appCallback();
        return current; // replaced behind the wrapper's back: the engine's is the truth
      } catch (err) {
        this.fault('getInitProgressCallback', err);
        return this.appCallback();
      }
    }
    return this.engine.getInitProgressCallback(...args);
  }

  /** The app's callback: the one this observer calls, past the observers of outer wrappers. */
  appCallback() {
    let cb = this.userCallback;
    for (let i = 0, c = observers.get(cb); c !== undefined && i < MAX_NESTING; i++, c = observers.get(cb)) cb = c.userCallback;
    return observers.has(cb) ? undefined : cb;
  }

  /** The app sets its callback: at the end of the chain of observers, which stays in place. */
  setAppCallback(cb) {
    let ctx = this;
    if (!observers.has(cb)) {
      for (let i = 0, c = observers.get(ctx.userCallback); c !== undefined && i < MAX_NESTING; i++, c = observers.get(ctx.userCallback)) ctx = c;
    }
    ctx.userCallback = cb;
  }

  setAppConfig(appConfig, rest) {
    this.appConfig = appConfig;
    return this.engine.setAppConfig(appConfig, ...rest);
  }

  /** A function property of the engine, called with `this` = the engine. */
  forward(prop, fn) {
    const cached = this.bound.get(prop);
    if (cached !== undefined && cached.fn === fn) return cached.bound;
    const bound = fn.bind(this.engine);
    this.bound.set(prop, { fn, bound });
    return bound;
  }

  /** A proxy of `obj` (engine.chat, engine.chat.completions...) whose `prop` is replaced. */
  subProxy(obj, prop, make) {
    let entry = this.subProxies.get(obj);
    if (entry === undefined) {
      const replacement = make(obj);
      const proxy = new Proxy(obj, {
        get: (target, key) => {
          if (key === prop && replaceable(target, key)) return replacement();
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' && key !== 'constructor' ? value.bind(target) : value;
        },
      });
      entry = proxy;
      this.subProxies.set(obj, entry);
    }
    return entry;
  }

  chatProxy(chat) {
    return this.subProxy(chat, 'completions', (c) => () => {
      const completions = c.completions;
      if (completions === null || typeof completions !== 'object') return completions;
      return this.createProxy(completions, 'chat');
    });
  }

  createProxy(obj, operation) {
    return this.subProxy(obj, 'create', (o) => {
      const create = (request) => measure(this, operation, request, (req) => o.create(req));
      return () => (typeof o.create === 'function' ? create : o.create);
    });
  }
}

function safeField(obj, key) {
  try {
    return obj[key];
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// wrapEngine / createEngine

const METHODS = new Set([
  'chatCompletion',
  'completion',
  'embedding',
  'reload',
  'unload',
  'setInitProgressCallback',
  'getInitProgressCallback',
  'setAppConfig',
  'resumeChatCompletion',
]);

function makeHandler(ctx) {
  const methods = {
    chatCompletion: (request) => measure(ctx, 'chat', request, (req) => ctx.engine.chatCompletion(req)),
    completion: (request) => measure(ctx, 'completion', request, (req) => ctx.engine.completion(req)),
    embedding: (request) => measure(ctx, 'embedding', request, (req) => ctx.engine.embedding(req)),
    reload: (modelId, chatOpts, ...rest) => ctx.reload(modelId, chatOpts, rest),
    unload: (...args) => ctx.unload(args),
    setInitProgressCallback: (cb, ...rest) => ctx.setInitProgressCallback(cb, rest),
    getInitProgressCallback: (...args) => ctx.getInitProgressCallback(args),
    setAppConfig: (appConfig, ...rest) => ctx.setAppConfig(appConfig, rest),
    resumeChatCompletion: (sessionId, options, ...rest) => measureResume(ctx, sessionId, options, rest),
  };
  return {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof prop === 'string' && replaceable(target, prop)) {
        if (METHODS.has(prop)) return typeof value === 'function' ? methods[prop] : value;
        // The engine calls the wrapper's observer; the app reads back its own callback.
        if (prop === 'initProgressCallback' && value === ctx.observer && ctx.observerInstalled) return ctx.appCallback();
        if (value !== null && typeof value === 'object') {
          if (prop === 'chat') return ctx.chatProxy(value);
          if (prop === 'completions') return ctx.createProxy(value, 'completion');
          if (prop === 'embeddings') return ctx.createProxy(value, 'embedding');
        }
      }
      if (typeof value === 'function' && prop !== 'constructor') return ctx.forward(prop, value);
      return value;
    },
  };
}

/** A Proxy may only return another value for a property that is not frozen on the target. */
function replaceable(target, prop) {
  const d = Reflect.getOwnPropertyDescriptor(target, prop);
  return d === undefined || d.configurable || d.writable === true;
}

function checkHooks(hooks, where) {
  if (hooks === null || typeof hooks !== 'object')
    throw new TypeError(`${where}: hooks: expected the monitor's hooks object, got ${hooks === null ? 'null' : typeof hooks}`);
}

function wrapInternal(engine, hooks, init) {
  if (engine === null || (typeof engine !== 'object' && typeof engine !== 'function'))
    throw new TypeError(`wrapEngine: engine: expected a WebLLM engine (an object), got ${engine === null ? 'null' : typeof engine}`);
  checkHooks(hooks, 'wrapEngine');
  // Wrappers of one engine nest: a new monitor wraps the outermost wrapper, so that each
  // observer sees the next one as the app's callback and no two ever take each other for it.
  const base = unwrapEngine(engine);
  const top = outermost.get(base) ?? base;
  for (let w = top, c = contexts.get(w); c !== undefined; w = c.engine, c = contexts.get(w)) {
    if (c.hooks === hooks) return w; // already this monitor's wrapper
  }
  const ctx = new Context(top, hooks, init);
  const wrapper = new Proxy(top, makeHandler(ctx));
  contexts.set(wrapper, ctx);
  outermost.set(base, wrapper);
  if (init === undefined) {
    try {
      ctx.announceLoaded();
    } catch (err) {
      ctx.fault('loadedModels', err);
    }
  }
  return wrapper;
}

/**
 * Wraps a WebLLM engine: the returned object behaves as `engine` (same methods, properties,
 * prototype) and every chat / completion / embedding call, reload and unload is measured into
 * `hooks`. Wrapping the same engine (or its wrapper) again with the same hooks returns the same
 * wrapper; with other hooks (another monitor), the new wrapper nests around the last one, and
 * both measure. An engine that has models loaded already tells the monitor so.
 * @template T
 * @param {T} engine
 * @param {object} hooks
 * @returns {T}
 */
export function wrapEngine(engine, hooks) {
  return wrapInternal(engine, hooks, undefined);
}

/**
 * Creates an engine with the app's factory (`CreateMLCEngine`, or e.g.
 * `(id, config, opts) => CreateWebWorkerMLCEngine(worker, id, config, opts)`) so that the first
 * load is measured too, and returns it wrapped. The app's `initProgressCallback` still receives
 * every report. A failed load is recorded and its error rethrown unchanged.
 * @param {(modelId: string | string[], engineConfig?: object, chatOpts?: unknown) => Promise<any>} factory
 * @param {string | string[]} modelId
 * @param {object} [engineConfig]
 * @param {unknown} [chatOpts]
 * @param {object} hooks
 */
export async function createEngine(factory, modelId, engineConfig, chatOpts, hooks) {
  if (typeof factory !== 'function')
    throw new TypeError(`createEngine: factory: expected a function such as CreateMLCEngine, got ${factory === null ? 'null' : typeof factory}`);
  checkHooks(hooks, 'createEngine');
  const guard = new Guard(hooks);
  const userCallback = engineConfig ? engineConfig.initProgressCallback : undefined;
  const appConfig = engineConfig ? engineConfig.appConfig : undefined;
  let load = null;
  let config = engineConfig;
  let loadedIds;
  try {
    load = new LoadTracker(guard, Array.isArray(modelId) ? modelId : [modelId], appConfig, (ok, ids) => {
      if (ok) loadedIds = ids;
    });
    const tracker = load;
    const observer = (report) => {
      try {
        tracker.onProgress(report);
      } catch (err) {
        guard.fault('progress', err);
      }
      if (userCallback !== undefined && userCallback !== null) return userCallback(report);
    };
    config = { ...(engineConfig ?? {}), initProgressCallback: observer };
  } catch (err) {
    guard.fault('createEngine', err);
    load = null;
    config = engineConfig;
  }
  let engine;
  try {
    engine = await factory(modelId, config, chatOpts);
  } catch (err) {
    if (load !== null) load.fail(err);
    throw err;
  }
  if (load !== null) load.succeed();
  const wrapper = wrapInternal(engine, hooks, { userCallback, appConfig, loaded: undefined });
  const ctx = contexts.get(wrapper);
  if (ctx !== undefined && loadedIds !== undefined) ctx.loaded = loadedIds;
  if (load !== null && load.cachePending !== null && ctx !== undefined) {
    // The load is recorded once hasModelInCache answers; note the loaded models then.
    const previous = load.onDone;
    load.onDone = (ok, ids) => {
      previous(ok, ids);
      if (ok && ctx.loaded === undefined) ctx.loaded = ids;
    };
  }
  return wrapper;
}

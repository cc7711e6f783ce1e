// A stand-in for WebLLM's MLCEngine (@mlc-ai/web-llm 0.2.86) that needs no GPU and no weights:
// the same methods, the same response and chunk shapes, the same progress texts in the same
// order, the same error names, a per-model lock, interruptGenerate(), and a browser cache shared
// by every simulated engine of the page (the second load of a model comes from the cache).
// Timings are drawn from seeded distributions; `timeScale` speeds the waiting up (0 = none).
//
// What was copied from WebLLM's lib/index.js (0.2.86), so that code tested against this engine
// behaves the same against the real one:
// - `MLCEngine.reload()` awaits `unload()` first, then checks its arguments, then loads the models
//   one after the other; `unload()` during a reload makes that reload return without throwing.
// - Progress (tvmjs `fetchTensorCacheInternal`, `asyncLoadWebGPUPipelines`): "Start to fetch
//   params" (progress 0, timeElapsed 0); only when some shard is not cached, "Fetching param
//   cache[i/N]: XMB fetched. P% completed, T secs elapsed. It can take a while when we first visit
//   this page to populate the cache. Later refreshes will become faster."; then "Loading model
//   from cache[i/N]: XMB loaded. P% completed, T secs elapsed." (bytes and progress restart at 0);
//   "Loading GPU shader modules[i/N]: P% completed, T secs elapsed." (at most one report per
//   second, and the last); and `{ progress: 1, timeElapsed, text: "Finish loading on WebGPU - <adapter
//   description, or vendor when empty>" }`. MB = ceil(bytes / 1024 / 1024); P = floor(percent);
//   T = ceil(seconds) in the texts, while the final report's timeElapsed is fractional seconds.
// - `created` is in seconds (getUnixTimestampSeconds), ids are UUIDs.
// - Stream chunks: one delta chunk after prefill and one per decode step (the step that samples
//   the stop token yields `content: ""`), then `{ delta: {}, finish_reason }`, then, with
//   `stream_options.include_usage`, one chunk with `choices: []` and `usage`.
// - Streaming usage: decode_tokens_per_s = decodeTokens / decodeTime (NaN when both are 0),
//   prefill_tokens_per_s = promptTokens / prefillTime, time_per_output_token_s = 0 without decode
//   tokens. Non-streaming: decode_tokens_per_s = 0 when decodeTime is 0.
// - Errors set `name` (ModelNotLoadedError, InvalidStreamOptionsError...); a web-worker engine
//   (`worker: true`) rejects with `err.toString()` ("Name: message") for what runs in the worker,
//   but with Error objects for its client-side checks (WorkerEngineModelNotLoadedError,
//   UnclearModelToUseError, SpecifiedModelNotFoundError), and its interruptGenerate() returns
//   undefined instead of a promise.
// - Resumable generation (`extra_body.resumable` on a chat request): the session journals every
//   token into a store that outlives the engine (WebLLM's OPFS; here a store shared by every
//   simulated engine of the page). An unfinished session (interrupted, failed, or a stream left
//   early) is listed as resumable; `resumeChatCompletion(id, { continueGeneration, stream })`
//   restores it (from the last KV checkpoint, or by replaying the prompt and the tokens) and
//   continues the same reply, with WebLLM's results, errors and locks (sessions.js, resume.js).
//
// Reported times: with timeScale > 0 the engine measures the time that really passed (as WebLLM
// does), so usage figures agree with what a client measures; with timeScale 0 nothing waits and
// the unscaled simulated times are reported instead (a virtual timeline).
//
// The parts, in js/simulated-engine/: engine.js (the class: configuration, simulation controls,
// WebLLM's methods), loading.js (reload and unload, the progress texts), models.js (model
// profiles, the shared browser cache), generation.js (prefill and decode steps of one
// generation), responses.js (responses, streams, embeddings), requests.js (WebLLM's checks of a
// request), sessions.js (resumable sessions and their journal), resume.js
// (resumeChatCompletion), worker.js (worker mode), errors.js (WebLLM's error classes), time.js
// (clocks, seeded hashes), lock.js (the per-model lock).
//
// Plain ES modules. Types: js/simulated-engine.d.ts.

export { CreateSimulatedMLCEngine, SimulatedMLCEngine } from './simulated-engine/engine.js';
export { SimulatedErrors, simulatedError } from './simulated-engine/errors.js';
export { simulatedDeleteModelInCache, simulatedHasModelInCache } from './simulated-engine/models.js';

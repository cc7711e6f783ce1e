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
// The wrapper's rooms, in js/wrapper/: proxy.js (wrapEngine, createEngine: the engine's Proxy,
// nested wrappers), context.js (one wrapper's state: its progress observer, the loaded models,
// loads and generations in flight), generation.js (one chat / completion / embedding call
// measured) and stream.js (its stream), load.js (one reload or unload measured), progress.js
// (the progress texts and what they say of a load), errors.js (error names and messages),
// hooks.js (guarded calls to the monitor's hooks, the names the core takes).
//
// Plain ES modules. Types: js/wrapper.d.ts.

export { classifyError, MAX_MESSAGE_CHARS } from './wrapper/errors.js';
export { parseProgressText } from './wrapper/progress.js';
export { contentChars } from './wrapper/generation.js';
export { ABANDON_AFTER_MS } from './wrapper/stream.js';
export { createEngine, unwrapEngine, wrapEngine } from './wrapper/proxy.js';

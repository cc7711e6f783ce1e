// The wrapper against WebLLM's own classes (tests/js/webllm-fakes.mjs): the in-page MLCEngine and
// the WebWorkerMLCEngine client with its handler over a fake worker. Resumed generations, two
// monitors on one engine, the cache signal, n > 1, engines loaded before they were wrapped, the
// progress callback property, streams never iterated, tool calls, a worker that reloads inside a
// request. Each time: what the app sees is what the raw engine gives, and the records are right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMonitor } from '../../js/index.js';
import { unwrapEngine, wrapEngine } from '../../js/wrapper.js';
import { collect, makeHooks, ask } from './helpers.mjs';
import { addResumableSessions, macrotask, patchedMLCEngine, restartableWorkerPair, workerPair } from './webllm-fakes.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const HERMES = 'Hermes-2-Pro-Llama-3-8B-q4f16_1-MLC';
const KINDS = ['MLCEngine', 'WebWorkerMLCEngine'];

/** A real engine of `kind` over a patched MLCEngine; `backend` is the engine that generates. */
function makeEngine(kind, pipelines = () => ({ words: 4 }), engineConfig = {}) {
  const backend = patchedMLCEngine(engineConfig, pipelines);
  return { backend, raw: kind === 'MLCEngine' ? backend : workerPair(backend, engineConfig) };
}

/** Waits (a bounded number of macrotasks) until `done()` holds. */
async function until(done) {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(done(), 'the condition held in time');
}

/** A chunk without what differs from call to call (ids, timestamps, usage timings). */
function shape(chunk) {
  const { id, created, usage, ...rest } = chunk;
  return usage ? { ...rest, usage: { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens } } : rest;
}

test('resumeChatCompletion: a resumed stream is measured, and the app gets no usage chunk it did not ask for', async () => {
  for (const kind of KINDS) {
    const { backend, raw } = makeEngine(kind);
    const saved = addResumableSessions(backend);
    const { hooks, log } = makeHooks();
    const engine = wrapEngine(raw, hooks);
    await engine.reload(LLAMA);
    const resumable = (sessionId, extra = {}) => ask('hello', { stream: true, extra_body: { resumable: { enabled: true, sessionId } }, ...extra });

    // The first run: the request WebLLM saves is the app's, nothing added.
    const first = await collect(await engine.chat.completions.create(resumable('s1')));
    assert.ok(
      first.every((c) => c.choices.length === 1),
      kind,
    );
    assert.equal(saved.get('s1').request.stream_options, undefined, `${kind}: the saved request carries no include_usage`);
    assert.equal(log.generations.length, 1);

    // Resumed: the chunks the raw engine gives, each with a choice; one more generation recorded.
    const resumed = await collect(await engine.resumeChatCompletion('s1', { continueGeneration: true, stream: true }));
    const direct = await collect(await raw.resumeChatCompletion('s1', { continueGeneration: true, stream: true }));
    assert.ok(resumed.length > 1);
    assert.ok(
      resumed.every((c) => c.choices.length === 1 && c.choices[0].delta !== undefined),
      `${kind}: no choices: [] chunk`,
    );
    assert.deepEqual(resumed.map(shape), direct.map(shape), `${kind}: the same chunks as the raw engine`);
    assert.equal(log.generations.length, 2, `${kind}: the resumed stream is a generation`);
    const g = log.generations[1];
    assert.equal(g.operation, 'chat');
    assert.equal(g.model, LLAMA);
    assert.equal(g.finishReason, 'stop');
    assert.ok(g.ttftMs >= 0 && g.durationMs >= g.ttftMs);
    assert.equal(
      g.responseChars,
      resumed.reduce((n, c) => n + (c.choices[0].delta.content ?? '').length, 0),
    );

    // An app that asked for usage gets the usage chunk when it resumes, and so does the record.
    await collect(await engine.chat.completions.create(resumable('s2', { stream_options: { include_usage: true } })));
    const withUsage = await collect(await engine.resumeChatCompletion('s2', { continueGeneration: true, stream: true }));
    assert.equal(withUsage.at(-1).choices.length, 0, `${kind}: the usage chunk the app asked for`);
    assert.ok(withUsage.at(-1).usage);
    assert.equal(log.generations.at(-1).completionTokens, withUsage.at(-1).usage.completion_tokens);

    // Not streamed: measured too; the result is the engine's.
    const before = log.generations.length;
    const res = await engine.resumeChatCompletion('s1', { continueGeneration: true });
    assert.equal(res.recoveryMode, 'token_replay');
    assert.equal(log.generations.length, before + 1, `${kind}: a non-streamed resumed generation`);
    assert.equal(log.generations.at(-1).responseChars, res.recoveredText.length);
    // Reading the saved text back generates nothing: passed through, not recorded.
    const read = await engine.resumeChatCompletion('s1');
    assert.deepEqual(read, await raw.resumeChatCompletion('s1'));
    assert.equal(read.recoveryMode, 'text_only');
    assert.equal(log.generations.length, before + 1);

    // listResumableSessions and deleteResumableSession pass through.
    assert.deepEqual(await engine.listResumableSessions(), await raw.listResumableSessions());
    assert.deepEqual(
      (await engine.listResumableSessions()).map((s) => s.sessionId),
      ['s1', 's2'],
    );
    assert.equal(await engine.deleteResumableSession('s2'), undefined);
    assert.deepEqual(
      (await engine.listResumableSessions()).map((s) => s.sessionId),
      ['s1'],
    );
    // A failed resume: the engine's error, recorded as a failed generation.
    const err = await engine.resumeChatCompletion('gone', { continueGeneration: true, stream: true }).catch((e) => e);
    assert.match(String(err.message ?? err), /Resumable session not found/);
    assert.equal(log.generations.at(-1).errorName, 'Error');
    assert.deepEqual(log.faults, []);
  }
});

test('two monitors on one engine: the wrappers nest, no recursion, each records once, the app callback gets each report once', async () => {
  for (const kind of KINDS) {
    const { raw } = makeEngine(kind);
    const texts = [];
    const appCallback = (r) => texts.push(r.text);
    raw.setInitProgressCallback(appCallback);
    const m1 = makeHooks();
    const m2 = makeHooks();
    const w1 = wrapEngine(raw, m1.hooks);
    const w2 = wrapEngine(raw, m2.hooks); // e.g. a monitor re-created around a shared engine
    assert.notEqual(w1, w2);
    assert.equal(wrapEngine(raw, m1.hooks), w1, 'the same hooks give the same wrapper');
    assert.equal(wrapEngine(w2, m2.hooks), w2);
    assert.equal(unwrapEngine(w2), raw);

    await w1.reload(LLAMA); // the two observers used to call each other
    await macrotask();
    assert.equal(w1.getInitProgressCallback(), appCallback, "the app's callback, not the other wrapper's observer");
    assert.equal(w2.getInitProgressCallback(), appCallback);
    assert.deepEqual(
      texts,
      ['Start to fetch params', 'Loading model from cache[1/1]: 10MB loaded. 100% completed, 0 secs elapsed.', 'Finish loading on WebGPU - Fake Adapter'],
      kind,
    );
    assert.equal(m1.log.loads.length, 1, `${kind}: a reload through the first wrapper`);
    await w2.reload(LLAMA);
    await macrotask();
    assert.equal(texts.length, 6, `${kind}: each report once`);
    assert.equal(m1.log.loads.length, 2, 'the inner monitor sees the outer reload too');
    assert.equal(m2.log.loads.length, 1);
    assert.equal(m2.log.loads[0].fromCache, true);

    // A generation through the outer wrapper: each monitor records it once, with its tag.
    const chunks = await collect(await w2.chat.completions.create(ask('hi', { stream: true, monitorType: 'summary' })));
    assert.ok(
      chunks.every((c) => c.choices.length === 1),
      `${kind}: no usage chunk leaks through two wrappers`,
    );
    assert.deepEqual([m1.log.generations.length, m2.log.generations.length], [1, 1]);
    assert.deepEqual([m1.log.generations[0].type, m2.log.generations[0].type], ['summary', 'summary']);
    assert.equal(m2.log.generations[0].completionTokens, 4);
    // The app replaces its callback through either wrapper: still called once per report.
    const later = [];
    w1.setInitProgressCallback((r) => later.push(r.text));
    await w2.reload(LLAMA);
    await w1.reload(LLAMA);
    await macrotask();
    assert.equal(later.length, 6, kind);
    assert.deepEqual([m1.log.faults, m2.log.faults], [[], []]);
  }
});

test('hasModelInCache: asked only with the app config the app gave; the progress texts win', async () => {
  const appConfig = { model_list: [{ model_id: LLAMA, model: 'https://x/llama', model_lib: 'https://x/l.wasm' }], cacheBackend: 'indexeddb' };
  // WebLLM's hasModelInCache without a config looks in the prebuilt config's "cache" backend,
  // where this model is not; the app keeps it in IndexedDB.
  const asked = [];
  const hasModelInCache = async (id, config) => {
    asked.push(config === undefined ? 'none' : config.cacheBackend);
    return config !== undefined && config.cacheBackend === 'indexeddb';
  };
  for (const kind of KINDS) {
    asked.length = 0;
    const { raw } = makeEngine(kind, () => ({ words: 4 }), kind === 'MLCEngine' ? { appConfig } : {});
    const { hooks, log } = makeHooks({ hasModelInCache });
    const engine = wrapEngine(raw, hooks);
    await engine.reload(LLAMA);
    await until(() => log.loads.length === 1);
    // The worker client keeps no config: not asked. The MLCEngine keeps the app's.
    assert.deepEqual(asked, kind === 'MLCEngine' ? ['indexeddb'] : [], kind);
    assert.equal(log.loads[0].fromCache, true, `${kind}: "Loading model from cache" without a fetch`);
    // Given through the wrapper: asked with it.
    engine.setAppConfig(appConfig);
    await engine.reload(LLAMA);
    await until(() => log.loads.length === 2);
    assert.equal(asked.at(-1), 'indexeddb', kind);
  }
  // A download the texts show beats an answer that says cached.
  const { raw } = makeEngine('MLCEngine', () => ({ fetchedMB: [10, 20, 30] }), { appConfig });
  const { hooks, log } = makeHooks({ hasModelInCache: async () => true });
  await wrapEngine(raw, hooks).reload(LLAMA);
  await until(() => log.loads.length === 1);
  assert.deepEqual([log.loads[0].fromCache, log.loads[0].bytesFetched], [false, 30 * 1048576]);
});

test('bytesFetched is WebLLM\'s "MB fetched" figure: for a partly cached model, the whole model (an upper bound)', async () => {
  for (const kind of KINDS) {
    // Two of three shards were cached: WebLLM still counts them (index.js 8242).
    const { raw } = makeEngine(kind, () => ({ fetchedMB: [10, 20, 30] }));
    const { hooks, log } = makeHooks();
    await wrapEngine(raw, hooks).reload(LLAMA);
    assert.deepEqual([log.loads[0].fromCache, log.loads[0].bytesFetched], [false, 30 * 1048576], kind);
  }
});

test('non-streaming n > 1: the prefill time and prompt tokens WebLLM sums over the choices are recorded per request', async () => {
  for (const kind of KINDS) {
    const { raw } = makeEngine(kind, () => ({ words: 5 }));
    const { hooks, log } = makeHooks();
    const engine = wrapEngine(raw, hooks);
    await engine.reload(LLAMA);
    const one = await engine.chat.completions.create(ask('hello there'));
    const three = await engine.chat.completions.create(ask('hello there', { n: 3 }));
    assert.equal(three.choices.length, 3);
    assert.equal(three.usage.prompt_tokens, 3 * one.usage.prompt_tokens, "WebLLM's sum");
    const [g1, g3] = log.generations;
    assert.equal(g3.promptTokens, g1.promptTokens, kind);
    assert.ok(Math.abs(g3.engineTtftMs - g1.engineTtftMs) < 1e-9, `${kind}: ${g3.engineTtftMs} vs ${g1.engineTtftMs}`);
    assert.equal(g3.completionTokens, three.usage.completion_tokens, 'completion tokens: all n replies');
    const c1 = await engine.completions.create({ prompt: 'abc', model: LLAMA });
    const c2 = await engine.completions.create({ prompt: 'abc', model: LLAMA, n: 2 });
    assert.equal(c2.usage.prompt_tokens, 2 * c1.usage.prompt_tokens);
    assert.equal(log.generations[3].promptTokens, log.generations[2].promptTokens, kind);
  }
});

test('wrapping an engine that is loaded already: the monitor knows its models at once', async () => {
  for (const kind of KINDS) {
    const monitor = await createMonitor({ memory: false, webgpu: false });
    const { raw } = makeEngine(kind, () => ({ words: 3 }));
    await raw.reload(LLAMA); // engine = await CreateMLCEngine(...), wrapped afterwards
    const engine = monitor.wrap(raw);
    const status = monitor.getStatus();
    assert.deepEqual([status.ready, status.loadedModels], [true, [LLAMA]], kind);
    await engine.chat.completions.create(ask('x'));
    assert.equal(monitor.getAllGenerations().at(-1).model, LLAMA);
    await engine.unload();
    assert.deepEqual(monitor.getStatus().loadedModels, []);
    // Nothing loaded: nothing announced.
    const { raw: empty } = makeEngine(kind);
    monitor.wrap(empty);
    assert.deepEqual(monitor.getStatus().loadedModels, []);
    await monitor.dispose();
  }
});

test("engine.initProgressCallback read through the wrapper is the app's callback", async () => {
  for (const kind of KINDS) {
    const { raw } = makeEngine(kind);
    const appCallback = () => {};
    raw.setInitProgressCallback(appCallback);
    const { hooks, log } = makeHooks();
    const engine = wrapEngine(raw, hooks);
    assert.equal(engine.initProgressCallback, appCallback, kind);
    assert.notEqual(raw.initProgressCallback, appCallback, 'the engine calls the observer');
    const other = () => {};
    engine.setInitProgressCallback(other);
    assert.equal(engine.initProgressCallback, other);
    await engine.reload(LLAMA);
    assert.equal(log.loads.length, 1);
  }
});

test('a stream never iterated is recorded as abandoned after hooks.abandonAfterMs; iterated later, it is still what the engine gives', async () => {
  for (const kind of KINDS) {
    const { raw } = makeEngine(kind);
    const { hooks, log } = makeHooks({ abandonAfterMs: 0 });
    const engine = wrapEngine(raw, hooks);
    await engine.reload(LLAMA);
    // Iterated at once: not abandoned.
    const used = await engine.chat.completions.create(ask('a', { stream: true }));
    const chunks = await collect(used);
    await macrotask();
    assert.equal(log.generations.length, 1);
    assert.equal(log.generations[0].finishReason, 'stop');
    // Never iterated.
    const left = await engine.chat.completions.create(ask('b', { stream: true }));
    await until(() => log.generations.length === 2);
    const g = log.generations[1];
    assert.equal(g.finishReason, 'abort', kind);
    assert.equal(g.ttftMs, undefined);
    assert.equal(g.completionTokens, undefined);
    assert.equal(log.started.length, log.finished.length, 'every start has its end');
    // The app iterates it after all: the engine's chunks, the added usage chunk still hidden,
    // nothing recorded twice.
    const late = await collect(left);
    assert.deepEqual(
      late.map((c) => c.choices.length),
      chunks.map((c) => c.choices.length),
      kind,
    );
    assert.equal(log.generations.length, 2);
    assert.deepEqual(log.faults, []);
  }
});

test('tool calls: responseChars are the same streamed and not', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
  for (const kind of KINDS) {
    const { raw } = makeEngine(kind, () => ({ reply: '[{"name": "get_weather", "arguments": {"city": "Paris"}}]' }));
    const { hooks, log } = makeHooks();
    const engine = wrapEngine(raw, hooks);
    await engine.reload(HERMES);
    const streamed = await collect(await engine.chat.completions.create(ask('weather?', { stream: true, tools })));
    const call = streamed.at(-1).choices[0].delta.tool_calls[0].function;
    const whole = await engine.chat.completions.create(ask('weather?', { tools }));
    assert.equal(whole.choices[0].finish_reason, 'tool_calls');
    const [s, n] = log.generations;
    assert.equal(s.finishReason, 'tool_calls');
    assert.equal(s.responseChars, n.responseChars, kind);
    assert.equal(n.responseChars, call.name.length + call.arguments.length);
  }
});

test('a restarted worker reloads inside the next request: recorded as a load, kept out of the TTFT', async () => {
  // The monitor's clock advances by 1 s while a model loads from the cache.
  let now = 0;
  const fresh = () => patchedMLCEngine({}, () => ({ words: 3 }));
  const { client, restart } = restartableWorkerPair(fresh());
  client.setInitProgressCallback((r) => {
    if (r.text.startsWith('Loading model from cache')) now += 1000;
  });
  const { hooks, log } = makeHooks({ clock: () => now });
  const engine = wrapEngine(client, hooks);
  await engine.reload(LLAMA);
  assert.equal(log.loads.length, 1);
  restart(fresh()); // nothing loaded there; the client expects LLAMA
  const chunks = await collect(await engine.chat.completions.create(ask('hi', { stream: true })));
  assert.ok(chunks.length > 1);
  assert.equal(log.loads.length, 2, 'the load inside the request is recorded');
  assert.deepEqual([log.loads[1].model, log.loads[1].fromCache, log.loads[1].durationMs], [LLAMA, true, 1000]);
  const g = log.generations[0];
  assert.ok(g.durationMs >= 1000, 'the app waited for the load');
  assert.ok(g.ttftMs < 1000, `TTFT ${g.ttftMs} without the load`);
  // Not streamed, after another restart.
  restart(fresh());
  await engine.chat.completions.create(ask('again'));
  assert.equal(log.loads.length, 3);
  assert.equal(log.generations.length, 2);
  assert.deepEqual(
    log.loadFinished.map((l) => l.ok),
    [true, true, true],
  );
  assert.deepEqual(log.faults, []);
});

// The simulated WebLLM engine: shapes, progress texts, cache, errors, lock, interrupt, worker
// mode, faults and determinism (its resumable sessions: simulated-engine-resumable.test.mjs). Where
// no GPU is needed, its errors are compared with the real MLCEngine's (@mlc-ai/web-llm, a dev dependency).
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as webllm from '@mlc-ai/web-llm';
import {
  CreateSimulatedMLCEngine,
  SimulatedErrors,
  SimulatedMLCEngine,
  simulatedDeleteModelInCache,
  simulatedHasModelInCache,
} from '../../js/simulated-engine.js';
import { ask, collect, rejection } from './helpers.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
const EMBED = 'snowflake-arctic-embed-s-q0f32-MLC-b4';

beforeEach(() => {
  SimulatedMLCEngine.clearCache();
  SimulatedMLCEngine.clearResumableSessions();
});

test('progress: WebLLM texts in order, fetching only when not cached, loading restarts at 0', async () => {
  const first = [];
  await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, initProgressCallback: (r) => first.push(r) });
  const texts = first.map((r) => r.text);
  assert.equal(texts[0], 'Start to fetch params');
  assert.deepEqual([first[0].progress, first[0].timeElapsed], [0, 0]);
  const phase = (t) =>
    t.startsWith('Fetching param cache')
      ? 1
      : t.startsWith('Loading model from cache')
        ? 2
        : t.startsWith('Loading GPU shader modules')
          ? 3
          : t.startsWith('Finish loading')
            ? 4
            : 0;
  const phases = texts.map(phase);
  for (let i = 1; i < phases.length; i++) assert.ok(phases[i] >= phases[i - 1], `text ${i} out of order: ${texts[i]}`);
  assert.deepEqual([...new Set(phases)], [0, 1, 2, 3, 4]);
  const fetch = texts.filter((t) => phase(t) === 1);
  const N = fetch.length;
  assert.ok(N > 5);
  assert.match(
    fetch[0],
    new RegExp(
      `^Fetching param cache\\[1/${N}\\]: 32MB fetched\\. \\d+% completed, \\d+ secs elapsed\\. It can take a while when we first visit this page to populate the cache\\. Later refreshes will become faster\\.$`,
    ),
  );
  const loads = first.filter((r) => phase(r.text) === 2);
  assert.equal(loads.length, N);
  assert.match(loads[0].text, new RegExp(`^Loading model from cache\\[1/${N}\\]: 32MB loaded\\. \\d+% completed, \\d+ secs elapsed\\.$`));
  // Progress restarts for the loading phase.
  const lastFetch = first.filter((r) => phase(r.text) === 1).at(-1);
  assert.equal(lastFetch.progress, 1);
  assert.ok(loads[0].progress < 0.2);
  assert.equal(loads.at(-1).progress, 1);
  // Whole seconds in the texts' reports, MB = ceil(bytes / MiB) and the same total in both phases.
  for (const r of first.slice(0, -1)) assert.ok(Number.isInteger(r.timeElapsed));
  const mb = (t) => Number(/: (\d+)MB/.exec(t)[1]);
  assert.equal(mb(fetch.at(-1)), mb(loads.at(-1).text));
  assert.equal(mb(fetch.at(-1)), Math.ceil(new SimulatedMLCEngine().modelInfo(LLAMA).paramsBytes / 1048576));
  const shaders = first.filter((r) => phase(r.text) === 3);
  assert.match(shaders.at(-1).text, /^Loading GPU shader modules\[(\d+)\/\1\]: 100% completed, \d+ secs elapsed\.$/);
  const last = first.at(-1);
  assert.equal(last.progress, 1);
  assert.equal(last.text, 'Finish loading on WebGPU - Simulated WebGPU Adapter');
  assert.ok(last.timeElapsed > 1, 'a download of ~660 MB takes simulated seconds');

  // The second load, by another engine of the page, comes from the shared cache.
  const second = [];
  await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, initProgressCallback: (r) => second.push(r.text), adapter: { description: '', vendor: 'apple' } });
  assert.equal(second[0], 'Start to fetch params');
  assert.equal(second.filter((t) => t.startsWith('Fetching')).length, 0);
  assert.equal(second.filter((t) => t.startsWith('Loading model from cache')).length, N);
  assert.equal(second.at(-1), 'Finish loading on WebGPU - apple');
});

test('cache: hasModelInCache, delete, clear', async () => {
  assert.equal(await simulatedHasModelInCache(QWEN), false);
  const engine = await CreateSimulatedMLCEngine(QWEN, { timeScale: 0 });
  assert.equal(await simulatedHasModelInCache(QWEN), true);
  assert.deepEqual(SimulatedMLCEngine.cachedModels(), [QWEN]);
  await simulatedDeleteModelInCache(QWEN);
  assert.equal(await simulatedHasModelInCache(QWEN), false);
  const texts = [];
  engine.setInitProgressCallback((r) => texts.push(r.text));
  await engine.reload(QWEN);
  assert.ok(texts.some((t) => t.startsWith('Fetching param cache')));
  SimulatedMLCEngine.clearCache();
  assert.deepEqual(SimulatedMLCEngine.cachedModels(), []);
});

test('chat stream: chunk shapes, finish chunk, then the usage chunk with choices []', async () => {
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const before = Math.floor(Date.now() / 1000);
  const chunks = await collect(await engine.chat.completions.create(ask('Hello there', { stream: true, stream_options: { include_usage: true } })));
  const after = Math.floor(Date.now() / 1000);
  const usageChunk = chunks.at(-1);
  const finishChunk = chunks.at(-2);
  const deltas = chunks.slice(0, -2);
  assert.ok(deltas.length >= 2);
  for (const c of chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.id, chunks[0].id);
    assert.equal(c.model, LLAMA);
    assert.ok(c.created >= before && c.created <= after, 'created is in seconds');
  }
  assert.match(chunks[0].id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  for (const c of deltas) {
    assert.deepEqual(Object.keys(c.choices[0]), ['delta', 'finish_reason', 'index', 'logprobs']);
    assert.equal(c.choices[0].delta.role, 'assistant');
    assert.equal(typeof c.choices[0].delta.content, 'string');
    assert.equal(c.choices[0].finish_reason, null);
    assert.equal(c.choices[0].logprobs, null);
  }
  assert.deepEqual(finishChunk.choices, [{ delta: {}, finish_reason: finishChunk.choices[0].finish_reason, index: 0 }]);
  assert.ok(['stop', 'length'].includes(finishChunk.choices[0].finish_reason));
  if (finishChunk.choices[0].finish_reason === 'stop') assert.equal(deltas.at(-1).choices[0].delta.content, '', 'the stop token adds no text');
  assert.deepEqual(usageChunk.choices, []);
  const u = usageChunk.usage;
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
  assert.equal(u.completion_tokens, deltas.length, 'one sampled token per delta chunk');
  assert.deepEqual(Object.keys(u.extra), [
    'e2e_latency_s',
    'prefill_tokens_per_s',
    'decode_tokens_per_s',
    'time_to_first_token_s',
    'time_per_output_token_s',
    'latencyBreakdown',
  ]);
  const x = u.extra;
  assert.ok(Math.abs(x.decode_tokens_per_s * x.time_per_output_token_s - 1) < 1e-9);
  assert.ok(Math.abs(x.e2e_latency_s - (x.time_to_first_token_s + (u.completion_tokens - 1) * x.time_per_output_token_s)) < 1e-6);
  // Without include_usage: no usage chunk.
  const plain = await collect(await engine.chat.completions.create(ask('Hi', { stream: true })));
  assert.notEqual(plain.at(-1).choices.length, 0);
  assert.ok(plain.every((c) => c.usage === undefined));
});

test('non-streaming chat and completions, streaming completions, embeddings: WebLLM shapes', async () => {
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const r = await engine.chat.completions.create(ask('Tell me something', { max_tokens: 8 }));
  assert.deepEqual(Object.keys(r), ['id', 'choices', 'model', 'object', 'created', 'usage']);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.usage.completion_tokens <= 8, true);
  assert.equal(r.choices[0].finish_reason === 'length', r.usage.completion_tokens === 8);
  const c = await engine.completions.create({ prompt: 'Once upon a time', max_tokens: 5, echo: true });
  assert.equal(c.object, 'text_completion');
  assert.ok(c.choices[0].text.startsWith('Once upon a time'));
  assert.equal(typeof c.usage.extra.decode_tokens_per_s, 'number');
  const cs = await collect(await engine.completions.create({ prompt: 'Once', stream: true, stream_options: { include_usage: true }, max_tokens: 4 }));
  assert.ok(cs.every((k) => k.object === 'text_completion'));
  assert.deepEqual(cs.at(-2).choices, [{ text: '', finish_reason: 'length', index: 0 }]);
  assert.equal(typeof cs[0].choices[0].text, 'string');
  assert.equal(cs.at(-1).usage.completion_tokens, 4);
  // n > 1 (non-streaming): token counts summed over the choices.
  const two = await engine.chat.completions.create(ask('Two please', { n: 2, max_tokens: 3 }));
  assert.equal(two.choices.length, 2);
  assert.equal(two.usage.completion_tokens, 6);

  const emb = await CreateSimulatedMLCEngine(EMBED, { timeScale: 0 });
  const e = await emb.embeddings.create({ input: ['hello world', 'bonjour'] });
  assert.equal(e.object, 'list');
  assert.equal(e.data.length, 2);
  assert.equal(e.data[1].index, 1);
  assert.equal(e.data[0].object, 'embedding');
  assert.equal(e.data[0].embedding.length, 384);
  assert.ok(Math.abs(Math.hypot(...e.data[0].embedding) - 1) < 1e-9);
  assert.deepEqual(Object.keys(e.usage), ['prompt_tokens', 'total_tokens', 'extra']);
  assert.equal(e.usage.prompt_tokens, e.usage.total_tokens);
  assert.ok(e.usage.extra.prefill_tokens_per_s > 0);
  const again = await emb.embeddings.create({ input: 'hello world' });
  assert.deepEqual(again.data[0].embedding, e.data[0].embedding, 'same text, same vector');
});

test('errors: names as in WebLLM (compared with the real MLCEngine where no GPU is needed)', async () => {
  const real = new webllm.MLCEngine();
  const sim = new SimulatedMLCEngine({ timeScale: 0 });
  const sameName = async (call) => {
    const a = await rejection(() => call(real));
    const b = await rejection(() => call(sim));
    assert.ok(b instanceof Error);
    assert.equal(b.name, a.name);
    assert.equal(b.message, a.message);
    return b.name;
  };
  assert.equal(await sameName((e) => e.chat.completions.create(ask('x'))), 'ModelNotLoadedError');
  assert.equal(await sameName((e) => e.completions.create({ prompt: 'x' })), 'ModelNotLoadedError');
  assert.equal(await sameName((e) => e.embeddings.create({ input: 'x' })), 'ModelNotLoadedError');
  assert.equal(await sameName((e) => e.getMessage()), 'ModelNotLoadedError');
  assert.equal(await sameName((e) => e.reload(['a', 'a'])), 'ReloadModelIdNotUniqueError');
  assert.equal(await sameName((e) => e.reload(['a', 'b'], [{}])), 'ReloadArgumentSizeUnmatchedError');
  const appConfig = { model_list: [{ model_id: 'only-this', model: 'https://x/only-this', model_lib: 'https://x/lib.wasm' }] };
  real.setAppConfig(appConfig);
  sim.setAppConfig(appConfig);
  assert.equal(await sameName((e) => e.reload('not-listed')), 'ModelNotFoundError');
  // resetChat without a model is a no-op; interruptGenerate returns a promise.
  assert.equal(await sim.resetChat(), await real.resetChat());
  assert.equal(typeof sim.interruptGenerate().then, 'function');

  // Request checks: the real check function against the simulated engine with a model loaded.
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const requests = [
    ask('x', { stream_options: { include_usage: true } }),
    ask('x', { stream: true, n: 2 }),
    ask('x', { seed: 1.5 }),
    {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'y' },
      ],
    },
    {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'system', content: 'y' },
        { role: 'user', content: 'z' },
      ],
    },
  ];
  const names = [];
  for (const request of requests) {
    let expected;
    try {
      webllm.postInitAndCheckFieldsChatCompletion(structuredClone(request), LLAMA, 0);
    } catch (err) {
      expected = err;
    }
    const got = await rejection(engine.chat.completions.create(request));
    assert.equal(got.name, expected.name);
    assert.equal(got.message, expected.message);
    names.push(got.name);
  }
  assert.deepEqual(names, ['InvalidStreamOptionsError', 'StreamingCountError', 'SeedTypeError', 'MessageOrderError', 'SystemMessageOrderError']);
  let completionExpected;
  try {
    webllm.postInitAndCheckFieldsCompletion({ prompt: 'x', stream_options: { include_usage: true } }, LLAMA);
  } catch (err) {
    completionExpected = err.name;
  }
  assert.equal((await rejection(engine.completions.create({ prompt: 'x', stream_options: { include_usage: true } }))).name, completionExpected);

  // Errors that need a loaded model.
  assert.equal((await rejection(engine.embeddings.create({ input: 'x' }))).name, 'IncorrectPipelineLoadedError');
  const stream = await engine.chat.completions.create(ask('x', { stream: true, max_tokens: 0 }));
  assert.equal((await rejection(stream.next())).name, 'MinValueError', 'generation config is checked at the first next()');
  const small = await CreateSimulatedMLCEngine(QWEN, { timeScale: 0 }, { context_window_size: 64 });
  const long = await small.chat.completions.create(ask('word '.repeat(400), { stream: true }));
  const tooLong = await rejection(long.next());
  assert.equal(tooLong.name, 'ContextWindowSizeExceededError');
  assert.ok(tooLong instanceof SimulatedErrors.ContextWindowSizeExceededError);
  const both = await CreateSimulatedMLCEngine([LLAMA, QWEN], { timeScale: 0 });
  assert.equal((await rejection(both.chat.completions.create(ask('x')))).name, 'UnclearModelToUseError');
  assert.equal((await rejection(both.chat.completions.create(ask('x', { model: 'other' })))).name, 'SpecifiedModelNotFoundError');
});

test('the lock: one request at a time per model, two models interleave', async () => {
  const engine = await CreateSimulatedMLCEngine([LLAMA, QWEN], { timeScale: 0.02, seed: 5 });
  const timeline = [];
  const run = async (label, model) => {
    const s = await engine.chat.completions.create(ask('Hello ' + label, { model, stream: true, max_tokens: 6 }));
    for await (const c of s) if (c.choices[0]?.delta?.content) timeline.push(label);
  };
  await Promise.all([run('a', LLAMA), run('b', LLAMA)]);
  assert.equal(timeline.join(''), 'aaaaaabbbbbb', 'the second request on a model waits for the first');
  timeline.length = 0;
  await Promise.all([run('a', LLAMA), run('q', QWEN)]);
  const s = timeline.join('');
  assert.equal(s.replace(/q/g, ''), 'aaaaaa');
  assert.ok(/a.*q.*a/.test(s) || /q.*a.*q/.test(s), `two models interleave: ${s}`);
  // Non-streaming requests queue too.
  const t0 = performance.now();
  const [x, y] = await Promise.all([
    engine.chat.completions.create(ask('one', { model: QWEN, max_tokens: 5 })),
    engine.chat.completions.create(ask('two', { model: QWEN, max_tokens: 5 })),
  ]);
  const wall = (performance.now() - t0) / 1000;
  assert.ok(y.usage.extra.e2e_latency_s > x.usage.extra.e2e_latency_s, 'the second waited for the lock');
  assert.ok(wall >= x.usage.extra.e2e_latency_s);
});

test('interruptGenerate: the running generation finishes with "abort", streaming or not', async () => {
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0.01, medianTokens: 400 });
  const s = await engine.chat.completions.create(ask('Long answer please', { stream: true, stream_options: { include_usage: true } }));
  const chunks = [];
  for await (const c of s) {
    chunks.push(c);
    if (chunks.length === 3) await engine.interruptGenerate();
  }
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'abort');
  assert.equal(chunks.at(-1).usage.completion_tokens, 3);
  const p = engine.chat.completions.create(ask('Long answer please'));
  setTimeout(() => engine.interruptGenerate(), 20);
  const r = await p;
  assert.equal(r.choices[0].finish_reason, 'abort');
  assert.ok(r.usage.completion_tokens < 400);
  // The next request is not affected by the old interrupt.
  const next = await engine.chat.completions.create(ask('Short', { max_tokens: 3 }));
  assert.equal(next.choices[0].finish_reason, 'length');
});

test('worker mode: "Name: message" strings from the worker, Error objects from client-side checks', async () => {
  const engine = new SimulatedMLCEngine({ worker: true, timeScale: 0 });
  const notLoaded = await rejection(engine.chat.completions.create(ask('x')));
  assert.ok(notLoaded instanceof Error);
  assert.equal(notLoaded.name, 'WorkerEngineModelNotLoadedError');
  await engine.reload(LLAMA);
  const bad = await rejection(engine.chat.completions.create(ask('x', { stream_options: { include_usage: true } })));
  assert.equal(bad, 'InvalidStreamOptionsError: Only specify stream_options when stream=True.');
  assert.equal(engine.interruptGenerate(), undefined);
  engine.setFaults({ throwMidStreamAt: 2 });
  const s = await engine.chat.completions.create(ask('x', { stream: true }));
  const mid = await rejection(collect(s));
  assert.equal(typeof mid, 'string');
  assert.match(mid, /^Error: Simulated failure while decoding/);
  const load = await rejection(new SimulatedMLCEngine({ worker: true, timeScale: 0, faults: { loadError: 'WebGPUNotAvailableError' } }).reload(LLAMA));
  assert.match(load, /^WebGPUNotAvailableError: WebGPU is not supported/);
  await engine.unload();
  assert.equal((await rejection(engine.getMessage())).startsWith('ModelNotLoadedError: '), true);
});

test('faults: error rate, abort rate, a lost device, a mid-stream throw, load errors', async () => {
  const failing = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, faults: { errorRate: 1, errorName: 'ContextWindowSizeExceededError' } });
  const e1 = await rejection(failing.chat.completions.create(ask('x')));
  assert.equal(e1.name, 'ContextWindowSizeExceededError');
  const aborting = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, faults: { abortRate: 1 } });
  const r = await aborting.chat.completions.create(ask('x'));
  assert.equal(r.choices[0].finish_reason, 'abort');

  const lost = [];
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, faults: { deviceLostAt: 2, onDeviceLost: (info) => lost.push(info) } });
  await engine.chat.completions.create(ask('first'));
  const s = await engine.chat.completions.create(ask('second', { stream: true }));
  const err = await rejection(collect(s));
  assert.ok(err instanceof Error);
  assert.match(err.message, /Device was lost/);
  assert.equal(lost.length, 1);
  assert.equal((await rejection(engine.chat.completions.create(ask('third')))).name, 'ModelNotLoadedError');

  const throwing = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, faults: { throwMidStreamAt: 1, throwName: 'Error' } });
  const chunks = [];
  const midErr = await rejection(async () => {
    for await (const c of await throwing.chat.completions.create(ask('x', { stream: true }))) chunks.push(c);
  });
  assert.ok(chunks.length >= 1, 'some chunks arrive before the failure');
  assert.equal(midErr.name, 'Error');

  const texts = [];
  const deviceLost = new SimulatedMLCEngine({
    timeScale: 0,
    faults: { loadError: { name: 'DeviceLostError' } },
    initProgressCallback: (x) => texts.push(x.text),
  });
  const dl = await rejection(deviceLost.reload(QWEN));
  assert.equal(dl.name, 'DeviceLostError');
  assert.ok(texts.at(-1).startsWith('Finish loading'), 'as in WebLLM, thrown after the final report');
  assert.equal((await rejection(deviceLost.chat.completions.create(ask('x')))).name, 'ModelNotLoadedError');
  const noGpuTexts = [];
  const noGpu = new SimulatedMLCEngine({ timeScale: 0, faults: { loadError: 'WebGPUNotAvailableError' }, initProgressCallback: (x) => noGpuTexts.push(x) });
  assert.equal((await rejection(noGpu.reload(QWEN))).name, 'WebGPUNotAvailableError');
  assert.deepEqual(noGpuTexts, []);
  noGpu.setFaults({});
  await noGpu.reload(QWEN);
  assert.ok((await noGpu.chat.completions.create(ask('x'))).usage.completion_tokens > 0);
});

test('unload() during reload(): reload resolves without loading, no final report', async () => {
  const texts = [];
  const engine = new SimulatedMLCEngine({ timeScale: 0.002, initProgressCallback: (r) => texts.push(r.text) });
  const p = engine.reload(LLAMA);
  await new Promise((resolve) => setTimeout(resolve, 8));
  await engine.unload();
  assert.equal(await p, undefined);
  assert.ok(texts.length >= 1 && texts[0] === 'Start to fetch params');
  assert.ok(!texts.some((t) => t.startsWith('Finish loading')));
  assert.equal((await rejection(engine.chat.completions.create(ask('x')))).name, 'ModelNotLoadedError');
  assert.equal(await simulatedHasModelInCache(LLAMA), false, 'a partial download is not a cached model');
});

test('determinism: the same seed gives the same session; usage agrees with the real time that passed', async () => {
  const run = async (seed) => {
    const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, seed });
    const out = [];
    for (const q of ['a', 'b', 'c']) {
      const chunks = await collect(await engine.chat.completions.create(ask(q, { stream: true, stream_options: { include_usage: true } })));
      out.push({ text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), usage: chunks.at(-1).usage, id: chunks[0].id });
    }
    return out;
  };
  SimulatedMLCEngine.clearCache();
  const a = await run(7);
  SimulatedMLCEngine.clearCache();
  const b = await run(7);
  SimulatedMLCEngine.clearCache();
  const c = await run(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.map((x) => x.text),
    c.map((x) => x.text),
  );

  const engine = await CreateSimulatedMLCEngine(QWEN, { timeScale: 0.05, seed: 3 });
  const t0 = performance.now();
  const chunks = await collect(await engine.chat.completions.create(ask('x', { stream: true, stream_options: { include_usage: true }, max_tokens: 20 })));
  const wall = (performance.now() - t0) / 1000;
  const x = chunks.at(-1).usage.extra;
  assert.ok(x.e2e_latency_s <= wall + 0.002, `${x.e2e_latency_s} <= ${wall}`);
  assert.ok(x.e2e_latency_s > 0.5 * wall);
  // ~70 tokens/s at timeScale 0.05: ~1400 tokens/s measured.
  assert.ok(x.decode_tokens_per_s > 700 && x.decode_tokens_per_s < 2800, String(x.decode_tokens_per_s));
});

test('usage details: NaN decode rate without decode steps, KV cache reuse across turns', async () => {
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const one = await collect(await engine.chat.completions.create(ask('x', { stream: true, stream_options: { include_usage: true }, max_tokens: 1 })));
  assert.equal(one.at(-1).usage.completion_tokens, 1);
  assert.ok(Number.isNaN(one.at(-1).usage.extra.decode_tokens_per_s), 'WebLLM: 0 / 0 when streaming');
  assert.equal(one.at(-1).usage.extra.time_per_output_token_s, 0);
  const nonStream = await engine.chat.completions.create(ask('x', { max_tokens: 1 }));
  assert.equal(nonStream.usage.extra.decode_tokens_per_s, 0, 'WebLLM: 0 when not streaming');

  const first = await engine.chat.completions.create(ask('What is WebGPU, in a few words?', { max_tokens: 10000 }));
  const messages = [{ role: 'user', content: 'What is WebGPU, in a few words?' }, first.choices[0].message, { role: 'user', content: 'And WebLLM?' }];
  const second = await engine.chat.completions.create({ messages });
  assert.ok(second.usage.prompt_tokens < 12, `only the new message is prefilled: ${second.usage.prompt_tokens}`);
  await engine.resetChat();
  const third = await engine.chat.completions.create({ messages });
  assert.ok(third.usage.prompt_tokens > second.usage.prompt_tokens);
  assert.equal(await engine.getMessage(), third.choices[0].message.content);
  assert.match(await engine.runtimeStatsText(), /^prefill: \d+\.\d{4} tokens\/sec, decoding: \d+\.\d{4} tokens\/sec$/);
  assert.equal(await engine.getGPUVendor(), 'simulated');
  assert.equal(await engine.getMaxStorageBufferBindingSize(), 2147483644);
});

// The wrapper around generation calls: what the app sees is exactly what the engine gives, and
// what is recorded agrees with the engine's own figures.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSimulatedMLCEngine, SimulatedMLCEngine } from '../../js/simulated-engine.js';
import { wrapEngine, unwrapEngine } from '../../js/wrapper.js';
import { makeHooks, rejection, collect, ask } from './helpers.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
const EMBED = 'snowflake-arctic-embed-s-q0f32-MLC-b4';
beforeEach(() => SimulatedMLCEngine.clearCache());

/**
 * Spies on what the engine receives and gives: every request, every chunk object it yields,
 * whether its iterator was returned, the response objects and errors.
 */
function spy(engine) {
  const s = { requests: [], yielded: [], returned: 0, responses: [], errors: [] };
  const completions = engine.chat.completions;
  const original = completions.create;
  completions.create = async (request) => {
    s.requests.push(request);
    let result;
    try {
      result = await original.call(completions, request);
    } catch (err) {
      s.errors.push(err);
      throw err;
    }
    if (result && typeof result[Symbol.asyncIterator] === 'function') {
      const inner = result;
      const outer = {
        next: async () => {
          try {
            const r = await inner.next();
            if (!r.done) s.yielded.push(r.value);
            return r;
          } catch (err) {
            s.errors.push(err);
            throw err;
          }
        },
        return: async (value) => {
          s.returned += 1;
          return inner.return(value);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return outer;
    }
    s.responses.push(result);
    return result;
  };
  return s;
}

test('stream: the same chunk objects in the same order; usage added for the monitor, then hidden', async () => {
  const sim = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, seed: 11 });
  const seen = spy(sim);
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  const request = ask('Tell me about caches', { stream: true, monitorType: 'summary', temperature: 0.7, max_tokens: 40 });
  const snapshot = structuredClone(request);
  const chunks = await collect(await engine.chat.completions.create(request));

  // The caller's request is untouched; the engine got a copy without monitorType, with include_usage.
  assert.deepEqual(request, snapshot);
  assert.equal(seen.requests.length, 1);
  const sent = seen.requests[0];
  assert.notEqual(sent, request);
  assert.equal('monitorType' in sent, false);
  assert.deepEqual(sent.stream_options, { include_usage: true });
  assert.equal(sent.messages, request.messages, 'a shallow copy');
  // typeFor saw the caller's own request (with its tag).
  assert.equal(log.typeRequests[0], request);

  // Same objects, same order, minus the usage chunk the app did not ask for.
  assert.equal(seen.yielded.at(-1).choices.length, 0);
  assert.ok(seen.yielded.at(-1).usage);
  assert.equal(chunks.length, seen.yielded.length - 1);
  chunks.forEach((c, i) => assert.equal(c, seen.yielded[i]));
  assert.ok(chunks.every((c) => c.usage === undefined));

  assert.equal(log.generations.length, 1);
  const g = log.generations[0];
  const usage = seen.yielded.at(-1).usage;
  const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
  const contentChunks = chunks.filter((c) => c.choices[0].delta.content).length;
  assert.equal(g.model, LLAMA);
  assert.equal(g.type, 'summary');
  assert.equal(g.operation, 'chat');
  assert.equal(g.promptTokens, usage.prompt_tokens);
  assert.equal(g.completionTokens, usage.completion_tokens);
  assert.equal(g.engineTtftMs, usage.extra.time_to_first_token_s * 1000);
  assert.equal(g.enginePrefillTokensPerSec, usage.extra.prefill_tokens_per_s);
  assert.equal(g.engineDecodeTokensPerSec, usage.extra.decode_tokens_per_s);
  assert.equal(g.engineTimePerOutputTokenMs, usage.extra.time_per_output_token_s * 1000);
  assert.equal(g.finishReason, chunks.at(-1).choices[0].finish_reason);
  assert.equal(g.promptChars, 'Tell me about caches'.length);
  assert.equal(g.responseChars, text.length);
  assert.equal(g.temperature, 0.7);
  assert.equal(g.maxTokens, 40);
  assert.equal(g.chunkGapsMs.length, contentChunks - 1, 'gaps between the chunks that carry text');
  assert.ok(g.ttftMs >= 0 && g.ttftMs <= g.durationMs);
  assert.ok(Math.abs(g.startedAt - Date.now()) < 5000);
  assert.deepEqual(log.started, [{ model: LLAMA, type: 'summary', operation: 'chat' }]);
  assert.deepEqual(log.finished, [{ model: LLAMA, type: 'summary', operation: 'chat', ok: true }]);
  assert.deepEqual(log.faults, []);
});

test('stream: a caller who asked for usage gets the usage chunk (the same object), and a request without changes is passed as is', async () => {
  const sim = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const seen = spy(sim);
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  const request = ask('Hi', { stream: true, stream_options: { include_usage: true } });
  const chunks = await collect(await engine.chat.completions.create(request));
  assert.equal(seen.requests[0], request, 'nothing to change: the very object is sent');
  assert.equal(chunks.length, seen.yielded.length);
  assert.equal(chunks.at(-1), seen.yielded.at(-1));
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.equal(log.generations[0].completionTokens, chunks.at(-1).usage.completion_tokens);
  // Non-streaming: the same response object, usage always recorded.
  const plain = ask('Hello', { max_tokens: 12 });
  const response = await engine.chat.completions.create(plain);
  assert.equal(seen.requests[1], plain);
  assert.equal(response, seen.responses[0]);
  const g = log.generations[1];
  assert.equal(g.completionTokens, response.usage.completion_tokens);
  assert.equal(g.engineTtftMs, response.usage.extra.time_to_first_token_s * 1000);
  assert.equal(g.responseChars, response.choices[0].message.content.length);
  assert.equal(g.ttftMs, undefined, 'no client-side TTFT without a stream');
  assert.equal(g.chunkGapsMs, undefined);
  assert.equal(g.finishReason, response.choices[0].finish_reason);
});

test('errors: the very error object is rethrown, and recorded by name', async () => {
  const sim = new SimulatedMLCEngine({ timeScale: 0 });
  const seen = spy(sim);
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  const e1 = await rejection(engine.chat.completions.create(ask('x')));
  assert.equal(e1, seen.errors[0]);
  assert.equal(e1.name, 'ModelNotLoadedError');
  await engine.reload(LLAMA);
  const e2 = await rejection(engine.chat.completions.create(ask('x', { stream_options: { include_usage: true } })));
  assert.equal(e2, seen.errors[1]);
  assert.equal(e2.name, 'InvalidStreamOptionsError');
  sim.setFaults({ throwMidStreamAt: sim._generations + 1 });
  const got = [];
  const e3 = await rejection(
    (async () => {
      for await (const c of await engine.chat.completions.create(ask('x', { stream: true }))) got.push(c);
    })(),
  );
  assert.equal(e3, seen.errors[2]);
  got.forEach((c, i) => assert.equal(c, seen.yielded[i]));
  assert.deepEqual(
    log.generations.map((g) => [g.errorName, g.model]),
    [
      ['ModelNotLoadedError', 'unknown'],
      ['InvalidStreamOptionsError', LLAMA],
      ['Error', LLAMA],
    ],
  );
  const mid = log.generations[2];
  assert.equal(mid.errorMessage, undefined, 'the name only: a message may quote the prompt (the errorMessages option keeps it)');
  assert.equal(mid.finishReason, undefined);
  assert.ok(mid.ttftMs >= 0, 'chunks arrived before the failure');
  assert.equal(log.finished.at(-1).ok, false);
});

test('early break: the engine iterator is returned, the generation recorded as an abort, the lock freed', async () => {
  const sim = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0.01, medianTokens: 300 });
  const seen = spy(sim);
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  let n = 0;
  for await (const c of await engine.chat.completions.create(ask('Long please', { stream: true }))) {
    assert.ok(c);
    if (++n === 4) break;
  }
  assert.equal(seen.returned, 1);
  assert.equal(log.generations.length, 1);
  assert.equal(log.generations[0].finishReason, 'abort');
  assert.equal(log.generations[0].chunkGapsMs.length, 3);
  // The lock was released: another request on the model completes.
  const r = await engine.chat.completions.create(ask('Short', { max_tokens: 2 }));
  assert.equal(r.usage.completion_tokens, 2);
  assert.equal(log.generations.length, 2);

  // Stopping at the finish chunk is not an abort: the usage the wrapper asked for is still read.
  const chunks = [];
  for await (const c of await engine.chat.completions.create(ask('Short', { stream: true, max_tokens: 3 }))) {
    chunks.push(c);
    if (c.choices[0].finish_reason) break;
  }
  const g = log.generations[2];
  assert.equal(g.finishReason, 'length');
  assert.equal(g.completionTokens, 3);
  assert.equal(seen.returned, 2);
  assert.ok(chunks.every((c) => c.choices.length === 1));
});

test('interruptGenerate(): the generation is recorded with finish reason "abort"', async () => {
  const sim = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0.01, medianTokens: 400 });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  let n = 0;
  for await (const c of await engine.chat.completions.create(ask('Go on', { stream: true }))) {
    assert.ok(c);
    if (++n === 5) await engine.interruptGenerate();
  }
  assert.equal(log.generations[0].finishReason, 'abort');
  assert.equal(log.generations[0].completionTokens, 5);
  const p = engine.chat.completions.create(ask('Go on'));
  setTimeout(() => engine.interruptGenerate(), 15);
  assert.equal((await p).choices[0].finish_reason, 'abort');
  assert.equal(log.generations[1].finishReason, 'abort');
});

test('timings: client TTFT, duration and chunk gaps agree with the engine simulated timings', async () => {
  const sim = await CreateSimulatedMLCEngine(QWEN, { timeScale: 0.1, seed: 4 });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  for (let i = 0; i < 3; i++) await collect(await engine.chat.completions.create(ask('Question ' + i, { stream: true, max_tokens: 25 })));
  for (const g of log.generations) {
    const gaps = g.chunkGapsMs;
    const sum = gaps.reduce((a, b) => a + b, 0);
    // The client's TTFT contains the engine's prefill; not much else happens before it.
    assert.ok(g.ttftMs >= g.engineTtftMs - 0.5, `${g.ttftMs} >= ${g.engineTtftMs}`);
    assert.ok(g.ttftMs < g.engineTtftMs + 10, `${g.ttftMs} ~ ${g.engineTtftMs}`);
    // Duration = TTFT + gaps + the finish chunk.
    assert.ok(Math.abs(g.durationMs - (g.ttftMs + sum)) < 3, `${g.durationMs} ~ ${g.ttftMs + sum}`);
    assert.equal(gaps.length, g.completionTokens - 1);
    // Client-side decode rate within 15% of the engine's (70 tokens/s * 10).
    const clientRate = (g.completionTokens - 1) / (sum / 1000);
    assert.ok(Math.abs(clientRate / g.engineDecodeTokensPerSec - 1) < 0.15, `${clientRate} vs ${g.engineDecodeTokensPerSec}`);
    assert.ok(g.engineDecodeTokensPerSec > 350 && g.engineDecodeTokensPerSec < 1400);
    assert.ok(Math.abs(g.engineTimePerOutputTokenMs * g.engineDecodeTokensPerSec - 1000) < 1e-6);
  }
});

test('NaN and Infinity from the engine never reach recordGeneration', async () => {
  const sim = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  const chunks = await collect(await engine.chat.completions.create(ask('x', { stream: true, stream_options: { include_usage: true }, max_tokens: 1 })));
  assert.ok(Number.isNaN(chunks.at(-1).usage.extra.decode_tokens_per_s));
  const g = log.generations[0];
  assert.equal('engineDecodeTokensPerSec' in g, false);
  assert.equal('engineTimePerOutputTokenMs' in g, false, "WebLLM's 0 placeholder is dropped too");
  assert.equal(g.completionTokens, 1);
  assert.ok(g.engineTtftMs > 0);
  // An engine that reports Infinity and NaN everywhere.
  const odd = {
    chat: {
      completions: {
        create: async () => ({
          model: 'odd',
          choices: [{ message: { content: 'ok', role: 'assistant' }, finish_reason: 'stop', index: 0 }],
          usage: {
            prompt_tokens: NaN,
            completion_tokens: Infinity,
            total_tokens: 1,
            extra: {
              e2e_latency_s: 1,
              prefill_tokens_per_s: Infinity,
              decode_tokens_per_s: NaN,
              time_to_first_token_s: -Infinity,
              time_per_output_token_s: NaN,
            },
          },
        }),
      },
    },
  };
  await wrapEngine(odd, hooks).chat.completions.create(ask('x'));
  const o = log.generations[1];
  for (const [key, value] of Object.entries(o)) if (typeof value === 'number') assert.ok(Number.isFinite(value), `${key}: ${value}`);
  for (const key of ['promptTokens', 'completionTokens', 'enginePrefillTokensPerSec', 'engineDecodeTokensPerSec', 'engineTtftMs', 'engineTimePerOutputTokenMs'])
    assert.equal(key in o, false, key);
  assert.equal(o.model, 'odd');
});

test('completions and embeddings are measured with their operation names', async () => {
  const sim = await CreateSimulatedMLCEngine([LLAMA, EMBED], { timeScale: 0 });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  const prompt = 'The three laws of caching are';
  const streamed = await collect(await engine.completions.create({ prompt, model: LLAMA, stream: true, max_tokens: 6, monitorType: 'complete' }));
  assert.ok(streamed.every((c) => c.object === 'text_completion' && c.choices.length === 1));
  const done = await engine.completions.create({ prompt, model: LLAMA, max_tokens: 4 });
  const emb = await engine.embeddings.create({ input: ['alpha beta', 'gamma'], model: EMBED, monitorType: 'rag' });
  const viaMethod = await engine.embedding({ input: 'delta', model: EMBED });
  assert.equal(viaMethod.object, 'list');
  const [c1, c2, e1, e2] = log.generations;
  assert.equal(c1.operation, 'completion');
  assert.equal(c1.type, 'complete');
  assert.equal(c1.promptChars, prompt.length);
  assert.equal(c1.completionTokens, 6);
  assert.equal(c1.responseChars, streamed.map((c) => c.choices[0].text).join('').length);
  assert.ok(c1.ttftMs >= 0);
  assert.equal(c2.operation, 'completion');
  assert.equal(c2.responseChars, done.choices[0].text.length);
  assert.equal(e1.operation, 'embedding');
  assert.equal(e1.type, 'rag');
  assert.equal(e1.model, EMBED);
  assert.equal(e1.promptTokens, emb.usage.prompt_tokens);
  assert.equal(e1.enginePrefillTokensPerSec, emb.usage.extra.prefill_tokens_per_s);
  assert.equal(e1.promptChars, 'alpha beta'.length + 'gamma'.length);
  assert.equal(e1.completionTokens, undefined);
  assert.equal(e1.responseChars, undefined);
  assert.ok(e1.durationMs >= 0);
  assert.equal(e2.operation, 'embedding');
});

test('concurrent requests on two models: each recorded once, with its model', async () => {
  const sim = await CreateSimulatedMLCEngine([LLAMA, QWEN], { timeScale: 0.05 });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  const run = async (model, i) => collect(await engine.chat.completions.create(ask(`q${i}`, { model, stream: true, max_tokens: 5 })));
  await Promise.all([run(LLAMA, 1), run(QWEN, 2), run(LLAMA, 3), run(QWEN, 4), engine.chat.completions.create(ask('np', { model: QWEN, max_tokens: 3 }))]);
  assert.equal(log.generations.length, 5);
  assert.deepEqual(log.generations.map((g) => g.model).sort(), [LLAMA, LLAMA, QWEN, QWEN, QWEN].sort());
  assert.equal(log.finished.length, 5);
  // Queued behind the lock, the second request on a model has a longer TTFT than its engine TTFT.
  const llama = log.generations.filter((g) => g.model === LLAMA && g.ttftMs !== undefined);
  assert.equal(llama.length, 2);
  const [first, waited] = llama[0].ttftMs < llama[1].ttftMs ? llama : [llama[1], llama[0]];
  assert.ok(waited.ttftMs > waited.engineTtftMs + 0.5 * first.durationMs, `${waited.ttftMs} vs ${waited.engineTtftMs} + ${first.durationMs}`);
});

test('hooks that throw never change what the app sees', async () => {
  const boom = () => {
    throw new Error('monitor bug');
  };
  const faults = [];
  const hooks = {
    now: boom,
    clock: boom,
    typeFor: boom,
    recordGeneration: boom,
    recordModelLoad: boom,
    loadStarted: boom,
    loadProgress: boom,
    loadFinished: boom,
    unloaded: boom,
    generationStarted: boom,
    generationFinished: boom,
    hasModelInCache: boom,
    fault: (where, error) => {
      faults.push(where);
      throw error; // even the fault hook throws
    },
  };
  const texts = [];
  const sim = new SimulatedMLCEngine({ timeScale: 0, seed: 2, initProgressCallback: (r) => texts.push(r.text) });
  const seen = spy(sim);
  const engine = wrapEngine(sim, hooks);
  await engine.reload(LLAMA);
  assert.ok(texts.at(-1).startsWith('Finish loading'), 'the app still gets its progress reports');
  const chunks = await collect(await engine.chat.completions.create(ask('x', { stream: true, monitorType: 'm' })));
  chunks.forEach((c, i) => assert.equal(c, seen.yielded[i]));
  assert.equal(chunks.length, seen.yielded.length - 1);
  const response = await engine.chat.completions.create(ask('y'));
  assert.equal(response, seen.responses[0]);
  const err = await rejection(engine.chat.completions.create(ask('z', { stream_options: {} })));
  assert.equal(err, seen.errors[0]);
  await engine.unload();
  assert.ok(faults.includes('hooks.recordGeneration'));
  assert.ok(faults.includes('hooks.now'));
  assert.ok(faults.includes('hooks.typeFor'));
  assert.ok(faults.includes('hooks.recordModelLoad'));

  // Chunks of an odd shape make the measuring code throw: the chunk still gets through.
  const odd = {
    chat: {
      completions: {
        create: async () =>
          (async function* () {
            yield null;
            yield { choices: [null] };
            yield { choices: [{ delta: { content: 'ok' }, finish_reason: 'stop', index: 0 }] };
          })(),
      },
    },
  };
  const { hooks: h2, log } = makeHooks();
  const got = await collect(await wrapEngine(odd, h2).chat.completions.create(ask('x', { stream: true })));
  assert.equal(got.length, 3);
  assert.equal(got[0], null);
  assert.ok(log.faults.length >= 2);
  assert.equal(log.generations.length, 1);
});

test('an engine of the same shape with methods missing, forwarding, identity', async () => {
  class MiniEngine {
    constructor() {
      this.calls = [];
      this.chat = { completions: { create: (req) => this.answer(req) } };
      this.label = 'mini';
    }
    async answer(req) {
      this.calls.push(req);
      return {
        model: 'mini-model',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, extra: {} },
      };
    }
    whoAmI() {
      return this;
    }
  }
  const real = new MiniEngine();
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(real, hooks);
  assert.ok(engine instanceof MiniEngine);
  assert.equal(engine.constructor, MiniEngine);
  assert.equal(engine.whoAmI(), real, 'forwarded methods run with this = the engine');
  assert.equal(engine.label, 'mini');
  assert.equal(engine.embeddings, undefined);
  assert.equal(engine.reload, undefined);
  assert.equal(engine.completions, undefined);
  engine.label = 'changed';
  assert.equal(real.label, 'changed', 'writes go to the engine');
  const r = await engine.chat.completions.create(ask('hi', { monitorType: 't' }));
  assert.equal(r.choices[0].message.content, 'hello');
  assert.equal('monitorType' in real.calls[0], false);
  assert.deepEqual([log.generations[0].model, log.generations[0].type, log.generations[0].completionTokens], ['mini-model', 't', 1]);
  // Wrapping again, or wrapping the wrapper, gives the same wrapper; stable members.
  assert.equal(wrapEngine(real, hooks), engine);
  assert.equal(wrapEngine(engine, hooks), engine);
  assert.equal(unwrapEngine(engine), real);
  assert.equal(engine.chat, engine.chat);
  assert.equal(engine.chat.completions.create, engine.chat.completions.create);
  assert.equal(engine.whoAmI, engine.whoAmI);
  // A detached create() still works.
  const create = engine.chat.completions.create;
  await create(ask('again'));
  assert.equal(log.generations.length, 2);
  // Another monitor's hooks give another wrapper, and both record.
  const other = makeHooks();
  const engine2 = wrapEngine(engine, other.hooks);
  assert.notEqual(engine2, engine);
  await engine2.chat.completions.create(ask('both'));
  assert.equal(log.generations.length, 3);
  assert.equal(other.log.generations.length, 1);
  assert.throws(() => wrapEngine(null, hooks), TypeError);
  assert.throws(() => wrapEngine(real, null), TypeError);
});

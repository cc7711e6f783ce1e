// Engine faults through the wrapper, on the simulated engine: an engine that throws mid-stream, a
// caller that stops iterating, interruptGenerate(), a lost GPU device, worker string errors and
// other thrown values, concurrent requests on two models, reload() and unload() while a generation
// is in flight. The same on WebLLM's own engine classes: wrapper-faults-webllm.test.mjs. Every
// time: each generation recorded exactly once with the right outcome, loads recorded right, and
// the app sees what the engine does (the same chunks, the very error value, the same return
// values). Cases already covered by wrapper-stream and wrapper-monitor are not repeated here.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { createMonitor } from '../../js/index.js';
import { CreateSimulatedMLCEngine, SimulatedMLCEngine } from '../../js/simulated-engine.js';
import { MAX_MESSAGE_CHARS, wrapEngine } from '../../js/wrapper.js';
import { makeHooks, rejection, collect, ask } from './helpers.mjs';
import { coreHooks, drainUntilError } from './wrapper-faults-helpers.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';

beforeEach(() => SimulatedMLCEngine.clearCache());

/**
 * Taps a simulated engine's chatCompletion / completion: the chunk objects its streams yield, the
 * values they reject with, and what their return() resolves to.
 */
function tap(engine) {
  const t = { yielded: [], errors: [], returns: [] };
  for (const method of ['chatCompletion', 'completion']) {
    const original = engine[method];
    engine[method] = function (request) {
      return original.call(this, request).then(
        (result) => {
          if (!result || typeof result[Symbol.asyncIterator] !== 'function') return result;
          const it = result;
          return {
            next: (...args) =>
              it.next(...args).then(
                (r) => {
                  if (!r.done) t.yielded.push(r.value);
                  return r;
                },
                (err) => {
                  t.errors.push(err);
                  throw err;
                },
              ),
            return: (value) =>
              it.return(value).then((r) => {
                t.returns.push(r);
                return r;
              }),
            throw: (err) => it.throw(err),
            [Symbol.asyncIterator]() {
              return this;
            },
          };
        },
        (err) => {
          t.errors.push(err);
          throw err;
        },
      );
    };
  }
  return t;
}

/** A simulated engine of `models` with `options` (`sim`), tapped (`seen`) and wrapped with `hooks` (`engine`). */
async function tappedEngine(hooks, models, options) {
  const sim = await CreateSimulatedMLCEngine(models, options);
  return { sim, seen: tap(sim), engine: wrapEngine(sim, hooks) };
}

const textOf = (chunks) => chunks.map((c) => (c.choices[0] && (c.choices[0].delta ? c.choices[0].delta.content : c.choices[0].text)) || '').join('');

test('mid-stream throw of a named error: rethrown as is, recorded once as failed with its name, the lock freed', async () => {
  const failure = { name: 'InternalError', message: 'decode kernel failed' };
  const { hooks, log } = makeHooks();
  const { seen, engine } = await tappedEngine(hooks, LLAMA, {
    timeScale: 0,
    seed: 5,
    faults: { throwMidStreamAt: 1, throwName: failure.name, throwMessage: failure.message },
  });

  const { chunks, error } = await drainUntilError(await engine.chat.completions.create(ask('Tell me', { stream: true })));
  assert.equal(error, seen.errors[0], 'the very error object');
  assert.deepEqual([error.name, error.message], [failure.name, failure.message]);
  assert.ok(chunks.length >= 1, 'chunks arrived before the failure');
  chunks.forEach((c, i) => assert.equal(c, seen.yielded[i]));
  assert.equal(log.generations.length, 1);
  const g = log.generations[0];
  assert.equal(g.errorName, 'InternalError');
  assert.equal(g.errorMessage, undefined, 'by default the name only');
  assert.equal(g.finishReason, undefined);
  assert.equal(g.model, LLAMA);
  assert.ok(g.ttftMs >= 0);
  assert.equal(g.responseChars, textOf(chunks).length);
  assert.equal(g.chunkGapsMs.length, chunks.filter((c) => c.choices[0].delta.content).length - 1);
  assert.deepEqual(log.finished, [{ model: LLAMA, type: 'default', operation: 'chat', ok: false }]);

  // The engine released the model's lock: the next request runs.
  const after = await engine.chat.completions.create(ask('Again', { max_tokens: 3 }));
  assert.equal(after.usage.completion_tokens, 3);
  assert.equal(log.generations.length, 2);
  assert.equal(log.generations[1].finishReason, 'length');
  assert.deepEqual(log.faults, []);
});

test('mid-stream throw in a completion stream and in a non-streaming call; messages kept only when asked, and cut', async () => {
  const long = 'x'.repeat(3 * MAX_MESSAGE_CHARS);
  const { hooks, log } = makeHooks({ errorMessages: true });
  const { sim, seen, engine } = await tappedEngine(hooks, LLAMA, {
    timeScale: 0,
    faults: { throwMidStreamAt: 1, throwName: 'InternalError', throwMessage: long },
  });
  const { chunks, error } = await drainUntilError(await engine.completions.create({ prompt: 'Once upon', stream: true }));
  assert.equal(error, seen.errors[0]);
  assert.ok(chunks.every((c) => c.object === 'text_completion'));
  const g = log.generations[0];
  assert.deepEqual([g.operation, g.errorName], ['completion', 'InternalError']);
  assert.equal(g.errorMessage, 'x'.repeat(MAX_MESSAGE_CHARS) + '…', 'kept on request, cut');

  // Not streamed: the decode step throws inside create(); the same error rejects it.
  sim.setFaults({ throwMidStreamAt: 2, throwName: 'InternalError', throwMessage: 'short' });
  const err = await rejection(engine.chat.completions.create(ask('x')));
  assert.equal(err, seen.errors[1]);
  assert.equal(log.generations.length, 2);
  const n = log.generations[1];
  assert.deepEqual([n.errorName, n.errorMessage, n.ttftMs, n.chunkGapsMs], ['InternalError', 'short', undefined, undefined]);
  assert.equal(log.finished.filter((f) => !f.ok).length, 2);
});

test("the caller stops: return() and throw() give the engine's own results; one abort each, never recorded twice", async () => {
  const { hooks, log } = makeHooks();
  const { seen, engine } = await tappedEngine(hooks, LLAMA, { timeScale: 0, medianTokens: 200 });

  // return(value) after two chunks: what the engine's iterator resolves to, then done for good.
  const s1 = await engine.chat.completions.create(ask('one', { stream: true }));
  const first = await s1.next();
  assert.equal(first.value, seen.yielded[0]);
  await s1.next();
  const returned = await s1.return('bye');
  assert.equal(returned, seen.returns[0], "the engine's return() result itself");
  assert.deepEqual(returned, { value: 'bye', done: true });
  assert.deepEqual(await s1.next(), { value: undefined, done: true });
  assert.equal(log.generations.length, 1);
  assert.equal(log.generations[0].finishReason, 'abort');
  assert.equal(log.generations[0].chunkGapsMs.length, 1);

  // return() before any next(): the engine never started (no lock taken); an abort without TTFT.
  const s2 = await engine.chat.completions.create(ask('two', { stream: true }));
  assert.deepEqual(await s2.return(undefined), { value: undefined, done: true });
  assert.equal(log.generations.length, 2);
  assert.deepEqual([log.generations[1].finishReason, log.generations[1].ttftMs], ['abort', undefined]);

  // throw(err): the engine's iterator rethrows it (its finally frees the lock); one abort.
  const s3 = await engine.chat.completions.create(ask('three', { stream: true }));
  await s3.next();
  const mine = new Error('the app gave up');
  assert.equal(await rejection(s3.throw(mine)), mine);
  assert.deepEqual(await s3.next(), { value: undefined, done: true });
  await s3.return();
  assert.equal(log.generations.length, 3);
  assert.equal(log.generations[2].finishReason, 'abort');
  assert.equal(log.generations[2].errorName, undefined, "the app's own throw is not an engine error");

  // The model is free after all three.
  assert.equal((await engine.chat.completions.create(ask('four', { max_tokens: 2 }))).usage.completion_tokens, 2);
  assert.equal(log.generations.length, 4);

  // An engine iterator without return(): breaking out still resolves, and records one abort.
  const bare = {
    chat: {
      completions: {
        create: async () => {
          let i = 0;
          return {
            next: async () => ({ value: { model: 'bare', choices: [{ index: 0, delta: { content: `t${i++}` }, finish_reason: null }] }, done: false }),
            [Symbol.asyncIterator]() {
              return this;
            },
          };
        },
      },
    },
  };
  const b = makeHooks();
  let got = 0;
  for await (const c of await wrapEngine(bare, b.hooks).chat.completions.create(ask('x', { stream: true }))) {
    assert.ok(c.choices[0].delta.content.startsWith('t'));
    if (++got === 3) break;
  }
  assert.equal(b.log.generations.length, 1);
  assert.deepEqual([b.log.generations[0].model, b.log.generations[0].finishReason], ['bare', 'abort']);
  assert.deepEqual(log.faults, []);
});

test("interruptGenerate(): the engine's own return value; the running stream aborts, the one queued behind the lock does not", async () => {
  const sim = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, medianTokens: 300 });
  const original = sim.interruptGenerate;
  const given = [];
  sim.interruptGenerate = function (...args) {
    const r = original.apply(this, args);
    given.push(r);
    return r;
  };
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);

  const a = await engine.chat.completions.create(ask('a', { stream: true }));
  const b = await engine.chat.completions.create(ask('b', { stream: true, max_tokens: 4 }));
  await a.next();
  const bFirst = b.next(); // waits for the model's lock, held by a
  const returned = engine.interruptGenerate();
  assert.equal(returned, given[0], 'the very promise the engine returned');
  const rest = await collect(a);
  assert.equal(rest.at(-1).choices[0].finish_reason, 'abort');
  const bChunks = [(await bFirst).value, ...(await collect(b))];
  assert.equal(bChunks.at(-1).choices[0].finish_reason, 'length');
  assert.deepEqual(
    log.generations.map((g) => g.finishReason),
    ['abort', 'length'],
  );

  // With nothing running, an interrupt changes nothing for the next request (WebLLM resets it).
  await engine.interruptGenerate();
  const r = await engine.chat.completions.create(ask('c', { max_tokens: 3 }));
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(log.generations.length, 3);
  assert.equal(log.generations[2].finishReason, 'length');
});

test('a lost GPU device: the generation in flight fails once, the monitor knows nothing is loaded, later calls fail, a reload is recorded', async () => {
  const lost = [];
  const monitor = await createMonitor({ memory: false, webgpu: false, logger: { debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  const engine = await monitor.createEngine(CreateSimulatedMLCEngine, LLAMA, {
    timeScale: 0,
    faults: { deviceLostAt: 2, onDeviceLost: (info) => lost.push(info) },
  });
  const sim = /** @type {SimulatedMLCEngine} */ (/** @type {unknown} */ (engine));
  assert.equal(monitor.getStatus().ready, true);
  await engine.chat.completions.create(ask('fine', { max_tokens: 4 }));

  const { chunks, error } = await drainUntilError(await engine.chat.completions.create(ask('lost halfway', { stream: true })));
  assert.ok(error instanceof Error && chunks.length >= 1);
  assert.equal(lost.length, 1);
  let m = monitor.getMetrics();
  assert.deepEqual([m.generations.total, m.generations.failed], [2, 1]);
  assert.equal(m.generations.byModel[LLAMA].failed, 1, 'the failure belongs to the model that was running');
  const status = monitor.getStatus();
  assert.deepEqual([status.ready, status.loadedModels], [false, []], 'known at once, not only at the next call');

  const next = await rejection(engine.chat.completions.create(ask('after')));
  assert.equal(next.name, 'ModelNotLoadedError');
  m = monitor.getMetrics();
  assert.equal(m.generations.total, 3);
  assert.equal(m.errors.byName.ModelNotLoadedError, 1);

  // The app reloads: recorded once, from the cache; generations work again.
  await engine.reload(LLAMA);
  m = monitor.getMetrics();
  assert.deepEqual([m.initialization.loads, m.initialization.succeeded, m.initialization.lastFromCache], [2, 2, true]);
  assert.equal(monitor.getStatus().ready, true);
  await engine.chat.completions.create(ask('back', { max_tokens: 2 }));

  // Lost between generations: the next call says so.
  sim.loseDevice();
  assert.equal((await rejection(engine.chat.completions.create(ask('x')))).name, 'ModelNotLoadedError');
  assert.equal(monitor.getStatus().ready, false);

  // A worker engine: its client still believes the model is loaded; the worker's string says not.
  const worker = await monitor.createEngine(CreateSimulatedMLCEngine, QWEN, { timeScale: 0, worker: true });
  assert.equal(monitor.getStatus().ready, true);
  /** @type {SimulatedMLCEngine} */ (/** @type {unknown} */ (worker)).loseDevice();
  const text = await rejection(worker.chat.completions.create(ask('x')));
  assert.match(text, /^ModelNotLoadedError: /);
  m = monitor.getMetrics();
  assert.equal(m.errors.byName.ModelNotLoadedError, 3);
  assert.equal(m.generations.total, 6);
  assert.equal(monitor.getStatus().ready, false);
  assert.equal(monitor.getStatus().faults, 0);
  await monitor.dispose();
});

test('worker strings and other thrown values: passed on as they are, named only when they name themselves, always recorded', async () => {
  const badName = new Error('x');
  badName.name = 'Bad\nName';
  const longName = new Error('y');
  longName.name = 'E'.repeat(300);
  const values = [
    ['ContextWindowSizeExceededError: Prompt tokens exceed context window size', 'ContextWindowSizeExceededError'],
    ['Summarize: the words of a prompt', 'Error'],
    ['UserMessageContentErrorForNonVLM: The model loaded is not of type VLM', 'UserMessageContentErrorForNonVLM'],
    ['plain text', 'Error'],
    [42, 'Error'],
    [undefined, 'Error'],
    [null, 'Error'],
    [{ name: 'AbortError', message: 'aborted' }, 'AbortError'],
    [badName, 'Error'],
    [longName, 'Error'],
  ];
  let next = 0;
  const odd = {
    chat: {
      completions: {
        create: async () => {
          throw values[next++][0];
        },
      },
    },
  };
  const core = await MonitorCore.create();
  const { hooks, log } = coreHooks(core);
  const engine = wrapEngine(odd, hooks);
  for (const [value] of values) {
    let thrown = 'nothing';
    try {
      await engine.chat.completions.create(ask('x'));
    } catch (err) {
      thrown = err;
    }
    assert.equal(thrown, value, 'the very value');
  }
  assert.deepEqual(
    log.generations.map((g) => g.errorName),
    values.map(([, name]) => name),
  );
  assert.deepEqual(core.flush().rejected, [], 'a name the core would refuse never reaches it');
  const m = core.metrics(Date.now());
  assert.equal(m.generations.total, values.length);
  assert.equal(m.generations.failed, values.length);
  assert.equal(m.rejected.total, 0);

  // A stream whose next() throws synchronously instead of rejecting: the same throw, recorded once.
  const sync = new RangeError('sync');
  const syncEngine = {
    chat: {
      completions: {
        create: async () => ({
          next() {
            throw sync;
          },
          [Symbol.asyncIterator]() {
            return this;
          },
        }),
      },
    },
  };
  const s = makeHooks();
  const stream = await wrapEngine(syncEngine, s.hooks).chat.completions.create(ask('x', { stream: true }));
  assert.throws(
    () => stream.next(),
    (err) => err === sync,
  );
  assert.deepEqual(
    s.log.generations.map((g) => g.errorName),
    ['RangeError'],
  );

  // A worker engine that fails mid-stream: the worker's string, recorded by its name.
  const worker = await CreateSimulatedMLCEngine(LLAMA, {
    timeScale: 0,
    worker: true,
    faults: { throwMidStreamAt: 1, throwName: 'InternalError', throwMessage: 'kernel failed' },
  });
  const w = makeHooks();
  const { error } = await drainUntilError(await wrapEngine(worker, w.hooks).chat.completions.create(ask('x', { stream: true })));
  assert.equal(error, 'InternalError: kernel failed');
  assert.deepEqual([w.log.generations.length, w.log.generations[0].errorName], [1, 'InternalError']);
  core.dispose();
});

test('concurrent requests on two models, each with another outcome: each recorded once, with its model', async () => {
  // Generations are numbered in call order: the first (Llama, streamed) fails halfway.
  const core = await MonitorCore.create();
  const { hooks, log } = coreHooks(core);
  const { seen, engine } = await tappedEngine(hooks, [LLAMA, QWEN], { timeScale: 0, medianTokens: 40, faults: { throwMidStreamAt: 1 } });
  const got = [];
  const failing = (async () => {
    const r = await drainUntilError(await engine.chat.completions.create(ask('a', { model: LLAMA, stream: true })));
    got.push(...r.chunks);
    return r.error;
  })();
  const breaking = (async () => {
    let n = 0;
    for await (const c of await engine.chat.completions.create(ask('b', { model: QWEN, stream: true }))) {
      got.push(c);
      if (++n === 2) break;
    }
  })();
  const plain = engine.chat.completions.create(ask('c', { model: QWEN, max_tokens: 5 }));
  const queued = (async () => {
    const chunks = await collect(await engine.chat.completions.create(ask('d', { model: LLAMA, stream: true, max_tokens: 6 })));
    got.push(...chunks);
  })();
  const [error] = await Promise.all([failing, breaking, plain, queued]);
  assert.equal(error, seen.errors[0]);
  for (const c of got) assert.ok(seen.yielded.includes(c), 'every chunk is one the engine yielded');
  assert.equal(log.generations.length, 4);
  const outcome = (g) => `${g.model}:${g.errorName ?? g.finishReason}`;
  assert.deepEqual(log.generations.map(outcome).sort(), [`${LLAMA}:Error`, `${LLAMA}:length`, `${QWEN}:abort`, `${QWEN}:length`].sort());
  assert.deepEqual(core.flush().rejected, []);
  const m = core.metrics(Date.now());
  assert.deepEqual([m.generations.byModel[LLAMA].total, m.generations.byModel[LLAMA].failed], [2, 1]);
  assert.deepEqual([m.generations.byModel[QWEN].total, m.generations.byModel[QWEN].aborted], [2, 1]);
  core.dispose();
});

test('reload() or unload() while a generation is in flight: the generation fails once with its own model, the load is recorded once', async () => {
  const { hooks, log } = makeHooks();
  const { seen, engine } = await tappedEngine(hooks, LLAMA, { timeScale: 0, medianTokens: 300 });

  // A stream on Llama; the app switches to Qwen halfway.
  const stream = await engine.chat.completions.create(ask('long', { stream: true }));
  const chunks = [(await stream.next()).value, (await stream.next()).value];
  const switching = engine.reload(QWEN);
  let error;
  try {
    for await (const c of stream) chunks.push(c);
  } catch (err) {
    error = err;
  }
  assert.equal(error, seen.errors[0], "the engine's error, as is");
  assert.equal(await switching, undefined);
  assert.equal(log.generations.length, 1);
  assert.deepEqual([log.generations[0].model, log.generations[0].errorName], [LLAMA, 'Error']);
  assert.equal(log.loads.length, 1);
  assert.deepEqual([log.loads[0].model, log.loads[0].errorName, log.loads[0].fromCache], [QWEN, undefined, false]);
  assert.deepEqual(log.unloaded, [{ model: LLAMA }]);

  // A call that has produced nothing yet (no model in the request, none in a response): it is
  // the model loaded when it was made, not the one the reload brings.
  const pending = engine.chat.completions.create(ask('short'));
  const back = engine.reload(LLAMA);
  const err = await rejection(pending);
  assert.equal(err, seen.errors[1]);
  await back;
  assert.equal(log.generations.length, 2);
  assert.deepEqual([log.generations[1].model, log.generations[1].errorName], [QWEN, 'Error']);
  assert.equal(log.loads.length, 2);
  assert.deepEqual([log.loads[1].model, log.loads[1].fromCache, log.loads[1].bytesFetched, log.loads[1].errorName], [LLAMA, true, 0, undefined]);

  // unload() in flight: the stream fails once; nothing is loaded; no load recorded.
  const s2 = await engine.chat.completions.create(ask('more', { stream: true }));
  await s2.next();
  await engine.unload();
  const { error: e2 } = await drainUntilError(s2);
  assert.equal(e2, seen.errors[2]);
  assert.equal(log.generations.length, 3);
  assert.deepEqual([log.generations[2].model, log.generations[2].errorName], [LLAMA, 'Error']);
  assert.equal(log.loads.length, 2);
  assert.deepEqual(log.unloaded.at(-1), { model: LLAMA });
  assert.equal((await rejection(engine.chat.completions.create(ask('x')))).name, 'ModelNotLoadedError');
  assert.equal(log.generations.at(-1).model, 'unknown');
  assert.deepEqual(log.faults, []);
});

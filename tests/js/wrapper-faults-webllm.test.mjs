// Engine faults through the wrapper, on WebLLM's own engine classes (tests/js/webllm-fakes.mjs):
// MLCEngine and WebWorkerMLCEngine with a mid-stream throw, a caller that stops iterating,
// interruptGenerate(), two models at once, a lost device, reload() and unload() in flight; and
// names the core would refuse. The same faults one by one on the simulated engine:
// wrapper-faults-simulated.test.mjs. Every time: each generation recorded exactly once with the
// right outcome, loads recorded right, and the app sees what the engine does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorCore } from '../../js/core.js';
import { wrapEngine } from '../../js/wrapper.js';
import { makeHooks, rejection, collect, ask } from './helpers.mjs';
import { loseDevice, patchedMLCEngine, workerPair } from './webllm-fakes.mjs';
import { coreHooks, drainUntilError } from './wrapper-faults-helpers.mjs';

const A = 'Alpha-1B-q4f16_1-MLC';
const B = 'Beta-1B-q4f16_1-MLC';

test("WebLLM's MLCEngine: mid-stream throw, break, interruptGenerate, two models at once, a lost device, reload and unload in flight", async () => {
  const raw = patchedMLCEngine({}, () => ({ words: 30 }));
  const core = await MonitorCore.create();
  const { hooks, log } = coreHooks(core);
  const engine = wrapEngine(raw, hooks);
  await engine.reload([A, B]);
  assert.deepEqual([log.loads.length, log.loads[0].model, log.loads[0].errorName, log.loads[0].fromCache], [1, `${A}+${B}`, undefined, true]);

  // Mid-stream throw: the very error object, after some chunks; the real lock is released.
  const boom = new Error('GPU kernel failed');
  boom.name = 'InternalError';
  Object.assign(raw.pipeline(A), { throwAtStep: 3, throwError: boom });
  const { chunks, error } = await drainUntilError(await engine.chat.completions.create(ask('x', { model: A, stream: true })));
  assert.equal(error, boom);
  assert.equal(chunks.length, 3);
  raw.pipeline(A).throwAtStep = undefined;
  assert.deepEqual([log.generations[0].model, log.generations[0].errorName], [A, 'InternalError']);

  // Break: WebLLM's generator is returned (its finally releases the lock); an abort.
  let n = 0;
  for await (const c of await engine.chat.completions.create(ask('x', { model: A, stream: true }))) {
    assert.ok(c);
    if (++n === 2) break;
  }
  assert.equal(log.generations[1].finishReason, 'abort');
  const after = await engine.chat.completions.create(ask('x', { model: A, max_tokens: 2 }));
  assert.equal(after.usage.completion_tokens, 2);

  // interruptGenerate(): the engine's promise; WebLLM's final chunk says "abort".
  const original = raw.interruptGenerate;
  let given;
  raw.interruptGenerate = function () {
    given = original.call(this);
    return given;
  };
  const stream = await engine.chat.completions.create(ask('x', { model: B, stream: true }));
  const seen = [];
  for await (const c of stream) {
    seen.push(c);
    if (seen.length === 2) assert.equal(engine.interruptGenerate(), given);
  }
  assert.equal(seen.at(-1).choices[0].finish_reason, 'abort');
  assert.equal(log.generations[3].finishReason, 'abort');
  raw.interruptGenerate = original;

  // Two models at once, each with its own real lock.
  const [ca, cb] = await Promise.all([
    (async () => collect(await engine.chat.completions.create(ask('a', { model: A, stream: true, max_tokens: 5 }))))(),
    (async () => collect(await engine.chat.completions.create(ask('b', { model: B, stream: true, max_tokens: 7 }))))(),
  ]);
  assert.deepEqual([ca.length, cb.length], [6, 8], 'five / seven deltas and the finish chunk, usage hidden');
  const last2 = log.generations.slice(-2);
  assert.deepEqual(last2.map((g) => `${g.model}:${g.completionTokens}:${g.finishReason}`).sort(), [`${A}:5:length`, `${B}:7:length`]);

  // A device lost after loading: WebLLM's handler unloads; the stream in flight fails once, the
  // wrapper sees that the engine has no model left; the next call is WebLLM's ModelNotLoadedError.
  const s = await engine.chat.completions.create(ask('x', { model: A, stream: true }));
  await s.next();
  await loseDevice(raw);
  const { error: lostErr } = await drainUntilError(s);
  assert.ok(lostErr instanceof Error);
  assert.deepEqual(log.unloaded.at(-1), { model: undefined });
  const notLoaded = await rejection(engine.chat.completions.create(ask('x')));
  assert.equal(notLoaded.name, 'ModelNotLoadedError');
  const g = log.generations.slice(-2);
  assert.deepEqual(
    g.map((x) => [x.model, x.errorName]),
    [
      [A, 'Error'],
      ['unknown', 'ModelNotLoadedError'],
    ],
  );

  // reload() with a stream in flight; then unload() during a reload (WebLLM's AbortError path).
  await engine.reload(A);
  const s2 = await engine.chat.completions.create(ask('x', { stream: true }));
  await s2.next();
  const reloading = engine.reload([A, B]);
  const { error: reloadErr } = await drainUntilError(s2);
  assert.ok(reloadErr instanceof Error);
  assert.equal(await reloading, undefined);
  const interrupted = engine.reload(B);
  await engine.unload();
  assert.equal(await interrupted, undefined, 'WebLLM resolves a reload cut short');
  assert.deepEqual(
    log.loads.map((l) => [l.model, l.errorName]),
    [
      [`${A}+${B}`, undefined],
      [A, undefined],
      [`${A}+${B}`, undefined],
      [B, 'AbortError'],
    ],
  );
  assert.deepEqual([log.generations.at(-1).model, log.generations.at(-1).errorName], [A, 'Error']);

  assert.deepEqual(core.flush().rejected, []);
  const m = core.metrics(Date.now());
  assert.equal(m.generations.total, log.generations.length);
  assert.equal(m.generations.total, 9);
  assert.deepEqual([m.generations.failed, m.generations.aborted], [4, 2]);
  assert.deepEqual([m.initialization.loads, m.initialization.failed], [4, 1]);
  assert.deepEqual(log.faults, []);
  core.dispose();
});

test("WebLLM's WebWorkerMLCEngine over that MLCEngine: worker strings mid-stream, break, a device lost in the worker, reload in flight", async () => {
  const raw = patchedMLCEngine({}, () => ({ words: 30 }));
  const client = workerPair(raw);
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(client, hooks);
  await engine.reload(A);
  assert.deepEqual([log.loads[0].model, log.loads[0].errorName], [A, undefined]);

  const boom = new Error('GPU kernel failed');
  boom.name = 'InternalError';
  Object.assign(raw.pipeline(A), { throwAtStep: 2, throwError: boom });
  const { chunks, error } = await drainUntilError(await engine.chat.completions.create(ask('x', { stream: true })));
  assert.equal(error, 'InternalError: GPU kernel failed', "the handler's err.toString()");
  assert.equal(chunks.length, 2);
  raw.pipeline(A).throwAtStep = undefined;
  assert.deepEqual([log.generations[0].errorName, log.generations[0].model], ['InternalError', A]);

  // Break: the client asks the worker to return its generator; the lock is freed over there.
  let n = 0;
  for await (const c of await engine.chat.completions.create(ask('x', { stream: true }))) {
    assert.ok(c);
    if (++n === 2) break;
  }
  assert.equal(log.generations[1].finishReason, 'abort');
  assert.equal((await engine.chat.completions.create(ask('x', { max_tokens: 2 }))).usage.completion_tokens, 2);

  // reload() while a worker stream is in flight.
  const s = await engine.chat.completions.create(ask('x', { stream: true }));
  await s.next();
  const reloading = engine.reload(A);
  const { error: e2 } = await drainUntilError(s);
  assert.equal(typeof e2, 'string');
  await reloading;
  assert.deepEqual(
    log.loads.map((l) => [l.model, l.errorName]),
    [
      [A, undefined],
      [A, undefined],
    ],
  );
  assert.deepEqual([log.generations[3].model, log.generations[3].errorName], [A, 'Error']);

  // The device is lost inside the worker: the client cannot tell; the worker's next answer can.
  await loseDevice(raw);
  const lost = await rejection(engine.chat.completions.create(ask('x')));
  assert.match(lost, /^ModelNotLoadedError: /);
  assert.deepEqual(log.generations.at(-1).errorName, 'ModelNotLoadedError');
  assert.deepEqual(log.unloaded.at(-1), { model: undefined });
  assert.equal(log.generations.length, 5);
  assert.deepEqual(
    log.finished.map((f) => f.ok),
    [false, true, true, false, false],
  );
  assert.deepEqual(log.faults, []);
});

test('names the core would refuse (and quote) never cost an event: odd model ids and tags, many models at once', async () => {
  const core = await MonitorCore.create();
  const { hooks, log } = coreHooks(core);
  const ids = Array.from({ length: 8 }, (_, i) => `Model-${i}-of-eight-with-a-long-name-q4f16_1-MLC`);
  const raw = patchedMLCEngine({}, () => ({ words: 3 }));
  const engine = wrapEngine(raw, hooks);
  await engine.reload(ids);
  assert.equal(log.loads[0].model, `${ids[0]}+7 more`, 'the ids joined would pass 256 bytes');
  await engine.chat.completions.create(ask('x', { model: ids[3] }));
  const bad = await rejection(engine.chat.completions.create(ask('x', { model: 'No\nSuch-Model' })));
  assert.equal(bad.name, 'SpecifiedModelNotFoundError', "WebLLM's own refusal, passed on");
  await engine.chat.completions.create(ask('x', { model: ids[1], monitorType: 'tag\twith a tab' }));
  assert.deepEqual(
    log.generations.map((g) => [g.model, g.type]),
    [
      [ids[3], 'default'],
      ['unknown', 'default'],
      [ids[1], undefined],
    ],
  );
  assert.deepEqual(core.flush().rejected, []);
  const m = core.metrics(Date.now());
  assert.deepEqual([m.generations.total, m.initialization.loads, m.rejected.total], [3, 1, 0]);
  core.dispose();
});

// The wrapper end to end: a wrapped simulated engine feeding a real MonitorCore, and the wrapper
// around WebLLM's real WebWorkerMLCEngine client talking to WebLLM's real worker handler (which
// runs the simulated engine in place of a GPU-backed MLCEngine).
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from '@mlc-ai/web-llm';
import { MonitorCore } from '../../js/core.js';
import { CreateSimulatedMLCEngine, SimulatedMLCEngine } from '../../js/simulated-engine.js';
import { createEngine, wrapEngine } from '../../js/wrapper.js';
import { ask } from './helpers.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
beforeEach(() => SimulatedMLCEngine.clearCache());

/** Hooks that forward to a MonitorCore, as js/monitor.js does. */
function coreHooks(core) {
  const faults = [];
  const hooks = {
    now: () => Date.now(),
    clock: () => performance.now(),
    typeFor: (request) => (request && typeof request.monitorType === 'string' ? request.monitorType : 'default'),
    recordGeneration: (e) => core.recordGeneration(e),
    recordModelLoad: (e) => core.recordModelLoad(e),
    fault: (where, error) => faults.push({ where, error }),
  };
  return { hooks, faults };
}

async function drain(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

test('a wrapped simulated engine feeds a MonitorCore: counts, TTFT, decode speed, cache hits, error names', async () => {
  const core = await MonitorCore.create();
  const { hooks, faults } = coreHooks(core);
  const engine = await createEngine(CreateSimulatedMLCEngine, LLAMA, { timeScale: 0.05, seed: 9 }, undefined, hooks);
  const engineDecode = [];
  const engineTtft = [];
  for (let i = 0; i < 6; i++) {
    const chunks = await drain(
      await engine.chat.completions.create(
        ask(`question ${i}`, { stream: true, max_tokens: 12, monitorType: i % 2 ? 'chat' : 'summary', stream_options: { include_usage: true } }),
      ),
    );
    engineDecode.push(chunks.at(-1).usage.extra.decode_tokens_per_s);
    engineTtft.push(chunks.at(-1).usage.extra.time_to_first_token_s * 1000);
  }
  await engine.chat.completions.create(ask('not streamed', { max_tokens: 8 }));
  await assert.rejects(engine.chat.completions.create(ask('bad', { stream_options: { include_usage: true } })), { name: 'InvalidStreamOptionsError' });
  let n = 0;
  for await (const c of await engine.chat.completions.create(ask('stop early', { stream: true, max_tokens: 50 }))) {
    assert.ok(c);
    if (++n === 3) break;
  }
  await engine.reload(LLAMA); // from the cache now
  await engine.unload();
  await assert.rejects(engine.chat.completions.create(ask('nothing loaded')), { name: 'ModelNotLoadedError' });

  const flushed = core.flush();
  assert.deepEqual(flushed.rejected, [], 'every event the wrapper made is valid for the core');
  const m = core.metrics(Date.now());
  const g = m.generations;
  assert.equal(g.total, 10);
  assert.equal(g.failed, 2);
  assert.equal(g.aborted, 1);
  assert.equal(g.succeeded, 7);
  assert.equal(g.byType.summary.total, 3);
  assert.equal(g.byType.chat.total, 3);
  assert.equal(g.byType.default.total, 4);
  assert.equal(g.byModel[LLAMA].total, 9);
  assert.deepEqual(m.errors.byName, { InvalidStreamOptionsError: 1, ModelNotLoadedError: 1 });
  // TTFT: the six streams and the aborted one have a client TTFT near the engine's prefill; the
  // core takes the engine's TTFT for the one that was not streamed.
  assert.equal(g.ttftMs.count, 8);
  const maxEngineTtft = Math.max(...engineTtft);
  assert.ok(g.ttftMs.p50 >= Math.min(...engineTtft) - 0.5 && g.ttftMs.p50 < maxEngineTtft + 10, `${g.ttftMs.p50} vs ${engineTtft}`);
  // Decode speed: Llama's ~48 tokens/s, 20 times faster at timeScale 0.05.
  const sorted = engineDecode.slice().sort((a, b) => a - b);
  assert.ok(g.decodeTokensPerSec.p50 > 0.7 * sorted[0] && g.decodeTokensPerSec.p50 < 1.3 * sorted.at(-1), `${g.decodeTokensPerSec.p50} vs ${sorted}`);
  assert.ok(g.tokens.completion > 6 * 6);
  // Loads: downloaded first, then from the cache.
  const init = m.initialization;
  assert.equal(init.loads, 2);
  assert.equal(init.succeeded, 2);
  assert.equal(init.downloaded, 1);
  assert.equal(init.fromCache, 1);
  assert.equal(init.lastFromCache, true);
  assert.equal(init.bytesFetched, Math.ceil(new SimulatedMLCEngine().modelInfo(LLAMA).paramsBytes / 1048576) * 1048576);
  assert.deepEqual(faults, []);
  core.dispose();
});

/**
 * WebLLM's WebWorkerMLCEngine and WebWorkerMLCEngineHandler connected by a fake worker (messages
 * structured-cloned, delivered asynchronously); the handler runs `backend` instead of an MLCEngine.
 */
function workerPair(backend, engineConfig) {
  const deliver = (fn, msg) => setTimeout(() => fn(structuredClone(msg)), 0);
  const handler = new WebWorkerMLCEngineHandler();
  const worker = {
    onmessage: null,
    postMessage: (msg) => deliver((m) => handler.onmessage(m), msg),
  };
  handler.postMessage = (msg) => deliver((m) => worker.onmessage(m), msg);
  handler.engine = backend;
  backend.setInitProgressCallback((report) => handler.postMessage({ kind: 'initProgressCallback', uuid: '', content: report }));
  return new WebWorkerMLCEngine(worker, engineConfig);
}

test("the wrapper around WebLLM's own WebWorkerMLCEngine: loads, streams, string errors, interrupt", async () => {
  const texts = [];
  const backend = new SimulatedMLCEngine({ timeScale: 0.01, medianTokens: 200 });
  const client = workerPair(backend, { initProgressCallback: (r) => texts.push(r.text) });
  const core = await MonitorCore.create();
  const { hooks, faults } = coreHooks(core);
  const loads = [];
  const generations = [];
  const engine = wrapEngine(client, {
    ...hooks,
    recordModelLoad: (e) => {
      loads.push(e);
      hooks.recordModelLoad(e);
    },
    recordGeneration: (e) => {
      generations.push(e);
      hooks.recordGeneration(e);
    },
  });
  await engine.reload(QWEN);
  assert.ok(texts.at(-1).startsWith('Finish loading'), "the app's callback on the client still gets the reports");
  assert.deepEqual([loads[0].model, loads[0].fromCache, loads[0].errorName], [QWEN, false, undefined]);
  assert.ok(loads[0].bytesFetched > 200 * 1048576);

  const chunks = await drain(await engine.chat.completions.create(ask('Hello worker', { stream: true, max_tokens: 10 })));
  assert.ok(
    chunks.every((c) => c.choices.length === 1),
    'the usage chunk the wrapper asked for is hidden',
  );
  assert.equal(generations[0].completionTokens, 10);
  assert.equal(generations[0].model, QWEN, 'the model from the chunks');
  assert.ok(generations[0].engineDecodeTokensPerSec > 0);

  // Rejections from the worker are strings; the wrapper passes them on and names them.
  const bad = await engine.chat.completions.create(ask('x', { stream_options: { include_usage: true } })).catch((e) => e);
  assert.equal(bad, 'InvalidStreamOptionsError: Only specify stream_options when stream=True.');
  assert.equal(generations[1].errorName, 'InvalidStreamOptionsError');

  // interruptGenerate() of a worker engine returns nothing; the stream ends with "abort".
  let n = 0;
  for await (const c of await engine.chat.completions.create(ask('long', { stream: true }))) {
    assert.ok(c);
    if (++n === 3) assert.equal(engine.interruptGenerate(), undefined);
  }
  assert.equal(generations[2].finishReason, 'abort');

  // Breaking out of a worker stream returns it (the worker releases the model's lock).
  n = 0;
  for await (const c of await engine.chat.completions.create(ask('long again', { stream: true }))) {
    assert.ok(c);
    if (++n === 2) break;
  }
  assert.equal(generations[3].finishReason, 'abort');
  const after = await engine.chat.completions.create(ask('still works', { max_tokens: 3 }));
  assert.equal(after.usage.completion_tokens, 3);

  await engine.unload();
  const notLoaded = await engine.chat.completions.create(ask('x')).catch((e) => e);
  assert.equal(notLoaded.name, 'WorkerEngineModelNotLoadedError', 'a client-side check: an Error object');
  assert.equal(generations.at(-1).errorName, 'WorkerEngineModelNotLoadedError');
  assert.deepEqual(core.flush().rejected, []);
  const m = core.metrics(Date.now());
  assert.equal(m.generations.total, 6);
  assert.equal(m.generations.aborted, 2);
  assert.equal(m.initialization.downloaded, 1);
  assert.deepEqual(faults, []);
  core.dispose();
});

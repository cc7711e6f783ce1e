// The wrapper around model loading: reload(), unload(), createEngine(), the progress callback,
// the cache signal, failed and interrupted loads; and the two parsing helpers.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSimulatedMLCEngine, SimulatedMLCEngine, simulatedHasModelInCache } from '../../js/simulated-engine.js';
import { classifyError, createEngine, parseProgressText, wrapEngine } from '../../js/wrapper.js';
import { makeHooks, rejection, ask } from './helpers.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
beforeEach(() => SimulatedMLCEngine.clearCache());

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('reload: recorded once per call, downloaded then from cache, bytes read from the texts', async () => {
  const reports = [];
  const userCallback = (r) => reports.push(r);
  const sim = new SimulatedMLCEngine({ timeScale: 0, initProgressCallback: userCallback });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  assert.equal(engine.getInitProgressCallback(), userCallback, "the app's callback stays the app's");
  assert.notEqual(sim.getInitProgressCallback(), userCallback, "the engine calls the wrapper's observer");

  await engine.reload(LLAMA);
  assert.equal(log.loads.length, 1);
  const first = log.loads[0];
  const lastFetch = reports.filter((r) => r.text.startsWith('Fetching param cache')).at(-1);
  const mb = Number(/: (\d+)MB fetched/.exec(lastFetch.text)[1]);
  assert.deepEqual(
    { model: first.model, fromCache: first.fromCache, bytesFetched: first.bytesFetched },
    { model: LLAMA, fromCache: false, bytesFetched: mb * 1024 * 1024 },
  );
  const realBytes = sim.modelInfo(LLAMA).paramsBytes;
  assert.ok(first.bytesFetched >= realBytes && first.bytesFetched - realBytes < 1024 * 1024, 'MB are ceil(bytes / MiB)');
  assert.ok(first.durationMs >= 0 && Number.isFinite(first.startedAt));
  assert.equal(first.errorName, undefined);
  // The app received every report, the very objects the engine produced, and so did the hooks.
  assert.equal(log.progress.length, reports.length);
  assert.deepEqual(
    log.progress.map((p) => p.text),
    reports.map((r) => r.text),
  );
  assert.ok(log.progress.every((p) => p.model === LLAMA));
  assert.deepEqual(log.loadStarted, [{ model: LLAMA }]);
  assert.deepEqual(log.loadFinished, [{ model: LLAMA, ok: true, error: undefined }]);

  // Generations now know the model without request.model.
  await engine.chat.completions.create(ask('x', { max_tokens: 2 }));
  assert.equal(log.generations[0].model, LLAMA);

  // The second load comes from the cache: reload unloads first.
  await engine.reload(LLAMA);
  assert.deepEqual(log.unloaded, [{ model: LLAMA }]);
  assert.equal(log.loads.length, 2);
  assert.deepEqual([log.loads[1].fromCache, log.loads[1].bytesFetched], [true, 0]);

  await engine.unload();
  assert.deepEqual(log.unloaded.at(-1), { model: LLAMA });
  assert.equal(log.loads.length, 2, 'unload is not a load');
  // Several models at once: one event, the ids joined with "+".
  await engine.reload([LLAMA, QWEN]);
  assert.equal(log.loads.length, 3);
  assert.deepEqual([log.loads[2].model, log.loads[2].fromCache], [`${LLAMA}+${QWEN}`, false], 'Qwen had to be downloaded');
  assert.equal(log.loads[2].bytesFetched, Math.ceil(sim.modelInfo(QWEN).paramsBytes / 1048576) * 1048576);
  assert.deepEqual(log.faults, []);
});

test("setInitProgressCallback through the wrapper replaces the app's callback, not the wrapper's", async () => {
  const sim = new SimulatedMLCEngine({ timeScale: 0 });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  assert.equal(engine.getInitProgressCallback(), undefined);
  const texts = [];
  const cb = (r) => texts.push(r.text);
  engine.setInitProgressCallback(cb);
  assert.equal(engine.getInitProgressCallback(), cb);
  await engine.reload(QWEN);
  assert.ok(texts.length > 5);
  assert.equal(log.loads[0].fromCache, false, 'the wrapper still observed the texts');
  // Replaced behind the wrapper's back: the next reload takes the new one as the app's.
  const later = [];
  sim.setInitProgressCallback((r) => later.push(r.text));
  await engine.reload(QWEN);
  assert.ok(later.length > 5);
  assert.equal(log.loads[1].fromCache, true);
  // A throwing app callback behaves as without the wrapper: the reload fails with its error.
  const mine = new Error('app callback failed');
  engine.setInitProgressCallback(() => {
    throw mine;
  });
  assert.equal(await rejection(engine.reload(QWEN)), mine);
  assert.equal(log.loads[2].errorName, 'Error');
});

test('hasModelInCache, when the monitor has it, is asked with the app config; the progress texts win over its answer', async () => {
  const asked = [];
  const appConfig = { model_list: [{ model_id: QWEN, model: 'https://x/qwen', model_lib: 'https://x/q.wasm' }] };
  const { hooks, log } = makeHooks({
    hasModelInCache: async (id, config) => {
      asked.push([id, config]);
      return true; // says cached although the engine downloads
    },
  });
  const engine = wrapEngine(new SimulatedMLCEngine({ timeScale: 0, appConfig }), hooks);
  await engine.reload(QWEN);
  await tick();
  assert.deepEqual(asked, [[QWEN, appConfig]]);
  assert.equal(log.loads[0].fromCache, false, '"Fetching param cache" texts are evidence of a download');
  assert.ok(log.loads[0].bytesFetched > 0);

  // An engine whose reload reports nothing: the answer decides.
  const silent = {
    appConfig,
    reload: async () => {},
    setAppConfig(c) {
      this.appConfig = c;
    },
  };
  const quiet = makeHooks({ hasModelInCache: async () => true });
  await wrapEngine(silent, quiet.hooks).reload(QWEN);
  await tick();
  assert.deepEqual([quiet.log.loads[0].fromCache, quiet.log.loads[0].bytesFetched], [true, 0]);

  // The simulated engine's own hasModelInCache works as the option.
  SimulatedMLCEngine.clearCache();
  const real = makeHooks({ hasModelInCache: simulatedHasModelInCache });
  const e2 = wrapEngine(new SimulatedMLCEngine({ timeScale: 0 }), real.hooks);
  await e2.reload(LLAMA);
  await e2.reload(LLAMA);
  await tick();
  assert.deepEqual(
    real.log.loads.map((l) => l.fromCache),
    [false, true],
  );

  // A hasModelInCache that rejects (WebLLM's does for a model missing from the app config):
  // no answer, not a fault; the texts decide.
  const both = { model_list: [...appConfig.model_list, { model_id: LLAMA, model: 'https://x/llama', model_lib: 'https://x/l.wasm' }] };
  const rejecting = makeHooks({ hasModelInCache: async () => Promise.reject(new Error('no cache API')) });
  const e3 = wrapEngine(new SimulatedMLCEngine({ timeScale: 0, appConfig: both }), rejecting.hooks);
  await e3.reload(LLAMA);
  await tick();
  assert.equal(rejecting.log.loads[0].fromCache, true);
  assert.deepEqual(rejecting.log.faults, []);

  // One that throws synchronously is broken: a fault, and the texts decide.
  const broken = makeHooks({
    hasModelInCache: () => {
      throw new TypeError('not a function of WebLLM');
    },
  });
  const e4 = wrapEngine(new SimulatedMLCEngine({ timeScale: 0, appConfig: both }), broken.hooks);
  await e4.reload(LLAMA);
  await tick();
  assert.equal(broken.log.loads[0].fromCache, true);
  assert.equal(broken.log.faults[0].where, 'hooks.hasModelInCache');
});

test('failed loads: recorded with the error name, the same error rethrown; worker strings classified', async () => {
  const lost = new Error('The WebGPU device was lost while loading the model.');
  lost.name = 'DeviceLostError';
  const sim = new SimulatedMLCEngine({ timeScale: 0, faults: { loadError: lost } });
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(sim, hooks);
  assert.equal(await rejection(engine.reload(LLAMA)), lost);
  assert.equal(log.loads.length, 1);
  assert.deepEqual([log.loads[0].errorName, log.loads[0].errorMessage, log.loads[0].fromCache], ['DeviceLostError', lost.message, false]);
  assert.deepEqual(log.loadFinished, [{ model: LLAMA, ok: false, error: lost }]);

  const worker = new SimulatedMLCEngine({ timeScale: 0, worker: true, faults: { loadError: 'WebGPUNotAvailableError' } });
  const w = wrapEngine(worker, hooks);
  const err = await rejection(w.reload(QWEN));
  assert.equal(typeof err, 'string');
  assert.equal(log.loads[1].errorName, 'WebGPUNotAvailableError');
  assert.ok(log.loads[1].errorMessage.startsWith('WebGPU is not supported'));
  assert.equal(log.loads[1].fromCache, 'unknown', 'no progress text before the failure');
  // A generation on a worker engine: string rejections classified too.
  worker.setFaults({});
  await w.reload(QWEN);
  const bad = await rejection(w.chat.completions.create(ask('x', { stream_options: { include_usage: true } })));
  assert.equal(bad, 'InvalidStreamOptionsError: Only specify stream_options when stream=True.');
  assert.equal(log.generations.at(-1).errorName, 'InvalidStreamOptionsError');
});

test('unload() during reload(): not a successful load; a reload that supersedes another', async () => {
  const { hooks, log } = makeHooks();
  const engine = wrapEngine(new SimulatedMLCEngine({ timeScale: 0.002 }), hooks);
  const p = engine.reload(LLAMA);
  await new Promise((resolve) => setTimeout(resolve, 8));
  await engine.unload();
  assert.equal(await p, undefined, 'the app sees what WebLLM does: a reload that resolves');
  assert.equal(log.loads.length, 1);
  assert.equal(log.loads[0].errorName, 'AbortError');
  assert.equal(log.loadFinished[0].ok, false);

  const first = engine.reload(QWEN);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = engine.reload(QWEN);
  await Promise.all([first, second]);
  assert.equal(log.loads.length, 3);
  assert.equal(log.loads[1].errorName, 'AbortError');
  assert.equal(log.loads[2].errorName, undefined);
  // The interrupted download left the cache incomplete: the second load fetched.
  assert.equal(log.loads[2].fromCache, false);
});

test('createEngine: the first load is measured, the app callback still called, failures rethrown', async () => {
  const texts = [];
  const { hooks, log } = makeHooks();
  const appCallback = (r) => texts.push(r.text);
  const engineConfig = { timeScale: 0, initProgressCallback: appCallback };
  const engine = await createEngine(CreateSimulatedMLCEngine, LLAMA, engineConfig, undefined, hooks);
  assert.equal(engineConfig.initProgressCallback, appCallback, "the app's config object is not modified");
  assert.ok(texts.length > 5 && texts.at(-1).startsWith('Finish loading'));
  assert.equal(log.loads.length, 1);
  assert.deepEqual([log.loads[0].model, log.loads[0].fromCache], [LLAMA, false]);
  assert.equal(log.progress.length, texts.length);
  assert.equal(engine.getInitProgressCallback(), appCallback);
  assert.ok(engine instanceof SimulatedMLCEngine);
  await engine.chat.completions.create(ask('x', { max_tokens: 1 }));
  assert.equal(log.generations[0].model, LLAMA);
  // Later reloads through the wrapper are measured and still reach the app's callback.
  texts.length = 0;
  await engine.reload(LLAMA);
  assert.ok(texts.at(-1).startsWith('Finish loading'));
  assert.deepEqual(
    log.loads.map((l) => l.fromCache),
    [false, true],
  );

  // A factory that fails.
  const failure = new Error('Cannot find model record');
  failure.name = 'ModelNotFoundError';
  const failing = makeHooks();
  const err = await rejection(createEngine(async () => Promise.reject(failure), 'nope', {}, undefined, failing.hooks));
  assert.equal(err, failure);
  assert.deepEqual([failing.log.loads[0].model, failing.log.loads[0].errorName], ['nope', 'ModelNotFoundError']);
  // Without a config at all, with a worker-style factory (bound), with hasModelInCache.
  const third = makeHooks({ hasModelInCache: simulatedHasModelInCache });
  const fake = { worker: true };
  const bound = (id, config, opts) => CreateSimulatedMLCEngine(id, { ...config, ...fake, timeScale: 0 }, opts);
  const w = await createEngine(bound, QWEN, undefined, undefined, third.hooks);
  await tick();
  assert.equal(third.log.loads[0].fromCache, false);
  assert.equal(w.getInitProgressCallback(), undefined);
  await assert.rejects(createEngine('not a function', QWEN, {}, undefined, hooks), TypeError);
});

test('parseProgressText reads every WebLLM text', () => {
  assert.deepEqual(parseProgressText('Start to fetch params'), { phase: 'start' });
  assert.deepEqual(
    parseProgressText(
      'Fetching param cache[3/22]: 96MB fetched. 14% completed, 4 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.',
    ),
    { phase: 'fetch', index: 3, total: 22, megabytes: 96, bytes: 96 * 1048576, percent: 14, secondsElapsed: 4 },
  );
  assert.deepEqual(parseProgressText('Loading model from cache[22/22]: 664MB loaded. 100% completed, 19 secs elapsed.'), {
    phase: 'load',
    index: 22,
    total: 22,
    megabytes: 664,
    bytes: 664 * 1048576,
    percent: 100,
    secondsElapsed: 19,
  });
  assert.deepEqual(parseProgressText('Loading GPU shader modules[45/96]: 46% completed, 1 secs elapsed.'), {
    phase: 'shaders',
    index: 45,
    total: 96,
    percent: 46,
    secondsElapsed: 1,
  });
  assert.deepEqual(parseProgressText('Finish loading on WebGPU - NVIDIA GeForce RTX 3080'), {
    phase: 'done',
    device: 'WebGPU - NVIDIA GeForce RTX 3080',
    adapter: 'NVIDIA GeForce RTX 3080',
  });
  assert.deepEqual(parseProgressText('something else'), { phase: 'unknown' });
  assert.deepEqual(parseProgressText(undefined), { phase: 'unknown' });
});

test('classifyError: names of errors, worker strings, anything else', () => {
  const e = new Error('lost');
  e.name = 'DeviceLostError';
  assert.deepEqual(classifyError(e), { name: 'DeviceLostError', message: 'lost' });
  assert.deepEqual(classifyError(new TypeError('bad')), { name: 'TypeError', message: 'bad' });
  class CustomError extends Error {}
  assert.deepEqual(classifyError(new CustomError('x')), { name: 'Error', message: 'x' }, 'err.name wins (WebLLM sets it)');
  assert.deepEqual(classifyError('ModelNotLoadedError: Model not loaded before trying: a: b'), {
    name: 'ModelNotLoadedError',
    message: 'Model not loaded before trying: a: b',
  });
  assert.deepEqual(classifyError('Error: plain'), { name: 'Error', message: 'plain' });
  assert.deepEqual(classifyError('InternalError: x'), { name: 'InternalError', message: 'x' });
  assert.deepEqual(classifyError('lowercase: not a name'), { name: 'Error', message: 'lowercase: not a name' });
  assert.deepEqual(classifyError('Uknown msg kind foo'), { name: 'Error', message: 'Uknown msg kind foo' });
  assert.deepEqual(classifyError({ name: 'AbortError', message: 'aborted' }), { name: 'AbortError', message: 'aborted' });
  assert.deepEqual(classifyError({ message: 'no name' }), { name: 'Error', message: 'no name' });
  assert.deepEqual(classifyError(42), { name: 'Error', message: '42' });
  assert.deepEqual(classifyError(undefined), { name: 'Error', message: '' });
  assert.deepEqual(classifyError(null), { name: 'Error', message: 'null' });
});

// Shared fixtures for the JS tests (not a test file itself).
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { mulberry32 } from '../../js/random.js';

/** A fixed epoch for event timestamps: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000;
/** "Now" for reads: two hours after T0, so events at T0 are outside every sliding window. */
export const LATER = T0 + 2 * 3600_000;

export const schemaPath = new URL('../../schema/export.schema.json', import.meta.url);

let validator = null;
/** The export schema compiled with ajv's 2020-12 build in strict mode (one per process). */
export function exportValidator() {
  if (!validator) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    // ajv-formats is not a dependency: check date-time with an RFC 3339 pattern.
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
    validator = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
  }
  return validator;
}

/** Throws with ajv's errors when `doc` does not validate. */
export function assertValidExport(doc) {
  const validate = exportValidator();
  if (!validate(doc)) {
    const lines = validate.errors.slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`export does not match schema/export.schema.json:\n  ${lines.join('\n  ')}`);
  }
}

/** The adapter headless Chromium reports with SwiftShader (recordWebGpu's adapter fields). */
export const SWIFTSHADER_ADAPTER = Object.freeze({
  vendor: 'google',
  architecture: 'swiftshader',
  description: 'SwiftShader Device (Subzero)',
  isFallbackAdapter: true,
});

/**
 * Four generations from T0 whose results are computed by hand in the tests: two chat replies
 * (1000 ms, TTFT 200 ms, 100 + 41 tokens; 2000 ms, TTFT 400 ms, 200 + 81 tokens), a translation
 * aborted after 500 ms (TTFT 100 ms, 50 + 10 tokens) and a summary failed after 500 ms with
 * `error` (5000 prompt tokens). All on `model` but the translation, which is on `abortModel` and
 * has the fields of `abortExtra` too.
 */
export function recordFourGenerations(m, { model, abortModel = model, abortExtra = {}, error }) {
  m.recordGeneration({ model, type: 'chat', startedAt: T0, durationMs: 1000, ttftMs: 200, promptTokens: 100, completionTokens: 41 });
  m.recordGeneration({ model, type: 'chat', startedAt: T0 + 1000, durationMs: 2000, ttftMs: 400, promptTokens: 200, completionTokens: 81 });
  m.recordGeneration({
    model: abortModel,
    type: 'translate',
    ...abortExtra,
    startedAt: T0 + 3000,
    durationMs: 500,
    ttftMs: 100,
    promptTokens: 50,
    completionTokens: 10,
    finishReason: 'abort',
  });
  m.recordGeneration({ model, type: 'summary', startedAt: T0 + 3500, durationMs: 500, promptTokens: 5000, error });
}

/**
 * Feeds a deterministic session into `monitor`: `n` generations over two models and three types
 * (some aborted, some failed), loads, cache lookups, operations, memory samples, a lost device.
 */
export function feedSession(monitor, { seed = 1, n = 200, start = T0 } = {}) {
  const rand = mulberry32(seed);
  const logn = (median, sigma) => {
    const u = 1 - rand();
    const v = rand();
    return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  };
  const models = ['Llama-3.2-1B-Instruct-q4f16_1-MLC', 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC'];
  const types = ['chat', 'enhance_summary', 'translate'];
  let t = start;
  monitor.recordWebGpu({
    timestamp: t,
    available: true,
    ...SWIFTSHADER_ADAPTER,
    limits: { maxBufferSize: 2147483648 },
    features: ['shader-f16'],
  });
  for (const model of models) {
    const cached = rand() < 0.5;
    monitor.recordCacheLookup({ cache: 'webllm/model', hit: cached, timestamp: t });
    monitor.recordModelLoad({
      model,
      startedAt: t,
      durationMs: Math.round(logn(cached ? 3000 : 30000, 0.2)),
      fromCache: cached,
      bytesFetched: cached ? 0 : 800_000_000,
    });
    t += 40_000;
  }
  for (let i = 0; i < n; i++) {
    const model = models[i % 2];
    const type = types[Math.floor(rand() * 3)];
    const ttftMs = Math.round(logn(300, 0.5) * 100) / 100;
    const completionTokens = 2 + Math.floor(rand() * 200);
    const gaps = new Float64Array(completionTokens - 1);
    let sum = 0;
    for (let k = 0; k < gaps.length; k++) sum += gaps[k] = Math.round(logn(25, 0.3) * 100) / 100;
    const r = rand();
    const e = {
      model,
      type,
      startedAt: t,
      durationMs: Math.round((ttftMs + sum) * 100) / 100,
      ttftMs,
      chunkGapsMs: gaps,
      promptTokens: 10 + Math.floor(rand() * 1000),
      completionTokens,
    };
    if (r < 0.03) e.finishReason = 'abort';
    else if (r < 0.05) e.error = new Error('context window exceeded');
    if (r >= 0.05 && rand() < 0.5) e.engineDecodeTokensPerSec = Math.round(logn(40, 0.1) * 100) / 100;
    monitor.recordGeneration(e);
    if (i % 10 === 0) monitor.recordOperation({ name: 'retrieval', startedAt: t, durationMs: Math.round(logn(30, 0.4)), success: rand() > 0.1 });
    if (i % 5 === 0)
      monitor.recordMemorySample({
        timestamp: t,
        usedJSHeapSize: 40e6 + Math.floor(rand() * 4e7),
        jsHeapSizeLimit: 4294705152,
        gpuBufferBytes: 1_000_000_000 + Math.floor(rand() * 1e6),
      });
    t += e.durationMs + Math.round(logn(1000, 0.5));
  }
  monitor.recordDeviceLost({ timestamp: t, reason: 'unknown', message: 'GPU connection lost' });
  return t;
}

/** A chat request of one user message `content`, with the fields of `extra`. */
export const ask = (content, extra = {}) => ({ messages: [{ role: 'user', content }], ...extra });

/**
 * A fake of the monitor's hooks (the contract of js/wrapper.js) that keeps everything it is given.
 * `typeFor` answers the request's monitorType, else "default".
 */
export function makeHooks(overrides = {}) {
  const log = {
    generations: [],
    loads: [],
    progress: [],
    loadStarted: [],
    loadFinished: [],
    unloaded: [],
    started: [],
    finished: [],
    faults: [],
    typeRequests: [],
    cacheAsked: [],
  };
  const hooks = {
    now: () => Date.now(),
    clock: () => performance.now(),
    typeFor: (request) => {
      log.typeRequests.push(request);
      return request && typeof request.monitorType === 'string' ? request.monitorType : 'default';
    },
    recordGeneration: (e) => log.generations.push({ ...e, chunkGapsMs: e.chunkGapsMs === undefined ? undefined : Array.from(e.chunkGapsMs) }),
    recordModelLoad: (e) => log.loads.push(e),
    loadStarted: (e) => log.loadStarted.push(e),
    loadProgress: (e) => log.progress.push(e),
    loadFinished: (e) => log.loadFinished.push(e),
    unloaded: (e) => log.unloaded.push(e),
    generationStarted: (e) => log.started.push(e),
    generationFinished: (e) => log.finished.push(e),
    fault: (where, error) => log.faults.push({ where, error }),
    ...overrides,
  };
  return { hooks, log };
}

/** A console stand-in (the monitor's `logger`) that keeps every call as [level, ...args] in `entries`. */
export function recordingLogger() {
  const entries = [];
  const sink = {};
  for (const level of ['debug', 'info', 'warn', 'error', 'log', 'table']) sink[level] = (...args) => entries.push([level, ...args]);
  return { sink, entries };
}

/**
 * The error a promise rejects with (or a function throws or rejects with, when given a function);
 * fails the test when it resolves.
 */
export async function rejection(promiseOrFn) {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Every chunk of an async iterable. */
export async function collect(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

#!/usr/bin/env node
// A simulated WebLLM session fed into a MonitorCore, then the text report.
//
//   node examples/simulated-session.mjs [--json FILE] [--now EPOCH_MS] [--seed N]
//
// No GPU and no model weights needed: a seeded PRNG plays a ~35 minute session of a web app that
// streams chats and summaries from Llama-3.2-1B and translations from Qwen2.5-0.5B, with model
// downloads then cache loads, a lost GPU device and the reload after it, a few aborts and errors,
// memory samples every 5 seconds, cache lookups, a custom "retrieval" operation, and WebGPU
// adapter information like SwiftShader's. The timeline is shifted to end at `--now` (default: the
// current time), so the 1 min / 5 min / 1 h windows show the end of the session. Same seed and
// same --now: the same export, byte for byte.

import { writeFile } from 'node:fs/promises';
import { MonitorCore } from '../js/core.js';
import { makeRandom } from '../js/random.js';

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = { json: null, now: Date.now(), seed: 20241123 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--json') args.json = value();
    else if (a === '--now') args.now = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--help' || a === '-h') {
      console.log('usage: node examples/simulated-session.mjs [--json FILE] [--now EPOCH_MS] [--seed N]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!Number.isFinite(args.now) || args.now < 0) throw new Error('--now: expected epoch milliseconds');
  if (!Number.isInteger(args.seed)) throw new Error('--seed: expected an integer');
  return args;
}

// ---------------------------------------------------------------------------------------------
// The simulated app

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';

const MODELS = {
  [LLAMA]: {
    bytes: 879_040_512, // weight shards fetched on the first load
    gpuBytes: 1_187_512_320, // weights + KV cache + workspace buffers
    downloadMs: 38_500,
    cacheLoadMs: 3_400,
    prefillTps: 950,
    decodeTps: 41,
    contextWindow: 4096,
  },
  [QWEN]: {
    bytes: 289_406_976,
    gpuBytes: 990_511_104,
    downloadMs: 14_200,
    cacheLoadMs: 1_900,
    prefillTps: 1_900,
    decodeTps: 74,
    contextWindow: 4096,
  },
};

const TYPES = {
  chat: { model: LLAMA, operation: 'chat', prompt: 180, completion: 140, maxTokens: 512, temperature: 0.7 },
  enhance_summary: { model: LLAMA, operation: 'completion', prompt: 1100, completion: 170, maxTokens: 256, temperature: 0.3 },
  translate: { model: QWEN, operation: 'chat', prompt: 220, completion: 240, maxTokens: 1024, temperature: 0.2 },
};

const GENERATIONS = 300;
const MEMORY_EVERY_MS = 5_000;

function contextError(promptTokens, window) {
  const err = new Error(
    `Prompt tokens exceed context window size: number of prompt tokens: ${promptTokens}; context window size: ${window}; ` +
      'consider shortening the prompt, or increase `context_window_size`, or using sliding window via `sliding_window_size`.',
  );
  err.name = 'ContextWindowSizeExceededError';
  return err;
}

/**
 * Plays the session in relative time (0 = page load) and returns the events as
 * [time, method, payload] with times relative to the start; the caller shifts them.
 */
function simulate(rand) {
  const events = [];
  const at = (t, method, payload) => events.push([t, method, payload]);
  const loaded = new Set();
  const downloaded = new Set();
  let t = 0;

  at(40, 'recordWebGpu', {
    timestamp: 40,
    available: true,
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: 'SwiftShader Device (Subzero)',
    isFallbackAdapter: true,
    limits: {
      maxBufferSize: 2147483648,
      maxStorageBufferBindingSize: 2147483648,
      maxComputeWorkgroupStorageSize: 32768,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupSizeX: 256,
      maxStorageBuffersPerShaderStage: 10,
    },
    features: ['depth-clip-control', 'float32-filterable', 'shader-f16', 'timestamp-query', 'indirect-first-instance'],
  });

  // The retrieval index warms up: 64 embedding lookups recorded in one call.
  const warmup = new Float64Array(64);
  for (let i = 0; i < warmup.length; i++) warmup[i] = Math.round(rand.lognormal(11, 0.35) * 100) / 100;
  at(120, 'recordDurations', ['retrieval', warmup, { startedAt: 120 }]);

  const load = (model, startedAt) => {
    const m = MODELS[model];
    const cached = downloaded.has(model);
    for (const cache of ['webllm/config', 'webllm/wasm', 'webllm/model']) at(startedAt, 'recordCacheLookup', { cache, hit: cached, timestamp: startedAt });
    const durationMs = Math.round(rand.lognormal(cached ? m.cacheLoadMs : m.downloadMs, 0.12));
    at(startedAt, 'recordModelLoad', {
      model,
      startedAt,
      durationMs,
      fromCache: cached,
      bytesFetched: cached ? 0 : m.bytes,
    });
    downloaded.add(model);
    loaded.add(model);
    return startedAt + durationMs;
  };

  t = load(LLAMA, 300) + 800;

  let deviceLostDone = false;
  let qwenLoaded = false;
  let conversationTokens = 0;
  for (let i = 0; i < GENERATIONS; i++) {
    const type = rand.pick([
      ['chat', 55],
      ['enhance_summary', 25],
      ['translate', qwenLoaded ? 20 : 0],
    ]);
    const spec = TYPES[type];
    const model = spec.model;
    const m = MODELS[model];

    // Translation needs the second model: loaded on first use, a third into the session.
    if (!qwenLoaded && i >= GENERATIONS / 3) {
      t = load(QWEN, t) + 500;
      qwenLoaded = true;
    }
    // Reload after a lost device.
    if (!loaded.has(model)) t = load(model, t) + 400;

    // The retrieval step before about 40% of chats.
    if (type === 'chat' && rand.chance(0.4)) {
      const failed = rand.chance(0.03);
      const durationMs = failed ? 2000 : Math.round(rand.lognormal(34, 0.45) * 10) / 10;
      at(t, 'recordOperation', {
        name: 'retrieval',
        startedAt: t,
        durationMs,
        ...(failed ? { error: 'TimeoutError: vector store did not answer within 2000 ms' } : {}),
      });
      t += durationMs;
    }

    const startedAt = t;
    conversationTokens = type === 'chat' ? conversationTokens + 1 : 0;
    let promptTokens = Math.max(8, Math.round(rand.lognormal(spec.prompt, 0.45)));
    if (type === 'enhance_summary' && rand.chance(0.03)) promptTokens = rand.int(4200, 6000);
    const promptChars = Math.round(promptTokens * rand.lognormal(3.9, 0.08));
    const base = { model, type, operation: spec.operation, startedAt, promptChars, temperature: spec.temperature, maxTokens: spec.maxTokens };

    // Errors: an oversized prompt is refused by the engine right away.
    if (promptTokens > m.contextWindow) {
      const durationMs = Math.round(rand.lognormal(9, 0.3) * 10) / 10;
      at(startedAt, 'recordGeneration', { ...base, durationMs, error: contextError(promptTokens, m.contextWindow) });
      t += durationMs + rand.exponential(1500);
      continue;
    }
    // Two thirds in, the GPU device is lost mid-generation (out of memory); the models unload.
    if (!deviceLostDone && i >= (GENERATIONS * 2) / 3 && type === 'chat') {
      deviceLostDone = true;
      const durationMs = Math.round(rand.lognormal(600, 0.2));
      at(startedAt, 'recordGeneration', {
        ...base,
        durationMs,
        ttftMs: Math.round(durationMs * 0.6),
        // A Web Worker engine rejects with a string.
        error: 'DeviceLostError: WebGPU device was lost. This can happen due to insufficient memory or other GPU constraints.',
      });
      at(startedAt + durationMs, 'recordDeviceLost', {
        timestamp: startedAt + durationMs,
        reason: 'unknown',
        message: 'GPU connection lost',
        model: base.model,
      });
      loaded.clear();
      t += durationMs + 1200;
      continue;
    }

    // A streamed generation: prefill, then one chunk per token.
    const prefillTps = rand.lognormal(m.prefillTps, 0.12);
    const decodeTps = rand.lognormal(m.decodeTps, 0.1);
    const engineTtftMs = (promptTokens / prefillTps) * 1000;
    const ttftMs = engineTtftMs + rand.lognormal(35, 0.4) + (rand.chance(0.1) ? rand.exponential(250) : 0);
    let completionTokens =
      type === 'translate' ? Math.round(promptTokens * rand.lognormal(1.1, 0.15)) : Math.max(1, Math.round(rand.lognormal(spec.completion, 0.6)));
    let finishReason = 'stop';
    if (completionTokens >= spec.maxTokens) {
      completionTokens = spec.maxTokens;
      finishReason = 'length';
    }
    const aborted = rand.chance(0.025);
    if (aborted) {
      completionTokens = Math.max(2, Math.round(completionTokens * rand.uniform() * 0.6));
      finishReason = 'abort';
    }
    const gaps = new Float64Array(completionTokens - 1);
    let decodeMs = 0;
    const gapMedian = 1000 / decodeTps;
    for (let k = 0; k < gaps.length; k++) {
      let gap = rand.lognormal(gapMedian, 0.22);
      if (rand.chance(0.008)) gap += rand.lognormal(60, 0.5); // a GC pause or a busy main thread
      gap = Math.round(gap * 100) / 100;
      gaps[k] = gap;
      decodeMs += gap;
    }
    const durationMs = Math.round((ttftMs + decodeMs) * 100) / 100;
    const event = {
      ...base,
      durationMs,
      ttftMs: Math.round(ttftMs * 100) / 100,
      chunkGapsMs: gaps,
      promptTokens,
      completionTokens,
      finishReason,
      responseChars: Math.round(completionTokens * rand.lognormal(4.1, 0.1)),
    };
    if (!aborted) {
      // usage arrives with stream_options.include_usage; an interrupted request has none.
      event.engineTtftMs = Math.round(engineTtftMs * 100) / 100;
      event.enginePrefillTokensPerSec = Math.round(prefillTps * 100) / 100;
      event.engineDecodeTokensPerSec = Math.round(((completionTokens - 1) / decodeMs) * 1000 * 100) / 100;
      event.engineTimePerOutputTokenMs = Math.round((decodeMs / (completionTokens - 1)) * 1000) / 1000;
    }
    at(startedAt, 'recordGeneration', event);
    t += durationMs + rand.exponential(type === 'chat' ? 1800 : 3000);
  }
  const end = t;

  // Memory every 5 s over the whole session: a sawtooth JS heap, the wasm heap, the GPU buffers
  // of the loaded models (0 between the lost device and the reload), the cache in storage.
  const loads = events.filter(([, method]) => method === 'recordModelLoad').map(([, , e]) => e);
  const lostAt = events.find(([, method]) => method === 'recordDeviceLost')?.[0] ?? Infinity;
  let heap = 38e6;
  for (let ts = 1000; ts <= end; ts += MEMORY_EVERY_MS) {
    heap += rand.lognormal(2.2e6, 0.3);
    if (heap > 96e6) heap = 41e6 + rand.uniform() * 4e6; // major GC
    let gpu = 0;
    let storage = 4_800_000;
    const live = new Map();
    for (const l of loads) {
      const ready = l.startedAt + l.durationMs;
      if (ready <= ts) storage += l.bytesFetched;
      if (ready <= ts && !(l.startedAt < lostAt && ts >= lostAt)) live.set(l.model, true);
    }
    for (const model of live.keys()) gpu += MODELS[model].gpuBytes;
    const used = Math.round(heap);
    at(ts, 'recordMemorySample', {
      label: 'periodic',
      timestamp: ts,
      usedJSHeapSize: used,
      totalJSHeapSize: Math.round(used * 1.22),
      jsHeapSizeLimit: 4_294_705_152,
      wasmHeapBytes: live.size ? 268_435_456 + 16_777_216 : 16_777_216,
      gpuBufferBytes: gpu,
      storageUsage: storage,
      storageQuota: 64_424_509_440,
      // measureUserAgentSpecificMemory() is slow and only sampled once a minute.
      userAgentBytes: ts % 60_000 < MEMORY_EVERY_MS ? Math.round(used * 1.9 + 268_435_456) : undefined,
    });
  }
  return { events, end };
}

/** Shifts every timestamp of an event by `dt`. */
function shift(method, payload, dt) {
  if (method === 'recordDurations') {
    const [name, values, options] = payload;
    return [name, values, { ...options, startedAt: options.startedAt + dt }];
  }
  const out = { ...payload };
  for (const key of ['startedAt', 'timestamp']) if (typeof out[key] === 'number') out[key] += dt;
  return [out];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const rand = makeRandom(args.seed);
  const { events, end } = simulate(rand);
  // The last event ends half a second before "now".
  const dt = args.now - 500 - end;
  events.sort((a, b) => a[0] - b[0]);

  const monitor = await MonitorCore.create({ historySize: 500 });
  try {
    monitor.reset(dt); // the session starts with the simulated timeline, not with this process
    for (const [, method, payload] of events) monitor[method](...shift(method, payload, dt));
    const { accepted, rejected } = monitor.flush();
    for (const r of rejected) console.error(`refused event ${r.record}: ${r.message}`);
    console.log(
      `Simulated WebLLM session: ${accepted} events over ${(end / 60_000).toFixed(1)} min ending ${new Date(args.now).toISOString()} (seed ${args.seed})\n`,
    );
    console.log(monitor.report(args.now));
    if (args.json) {
      await writeFile(args.json, monitor.exportJson(args.now));
      console.log(`export written to ${args.json}`);
    }
    if (rejected.length) process.exitCode = 1;
  } finally {
    monitor.dispose();
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});

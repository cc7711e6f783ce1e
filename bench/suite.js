// The measurements of `npm run bench` that run the same way in Node and in the browser: each
// contender's ingestion, p99 query, accuracy and memory; then the monitor's own costs
// (getMetrics() and exportMetrics() after 1M generations, recordGeneration, the wrapper's
// per-chunk overhead on a simulated stream). Returns plain data; bench/run.mjs judges it.
import { CONTENDERS } from './contenders.js';
import { MonitorCore } from '../js/core.js';
import { createMonitor } from '../js/monitor.js';
import { SimulatedMLCEngine } from '../js/simulated-engine.js';
import { mulberry32 } from '../js/random.js';

export const QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999];

/** Seeded data sets: milliseconds-like values. */
export function dataset(kind, n, seed = 7) {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'lognormal') out[i] = Math.exp(Math.log(300) + 0.8 * normal());
    else if (kind === 'pareto')
      out[i] = 10 / Math.pow(1 - rand(), 1 / 1.5); // alpha 1.5, x_m 10
    else out[i] = rand() < 0.7 ? Math.exp(Math.log(40) + 0.2 * normal()) : Math.exp(Math.log(2000) + 0.3 * normal());
  }
  return out;
}

/** Nearest-rank quantile of sorted values: the definition every contender is judged against. */
export function exactQuantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length - 1e-9) - 1))];
}

const now = () => performance.now();

/**
 * Time per call of fn (ms): calls repeated in batches of at least `minMs` (so that the timer's
 * resolution does not matter), the best of `batches`.
 */
function perCall(fn, { minMs = 20, batches = 5, maxCalls = 1e7 } = {}) {
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    let calls = 0;
    const t0 = now();
    let t = t0;
    while (t - t0 < minMs && calls < maxCalls) {
      for (let k = 0; k < 16; k++) fn();
      calls += 16;
      t = now();
    }
    best = Math.min(best, (t - t0) / calls);
  }
  return best;
}

/** Median of `reps` timings of fn (ms). */
function median(reps, fn) {
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    fn();
    t.push(now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/**
 * Per contender: ns per value ingested (best of `reps` fresh sketches of n values), µs per p99
 * query on the filled sketch, bytes after n and after 10 n values, worst relative error per
 * data set over p50..p999.
 * @param {{ n?: number, reps?: number, accuracyN?: number, log?: (s: string) => void, only?: string[] }} [o]
 */
export async function runSketches({ n = 1_000_000, reps = 3, accuracyN = 1_000_000, log = () => {}, only } = {}) {
  const values = dataset('lognormal', n, 1);
  const results = [];
  const sets = {};
  for (const kind of ['lognormal', 'pareto', 'bimodal']) {
    const data = dataset(kind, accuracyN, 11);
    sets[kind] = { data, sorted: Float64Array.from(data).sort() };
  }
  for (const c of CONTENDERS) {
    if (only && !only.includes(c.id)) continue;
    log(`  ${c.name}`);
    const r = { id: c.id, name: c.name, peer: c.peer };
    // Ingestion: best of reps, each into a fresh sketch.
    let best = Infinity;
    let sketch = null;
    for (let k = 0; k < reps; k++) {
      sketch?.dispose();
      sketch = await c.create();
      const t0 = now();
      sketch.addAll(values);
      best = Math.min(best, now() - t0);
    }
    r.ingestNsPerValue = (best * 1e6) / n;
    // Query: p99 on the filled sketch, per call over batches of calls (the sorted array: 3 sorts).
    let sink = 0;
    const query = () => (sink += sketch.quantile(0.99));
    r.p99QueryUs = (c.id === 'array' ? median(3, query) : perCall(query)) * 1000;
    r.bytesAfter1M = sketch.bytes();
    if (c.id !== 'array' && c.id !== 'tdigest') {
      for (let k = 0; k < 9; k++) sketch.addAll(values);
      r.bytesAfter10M = sketch.bytes();
    } else {
      r.bytesAfter10M = null; // the array would hold 80 MB; tdigest takes minutes for 10M
    }
    sketch.dispose();
    if (sink === 42) log('');
    // Accuracy.
    r.worstRelativeError = {};
    for (const [kind, { data, sorted }] of Object.entries(sets)) {
      const s = await c.create();
      s.addAll(data);
      let worst = 0;
      for (const q of QUANTILES) {
        const exact = exactQuantile(sorted, q);
        worst = Math.max(worst, Math.abs(s.quantile(q) - exact) / exact);
      }
      r.worstRelativeError[kind] = worst;
      s.dispose();
    }
    results.push(r);
  }
  return results;
}

/** A session of `n` generations (8 chunk gaps each) recorded through MonitorCore. */
function feedGenerations(core, n, seed = 3) {
  const rand = mulberry32(seed);
  const models = ['Llama-3.2-1B-Instruct-q4f16_1-MLC', 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', 'Phi-3.5-mini-instruct-q4f16_1-MLC'];
  const types = ['chat', 'enhance_summary', 'translate', 'classify'];
  const gaps = new Float64Array(8);
  let t = Date.now() - n * 50;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < gaps.length; k++) gaps[k] = 15 + rand() * 20;
    const ttftMs = 100 + rand() * 400;
    core.recordGeneration({
      model: models[i % 3],
      type: types[i % 4],
      startedAt: t,
      durationMs: ttftMs + 200,
      ttftMs,
      chunkGapsMs: gaps,
      promptTokens: 50 + (i % 500),
      completionTokens: 9,
      ...(i % 97 === 0 ? { errorName: 'TypeError', errorMessage: 'x' } : {}),
    });
    t += 50;
  }
  core.flush();
}

/**
 * The monitor's own costs: recordGeneration per generation, getMetrics() and exportMetrics()
 * after `generations` generations, and the wrapper's per-chunk overhead.
 * @param {{ generations?: number, log?: (s: string) => void }} [o]
 */
export async function runMonitor({ generations = 1_000_000, log = () => {} } = {}) {
  const out = {};
  log(`  recording ${generations} generations`);
  const core = await MonitorCore.create({ historySize: 1000 });
  const t0 = now();
  feedGenerations(core, generations);
  out.recordGenerationUs = ((now() - t0) * 1000) / generations;
  core.metrics(); // warm
  out.metricsMs = median(15, () => core.metrics());
  let text = '';
  out.exportMs = median(5, () => (text = core.exportJson()));
  out.exportBytes = text.length;
  out.quantileUs = perCall(() => core.quantile('generations.ttftMs', 0.99)) * 1000;
  out.coreMemoryBytes = core.memoryBytes();
  log('  getMetrics() snapshots of the same session');
  out.snapshot = await snapshotCosts(text);
  core.dispose();
  log('  recording costs per event, beside DDSketch accept()');
  out.recording = await recordingCosts();
  log('  wrapper overhead per chunk');
  out.wrapper = await wrapperOverhead();
  return out;
}

/**
 * getMetrics() of a monitor holding the session `exportText`: unchanged (the same snapshot), after
 * a change (a cache lookup) and after a generation (a new frozen snapshot each), beside
 * JSON.parse(JSON.stringify()) of that snapshot.
 */
async function snapshotCosts(exportText) {
  const monitor = await createMonitor({ memory: false, webgpu: false, sampleIntervalMs: 0 });
  monitor.importMetrics(exportText);
  const t = Date.now();
  const change = () => monitor.recordCacheLookup({ cache: 'bench', hit: true, timestamp: t });
  let snapshot = monitor.getMetrics();
  const unchangedUs = perCall(() => monitor.getMetrics()) * 1000;
  // A change and a read, minus the change alone: the build of one snapshot.
  const changedMs = median(15, () => {
    change();
    snapshot = monitor.getMetrics();
  });
  const changeMs = median(15, change);
  const roundTripMs = median(15, () => JSON.parse(JSON.stringify(snapshot)));
  const bytes = JSON.stringify(snapshot).length;
  // The same after a generation: the generations section is written again, not kept.
  const generation = () => monitor.recordGeneration({ model: 'bench', startedAt: t - 300, durationMs: 300, ttftMs: 50, chunkGapsMs: [10, 12] });
  const generatedMs = median(15, () => {
    generation();
    snapshot = monitor.getMetrics();
  });
  const generationMs = median(15, generation);
  await monitor.dispose();
  return { unchangedUs, afterChangeMs: changedMs - changeMs, afterGenerationMs: generatedMs - generationMs, roundTripMs, bytes };
}

/**
 * ns per event of what the monitor records itself (queued, handed to the core in one batch:
 * MonitorCore#recordOperation / #recordGeneration and a flush per 1,000 events), of a manual
 * Monitor#recordOperation (synchronous outcome) and of track(), beside DDSketch's accept() of
 * one value in the same run. Best of 5 rounds of `n` events.
 */
async function recordingCosts({ n = 100_000 } = {}) {
  const { DDSketch } = await import('@datadog/sketches-js');
  const values = dataset('lognormal', n, 5);
  const t = Date.now() - 60_000;
  const operations = Array.from({ length: n }, (_, i) => ({
    name: i % 5 === 0 ? 'embed' : 'retrieve',
    startedAt: t + i * 0.1,
    durationMs: values[i],
    success: i % 50 !== 0,
  }));
  const gaps = Array.from({ length: 64 }, (_, k) => Float64Array.from({ length: 8 }, (_, j) => 15 + ((k * 8 + j) % 20)));
  const generations = Array.from({ length: n }, (_, i) => ({
    model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
    type: i % 2 ? 'chat' : 'summary',
    startedAt: t + i * 0.1,
    durationMs: 300 + values[i],
    ttftMs: values[i],
    promptTokens: 50 + (i % 500),
    completionTokens: 9,
    chunkGapsMs: gaps[i % 64],
  }));
  const best = (fn) => {
    let b = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = now();
      fn();
      b = Math.min(b, now() - t0);
    }
    return (b * 1e6) / n;
  };
  const acceptNs = best(() => {
    const sketch = new DDSketch({ relativeAccuracy: 0.01 });
    for (let i = 0; i < n; i++) sketch.accept(values[i]);
  });
  const core = await MonitorCore.create();
  const batched = (method, events) => () => {
    for (let i = 0; i < n; i++) {
      core[method](events[i]);
      if (i % 1000 === 999) core.flush();
    }
    core.flush();
  };
  const recordOperationNs = best(batched('recordOperation', operations));
  const recordGenerationNs = best(batched('recordGeneration', generations));
  core.dispose();
  const monitor = await createMonitor({ memory: false, webgpu: false, sampleIntervalMs: 0 });
  const manualOperationNs = best(() => {
    for (let i = 0; i < n; i++) monitor.recordOperation(operations[i]);
  });
  const work = () => 1;
  const trackNs = best(() => {
    for (let i = 0; i < n; i++) monitor.track('stage', work);
    monitor.getMetrics(); // hands the queued batch over
  });
  await monitor.dispose();
  return { acceptNs, recordOperationNs, recordGenerationNs, manualOperationNs, trackNs };
}

/** ns per chunk: a wrapped simulated engine's stream minus the bare engine's, same requests. */
async function wrapperOverhead({ requests = 40, tokens = 500 } = {}) {
  const request = { messages: [{ role: 'user', content: 'Tell me a story.' }], stream: true, max_tokens: tokens, stream_options: { include_usage: true } };
  const consume = async (engine) => {
    let chunks = 0;
    const t0 = now();
    for (let r = 0; r < requests; r++) {
      for await (const c of await engine.chat.completions.create(request)) if (c) chunks++;
    }
    return { ms: now() - t0, chunks };
  };
  const model = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
  const bare = new SimulatedMLCEngine({ timeScale: 0, seed: 5, medianTokens: tokens });
  await bare.reload(model);
  const monitor = await createMonitor({ memory: false, webgpu: false, sampleIntervalMs: 0 });
  const inner = new SimulatedMLCEngine({ timeScale: 0, seed: 5, medianTokens: tokens });
  const wrapped = monitor.wrap(inner);
  await wrapped.reload(model);
  // Alternate to spread noise; keep the best of each.
  let b = Infinity;
  let w = Infinity;
  let chunks = 0;
  for (let k = 0; k < 5; k++) {
    const x = await consume(bare);
    const y = await consume(wrapped);
    b = Math.min(b, x.ms);
    w = Math.min(w, y.ms);
    chunks = y.chunks;
  }
  const generations = monitor.getMetrics().generations.total;
  await monitor.dispose();
  return { chunks, generations, bareNsPerChunk: (b * 1e6) / chunks, wrappedNsPerChunk: (w * 1e6) / chunks, overheadNsPerChunk: ((w - b) * 1e6) / chunks };
}

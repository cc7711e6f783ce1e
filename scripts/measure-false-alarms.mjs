#!/usr/bin/env node
// Measures how often `compareExports` (js/cli/regression.js) reports a regression between two
// runs with the SAME settings (false alarms), and how often it detects an injected slowdown.
//
// Each run is a CI-like workload of N generations recorded into a MonitorCore (the same path as
// the monitor: recordGeneration, then exportJson). The events are drawn from the simulated
// engine's distributions (js/simulated-engine.js, Llama-3.2-1B profile: 48 decode tokens/s,
// 900 prefill tokens/s, reply length lognormal(median 60, sigma 0.6), per-token time
// lognormal(1000/48 ms, 0.2), prefill lognormal(35 + 1000·prompt/900 ms, 0.25)) with a 2% error
// rate; every run has its own seed. Drawing the events directly (instead of driving the engine
// with real waits) keeps 2 × 200 × 3 scenarios of runs under a minute; the statistics are the same.
//
// Scenarios: "iid" runs differ only by sampling noise (what the simulated engine does). "drift"
// adds a run-level speed factor lognormal(1, sigma) shared by every generation of a run, as a
// CI machine's load would, which the per-generation test cannot tell from a real change.
//
// usage: node scripts/measure-false-alarms.mjs [--pairs 200] [--null-pairs 1000] [--generations 40] [--seed 1] [--out test-results/false-alarms.json]

import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MonitorCore } from '../js/core.js';
import { makeRandom } from '../js/random.js';
import { compareExports, METHOD, regressionDefaults } from '../js/cli/regression.js';

const PROFILE = { decodeTps: 48, prefillTps: 900, medianTokens: 60 };

/**
 * One run as an export document (parsed).
 * @param {{ seed: number, generations?: number, slowdown?: number, runFactor?: number, errorRate?: number, core?: MonitorCore, keep?: boolean, type?: string }} o
 *   slowdown multiplies TTFT (prefill) and per-token times; runFactor multiplies every time of the run;
 *   keep: add to the core's data instead of starting from empty.
 */
export async function simulateRun({ seed, generations = 40, slowdown = 1, runFactor = 1, errorRate = 0.02, core, keep = false, type }) {
  const m = core ?? (await MonitorCore.create());
  const t0 = 1_790_000_000_000;
  // Reset at the run's own start, not at the clock's: the same seed gives the same export.
  if (!keep) m.reset(t0);
  const r = makeRandom(seed);
  let t = t0;
  const f = slowdown * runFactor;
  for (let i = 0; i < generations; i++) {
    const promptTokens = Math.max(8, Math.round(r.lognormal(200, 0.5)));
    const prefillMs = r.lognormal(35 + (1000 * promptTokens) / PROFILE.prefillTps, 0.25) * f;
    const ttftMs = prefillMs + r.lognormal(3, 0.3) * runFactor;
    if (r.chance(errorRate)) {
      m.recordGeneration({
        model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
        type,
        startedAt: t,
        durationMs: prefillMs,
        promptTokens,
        error: 'ContextWindowSizeExceededError: Prompt tokens exceed context window size',
      });
      t += prefillMs + 500;
      continue;
    }
    const tokens = Math.max(2, Math.min(2048, Math.round(r.lognormal(PROFILE.medianTokens, 0.6))));
    const gaps = new Float64Array(tokens - 1);
    let decodeMs = 0;
    for (let j = 0; j < gaps.length; j++) {
      gaps[j] = r.lognormal(1000 / PROFILE.decodeTps, 0.2) * f;
      decodeMs += gaps[j];
    }
    const durationMs = ttftMs + decodeMs;
    m.recordGeneration({
      model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
      type,
      startedAt: t,
      durationMs,
      ttftMs,
      chunkGapsMs: gaps,
      promptTokens,
      completionTokens: tokens,
      engineTtftMs: prefillMs,
      enginePrefillTokensPerSec: promptTokens / (prefillMs / 1000),
      engineDecodeTokensPerSec: (tokens - 1) / (decodeMs / 1000),
      engineTimePerOutputTokenMs: decodeMs / (tokens - 1),
    });
    t += durationMs + 500;
  }
  const doc = JSON.parse(m.exportJson(t));
  if (!core) m.dispose();
  return doc;
}

async function measure({ pairs, generations, seed, slowdown, runSigma, core }) {
  let alarms = 0;
  const byMetric = {};
  for (let k = 0; k < pairs; k++) {
    const base = seed * 1_000_003 + k * 2;
    const rf = makeRandom(base ^ 0x5eed);
    const factor = () => (runSigma > 0 ? Math.exp(runSigma * rf.normal()) : 1);
    const a = await simulateRun({ seed: base, generations, runFactor: factor(), core });
    const b = await simulateRun({ seed: base + 1, generations, slowdown, runFactor: factor(), core });
    const result = await compareExports(a, b);
    if (result.regressions > 0) alarms++;
    for (const f of result.findings) if (f.regression) byMetric[f.metric] = (byMetric[f.metric] ?? 0) + 1;
  }
  return { rate: alarms / pairs, alarms, pairs, byMetric };
}

async function main() {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '200' },
      'null-pairs': { type: 'string', default: '1000' },
      generations: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'test-results/false-alarms.json' },
    },
  });
  const pairs = Number(values.pairs);
  const nullPairs = Number(values['null-pairs']);
  const generations = Number(values.generations);
  const seed = Number(values.seed);
  const started = Date.now();
  const core = await MonitorCore.create();
  const scenarios = [
    { name: 'same settings (iid)', slowdown: 1, runSigma: 0 },
    { name: 'same settings, run drift σ=3%', slowdown: 1, runSigma: 0.03 },
    { name: 'same settings, run drift σ=5%', slowdown: 1, runSigma: 0.05 },
    { name: 'slowdown ×1.1 (iid)', slowdown: 1.1, runSigma: 0 },
    { name: 'slowdown ×1.3 (iid)', slowdown: 1.3, runSigma: 0 },
    { name: 'slowdown ×1.5 (iid)', slowdown: 1.5, runSigma: 0 },
    { name: 'slowdown ×1.3, run drift σ=3%', slowdown: 1.3, runSigma: 0.03 },
  ];
  const results = [];
  for (const s of scenarios) {
    const r = await measure({ pairs: s.slowdown === 1 ? nullPairs : pairs, generations, seed, slowdown: s.slowdown, runSigma: s.runSigma, core });
    results.push({ scenario: s.name, slowdown: s.slowdown, runSigma: s.runSigma, kind: s.slowdown === 1 ? 'false alarm rate' : 'detection rate', ...r });
  }
  core.dispose();
  const defaults = await regressionDefaults();
  const w = Math.max(...results.map((r) => r.scenario.length));
  console.log(
    `${generations} generations per run, ${nullPairs} pairs per same-settings scenario, ${pairs} per slowdown, alpha ${defaults.alpha}, threshold ${defaults.threshold * 100}%\n`,
  );
  console.log(`${'scenario'.padEnd(w)}  ${'measures'.padEnd(16)}  rate`);
  for (const r of results) console.log(`${r.scenario.padEnd(w)}  ${r.kind.padEnd(16)}  ${(r.rate * 100).toFixed(1).padStart(5)}%  (${r.alarms}/${r.pairs})`);
  const doc = {
    generatedAt: new Date().toISOString(),
    method: METHOD,
    alpha: defaults.alpha,
    thresholds: { percentile: defaults.threshold, errorRate: defaults.errorRate, hitRate: defaults.hitRate },
    workload: { generationsPerRun: generations, pairs, nullPairs, seed, profile: PROFILE, errorRate: 0.02 },
    results,
    elapsedMs: Date.now() - started,
  };
  await mkdir(dirname(values.out), { recursive: true });
  await writeFile(values.out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`\n${values.out} written (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

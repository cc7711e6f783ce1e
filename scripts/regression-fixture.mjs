#!/usr/bin/env node
// Writes tests/cli/fixtures/regression-expected.json, a generated file (do not edit it): the
// result of compareExports (js/cli/regression.js) on a fixed set of export pairs, with a digest
// of each input export. The results were recorded with the JavaScript statistics that the core
// (wasm/regression.cpp) replaced; tests/cli/regression.test.mjs rebuilds the same exports,
// checks their digests and compares today's results with the recorded ones (differences():
// p-values to 1e-9 relative, every other value and every message exactly).
//
// The pairs: those of the CLI and regression tests (base/same/slow, identical runs, slowdowns,
// speed-ups, error and cache hit rates, too little data, histograms at different scales, chunk
// gaps, several types), simulated runs at the speeds of scripts/measure-false-alarms.mjs with
// and without run drift, runs past the exact limit (histogram basis, p99), model loads; under
// several options (thresholds, alpha, minCount, byType, correction).
//
// usage: node scripts/regression-fixture.mjs [--check]
//   --check: write nothing; list the differences from the file, exit 1 when there are any.

import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MonitorCore } from '../js/core.js';
import { makeRandom } from '../js/random.js';
import { compareExports } from '../js/cli/regression.js';
import { simulateRun } from './measure-false-alarms.mjs';

export const FIXTURE = fileURLToPath(new URL('../tests/cli/fixtures/regression-expected.json', import.meta.url));
const T0 = 1_700_000_000_000;

/**
 * One export document from its description.
 * @param {any} spec { kind: 'run' (simulateRun's options) | 'types' | 'cache' | 'scale' | 'loads', ... }
 * @param {MonitorCore} core a scratch monitor (its data is replaced)
 */
export async function buildDoc(spec, core) {
  const { kind, ...o } = spec;
  if (kind === 'run') return simulateRun({ ...o, core });
  if (kind === 'types') {
    // Two request types in one session, the second one slowed down.
    await simulateRun({ seed: o.seed, core, type: 'chat' });
    return simulateRun({ seed: o.seed + 100, core, keep: true, type: 'summary', slowdown: o.slow });
  }
  core.reset(T0);
  const r = makeRandom(o.seed);
  if (kind === 'cache') {
    for (let i = 0; i < 200; i++) core.recordCacheLookup({ cache: 'kv', hit: r.chance(o.hitProb), timestamp: T0 + i });
  } else if (kind === 'scale') {
    for (let i = 0; i < 300; i++) core.recordGeneration({ model: 'm', startedAt: T0 + i * 1000, durationMs: 5000, ttftMs: r.lognormal(200, 0.3) * o.factor });
    // Values spread over more than 25 octaves force the histogram to a coarser scale.
    if (o.outliers) for (const v of [0.0001, 4000]) core.recordGeneration({ model: 'm', startedAt: T0, durationMs: 5000, ttftMs: v });
  } else if (kind === 'loads') {
    for (let i = 0; i < o.loads; i++)
      core.recordModelLoad({ model: 'm', startedAt: T0 + i * 60_000, durationMs: r.lognormal(3000, 0.3) * o.factor, fromCache: r.chance(0.5) });
    for (let i = 0; i < 50; i++) core.recordCacheLookup({ cache: 'weights', hit: r.chance(o.hitProb), timestamp: T0 + i });
  } else {
    throw new Error(`buildDoc: unknown kind ${kind}`);
  }
  return JSON.parse(core.exportJson(T0 + 1e7));
}

/** sha256 of the export's JSON text. */
export const digest = (doc) => createHash('sha256').update(JSON.stringify(doc)).digest('hex');

/** The pairs: [name, baseline spec, current spec, options]. */
export function fixtureCases() {
  const run = (seed, more = {}) => ({ kind: 'run', seed, ...more });
  const cases = [
    ['cli base/same', run(1), run(2), {}],
    ['cli base/slow', run(1), run(3, { slowdown: 1.5 }), {}],
    ['cli base/slow, threshold 500%', run(1), run(3, { slowdown: 1.5 }), { threshold: 5 }],
    ['cli base/slow, alpha 1e-30', run(1), run(3, { slowdown: 1.5 }), { alpha: 1e-30 }],
    ['cli merge inputs (p99)', run(5, { generations: 200 }), run(6, { generations: 150, slowdown: 1.2 }), {}],
    ['identical', run(11), run(11), {}],
    ['clear slowdown', run(21), run(22, { slowdown: 1.5 }), {}],
    ['3% shift', run(31), run(31, { slowdown: 1.03 }), {}],
    ['3% shift, 2% threshold by path', run(31), run(31, { slowdown: 1.03 }), { thresholds: { 'timePerOutputTokenMs.p50': 0.02 } }],
    ['faster', run(41), run(42, { slowdown: 0.6 }), {}],
    ['slower (reverse of faster)', run(42, { slowdown: 0.6 }), run(41), {}],
    ['error rate jump', run(51, { generations: 100 }), run(52, { generations: 100, errorRate: 0.3 }), {}],
    ['small error rate change', run(51, { generations: 100 }), run(53, { generations: 100, errorRate: 0.04 }), {}],
    ['not enough data', run(61, { generations: 6 }), run(62, { generations: 6, slowdown: 3 }), {}],
    ['cache hit rate drop', { kind: 'cache', hitProb: 0.9, seed: 1 }, { kind: 'cache', hitProb: 0.6, seed: 2 }, {}],
    ['cache hit rate rise', { kind: 'cache', hitProb: 0.6, seed: 2 }, { kind: 'cache', hitProb: 0.9, seed: 1 }, {}],
    ['scale mismatch, same', { kind: 'scale', seed: 1, factor: 1, outliers: true }, { kind: 'scale', seed: 2, factor: 1 }, {}],
    ['scale mismatch, slower', { kind: 'scale', seed: 1, factor: 1, outliers: true }, { kind: 'scale', seed: 3, factor: 1.4 }, {}],
    ['scale mismatch, reversed', { kind: 'scale', seed: 3, factor: 1.4 }, { kind: 'scale', seed: 1, factor: 1, outliers: true }, {}],
    ['chunk gaps, no correction', run(81), run(82, { slowdown: 1.15 }), { correction: 'none' }],
    ['several types', { kind: 'types', seed: 1, slow: 1 }, { kind: 'types', seed: 2, slow: 1.6 }, {}],
    ['several types, byType off', { kind: 'types', seed: 1, slow: 1 }, { kind: 'types', seed: 2, slow: 1.6 }, { byType: false }],
    [
      'several types, thresholds by type path',
      { kind: 'types', seed: 1, slow: 1 },
      { kind: 'types', seed: 2, slow: 1.6 },
      { thresholds: { 'generations.byType.summary.decodeTokensPerSec.p50': 0.5, 'ttftMs.p95': 0.01, 'generations.errorRate': 0.01 } },
    ],
    ['one type vs several', run(1, { type: 'chat' }), { kind: 'types', seed: 2, slow: 1.2 }, {}],
    ['minCount 50', run(1), run(3, { slowdown: 1.5 }), { minCount: 50 }],
    ['past the exact limit', run(7, { generations: 300 }), run(8, { generations: 300, slowdown: 1.08 }), {}],
    ['past the exact limit vs exact', run(7, { generations: 300 }), run(9, { generations: 120, slowdown: 1.2 }), { alpha: 0.05 }],
    ['model loads', { kind: 'loads', seed: 1, loads: 30, factor: 1, hitProb: 0.8 }, { kind: 'loads', seed: 2, loads: 25, factor: 1.5, hitProb: 0.4 }, {}],
    ['model loads, few', { kind: 'loads', seed: 3, loads: 12, factor: 1, hitProb: 0.8 }, { kind: 'loads', seed: 4, loads: 8, factor: 1.5, hitProb: 0.8 }, {}],
    ['loads vs none', { kind: 'loads', seed: 3, loads: 12, factor: 1, hitProb: 0.8 }, run(4), {}],
  ];
  // Pairs as scripts/measure-false-alarms.mjs draws them, five per scenario.
  const scenarios = [
    [1, 0],
    [1, 0.03],
    [1, 0.05],
    [1.1, 0],
    [1.3, 0],
    [1.5, 0],
    [1.3, 0.03],
  ];
  for (const [slowdown, runSigma] of scenarios) {
    for (let k = 0; k < 5; k++) {
      const base = 1_000_003 + k * 2;
      const rf = makeRandom(base ^ 0x5eed);
      const factor = () => (runSigma > 0 ? Math.exp(runSigma * rf.normal()) : 1);
      const a = run(base, { runFactor: factor() });
      const b = run(base + 1, { slowdown, runFactor: factor() });
      cases.push([`simulated ×${slowdown} drift ${runSigma} #${k}`, a, b, {}]);
      if (k === 0) cases.push([`simulated ×${slowdown} drift ${runSigma} #${k}, no correction`, a, b, { correction: 'none' }]);
    }
  }
  return cases.map(([name, baseline, current, options]) => ({ name, baseline, current, options }));
}

/**
 * The fixture as today's compareExports gives it.
 * @param {(a: object, b: object, options: object) => Promise<object> | object} compare
 */
export async function generate(compare = compareExports) {
  const core = await MonitorCore.create();
  const cases = [];
  try {
    for (const c of fixtureCases()) {
      const a = await buildDoc(c.baseline, core);
      const b = await buildDoc(c.current, core);
      const result = await compare(a, b, c.options);
      cases.push({ ...c, digests: { baseline: digest(a), current: digest(b) }, result });
    }
  } finally {
    core.dispose();
  }
  return {
    generated: 'by scripts/regression-fixture.mjs: do not edit; run the script and review the diff',
    recordedWith: 'the expected results were first recorded with the JavaScript statistics of js/cli/regression.js (commit e599544)',
    cases,
  };
}

/** The fixture as text: one line per case header and per finding, so that a diff names them. */
export function fixtureText(fixture) {
  const lines = ['{', `"generated": ${JSON.stringify(fixture.generated)},`, `"recordedWith": ${JSON.stringify(fixture.recordedWith)},`, '"cases": ['];
  fixture.cases.forEach((c, i) => {
    const { findings, ...rest } = c.result;
    const head = JSON.stringify({ name: c.name, baseline: c.baseline, current: c.current, options: c.options, digests: c.digests });
    lines.push(`${head.slice(0, -1)}, "result": ${JSON.stringify(rest).slice(0, -1)}, "findings": [`);
    findings.forEach((f, j) => lines.push(`  ${JSON.stringify(f)}${j + 1 < findings.length ? ',' : ''}`));
    lines.push(`]}}${i + 1 < fixture.cases.length ? ',' : ''}`);
  });
  lines.push(']', '}', '');
  return lines.join('\n');
}

/**
 * Where `actual` departs from `expected`: p-values by more than 1e-9 relative, anything else
 * (values, verdicts, messages, input digests) at all.
 * @returns {{ problems: string[], maxRelative: number }} the largest relative p-value difference
 */
export function differences(expected, actual) {
  const problems = [];
  let maxRelative = 0;
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (actual.cases.length !== expected.cases.length) problems.push(`${actual.cases.length} cases, not ${expected.cases.length}`);
  for (const [i, want] of expected.cases.entries()) {
    const got = actual.cases[i];
    if (!got) break;
    const name = want.name;
    if (got.name !== name) problems.push(`case ${i}: "${got.name}", not "${name}"`);
    if (!same(got.digests, want.digests)) problems.push(`${name}: the input exports changed`);
    const { findings: gotF, ...gotRest } = got.result;
    const { findings: wantF, ...wantRest } = want.result;
    if (!same(gotRest, wantRest)) problems.push(`${name}: ${JSON.stringify(gotRest)}, not ${JSON.stringify(wantRest)}`);
    if (gotF.length !== wantF.length) problems.push(`${name}: ${gotF.length} findings, not ${wantF.length}`);
    for (const [j, w] of wantF.entries()) {
      const g = gotF[j];
      if (!g) break;
      for (const key of ['pValue', 'rawPValue']) {
        if (w[key] === null || g[key] === null) {
          if (w[key] !== g[key]) problems.push(`${name}: ${w.metric}.${key} ${g[key]}, not ${w[key]}`);
          continue;
        }
        const rel = Math.abs(g[key] - w[key]) / Math.max(Math.abs(w[key]), Number.MIN_VALUE);
        maxRelative = Math.max(maxRelative, rel);
        if (!(rel <= 1e-9)) problems.push(`${name}: ${w.metric}.${key} ${g[key]}, not ${w[key]}`);
      }
      if (!same({ ...g, pValue: 0, rawPValue: 0 }, { ...w, pValue: 0, rawPValue: 0 })) problems.push(`${name}: ${JSON.stringify(g)}, not ${JSON.stringify(w)}`);
    }
  }
  return { problems, maxRelative };
}

async function main() {
  const fixture = await generate();
  if (process.argv.includes('--check')) {
    const { problems, maxRelative } = differences(JSON.parse(await readFile(FIXTURE, 'utf8')), fixture);
    for (const p of problems) console.error(p);
    console.log(`${fixture.cases.length} pairs, ${problems.length} differences, largest relative p-value difference ${maxRelative}`);
    process.exit(problems.length ? 1 : 0);
  }
  await mkdir(dirname(FIXTURE), { recursive: true });
  await writeFile(FIXTURE, fixtureText(fixture));
  console.log(`${FIXTURE} written`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

// Regression detection between two export documents (schema version 1): a before/after comparison
// of the key percentiles and rates in which a change counts as a regression only when it is BOTH
// (a) larger than a per-metric threshold in the bad direction, and
// (b) unlikely to be noise according to a one-sided statistical test on the two distributions.
//
// The tests:
// - Percentile metrics (latency, TTFT, per-token time, chunk gaps, decode/prefill tokens/s, model
//   load time): the Mann–Whitney U test, one-sided in the bad direction, normal approximation with
//   the tie correction and a continuity correction of 0.5. The samples are the exact values when
//   both sides still hold them (count <= 256), else both sides' histograms brought to the coarser of
//   the two scales (bucket index >> (s_fine - s_coarse)) and compared as ordered buckets: values in
//   one bucket are real ties after binning, which the tie correction accounts for. The test only
//   needs the order of the values, so bucket indices are enough.
// - Chunk gaps come many per generation and are not independent (one generation's gaps share its
//   speed), so their test keeps the U statistic of all gaps but takes its variance from the
//   number of generations (the independent units), not the number of gaps.
// - Rates (errorRate, cache hitRate): a one-sided two-proportion z-test with the pooled proportion.
// - The p-values are adjusted with Holm's step-down method over the tests of one comparison (one
//   test per series or rate; its percentiles share it), so alpha bounds the probability of any
//   false alarm in a comparison, not per metric. `rawPValue` keeps the unadjusted value.
// - A side with fewer than `minCount` (10) values: no test, "not enough data", never a regression.

const PERCENTILE_SERIES = [
  { name: 'latencyMs', worse: 'higher', unit: 'ms' },
  { name: 'ttftMs', worse: 'higher', unit: 'ms' },
  { name: 'timePerOutputTokenMs', worse: 'higher', unit: 'ms' },
  { name: 'chunkGapMs', worse: 'higher', unit: 'ms', clustered: true },
  { name: 'decodeTokensPerSec', worse: 'lower', unit: 'tokens/s' },
  { name: 'prefillTokensPerSec', worse: 'lower', unit: 'tokens/s' },
];

/** Defaults: relative for percentiles (fraction), absolute for rates. */
export const DEFAULT_THRESHOLDS = Object.freeze({ percentile: 0.1, errorRate: 0.05, hitRate: 0.05 });
export const DEFAULT_ALPHA = 0.01;
export const DEFAULT_MIN_COUNT = 10;

const HOLM_TEXT = ' p-values are Holm-adjusted over the tests of one comparison (alpha is family-wise).';

export const METHOD =
  'Mann-Whitney U, one-sided in the bad direction (normal approximation, tie and continuity corrections) ' +
  'on exact values, or on both histograms at their common (coarser) scale; chunk gaps with the variance of ' +
  'the generation count; two-proportion z-test (pooled, one-sided) for errorRate and cache hitRate. ' +
  'A regression needs the change beyond its threshold AND p < alpha.' + HOLM_TEXT;

// ---------------------------------------------------------------------------------------------
// Normal distribution

/** erfc with fractional error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit). */
function erfc(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
          t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z) {
  if (Number.isNaN(z)) return NaN;
  return 0.5 * erfc(z / Math.SQRT2);
}

// ---------------------------------------------------------------------------------------------
// Samples from the sketches

/** Bucket index of a positive value at a scale: bucket i covers (2^(i/2^s), 2^((i+1)/2^s)]. */
export function bucketIndex(value, scale) {
  return Math.ceil(Math.log2(value) * 2 ** scale) - 1;
}

/**
 * A series (sketch) as weighted ordered points: `[{ key, n }]`, keys sorted ascending.
 * mode "exact": keys are the values; mode "hist": keys are bucket indices at `scale` (zeros: -Infinity).
 */
function histogramPoints(series, scale) {
  const h = series.histogram;
  const shift = h.scale - scale;
  const map = new Map();
  const add = (k, n) => map.set(k, (map.get(k) ?? 0) + n);
  if (h.zeroCount > 0) add(-Infinity, h.zeroCount);
  h.counts.forEach((c, i) => {
    if (c > 0) add(shift > 0 ? (h.offset + i) >> shift : h.offset + i, c);
  });
  return [...map.entries()].map(([key, n]) => ({ key, n })).sort((a, b) => a.key - b.key);
}

function exactPoints(series) {
  const map = new Map();
  for (const v of series.exact) map.set(v, (map.get(v) ?? 0) + 1);
  return [...map.entries()].map(([key, n]) => ({ key, n })).sort((a, b) => a.key - b.key);
}

const hasExact = (s) => Array.isArray(s.exact) && s.exact.length === s.count;

/** The two series as comparable samples: exact values when both have them, else common-scale buckets. */
export function comparableSamples(a, b) {
  if (hasExact(a) && hasExact(b)) return { basis: 'exact', a: exactPoints(a), b: exactPoints(b) };
  const scale = Math.min(a.histogram.scale, b.histogram.scale);
  return { basis: `histogram scale ${scale}`, a: histogramPoints(a, scale), b: histogramPoints(b, scale) };
}

/**
 * One-sided Mann–Whitney U on weighted points. Returns the p-value for "b is stochastically larger
 * than a" (direction "greater") or smaller (direction "less"), and the AUC P(b > a) + P(b = a)/2.
 * `effective` ({ a, b }) replaces the sample sizes in the variance (clustered data).
 */
export function mannWhitney(aPoints, bPoints, direction, effective) {
  const n1 = aPoints.reduce((s, p) => s + p.n, 0);
  const n2 = bPoints.reduce((s, p) => s + p.n, 0);
  const N = n1 + n2;
  const keys = new Map();
  for (const p of aPoints) keys.set(p.key, [(keys.get(p.key)?.[0] ?? 0) + p.n, keys.get(p.key)?.[1] ?? 0]);
  for (const p of bPoints) keys.set(p.key, [keys.get(p.key)?.[0] ?? 0, (keys.get(p.key)?.[1] ?? 0) + p.n]);
  const sorted = [...keys.entries()].sort((x, y) => x[0] - y[0]);
  let below = 0;
  let r2 = 0;
  let tieSum = 0;
  for (const [, [c1, c2]] of sorted) {
    const t = c1 + c2;
    const midrank = below + (t + 1) / 2;
    r2 += c2 * midrank;
    tieSum += t * t * t - t;
    below += t;
  }
  const u2 = r2 - (n2 * (n2 + 1)) / 2; // pairs (a, b) with b > a, ties counting 1/2
  const auc = u2 / (n1 * n2);
  const mean = (n1 * n2) / 2;
  let variance = ((n1 * n2) / 12) * (N + 1 - tieSum / (N * (N - 1)));
  let diff = direction === 'greater' ? u2 - mean : mean - u2;
  diff = Math.max(0, Math.abs(diff) - 0.5) * Math.sign(diff);
  let z = variance > 0 ? diff / Math.sqrt(variance) : 0;
  if (effective && (effective.a < n1 || effective.b < n2)) {
    // z = (AUC - 1/2) * sqrt(12 n1 n2 / (N + 1)) without ties: rescale to the independent units.
    const m1 = Math.min(effective.a, n1);
    const m2 = Math.min(effective.b, n2);
    z *= Math.sqrt((m1 * m2 * (n1 + n2 + 1)) / (n1 * n2 * (m1 + m2 + 1)));
  }
  if (variance <= 0) return { u: u2, auc, z: 0, pValue: 1, n1, n2 };
  return { u: u2, auc, z, pValue: normalUpperTail(z), n1, n2 };
}

/** One-sided pooled two-proportion z-test: p-value for "p2 > p1" ("greater") or "p2 < p1" ("less"). */
export function twoProportion(x1, n1, x2, n2, direction) {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return { z: 0, pValue: 1 };
  const z = (direction === 'greater' ? p2 - p1 : p1 - p2) / se;
  return { z, pValue: normalUpperTail(z) };
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function formatNumber(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3).replace(/\.?0+$/, '') || '0';
}

export function formatP(p) {
  if (p === null || p === undefined) return '–';
  if (p < 0.0001) return p.toExponential(1);
  return p.toFixed(4);
}

const pct = (x) => `${(Math.abs(x) * 100).toFixed(1)}%`;

// ---------------------------------------------------------------------------------------------
// The comparison

function lookupThreshold(thresholds, path, fallback) {
  if (!thresholds) return fallback;
  const candidates = [path, path.replace(/^generations\./, ''), path.replace(/^generations\.byType\.[^.]+\./, '')];
  for (const c of candidates) if (typeof thresholds[c] === 'number') return thresholds[c];
  return fallback;
}

function seriesOf(sketchGroup, name) {
  return sketchGroup?.series?.[name] ?? null;
}

function checkDoc(doc, label) {
  if (!doc || typeof doc !== 'object') throw new TypeError(`compareExports: ${label}: expected an export document`);
  if (doc.schemaVersion !== 2) throw new TypeError(`compareExports: ${label}: schemaVersion ${doc.schemaVersion} is not supported (2 is)`);
  if (!doc.metrics || !doc.sketches) throw new TypeError(`compareExports: ${label}: missing metrics or sketches`);
}

/**
 * Compares two export documents (parsed JSON).
 * @param {object} baselineDoc
 * @param {object} currentDoc
 * @param {{ alpha?: number, threshold?: number, thresholds?: Record<string, number>, minCount?: number, byType?: boolean, correction?: 'holm' | 'none' }} [options]
 *   threshold: default relative threshold of percentiles (fraction, 0.1); thresholds: by metric path
 *   ("generations.ttftMs.p95", "ttftMs.p95", "generations.errorRate", "cache.hitRate", "initialization.loadMs.p50").
 */
export function compareExports(baselineDoc, currentDoc, options = {}) {
  checkDoc(baselineDoc, 'baseline');
  checkDoc(currentDoc, 'current');
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const minCount = options.minCount ?? DEFAULT_MIN_COUNT;
  const pctThreshold = options.threshold ?? DEFAULT_THRESHOLDS.percentile;
  const correction = options.correction ?? 'holm';
  const drafts = [];

  const percentileFindings = (prefix, baseStats, curStats, baseSeries, curSeries, spec, units) => {
    if (!baseStats || !curStats) return;
    if ((baseStats.count ?? 0) === 0 && (curStats.count ?? 0) === 0) return;
    const nA = Math.min(baseStats.count, units?.a ?? Infinity);
    const nB = Math.min(curStats.count, units?.b ?? Infinity);
    const enough = nA >= minCount && nB >= minCount && Boolean(baseSeries && curSeries);
    let test = null;
    let basis = null;
    if (enough) {
      const samples = comparableSamples(baseSeries, curSeries);
      basis = samples.basis;
      test = mannWhitney(samples.a, samples.b, spec.worse === 'higher' ? 'greater' : 'less', units);
    }
    const quantiles = ['p50', 'p95'];
    if (baseStats.count >= 100 && curStats.count >= 100) quantiles.push('p99');
    if (spec.only) quantiles.splice(0, quantiles.length, ...spec.only);
    for (const q of quantiles) {
      const path = `${prefix}.${q}`;
      const threshold = lookupThreshold(options.thresholds, path, pctThreshold);
      drafts.push({
        metric: path, label: `${prefix.replace(/^generations\./, '')} ${q}`,
        baseline: baseStats[q], current: curStats[q], unit: spec.unit, worse: spec.worse,
        relative: true, threshold, test, basis, alpha, enough,
        counts: [nA, nB],
      });
    }
  };

  const generationGroups = [{ prefix: 'generations', bm: baselineDoc.metrics.generations, cm: currentDoc.metrics.generations, bs: baselineDoc.sketches.generations, cs: currentDoc.sketches.generations }];
  const bTypes = Object.keys(baselineDoc.metrics.generations?.byType ?? {});
  const cTypes = Object.keys(currentDoc.metrics.generations?.byType ?? {});
  if (options.byType !== false && (bTypes.length > 1 || cTypes.length > 1)) {
    for (const t of bTypes) {
      if (!cTypes.includes(t)) continue;
      const bm = baselineDoc.metrics.generations.byType[t];
      const cm = currentDoc.metrics.generations.byType[t];
      if (bm.latencyMs.count < minCount || cm.latencyMs.count < minCount) continue;
      generationGroups.push({ prefix: `generations.byType.${t}`, bm, cm, bs: baselineDoc.sketches.byType?.[t], cs: currentDoc.sketches.byType?.[t] });
    }
  }

  for (const g of generationGroups) {
    if (!g.bm || !g.cm) continue;
    for (const spec of PERCENTILE_SERIES) {
      const units = spec.clustered ? { a: g.bm.total ?? Infinity, b: g.cm.total ?? Infinity } : undefined;
      percentileFindings(`${g.prefix}.${spec.name}`, g.bm[spec.name], g.cm[spec.name], seriesOf(g.bs, spec.name), seriesOf(g.cs, spec.name), spec, units);
    }
    // Error rate: failed / total, two-proportion test.
    const bt = g.bm.total ?? 0;
    const ct = g.cm.total ?? 0;
    if (bt > 0 || ct > 0) {
      const path = `${g.prefix}.errorRate`;
      const enough = bt >= minCount && ct >= minCount;
      const test = enough ? twoProportion(g.bm.failed, bt, g.cm.failed, ct, 'greater') : null;
      drafts.push({
        metric: path, label: path.replace(/^generations\./, ''),
        baseline: bt ? g.bm.failed / bt : null, current: ct ? g.cm.failed / ct : null, unit: 'rate', worse: 'higher',
        relative: false, threshold: lookupThreshold(options.thresholds, path, DEFAULT_THRESHOLDS.errorRate),
        test, basis: 'two-proportion z-test', alpha, enough, counts: [bt, ct],
      });
    }
  }

  // Cache hit rate.
  const bc = baselineDoc.metrics.cache;
  const cc = currentDoc.metrics.cache;
  if (bc && cc && (bc.lookups > 0 || cc.lookups > 0)) {
    const enough = bc.lookups >= minCount && cc.lookups >= minCount;
    const test = enough ? twoProportion(bc.hits, bc.lookups, cc.hits, cc.lookups, 'less') : null;
    drafts.push({
      metric: 'cache.hitRate', label: 'cache hitRate', baseline: bc.hitRate, current: cc.hitRate, unit: 'rate', worse: 'lower',
      relative: false, threshold: lookupThreshold(options.thresholds, 'cache.hitRate', DEFAULT_THRESHOLDS.hitRate),
      test, basis: 'two-proportion z-test', alpha, enough, counts: [bc.lookups, cc.lookups],
    });
  }

  // Model load time p50.
  const bl = baselineDoc.metrics.initialization?.loadMs;
  const cl = currentDoc.metrics.initialization?.loadMs;
  if (bl && cl) {
    percentileFindings('initialization.loadMs', bl, cl, baselineDoc.sketches.loads?.loadMs ?? null, currentDoc.sketches.loads?.loadMs ?? null, { worse: 'higher', unit: 'ms', only: ['p50'] });
  }

  // Holm's step-down correction over the tests run (one per series or rate, shared by its
  // percentiles): alpha bounds the chance of any false alarm in the whole comparison.
  const tests = [...new Set(drafts.map((d) => d.test).filter(Boolean))];
  for (const t of tests) t.rawPValue = t.pValue;
  if (correction === 'holm') {
    const order = [...tests].sort((a, b) => a.rawPValue - b.rawPValue);
    let running = 0;
    order.forEach((t, i) => {
      running = Math.max(running, Math.min(1, (order.length - i) * t.rawPValue));
      t.pValue = running;
    });
  }
  const findings = drafts.map(makeFinding);
  return { findings, regressions: findings.filter((f) => f.regression).length, method: correction === 'holm' ? METHOD : METHOD.replace(HOLM_TEXT, ''), alpha, tests: tests.length, correction };
}

function makeFinding(f) {
  const { metric, label, baseline, current, unit, worse, relative, threshold, test, alpha, enough, counts } = f;
  const finding = { metric, baseline, current, relativeChange: null, absoluteChange: null, pValue: test ? test.pValue : null, rawPValue: test ? test.rawPValue : null, regression: false, message: '' };
  const fmt = (v) => (unit === 'rate' ? (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`) : formatNumber(v));
  const unitText = unit === 'rate' ? '' : ` ${unit}`;
  const values = `(${fmt(baseline)} → ${fmt(current)}${unitText})`;
  if (baseline === null || baseline === undefined || current === null || current === undefined) {
    finding.message = `${label}: no data on ${baseline == null ? 'the baseline' : 'the current'} side ${values}: not compared`;
    return finding;
  }
  finding.absoluteChange = current - baseline;
  finding.relativeChange = baseline !== 0 ? (current - baseline) / Math.abs(baseline) : current === 0 ? 0 : null;
  const change = relative ? finding.relativeChange : finding.absoluteChange;
  const worseDir = worse === 'higher' ? 1 : -1;
  const verb = finding.absoluteChange > 0 ? 'rose' : finding.absoluteChange < 0 ? 'fell' : 'unchanged';
  const amount = relative
    ? change === null ? '' : ` ${pct(change)}`
    : ` ${(Math.abs(finding.absoluteChange) * 100).toFixed(1)} points`;
  const head = verb === 'unchanged' ? `${label} unchanged ${values}` : `${label} ${verb}${amount} ${values}`;
  const beyond = change === null ? worseDir * finding.absoluteChange > 0 : worseDir * change > threshold;
  const thresholdText = relative ? `${(threshold * 100).toFixed(0)}%` : `${(threshold * 100).toFixed(0)} points`;
  if (!enough) {
    finding.message = `${head}: not enough data (n = ${counts[0]} / ${counts[1]}), not tested`;
  } else if (worseDir * finding.absoluteChange <= 0) {
    finding.message = `${head}, p = ${formatP(test.pValue)}: ${verb === 'unchanged' ? 'no change' : 'improvement'}`;
  } else if (!beyond) {
    finding.message = `${head}, p = ${formatP(test.pValue)}: within the ${thresholdText} threshold`;
  } else if (!(test.pValue < alpha)) {
    finding.message = `${head}, p = ${formatP(test.pValue)}: not significant (alpha ${alpha})`;
  } else {
    finding.regression = true;
    finding.message = `${head}, p = ${formatP(test.pValue)}: regression`;
  }
  return finding;
}

// ---------------------------------------------------------------------------------------------
// Reading export files (shared by the compare, merge and report commands)

/** An input problem: the CLI prints `message` on stderr and exits with code 2. */
/**
 * compareExports options from the command-line values of --threshold PCT and --alpha A.
 * @param {{ threshold?: string, alpha?: string }} values
 * @param {string} command for the messages ("compare", "ci")
 * @throws {InputError} naming the flag and the value
 */
export function regressionOptions({ threshold, alpha }, command) {
  const options = {};
  if (threshold !== undefined) {
    const t = Number(threshold);
    if (!(t > 0) || !Number.isFinite(t)) throw new InputError(`${command}: --threshold: expected a percentage > 0, got "${threshold}"`);
    options.threshold = t / 100;
  }
  if (alpha !== undefined) {
    const a = Number(alpha);
    if (!(a > 0 && a < 1)) throw new InputError(`${command}: --alpha: expected a number between 0 and 1, got "${alpha}"`);
    options.alpha = a;
  }
  return options;
}

export class InputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Reads and validates an export file with the core (MonitorCore.importJson), so that errors name
 * the JSON path as the core does ("a.json: $.schemaVersion: version 2 is not supported ...").
 * @param {string} file
 * @param {import('../core.js').MonitorCore} core a scratch monitor (its data is replaced)
 * @returns {Promise<{ file: string, text: string, doc: object }>}
 */
export async function readExportFile(file, core) {
  const { readFile } = await import('node:fs/promises');
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read the file: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  try {
    core.importJson(text);
  } catch (err) {
    throw new InputError(`${file}: ${err.message}`);
  }
  return { file, text, doc: JSON.parse(text) };
}

/** `{ stdout, stderr }` writers: streams with write(), default the process's. */
export function streams(io) {
  return { stdout: io?.stdout ?? process.stdout, stderr: io?.stderr ?? process.stderr };
}

// Regression detection between two export documents: the core computes every finding
// (MonitorCore.compareExports, wasm/regression.cpp: Mann-Whitney U on exact values or on both
// histograms at their common scale, chunk gaps with the generation counts as units, the pooled
// two-proportion z-test for errorRate and cache hitRate, Holm's step-down adjustment, the
// thresholds and the verdicts); this module only words the method and each finding's message.

import { MonitorCore } from '../core.js';
import { formatNumber, formatP, formatRate } from './format.js';

const HOLM_TEXT = ' p-values are Holm-adjusted over the tests of one comparison (alpha is family-wise).';

export const METHOD =
  'Mann-Whitney U, one-sided in the bad direction (normal approximation, tie and continuity corrections) ' +
  'on exact values, or on both histograms at their common (coarser) scale; chunk gaps with the variance of ' +
  'the generation count; two-proportion z-test (pooled, one-sided) for errorRate and cache hitRate. ' +
  'A regression needs the change beyond its threshold AND p < alpha.' +
  HOLM_TEXT;

// ---------------------------------------------------------------------------------------------
// The comparison

/**
 * Compares two export documents (parsed JSON or JSON text) in the core.
 * @param {import('../core.js').ExportDocument | string} baselineDoc
 * @param {import('../core.js').ExportDocument | string} currentDoc
 * @param {import('../core.js').RegressionOptions} [options]
 *   threshold: default relative threshold of percentiles (fraction, 0.1); thresholds: by metric path
 *   ("generations.ttftMs.p95", "ttftMs.p95", "generations.errorRate", "cache.hitRate", "initialization.loadMs.p50").
 * @returns {Promise<{ findings: Finding[], regressions: number, method: string, alpha: number, tests: number, correction: 'holm' | 'none' }>}
 * @throws {Error} the core's error naming the document and the JSON path, or the option
 */
export async function compareExports(baselineDoc, currentDoc, options = {}) {
  const r = await MonitorCore.compareExports(baselineDoc, currentDoc, options);
  const findings = r.findings.map((f) => finding(f, r.alpha));
  return {
    findings,
    regressions: r.regressions,
    method: r.correction === 'holm' ? METHOD : METHOD.replace(HOLM_TEXT, ''),
    alpha: r.alpha,
    tests: r.tests,
    correction: r.correction,
  };
}

/** The defaults of compareExports' options, from the core: { alpha, threshold, errorRate, hitRate, minCount }. */
export const regressionDefaults = () => MonitorCore.regressionDefaults();

/**
 * @typedef {{ metric: string, baseline: number | null, current: number | null, relativeChange: number | null,
 *   absoluteChange: number | null, pValue: number | null, rawPValue: number | null, regression: boolean, message: string }} Finding
 */

/**
 * A core finding as the CLI shows it: its numbers and a sentence for its verdict.
 * @param {import('../core.js').RegressionFinding} f
 * @param {number} alpha
 * @returns {Finding}
 */
function finding(f, alpha) {
  return {
    metric: f.metric,
    baseline: f.baseline,
    current: f.current,
    relativeChange: f.relativeChange,
    absoluteChange: f.absoluteChange,
    pValue: f.pValue,
    rawPValue: f.rawPValue,
    regression: f.regression,
    message: message(f, alpha),
  };
}

/** The label of a metric path: "ttftMs p95", "byType.chat.errorRate", "cache hitRate". */
function label(f) {
  const path = f.metric.replace(/^generations\./, '');
  if (f.quantile) return `${path.slice(0, -f.quantile.length - 1)} ${f.quantile}`;
  return path.replace(/^cache\./, 'cache ');
}

/**
 * The sentence of a finding: the change, the p-value and the verdict.
 * @param {import('../core.js').RegressionFinding} f
 * @param {number} alpha
 */
function message(f, alpha) {
  const rate = f.unit === 'rate';
  const fmt = (v) => (rate ? formatRate(v) : formatNumber(v));
  const values = `(${fmt(f.baseline)} → ${fmt(f.current)}${rate ? '' : ` ${f.unit}`})`;
  const name = label(f);
  if (f.verdict === 'noData') return `${name}: no data on ${f.baseline === null ? 'the baseline' : 'the current'} side ${values}: not compared`;
  const verb = f.absoluteChange > 0 ? 'rose' : f.absoluteChange < 0 ? 'fell' : 'unchanged';
  const change = f.relative ? f.relativeChange : f.absoluteChange;
  const amount = f.relative ? (change === null ? '' : ` ${formatRate(Math.abs(change))}`) : ` ${(Math.abs(f.absoluteChange) * 100).toFixed(1)} points`;
  const head = verb === 'unchanged' ? `${name} unchanged ${values}` : `${name} ${verb}${amount} ${values}`;
  const p = `p = ${formatP(f.pValue)}`;
  switch (f.verdict) {
    case 'notEnoughData':
      return `${head}: not enough data (n = ${f.counts[0]} / ${f.counts[1]}), not tested`;
    case 'noChange':
      return `${head}, ${p}: no change`;
    case 'improvement':
      return `${head}, ${p}: improvement`;
    case 'withinThreshold':
      return `${head}, ${p}: within the ${(f.threshold * 100).toFixed(0)}${f.relative ? '%' : ' points'} threshold`;
    case 'notSignificant':
      return `${head}, ${p}: not significant (alpha ${alpha})`;
    default:
      return `${head}, ${p}: regression`;
  }
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
 * @returns {Promise<{ file: string, text: string, doc: import('../core.js').ExportDocument }>}
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

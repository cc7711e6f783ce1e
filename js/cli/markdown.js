// report.md: a summary for a CI job page (GitHub's job summary, GitLab's artifacts...): the
// verdict, the budget assertions, the regression findings and the key percentiles.
import { summarySeries } from '../output.js';
import { formatNumber } from './format.js';

/** Escapes a table cell. */
function cell(/** @type {unknown} */ v) {
  return String(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const fmt = (/** @type {number | null | undefined} */ v) => formatNumber(v, { precise: true });

/**
 * @param {object} r
 * @param {boolean} r.pass
 * @param {string} r.url
 * @param {number} r.runs
 * @param {any} r.metrics the merged export's metrics
 * @param {import('./budget.js').Assertion[] | null} r.budget null when no budget was given
 * @param {string | null} [r.budgetFile]
 * @param {{ findings: any[], regressions: number, method?: string } | null} r.regression
 * @param {string | null} [r.baselineFile]
 * @param {number} [r.durationMs]
 * @returns {string}
 */
export function markdownReport(r) {
  const out = [];
  const budgetFailed = r.budget ? r.budget.filter((a) => !a.pass).length : 0;
  const regressions = r.regression ? r.regression.regressions : 0;
  out.push(`# webllm-monitor: ${r.pass ? '✅ PASS' : '❌ FAIL'}`);
  out.push('');
  const parts = [];
  if (r.budget) parts.push(`${r.budget.length - budgetFailed}/${r.budget.length} budget assertions passed`);
  else parts.push('no budget');
  if (r.regression) parts.push(`${regressions} regression${regressions === 1 ? '' : 's'}`);
  else parts.push('no baseline');
  out.push(
    `${parts.join(', ')}. ${r.runs} run${r.runs === 1 ? '' : 's'} of ${cell(r.url)}${r.durationMs !== undefined ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : ''}.`,
  );
  out.push('');

  if (r.budget) {
    out.push(`## Budget${r.budgetFile ? ` (\`${cell(r.budgetFile)}\`)` : ''}`);
    out.push('');
    out.push('| | metric | value | min | max | |');
    out.push('|---|---|---:|---:|---:|---|');
    for (const a of r.budget)
      out.push(
        `| ${a.pass ? '✅' : '❌'} | \`${cell(a.path)}\` | ${a.value === null ? 'no data' : fmt(a.value)} | ${fmt(a.min)} | ${fmt(a.max)} | ${a.pass ? 'pass' : cell(a.message)} |`,
      );
    out.push('');
  }

  if (r.regression) {
    out.push(`## Regressions against the baseline${r.baselineFile ? ` (\`${cell(r.baselineFile)}\`)` : ''}`);
    out.push('');
    if (r.regression.method) (out.push(`Method: ${cell(r.regression.method).replace(/\.?$/, '.')}`), out.push(''));
    if (r.regression.findings.length === 0) out.push('No metric to compare.');
    else {
      out.push('| | metric | baseline | current | change | p-value |');
      out.push('|---|---|---:|---:|---:|---:|');
      for (const f of r.regression.findings) {
        const change = typeof f.relativeChange === 'number' ? `${f.relativeChange >= 0 ? '+' : ''}${(f.relativeChange * 100).toFixed(1)}%` : '–';
        const p = typeof f.pValue === 'number' ? f.pValue.toPrecision(2) : '–';
        out.push(`| ${f.regression ? '❌' : '✅'} | \`${cell(f.metric)}\` | ${fmt(f.baseline)} | ${fmt(f.current)} | ${change} | ${p} |`);
      }
    }
    out.push('');
  }

  const g = r.metrics?.generations;
  if (g) {
    out.push('## Key percentiles');
    out.push('');
    out.push(
      `${g.total} generations: ${g.succeeded} succeeded, ${g.failed} failed, ${g.aborted} aborted; ` +
        `${r.metrics.initialization?.loads ?? 0} model loads (${r.metrics.initialization?.fromCache ?? 0} from cache); ` +
        `cache hit rate ${r.metrics.cache?.hitRate === null || r.metrics.cache?.hitRate === undefined ? '–' : `${(r.metrics.cache.hitRate * 100).toFixed(1)}%`}; ` +
        `${r.metrics.errors?.total ?? 0} errors.`,
    );
    out.push('');
    out.push('| metric | count | p50 | p90 | p95 | p99 | max |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, s] of summarySeries(r.metrics))
      out.push(`| ${name} | ${s.count} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * report.md of a run that could not be judged (exit 2): the error, and that there is no verdict.
 * @param {{ url: string | null, message: string, durationMs?: number }} r
 * @returns {string}
 */
export function markdownErrorReport(r) {
  const fence = '~'.repeat(Math.max(3, ...[...r.message.matchAll(/~+/g)].map((m) => m[0].length + 1)));
  return [
    '# webllm-monitor: ⚠️ ERROR',
    '',
    `The run${r.url ? ` of ${cell(r.url)}` : ''} did not complete${r.durationMs !== undefined ? ` (${(r.durationMs / 1000).toFixed(1)} s)` : ''}, ` +
      'so no budget or baseline was judged. Exit status 2: a usage or infrastructure error.',
    '',
    fence,
    r.message,
    fence,
    '',
  ].join('\n');
}

// `webllm-monitor compare baseline.json current.json [--threshold PCT] [--alpha A] [--format text|md|json]`
// Exit codes: 0 no regression, 1 at least one regression, 2 usage or input error.

import { inputErrorExit, parseCommand } from './errors.js';
import { MonitorCore } from '../core.js';
import { formatNumber, formatP, formatRate } from './format.js';
import { compareExports, readExportFile, regressionOptions, streams, InputError } from './regression.js';

export const COMPARE_USAGE = `usage: webllm-monitor compare <baseline.json> <current.json> [--threshold PCT] [--alpha A] [--format text|md|json]
  --threshold PCT  relative change of a percentile that can count as a regression (default 10)
  --alpha A        significance level of the one-sided tests (default 0.01)
  --format F       text (default), md (Markdown, for CI pages) or json
exit code: 0 no regression, 1 regression, 2 usage or input error`;

const FORMATS = ['text', 'md', 'json'];

function parse(argv) {
  const { values, positionals } = parseCommand('compare', argv, {
    threshold: { type: 'string' },
    alpha: { type: 'string' },
    format: { type: 'string', default: 'text' },
  });
  if (values.help) return { help: true };
  if (positionals.length !== 2) throw new InputError(`compare: expected 2 files (baseline and current), got ${positionals.length}`);
  if (!FORMATS.includes(values.format)) throw new InputError(`compare: --format: expected one of ${FORMATS.join(', ')}, got "${values.format}"`);
  return { files: positionals, format: values.format, options: regressionOptions(values, 'compare') };
}

function cells(f) {
  const isRate = /Rate$/.test(f.metric);
  const fmt = (v) => (isRate ? formatRate(v) : formatNumber(v));
  let change = '–';
  if (isRate && f.absoluteChange !== null) change = `${f.absoluteChange >= 0 ? '+' : ''}${(f.absoluteChange * 100).toFixed(1)} pt`;
  else if (f.relativeChange !== null) change = `${f.relativeChange >= 0 ? '+' : ''}${(f.relativeChange * 100).toFixed(1)}%`;
  const verdict = f.regression ? 'REGRESSION' : (f.message.split(': ').pop() ?? '');
  return [f.metric.replace(/^generations\./, ''), fmt(f.baseline), fmt(f.current), change, formatP(f.pValue), verdict];
}

const HEADER = ['metric', 'baseline', 'current', 'change', 'p', 'verdict'];

/** Plain-text table. */
export function formatCompareText(result, files) {
  const rows = [HEADER, ...result.findings.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    `baseline: ${files[0]}`,
    `current:  ${files[1]}`,
    '',
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
  ];
  const regs = result.findings.filter((f) => f.regression);
  out.push(regs.length ? `${regs.length} regression${regs.length > 1 ? 's' : ''}:` : 'No regression.');
  for (const f of regs) out.push(`  ${f.message}`);
  out.push('', `method: ${result.method}`, '');
  return out.join('\n');
}

/** Markdown (CI summaries, pull request comments). */
export function formatCompareMarkdown(result, files) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  const regs = result.findings.filter((f) => f.regression);
  const out = [
    `## WebLLM monitor: ${regs.length ? `${regs.length} regression${regs.length > 1 ? 's' : ''}` : 'no regression'}`,
    '',
    `Baseline \`${files[0]}\`, current \`${files[1]}\`.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i === 0 || i === 5 ? '---' : '---:')).join('|')}|`,
    ...result.findings.map((f) => {
      const c = cells(f).map(esc);
      if (f.regression) c[5] = '**regression**';
      return `| ${c.join(' | ')} |`;
    }),
    '',
  ];
  for (const f of regs) out.push(`- ${f.message}`);
  if (regs.length) out.push('');
  out.push(`<sub>${result.method}</sub>`, '');
  return out.join('\n');
}

/**
 * Runs `compare` with the arguments after the subcommand.
 * @param {string[]} argv
 * @param {{ stdout?: { write(s: string): unknown }, stderr?: { write(s: string): unknown } }} [io]
 * @returns {Promise<number>} 0 no regression, 1 regression, 2 usage or input error
 */
export async function runCompare(argv, io) {
  const { stdout, stderr } = streams(io);
  let core;
  try {
    let args;
    try {
      args = parse(argv);
    } catch (err) {
      throw err instanceof InputError ? err : new InputError(`compare: ${err.message}`);
    }
    if (args.help) {
      stdout.write(`${COMPARE_USAGE}\n`);
      return 0;
    }
    core = await MonitorCore.create();
    const base = await readExportFile(args.files[0], core);
    const cur = await readExportFile(args.files[1], core);
    const result = await compareExports(base.text, cur.text, args.options);
    if (args.format === 'json') {
      stdout.write(`${JSON.stringify({ baseline: args.files[0], current: args.files[1], ...result }, null, 2)}\n`);
    } else if (args.format === 'md') {
      stdout.write(formatCompareMarkdown(result, args.files));
    } else {
      stdout.write(formatCompareText(result, args.files));
    }
    return result.regressions > 0 ? 1 : 0;
  } catch (err) {
    return inputErrorExit(err, 'compare', COMPARE_USAGE, stderr);
  } finally {
    core?.dispose();
  }
}

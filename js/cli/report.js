// `webllm-monitor report metrics.json [--format text|md|csv|json]`: an export read back.
// text: the core's text report; md: a Markdown summary; csv: the generation history (the same
// columns as the monitor's CSV export); json: the metrics object.

import { inputErrorExit, parseCommand } from './errors.js';
import { MonitorCore, reportFromExport } from '../core.js';
import { summarySeries, toCSV } from '../output.js';
import { formatNumber, formatRate } from './format.js';
import { readExportFile, streams, InputError } from './regression.js';

export const REPORT_USAGE = `usage: webllm-monitor report <metrics.json> [--format text|md|csv|json]
exit code: 0 ok, 2 usage or input error`;

const FORMATS = ['text', 'md', 'csv', 'json'];

/** A Markdown summary of an export document. */
export function formatReportMarkdown(doc) {
  const m = doc.metrics;
  const g = m.generations;
  const out = [`## WebLLM monitor report`, '', `Exported ${doc.exportedAt}. Health: **${m.health.status}**.`, ''];
  out.push('| series | count | p50 | p90 | p95 | p99 | max |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, s] of summarySeries(m))
    out.push(`| ${label} | ${s.count} | ${[s.p50, s.p90, s.p95, s.p99, s.max].map((v) => formatNumber(v)).join(' | ')} |`);
  out.push('', '### Totals', '');
  out.push(`- Generations: ${g.total} (${g.succeeded} succeeded, ${g.failed} failed, ${g.aborted} aborted); error rate ${formatRate(g.errorRate)}`);
  out.push(`- Tokens: ${g.tokens.prompt} prompt, ${g.tokens.completion} completion`);
  out.push(
    `- Throughput: ${formatNumber(g.throughput.tokensPerSec)} tokens/s overall, ${formatNumber(g.throughput.tokensPerDecodeSec)} tokens/s while decoding`,
  );
  out.push(`- Model loads: ${m.initialization.loads} (${m.initialization.failed} failed, ${m.initialization.fromCache} from cache)`);
  out.push(`- Cache: ${m.cache.hits} hits / ${m.cache.lookups} lookups (hit rate ${formatRate(m.cache.hitRate)})`);
  if (m.cost && m.cost.total > 0) out.push(`- Cost: ${m.cost.total.toFixed(4)} ${m.cost.currency}`);
  out.push('', '### Errors', '');
  const names = Object.entries(m.errors.byName);
  if (names.length === 0) out.push('None.');
  else {
    out.push('| error | count |', '|---|---:|');
    for (const [name, count] of names.sort((a, b) => b[1] - a[1])) out.push(`| ${name.replace(/\|/g, '\\|')} | ${count} |`);
  }
  if (m.webgpu.deviceLost.total > 0) out.push('', `GPU device lost ${m.webgpu.deviceLost.total} time(s).`);
  out.push('', '### Health', '');
  if (m.health.reasons.length === 0) out.push(`${m.health.status} (basis: ${m.health.basis}).`);
  else for (const r of m.health.reasons) out.push(`- **${r.level}**: ${r.message}`);
  out.push('');
  return out.join('\n');
}

/**
 * Runs `report` with the arguments after the subcommand.
 * @param {string[]} argv
 * @param {{ stdout?: { write(s: string): unknown }, stderr?: { write(s: string): unknown } }} [io]
 * @returns {Promise<number>} 0 ok, 2 usage or input error
 */
export async function runReport(argv, io) {
  const { stdout, stderr } = streams(io);
  let core;
  try {
    const { values, positionals } = parseCommand('report', argv, { format: { type: 'string', default: 'text' } });
    if (values.help) {
      stdout.write(`${REPORT_USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new InputError(`report: expected 1 export file, got ${positionals.length}`);
    if (!FORMATS.includes(values.format)) throw new InputError(`report: --format: expected one of ${FORMATS.join(', ')}, got "${values.format}"`);
    core = await MonitorCore.create();
    const { text, doc } = await readExportFile(positionals[0], core);
    let out;
    if (values.format === 'text') out = await reportFromExport(text);
    else if (values.format === 'md') out = formatReportMarkdown(doc);
    else if (values.format === 'csv') out = toCSV(doc.generations);
    else out = `${JSON.stringify(doc.metrics, null, 2)}\n`;
    stdout.write(out.endsWith('\n') ? out : `${out}\n`);
    return 0;
  } catch (err) {
    return inputErrorExit(err, 'report', REPORT_USAGE, stderr);
  } finally {
    core?.dispose();
  }
}

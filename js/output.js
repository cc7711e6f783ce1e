// What the monitor shows people: the CSV of generations, console tables, file downloads.
import { GENERATION_RECORD_FIELDS, PLACES, SERIES } from './generated/description.js';

/** CSV columns: the generation history's fields, in this order (frozen). */
export const CSV_COLUMNS = GENERATION_RECORD_FIELDS;

function csvCell(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // RFC 4180: quote cells holding a comma, quote or line break; double the quotes. A leading
  // =, +, - or @ is quoted too, so spreadsheets do not run it as a formula.
  if (/[",\r\n]/.test(s) || (typeof v === 'string' && /^[=+\-@]/.test(s))) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/**
 * One row per generation, a header first; startedAt as ISO 8601.
 * @param {import('./core.js').GenerationRecord[]} generations the generation history (MonitorCore.generations())
 */
export function toCSV(generations) {
  const lines = [CSV_COLUMNS.join(',')];
  for (const g of generations) {
    lines.push(CSV_COLUMNS.map((c) => csvCell(c === 'startedAt' ? new Date(g.startedAt).toISOString() : g[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** `webllm-metrics-2026-11-23T05-36-37.json`: local-time free, sortable, safe on every OS. */
export function defaultFilename(extension, now = Date.now()) {
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/:/g, '-');
  return `webllm-metrics-${stamp}.${extension}`;
}

/**
 * Offers `text` as a file download in a browser page. Returns false where there is no DOM
 * (Node, a worker), true once the download was started.
 */
export function downloadText(text, filename, mimeType) {
  const doc = globalThis.document;
  if (!doc || typeof doc.createElement !== 'function' || typeof URL.createObjectURL !== 'function') return false;
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  (doc.body || doc.documentElement).appendChild(a);
  a.click();
  a.remove();
  // Revoke after the click has been handled; revoking at once can cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return true;
}

const round = (v, digits = 1) => (typeof v === 'number' ? Number(v.toFixed(digits)) : v);

/** The series of the console table: those the description gives a short label. */
const SUMMARY = SERIES.filter((s) => s.short);

/** The stats objects people look at first, with their labels: [label, {count, p50, ...}]. */
export function summarySeries(metrics) {
  return SUMMARY.map((s) => [`${s.short} ${s.unit}`, metrics[PLACES[s.in].metrics][s.name]]);
}

/** Rows for console.table: one per series of summarySeries(), the percentiles as columns. */
export function summaryRows(metrics) {
  const rows = {};
  for (const [label, s] of summarySeries(metrics))
    rows[label] = { count: s.count, p50: round(s.p50), p90: round(s.p90), p95: round(s.p95), p99: round(s.p99), max: round(s.max), mean: round(s.mean) };
  return rows;
}

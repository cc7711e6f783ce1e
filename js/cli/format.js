// How the command writes numbers in its text, Markdown and JUnit outputs: the one place where a
// number of the CLI becomes text. Nothing here computes; the numbers come from the core.

/**
 * A number as the CLI writes it: three significant digits below 1, two decimals from 1 up, fewer
 * further up. Two styles, for two purposes:
 * - by default, measurements read side by side (compare, report, the regression findings): whole
 *   from 100 up, one decimal from 10 up, two from 1 up, trailing zeros kept (1.50, 12.0);
 *   ±Infinity as JavaScript writes it; null, undefined and NaN: `absent`.
 * - `precise`, a value beside the limit it is judged by (budgets, the ci summary): integers as
 *   they are, one decimal from 100 up, two from 1 up, trailing zeros dropped, so that 800.4 never
 *   reads as its limit 800; NaN and ±Infinity as JavaScript writes them; null and undefined:
 *   `absent`.
 * @param {number | null | undefined} v
 * @param {{ precise?: boolean, absent?: string }} [options] `absent` defaults to '–'
 * @returns {string}
 */
export function formatNumber(v, { precise = false, absent = '–' } = {}) {
  if (v === null || v === undefined) return absent;
  const a = Math.abs(v);
  if (precise) {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return String(Number(a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3)));
  }
  if (Number.isNaN(v)) return absent;
  if (!Number.isFinite(v)) return String(v);
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3).replace(/\.?0+$/, '') || '0';
}

/**
 * A rate (0..1) as a percentage with one decimal: 12.5%; null and undefined: '–'.
 * @param {number | null | undefined} v
 */
export function formatRate(v) {
  return v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}

/**
 * A p-value: four decimals, or one significant digit in exponent form below 0.0001; null and
 * undefined: '–'.
 * @param {number | null | undefined} p
 */
export function formatP(p) {
  if (p === null || p === undefined) return '–';
  if (p < 0.0001) return p.toExponential(1);
  return p.toFixed(4);
}

// Formatting for the panel: the only place numbers become text. Nothing here computes a
// statistic; every value shown comes from the core (metrics, histories, sketches).

/** Shown for absent values (null, undefined, NaN). */
export const DASH = '\u2014';

const nf = new Map();
/** A cached Intl.NumberFormat with `digits` fraction digits at most (the user's locale). */
function number(digits) {
  let f = nf.get(digits);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    nf.set(digits, f);
  }
  return f;
}

const absent = (v) => typeof v !== 'number' || !Number.isFinite(v);

/** A count: 1,234. */
export function fmtInt(v) {
  return absent(v) ? DASH : number(0).format(v);
}

/** A plain number with up to `digits` fraction digits. */
export function fmtNum(v, digits = 2) {
  return absent(v) ? DASH : number(digits).format(v);
}

/** Milliseconds: 0.42 ms, 12.3 ms, 456 ms, 1.23 s, 12.3 s, 2 min 5 s. */
export function fmtMs(v) {
  if (absent(v)) return DASH;
  const a = Math.abs(v);
  if (a < 1) return `${number(2).format(v)} ms`;
  if (a < 100) return `${number(1).format(v)} ms`;
  if (a < 1000) return `${number(0).format(v)} ms`;
  if (a < 10_000) return `${number(2).format(v / 1000)} s`;
  if (a < 60_000) return `${number(1).format(v / 1000)} s`;
  const min = Math.floor(a / 60_000);
  const s = Math.round((a - min * 60_000) / 1000);
  return `${v < 0 ? '-' : ''}${number(0).format(min)} min ${s} s`;
}

/** Short milliseconds for chart axes: 0.5ms, 12ms, 1.2s. */
export function fmtMsShort(v) {
  if (absent(v)) return '';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1) return `${number(2).format(v)}ms`;
  if (a < 1000) return `${number(a < 10 ? 1 : 0).format(v)}ms`;
  return `${number(a < 10_000 ? 1 : 0).format(v / 1000)}s`;
}

/** Tokens per second: 4.56 tok/s, 45.6 tok/s, 456 tok/s. */
export function fmtTps(v) {
  if (absent(v)) return DASH;
  const a = Math.abs(v);
  return `${number(a < 10 ? 2 : a < 100 ? 1 : 0).format(v)} tok/s`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in powers of 1024: 512 B, 1.5 KB, 23.4 MB, 1.23 GB. */
export function fmtBytes(v) {
  if (absent(v)) return DASH;
  let x = Math.abs(v);
  let u = 0;
  while (x >= 1024 && u < UNITS.length - 1) {
    x /= 1024;
    u++;
  }
  const digits = u === 0 ? 0 : x < 10 ? 2 : x < 100 ? 1 : 0;
  return `${v < 0 ? '-' : ''}${number(digits).format(x)} ${UNITS[u]}`;
}

/** The formatter of a series' values by its unit (the units of schema/description.mjs). */
export function fmtOfUnit(unit) {
  const f = { ms: fmtMs, tokens: fmtInt, 'tokens/s': fmtTps }[unit];
  if (!f) throw new Error(`webllm-monitor: no formatter for the unit "${unit}"`);
  return f;
}

/** A fraction 0..1 as a percentage: 0%, 12.5%, 100%. */
export function fmtPct(v) {
  if (absent(v)) return DASH;
  const p = v * 100;
  return `${number(p !== 0 && Math.abs(p) < 10 ? 2 : 1).format(p)}%`;
}

let timeFormat = null;
let dateTimeFormat = null;

/** Epoch ms as the local time of day: 14:03:07. */
export function fmtTime(v) {
  if (absent(v)) return DASH;
  timeFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return timeFormat.format(v);
}

const clockFormats = {};

/** Epoch ms as a short local clock time for chart axes: 14:03, or 14:03:07 with seconds. */
export function fmtClock(v, seconds = false) {
  if (absent(v)) return '';
  const k = seconds ? 's' : 'm';
  clockFormats[k] ??= new Intl.DateTimeFormat(
    undefined,
    seconds ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' },
  );
  return clockFormats[k].format(v);
}

/** Epoch ms as a local date and time. */
export function fmtDateTime(v) {
  if (absent(v)) return DASH;
  dateTimeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return dateTimeFormat.format(v);
}

/** true / false / null as Yes / No / unknown. */
export function fmtBool(v, yes = 'Yes', no = 'No', unknown = 'Unknown') {
  return v === true ? yes : v === false ? no : unknown;
}

/** The `data-wlm-raw` text of a value: numbers round-trip exactly through JSON.parse. */
export function rawOf(v) {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return String(v);
}

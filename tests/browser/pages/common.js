// Shared by the browser test pages: results shown in the page (for the screenshots) and small waits.

/** Appends a titled block to #out; objects are shown as JSON. */
export function show(title, value) {
  const out = document.getElementById('out') ?? document.body;
  const h = document.createElement('h2');
  h.textContent = title;
  const pre = document.createElement('pre');
  pre.textContent = typeof value === 'string' ? value : JSON.stringify(value, (k, v) => (v === undefined ? '(undefined)' : v), 2);
  out.append(h, pre);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `cond` every 10 ms until it holds; rejects after `ms`. */
export async function until(cond, ms = 5000, what = 'condition') {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`${what}: not reached in ${ms} ms`);
    await sleep(10);
  }
}

/** A fault reporter that keeps "where: Name: message" lines. */
export function faultLog() {
  const faults = [];
  return { faults, fault: (where, err) => faults.push(`${where}: ${err && err.name}: ${err && err.message}`) };
}

/** Text table of `rows` (objects) over `cols`; undefined shows as "-". */
export function table(rows, cols) {
  const cells = [cols, ...rows.map((r) => cols.map((c) => (r[c] === undefined || r[c] === null ? '-' : String(r[c]))))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((v, i) => v.padEnd(widths[i])).join('  ')).join('\n');
}

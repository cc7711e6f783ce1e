// Small pieces shared by the panel's parts: the window choices, class names, metric path
// segments, and the elements every section is made of (a number, a tile, a section, a scroll box,
// a definition list, an empty state).

import * as React from 'react';
import { fmtNum, rawOf } from './format.js';

/** @typedef {import('../index.js').MetricsSnapshot} MetricsSnapshot */
/** @typedef {import('../index.js').MonitorStatus} MonitorStatus */
/** @typedef {import('./index.js').MonitorPanelWindow} PanelWindow */
/** @typedef {(v: any) => string} Format a value of the metrics as text (format.js) */
/**
 * @typedef {{ monitor: import('../index.js').Monitor | null, theme: import('./index.js').MonitorPanelTheme,
 *   defaultWindow: PanelWindow, title: string, className?: string, style?: React.CSSProperties }} PanelProps
 * MonitorPanel's props checked and defaulted (panel.js): what the inline panel and the dialog take
 */

const h = React.createElement;
const { useId, useLayoutEffect, useRef, useState } = React;

/**
 * The window selector's choices; `ms` is the window's nominal length.
 * @type {Array<{ key: PanelWindow, label: string, long: string, ms: number | null }>}
 */
export const WINDOWS = [
  { key: 'session', label: 'Session', long: 'the whole session', ms: null },
  { key: '1m', label: '1 min', long: 'the last minute', ms: 60_000 },
  { key: '5m', label: '5 min', long: 'the last 5 minutes', ms: 300_000 },
  { key: '1h', label: '1 h', long: 'the last hour', ms: 3_600_000 },
];
export const WINDOW_KEYS = WINDOWS.map((w) => w.key);
/** The window selector's choice of key `k`. */
export const windowOf = (k) => WINDOWS.find((w) => w.key === k);

export const cx = (...names) => names.filter(Boolean).join(' ');
/** A metric path segment for a free-form key (model ids contain dots): `byModel[Llama-3.2-1B]`. */
export const key = (k) => `[${k}]`;
/** The value at a dotted path of an object (`valueAt(g, 'latencyMs.p50')`), or undefined. */
export const valueAt = (obj, rel) => rel.split('.').reduce((o, k) => o?.[k], obj);

/**
 * @typedef {{ path: string, source?: string, value: unknown, format?: Format, unitSpan?: boolean }} ValProps
 */

/**
 * A number from the metrics: `path` names it (stable), `source` is where it was read.
 * @param {ValProps} props
 */
export function Val({ path, source, value, format = fmtNum, unitSpan = false }) {
  const text = format(value);
  const cut = unitSpan ? text.lastIndexOf(' ') : -1;
  return h(
    'span',
    { className: 'wlm-val', 'data-wlm-value': path, 'data-wlm-source': source ?? path, 'data-wlm-raw': rawOf(value) },
    cut > 0 ? [text.slice(0, cut), h('span', { key: 'u', className: 'wlm-unit' }, text.slice(cut))] : text,
  );
}

/**
 * A figure with its label; `note` (a line under the value) says what it is over or of.
 * @param {ValProps & { label: React.ReactNode, title?: string, note?: React.ReactNode }} props
 */
export function Tile({ label, title, note, ...val }) {
  return h(
    'div',
    { className: 'wlm-tile', title },
    h('span', { className: 'wlm-tile-label' }, label),
    h('span', { className: 'wlm-tile-value' }, h(Val, { ...val, unitSpan: true })),
    note ? h('span', { className: 'wlm-tile-note' }, note) : null,
  );
}

/**
 * @param {{ name: string, title: React.ReactNode, className?: string, headingClass?: string,
 *   children?: React.ReactNode }} props
 */
export function Section({ name, title, className, children, headingClass }) {
  const id = useId();
  return h('section', { className, 'data-wlm-section': name, 'aria-labelledby': id }, h('h3', { id, className: headingClass }, title), children);
}

const SCROLL_HINTS = {
  end: 'Scroll right for more columns \u2192',
  start: '\u2190 Scroll left for more columns',
  both: '\u2190 Scroll for more columns \u2192',
};

/**
 * A box that scrolls what is too wide (or, `tall`, too long) for it, and says so: while columns
 * are out of sight, a shade on that edge and a hint under the box (`data-wlm-overflow`: none,
 * start, end or both). A tall box, or one that overflows, is a focusable region: the arrow keys
 * scroll it. The first column stays in place while the others scroll (styles.js).
 * @param {{ label: string, tall?: boolean, className?: string, children?: React.ReactNode }} props
 */
export function ScrollBox({ label, tall = false, className, children }) {
  const ref = useRef(null);
  const [overflow, setOverflow] = useState('none');
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const update = () => {
      const max = el.scrollWidth - el.clientWidth;
      const left = Math.abs(el.scrollLeft); // negative in right-to-left layouts
      const start = max > 1 && left > 1;
      const end = max > 1 && left < max - 1;
      setOverflow(start && end ? 'both' : start ? 'start' : end ? 'end' : 'none');
    };
    update();
    el.addEventListener('scroll', update, { passive: true });
    // The box (a narrower panel) or its content (more rows, wider numbers) changed size.
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(update);
    ro?.observe(el);
    if (el.firstElementChild) ro?.observe(el.firstElementChild);
    return () => {
      el.removeEventListener('scroll', update);
      ro?.disconnect();
    };
  }, []);
  const region = tall || overflow !== 'none' ? { tabIndex: 0, role: 'region', 'aria-label': label } : null;
  return h(
    'div',
    { className: cx('wlm-scroll-frame', className), 'data-wlm-overflow': overflow },
    h('div', { ref, className: cx('wlm-scroll', tall && 'wlm-scroll-tall'), ...region }, children),
    overflow === 'none' ? null : h('p', { className: 'wlm-scroll-hint', 'aria-hidden': 'true' }, SCROLL_HINTS[overflow]),
  );
}

/** @param {{ rows: Array<React.ReactNode[] | null> }} props each row [label, value], or null for none */
export function Dl({ rows }) {
  return h(
    'dl',
    { className: 'wlm-dl' },
    rows.filter(Boolean).map(([label, value], i) => h(React.Fragment, { key: i }, h('dt', null, label), h('dd', null, value))),
  );
}

/** @param {{ children?: React.ReactNode }} props */
export function Empty({ children }) {
  return h('p', { className: 'wlm-empty' }, children);
}

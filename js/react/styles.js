// The panel's styles: one constructed style sheet per document (new CSSStyleSheet() +
// replaceSync), adopted by the document, or by the shadow root a panel is rendered in, once and
// never per render. A Content-Security-Policy's style-src does not govern constructed sheets, so
// the panel is styled under `style-src 'self'` with no hash and no 'unsafe-inline'. Where
// constructable style sheets are unsupported, the fallback is one
// <style id="webllm-monitor-panel-styles"> per document (or shadow root), which such a policy
// allows only by its hash. Every selector starts with `.wlm-panel` (uPlot's own CSS included,
// re-scoped here), so nothing reaches the host page. Themes are CSS custom properties on the
// root; the charts read the same properties (see readPalette).

import { UPLOT_CSS } from './uplot-css.js';

export const STYLE_ID = 'webllm-monitor-panel-styles';
export const ROOT_CLASS = 'wlm-panel';

/**
 * Prefixes every selector of `css` with `scope` (a descendant selector); recurses into @media
 * and @supports blocks. Enough for flat style sheets such as uPlot's (no `@import`, no `@keyframes`).
 * @param {string} css
 * @param {string} scope e.g. ".wlm-panel"
 */
export function scopeCss(css, scope) {
  let out = '';
  let i = 0;
  const n = css.length;
  while (i < n) {
    const open = css.indexOf('{', i);
    if (open < 0) break;
    const prelude = css
      .slice(i, open)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim();
    // Find the matching close brace.
    let depth = 1;
    let j = open + 1;
    while (j < n && depth > 0) {
      if (css[j] === '{') depth++;
      else if (css[j] === '}') depth--;
      j++;
    }
    const body = css.slice(open + 1, j - 1);
    if (prelude.startsWith('@media') || prelude.startsWith('@supports')) {
      out += `${prelude}{${scopeCss(body, scope)}}`;
    } else if (prelude.startsWith('@')) {
      throw new Error(`scopeCss: unsupported at-rule ${prelude}`);
    } else if (prelude !== '') {
      const selectors = prelude.split(',').map((s) => `${scope} ${s.trim()}`);
      out += `${selectors.join(', ')}{${body}}`;
    }
    i = j;
  }
  return out;
}

const LIGHT = `
  color-scheme: light;
  --wlm-bg: #ffffff;
  --wlm-surface: #f5f7fa;
  --wlm-raised: #ffffff;
  --wlm-border: #d5dae1;
  --wlm-border-strong: #aab2be;
  --wlm-text: #1a1f26;
  --wlm-muted: #566171;
  --wlm-hover: #e9edf3;
  --wlm-accent: #1f5bd1;
  --wlm-accent-text: #ffffff;
  --wlm-focus: #1f5bd1;
  --wlm-ok: #17773a;
  --wlm-ok-bg: #e3f4e8;
  --wlm-warn: #8a5a00;
  --wlm-warn-bg: #fdf0d3;
  --wlm-crit: #b42318;
  --wlm-crit-bg: #fde7e5;
  --wlm-chart-1: #1f5bd1;
  --wlm-chart-2: #c4500a;
  --wlm-chart-3: #17773a;
  --wlm-chart-axis: #566171;
  --wlm-chart-grid: rgba(26, 31, 38, 0.1);
  --wlm-backdrop: rgba(10, 14, 20, 0.45);
  --wlm-shadow: 0 10px 40px rgba(10, 14, 20, 0.25);`;

const DARK = `
  color-scheme: dark;
  --wlm-bg: #15191f;
  --wlm-surface: #1c2129;
  --wlm-raised: #232a33;
  --wlm-border: #343c48;
  --wlm-border-strong: #56606e;
  --wlm-text: #e8ebf0;
  --wlm-muted: #a4adba;
  --wlm-hover: #2a323d;
  --wlm-accent: #7aa7ff;
  --wlm-accent-text: #0d1117;
  --wlm-focus: #9cbcff;
  --wlm-ok: #5fd07e;
  --wlm-ok-bg: #15321f;
  --wlm-warn: #f0c05a;
  --wlm-warn-bg: #3a2d0c;
  --wlm-crit: #ff8b80;
  --wlm-crit-bg: #43191a;
  --wlm-chart-1: #7aa7ff;
  --wlm-chart-2: #ffa45c;
  --wlm-chart-3: #5fd07e;
  --wlm-chart-axis: #a4adba;
  --wlm-chart-grid: rgba(232, 235, 240, 0.12);
  --wlm-backdrop: rgba(0, 0, 0, 0.6);
  --wlm-shadow: 0 10px 40px rgba(0, 0, 0, 0.6);`;

const P = `.${ROOT_CLASS}`;

const PANEL_CSS = `
${P}, ${P}[data-wlm-theme="light"] {${LIGHT}
}
${P}[data-wlm-theme="dark"] {${DARK}
}
@media (prefers-color-scheme: dark) {
  ${P}[data-wlm-theme="auto"] {${DARK}
  }
}
${P} {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px;
  line-height: 1.45;
  color: var(--wlm-text);
  text-align: left;
  -webkit-text-size-adjust: 100%;
}
${P}, ${P} *, ${P} *::before, ${P} *::after { box-sizing: border-box; }
${P}.wlm-inline {
  background: var(--wlm-bg);
  border: 1px solid var(--wlm-border);
  border-radius: 12px;
  padding: 16px;
  min-width: 0;
  max-width: 100%;
}
${P} .wlm-body { display: flex; flex-direction: column; gap: 14px; min-width: 0; }
${P} .wlm-header {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px;
}
${P} .wlm-header-main { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; min-width: 0; }
${P} .wlm-title { margin: 0; font-size: 18px; font-weight: 650; line-height: 1.3; color: var(--wlm-text); }
${P} .wlm-live { font-size: 12px; color: var(--wlm-muted); font-variant-numeric: tabular-nums; }
${P} .wlm-live-dot {
  display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px;
  background: var(--wlm-ok); vertical-align: 0;
}
${P} .wlm-live[data-wlm-paused="true"] .wlm-live-dot { background: transparent; border: 2px solid var(--wlm-muted); }
${P} .wlm-toolbar {
  display: flex; flex-wrap: wrap; align-items: flex-start; justify-content: space-between; gap: 10px 16px;
}
${P} .wlm-toolbar > section { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; min-width: 0; }
${P} .wlm-toolbar h3 { margin: 0; font-size: 12px; font-weight: 600; color: var(--wlm-muted); }
${P} .wlm-grid {
  display: grid; gap: 12px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 290px), 1fr));
}
${P} .wlm-card {
  background: var(--wlm-surface);
  border: 1px solid var(--wlm-border);
  border-radius: 10px;
  padding: 12px 14px;
  min-width: 0;
}
${P} .wlm-card > h3, ${P} .wlm-subhead {
  margin: 0 0 10px; font-size: 12px; font-weight: 650; letter-spacing: 0.04em; text-transform: uppercase;
  color: var(--wlm-muted);
}
${P} .wlm-subhead { margin: 14px 0 6px; }
${P} .wlm-note { margin: 6px 0 0; font-size: 12px; color: var(--wlm-muted); }
${P} .wlm-empty { margin: 0; color: var(--wlm-muted); font-style: italic; }
${P} .wlm-tiles {
  display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(118px, 1fr));
}
${P} .wlm-tile {
  background: var(--wlm-raised); border: 1px solid var(--wlm-border); border-radius: 8px;
  padding: 6px 10px; min-width: 0;
}
${P} .wlm-tile-label { display: block; font-size: 11.5px; color: var(--wlm-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
${P} .wlm-tile-value { display: block; font-size: 17px; font-weight: 650; font-variant-numeric: tabular-nums; overflow-wrap: normal; }
${P} .wlm-unit { font-size: 12px; font-weight: 500; color: var(--wlm-muted); }
${P} .wlm-tile-note { display: block; margin-top: 1px; font-size: 11.5px; line-height: 1.3; color: var(--wlm-muted); overflow-wrap: anywhere; }
${P} .wlm-tile-note .wlm-val { font-variant-numeric: tabular-nums; white-space: nowrap; }
${P} .wlm-dl { display: grid; grid-template-columns: fit-content(45%) minmax(0, 1fr); gap: 4px 12px; margin: 0; }
${P} .wlm-dl dt { color: var(--wlm-muted); overflow-wrap: anywhere; }
${P} .wlm-dl abbr { text-decoration: none; cursor: help; }
${P} .wlm-dl dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
${P} .wlm-scroll-frame { position: relative; min-width: 0; }
${P} .wlm-scroll { overflow: auto; max-width: 100%; border-radius: 6px; scrollbar-width: thin; }
${P} .wlm-scroll-tall { max-height: 360px; }
/* Columns out of sight on the right: a shade on that edge (the hint line is 18px under the box).
   On the left: a shade inside the first column's right edge (the column stays while the others
   scroll under it; inside, because a clipped cell would hide it outside). */
${P} .wlm-scroll-frame::after {
  content: ""; position: absolute; top: 0; bottom: 0; right: 0; width: 28px; z-index: 3; pointer-events: none; opacity: 0;
  background: linear-gradient(to left, var(--wlm-surface), transparent);
  box-shadow: inset -8px 0 8px -8px var(--wlm-border-strong);
}
${P} .wlm-scroll-frame:not([data-wlm-overflow="none"])::after { bottom: 18px; }
${P} .wlm-scroll-frame[data-wlm-overflow="end"]::after, ${P} .wlm-scroll-frame[data-wlm-overflow="both"]::after { opacity: 1; }
${P} .wlm-scroll .wlm-table tr > :first-child::after {
  content: ""; position: absolute; top: 0; bottom: 0; right: 0; width: 6px; pointer-events: none; opacity: 0;
  background: linear-gradient(to left, var(--wlm-border-strong), transparent);
}
${P} .wlm-scroll-frame[data-wlm-overflow="start"] .wlm-table tr > :first-child::after,
${P} .wlm-scroll-frame[data-wlm-overflow="both"] .wlm-table tr > :first-child::after { opacity: 0.6; }
${P} .wlm-scroll-hint { margin: 2px 0 0; height: 16px; font-size: 11.5px; line-height: 16px; color: var(--wlm-muted); text-align: right; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
/* The first column (the row's name) stays while the others scroll under it. */
${P} .wlm-scroll .wlm-table tr > :first-child { position: sticky; left: 0; z-index: 1; background: var(--wlm-surface); }
${P} .wlm-scroll .wlm-table thead tr > :first-child { z-index: 2; }
${P} .wlm-scroll .wlm-table tbody tr:hover > :first-child { background: var(--wlm-hover); }
${P} table.wlm-table {
  width: 100%; border-collapse: collapse; border-spacing: 0; font-size: 13px;
  font-variant-numeric: tabular-nums; color: var(--wlm-text); background: transparent;
}
${P} .wlm-table caption { text-align: left; font-size: 12px; color: var(--wlm-muted); padding: 0 0 4px; }
${P} .wlm-table th, ${P} .wlm-table td {
  padding: 5px 7px; border: 0; border-bottom: 1px solid var(--wlm-border); text-align: left; vertical-align: top;
  white-space: nowrap;
}
${P} .wlm-table thead th {
  position: sticky; top: 0; z-index: 1; background: var(--wlm-surface);
  font-size: 12px; font-weight: 600; color: var(--wlm-muted); border-bottom-color: var(--wlm-border-strong);
}
${P} .wlm-table tbody th { font-weight: 600; }
${P} .wlm-table .wlm-num { text-align: right; }
${P} .wlm-table tbody tr:hover { background: var(--wlm-hover); }
${P} .wlm-table .wlm-clip { max-width: 13em; overflow: hidden; text-overflow: ellipsis; }
${P} .wlm-table .wlm-wrap { white-space: normal; overflow-wrap: anywhere; min-width: 12em; }
${P} .wlm-finish { font-weight: 600; }
${P} .wlm-finish[data-wlm-finish="error"] { color: var(--wlm-crit); }
${P} .wlm-finish[data-wlm-finish="abort"] { color: var(--wlm-warn); }
${P} .wlm-btn {
  font: inherit; font-size: 13px; line-height: 1.2; margin: 0;
  display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  min-height: 32px; padding: 6px 12px; border-radius: 7px;
  border: 1px solid var(--wlm-border-strong); background: var(--wlm-raised); color: var(--wlm-text);
  cursor: pointer; text-decoration: none; white-space: nowrap;
}
${P} .wlm-btn:hover { background: var(--wlm-hover); }
${P} .wlm-btn[aria-pressed="true"] { background: var(--wlm-warn-bg); border-color: var(--wlm-warn); }
${P} .wlm-btn-danger { color: var(--wlm-crit); border-color: var(--wlm-crit); }
${P} .wlm-btn-danger-solid { background: var(--wlm-crit); border-color: var(--wlm-crit); color: var(--wlm-bg); }
${P} .wlm-btn-danger-solid:hover { background: var(--wlm-crit); filter: brightness(1.1); }
${P} .wlm-btn-icon { min-width: 32px; padding: 4px 8px; font-size: 18px; line-height: 1; }
${P} .wlm-actions { display: flex; flex-wrap: wrap; gap: 6px; }
${P} .wlm-confirm {
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; padding: 6px 10px;
  border: 1px solid var(--wlm-crit); border-radius: 8px; background: var(--wlm-crit-bg);
}
${P} .wlm-confirm p { margin: 0; font-weight: 600; color: var(--wlm-text); }
${P} .wlm-notice { margin: 0; font-size: 12px; color: var(--wlm-muted); flex-basis: 100%; }
${P} .wlm-segmented {
  display: inline-flex; flex-wrap: wrap; border: 1px solid var(--wlm-border-strong); border-radius: 8px;
  background: var(--wlm-raised); padding: 2px; gap: 2px;
}
${P} .wlm-segmented [role="radio"] {
  font: inherit; font-size: 13px; margin: 0; min-height: 28px; padding: 4px 12px; border: 0; border-radius: 6px;
  background: transparent; color: var(--wlm-text); cursor: pointer;
}
${P} .wlm-segmented [role="radio"]:hover { background: var(--wlm-hover); }
${P} .wlm-segmented [role="radio"][aria-checked="true"] { background: var(--wlm-accent); color: var(--wlm-accent-text); font-weight: 600; }
${P} :focus { outline: none; }
${P} :focus-visible { outline: 2px solid var(--wlm-focus); outline-offset: 2px; }
${P} .wlm-segmented [role="radio"]:focus-visible { outline-offset: 1px; }
${P} .wlm-badge {
  display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px; border-radius: 999px;
  border: 1px solid currentColor; font-weight: 650; font-size: 13px; white-space: nowrap;
}
${P} .wlm-badge[data-wlm-health="healthy"] { color: var(--wlm-ok); background: var(--wlm-ok-bg); }
${P} .wlm-badge[data-wlm-health="warning"] { color: var(--wlm-warn); background: var(--wlm-warn-bg); }
${P} .wlm-badge[data-wlm-health="critical"] { color: var(--wlm-crit); background: var(--wlm-crit-bg); }
${P} .wlm-badge-icon { font-size: 12px; line-height: 1; }
${P} .wlm-health { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; margin-bottom: 10px; }
${P} .wlm-basis { font-size: 12px; color: var(--wlm-muted); }
${P} .wlm-reasons { margin: 0 0 10px; padding-left: 18px; }
${P} .wlm-reasons li { margin: 2px 0; }
${P} .wlm-reasons li[data-wlm-level="critical"]::marker { color: var(--wlm-crit); }
${P} .wlm-reasons li[data-wlm-level="warning"]::marker { color: var(--wlm-warn); }
${P} .wlm-level { font-weight: 650; }
${P} .wlm-progress { display: block; width: 100%; height: 8px; margin: 6px 0 2px; accent-color: var(--wlm-accent); }
${P} .wlm-progress-text { font-size: 12px; color: var(--wlm-muted); overflow-wrap: anywhere; }
${P} .wlm-charts {
  display: grid; gap: 12px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr));
}
${P} .wlm-chart {
  margin: 0; min-width: 0; background: var(--wlm-raised); border: 1px solid var(--wlm-border);
  border-radius: 8px; padding: 8px 8px 4px;
}
${P} .wlm-chart figcaption { font-size: 13px; font-weight: 600; margin: 0 0 4px 4px; }
${P} .wlm-chart-box { position: relative; width: 100%; min-height: 160px; }
${P} .wlm-chart-empty {
  position: absolute; inset: 0 0 24px 40px; display: flex; align-items: center; justify-content: center;
  color: var(--wlm-muted); font-size: 12px; pointer-events: none;
}
${P} .wlm-sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0;
}
${P} .wlm-chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 8px; padding: 0; list-style: none; }
${P} .wlm-chip {
  font-size: 12px; padding: 1px 8px; border-radius: 999px; border: 1px solid var(--wlm-border-strong);
  background: var(--wlm-raised);
}
${P} .wlm-error-name { color: var(--wlm-crit); font-weight: 650; overflow-wrap: anywhere; }
${P} .wlm-errors { list-style: none; margin: 0; padding: 0; }
${P} .wlm-error { padding: 6px 2px; border-bottom: 1px solid var(--wlm-border); }
${P} .wlm-error:last-child { border-bottom: 0; }
${P} .wlm-error-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 10px; }
${P} .wlm-error-head time, ${P} .wlm-error-meta { font-size: 12px; color: var(--wlm-muted); font-variant-numeric: tabular-nums; }
${P} .wlm-error-meta { overflow-wrap: anywhere; }
${P} .wlm-error-message { margin-top: 2px; font-size: 13px; overflow-wrap: anywhere; }
${P} .wlm-mb { margin-bottom: 10px; }
${P} .wlm-mt { margin-top: 10px; }
${P} .uplot { font-family: inherit; color: var(--wlm-text); width: 100%; }
${P} .u-legend { font-size: 12px; color: var(--wlm-text); }
${P} .u-legend .u-marker { width: 0.9em; height: 0.9em; }
${P} .u-series > * { padding: 1px 4px; }
${P} .u-select { background: var(--wlm-chart-grid); }
${P}.wlm-layer {
  position: fixed; inset: 0; z-index: 2147483000; margin: 0; padding: 0; background: transparent;
}
${P} .wlm-backdrop { position: absolute; inset: 0; background: var(--wlm-backdrop); }
${P} .wlm-dialog {
  position: absolute; overflow: auto; overscroll-behavior: contain;
  background: var(--wlm-bg); color: var(--wlm-text); box-shadow: var(--wlm-shadow); padding: 16px;
}
${P} .wlm-dialog[data-wlm-mode="drawer"] {
  top: 0; right: 0; bottom: 0; width: min(680px, 100vw); border-left: 1px solid var(--wlm-border);
}
${P} .wlm-dialog[data-wlm-mode="modal"] {
  top: 50%; left: 50%; transform: translate(-50%, -50%);
  width: min(1040px, calc(100vw - 24px)); max-height: calc(100vh - 24px);
  border: 1px solid var(--wlm-border); border-radius: 12px;
}
@media (max-width: 520px) {
  ${P}.wlm-inline { padding: 10px; border-radius: 8px; }
  ${P} .wlm-dialog { padding: 10px; }
  ${P} .wlm-card { padding: 10px; }
  ${P} .wlm-title { font-size: 16px; }
  ${P} .wlm-tiles { grid-template-columns: repeat(auto-fill, minmax(100px, 1fr)); }
  ${P} .wlm-table th, ${P} .wlm-table td { padding: 4px 6px; }
}
@media (prefers-reduced-motion: no-preference) {
  ${P} .wlm-btn, ${P} .wlm-segmented [role="radio"] { transition: background-color 120ms ease; }
}
`;

/** Every rule the panel needs: its own, then uPlot's re-scoped under the root class. */
export const PANEL_STYLES = `${scopeCss(UPLOT_CSS, P)}\n${PANEL_CSS}`;

const DOCUMENT_NODE = 9;
const DOCUMENT_FRAGMENT_NODE = 11;

/**
 * The constructed sheet of `doc` (one per document: a constructed sheet can only be adopted by
 * the document it was made for and by that document's shadow roots), or null where constructable
 * style sheets are unsupported.
 * @type {WeakMap<Document, CSSStyleSheet | null>}
 */
const SHEETS = new WeakMap();

/**
 * Applies the panel's styles where `node` is rendered: to its shadow root when it is in one,
 * else to its document. Idempotent: one sheet per document, adopted once by each document or
 * shadow root, shared by every panel there, and kept when panels unmount.
 * @param {Node | null | undefined} node a panel's root element (or a document or shadow root)
 */
export function ensureStyles(node) {
  const scope = stylingScope(node);
  if (scope === null) return;
  const doc = scope.nodeType === DOCUMENT_NODE ? scope : scope.ownerDocument;
  const sheet = constructedSheet(doc);
  if (sheet !== null && adopt(scope, sheet)) return;
  insertStyleElement(scope, doc);
}

/** The document or shadow root whose styles reach `node`, or null. */
function stylingScope(node) {
  if (!node || typeof node !== 'object') return null;
  if (node.nodeType === DOCUMENT_NODE) return node;
  const root = node.nodeType === DOCUMENT_FRAGMENT_NODE ? node : node.getRootNode?.();
  if (root && root.nodeType === DOCUMENT_FRAGMENT_NODE && root.host) return root;
  return node.ownerDocument ?? null;
}

/** @param {Document} doc */
function constructedSheet(doc) {
  let sheet = SHEETS.get(doc);
  if (sheet !== undefined) return sheet;
  sheet = null;
  // The constructor of the document's own window: a sheet made by another window's constructor
  // (a panel rendered into an iframe's document) could not be adopted here.
  const Sheet = doc.defaultView?.CSSStyleSheet;
  if (typeof Sheet === 'function' && 'adoptedStyleSheets' in doc && typeof Sheet.prototype.replaceSync === 'function') {
    try {
      sheet = new Sheet();
      sheet.replaceSync(PANEL_STYLES);
    } catch {
      sheet = null; // a constructor that refuses to be called: the fallback
    }
  }
  SHEETS.set(doc, sheet);
  return sheet;
}

/**
 * Adds `sheet` to the adopted sheets of `scope` unless it is there already (the host's own
 * adopted sheets stay, in their order). False where `scope` cannot adopt sheets.
 * @param {Document | ShadowRoot} scope
 * @param {CSSStyleSheet} sheet
 */
function adopt(scope, sheet) {
  const adopted = scope.adoptedStyleSheets;
  if (adopted === null || typeof adopted !== 'object') return false;
  if (Array.prototype.includes.call(adopted, sheet)) return true;
  try {
    scope.adoptedStyleSheets = [...adopted, sheet];
  } catch {
    return false;
  }
  return true;
}

/**
 * The fallback: one <style id="webllm-monitor-panel-styles"> in the document's head, or in the
 * shadow root.
 * @param {Document | ShadowRoot} scope
 * @param {Document} doc
 */
function insertStyleElement(scope, doc) {
  if (typeof doc.createElement !== 'function') return;
  const existing = typeof scope.getElementById === 'function' ? scope.getElementById(STYLE_ID) : scope.querySelector?.(`#${STYLE_ID}`);
  if (existing) return;
  const el = doc.createElement('style');
  el.id = STYLE_ID;
  el.textContent = PANEL_STYLES;
  const asDocument = /** @type {Document} */ (scope); // read only when nodeType says it is one
  const parent = scope.nodeType === DOCUMENT_NODE ? asDocument.head || asDocument.documentElement : scope;
  parent.appendChild(el);
}

const PALETTE_VARS = {
  text: '--wlm-text',
  muted: '--wlm-muted',
  axis: '--wlm-chart-axis',
  grid: '--wlm-chart-grid',
  c1: '--wlm-chart-1',
  c2: '--wlm-chart-2',
  c3: '--wlm-chart-3',
  bg: '--wlm-raised',
};

/** The chart colours, read from the theme's custom properties on `el` (so hosts can override them). */
export function readPalette(el) {
  const cs = el.ownerDocument.defaultView.getComputedStyle(el);
  const out = {};
  for (const [k, v] of Object.entries(PALETTE_VARS)) out[k] = cs.getPropertyValue(v).trim() || '#888888';
  return out;
}

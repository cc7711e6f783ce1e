// MonitorPanel: the React view of a monitor. Plain ES module (React.createElement, no JSX).
// Every number comes from the monitor (the core computed it); this file only chooses what to
// show and formats it. Live updates come from monitor.subscribe() (throttled by the monitor);
// paused means unsubscribed. There is no timer.

import * as React from 'react';
import { createPortal } from 'react-dom';
import { seriesIn } from '../generated/description.js';
import { schemaVersion } from '../version.js';
import { Chart, histogramBins, histogramOptions, timeChartOptions } from './charts.js';
import {
  DASH, fmtBool, fmtBytes, fmtDateTime, fmtInt, fmtMs, fmtNum, fmtOfUnit, fmtPct, fmtTime, fmtTps, rawOf,
} from './format.js';
import { ROOT_CLASS, ensureStyles, readPalette } from './styles.js';

const h = React.createElement;
const { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } = React;

const MODES = ['inline', 'drawer', 'modal'];
const THEMES = ['light', 'dark', 'auto'];
/** The window selector's choices; `ms` is the window's nominal length. */
const WINDOWS = [
  { key: 'session', label: 'Session', long: 'the whole session', ms: null },
  { key: '1m', label: '1 min', long: 'the last minute', ms: 60_000 },
  { key: '5m', label: '5 min', long: 'the last 5 minutes', ms: 300_000 },
  { key: '1h', label: '1 h', long: 'the last hour', ms: 3_600_000 },
];
const WINDOW_KEYS = WINDOWS.map((w) => w.key);
/** Rows of the recent generations table. */
const RECENT_ROWS = 50;
/** Limits worth showing for running a model (the adapter reports ~40). */
const KEY_LIMITS = [
  ['maxBufferSize', 'Max buffer', fmtBytes],
  ['maxStorageBufferBindingSize', 'Max storage binding', fmtBytes],
  ['maxComputeWorkgroupStorageSize', 'Workgroup storage', fmtBytes],
  ['maxComputeInvocationsPerWorkgroup', 'Invocations per workgroup', fmtInt],
  ['maxStorageBuffersPerShaderStage', 'Storage buffers per stage', fmtInt],
];
const HEALTH = {
  healthy: { icon: '\u2713', label: 'Healthy' },
  warning: { icon: '\u25B2', label: 'Warning' },
  critical: { icon: '\u2715', label: 'Critical' },
};

const cx = (...names) => names.filter(Boolean).join(' ');
/** A metric path segment for a free-form key (model ids contain dots): `byModel[Llama-3.2-1B]`. */
const key = (k) => `[${k}]`;

// ---------------------------------------------------------------------------------------------
// The component

/**
 * The monitor panel. See index.d.ts for the props.
 * @param {import('./index.js').MonitorPanelProps} props
 */
export function MonitorPanel(props) {
  const mode = MODES.includes(props.mode) ? props.mode : 'inline';
  const common = {
    monitor: props.monitor ?? null,
    theme: THEMES.includes(props.theme) ? props.theme : 'auto',
    defaultWindow: WINDOW_KEYS.includes(props.defaultWindow) ? props.defaultWindow : 'session',
    title: typeof props.title === 'string' && props.title !== '' ? props.title : 'WebLLM monitor',
    className: props.className,
    style: props.style,
  };
  if (mode === 'inline') return h(InlinePanel, common);
  if (!props.open || typeof document === 'undefined') return null;
  return createPortal(h(DialogPanel, { ...common, mode, onClose: props.onClose }), document.body);
}

/**
 * Applies the styles (before paint) to the root's document or shadow root, and reads the chart
 * colours of the root's theme.
 */
function useThemePalette(rootRef, theme) {
  const [palette, setPalette] = useState(null);
  useLayoutEffect(() => {
    const el = rootRef.current;
    if (!el) return undefined;
    ensureStyles(el);
    const update = () =>
      setPalette((prev) => {
        const next = readPalette(el);
        return prev && Object.keys(next).every((k) => prev[k] === next[k]) ? prev : next;
      });
    update();
    const mq = theme === 'auto' ? el.ownerDocument.defaultView?.matchMedia?.('(prefers-color-scheme: dark)') : null;
    mq?.addEventListener?.('change', update);
    return () => mq?.removeEventListener?.('change', update);
  }, [rootRef, theme]);
  return palette;
}

function InlinePanel({ monitor, theme, defaultWindow, title, className, style }) {
  const rootRef = useRef(null);
  const titleId = useId();
  const palette = useThemePalette(rootRef, theme);
  return h(
    'div',
    {
      ref: rootRef,
      className: cx(ROOT_CLASS, 'wlm-inline', className),
      style,
      role: 'region',
      'aria-labelledby': titleId,
      'data-wlm-theme': theme,
      'data-wlm-mode': 'inline',
    },
    h(PanelBody, { monitor, defaultWindow, title, titleId, palette, onClose: null }),
  );
}

const FOCUSABLE =
  'a[href], area[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), iframe, [contenteditable="true"], [tabindex]:not([tabindex="-1"])';

function focusablesIn(el) {
  return [...el.querySelectorAll(FOCUSABLE)].filter(
    (e) => e.tabIndex >= 0 && !e.closest('[inert]') && e.getClientRects().length > 0,
  );
}

/** Drawer or modal: a dialog in a portal that traps focus, closes on Escape and restores focus. */
function DialogPanel({ monitor, theme, defaultWindow, title, className, style, mode, onClose }) {
  const layerRef = useRef(null);
  const dialogRef = useRef(null);
  const titleId = useId();
  const palette = useThemePalette(layerRef, theme);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useLayoutEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return undefined;
    const doc = dialog.ownerDocument;
    const opener = doc.activeElement;
    const first = () => focusablesIn(dialog)[0] ?? dialog;
    if (!dialog.contains(doc.activeElement)) first().focus({ preventScroll: true });
    const onKeyDown = (e) => {
      if (e.defaultPrevented) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        onCloseRef.current?.();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = focusablesIn(dialog);
      if (items.length === 0) {
        e.preventDefault();
        dialog.focus();
        return;
      }
      const active = doc.activeElement;
      const i = items.indexOf(active);
      if (e.shiftKey && (i <= 0 || !dialog.contains(active))) {
        e.preventDefault();
        items[items.length - 1].focus();
      } else if (!e.shiftKey && (i === items.length - 1 || !dialog.contains(active))) {
        e.preventDefault();
        items[0].focus();
      }
    };
    const onFocusIn = (e) => {
      if (e.target instanceof Node && !dialog.contains(e.target)) first().focus({ preventScroll: true });
    };
    doc.addEventListener('keydown', onKeyDown);
    doc.addEventListener('focusin', onFocusIn);
    return () => {
      doc.removeEventListener('keydown', onKeyDown);
      doc.removeEventListener('focusin', onFocusIn);
      if (opener && opener !== doc.body && opener.isConnected && typeof opener.focus === 'function') {
        opener.focus({ preventScroll: true });
      }
    };
  }, []);

  return h(
    'div',
    { ref: layerRef, className: cx(ROOT_CLASS, 'wlm-layer'), 'data-wlm-theme': theme, 'data-wlm-mode': mode },
    h('div', { className: 'wlm-backdrop', 'aria-hidden': 'true', onClick: () => onCloseRef.current?.() }),
    h(
      'div',
      {
        ref: dialogRef,
        className: cx('wlm-dialog', className),
        style,
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': titleId,
        tabIndex: -1,
        'data-wlm-mode': mode,
      },
      h(PanelBody, { monitor, defaultWindow, title, titleId, palette, onClose: () => onCloseRef.current?.() }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Data

/** The latest { metrics, status, at } from subscribe (unsubscribed while paused). */
function useSnapshot(monitor, paused) {
  const [snap, setSnap] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!monitor || paused) return undefined;
    let unsubscribe;
    try {
      unsubscribe = monitor.subscribe((s) => setSnap({ metrics: s.metrics, status: s.status, at: Date.now() }));
      setError(null);
    } catch (err) {
      setError(err);
      return undefined;
    }
    return () => unsubscribe();
  }, [monitor, paused]);
  const refresh = useCallback(() => {
    if (!monitor) return;
    try {
      setSnap({ metrics: monitor.getMetrics(), status: monitor.getStatus(), at: Date.now() });
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [monitor]);
  return { snap, error, refresh };
}

const NO_HISTORY = { history: [], memory: [], latency: null };
/** Reads take at most about 1 / (1 + READ_BUDGET) of the time, however long the history is. */
const READ_BUDGET = 8;

/**
 * The generation and memory histories and the latency sketch, read from the monitor (one export
 * gives all three: the sketch's buckets are in its `sketches`) only when what they depend on
 * changed. They are read whether or not the charts are on screen: a chart scrolled away, or a
 * full-page capture that never scrolls, shows the current data too. A long history makes a read
 * slow: reads are then spaced so that they take at most ~1/9 of the time, and a one-shot timer
 * makes the last one, so the panel always ends on the current state.
 */
function useHistories(monitor, metrics) {
  const [, setTick] = useState(0);
  const cache = useRef({ monitor: null, key: null, value: NO_HISTORY, at: -Infinity, cost: 0 });
  let due = 0;
  if (monitor && metrics) {
    const g = metrics.generations;
    const key = `${g.total}|${g.tokens.total}|${g.latencyMs.count}|${g.latencyMs.mean}|${g.ttftMs.mean}|${metrics.errors.total}|` +
      `${metrics.memory.samples}|${metrics.memory.latest?.timestamp}`;
    const c = cache.current;
    if (c.monitor !== monitor || c.key !== key) {
      const start = performance.now();
      const next = c.at + c.cost * READ_BUDGET;
      if (c.monitor !== monitor || start >= next) {
        const value = readHistories(monitor, c.monitor === monitor ? c.value : NO_HISTORY);
        const end = performance.now();
        cache.current = { monitor, key, value, at: end, cost: end - start };
      } else {
        due = next - start;
      }
    }
  }
  useEffect(() => {
    if (due <= 0) return undefined;
    const id = setTimeout(() => setTick((t) => t + 1), Math.ceil(due));
    return () => clearTimeout(id);
  });
  return cache.current.value;
}

function readHistories(monitor, previous) {
  try {
    const doc = JSON.parse(monitor.exportMetrics());
    return { history: doc.generations, memory: doc.memorySnapshots, latency: doc.sketches.generations.series.latencyMs };
  } catch {
    return previous; // a disposed monitor: the error shows through the subscription
  }
}

// ---------------------------------------------------------------------------------------------
// Small pieces

/** A number from the metrics: `path` names it (stable), `source` is where it was read. */
function Val({ path, source, value, format = fmtNum, unitSpan = false }) {
  const text = format(value);
  const cut = unitSpan ? text.lastIndexOf(' ') : -1;
  return h(
    'span',
    { className: 'wlm-val', 'data-wlm-value': path, 'data-wlm-source': source ?? path, 'data-wlm-raw': rawOf(value) },
    cut > 0 ? [text.slice(0, cut), h('span', { key: 'u', className: 'wlm-unit' }, text.slice(cut))] : text,
  );
}

/** A figure with its label; `note` (a line under the value) says what it is over or of. */
function Tile({ label, title, note, ...val }) {
  return h(
    'div',
    { className: 'wlm-tile', title },
    h('span', { className: 'wlm-tile-label' }, label),
    h('span', { className: 'wlm-tile-value' }, h(Val, { ...val, unitSpan: true })),
    note ? h('span', { className: 'wlm-tile-note' }, note) : null,
  );
}

function Section({ name, title, className, children, headingClass }) {
  const id = useId();
  return h(
    'section',
    { className, 'data-wlm-section': name, 'aria-labelledby': id },
    h('h3', { id, className: headingClass }, title),
    children,
  );
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
 */
function ScrollBox({ label, tall = false, className, children }) {
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

function Dl({ rows }) {
  return h(
    'dl',
    { className: 'wlm-dl' },
    rows.filter(Boolean).map(([label, value], i) => h(React.Fragment, { key: i }, h('dt', null, label), h('dd', null, value))),
  );
}

function Empty({ children }) {
  return h('p', { className: 'wlm-empty' }, children);
}

// ---------------------------------------------------------------------------------------------
// The body

function PanelBody({ monitor, defaultWindow, title, titleId, palette, onClose }) {
  const [paused, setPaused] = useState(false);
  const [win, setWin] = useState(defaultWindow);
  const [notice, setNotice] = useState('');
  const { snap, error, refresh } = useSnapshot(monitor, paused);

  const metrics = snap?.metrics ?? null;
  const status = snap?.status ?? null;
  const { history, memory, latency: latencySketch } = useHistories(monitor, metrics);

  // A failing action (a disposed monitor, a blocked download) is reported in the panel, never thrown.
  const guard = (fn) => () => {
    try {
      fn();
    } catch (err) {
      setNotice(`Failed: ${err && err.message ? err.message : String(err)}`);
    }
  };
  const actions = useMemo(
    () => Object.fromEntries(Object.entries({
      print() {
        monitor.printMetrics();
        setNotice('Metrics printed to the browser console.');
      },
      downloadJson() {
        const name = monitor.downloadMetrics();
        setNotice(name ? `Downloading ${name}` : 'No document to download from.');
      },
      downloadCsv() {
        const name = monitor.downloadCSV();
        setNotice(name ? `Downloading ${name}` : 'No document to download from.');
      },
      reset() {
        monitor.resetMetrics();
        refresh();
        setNotice('All metrics were reset.');
      },
      refresh() {
        refresh();
        setNotice(`Refreshed at ${fmtTime(Date.now())}.`);
      },
      togglePause() {
        setNotice(paused ? 'Live updates resumed.' : 'Live updates paused.');
        setPaused(!paused);
      },
    }).map(([k, fn]) => [k, guard(fn)])),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- guard only uses setNotice (stable)
    [monitor, refresh, paused],
  );

  const header = h(
    'div',
    { className: 'wlm-header' },
    h(
      'div',
      { className: 'wlm-header-main' },
      h('h2', { id: titleId, className: 'wlm-title' }, title),
      h(
        'span',
        { className: 'wlm-live', 'data-wlm-paused': String(paused) },
        h('span', { className: 'wlm-live-dot', 'aria-hidden': 'true' }),
        paused ? 'Paused' : 'Live',
        snap ? ` \u00B7 updated ${fmtTime(snap.at)}` : '',
      ),
    ),
    onClose
      ? h('button', { type: 'button', className: 'wlm-btn wlm-btn-icon', 'aria-label': 'Close the monitor', title: 'Close (Esc)', onClick: onClose, 'data-wlm-action': 'close' }, '\u00D7')
      : null,
  );

  const toolbar = h(
    'div',
    { className: 'wlm-toolbar' },
    h(WindowSection, { value: win, onChange: setWin, metrics }),
    h(ActionsSection, { actions, paused, notice, disabled: !monitor || (!snap && !error) }),
  );

  let content;
  if (!monitor) content = h(Empty, null, 'Waiting for a monitor\u2026');
  else if (error && !snap) content = h('p', { role: 'alert', className: 'wlm-empty' }, `The monitor cannot be read: ${error.message}`);
  else if (!snap) content = h(Empty, null, 'Loading metrics\u2026');
  else {
    content = h(
      React.Fragment,
      null,
      h(
        'div',
        { className: 'wlm-grid' },
        h(StatusSection, { metrics, status }),
        h(InitSection, { metrics }),
      ),
      h(GenerationsSection, { metrics, win }),
      h(ChartsSection, { palette, history, memory, latencySketch, metrics, win, at: snap.at }),
      h(RecentSection, { history }),
      h(
        'div',
        { className: 'wlm-grid' },
        h(CacheSection, { metrics, win }),
        h(WebGpuSection, { metrics }),
      ),
      h(ErrorsSection, { metrics, win }),
    );
  }

  return h(
    'div',
    { className: 'wlm-body', 'data-wlm-window': win, 'data-wlm-paused': String(paused) },
    header,
    toolbar,
    error && snap ? h('p', { role: 'alert', className: 'wlm-note' }, `The monitor cannot be read: ${error.message}`) : null,
    content,
  );
}

// ---------------------------------------------------------------------------------------------
// Sections

function WindowSection({ value, onChange, metrics }) {
  const labelId = useId();
  const refs = useRef([]);
  const index = WINDOW_KEYS.indexOf(value);
  const onKeyDown = (e) => {
    let next = null;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = (index + 1) % WINDOWS.length;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = (index + WINDOWS.length - 1) % WINDOWS.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = WINDOWS.length - 1;
    if (next === null) return;
    e.preventDefault();
    onChange(WINDOWS[next].key);
    refs.current[next]?.focus();
  };
  const span = value !== 'session' && metrics ? metrics.windows[value]?.spanMs : null;
  return h(
    'section',
    { 'data-wlm-section': 'window', 'aria-labelledby': labelId },
    h('h3', { id: labelId }, 'Window'),
    h(
      'div',
      { role: 'radiogroup', 'aria-labelledby': labelId, className: 'wlm-segmented', onKeyDown },
      WINDOWS.map((w, i) =>
        h(
          'button',
          {
            key: w.key,
            ref: (el) => {
              refs.current[i] = el;
            },
            type: 'button',
            role: 'radio',
            'aria-checked': w.key === value ? 'true' : 'false',
            tabIndex: w.key === value ? 0 : -1,
            title: `Generation, cache and error figures over ${w.long}`,
            'data-wlm-window': w.key,
            onClick: () => onChange(w.key),
          },
          w.label,
        ),
      ),
    ),
    span !== null && span !== undefined ? h('span', { className: 'wlm-live' }, `covers ${fmtMs(span)}`) : null,
  );
}

function ActionsSection({ actions, paused, notice, disabled }) {
  const [confirming, setConfirming] = useState(false);
  const resetRef = useRef(null);
  const cancelRef = useRef(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
    else if (wasConfirming.current) resetRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);
  const button = (action, label, onClick, extra = {}) =>
    h('button', { type: 'button', className: 'wlm-btn', 'data-wlm-action': action, onClick, disabled, ...extra }, label);
  const labelId = useId();
  return h(
    'section',
    { 'data-wlm-section': 'actions', 'aria-labelledby': labelId },
    h('h3', { id: labelId }, 'Actions'),
    h(
      'div',
      { className: 'wlm-actions' },
      button('pause', paused ? 'Resume' : 'Pause', actions.togglePause, {
        'aria-pressed': paused ? 'true' : 'false',
        title: paused ? 'Resume live updates' : 'Pause live updates',
      }),
      button('refresh', 'Refresh', actions.refresh, { title: 'Read the metrics now' }),
      button('print', 'Print to console', actions.print, { title: 'printMetrics(): tables and the text report in the console' }),
      button('download-json', 'Download JSON', actions.downloadJson, { title: `The export document (schema version ${schemaVersion})` }),
      button('download-csv', 'Download CSV', actions.downloadCsv, { title: 'One row per generation in the history' }),
      confirming
        ? h(
            'div',
            {
              className: 'wlm-confirm',
              role: 'group',
              'aria-label': 'Confirm the reset',
              'data-wlm-confirm': 'reset',
              onKeyDown: (e) => {
                if (e.key === 'Escape') {
                  e.preventDefault();
                  setConfirming(false);
                }
              },
            },
            h('p', null, 'Forget every metric?'),
            h(
              'button',
              {
                type: 'button',
                className: 'wlm-btn wlm-btn-danger-solid',
                'data-wlm-action': 'reset-confirm',
                onClick: () => {
                  setConfirming(false);
                  actions.reset();
                },
              },
              'Reset now',
            ),
            h('button', { ref: cancelRef, type: 'button', className: 'wlm-btn', 'data-wlm-action': 'reset-cancel', onClick: () => setConfirming(false) }, 'Cancel'),
          )
        : button('reset', 'Reset\u2026', () => setConfirming(true), { ref: resetRef, className: 'wlm-btn wlm-btn-danger', title: 'Forget every event (asks first)' }),
    ),
    h('p', { className: 'wlm-notice', role: 'status', 'aria-live': 'polite' }, notice),
  );
}

function StatusSection({ metrics, status }) {
  const health = metrics.health;
  const look = HEALTH[health.status] ?? HEALTH.healthy;
  const loading = status.loading;
  let state;
  if (loading) {
    state = h(
      'div',
      null,
      h('span', { 'data-wlm-value': 'status.loading.progress', 'data-wlm-raw': rawOf(loading.progress) }, `Loading ${loading.model} \u00B7 ${fmtPct(loading.progress)}`),
      h('progress', { className: 'wlm-progress', max: 1, value: Math.min(1, Math.max(0, loading.progress || 0)), 'aria-label': `Loading ${loading.model}` }),
      loading.text ? h('div', { className: 'wlm-progress-text' }, loading.text) : null,
    );
  } else {
    state = status.ready ? 'Ready' : 'No model loaded';
  }
  return h(
    Section,
    { name: 'status', title: 'Status', className: 'wlm-card' },
    h(
      'div',
      { className: 'wlm-health' },
      h(
        'span',
        { className: 'wlm-badge', 'data-wlm-health': health.status, 'data-wlm-value': 'health.status', 'data-wlm-raw': health.status },
        h('span', { className: 'wlm-badge-icon', 'aria-hidden': 'true' }, look.icon),
        look.label,
      ),
      h('span', { className: 'wlm-basis' }, health.basis === '5m' ? 'over the last 5 min' : 'over the session'),
    ),
    health.reasons.length > 0
      ? h(
          'ul',
          { className: 'wlm-reasons', 'aria-label': 'Health reasons' },
          health.reasons.map((r) =>
            h('li', { key: `${r.metric}-${r.level}`, 'data-wlm-level': r.level, 'data-wlm-row': r.metric }, h('span', { className: 'wlm-level' }, r.level === 'critical' ? 'Critical: ' : 'Warning: '), r.message),
          ),
        )
      : null,
    h(Dl, {
      rows: [
        ['Model', h('span', { 'data-wlm-value': 'status.model', 'data-wlm-raw': rawOf(status.model) }, status.model ?? 'None')],
        ['State', state],
        status.loadedModels.length > 1 ? ['Loaded', status.loadedModels.join(', ')] : null,
        ['Debug', h('span', { 'data-wlm-value': 'status.debug', 'data-wlm-raw': rawOf(status.debug) }, status.debug ? 'On' : 'Off')],
        ['Persistence', status.persist ? status.persist : 'Off'],
        ['Monitor faults', h(Val, { path: 'status.faults', value: status.faults, format: fmtInt })],
        ['Rejected events', h(Val, { path: 'rejected.total', value: metrics.rejected.total, format: fmtInt })],
      ],
    }),
  );
}

function InitSection({ metrics }) {
  const i = metrics.initialization;
  const v = (rel, format) => h(Val, { path: `initialization.${rel}`, value: rel.split('.').reduce((o, k) => o?.[k], i), format });
  const source = i.lastFromCache === true ? 'From cache' : i.lastFromCache === false ? 'Downloaded' : 'Unknown';
  return h(
    Section,
    { name: 'initialization', title: 'Initialization', className: 'wlm-card' },
    i.loads === 0
      ? h(Empty, null, 'No model load recorded yet.')
      : h(Dl, {
          rows: [
            ['Last model', i.lastModel ?? DASH],
            ['Last load', v('lastDurationMs', fmtMs)],
            ['Source', h('span', { 'data-wlm-value': 'initialization.lastFromCache', 'data-wlm-raw': rawOf(i.lastFromCache) }, source)],
            ['Bytes fetched', v('lastBytesFetched', fmtBytes)],
            ['Result', i.lastSucceeded === false ? h('span', { className: 'wlm-error-name' }, 'Failed') : 'Loaded'],
            ['Loaded at', fmtDateTime(i.lastLoadedAt)],
            ['Loads', h('span', null, v('loads', fmtInt), ' \u00B7 ', v('fromCache', fmtInt), ' from cache \u00B7 ', v('downloaded', fmtInt), ' downloaded \u00B7 ', v('failed', fmtInt), ' failed')],
            ['Load time p50', v('loadMs.p50', fmtMs)],
            ['All bytes fetched', v('bytesFetched', fmtBytes)],
          ],
        }),
  );
}

/** The percentile table's rows: the generation series the description gives a panel title. */
const SERIES = seriesIn('generation')
  .filter((s) => s.title)
  .map((s) => [s.title, s.name, fmtOfUnit(s.unit)]);

function GenerationsSection({ metrics, win }) {
  const base = win === 'session' ? 'generations' : `windows.${win}.generations`;
  const g = win === 'session' ? metrics.generations : metrics.windows[win].generations;
  const tile = (label, rel, format, title, note) => {
    const value = rel.split('.').reduce((o, k) => o?.[k], g);
    return h(Tile, { key: rel, label, title, note, path: `generations.${rel}`, source: `${base}.${rel}`, value, format });
  };
  const windowLabel = WINDOWS.find((w) => w.key === win);
  // Throughput divides the output tokens by wall time (idle time included), decode speed by each
  // generation's own decode time: both say so, or 11 tok/s beside 240 tok/s reads as a bug.
  const wall = h(Val, { path: 'generations.throughput.wallTimeMs', source: `${base}.throughput.wallTimeMs`, value: g.throughput.wallTimeMs, format: fmtMs });
  const wallText = fmtMs(g.throughput.wallTimeMs);
  const throughput = win === 'session'
    ? {
        note: h(React.Fragment, null, 'over a ', wall, ' span, first start to last end'),
        title: `Output tokens divided by the session's span (${wallText}, from the first generation's start to the last one's end), idle time included. Decode speed counts only each generation's decode time.`,
      }
    : {
        note: h(React.Fragment, null, "over the window's ", wall, ' span'),
        title: `Output tokens of ${windowLabel.long} divided by the window's span (${wallText}), idle time included. Decode speed counts only each generation's decode time.`,
      };
  return h(
    Section,
    { name: 'generations', title: win === 'session' ? 'Generations' : `Generations \u00B7 ${windowLabel.long}`, className: 'wlm-card' },
    h(
      'div',
      { className: 'wlm-tiles' },
      tile('Total', 'total', fmtInt),
      tile('Succeeded', 'succeeded', fmtInt),
      tile('Failed', 'failed', fmtInt),
      tile('Aborted', 'aborted', fmtInt),
      tile('Success rate', 'successRate', fmtPct),
      tile('Error rate', 'errorRate', fmtPct),
      tile('Abort rate', 'abortRate', fmtPct),
      tile('Prompt tokens', 'tokens.prompt', fmtInt),
      tile('Output tokens', 'tokens.completion', fmtInt, 'Completion tokens'),
      tile('Throughput', 'throughput.tokensPerSec', fmtTps, throughput.title, throughput.note),
      tile('Decode p50', 'decodeTokensPerSec.p50', fmtTps, "Median of each generation's decode speed: its output tokens over its own decode time", 'per generation, while decoding'),
      tile('Prefill p50', 'prefillTokensPerSec.p50', fmtTps, "Median of each generation's prefill speed: its prompt tokens over its prefill time (the engine's, else the time to first token)", 'per generation, before the first token'),
    ),
    h('h4', { className: 'wlm-subhead' }, 'Percentiles'),
    h(
      ScrollBox,
      { label: 'Percentiles' },
      h(
        'table',
        { className: 'wlm-table', 'data-wlm-table': 'percentiles' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Series'), ...['Count', 'Mean', 'p50', 'p95', 'p99'].map((c) => h('th', { key: c, scope: 'col', className: 'wlm-num' }, c)))),
        h(
          'tbody',
          null,
          SERIES.map(([label, name, format]) =>
            h(
              'tr',
              { key: name, 'data-wlm-row': name },
              h('th', { scope: 'row' }, label),
              ['count', 'mean', 'p50', 'p95', 'p99'].map((q) =>
                h('td', { key: q, className: 'wlm-num' }, h(Val, { path: `generations.${name}.${q}`, source: `${base}.${name}.${q}`, value: g[name][q], format: q === 'count' ? fmtInt : format })),
              ),
            ),
          ),
        ),
      ),
    ),
    h(BreakdownTable, { title: 'By type', base: 'generations.byType', map: metrics.generations.byType, name: 'byType' }),
    h(BreakdownTable, { title: 'By model', base: 'generations.byModel', map: metrics.generations.byModel, name: 'byModel' }),
    win !== 'session' ? h('p', { className: 'wlm-note' }, 'The tables by type and by model cover the whole session.') : null,
  );
}

function BreakdownTable({ title, base, map, name }) {
  const rows = Object.entries(map).sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1));
  const cols = [
    ['Total', 'total', fmtInt],
    ['Error rate', 'errorRate', fmtPct],
    ['Abort rate', 'abortRate', fmtPct],
    ['Latency p50', 'latencyMs.p50', fmtMs],
    ['Latency p95', 'latencyMs.p95', fmtMs],
    ['TTFT p50', 'ttftMs.p50', fmtMs],
    ['Decode p50', 'decodeTokensPerSec.p50', fmtTps],
    ['Tokens', 'tokens.total', fmtInt],
  ];
  return h(
    React.Fragment,
    null,
    h('h4', { className: 'wlm-subhead' }, title),
    rows.length === 0
      ? h(Empty, null, 'None yet.')
      : h(
          ScrollBox,
          { label: title },
          h(
            'table',
            { className: 'wlm-table', 'data-wlm-table': name },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, name === 'byModel' ? 'Model' : 'Type'), cols.map(([label]) => h('th', { key: label, scope: 'col', className: 'wlm-num' }, label)))),
            h(
              'tbody',
              null,
              rows.map(([k, m]) =>
                h(
                  'tr',
                  { key: k, 'data-wlm-row': k },
                  h('th', { scope: 'row', className: 'wlm-clip', title: k }, k),
                  cols.map(([label, rel, format]) =>
                    h('td', { key: label, className: 'wlm-num' }, h(Val, { path: `${base}${key(k)}.${rel}`, value: rel.split('.').reduce((o, p) => o?.[p], m), format })),
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

function ChartsSection({ palette, history, memory, latencySketch, metrics, win, at }) {
  const w = WINDOWS.find((x) => x.key === win);
  const since = w.ms === null ? -Infinity : at - w.ms;
  // [x (epoch s), decode tok/s, TTFT ms]: one point per generation that ended in the window.
  const genData = useMemo(() => {
    const rows = [];
    for (const r of history) {
      const end = r.startedAt + r.durationMs;
      if (end >= since) rows.push([end / 1000, r.decodeTokensPerSec, r.ttftMs]);
    }
    rows.sort((a, b) => a[0] - b[0]);
    return {
      tps: [rows.map((r) => r[0]), rows.map((r) => r[1])],
      ttft: [rows.map((r) => r[0]), rows.map((r) => r[2])],
      n: rows.length,
    };
  }, [history, since]);
  const memData = useMemo(() => {
    const rows = memory.filter((s) => typeof s.timestamp === 'number' && s.timestamp >= since).sort((a, b) => a.timestamp - b.timestamp);
    return {
      data: [rows.map((s) => s.timestamp / 1000), rows.map((s) => s.usedJSHeapSize), rows.map((s) => s.wasmHeapBytes), rows.map((s) => s.gpuBufferBytes)],
      n: rows.length,
    };
  }, [memory, since]);
  const binsRef = useRef([]);
  const bins = useMemo(() => (latencySketch ? histogramBins(latencySketch.histogram) : null), [latencySketch]);
  const histData = useMemo(() => {
    const b = bins ?? [];
    binsRef.current = b;
    return [b.map((_, i) => i), b.map((x) => x.count)];
  }, [bins]);

  const builds = useMemo(
    () =>
      palette && {
        tps: timeChartOptions(palette, { series: [{ label: 'Decode tok/s', color: 'c1', format: fmtTps }], yAxes: [{ scale: 'y', format: (v) => fmtNum(v, 1) }] }),
        ttft: timeChartOptions(palette, { series: [{ label: 'TTFT', color: 'c2', format: fmtMs }], yAxes: [{ scale: 'y', format: (v) => fmtMs(v).replace(' ', '') }] }),
        // The page's JS heap and the model side's memory differ by orders of magnitude: two axes.
        memory: timeChartOptions(palette, {
          series: [
            { label: 'JS heap', color: 'c1', format: fmtBytes, scale: 'js' },
            { label: 'Wasm heap', color: 'c3', format: fmtBytes, scale: 'model' },
            { label: 'GPU buffers', color: 'c2', format: fmtBytes, scale: 'model' },
          ],
          yAxes: [
            { scale: 'js', format: fmtBytes, bytes: true, label: 'JS heap', color: 'c1' },
            { scale: 'model', format: fmtBytes, bytes: true, label: 'Wasm heap, GPU buffers' },
          ],
          ySize: 62,
        }),
        histogram: histogramOptions(palette, binsRef),
      },
    [palette],
  );

  const g = metrics.generations;
  const scope = w.ms === null ? 'session' : w.long;
  const latest = metrics.memory.latest;
  const noGen = genData.n === 0 ? 'No generations yet' : null;
  return h(
    Section,
    { name: 'charts', title: 'Charts', className: 'wlm-card' },
    !builds
      ? null
      : h(
          'div',
          { className: 'wlm-charts' },
          h(Chart, {
            name: 'decode-tps',
            build: builds.tps,
            data: genData.tps,
            caption: `Decode speed (tokens/s), ${scope}`,
            label: `Decode tokens per second of ${genData.n} generations over time, ${scope}. Session p50 ${fmtTps(g.decodeTokensPerSec.p50)}, p95 ${fmtTps(g.decodeTokensPerSec.p95)}.`,
            empty: noGen,
          }),
          h(Chart, {
            name: 'ttft',
            build: builds.ttft,
            data: genData.ttft,
            caption: `Time to first token, ${scope}`,
            label: `Time to first token of ${genData.n} generations over time, ${scope}. Session p50 ${fmtMs(g.ttftMs.p50)}, p95 ${fmtMs(g.ttftMs.p95)}.`,
            empty: noGen,
          }),
          h(Chart, {
            name: 'memory',
            build: builds.memory,
            data: memData.data,
            caption: `Memory, ${scope}`,
            label: `Memory over time, ${memData.n} samples, ${scope}. Latest: JS heap ${fmtBytes(latest?.usedJSHeapSize)}, wasm heap ${fmtBytes(latest?.wasmHeapBytes)}, GPU buffers ${fmtBytes(latest?.gpuBufferBytes)}.`,
            empty: memData.n === 0 ? 'No memory samples yet' : null,
          }),
          h(
            Chart,
            {
              name: 'latency-histogram',
              build: builds.histogram,
              data: histData,
              caption: 'Latency distribution, session',
              label: `Latency distribution of ${fmtInt(g.latencyMs.count)} succeeded generations (session): p50 ${fmtMs(g.latencyMs.p50)}, p95 ${fmtMs(g.latencyMs.p95)}, p99 ${fmtMs(g.latencyMs.p99)}. The table that follows lists the buckets.`,
              empty: bins === null || bins.length === 0 ? 'No succeeded generations yet' : null,
            },
            bins && bins.length > 0
              ? h(
                  'table',
                  { className: 'wlm-sr-only', 'data-wlm-table': 'latency-histogram' },
                  h('caption', null, 'Succeeded generations per latency bucket'),
                  h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Latency'), h('th', { scope: 'col' }, 'Generations'))),
                  h(
                    'tbody',
                    null,
                    bins.map((b, i) =>
                      h(
                        'tr',
                        { key: i, 'data-wlm-row': String(i) },
                        h('td', null, b.hi === 0 ? '0 ms' : `${fmtMs(b.lo)} to ${fmtMs(b.hi)}`),
                        h('td', { 'data-wlm-raw': rawOf(b.count), 'data-wlm-lo': rawOf(b.lo), 'data-wlm-hi': rawOf(b.hi) }, fmtInt(b.count)),
                      ),
                    ),
                  ),
                )
              : null,
          ),
        ),
  );
}

const numCell = (field, value, format, extra) =>
  h('td', { className: 'wlm-num', 'data-wlm-field': field, 'data-wlm-raw': rawOf(value), ...extra }, format(value));

const sameGeneration = (a, b) =>
  a.startedAt === b.startedAt && a.durationMs === b.durationMs && a.ttftMs === b.ttftMs && a.finishReason === b.finishReason &&
  a.completionTokens === b.completionTokens && a.decodeTokensPerSec === b.decodeTokensPerSec && a.model === b.model &&
  a.type === b.type && a.errorName === b.errorName;

/** One generation; re-rendered only when its row index or its record changes. */
const RecentRow = React.memo(
  function RecentRow({ i, r }) {
    return h(
      'tr',
      { 'data-wlm-row': String(i) },
      h('td', { 'data-wlm-field': 'startedAt', 'data-wlm-raw': rawOf(r.startedAt) }, fmtTime(r.startedAt + r.durationMs)),
      h('td', { 'data-wlm-field': 'type', className: 'wlm-clip', title: r.type }, r.type),
      h('td', { 'data-wlm-field': 'model', className: 'wlm-clip', title: r.model }, r.model),
      numCell('durationMs', r.durationMs, fmtMs),
      numCell('ttftMs', r.ttftMs, fmtMs),
      numCell('completionTokens', r.completionTokens, fmtInt, { title: r.promptTokens !== null ? `${fmtInt(r.promptTokens)} prompt tokens` : undefined }),
      numCell('decodeTokensPerSec', r.decodeTokensPerSec, fmtTps),
      h(
        'td',
        {
          'data-wlm-field': 'finishReason',
          'data-wlm-raw': r.finishReason,
          className: 'wlm-finish',
          'data-wlm-finish': r.finishReason,
          title: r.errorName ? `${r.errorName}: ${r.errorMessage ?? ''}` : undefined,
        },
        r.finishReason,
      ),
    );
  },
  (a, b) => a.i === b.i && sameGeneration(a.r, b.r),
);

const RecentSection = React.memo(function RecentSection({ history }) {
  const start = Math.max(0, history.length - RECENT_ROWS);
  const rows = [];
  for (let i = history.length - 1; i >= start; i--) rows.push([i, history[i]]);
  return h(
    Section,
    { name: 'recent', title: `Recent generations${history.length > RECENT_ROWS ? ` (newest ${RECENT_ROWS} of ${fmtInt(history.length)})` : ''}`, className: 'wlm-card' },
    rows.length === 0
      ? h(Empty, null, 'No generations yet.')
      : h(
          ScrollBox,
          { tall: true, label: 'Recent generations, newest first' },
          h(
            'table',
            { className: 'wlm-table', 'data-wlm-table': 'recent' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Ended', 'Type', 'Model'].map((c) => h('th', { key: c, scope: 'col' }, c)),
                ['Duration', 'TTFT', 'Tokens', 'Tokens/s'].map((c) => h('th', { key: c, scope: 'col', className: 'wlm-num' }, c)),
                h('th', { scope: 'col' }, 'Finish'),
              ),
            ),
            h(
              'tbody',
              null,
              rows.map(([i, r]) => h(RecentRow, { key: i, i, r })),
            ),
          ),
        ),
  );
});

function CacheSection({ metrics, win }) {
  const base = win === 'session' ? 'cache' : `windows.${win}.cache`;
  const c = win === 'session' ? metrics.cache : metrics.windows[win].cache;
  const tile = (label, rel, format) => h(Tile, { key: rel, label, path: `cache.${rel}`, source: `${base}.${rel}`, value: c[rel], format });
  const names = Object.entries(metrics.cache.byName).sort((a, b) => b[1].lookups - a[1].lookups || (a[0] < b[0] ? -1 : 1));
  return h(
    Section,
    { name: 'cache', title: 'Cache', className: 'wlm-card' },
    h('div', { className: 'wlm-tiles' }, tile('Hit rate', 'hitRate', fmtPct), tile('Hits', 'hits', fmtInt), tile('Misses', 'misses', fmtInt), tile('Lookups', 'lookups', fmtInt)),
    names.length === 0
      ? null
      : h(
          ScrollBox,
          { className: 'wlm-mt', label: 'By cache' },
          h(
            'table',
            { className: 'wlm-table', 'data-wlm-table': 'cache' },
            h('caption', null, win === 'session' ? 'By cache' : 'By cache (whole session)'),
            h(
              'thead',
              null,
              h('tr', null, h('th', { scope: 'col' }, 'Cache'), ['Hits', 'Misses', 'Hit rate'].map((l) => h('th', { key: l, scope: 'col', className: 'wlm-num' }, l))),
            ),
            h(
              'tbody',
              null,
              names.map(([k, m]) =>
                h(
                  'tr',
                  { key: k, 'data-wlm-row': k },
                  h('th', { scope: 'row', className: 'wlm-clip', title: k }, k),
                  h('td', { className: 'wlm-num' }, h(Val, { path: `cache.byName${key(k)}.hits`, value: m.hits, format: fmtInt })),
                  h('td', { className: 'wlm-num' }, h(Val, { path: `cache.byName${key(k)}.misses`, value: m.misses, format: fmtInt })),
                  h('td', { className: 'wlm-num' }, h(Val, { path: `cache.byName${key(k)}.hitRate`, value: m.hitRate, format: fmtPct })),
                ),
              ),
            ),
          ),
        ),
  );
}

function WebGpuSection({ metrics }) {
  const gpu = metrics.webgpu;
  const a = gpu.adapter;
  const limits = KEY_LIMITS.filter(([k]) => typeof gpu.limits[k] === 'number');
  const lost = gpu.deviceLost;
  return h(
    Section,
    { name: 'webgpu', title: 'WebGPU', className: 'wlm-card' },
    h(Dl, {
      rows: [
        ['Available', h('span', { 'data-wlm-value': 'webgpu.available', 'data-wlm-raw': rawOf(gpu.available) }, fmtBool(gpu.available, 'Yes', 'No', 'Not checked'))],
        a ? ['Adapter', [a.vendor, a.architecture, a.device].filter(Boolean).join(' \u00B7 ') || DASH] : null,
        a && a.description ? ['Description', a.description] : null,
        a ? ['Fallback adapter', h('span', { 'data-wlm-value': 'webgpu.adapter.isFallbackAdapter', 'data-wlm-raw': rawOf(a.isFallbackAdapter), title: a.isFallbackAdapter ? 'A software adapter: expect slow generations' : undefined }, a.isFallbackAdapter ? 'Yes (software)' : 'No')] : null,
        ...limits.map(([k, label, format]) => [h('abbr', { title: k }, label), h(Val, { path: `webgpu.limits.${k}`, value: gpu.limits[k], format })]),
        gpu.features.length > 0 ? ['Features', h('span', { title: gpu.features.join(', ') }, `${gpu.features.length}, ${gpu.features.includes('shader-f16') ? 'with' : 'without'} shader-f16`)] : null,
        ['Device lost', h(Val, { path: 'webgpu.deviceLost.total', value: lost.total, format: fmtInt })],
      ],
    }),
    lost.recent.length > 0
      ? h(
          'ul',
          { className: 'wlm-reasons', 'aria-label': 'Device losses' },
          lost.recent.map((e, i) => h('li', { key: i, 'data-wlm-row': String(i), 'data-wlm-level': 'critical' }, `${fmtTime(e.timestamp)} \u00B7 ${e.reason || 'unknown'}${e.message ? `: ${e.message}` : ''}`)),
        )
      : null,
  );
}

/** One error of the log (a list item: readable at any width); re-rendered only when it changes. */
const ErrorRow = React.memo(
  function ErrorRow({ n, e }) {
    return h(
      'li',
      { className: 'wlm-error', 'data-wlm-row': String(n) },
      h(
        'div',
        { className: 'wlm-error-head' },
        h('span', { 'data-wlm-field': 'name', className: 'wlm-error-name' }, e.name),
        h('time', { 'data-wlm-field': 'time', 'data-wlm-raw': rawOf(e.time), dateTime: new Date(e.time).toISOString() }, fmtTime(e.time)),
        h('span', { className: 'wlm-error-meta' }, h('span', { 'data-wlm-field': 'operation' }, e.operation || DASH), ' \u00B7 ', h('span', { 'data-wlm-field': 'model' }, e.model || DASH)),
      ),
      h('div', { 'data-wlm-field': 'message', className: 'wlm-error-message' }, e.message || DASH),
    );
  },
  (a, b) => a.n === b.n && a.e.time === b.e.time && a.e.name === b.e.name && a.e.message === b.e.message && a.e.model === b.e.model && a.e.operation === b.e.operation,
);

function ErrorsSection({ metrics, win }) {
  const errors = metrics.errors;
  const names = Object.entries(errors.byName).sort((a, b) => b[1] - a[1]);
  return h(
    Section,
    { name: 'errors', title: 'Errors', className: 'wlm-card' },
    h(
      'div',
      { className: 'wlm-tiles wlm-mb' },
      h(Tile, { label: 'Errors (session)', path: 'errors.total', value: errors.total, format: fmtInt }),
      win !== 'session' ? h(Tile, { label: `Errors (${WINDOWS.find((w) => w.key === win).label})`, path: `windows.${win}.errors.total`, value: metrics.windows[win].errors.total, format: fmtInt }) : null,
    ),
    names.length > 0
      ? h(
          'ul',
          { className: 'wlm-chips', 'aria-label': 'Errors by name' },
          names.map(([n, count]) => h('li', { key: n, className: 'wlm-chip' }, `${n}: `, h(Val, { path: `errors.byName${key(n)}`, value: count, format: fmtInt }))),
        )
      : null,
    errors.recent.length === 0
      ? h(Empty, null, 'No errors.')
      : h(
          ScrollBox,
          { tall: true, label: 'Recent errors, newest first' },
          h(
            'ol',
            { className: 'wlm-errors', 'data-wlm-list': 'errors', reversed: true },
            // Keyed by the error's number in the session (stable while newer ones arrive).
            errors.recent.map((e, i) => h(ErrorRow, { key: errors.total - i, n: errors.total - i, e })),
          ),
        ),
  );
}

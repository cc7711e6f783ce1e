// The panel's body: the header, the toolbar (the window selector and the actions) and the
// sections, laid out. Live updates come from useSnapshot (monitor.subscribe()); paused means
// unsubscribed.

import * as React from 'react';
import { schemaVersion } from '../version.js';
import { fmtMs, fmtTime } from './format.js';
import { ChartsSection, RecentSection } from './history-sections.js';
import { useHistories, useSnapshot } from './hooks.js';
import { Empty, WINDOWS, WINDOW_KEYS } from './parts.js';
import { CacheSection, ErrorsSection, GenerationsSection, InitSection, StatusSection, WebGpuSection } from './sections.js';

const h = React.createElement;
const { useEffect, useId, useMemo, useRef, useState } = React;

/**
 * @param {{ monitor: import('../index.js').Monitor | null, defaultWindow: import('./parts.js').PanelWindow, title: string,
 *   titleId: string, palette: Record<string, string> | null, onClose: (() => void) | null }} props
 */
export function PanelBody({ monitor, defaultWindow, title, titleId, palette, onClose }) {
  const [paused, setPaused] = useState(false);
  const [win, setWin] = useState(defaultWindow);
  const [notice, setNotice] = useState('');
  const { snap, error, refresh } = useSnapshot(monitor, paused);

  const metrics = snap?.metrics ?? null;
  const status = snap?.status ?? null;
  const { history, memory, latency } = useHistories(monitor, metrics);

  // A failing action (a disposed monitor, a blocked download) is reported in the panel, never thrown.
  const guard = (fn) => () => {
    try {
      fn();
    } catch (err) {
      setNotice(`Failed: ${err && err.message ? err.message : String(err)}`);
    }
  };
  const actions = useMemo(
    () =>
      Object.fromEntries(
        Object.entries({
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
        }).map(([k, fn]) => [k, guard(fn)]),
      ),
    // Not in the deps: guard, which only uses setNotice (stable).
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
      ? h(
          'button',
          {
            type: 'button',
            className: 'wlm-btn wlm-btn-icon',
            'aria-label': 'Close the monitor',
            title: 'Close (Esc)',
            onClick: onClose,
            'data-wlm-action': 'close',
          },
          '\u00D7',
        )
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
      h('div', { className: 'wlm-grid' }, h(StatusSection, { metrics, status }), h(InitSection, { metrics })),
      h(GenerationsSection, { metrics, win }),
      h(ChartsSection, { palette, history, memory, latency, metrics, win, at: snap.at }),
      h(RecentSection, { history }),
      h('div', { className: 'wlm-grid' }, h(CacheSection, { metrics, win }), h(WebGpuSection, { metrics })),
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
// The toolbar

/**
 * @param {{ value: import('./parts.js').PanelWindow, onChange: (win: import('./parts.js').PanelWindow) => void,
 *   metrics: import('./parts.js').MetricsSnapshot | null }} props
 */
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

/** @param {{ actions: Record<string, () => void>, paused: boolean, notice: string, disabled: boolean }} props */
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
              onKeyDown: (/** @type {React.KeyboardEvent} */ e) => {
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
            h(
              'button',
              { ref: cancelRef, type: 'button', className: 'wlm-btn', 'data-wlm-action': 'reset-cancel', onClick: () => setConfirming(false) },
              'Cancel',
            ),
          )
        : button('reset', 'Reset\u2026', () => setConfirming(true), {
            ref: resetRef,
            className: 'wlm-btn wlm-btn-danger',
            title: 'Forget every event (asks first)',
          }),
    ),
    h('p', { className: 'wlm-notice', role: 'status', 'aria-live': 'polite' }, notice),
  );
}

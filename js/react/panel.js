// MonitorPanel: the React view of a monitor. Plain ES modules (React.createElement, no JSX).
// Every number comes from the monitor (the core computed it); the panel only chooses what to
// show and formats it. Live updates come from monitor.subscribe() (throttled by the monitor);
// paused means unsubscribed. There is no timer.
//
// This file picks the mode and composes the parts: body.js (header, toolbar and layout),
// sections.js and history-sections.js (the sections), hooks.js (the subscription, the histories,
// the theme's colours), dialog.js (drawer and modal) and parts.js (the small pieces they share).

import * as React from 'react';
import { createPortal } from 'react-dom';
import { PanelBody } from './body.js';
import { DialogPanel } from './dialog.js';
import { useThemePalette } from './hooks.js';
import { WINDOW_KEYS, cx } from './parts.js';
import { ROOT_CLASS } from './styles.js';

const h = React.createElement;
const { useId, useRef } = React;

const MODES = ['inline', 'drawer', 'modal'];
const THEMES = ['light', 'dark', 'auto'];

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

/** @param {import('./parts.js').PanelProps} props */
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

// The drawer and modal modes: the panel in a dialog that traps focus, closes on Escape and
// restores focus to its opener.

import * as React from 'react';
import { PanelBody } from './body.js';
import { useThemePalette } from './hooks.js';
import { cx } from './parts.js';
import { ROOT_CLASS } from './styles.js';

const h = React.createElement;
const { useId, useLayoutEffect, useRef } = React;

const FOCUSABLE =
  'a[href], area[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), iframe, [contenteditable="true"], [tabindex]:not([tabindex="-1"])';

function focusablesIn(el) {
  return [...el.querySelectorAll(FOCUSABLE)].filter((e) => e.tabIndex >= 0 && !e.closest('[inert]') && e.getClientRects().length > 0);
}

/**
 * Drawer or modal: a dialog in a portal that traps focus, closes on Escape and restores focus.
 * @param {import('./parts.js').PanelProps & { mode: 'drawer' | 'modal', onClose?: () => void }} props
 */
export function DialogPanel({ monitor, theme, defaultWindow, title, className, style, mode, onClose }) {
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

// Declarations of 'webllm-monitor/react'. Hand-written. Needs @types/react (React 18 or later).
import type { CSSProperties, ReactElement } from 'react';
import type { Monitor } from '../index.js';

/** Where the panel shows: in the page's flow, or as a dialog over it. */
export type MonitorPanelMode = 'inline' | 'drawer' | 'modal';
/** 'auto' follows prefers-color-scheme. */
export type MonitorPanelTheme = 'light' | 'dark' | 'auto';
/** The span the generation, cache and error figures cover ('session': everything). */
export type MonitorPanelWindow = 'session' | '1m' | '5m' | '1h';

export interface MonitorPanelProps {
  /** From createMonitor(); null or undefined while it is being created (the panel waits). */
  monitor: Monitor | null | undefined;
  /** Default 'inline'. 'drawer' and 'modal' render a focus-trapping dialog in a portal on
   * document.body, only while `open`. */
  mode?: MonitorPanelMode;
  /** drawer / modal: whether the dialog is shown. Default false. */
  open?: boolean;
  /** drawer / modal: called by Escape, the close button and a click on the backdrop. Focus returns
   * to the element that had it when the dialog opened. */
  onClose?: () => void;
  /** Default 'auto'. */
  theme?: MonitorPanelTheme;
  /** The window selected at first. Default 'session'. */
  defaultWindow?: MonitorPanelWindow;
  /** Heading of the panel (and the dialog's accessible name). Default 'WebLLM monitor'. */
  title?: string;
  /** On the panel's surface: the root element inline, the dialog element in drawer and modal modes. */
  className?: string;
  style?: CSSProperties;
}

/**
 * The monitor panel: status and health, initialization, generations (totals, percentiles, by
 * type and by model), cache, recent generations, charts (uPlot), WebGPU, errors, a window
 * selector and actions (print, download JSON and CSV, reset, refresh, pause).
 *
 * Live through monitor.subscribe() (throttled by the monitor's `throttleMs`); paused means
 * unsubscribed. Styles: one constructed style sheet per document, adopted by the document (or by
 * the shadow root an inline panel is rendered in), so a Content-Security-Policy with
 * `style-src 'self'` needs no hash; where constructable style sheets are unsupported, one
 * <style id="webllm-monitor-panel-styles"> instead. Every selector is under `.wlm-panel`; themes
 * are CSS custom properties (`--wlm-*`) that a host may override.
 *
 * Test hooks in the DOM: sections carry `data-wlm-section`; each key number carries
 * `data-wlm-value` (its stable metric path, e.g. "generations.latencyMs.p95"; free-form keys in
 * brackets: "generations.byModel[Llama-3.2-1B-Instruct-q4f16_1-MLC].total"), `data-wlm-source`
 * (where it was read in getMetrics(): "windows.1m.generations.latencyMs.p95" while the 1 min window
 * is selected) and `data-wlm-raw` (the number as JSON: exact, or "null"); table rows carry
 * `data-wlm-row`.
 */
export function MonitorPanel(props: MonitorPanelProps): ReactElement | null;

// The panel's hooks: the theme's chart colours, the latest snapshot from monitor.subscribe()
// (unsubscribed while paused), and the histories read from the monitor's export.

import * as React from 'react';
import { ensureStyles, readPalette } from './styles.js';

const { useCallback, useEffect, useLayoutEffect, useRef, useState } = React;

/**
 * Applies the styles (before paint) to the root's document or shadow root, and reads the chart
 * colours of the root's theme.
 */
export function useThemePalette(rootRef, theme) {
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

/** The latest { metrics, status, at } from subscribe (unsubscribed while paused). */
export function useSnapshot(monitor, paused) {
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
export function useHistories(monitor, metrics) {
  const [, setTick] = useState(0);
  const cache = useRef({ monitor: null, key: null, value: NO_HISTORY, at: -Infinity, cost: 0 });
  let due = 0;
  if (monitor && metrics) {
    const g = metrics.generations;
    const key =
      `${g.total}|${g.tokens.total}|${g.latencyMs.count}|${g.latencyMs.mean}|${g.ttftMs.mean}|${metrics.errors.total}|` +
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
    return {
      history: monitor.getAllGenerations(),
      memory: monitor.getMemorySnapshots(),
      latency: monitor.getHistogram('generations.latencyMs', { maxBins: 40 }),
    };
  } catch {
    return previous; // a disposed monitor: the error shows through the subscription
  }
}

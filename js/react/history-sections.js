// The panel's sections drawn from the histories: the charts (decode speed, time to first token,
// memory, the latency distribution) and the table of recent generations.

import * as React from 'react';
import { Chart, histogramOptions, timeChartOptions } from './charts.js';
import { fmtBytes, fmtInt, fmtMs, fmtNum, fmtTime, fmtTps, rawOf } from './format.js';
import { Empty, ScrollBox, Section, windowOf } from './parts.js';

/** @typedef {import('../index.js').GenerationRecord} GenerationRecord */

const h = React.createElement;
const { useMemo, useRef } = React;

/** Rows of the recent generations table. */
const RECENT_ROWS = 50;

/**
 * @param {{ palette: Record<string, string> | null, history: GenerationRecord[], memory: import('../index.js').MemorySnapshot[],
 *   latency: import('../index.js').Histogram | null, metrics: import('./parts.js').MetricsSnapshot,
 *   win: import('./parts.js').PanelWindow, at: number }} props
 */
export function ChartsSection({ palette, history, memory, latency, metrics, win, at }) {
  const w = windowOf(win);
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
  const bins = latency ? latency.bins : null; // the core's bars (MonitorCore#histogram)
  const histData = useMemo(() => {
    const b = bins ?? [];
    binsRef.current = b;
    return [b.map((_, i) => i), b.map((x) => x.count)];
  }, [bins]);

  const builds = useMemo(
    () =>
      palette && {
        tps: timeChartOptions(palette, {
          series: [{ label: 'Decode tok/s', color: 'c1', format: fmtTps }],
          yAxes: [{ scale: 'y', format: (v) => fmtNum(v, 1) }],
        }),
        ttft: timeChartOptions(palette, {
          series: [{ label: 'TTFT', color: 'c2', format: fmtMs }],
          yAxes: [{ scale: 'y', format: (v) => fmtMs(v).replace(' ', '') }],
        }),
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
  a.startedAt === b.startedAt &&
  a.durationMs === b.durationMs &&
  a.ttftMs === b.ttftMs &&
  a.finishReason === b.finishReason &&
  a.completionTokens === b.completionTokens &&
  a.decodeTokensPerSec === b.decodeTokensPerSec &&
  a.model === b.model &&
  a.type === b.type &&
  a.errorName === b.errorName;

/** One generation; re-rendered only when its row index or its record changes. */
const RecentRow = React.memo(
  /** @param {{ i: number, r: GenerationRecord }} props */
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

/** @type {React.NamedExoticComponent<{ history: GenerationRecord[] }>} */
export const RecentSection = React.memo(function RecentSection({ history }) {
  const start = Math.max(0, history.length - RECENT_ROWS);
  const rows = [];
  for (let i = history.length - 1; i >= start; i--) rows.push([i, history[i]]);
  return h(
    Section,
    {
      name: 'recent',
      title: `Recent generations${history.length > RECENT_ROWS ? ` (newest ${RECENT_ROWS} of ${fmtInt(history.length)})` : ''}`,
      className: 'wlm-card',
    },
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

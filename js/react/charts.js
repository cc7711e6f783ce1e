// The panel's charts: uPlot instances created once per chart (and again only when the theme's
// colours change), fed with setData() on updates, resized with a ResizeObserver, destroyed on
// unmount. The data come from the core: the generation and memory histories, and the latency
// histogram's bars (monitor.getHistogram(), regrouped by the core from the sketch's buckets).

import * as React from 'react';
import uPlot from 'uplot';
import { DASH, fmtClock, fmtInt, fmtMsShort, fmtTime } from './format.js';

const h = React.createElement;
const { useEffect, useRef } = React;

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * A uPlot chart. `build(width, height)` returns the options; it is called again (a new instance)
 * only when `build` itself changes (the theme). `data` changes go through setData().
 * @param {{ build: (width: number, height: number) => uPlot.Options, data: any[], height?: number,
 *   label: string, caption: string, empty?: string | null, name: string, children?: any }} props
 */
export function Chart({ build, data, height = 170, label, caption, empty = null, name, children }) {
  const boxRef = useRef(null);
  const plotRef = useRef(null);
  const dataRef = useRef(data);
  dataRef.current = data;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return undefined;
    const width = Math.max(160, Math.floor(box.clientWidth) || 320);
    /** @type {uPlot & { _wlmData?: any[] }} the data it was last given, beside it */
    const plot = new uPlot(build(width, height), dataRef.current, box);
    plotRef.current = plot;
    plot._wlmData = dataRef.current;
    box.wlmPlot = plot; // for tests and debugging: what the chart holds and drew
    let ro = null;
    if (typeof ResizeObserver !== 'undefined') {
      ro = new ResizeObserver(() => {
        const w = Math.floor(box.clientWidth);
        if (w > 0 && Math.abs(w - plot.width) >= 1) plot.setSize({ width: w, height });
      });
      ro.observe(box);
    }
    return () => {
      ro?.disconnect();
      plotRef.current = null;
      if (box.wlmPlot === plot) box.wlmPlot = null;
      plot.destroy();
    };
  }, [build, height]);

  useEffect(() => {
    const plot = plotRef.current;
    if (plot && plot._wlmData !== data) {
      plot._wlmData = data;
      plot.setData(data);
    }
  }, [data]);

  return h(
    'figure',
    { className: 'wlm-chart', 'data-wlm-chart': name },
    h('figcaption', null, caption),
    h(
      'div',
      { className: 'wlm-chart-box', role: 'img', 'aria-label': label },
      h('div', { ref: boxRef }),
      empty ? h('div', { className: 'wlm-chart-empty', 'aria-hidden': 'true' }, empty) : null,
    ),
    children ?? null,
  );
}

function axis(palette, extra) {
  return {
    stroke: palette.axis,
    font: FONT,
    grid: { stroke: palette.grid, width: 1 },
    ticks: { stroke: palette.grid, width: 1, size: 4 },
    ...extra,
  };
}

/**
 * Tick steps for byte axes, in each power of 1024 (labels such as 7.5 MB, 9 MB, 10.5 MB): no
 * step is more than 1.6 times the one before, so an axis gets three ticks or more whatever its
 * range.
 */
const BYTE_INCRS = [0, 1, 2, 3, 4, 5].flatMap((p) =>
  [1, 1.5, 2, 2.5, 4, 5, 8, 10, 16, 20, 25, 40, 50, 64, 80, 100, 128, 200, 250, 400, 500, 640, 800].map((m) => m * 1024 ** p),
);

/** The last non-null value of series `sidx` (what its legend shows when the chart is not hovered). */
function latest(u, sidx) {
  const d = u.data[sidx] ?? [];
  for (let i = d.length - 1; i >= 0; i--) if (d[i] !== null && d[i] !== undefined) return d[i];
  return null;
}

/**
 * A legend value: the hovered point's, else the series' latest, formatted by `format`; `note`
 * marks the latest one (the time's legend says "(latest)").
 */
const legendValue =
  (format, note = '') =>
  (u, v, sidx, idx) => {
    const hovered = idx !== null && idx !== undefined;
    const x = hovered ? v : latest(u, sidx);
    if (x === null || x === undefined) return DASH;
    return hovered || !note ? format(x) : `${format(x)} ${note}`;
  };

/**
 * Options of a time-series chart: x is epoch seconds; `series` are { label, color, format, scale }
 * drawn against `yAxes`, { scale, format, label?, color?, bytes? }: the first on the left, a
 * second (for series on another scale) on the right, without grid lines of its own. An axis of
 * bytes steps in powers of two. Not hovered, the legend shows each series' latest value.
 * @returns {(width: number, height: number) => uPlot.Options} the `build` of a Chart
 */
export function timeChartOptions(palette, { series, yAxes, ySize = 58 }) {
  return (width, height) => ({
    width,
    height,
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
    legend: { show: true, live: true },
    // Room on the right for the last time label when no axis is there.
    padding: [8, yAxes.length > 1 ? 4 : 28, 0, 0],
    scales: { x: { time: true } },
    axes: [
      axis(palette, {
        space: 64,
        // Whole seconds at least: local clock times, with seconds when the span is short.
        incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400],
        values: (u, splits) => {
          const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
          return splits.map((v) => fmtClock(v * 1000, span < 600));
        },
      }),
      ...yAxes.map((a, i) =>
        axis(palette, {
          scale: a.scale,
          side: i === 0 ? 3 : 1,
          size: ySize,
          space: 22,
          ...(a.bytes ? { incrs: BYTE_INCRS } : {}),
          ...(a.color ? { stroke: palette[a.color] } : {}),
          ...(a.label ? { label: a.label, labelSize: 16, labelFont: FONT, labelGap: 0 } : {}),
          ...(i > 0 ? { grid: { show: false } } : {}),
          values: (u, splits) => splits.map((v) => a.format(v)),
        }),
      ),
    ],
    series: [
      { label: 'Time', value: legendValue((v) => fmtTime(v * 1000), '(latest)') },
      ...series.map((s) => ({
        label: s.label,
        scale: s.scale ?? yAxes[0].scale,
        stroke: palette[s.color],
        width: 1.5,
        spanGaps: true,
        points: { show: true, size: 4, fill: palette[s.color], stroke: palette[s.color] },
        value: legendValue(s.format),
      })),
    ],
  });
}

/**
 * Options of the latency histogram: x is the bar index; `binsRef.current` holds the bars so that
 * the axis can label bucket edges.
 * @returns {(width: number, height: number) => uPlot.Options} the `build` of a Chart
 */
export function histogramOptions(palette, binsRef) {
  const edgeLabel = (i) => {
    const bins = binsRef.current;
    if (i === bins.length) return fmtMsShort(bins[i - 1]?.hi);
    const b = bins[i];
    return b ? fmtMsShort(b.lo) : '';
  };
  return (width, height) => ({
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { show: false } },
    scales: {
      x: { time: false, range: (u) => [-0.5, Math.max(0.5, u.data[0].length - 0.5)] },
      y: { range: (u, min, max) => [0, Math.max(1, Math.ceil((max ?? 1) * 1.1))] },
    },
    axes: [
      axis(palette, {
        space: 48,
        // Ticks on bucket edges (index - 0.5), labelled with the edge's latency.
        splits: (u) => {
          const n = u.data[0].length;
          if (n === 0) return [];
          const fit = Math.max(1, Math.floor(u.bbox.width / devicePixelRatioSafe() / 56));
          const step = Math.max(1, Math.ceil((n + 1) / fit));
          const out = [];
          for (let i = 0; i <= n; i += step) out.push(i - 0.5);
          return out;
        },
        values: (u, splits) => splits.map((s) => edgeLabel(Math.round(s + 0.5))),
      }),
      axis(palette, {
        size: 44,
        space: 24,
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 1e5, 1e6],
        values: (u, splits) => splits.map((v) => fmtInt(v)),
      }),
    ],
    series: [
      {},
      {
        label: 'Generations',
        stroke: palette.c1,
        fill: palette.c1,
        width: 0,
        points: { show: false },
        paths: uPlot.paths.bars({ size: [0.86, 80], align: 0 }),
      },
    ],
  });
}

function devicePixelRatioSafe() {
  return typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
}

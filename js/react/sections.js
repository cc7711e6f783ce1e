// The panel's sections of figures and tables: status and health, initialization, generations
// (tiles, percentiles, by type and by model), cache, WebGPU and errors. Every number comes from
// the metrics; these only choose what to show and format it.

import * as React from 'react';
import { seriesIn } from '../generated/description.js';
import { DASH, fmtBool, fmtBytes, fmtDateTime, fmtInt, fmtMs, fmtOfUnit, fmtPct, fmtTime, fmtTps, rawOf } from './format.js';
import { Dl, Empty, ScrollBox, Section, Tile, Val, key, valueAt, windowOf } from './parts.js';

/** @typedef {import('./parts.js').MetricsSnapshot} MetricsSnapshot */
/** @typedef {import('./parts.js').PanelWindow} PanelWindow */
/** @typedef {import('./parts.js').Format} Format */
/** @typedef {{ metrics: MetricsSnapshot, win: PanelWindow }} WindowedProps a section that follows the window selector */

const h = React.createElement;

/**
 * Limits worth showing for running a model (the adapter reports ~40).
 * @type {Array<[string, string, Format]>}
 */
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

/** @param {{ metrics: MetricsSnapshot, status: import('./parts.js').MonitorStatus }} props */
export function StatusSection({ metrics, status }) {
  const health = metrics.health;
  const look = HEALTH[health.status] ?? HEALTH.healthy;
  const loading = status.loading;
  let state;
  if (loading) {
    state = h(
      'div',
      null,
      h(
        'span',
        { 'data-wlm-value': 'status.loading.progress', 'data-wlm-raw': rawOf(loading.progress) },
        `Loading ${loading.model} \u00B7 ${fmtPct(loading.progress)}`,
      ),
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
            h(
              'li',
              { key: `${r.metric}-${r.level}`, 'data-wlm-level': r.level, 'data-wlm-row': r.metric },
              h('span', { className: 'wlm-level' }, r.level === 'critical' ? 'Critical: ' : 'Warning: '),
              r.message,
            ),
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

/** @param {{ metrics: MetricsSnapshot }} props */
export function InitSection({ metrics }) {
  const i = metrics.initialization;
  const v = (rel, format) => h(Val, { path: `initialization.${rel}`, value: valueAt(i, rel), format });
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
            [
              'Loads',
              h(
                'span',
                null,
                v('loads', fmtInt),
                ' \u00B7 ',
                v('fromCache', fmtInt),
                ' from cache \u00B7 ',
                v('downloaded', fmtInt),
                ' downloaded \u00B7 ',
                v('failed', fmtInt),
                ' failed',
              ),
            ],
            ['Load time p50', v('loadMs.p50', fmtMs)],
            ['All bytes fetched', v('bytesFetched', fmtBytes)],
          ],
        }),
  );
}

/**
 * The percentile table's rows: the generation series the description gives a panel title.
 * @type {Array<[string, string, Format]>}
 */
const SERIES = seriesIn('generation')
  .filter((s) => s.title)
  .map((s) => [s.title, s.name, fmtOfUnit(s.unit)]);

/** @param {WindowedProps} props */
export function GenerationsSection({ metrics, win }) {
  const base = win === 'session' ? 'generations' : `windows.${win}.generations`;
  const g = win === 'session' ? metrics.generations : metrics.windows[win].generations;
  const tile = (label, rel, format, title, note) => {
    const value = valueAt(g, rel);
    return h(Tile, { key: rel, label, title, note, path: `generations.${rel}`, source: `${base}.${rel}`, value, format });
  };
  const windowLabel = windowOf(win);
  // Throughput divides the output tokens by wall time (idle time included), decode speed by each
  // generation's own decode time: both say so, or 11 tok/s beside 240 tok/s reads as a bug.
  const wall = h(Val, { path: 'generations.throughput.wallTimeMs', source: `${base}.throughput.wallTimeMs`, value: g.throughput.wallTimeMs, format: fmtMs });
  const wallText = fmtMs(g.throughput.wallTimeMs);
  const throughput =
    win === 'session'
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
      tile(
        'Decode p50',
        'decodeTokensPerSec.p50',
        fmtTps,
        "Median of each generation's decode speed: its output tokens over its own decode time",
        'per generation, while decoding',
      ),
      tile(
        'Prefill p50',
        'prefillTokensPerSec.p50',
        fmtTps,
        "Median of each generation's prefill speed: its prompt tokens over its prefill time (the engine's, else the time to first token)",
        'per generation, before the first token',
      ),
    ),
    h('h4', { className: 'wlm-subhead' }, 'Percentiles'),
    h(
      ScrollBox,
      { label: 'Percentiles' },
      h(
        'table',
        { className: 'wlm-table', 'data-wlm-table': 'percentiles' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Series'),
            ...['Count', 'Mean', 'p50', 'p95', 'p99'].map((c) => h('th', { key: c, scope: 'col', className: 'wlm-num' }, c)),
          ),
        ),
        h(
          'tbody',
          null,
          SERIES.map(([label, name, format]) =>
            h(
              'tr',
              { key: name, 'data-wlm-row': name },
              h('th', { scope: 'row' }, label),
              ['count', 'mean', 'p50', 'p95', 'p99'].map((q) =>
                h(
                  'td',
                  { key: q, className: 'wlm-num' },
                  h(Val, { path: `generations.${name}.${q}`, source: `${base}.${name}.${q}`, value: g[name][q], format: q === 'count' ? fmtInt : format }),
                ),
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

/**
 * @param {{ title: string, base: string, map: MetricsSnapshot['generations']['byType'], name: 'byType' | 'byModel' }} props
 */
function BreakdownTable({ title, base, map, name }) {
  const rows = Object.entries(map).sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1));
  /** @type {Array<[string, string, Format]>} */
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
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', { scope: 'col' }, name === 'byModel' ? 'Model' : 'Type'),
                cols.map(([label]) => h('th', { key: label, scope: 'col', className: 'wlm-num' }, label)),
              ),
            ),
            h(
              'tbody',
              null,
              rows.map(([k, m]) =>
                h(
                  'tr',
                  { key: k, 'data-wlm-row': k },
                  h('th', { scope: 'row', className: 'wlm-clip', title: k }, k),
                  cols.map(([label, rel, format]) =>
                    h('td', { key: label, className: 'wlm-num' }, h(Val, { path: `${base}${key(k)}.${rel}`, value: valueAt(m, rel), format })),
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

/** @param {WindowedProps} props */
export function CacheSection({ metrics, win }) {
  const base = win === 'session' ? 'cache' : `windows.${win}.cache`;
  const c = win === 'session' ? metrics.cache : metrics.windows[win].cache;
  const tile = (label, rel, format) => h(Tile, { key: rel, label, path: `cache.${rel}`, source: `${base}.${rel}`, value: c[rel], format });
  const names = Object.entries(metrics.cache.byName).sort((a, b) => b[1].lookups - a[1].lookups || (a[0] < b[0] ? -1 : 1));
  return h(
    Section,
    { name: 'cache', title: 'Cache', className: 'wlm-card' },
    h(
      'div',
      { className: 'wlm-tiles' },
      tile('Hit rate', 'hitRate', fmtPct),
      tile('Hits', 'hits', fmtInt),
      tile('Misses', 'misses', fmtInt),
      tile('Lookups', 'lookups', fmtInt),
    ),
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
              h(
                'tr',
                null,
                h('th', { scope: 'col' }, 'Cache'),
                ['Hits', 'Misses', 'Hit rate'].map((l) => h('th', { key: l, scope: 'col', className: 'wlm-num' }, l)),
              ),
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

/** @param {{ metrics: MetricsSnapshot }} props */
export function WebGpuSection({ metrics }) {
  const gpu = metrics.webgpu;
  const a = gpu.adapter;
  const limits = KEY_LIMITS.filter(([k]) => typeof gpu.limits[k] === 'number');
  const lost = gpu.deviceLost;
  return h(
    Section,
    { name: 'webgpu', title: 'WebGPU', className: 'wlm-card' },
    h(Dl, {
      rows: [
        [
          'Available',
          h('span', { 'data-wlm-value': 'webgpu.available', 'data-wlm-raw': rawOf(gpu.available) }, fmtBool(gpu.available, 'Yes', 'No', 'Not checked')),
        ],
        a ? ['Adapter', [a.vendor, a.architecture, a.device].filter(Boolean).join(' \u00B7 ') || DASH] : null,
        a && a.description ? ['Description', a.description] : null,
        a
          ? [
              'Fallback adapter',
              h(
                'span',
                {
                  'data-wlm-value': 'webgpu.adapter.isFallbackAdapter',
                  'data-wlm-raw': rawOf(a.isFallbackAdapter),
                  title: a.isFallbackAdapter ? 'A software adapter: expect slow generations' : undefined,
                },
                a.isFallbackAdapter ? 'Yes (software)' : 'No',
              ),
            ]
          : null,
        ...limits.map(([k, label, format]) => [h('abbr', { title: k }, label), h(Val, { path: `webgpu.limits.${k}`, value: gpu.limits[k], format })]),
        gpu.features.length > 0
          ? [
              'Features',
              h('span', { title: gpu.features.join(', ') }, `${gpu.features.length}, ${gpu.features.includes('shader-f16') ? 'with' : 'without'} shader-f16`),
            ]
          : null,
        ['Device lost', h(Val, { path: 'webgpu.deviceLost.total', value: lost.total, format: fmtInt })],
      ],
    }),
    lost.recent.length > 0
      ? h(
          'ul',
          { className: 'wlm-reasons', 'aria-label': 'Device losses' },
          lost.recent.map((e, i) =>
            h(
              'li',
              { key: i, 'data-wlm-row': String(i), 'data-wlm-level': 'critical' },
              `${fmtTime(e.timestamp)} \u00B7 ${e.reason || 'unknown'}${e.message ? `: ${e.message}` : ''}`,
            ),
          ),
        )
      : null,
  );
}

/** One error of the log (a list item: readable at any width); re-rendered only when it changes. */
const ErrorRow = React.memo(
  /** @param {{ n: number, e: import('../index.js').ErrorEntry }} props */
  function ErrorRow({ n, e }) {
    return h(
      'li',
      { className: 'wlm-error', 'data-wlm-row': String(n) },
      h(
        'div',
        { className: 'wlm-error-head' },
        h('span', { 'data-wlm-field': 'name', className: 'wlm-error-name' }, e.name),
        h('time', { 'data-wlm-field': 'time', 'data-wlm-raw': rawOf(e.time), dateTime: new Date(e.time).toISOString() }, fmtTime(e.time)),
        h(
          'span',
          { className: 'wlm-error-meta' },
          h('span', { 'data-wlm-field': 'operation' }, e.operation || DASH),
          ' \u00B7 ',
          h('span', { 'data-wlm-field': 'model' }, e.model || DASH),
        ),
      ),
      h('div', { 'data-wlm-field': 'message', className: 'wlm-error-message' }, e.message || DASH),
    );
  },
  (a, b) =>
    a.n === b.n && a.e.time === b.e.time && a.e.name === b.e.name && a.e.message === b.e.message && a.e.model === b.e.model && a.e.operation === b.e.operation,
);

/** @param {WindowedProps} props */
export function ErrorsSection({ metrics, win }) {
  const errors = metrics.errors;
  const names = Object.entries(errors.byName).sort((a, b) => b[1] - a[1]);
  return h(
    Section,
    { name: 'errors', title: 'Errors', className: 'wlm-card' },
    h(
      'div',
      { className: 'wlm-tiles wlm-mb' },
      h(Tile, { label: 'Errors (session)', path: 'errors.total', value: errors.total, format: fmtInt }),
      win !== 'session'
        ? h(Tile, { label: `Errors (${windowOf(win).label})`, path: `windows.${win}.errors.total`, value: metrics.windows[win].errors.total, format: fmtInt })
        : null,
    ),
    names.length > 0
      ? h(
          'ul',
          { className: 'wlm-chips', 'aria-label': 'Errors by name' },
          names.map(([n, count]) =>
            h('li', { key: n, className: 'wlm-chip' }, `${n}: `, h(Val, { path: `errors.byName${key(n)}`, value: count, format: fmtInt })),
          ),
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

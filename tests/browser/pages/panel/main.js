// The MonitorPanel test page, bundled by Vite (tests/browser/panel.test.mjs builds it with
// resolve.alias mapping the package names to the repository's js/ files). A monitor over the
// simulated WebLLM engine, a scripted workload with faults, and the panel: inline, or in a
// drawer / modal behind an opener button (?mode=drawer|modal); ?theme=light|dark|auto.
// Driven through window.api.
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { createMonitor } from 'webllm-monitor';
import { MonitorPanel } from 'webllm-monitor/react';
import { CreateSimulatedMLCEngine } from 'webllm-monitor/simulated-engine';

const h = React.createElement;
const params = new URLSearchParams(location.search);
const mode = params.get('mode') ?? 'inline';
const theme = params.get('theme') ?? 'light';
const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const TYPES = ['chat', 'enhance_summary', 'translate'];

// Every setInterval the page asks for (the panel must not poll faster than once a second).
const intervals = [];
const realSetInterval = window.setInterval.bind(window);
window.setInterval = (fn, ms, ...args) => {
  intervals.push(ms ?? 0);
  return realSetInterval(fn, ms, ...args);
};

// The host probes' computed styles before the panel injects anything.
const PROBE_PROPS = [
  'color',
  'background-color',
  'border-top-width',
  'border-top-style',
  'border-top-color',
  'border-collapse',
  'padding-top',
  'padding-left',
  'margin-top',
  'font-family',
  'font-size',
  'font-weight',
  'line-height',
  'box-sizing',
  'display',
  'position',
  'width',
  'height',
  'border-radius',
  'text-transform',
  'white-space',
  'overflow',
];
function probeStyles() {
  return Object.fromEntries(
    [...document.querySelectorAll('[data-host-probe]')].map((el) => {
      const cs = getComputedStyle(el);
      return [el.dataset.hostProbe, Object.fromEntries(PROBE_PROPS.map((p) => [p, cs.getPropertyValue(p)]))];
    }),
  );
}
const hostBefore = probeStyles();

// React commit timings (dev build, StrictMode: an upper bound).
const commits = [];
const onRender = (id, phase, actualDuration) => commits.push({ phase, ms: actualDuration });

let monitor = null;
let engine = null;
let setOpenExternal = null;

function App() {
  const [open, setOpen] = React.useState(false);
  setOpenExternal = setOpen;
  const panel = h(MonitorPanel, {
    monitor,
    mode,
    theme,
    open,
    onClose: () => setOpen(false),
    title: 'WebLLM monitor',
    className: 'host-extra-class',
  });
  const content =
    mode === 'inline' ? panel : h(React.Fragment, null, h('button', { id: 'opener', type: 'button', onClick: () => setOpen(true) }, 'Open the monitor'), panel);
  return h(React.StrictMode, null, h(React.Profiler, { id: 'panel', onRender }, content));
}

async function chat(type, i) {
  const stream = await engine.chat.completions.create({
    messages: [{ role: 'user', content: `question ${i} about ${type}` }],
    stream: true,
    max_tokens: 20 + (i % 5) * 8,
    monitorType: type,
  });
  for await (const chunk of stream) void chunk;
}

window.ready = (async () => {
  monitor = await createMonitor({ sampleIntervalMs: 1000, defaultType: 'chat', logger: quietLogger() });
  const root = createRoot(document.getElementById('app'));
  const t0 = performance.now();
  flushSync(() => root.render(h(App)));
  window.firstRenderMs = performance.now() - t0;
})();

/** The monitor's own log entries stay out of the console (the test fails on page warnings). */
function quietLogger() {
  const noop = () => {};
  return { debug: noop, info: noop, warn: noop, error: noop, log: (...a) => console.log(...a), table: (...a) => console.table(...a) };
}

window.api = {
  /** 30 streamed generations of 3 types with aborts and errors, an injected DeviceLostError,
   * 3 generations 10 minutes old (in the session and 1 h, not in 1 min / 5 min), cache lookups,
   * and a second load from the cache. */
  async workload() {
    engine = await monitor.createEngine(CreateSimulatedMLCEngine, MODEL, {
      timeScale: 0.01,
      seed: 11,
      faults: { abortRate: 0.15, errorRate: 0.08 },
    });
    for (let i = 0; i < 30; i++) {
      try {
        await chat(TYPES[i % 3], i);
      } catch {
        // injected errors: recorded by the wrapper
      }
    }
    monitor.recordGeneration({
      model: MODEL,
      type: 'chat',
      durationMs: 420,
      ttftMs: 60,
      error: 'DeviceLostError: WebGPU device was lost. This can happen due to insufficient memory.',
    });
    const old = Date.now() - 10 * 60_000;
    for (let k = 0; k < 3; k++) {
      monitor.recordGeneration({
        model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
        type: 'translate',
        startedAt: old - k * 1000,
        durationMs: 900 + k * 150,
        ttftMs: 120 + k,
        promptTokens: 30,
        completionTokens: 40,
      });
    }
    for (let k = 0; k < 9; k++) monitor.recordCacheLookup({ cache: 'kv-prefix', hit: k % 3 !== 0 });
    await engine.reload(MODEL);
    return monitor.getMetrics().generations.total;
  },
  /** `n` streamed generations without faults (the engine is created on the first call), and a
   * memory snapshot after them. */
  async run(n) {
    engine ??= await monitor.createEngine(CreateSimulatedMLCEngine, MODEL, { timeScale: 0.01, seed: 5 });
    for (let i = 0; i < n; i++) await chat(TYPES[i % 3], i);
    await monitor.snapshotMemory(`after ${n}`);
    return monitor.getMetrics().generations.total;
  },
  memorySnapshots: () => monitor.getMemorySnapshots(),
  metrics: () => monitor.getMetrics(),
  status: () => monitor.getStatus(),
  generations: () => monitor.getAllGenerations(),
  latencySketch: () => JSON.parse(monitor.exportMetrics()).sketches.generations.series.latencyMs,
  histogram: () => monitor.getHistogram('generations.latencyMs'),
  record: () => monitor.recordGeneration({ model: MODEL, type: 'chat', durationMs: 250, ttftMs: 30, promptTokens: 10, completionTokens: 12 }),
  open: () => setOpenExternal(true),
  dispose: () => monitor.dispose(),
  hostBefore: () => hostBefore,
  hostNow: () => probeStyles(),
  intervals: () => intervals,
  commits: () => commits,
  firstRenderMs: () => window.firstRenderMs,
};

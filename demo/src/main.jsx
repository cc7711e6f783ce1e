// Entry: one monitor for the page, the demo session over it, the React app, and `window.demo`
// for the console and the tests.
import { createRoot } from 'react-dom/client';
import { createMonitor } from 'webllm-monitor';
import { App } from './App.jsx';
import { DemoSession, MODELS, SPEEDS } from './session.js';
import './styles.css';

const params = new URLSearchParams(location.search);
const speed = SPEEDS.includes(Number(params.get('speed'))) ? Number(params.get('speed')) : 1;
const model = MODELS.some((m) => m.id === params.get('model')) ? params.get('model') : MODELS[0].id;
const theme =
  params.get('theme') === 'dark' || params.get('theme') === 'light'
    ? params.get('theme')
    : matchMedia('(prefers-color-scheme: dark)').matches
      ? 'dark'
      : 'light';

let session;
const monitor = await createMonitor({
  // Answers for the engine of the load in progress: the simulated cache, or WebLLM's own.
  hasModelInCache: (modelId, appConfig) => session.hasModelInCache(modelId, appConfig),
  sampleIntervalMs: 2000,
  gpuBuffers: true,
  // The demo's prompts are its own: keep the engines' error messages for the panel's error log.
  errorMessages: true,
});
session = new DemoSession(monitor, { speed, model });
monitor.installConsole(); // webllmMonitor.printMetrics() in DevTools

let rendered;
const firstRender = new Promise((resolve) => (rendered = resolve));

/** For DevTools and the tests. */
window.demo = {
  monitor,
  session,
  state: () => session.getState(),
  load: (modelId) => session.load(modelId),
  send: (text) => session.send(text),
  runWorkload: (n = 12, options) => session.runWorkload(n, options),
  injectDeviceLost: () => session.injectDeviceLost(),
  setEngineKind: (kind) => session.setEngineKind(kind),
};
window.ready = firstRender;

createRoot(document.getElementById('root')).render(<App session={session} initialTheme={theme} onFirstRender={rendered} />);

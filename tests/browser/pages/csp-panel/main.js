// The React panel in a page that tests/browser/csp.test.mjs bundles with Vite (production build,
// package names aliased to the repository's js/ files) and serves with a strict
// Content-Security-Policy header: a monitor over the simulated engine, a few generations, the
// panel inline. Runs from the page's own tasks (see ../csp-page.js for why not page.evaluate()).
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import { createMonitor } from 'webllm-monitor';
import { MonitorPanel } from 'webllm-monitor/react';
import { CreateSimulatedMLCEngine } from 'webllm-monitor/simulated-engine';

const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  violations.push({ directive: e.effectiveDirective, blockedURI: e.blockedURI, sample: e.sample });
});

/** Resolves once `cond()` holds, checked after every animation frame. */
function whenTrue(cond) {
  return new Promise((resolve) => {
    const check = () => (cond() ? resolve(undefined) : requestAnimationFrame(check));
    check();
  });
}

window.ready = (async () => {
  const monitor = await createMonitor({ sampleIntervalMs: 100, defaultType: 'chat', throttleMs: 0 });
  const engine = await monitor.createEngine(CreateSimulatedMLCEngine, MODEL, { timeScale: 0, seed: 5 });
  for (let i = 0; i < 12; i++) {
    const stream = await engine.chat.completions.create({
      messages: [{ role: 'user', content: `question ${i}` }],
      stream: true,
      max_tokens: 16 + (i % 3) * 12,
      monitorType: i % 3 === 0 ? 'translate' : 'chat',
    });
    for await (const chunk of stream) void chunk;
  }
  const total = monitor.getMetrics().generations.total;
  createRoot(document.getElementById('app')).render(React.createElement(MonitorPanel, { monitor, theme: 'light', title: 'WebLLM monitor' }));
  const shown = () => document.querySelector('.wlm-panel [data-wlm-value="generations.total"]')?.getAttribute('data-wlm-raw');
  await whenTrue(() => shown() === String(total) && document.querySelectorAll('.wlm-panel canvas').length > 0);
  await new Promise((resolve) => setTimeout(resolve, 0)); // violations are reported in a task of their own
  window.monitor = monitor;
  return { total, violations };
})();

window.violations = () => violations.slice();

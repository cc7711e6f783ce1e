// The React panel in a page that tests/browser/csp.test.mjs bundles with Vite (production build,
// package names aliased to the repository's js/ files) and serves with a strict
// Content-Security-Policy header: a monitor over the simulated engine, a few generations, the
// panel inline. Runs from the page's own tasks (see ../csp-page.js for why not page.evaluate()).
//
// ?constructable=0: first removes constructable style sheet support (adoptedStyleSheets), as in a
// browser without it, so the panel falls back to its <style> element.
// ?scenario=many: also a second panel in the document, mounted, unmounted and mounted again, and a
// third in a shadow root; window.ready then also reports where the panel's styles went.
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import { createMonitor } from 'webllm-monitor';
import { MonitorPanel } from 'webllm-monitor/react';
import { CreateSimulatedMLCEngine } from 'webllm-monitor/simulated-engine';

const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const params = new URLSearchParams(location.search);
if (params.get('constructable') === '0') {
  delete Document.prototype.adoptedStyleSheets;
  delete ShadowRoot.prototype.adoptedStyleSheets;
}
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
  const panel = () => React.createElement(MonitorPanel, { monitor, theme: 'light', title: 'WebLLM monitor' });
  createRoot(document.getElementById('app')).render(panel());
  const shown = (scope) => scope.querySelector('.wlm-panel [data-wlm-value="generations.total"]')?.getAttribute('data-wlm-raw');
  const drawn = (scope) => shown(scope) === String(total) && scope.querySelectorAll('.wlm-panel canvas').length > 0;
  await whenTrue(() => drawn(document));
  let styles;
  if (params.get('scenario') === 'many') {
    const second = document.createElement('div');
    second.id = 'second';
    document.body.append(second);
    let root = createRoot(second);
    root.render(panel());
    await whenTrue(() => drawn(second));
    root.unmount();
    const afterUnmount = where(document);
    root = createRoot(second);
    root.render(panel());
    await whenTrue(() => drawn(second));
    const host = document.createElement('div');
    host.id = 'shadow-host';
    document.body.append(host);
    const shadow = host.attachShadow({ mode: 'open' });
    const container = document.createElement('div');
    shadow.append(container);
    createRoot(container).render(panel());
    await whenTrue(() => drawn(shadow));
    styles = {
      afterUnmount,
      document: where(document),
      shadow: where(shadow),
      panels: document.querySelectorAll('.wlm-panel').length + shadow.querySelectorAll('.wlm-panel').length,
      sameSheet: 'adoptedStyleSheets' in document && document.adoptedStyleSheets[0] === shadow.adoptedStyleSheets[0],
    };
  }
  await new Promise((resolve) => setTimeout(resolve, 0)); // violations are reported in a task of their own
  window.monitor = monitor;
  return { total, violations, styles };
})();

window.violations = () => violations.slice();

/** In `scope` (the document or a shadow root): its adopted sheets' rule counts and its <style> elements. */
function where(scope) {
  return {
    adopted: 'adoptedStyleSheets' in scope ? [...scope.adoptedStyleSheets].map((sheet) => sheet.cssRules.length) : null,
    styleElements: scope.querySelectorAll('style').length,
    panelStyleElements: scope.querySelectorAll('#webllm-monitor-panel-styles').length,
  };
}

// createMonitor() ready time in the browser (bench/browser.mjs loads this bundle in fresh
// contexts): from the start of the module script to a usable monitor, wasm fetch and compile
// included. The result lands on window.readyMs (or window.readyError); window.warmMs is a second
// createMonitor() on the same page, with the module already loaded.
import { createMonitor } from '../js/index.js';

const t0 = performance.now();
try {
  const monitor = await createMonitor({ memory: false, webgpu: false });
  window.readyMs = performance.now() - t0;
  await monitor.dispose();
  // A second monitor on the page: the module is loaded and compiled by now.
  const t1 = performance.now();
  const second = await createMonitor({ memory: false, webgpu: false });
  window.warmMs = performance.now() - t1;
  await second.dispose();
} catch (err) {
  window.readyError = String((err && err.stack) || err);
}

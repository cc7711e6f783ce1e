// The browser side of `npm run bench` (bench/browser.mjs bundles it with Vite): the same
// isomorphic measurements as in Node, run in Chromium. Progress goes to the console.
import { runSketches, runMonitor } from './suite.js';

const log = (s) => console.log(s);

/**
 * Options go to runSketches (n, reps, accuracyN, only) and runMonitor (generations) as given;
 * the suite's defaults fill the rest.
 * @param {{ n?: number, reps?: number, accuracyN?: number, only?: string[], generations?: number }} [options]
 * @returns {Promise<{ sketches: Awaited<ReturnType<typeof runSketches>>, monitor: Awaited<ReturnType<typeof runMonitor>> }>}
 */
window.runBench = async ({ n, reps, accuracyN, only, generations } = {}) => {
  log('sketches');
  const sketches = await runSketches({ n, reps, accuracyN, only, log });
  log('monitor');
  const monitor = await runMonitor({ generations, log });
  document.getElementById('out').textContent = JSON.stringify({ sketches, monitor }, null, 2);
  return { sketches, monitor };
};

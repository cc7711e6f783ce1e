// A workload for `webllm-monitor ci` against the demo app (demo/):
//
//   webllm-monitor ci --url 'http://127.0.0.1:5173/?speed=20' --workload examples/ci-workload.mjs \
//     --budget budgets/demo.budget.json
//
// A workload file is an ES module whose default export is an async function. The CLI runs it in
// the page once the page's monitor is there, with that monitor (window.webllmMonitor, the console
// commands of monitor.installConsole()) as argument; the page's globals are in scope. It must be
// self-contained: it is imported from a blob: URL, so relative imports do not resolve. What it
// returns (JSON) is printed in the CLI's progress.
export default async function workload(monitor) {
  await window.ready; // the demo's first render
  const { demo } = window;
  const first = await demo.load(); // downloads (simulated)
  const second = await demo.load(); // from the simulated cache
  if (first.phase !== 'ready' || second.phase !== 'ready') throw new Error(`model load failed: ${first.phase}, ${second.phase}`);
  // No injected errors or aborts: the budget's error rate is about the app, not the fault injection.
  // (The workload still interrupts one generation, recorded as an abort.)
  const result = await demo.runWorkload(20, { errorRate: 0, abortRate: 0 });
  return { loads: [first.fromCache, second.fromCache], ...result, generations: monitor.getMetrics().generations.total };
}

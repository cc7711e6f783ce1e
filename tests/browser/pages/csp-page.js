// The package unbundled (plain ES modules, the Emscripten glue and the wasm from dist/) in a page
// that tests/browser/csp.test.mjs serves with a strict Content-Security-Policy header. On load the
// page runs, from its own tasks, what an app and a developer at the console do: createMonitor, a
// wrapped simulated engine, the readings, the export, a download, the console commands; then
// window.ready resolves with what it saw.
//
// Everything runs from the page's own code, never inside a page.evaluate() call: the DevTools
// protocol lets code that an evaluation runs synchronously use eval and new Function whatever the
// policy, which would hide the very violations looked for here.
//
// ?control=dynamic-code: afterwards, `new Function` and `eval`, which a policy without
// 'unsafe-eval' refuses (the control that shows the detection works).
import { createMonitor } from '/js/index.js';
import { CreateSimulatedMLCEngine } from '/js/simulated-engine.js';
import { show } from './common.js';

const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const GENERATIONS = 6;
const params = new URLSearchParams(location.search);
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  violations.push({ directive: e.effectiveDirective, blockedURI: e.blockedURI, sample: e.sample });
});

async function chat(engine, i, stream) {
  const request = { messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 16 + (i % 4) * 8 };
  if (!stream) return (await engine.chat.completions.create(request)).choices[0].message.content;
  let reply = '';
  for await (const chunk of await engine.chat.completions.create({ ...request, stream: true })) reply += chunk.choices[0]?.delta?.content ?? '';
  return reply;
}

/** `new Function` and indirect eval: each returns its value, or the name of what it threw. */
function tryDynamicCode() {
  const outcome = {};
  try {
    outcome.newFunction = new Function('return 1')();
  } catch (err) {
    outcome.newFunction = err.name;
  }
  try {
    outcome.eval = (0, eval)('2');
  } catch (err) {
    outcome.eval = err.name;
  }
  return outcome;
}

async function run() {
  const result = { violations };
  let monitor;
  try {
    monitor = await createMonitor({ sampleIntervalMs: 50, defaultType: 'chat' });
  } catch (err) {
    result.createMonitor = `${err.name}: ${err.message}`;
    result.cause = err.cause === undefined ? null : `${err.cause?.name}: ${err.cause?.message}`;
    show('createMonitor failed', result.createMonitor);
    return result;
  }
  result.createMonitor = 'ok';
  monitor.installConsole();
  const engine = await monitor.createEngine(CreateSimulatedMLCEngine, MODEL, { timeScale: 0, seed: 11 });
  const replies = [];
  for (let i = 0; i < GENERATIONS; i++) replies.push(await chat(engine, i, i % 2 === 0));
  replies.push(await monitor.withType('translate', () => chat(engine, GENERATIONS, true)));
  result.replyChars = replies.map((r) => r.length);
  await monitor.snapshotMemory('after-workload'); // the memory sampler's APIs under the policy

  // As the app reads it.
  result.metrics = monitor.getMetrics();
  result.status = monitor.getStatus();
  result.exported = JSON.parse(monitor.exportMetrics());
  result.csvRows = monitor.exportCSV().trim().split('\r\n').length;
  // As a developer types it at the console.
  const c = globalThis.webllmMonitor;
  result.console = {
    commands: Object.keys(c).sort(),
    total: c.getMetrics().generations.total,
    generations: c.getAllGenerations().length,
    health: c.getStatus().health,
    report: c.printMetrics(),
    help: c.help(),
    download: c.downloadMetrics('csp-metrics.json'),
  };
  show('status', result.status);
  show('report', result.console.report);

  if (params.get('control') === 'dynamic-code') {
    result.dynamicCode = tryDynamicCode();
    show('control: dynamic code', result.dynamicCode);
  }
  await monitor.dispose();
  result.disposed = monitor.disposed && !('webllmMonitor' in globalThis);
  // Violations are reported in a task of their own: let them land before answering.
  await new Promise((resolve) => setTimeout(resolve, 0));
  show('securitypolicyviolation events', violations);
  return result;
}

window.ready = run();

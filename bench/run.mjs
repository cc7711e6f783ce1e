// `npm run bench`: this project and its peers side by side in one run, in Node and in headless
// Chromium; one table with PASS or MISS against each target of the project, written as JSON too.
//
//   node --expose-gc bench/run.mjs [--quick] [--no-browser] [--out FILE]
//
// --quick uses 100,000 values and 50,000 generations (a smoke run; the targets speak of 1M).
// The JSON goes to bench-results/bench.json unless --out says otherwise.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { runMonitor, runSketches } from './suite.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const KB = 1024;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-browser': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'bench-results', 'bench.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run bench [-- --quick] [-- --no-browser] [-- --out FILE]');
  process.exit(0);
}
const N = args.quick ? 100_000 : 1_000_000;
const GENERATIONS = args.quick ? 50_000 : 1_000_000;
const log = (s) => process.stderr.write(`${s}\n`);

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

/**
 * What a web app ships: a page importing the package root, and one importing the React entry
 * (react and react-dom left out), built by Vite for production. Sizes of the emitted JS and
 * wasm, raw and gzip -9.
 */
async function bundleSizes() {
  const { build } = await import('vite');
  const base = path.join(ROOT, 'bench', '.build', 'size');
  const bundle = async (name, entry, external) => {
    const dir = path.join(base, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const rel = path.relative(dir, path.join(ROOT, entry)).split(path.sep).join('/');
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
    await writeFile(path.join(dir, 'main.js'), `import * as entry from '${rel}';\nglobalThis.entry = entry;\n`);
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      build: { outDir: path.join(dir, 'dist'), emptyOutDir: true, minify: true, rollupOptions: { external } },
    });
    const out = { js: { raw: 0, gzip: 0 }, wasm: { raw: 0, gzip: 0 } };
    const assets = path.join(dir, 'dist', 'assets');
    for (const f of await readdir(assets)) {
      const kind = f.endsWith('.js') ? 'js' : f.endsWith('.wasm') ? 'wasm' : null;
      if (!kind) continue;
      const buf = await readFile(path.join(assets, f));
      out[kind].raw += buf.length;
      out[kind].gzip += gz(buf);
    }
    return out;
  };
  const core = await bundle('core', 'js/index.js', []);
  const react = await bundle('react', 'js/react/index.js', [/^react($|\/)/, /^react-dom($|\/)/]);
  return { core: core.js, wasm: core.wasm, react: react.js, corePackageGzip: core.js.gzip + core.wasm.gzip };
}

/** Median wall time of `node js/cli/bin.js --help`, ms. */
function cliStartup(runs = 7) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'js/cli/bin.js'), '--help'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cli --help failed: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The targets, judged on one environment's results. */
function judge(env, r) {
  const rows = [];
  const ours = r.sketches.find((s) => s.id === 'webllm-monitor');
  const peers = r.sketches.filter((s) => s.peer);
  const fastest = (key) => peers.reduce((best, p) => (p[key] < best[key] ? p : best));
  const fi = fastest('ingestNsPerValue');
  rows.push({
    env,
    what: 'ingest, ns per value into one series',
    target: `<= half the fastest peer (${fi.id})`,
    value: `${ours.ingestNsPerValue.toFixed(2)} ns vs ${fi.ingestNsPerValue.toFixed(2)} ns (×${(fi.ingestNsPerValue / ours.ingestNsPerValue).toFixed(2)})`,
    pass: ours.ingestNsPerValue * 2 <= fi.ingestNsPerValue,
  });
  const fq = fastest('p99QueryUs');
  rows.push({
    env,
    what: `p99 query on a ${(N / 1e6).toFixed(1)}M-value series`,
    target: `<= 1/20 of the fastest peer (${fq.id})`,
    value: `${(ours.p99QueryUs * 1000).toFixed(0)} ns vs ${(fq.p99QueryUs * 1000).toFixed(0)} ns (×${(fq.p99QueryUs / ours.p99QueryUs).toFixed(1)})`,
    pass: ours.p99QueryUs * 20 <= fq.p99QueryUs,
  });
  const worst = Math.max(...Object.values(ours.worstRelativeError));
  rows.push({
    env,
    what: 'worst relative error, p50..p999, lognormal/Pareto/bimodal',
    target: '<= 0.5%',
    value: Object.entries(ours.worstRelativeError)
      .map(([k, v]) => `${k} ${(v * 100).toFixed(3)}%`)
      .join(', '),
    pass: worst <= 0.005,
  });
  rows.push({
    env,
    what: `memory per series after ${N / 1e6}M and ${(10 * N) / 1e6}M values`,
    target: '<= 16 KB',
    value: `${ours.bytesAfter1M} B and ${ours.bytesAfter10M} B`,
    pass: ours.bytesAfter1M <= 16 * KB && ours.bytesAfter10M <= 16 * KB,
  });
  rows.push({
    env,
    what: `getMetrics() after ${GENERATIONS / 1e6}M generations`,
    target: '<= 2 ms',
    value: `${r.monitor.metricsMs.toFixed(2)} ms`,
    pass: r.monitor.metricsMs <= 2,
  });
  rows.push({
    env,
    what: 'wrapper overhead per chunk (simulated stream vs bare engine)',
    target: '<= 1 µs',
    value: `${r.monitor.wrapper.overheadNsPerChunk.toFixed(0)} ns (recordGeneration ${r.monitor.recordGenerationUs.toFixed(2)} µs per generation)`,
    pass: r.monitor.wrapper.overheadNsPerChunk <= 1000,
  });
  const rec = r.monitor.recording;
  const times = (x) => `×${(x / rec.acceptNs).toFixed(1)}`;
  rows.push({
    env,
    what: 'recordOperation(object), queued and batched, per event',
    target: '<= 5× DDSketch accept()',
    value: `${rec.recordOperationNs.toFixed(0)} ns vs accept() ${rec.acceptNs.toFixed(1)} ns (${times(rec.recordOperationNs)})`,
    pass: rec.recordOperationNs <= 5 * rec.acceptNs,
  });
  rows.push({
    env,
    what: 'recordGeneration with 8 chunk gaps, queued and batched, per event',
    target: '<= 30× DDSketch accept()',
    value: `${rec.recordGenerationNs.toFixed(0)} ns (${times(rec.recordGenerationNs)})`,
    pass: rec.recordGenerationNs <= 30 * rec.acceptNs,
  });
  rows.push({
    env,
    what: 'manual recordOperation() with its synchronous outcome; track()',
    target: 'reported',
    value: `${rec.manualOperationNs.toFixed(0)} ns (${times(rec.manualOperationNs)}); track() ${rec.trackNs.toFixed(0)} ns (${times(rec.trackNs)})`,
    pass: null,
  });
  const snap = r.monitor.snapshot;
  rows.push({
    env,
    what: `getMetrics() after a change, ${GENERATIONS / 1e6}M generations`,
    target: '<= JSON.parse(JSON.stringify()) of it',
    value: `${snap.afterChangeMs.toFixed(2)} ms vs ${snap.roundTripMs.toFixed(2)} ms (${(snap.bytes / KB).toFixed(1)} KB); unchanged ${snap.unchangedUs.toFixed(2)} µs`,
    pass: snap.afterChangeMs <= snap.roundTripMs,
  });
  rows.push({
    env,
    what: `getMetrics() after a generation, ${GENERATIONS / 1e6}M generations`,
    target: 'reported',
    value: `${snap.afterGenerationMs.toFixed(2)} ms`,
    pass: null,
  });
  rows.push({
    env,
    what: `exportMetrics() after ${GENERATIONS / 1e6}M generations`,
    target: 'reported',
    value: `${r.monitor.exportMs.toFixed(1)} ms, ${(r.monitor.exportBytes / KB).toFixed(0)} KB`,
    pass: null,
  });
  return rows;
}

function printTable(rows, sketchesByEnv) {
  for (const [env, sketches] of Object.entries(sketchesByEnv)) {
    console.log(`\n${env}: contenders (${N.toLocaleString('en-US')} lognormal values; accuracy on 1,000,000 of each)`);
    console.log(['contender', 'ingest ns/value', 'p99 query', 'bytes 1M', 'bytes 10M', 'worst error'].join(' | '));
    for (const s of sketches) {
      const worst = Math.max(...Object.values(s.worstRelativeError));
      console.log(
        [
          s.name,
          s.ingestNsPerValue.toFixed(2),
          s.p99QueryUs >= 1000
            ? `${(s.p99QueryUs / 1000).toFixed(1)} ms`
            : s.p99QueryUs >= 1
              ? `${s.p99QueryUs.toFixed(2)} µs`
              : `${(s.p99QueryUs * 1000).toFixed(0)} ns`,
          s.bytesAfter1M,
          s.bytesAfter10M ?? '–',
          `${(worst * 100).toFixed(3)}%`,
        ].join(' | '),
      );
    }
  }
  console.log('\ntargets');
  const w = Math.max(...rows.map((r) => r.what.length + r.env.length + 3));
  for (const r of rows) {
    const verdict = r.pass === null ? 'INFO' : r.pass ? 'PASS' : 'MISS';
    console.log(`${verdict.padEnd(5)} ${`[${r.env}] ${r.what}`.padEnd(w)}  ${r.value}  (target ${r.target})`);
  }
}

async function main() {
  const started = Date.now();
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: process.platform },
    n: N,
    generations: GENERATIONS,
    environments: {},
  };
  log(`node: sketches (${N} values)`);
  const sketches = await runSketches({ n: N, log });
  log(`node: monitor (${GENERATIONS} generations)`);
  const monitor = await runMonitor({ generations: GENERATIONS, log });
  results.environments.node = { sketches, monitor };
  if (!args['no-browser']) {
    log('chromium: building the bench page and running it');
    const { runBrowser } = await import('./browser.mjs');
    const b = await runBrowser({ log: (s) => log(`  [page] ${s}`), n: N, generations: GENERATIONS });
    results.environments.chromium = { sketches: b.sketches, monitor: b.monitor, userAgent: b.userAgent };
    results.createMonitorReadyMs = b.createMonitorReadyMs;
    results.createMonitorWarmMs = b.createMonitorWarmMs;
  }
  log('sizes: bundling the package root and the React entry');
  results.sizes = await bundleSizes();
  results.cliStartupMs = cliStartup();

  const rows = [];
  for (const [env, r] of Object.entries(results.environments)) rows.push(...judge(env, r));
  const s = results.sizes;
  rows.push({
    env: 'bundle',
    what: 'gzip size of the core package (wasm + glue + JS, no React entry)',
    target: '<= 50 KB',
    value: `${(s.corePackageGzip / KB).toFixed(1)} KB (wasm ${(s.wasm.gzip / KB).toFixed(1)}, JS with the glue ${(s.core.gzip / KB).toFixed(1)})`,
    pass: s.corePackageGzip <= 50 * KB,
  });
  if (results.createMonitorReadyMs) {
    const m = median(results.createMonitorReadyMs);
    rows.push({
      env: 'chromium',
      what: 'createMonitor() ready (cold cache, median)',
      target: '<= 20 ms',
      value: `${m.toFixed(1)} ms (runs: ${results.createMonitorReadyMs.map((x) => x.toFixed(0)).join(', ')})`,
      pass: m <= 20,
    });
    rows.push({
      env: 'chromium',
      what: 'createMonitor() again on the same page (module loaded), median',
      target: 'reported',
      value: `${median(results.createMonitorWarmMs).toFixed(1)} ms`,
      pass: null,
    });
  }
  rows.push({
    env: 'bundle',
    what: 'React entry, minified (react, react-dom and the core external)',
    target: 'reported',
    value: `${(s.react.gzip / KB).toFixed(1)} KB gzip, ${(s.react.raw / KB).toFixed(1)} KB raw (uPlot included)`,
    pass: null,
  });
  rows.push({
    env: 'node',
    what: 'CLI startup (webllm-monitor --help, median of 7)',
    target: 'reported',
    value: `${results.cliStartupMs.toFixed(0)} ms`,
    pass: null,
  });
  results.targets = rows;
  results.durationS = (Date.now() - started) / 1000;

  printTable(rows, Object.fromEntries(Object.entries(results.environments).map(([k, v]) => [k, v.sketches])));
  await mkdir(path.dirname(args.out), { recursive: true });
  await writeFile(args.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\n${rows.filter((r) => r.pass === true).length} PASS, ${rows.filter((r) => r.pass === false).length} MISS; ${results.durationS.toFixed(0)} s; written to ${path.relative(process.cwd(), args.out)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});

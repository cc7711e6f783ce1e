// The compare, merge and report commands (runCompare / runMerge / runReport), called directly
// with argv arrays and captured streams; plus one spawn of the executable, js/cli/bin.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MonitorCore } from '../../js/core.js';
import { runCompare } from '../../js/cli/compare.js';
import { runMerge } from '../../js/cli/merge.js';
import { runReport } from '../../js/cli/report.js';
import { CSV_COLUMNS } from '../../js/output.js';
import { simulateRun } from '../../scripts/measure-false-alarms.mjs';
import { run } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir;
const file = (name) => join(dir, name);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webllm-monitor-cli-'));
  await writeFile(file('base.json'), JSON.stringify(await simulateRun({ seed: 1 })));
  await writeFile(file('same.json'), JSON.stringify(await simulateRun({ seed: 2 })));
  await writeFile(file('slow.json'), JSON.stringify(await simulateRun({ seed: 3, slowdown: 1.5 })));
  const v2 = JSON.parse(await readFile(file('base.json'), 'utf8'));
  v2.schemaVersion = 3;
  await writeFile(file('v2.json'), JSON.stringify(v2));
  await writeFile(file('broken.json'), '{"schemaVersion": 1, ');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('compare: same settings → exit 0 and a table', async () => {
  const r = await run(runCompare, [file('base.json'), file('same.json')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /metric\s+baseline\s+current\s+change\s+p\s+verdict/);
  assert.match(r.stdout, /ttftMs\.p95/);
  assert.match(r.stdout, /No regression\./);
  assert.equal(r.stderr, '');
});

test('compare: a slowdown → exit 1, regressions listed; md and json formats', async () => {
  const r = await run(runCompare, [file('base.json'), file('slow.json')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /REGRESSION/);
  assert.match(r.stdout, /\d+ regressions:\n {2}.*: regression/);
  const md = await run(runCompare, [file('base.json'), file('slow.json'), '--format', 'md']);
  assert.equal(md.code, 1);
  assert.match(md.stdout, /^## WebLLM monitor: \d+ regressions/);
  assert.match(md.stdout, /\| metric \| baseline \| current \| change \| p \| verdict \|/);
  assert.match(md.stdout, /\*\*regression\*\*/);
  const js = await run(runCompare, [file('base.json'), file('slow.json'), '--format=json']);
  assert.equal(js.code, 1);
  const doc = JSON.parse(js.stdout);
  assert.ok(doc.regressions > 0);
  assert.equal(doc.baseline, file('base.json'));
  assert.ok(doc.findings.every((f) => typeof f.message === 'string' && 'pValue' in f));
});

test('compare: --threshold and --alpha change the verdict', async () => {
  const lenient = await run(runCompare, [file('base.json'), file('slow.json'), '--threshold', '500']);
  assert.equal(lenient.code, 0, lenient.stdout);
  const strict = await run(runCompare, [file('base.json'), file('slow.json'), '--alpha', '1e-30']);
  assert.equal(strict.code, 0, strict.stdout);
});

test('compare: bad input → exit 2 with the file and the JSON path', async () => {
  const v2 = await run(runCompare, [file('base.json'), file('v2.json')]);
  assert.equal(v2.code, 2);
  assert.equal(v2.stdout, '');
  assert.match(v2.stderr, /v2\.json: \$\.schemaVersion: version 3 is not supported/);
  const broken = await run(runCompare, [file('broken.json'), file('base.json')]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.json: \$: not valid JSON/);
  const missing = await run(runCompare, [file('nope.json'), file('base.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: cannot read the file: no such file/);
  const usage = await run(runCompare, [file('base.json')]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /expected 2 files[\s\S]*usage: webllm-monitor compare/);
  assert.equal((await run(runCompare, [file('base.json'), file('same.json'), '--format', 'xml'])).code, 2);
  assert.equal((await run(runCompare, [file('base.json'), file('same.json'), '--threshold', 'abc'])).code, 2);
  assert.equal((await run(runCompare, [file('base.json'), file('same.json'), '--bogus'])).code, 2);
  assert.equal((await run(runCompare, ['--help'])).code, 0);
});

test('merge: totals add and quantiles equal one monitor fed both', async () => {
  // 200 generations each: more than 256 values per series, so the histogram path is used too.
  await writeFile(file('m1.json'), JSON.stringify(await simulateRun({ seed: 5, generations: 200 })));
  await writeFile(file('m2.json'), JSON.stringify(await simulateRun({ seed: 6, generations: 150, slowdown: 1.2 })));
  const r = await run(runMerge, [file('m1.json'), file('m2.json'), '-o', file('out.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /merged 2 exports into .*out\.json/);
  const merged = JSON.parse(await readFile(file('out.json'), 'utf8'));
  const core = await MonitorCore.create();
  await simulateRun({ seed: 5, generations: 200, core });
  const together = JSON.parse(await simulateRun({ seed: 6, generations: 150, slowdown: 1.2, core, keep: true }).then(() => core.exportJson()));
  core.dispose();
  const a = JSON.parse(await readFile(file('m1.json'), 'utf8'));
  const b = JSON.parse(await readFile(file('m2.json'), 'utf8'));
  const g = merged.metrics.generations;
  assert.equal(g.total, a.metrics.generations.total + b.metrics.generations.total);
  assert.equal(g.failed, a.metrics.generations.failed + b.metrics.generations.failed);
  assert.equal(g.tokens.completion, a.metrics.generations.tokens.completion + b.metrics.generations.tokens.completion);
  for (const s of ['latencyMs', 'ttftMs', 'chunkGapMs', 'decodeTokensPerSec', 'timePerOutputTokenMs', 'prefillTokensPerSec']) {
    assert.ok(g[s].count > 256, s);
    for (const q of ['count', 'min', 'max', 'p50', 'p90', 'p95', 'p99']) assert.equal(g[s][q], together.metrics.generations[s][q], `${s}.${q}`);
  }
  for (const [name, s] of Object.entries(merged.sketches.generations.series)) {
    const t = together.sketches.generations.series[name];
    assert.deepEqual(s.histogram, t.histogram, name);
    assert.equal(s.count, t.count, name);
    assert.ok(Math.abs(s.sum - t.sum) <= 1e-9 * Math.abs(t.sum), name); // float sums: addition order
  }
});

test('merge: a corrupt input → exit 2, file and path named, nothing written', async () => {
  const r = await run(runMerge, [file('base.json'), file('v2.json'), '-o', file('never.json')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /v2\.json: \$\.schemaVersion: version 3 is not supported/);
  const broken = await run(runMerge, [file('base.json'), file('broken.json'), '-o', file('never.json')]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.json: \$: not valid JSON/);
  assert.equal(existsSync(file('never.json')), false);
  assert.ok(!(await readdir(dir)).some((f) => f.startsWith('never.json')));
  assert.equal((await run(runMerge, [])).code, 2);
  // Without -o the merged export goes to stdout.
  const out = await run(runMerge, [file('base.json'), file('same.json')]);
  assert.equal(out.code, 0);
  assert.equal(JSON.parse(out.stdout).metrics.generations.total, 80);
});

test('report: text, md, csv and json', async () => {
  const doc = JSON.parse(await readFile(file('base.json'), 'utf8'));
  const text = await run(runReport, [file('base.json')]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /TTFT|ttft/i);
  const md = await run(runReport, [file('base.json'), '--format', 'md']);
  assert.equal(md.code, 0);
  assert.match(md.stdout, /^## WebLLM monitor report/);
  assert.match(md.stdout, /\| TTFT ms \| 40 \|/);
  assert.match(md.stdout, /Generations: 40 \(/);
  assert.match(md.stdout, /### Health/);
  const csv = await run(runReport, [file('base.json'), '--format', 'csv']);
  assert.equal(csv.code, 0);
  const lines = csv.stdout.trimEnd().split('\r\n');
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  assert.equal(lines.length, 1 + doc.generations.length);
  const json = await run(runReport, [file('base.json'), '--format', 'json']);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), doc.metrics);
  const bad = await run(runReport, [file('v2.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /v2\.json: \$\.schemaVersion/);
  assert.equal((await run(runReport, [file('base.json'), '--format', 'pdf'])).code, 2);
});

test('bin.js compare: exit codes 0, 1 and 2 through the real entry point', () => {
  const main = join(ROOT, 'js/cli/bin.js');
  const call = (...args) => spawnSync(process.execPath, [main, 'compare', ...args], { encoding: 'utf8' });
  assert.equal(call(file('base.json'), file('same.json')).status, 0);
  const slow = call(file('base.json'), file('slow.json'));
  assert.equal(slow.status, 1, slow.stderr);
  assert.match(slow.stdout, /REGRESSION/);
  const bad = call(file('base.json'), file('v2.json'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /v2\.json: \$\.schemaVersion/);
});

// Unit tests of js/cli/budget.js, junit.js and markdown.js (no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MonitorCore } from '../../js/core.js';
import { checkBudgetPaths, formatPath, judgeBudget, loadBudget, nearestPaths, numericPaths, parsePath } from '../../js/cli/budget.js';
import { CliError } from '../../js/cli/errors.js';
import { escapeXml, junitXml } from '../../js/cli/junit.js';
import { markdownErrorReport, markdownReport } from '../../js/cli/markdown.js';

const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';

async function sampleMetrics() {
  const core = await MonitorCore.create();
  const t = Date.now() - 10_000;
  for (let i = 0; i < 10; i++)
    core.recordGeneration({
      model: MODEL,
      type: 'chat',
      startedAt: t + i * 100,
      durationMs: 500 + i * 10,
      ttftMs: 100 + i,
      promptTokens: 20,
      completionTokens: 40,
    });
  core.recordModelLoad({ model: MODEL, startedAt: t - 1000, durationMs: 900, fromCache: true });
  const m = core.metrics();
  core.dispose();
  return m;
}

async function withBudgetFile(/** @type {string} */ text, /** @type {(file: string) => Promise<void>} */ fn) {
  const dir = await mkdtemp(path.join(tmpdir(), 'wlm-budget-'));
  try {
    const file = path.join(dir, 'budget.json');
    await writeFile(file, text);
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('paths: dots, brackets for names with dots, round trip', () => {
  assert.deepEqual(parsePath('generations.ttftMs.p95'), ['generations', 'ttftMs', 'p95']);
  assert.deepEqual(parsePath(`generations.byModel[${MODEL}].ttftMs.p95`), ['generations', 'byModel', MODEL, 'ttftMs', 'p95']);
  assert.deepEqual(parsePath('windows[5m].generations'), ['windows', '5m', 'generations']);
  assert.equal(formatPath(['generations', 'byModel', 'a.b', 'p95']), 'generations.byModel[a.b].p95');
  for (const bad of ['a..b', 'a[b', 'a]b', 'a.', '.a', 'a[]', 'a[b]c']) assert.throws(() => parsePath(bad), CliError, bad);
});

test('numericPaths lists numeric and null leaves, bracketing dotted keys', async () => {
  const m = await sampleMetrics();
  const paths = numericPaths(m);
  assert.ok(paths.includes('generations.ttftMs.p95'));
  assert.ok(paths.includes(`generations.byModel[${MODEL}].ttftMs.p95`));
  assert.ok(paths.includes('generations.byType.chat.latencyMs.p95'));
  assert.ok(paths.includes('windows.5m.generations.errorRate'));
  assert.ok(paths.includes('cache.hitRate'));
  assert.ok(!paths.some((p) => p.startsWith('errors.recent')), 'arrays are skipped');
});

test('judgeBudget: pass, fail below min and above max, no data, bracket paths', async () => {
  const m = await sampleMetrics();
  const r = judgeBudget(
    {
      'generations.ttftMs.p95': { max: 800 },
      'generations.total': { min: 11 },
      'errors.total': { max: 0 },
      [`generations.byModel[${MODEL}].latencyMs.p50`]: { min: 1, max: 10 },
      'generations.prefillTokensPerSec.p50': { min: 0 },
      'generations.chunkGapMs.p95': { max: 5 },
    },
    m,
  );
  assert.deepEqual(
    r.map((a) => a.pass),
    [true, false, true, false, true, false],
  );
  assert.match(r[0].message, /generations\.ttftMs\.p95 = 109 is within max 800/);
  assert.match(r[1].message, /is below min 11/);
  assert.match(r[3].message, /is above max 10/);
  assert.equal(r[5].value, null);
  assert.match(r[5].message, /^no data: generations\.chunkGapMs\.p95 is null/);
  assert.equal(r[3].path, `generations.byModel[${MODEL}].latencyMs.p50`);
});

test('judgeBudget: an unknown path is a CliError listing the nearest valid paths', async () => {
  const m = await sampleMetrics();
  assert.throws(
    () => judgeBudget({ 'generations.ttftMs.p59': { max: 1 } }, m),
    (err) =>
      err instanceof CliError &&
      err.exitCode === 2 &&
      /"generations\.ttftMs\.p59" is not in the metrics/.test(err.message) &&
      /generations\.ttftMs\.p50/.test(err.message) &&
      /generations\.ttftMs\.p99/.test(err.message),
  );
  assert.throws(
    () => judgeBudget({ [`generations.byModel.${MODEL}.ttftMs.p95`]: { max: 1 } }, m),
    (err) => err instanceof CliError && err.message.includes(`generations.byModel[${MODEL}].ttftMs.p95`),
  );
  assert.throws(() => judgeBudget({ 'health.status': { max: 1 } }, m), /is not a number/);
  assert.deepEqual(nearestPaths('cache.hitrate', numericPaths(m), 1), ['cache.hitRate']);
});

test('loadBudget: malformed budgets name the file and the key', async () => {
  const cases = [
    ['[1]', /expected a JSON object.*an array/],
    ['{"a": 1}', /"a": expected \{ "min"\?: number/],
    ['{"generations.total": {"min": 5, "max": 3}}', /"generations\.total": min 5 is greater than max 3/],
    ['{"generations.total": {"max": "10"}}', /"generations\.total": max: expected a finite number, got "10"/],
    ['{"generations.total": {}}', /"generations\.total": expected "min" and\/or "max"/],
    ['{"generations.total": {"maximum": 3}}', /unknown field "maximum"/],
    ['{"a..b": {"max": 3}}', /"a\.\.b": not a valid path/],
    ['{}', /no assertions/],
    ['{"a": ', /not valid JSON/],
  ];
  for (const [text, re] of cases)
    await withBudgetFile(text, async (file) => {
      await assert.rejects(
        loadBudget(file),
        (err) => err instanceof CliError && err.exitCode === 2 && err.message.includes(file) && re.test(err.message),
        text,
      );
    });
  await assert.rejects(loadBudget('/nonexistent/budget.json'), /budget \/nonexistent\/budget\.json: cannot read/);
  await withBudgetFile('{"generations.total": {"min": 1}, "cache.hitRate": {"min": 0, "max": 1}}', async (file) => {
    assert.deepEqual(await loadBudget(file), { 'generations.total': { min: 1, max: null }, 'cache.hitRate': { min: 0, max: 1 } });
  });
});

test('the committed demo budget is valid', async () => {
  const b = await loadBudget(new URL('../../budgets/demo.budget.json', import.meta.url).pathname);
  for (const p of ['generations.ttftMs.p95', 'generations.decodeTokensPerSec.p50', 'generations.errorRate', 'cache.hitRate', 'generations.total'])
    assert.ok(p in b, p);
});

test('junit: escaping, counts, failures with messages', () => {
  assert.equal(escapeXml(`a<b>&"c"'\n\u0001`), 'a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;');
  const xml = junitXml([
    {
      name: 'budget',
      cases: [
        { name: 'x<y', classname: 'b', pass: true, message: 'ok' },
        { name: 'z', classname: 'b', pass: false, message: 'z = 5 is above max "3" & more' },
      ],
    },
  ]);
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="webllm-monitor" tests="2" failures="1"/);
  assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
  assert.match(xml, /<testcase name="x&lt;y"/);
  assert.match(xml, /<failure message="z = 5 is above max &quot;3&quot; &amp; more" type="AssertionError">/);
});

test('markdown report: verdict, budget table, findings, percentiles', async () => {
  const m = await sampleMetrics();
  const budget = judgeBudget({ 'generations.ttftMs.p95': { max: 1 }, 'generations.total': { min: 1 } }, m);
  const md = markdownReport({
    pass: false,
    url: 'http://x/?a|b',
    runs: 2,
    metrics: m,
    budget,
    budgetFile: 'b.json',
    regression: {
      findings: [{ metric: 'generations.ttftMs.p95', baseline: 100, current: 130, relativeChange: 0.3, pValue: 0.001, regression: true, message: 'worse' }],
      regressions: 1,
      method: 'test',
    },
    baselineFile: 'base.json',
  });
  assert.match(md, /^# webllm-monitor: ❌ FAIL/);
  assert.match(md, /1\/2 budget assertions passed, 1 regression\. 2 runs of http:\/\/x\/\?a\\\|b/);
  assert.match(md, /\| ❌ \| `generations\.ttftMs\.p95` \| 109 \| – \| 1 \| generations\.ttftMs\.p95 = 109 is above max 1 \|/);
  assert.match(md, /\| ❌ \| `generations\.ttftMs\.p95` \| 100 \| 130 \| \+30\.0% \| 0\.0010 \|/);
  assert.match(md, /\| TTFT ms \| 10 \| 104 \|/);
});

test('checkBudgetPaths: every path a real export has is accepted; typos and non-numbers are refused before any run', async () => {
  const metrics = await sampleMetrics();
  const valueAt = (/** @type {string} */ p) => parsePath(p).reduce((/** @type {any} */ v, k) => v[k], metrics);
  const every = numericPaths(metrics).filter((p) => typeof valueAt(p) === 'number');
  assert.ok(every.length > 100, `${every.length} numeric paths`);
  await checkBudgetPaths(Object.fromEntries(every.map((p) => [p, { max: 1 }])));
  // Names under maps are the run's: any model or type passes here; byOperation takes only its three.
  await checkBudgetPaths({ 'generations.byModel[Any-Model.v2].ttftMs.p95': { max: 1 }, 'generations.byOperation.embedding.total': { min: 1 } });
  const refused = async (/** @type {string} */ key, /** @type {RegExp} */ why) => {
    await assert.rejects(
      checkBudgetPaths({ 'generations.total': { min: 1 }, [key]: { max: 1 } }),
      (err) => {
        assert.ok(err instanceof CliError);
        assert.match(err.message, why);
        return true;
      },
      key,
    );
  };
  await refused(
    'generations.ttftMs.p59',
    /^budget path "generations\.ttftMs\.p59": "p59" is not a field of "generations\.ttftMs"; nearest valid paths:\n {2}generations\.ttftMs\.p50\n/,
  );
  await refused('generation.total', /"generation" is not a field of the metrics; nearest valid paths:\n {2}generations\.total/);
  await refused('generations.byOperation.chatt.total', /"chatt" is not a field of "generations\.byOperation"/);
  await refused(
    'generations.byModel[X].ttft.p95',
    /"ttft" is not a field of "generations\.byModel\.X"; nearest valid paths:\n {2}generations\.byModel\[<name>\]\.ttftMs\.p95/,
  );
  await refused('health.status', /"health\.status": names a field that is not a number/);
  await refused('generations.ttftMs', /names a field that is not a number/);
  await refused('generations.total.more', /"more" is not a field of "generations\.total"/);
});

test('junit and markdown of a run that did not complete: an <error>, not a failure; no verdict', () => {
  const xml = junitXml([
    {
      name: 'webllm-monitor ci',
      cases: [{ name: 'ci', classname: 'webllm-monitor.ci', pass: false, error: true, message: 'no Chromium found', details: 'no Chromium found; tried: /x' }],
    },
  ]);
  assert.match(xml, /<testsuites name="webllm-monitor" tests="1" failures="0" errors="1"/);
  assert.match(xml, /<testsuite name="webllm-monitor ci" tests="1" failures="0" errors="1"/);
  assert.match(xml, /<error message="no Chromium found" type="CliError">no Chromium found; tried: \/x<\/error>/);
  assert.doesNotMatch(xml, /<failure/);
  const md = markdownErrorReport({ url: 'http://127.0.0.1:1/', message: 'a ~~~ fence\nsecond line', durationMs: 1500 });
  assert.match(md, /^# webllm-monitor: ⚠️ ERROR\n\nThe run of http:\/\/127\.0\.0\.1:1\/ did not complete \(1\.5 s\), so no budget or baseline was judged/);
  assert.match(md, /\n~~~~\na ~~~ fence\nsecond line\n~~~~\n/, 'the fence is longer than any run of ~ in the message');
});

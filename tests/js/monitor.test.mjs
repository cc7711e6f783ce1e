// createMonitor in Node: options, manual ingestion, track, withType, reading, export/import/merge,
// CSV, console commands, subscriptions, logging, dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMonitor, loadCore, CSV_COLUMNS } from '../../js/index.js';

/** A console stand-in that keeps what it is given. */
function recorder() {
  const calls = [];
  const out = {};
  for (const m of ['debug', 'info', 'warn', 'error', 'log', 'table']) out[m] = (...args) => calls.push([m, ...args]);
  return { out, calls };
}

const quiet = () => ({ memory: false, logger: recorder().out });

test('the core module is loaded once and shared by every monitor', async () => {
  const a = await createMonitor(quiet());
  const b = await createMonitor(quiet());
  assert.equal(await loadCore(), await loadCore());
  a.recordCacheLookup({ cache: 'x', hit: true });
  assert.equal(b.getMetrics().cache.lookups, 0, 'monitors do not share data');
  await a.dispose();
  await b.dispose();
});

test('options are checked, naming the option', async () => {
  await assert.rejects(createMonitor({ histroySize: 10 }), /options\.histroySize: unknown option/);
  await assert.rejects(createMonitor({ debug: 'yes' }), /options\.debug: expected true or false, got string "yes"/);
  await assert.rejects(createMonitor({ persist: 'cookies' }), /options\.persist: expected false, 'localStorage' or 'indexedDB'/);
  await assert.rejects(createMonitor({ sampleIntervalMs: -1 }), /options\.sampleIntervalMs/);
  await assert.rejects(createMonitor({ historySize: 0 }), /config\.historySize: 0 is outside \[1, 100000\]/);
  await assert.rejects(createMonitor(null), /options: expected an object, got null/);
});

test('manual ingestion: defaults, outcomes, refusals naming the field', async () => {
  const log = recorder();
  const m = await createMonitor({ memory: false, logger: log.out, defaultType: 'chat-ui' });
  const before = Date.now();
  assert.deepEqual(m.recordGeneration({ model: 'Llama', durationMs: 1500, ttftMs: 300, promptTokens: 20, completionTokens: 61 }), { ok: true });
  const [g] = m.getAllGenerations();
  assert.equal(g.type, 'chat-ui');
  assert.ok(g.startedAt >= before - 1500 - 5 && g.startedAt <= Date.now() - 1500 + 5, 'startedAt defaults to now - durationMs');
  assert.equal(g.decodeTokensPerSec, 60 / 1.2);

  const bad = m.recordGeneration({ model: 'Llama', durationMs: -3 });
  assert.deepEqual(bad, { ok: false, field: 'generation.durationMs', message: 'generation.durationMs: -3 is negative' });
  const typed = m.recordGeneration({ model: 'Llama', durationMs: '12' });
  assert.equal(typed.ok, false);
  assert.equal(typed.field, 'generation.durationMs');
  assert.match(typed.message, /expected a number, got string "12"/);
  assert.equal(m.getMetrics().rejected.total, 2);
  assert.equal(m.getMetrics().generations.total, 1, 'refused events change nothing');
  assert.ok(log.calls.some(([level, msg, entry]) => level === 'warn' && msg.includes('event refused') && entry.field === 'generation.durationMs'));

  assert.deepEqual(m.recordModelLoad({ model: 'Llama', durationMs: 4000, fromCache: true }), { ok: true });
  assert.deepEqual(m.recordCacheLookup({ cache: 'rag', hit: false }), { ok: true });
  assert.deepEqual(m.recordOperation({ name: 'rerank', durationMs: 8, success: true }), { ok: true });
  const metrics = m.getMetrics();
  assert.equal(metrics.initialization.fromCache, 1);
  assert.equal(metrics.cache.byName.rag.misses, 1);
  assert.equal(metrics.cache.byName.model.hits, 1);
  assert.equal(metrics.operations.rerank.count, 1);
  await m.dispose();
});

test('strict mode throws a TypeError naming the field', async () => {
  const m = await createMonitor({ ...quiet(), strict: true });
  assert.throws(
    () => m.recordOperation({ name: '', durationMs: 1 }),
    (err) => err instanceof TypeError && err.field === 'operation.name',
  );
  await m.dispose();
});

test('track times sync and async functions and passes results and errors through', async () => {
  const m = await createMonitor(quiet());
  assert.equal(
    m.track('sync-ok', () => 7),
    7,
  );
  const boom = new RangeError('too far');
  assert.throws(
    () =>
      m.track('sync-fail', () => {
        throw boom;
      }),
    (err) => err === boom,
  );
  assert.equal(await m.track('async-ok', async () => 'v'), 'v');
  const late = new Error('timeout');
  late.name = 'TimeoutError';
  await assert.rejects(
    m.track('async-fail', () => new Promise((_, reject) => setTimeout(() => reject(late), 15))),
    (err) => err === late,
  );
  const ops = m.getMetrics().operations;
  assert.equal(ops['sync-ok'].succeeded, 1);
  assert.equal(ops['sync-fail'].failed, 1);
  assert.equal(ops['async-ok'].succeeded, 1);
  assert.equal(ops['async-fail'].failed, 1);
  assert.ok(ops['async-fail'].durationMs.min >= 10, 'the async duration covers the wait');
  const errors = m.getMetrics().errors;
  assert.equal(errors.byName.TimeoutError, 1);
  assert.equal(errors.byName.RangeError, 1);
  assert.equal(errors.recent[0].operation, 'async-fail');
  await m.dispose();
});

test('withType tags what runs inside it and restores the previous tag', async () => {
  const m = await createMonitor(quiet());
  const out = m.withType('enhance_summary', () => {
    m.recordGeneration({ model: 'A', durationMs: 10 });
    m.withType('nested', () => m.recordGeneration({ model: 'A', durationMs: 10 }));
    m.recordGeneration({ model: 'A', durationMs: 10, type: 'explicit' });
    return 'result';
  });
  assert.equal(out, 'result');
  assert.throws(
    () =>
      m.withType('t', () => {
        throw new Error('inner');
      }),
    /inner/,
  );
  m.recordGeneration({ model: 'A', durationMs: 10 });
  const byType = m.getMetrics().generations.byType;
  assert.equal(byType.enhance_summary.total, 1);
  assert.equal(byType.nested.total, 1);
  assert.equal(byType.explicit.total, 1);
  assert.equal(byType.default.total, 1, 'the tag is gone after withType, also after a throw');
  assert.throws(() => m.withType('', () => 0), /type: expected a non-empty string/);
  await m.dispose();
});

test('export, import and merge; merging several is all or nothing', async () => {
  const a = await createMonitor(quiet());
  const b = await createMonitor(quiet());
  for (let i = 0; i < 30; i++) a.recordGeneration({ model: 'A', durationMs: 100 + i, ttftMs: 10 + i });
  for (let i = 0; i < 20; i++) b.recordGeneration({ model: 'B', durationMs: 200 + i, ttftMs: 20 + i });
  const ea = a.exportMetrics();
  const eb = b.exportMetrics();
  const c = await createMonitor(quiet());
  c.mergeMetrics(ea, eb);
  assert.equal(c.getMetrics().generations.total, 50);
  assert.equal(c.getAllGenerations().length, 50);

  const before = c.exportMetrics();
  const broken = JSON.parse(eb);
  broken.sketches.generations.total = -1;
  assert.throws(
    () => c.mergeMetrics(ea, broken),
    (err) => {
      assert.match(err.message, /^document 2: \$\.sketches\.generations\.total: -1 is negative/);
      assert.equal(err.path, '$.sketches.generations.total');
      assert.equal(err.document, 2);
      return true;
    },
  );
  assert.equal(c.getMetrics().generations.total, 50, 'nothing was merged');
  assert.deepEqual(JSON.parse(c.exportMetrics()).sketches, JSON.parse(before).sketches);

  c.importMetrics(ea);
  assert.equal(c.getMetrics().generations.total, 30);
  assert.throws(
    () => c.importMetrics('{"schemaVersion": 9}'),
    (err) => err.path === '$.schemaVersion',
  );
  assert.equal(c.getMetrics().generations.total, 30);
  await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
});

test('exportCSV: a header and one quoted-where-needed row per generation', async () => {
  const m = await createMonitor(quiet());
  m.recordGeneration({ model: 'A', type: 'chat', durationMs: 100, ttftMs: 20, completionTokens: 5, startedAt: Date.UTC(2026, 10, 23, 5, 0, 0) });
  m.recordGeneration({
    model: 'A',
    durationMs: 50,
    startedAt: Date.UTC(2026, 10, 23, 5, 0, 1),
    errorName: 'Error',
    errorMessage: 'bad "quote", comma\nand newline',
  });
  m.recordGeneration({ model: '=cmd', durationMs: 5, startedAt: Date.UTC(2026, 10, 23, 5, 0, 2) });
  const lines = m.exportCSV().split('\r\n');
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  assert.ok(lines[1].startsWith('2026-11-23T05:00:00.000Z,A,chat,chat,100,20,,5,'));
  assert.ok(lines[2].includes('"bad ""quote"", comma\nand newline"'));
  assert.ok(lines[3].includes(',"=cmd",'), 'formula-like cells are quoted');
  assert.equal(lines.at(-1), '', 'ends with a line break');
  await m.dispose();
});

test('printMetrics writes a table and the report; downloads without a DOM return null', async () => {
  const log = recorder();
  const m = await createMonitor({ memory: false, logger: log.out });
  m.recordGeneration({ model: 'A', durationMs: 900, ttftMs: 120, completionTokens: 30 });
  const report = m.printMetrics();
  const table = log.calls.find(([k]) => k === 'table');
  assert.ok(table, 'console.table was called');
  assert.equal(table[1]['TTFT ms'].p50, 120);
  assert.ok(log.calls.some(([k, text]) => k === 'log' && text === report));
  assert.match(report, /Generations: 1 total/);
  assert.equal(m.downloadMetrics(), null);
  assert.ok(log.calls.some(([k, msg]) => k === 'warn' && msg.includes('no document to download from')));
  await m.dispose();
});

test('installConsole puts the commands on globalThis and removes them', async () => {
  const log = recorder();
  const m = await createMonitor({ memory: false, logger: log.out });
  const remove = m.installConsole();
  const c = globalThis.webllmMonitor;
  assert.equal(typeof c.printMetrics, 'function');
  assert.equal(c.monitor, m);
  m.recordGeneration({ model: 'A', durationMs: 10 });
  assert.equal(c.getMetrics().generations.total, 1);
  assert.match(c.printMetrics(), /Generations: 1 total/);
  assert.match(c.help(), /webllmMonitor\.downloadMetrics\(\)/);
  remove();
  assert.equal(globalThis.webllmMonitor, undefined);
  m.installConsole('llm');
  assert.equal(typeof globalThis.llm.getStatus, 'function');
  await m.dispose();
  assert.equal(globalThis.llm, undefined, 'dispose removes the console commands');
});

test('subscribe: one delivery at once, then throttled; unsubscribe; a throwing listener is contained', async () => {
  const log = recorder();
  // A long throttle window, so that a busy machine cannot stretch the checks below past it.
  const m = await createMonitor({ memory: false, logger: log.out, throttleMs: 1000 });
  const seen = [];
  const unsubscribe = m.subscribe((snap) => seen.push(snap.metrics.generations.total));
  m.subscribe(() => {
    throw new Error('listener bug');
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, [0]);
  for (let i = 0; i < 50; i++) m.recordGeneration({ model: 'A', durationMs: 10 });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(seen.length, 1, 'no notification within the throttle window');
  await new Promise((r) => setTimeout(r, 1200));
  assert.deepEqual(seen, [0, 50], 'one notification for fifty events');
  unsubscribe();
  m.recordGeneration({ model: 'A', durationMs: 10 });
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(seen.length, 2);
  assert.ok(m.getStatus().faults >= 1, 'the listener fault was counted');
  assert.ok(log.calls.some(([k, , entry]) => k === 'error' && entry?.where === 'subscriber'));
  await m.dispose();
});

test('debug logging: structured entries; without debug only warn and error', async () => {
  const loud = recorder();
  const m = await createMonitor({ memory: false, logger: loud.out, debug: true });
  m.installConsole('dbg');
  const entry = loud.calls.find(([k]) => k === 'debug')?.[2];
  assert.ok(entry, 'a debug entry was written');
  for (const key of ['timestamp', 'level', 'service', 'message']) assert.ok(key in entry, key);
  assert.equal(entry.service, 'webllm-monitor');
  assert.equal(entry.level, 'debug');
  await m.dispose();

  const calm = recorder();
  const n = await createMonitor({ memory: false, logger: calm.out });
  n.installConsole('calm');
  n.recordGeneration({ model: 'A', durationMs: -1 });
  assert.ok(calm.calls.every(([k]) => k === 'warn' || k === 'error'));
  assert.ok(calm.calls.length >= 1);
  await n.dispose();
});

test('getStatus and dispose', async () => {
  const m = await createMonitor(quiet());
  const s = m.getStatus();
  assert.equal(s.health, 'healthy');
  assert.equal(s.ready, false);
  assert.equal(s.loading, null);
  assert.equal(s.debug, false);
  assert.equal(s.persist, false);
  await m.dispose();
  await m.dispose();
  assert.equal(m.disposed, true);
  assert.throws(() => m.getMetrics(), /disposed/);
});

test('the memory sampler records wasm heap samples periodically and stops on dispose', async () => {
  const m = await createMonitor({ sampleIntervalMs: 20, webgpu: false, logger: recorder().out });
  await new Promise((r) => setTimeout(r, 110));
  const samples = m.getMemorySnapshots();
  assert.ok(samples.length >= 3, `${samples.length} samples`);
  assert.ok(samples.every((s) => s.wasmHeapBytes > 0));
  assert.equal(m.getMetrics().memory.latest.wasmHeapBytes, (await loadCore()).HEAPU8.length);
  await m.dispose();
});

test('a storage failure while persisting is logged and shows in the metrics, never thrown', async () => {
  const full = {
    getItem: () => null,
    setItem: () => {
      const err = new Error('The quota has been exceeded.');
      err.name = 'QuotaExceededError';
      throw err;
    },
    removeItem: () => {},
  };
  globalThis.localStorage = full;
  try {
    const log = recorder();
    const m = await createMonitor({ memory: false, webgpu: false, logger: log.out, persist: 'localStorage', persistIntervalMs: 30 });
    m.recordGeneration({ model: 'A', durationMs: 10 });
    await new Promise((r) => setTimeout(r, 100));
    const metrics = m.getMetrics();
    const op = metrics.operations['webllm-monitor.persist.localStorage.write'];
    assert.ok(op && op.failed >= 1, 'the failed save is a failed operation');
    assert.ok(metrics.errors.byName.QuotaExceededError >= 1);
    assert.ok(m.getStatus().faults >= 1);
    assert.ok(log.calls.some(([k, , e]) => k === 'error' && e?.errorName === 'QuotaExceededError'));
    assert.equal(metrics.generations.total, 1, 'monitoring goes on');
    await m.dispose(); // the last save fails too, quietly
  } finally {
    delete globalThis.localStorage;
  }
});

// js/persist.js in headless Chromium: localStorage and IndexedDB across a page reload (saved
// explicitly and by the visibilitychange / pagehide handlers), a corrupt stored value, quota errors;
// then a monitor's own session (createMonitor with `persist`, a wrapped simulated engine): a reload
// with a stream in flight restores the last save that reached the storage, and corrupt stored
// sessions (invalid, truncated, another schema version, huge, not text) are discarded with a
// warning that names the problem. An IndexedDB write started on pagehide is best effort: Chromium
// may abort a transaction still pending when the page goes (measured: about 1 write in 12 lost
// even with tx.commit()), so where it matters the test accepts either that save or the one before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';

const b = useBrowser({ name: 'persist' });
const PAGE = '/tests/browser/pages/persist.html';

for (const kind of ['localStorage', 'indexedDB']) {
  test(`${kind}: an export saved with saveNow() is restored after a reload and imports into a core`, async (t) => {
    const { page } = await b.open(t, PAGE);
    const key = `reload-${kind}`;
    const text = await page.evaluate(() => window.api.exportSession(5));
    const saved = await page.evaluate(([k, key, text]) => window.api.save(k, key, text), [kind, key, text]);
    assert.deepEqual(saved, { ok: true, faults: [] });
    await page.reload();
    await b.ready(page);
    const restored = await page.evaluate(([k, key]) => window.api.restore(k, key), [kind, key]);
    assert.deepEqual(restored.faults, []);
    assert.equal(restored.text, text);
    const imported = await page.evaluate(([k, key]) => window.api.importOrDiscard(k, key), [kind, key]);
    assert.deepEqual(imported, { imported: true, generations: 5, memorySamples: 1, faults: [] });
    if (kind === 'indexedDB') {
      const raw = await page.evaluate((key) => window.api.rawIndexedDb(key), key);
      assert.deepEqual(raw, { stores: ['exports'], version: 1, value: text });
    } else {
      assert.equal(await page.evaluate((key) => localStorage.getItem(key), key), text);
    }
    await page.evaluate(([k, key]) => window.api.clear(k, key), [kind, key]);
    assert.equal((await page.evaluate(([k, key]) => window.api.restore(k, key), [kind, key])).text, null);
    await b.screenshot(page, `reload-${kind}`);
  });

  test(`${kind}: start() saves when the page is hidden (visibilitychange)`, async (t) => {
    const { page } = await b.open(t, PAGE);
    const key = `hidden-${kind}`;
    assert.equal((await page.evaluate(([k, key]) => window.api.restore(k, key), [kind, key])).text, null);
    assert.deepEqual(await page.evaluate(([k, key]) => window.api.arm(k, key, 'saved on visibilitychange'), [kind, key]), { running: true });
    const hidden = await page.evaluate(([k, key]) => window.api.hide(k, key, 'saved on visibilitychange'), [kind, key]);
    assert.deepEqual(hidden, { faults: [], stored: true });
    await page.reload();
    await b.ready(page);
    assert.equal((await page.evaluate(([k, key]) => window.api.restore(k, key), [kind, key])).text, 'saved on visibilitychange');
    await page.evaluate(([k, key]) => window.api.clear(k, key), [kind, key]);
  });

  test(`${kind}: a corrupt stored value is returned as it is; the monitor discards it and clears`, async (t) => {
    const { page } = await b.open(t, PAGE);
    const key = `corrupt-${kind}`;
    await page.evaluate(([k, key]) => window.api.save(k, key, '{"schemaVersion":1,"metrics":'), [kind, key]);
    await page.reload();
    await b.ready(page);
    const restored = await page.evaluate(([k, key]) => window.api.restore(k, key), [kind, key]);
    assert.equal(restored.text, '{"schemaVersion":1,"metrics":');
    const r = await page.evaluate(([k, key]) => window.api.importOrDiscard(k, key), [kind, key]);
    assert.equal(r.imported, false);
    assert.equal(r.cleared, true);
    assert.ok(r.reason.length > 0);
    assert.deepEqual(r.faults, []);
    t.diagnostic(`core refused it: ${r.reason}`);
  });
}

test('localStorage: start() saves on pagehide (a reload), synchronously', async (t) => {
  const { page } = await b.open(t, PAGE);
  const key = 'pagehide-localStorage';
  assert.deepEqual(await page.evaluate((key) => window.api.arm('localStorage', key, 'saved on pagehide'), key), { running: true });
  await page.reload(); // pagehide: the handler writes (the periodic save is an hour away)
  await b.ready(page);
  assert.equal((await page.evaluate((key) => window.api.restore('localStorage', key), key)).text, 'saved on pagehide');
  await page.evaluate((key) => window.api.clear('localStorage', key), key);
});

test('localStorage full: the real QuotaExceededError is reported, not thrown', async (t) => {
  const { page } = await b.open(t, PAGE, { fresh: true });
  const r = await page.evaluate(() => window.api.realQuota('quota-real', 2_000_000));
  assert.equal(r.ok, false);
  assert.equal(r.faults.length, 1);
  assert.match(r.faults[0], /^persist\.localStorage\.write: QuotaExceededError: /);
  t.diagnostic(`localStorage took ${r.filled} strings of 1 Mi chars (${r.fillMs.toFixed(0)} ms) before refusing; fault: ${r.faults[0]}`);
  await b.screenshot(page, 'quota');
});

test('localStorage.setItem stubbed to throw QuotaExceededError: reported, not thrown', async (t) => {
  const { page } = await b.open(t, PAGE);
  const r = await page.evaluate(() => window.api.stubbedQuota('quota-stub'));
  assert.equal(r.ok, false);
  assert.equal(r.faults.length, 1);
  assert.match(r.faults[0], /^persist\.localStorage\.write: QuotaExceededError: .*exceeded the quota/);
});

// ---------------------------------------------------------------------------------------------
// A monitor's session across a reload (tests/browser/pages/persist-session.html): createMonitor
// with `persist`, generations through a wrapped simulated engine, the automatic saves, a reload
// with a stream in flight.

const SESSION = '/tests/browser/pages/persist-session.html';
const N = 6;
const M = 4;

/** Reloads the page; returns the stored session and the page-left save's record, read before any monitor. */
async function reload(page, kind, key) {
  await page.reload();
  await b.ready(page);
  const stored = await page.evaluate(([k, key]) => window.api.stored(k, key), [kind, key]);
  const pagehide = await page.evaluate(() => window.api.pagehideRecord());
  return { stored, pagehide };
}

/** The figures people compare first, from a comparable export. */
const headline = (c) => ({
  total: c.metrics.generations.total,
  byType: Object.fromEntries(Object.entries(c.metrics.generations.byType).map(([k, v]) => [k, v.total])),
  latencyMs: c.metrics.generations.latencyMs,
  ttftMs: c.metrics.generations.ttftMs,
  decodeTokensPerSec: c.metrics.generations.decodeTokensPerSec,
});

for (const kind of ['localStorage', 'indexedDB']) {
  test(`${kind}: a monitor's session survives a reload mid-stream: the last save is restored, nothing before it lost`, async (t) => {
    const { page, messages } = await b.open(t, SESSION, { fresh: true });
    const key = `session-${kind}`;
    const first = await page.evaluate(([k, key]) => window.api.start(k, key), [kind, key]);
    assert.equal(first.total, 0);
    assert.deepEqual(first.warnings, []);
    await page.evaluate(() => window.api.engine());
    await page.evaluate((n) => window.api.generate(n), N);

    // Saved when the page is hidden.
    const saved = await page.evaluate(() => window.api.hide());
    assert.equal(saved.landed, true, 'the hidden-page save is in the storage');
    assert.equal(saved.atSave.metrics.generations.total, N);
    // More generations, then a stream the app is reading when the page goes.
    const after = await page.evaluate((n) => window.api.generate(n), M);
    assert.equal(after.metrics.generations.total, N + M);
    const flight = await page.evaluate(() => window.api.inFlight());
    assert.equal(flight.chunks, 3);
    assert.ok(flight.content.length > 0);
    assert.equal(flight.total, N + M, 'a generation in flight is not recorded yet');

    const { stored, pagehide } = await reload(page, kind, key);
    assert.ok(pagehide, 'the page-left record');
    assert.deepEqual(pagehide, after, 'the page-left save holds what the page had: the stream in flight is not in it');
    const second = await page.evaluate(([k, key]) => window.api.start(k, key), [kind, key]);
    assert.deepEqual(second.warnings, []);
    // What createMonitor restored is exactly what was stored...
    assert.deepEqual(second.restored, stored);
    // ...which is the last save that reached the storage: the page-left save, or before it the hidden-page save.
    const which =
      JSON.stringify(stored) === JSON.stringify(pagehide) ? 'page left' : JSON.stringify(stored) === JSON.stringify(saved.atSave) ? 'page hidden' : 'neither';
    if (kind === 'localStorage') assert.equal(which, 'page left', 'localStorage: the page-left save is synchronous, it always lands');
    else assert.notEqual(which, 'neither', 'indexedDB: the page-left save is best effort; else the hidden-page save is restored');
    const expected = which === 'page left' ? pagehide : saved.atSave;
    assert.deepEqual(headline(second.restored), headline(expected));
    assert.equal(second.total, which === 'page left' ? N + M : N);
    t.diagnostic(
      `restored the ${which} save: ${second.total} generations, latency p50 ${second.restored.metrics.generations.latencyMs.p50} ms, p95 ${second.restored.metrics.generations.latencyMs.p95} ms`,
    );

    // The restored session goes on and is saved again.
    await page.evaluate(() => window.api.engine());
    const more = await page.evaluate(() => window.api.generate(2));
    assert.equal(more.metrics.generations.total, second.total + 2);
    assert.equal(more.metrics.initialization.loads, 2);
    const again = await page.evaluate(() => window.api.hide());
    assert.equal(again.landed, true);
    assert.ok(!messages.some((m) => /^(warning|error):/.test(m)), messages.join('\n'));
    await b.screenshot(page, `session-${kind}`);
    await page.evaluate(([k, key]) => window.api.clear(k, key), [kind, key]);
  });

  test(`${kind}: saved when hidden after the last generation, a reload mid-stream restores exactly that save`, async (t) => {
    const { page } = await b.open(t, SESSION, { fresh: true });
    const key = `session-hidden-${kind}`;
    await page.evaluate(([k, key]) => window.api.start(k, key), [kind, key]);
    await page.evaluate(() => window.api.engine());
    await page.evaluate((n) => window.api.generate(n), N);
    assert.equal((await page.evaluate(() => window.api.hide())).landed, true);
    await page.evaluate((n) => window.api.generate(n), M);
    const last = await page.evaluate(() => window.api.hide());
    assert.equal(last.landed, true);
    assert.equal(last.atSave.metrics.generations.total, N + M);
    await page.evaluate(() => window.api.inFlight());
    const { stored, pagehide } = await reload(page, kind, key);
    // The page-left save, if it landed, wrote the same data: the one restore possible.
    assert.deepEqual(pagehide, last.atSave);
    assert.deepEqual(stored, last.atSave);
    const restored = await page.evaluate(([k, key]) => window.api.start(k, key), [kind, key]);
    assert.deepEqual(restored.warnings, []);
    assert.deepEqual(restored.restored, last.atSave);
    assert.equal(restored.total, N + M);
    await page.evaluate(([k, key]) => window.api.clear(k, key), [kind, key]);
  });
}

/** Corrupt stored sessions: the value, and what the warning must say about it. */
const CORRUPT = [
  ['invalid JSON', async () => 'this is not JSON {', /^\$: not valid JSON: parse error at line 1, column \d+: /],
  [
    'valid JSON of another schema version',
    async (page) => {
      const doc = JSON.parse(await page.evaluate(() => window.api.exportOf(3)));
      doc.schemaVersion = 999;
      return JSON.stringify(doc);
    },
    /^\$\.schemaVersion: version 999 is not supported \(this build reads version 2\)$/,
  ],
  [
    'truncated JSON',
    async (page) => {
      const text = await page.evaluate(() => window.api.exportOf(3));
      return text.slice(0, Math.floor(text.length * 0.6));
    },
    /^\$: not valid JSON: parse error at line 1, column \d+: /,
  ],
  [
    'a huge value (4 M characters)',
    async (page) => {
      const doc = JSON.parse(await page.evaluate(() => window.api.exportOf(3)));
      doc.generations[1].model = 'm'.repeat(4_000_000);
      return JSON.stringify(doc);
    },
    /^\$\.generations\[1\]\.model: 4000000 bytes is longer than \d+$/,
  ],
];

for (const kind of ['localStorage', 'indexedDB']) {
  for (const [name, make, reason] of CORRUPT) {
    test(`${kind}: a stored session that is ${name} is discarded with a warning naming the problem; the monitor starts fresh`, async (t) => {
      const { page, messages } = await b.open(t, SESSION);
      const key = `corrupt-session-${kind}`;
      const text = await make(page);
      assert.equal(await page.evaluate(([k, key, text]) => window.api.write(k, key, text), [kind, key, text]), true);
      await page.reload();
      await b.ready(page);
      const from = messages.length;
      const r = await page.evaluate(([k, key]) => window.api.start(k, key), [kind, key]);
      assert.equal(r.total, 0, 'nothing restored');
      assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
      assert.equal(r.warnings[0].message, 'discarded a corrupt persisted session');
      assert.match(r.warnings[0].reason, reason);
      assert.equal(r.storedAfterStart, null, 'the corrupt value is removed');
      assert.equal(r.status.faults, 0, 'a corrupt save is not a fault of the monitor');
      // The console line itself names the problem (not only the entry unfolded).
      const warned = messages.slice(from).filter((m) => m.startsWith('warning: [webllm-monitor] discarded a corrupt persisted session'));
      assert.equal(warned.length, 1, messages.slice(from).join('\n'));
      assert.ok(warned[0].includes(r.warnings[0].reason.slice(0, 40)), `the console line names the problem: ${warned[0]}`);
      t.diagnostic(`${(text.length / 1e6).toFixed(2)} M chars; ${r.warnings[0].reason.slice(0, 160)}`);

      // The page works on, and the fresh session is saved over the removed one.
      await page.evaluate(() => window.api.engine());
      const gen = await page.evaluate(() => window.api.generate(2));
      assert.equal(gen.metrics.generations.total, 2);
      const saved = await page.evaluate(() => window.api.hide());
      assert.equal(saved.landed, true);
      assert.equal((await page.evaluate(([k, key]) => window.api.stored(k, key), [kind, key])).metrics.generations.total, 2);
      await page.evaluate(([k, key]) => window.api.clear(k, key), [kind, key]);
    });
  }
}

test('indexedDB: a record that is not text (other code, another version) is not left unseen: a number is discarded with a warning, an export stored as an object is restored', async (t) => {
  const { page, messages } = await b.open(t, SESSION);
  const key = 'record-not-text';
  await page.evaluate((key) => window.api.writeRawIndexedDb(key, 42), key);
  await page.reload();
  await b.ready(page);
  const r = await page.evaluate((key) => window.api.start('indexedDB', key), key);
  assert.equal(r.total, 0);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0].reason, /^\$: expected an export object, got /);
  assert.equal(r.storedAfterStart, null, 'removed');
  assert.ok(messages.some((m) => m.startsWith('warning: [webllm-monitor] discarded a corrupt persisted session') && m.includes('expected an export object')));
  t.diagnostic(r.warnings[0].reason);

  // Another key: the monitor of this page saves its own session under the first one when the page goes.
  const objectKey = 'record-object';
  const text = await page.evaluate(() => window.api.exportOf(4));
  await page.evaluate(([key, doc]) => window.api.writeRawIndexedDb(key, doc), [objectKey, JSON.parse(text)]);
  await page.reload();
  await b.ready(page);
  const s = await page.evaluate((key) => window.api.start('indexedDB', key), objectKey);
  assert.deepEqual(s.warnings, []);
  assert.equal(s.total, 4);
  for (const k of [key, objectKey]) await page.evaluate((k) => window.api.clear('indexedDB', k), k);
});

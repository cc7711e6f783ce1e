// js/persist.js in headless Chromium: localStorage and IndexedDB across a page reload (saved
// explicitly and by the visibilitychange / pagehide handlers), a corrupt stored value, quota errors.
// IndexedDB on pagehide is not tested: Chromium may abort a transaction still pending when the
// page goes (measured: about 1 write in 12 lost even with tx.commit()), so it is best effort.
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

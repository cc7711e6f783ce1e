// js/persist.js in the page, with a real MonitorCore export. Driven by tests/browser/persist.test.mjs
// through window.api; state that must survive a reload lives only in the storage under test.
import { createPersistence } from '/js/persist.js';
import { MonitorCore } from '/js/core.js';
import { faultLog, show, sleep } from './common.js';

function persistence(kind, key, text, extra = {}) {
  const { faults, fault } = faultLog();
  const p = createPersistence({ kind, key, save: () => text, fault, ...extra });
  return { p, faults };
}

async function save(kind, key, text) {
  const { p, faults } = persistence(kind, key, text);
  const ok = await p.saveNow();
  p.stop();
  show(`saveNow ${kind} "${key}"`, { ok, chars: text.length, faults });
  return { ok, faults };
}

async function restore(kind, key) {
  const { p, faults } = persistence(kind, key, '');
  const text = await p.restore();
  p.stop();
  show(`restore ${kind} "${key}"`, { text: text === null ? null : text.length > 200 ? `${text.slice(0, 200)}... (${text.length} chars)` : text, faults });
  return { text, faults };
}

async function clear(kind, key) {
  const { p, faults } = persistence(kind, key, '');
  await p.clear();
  p.stop();
  return { faults };
}

/** A persistence started on this page: saves `text` on pagehide / visibilitychange (interval far away). */
let armed = null;
function arm(kind, key, text) {
  const { p, faults } = persistence(kind, key, text, { intervalMs: 3_600_000 });
  p.start();
  armed = { p, faults };
  show(`armed ${kind} "${key}"`, { running: p.running, chars: text.length });
  return { running: p.running };
}

/**
 * Pretends the page was hidden (headless pages stay visible): visibilityState "hidden" and the
 * event; then waits (up to 2 s) until the armed persistence's write is readable.
 */
async function hide(kind, key, expected) {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  const t0 = performance.now();
  document.dispatchEvent(new Event('visibilitychange'));
  delete document.visibilityState;
  const reader = createPersistence({ kind, key, save: () => '' });
  let text = null;
  while ((text = await reader.restore()) !== expected && performance.now() - t0 < 2000) await sleep(10);
  reader.stop();
  return { faults: armed ? armed.faults : [], stored: text === expected };
}

/** An export of a small session from a real core. */
async function exportSession(n = 5) {
  const core = await MonitorCore.create();
  const t = Date.now() - 60_000;
  for (let i = 0; i < n; i++)
    core.recordGeneration({ model: 'm', type: 'chat', startedAt: t + i * 1000, durationMs: 500 + i, ttftMs: 100 + i, promptTokens: 10, completionTokens: 20 });
  core.recordMemorySample({ label: 'after-init', timestamp: t, usedJSHeapSize: 1e7 });
  const text = core.exportJson();
  core.dispose();
  return text;
}

/** What the monitor does with a restored text: import it, or discard it (clear) when corrupt. */
async function importOrDiscard(kind, key) {
  const { p, faults } = persistence(kind, key, '');
  const text = await p.restore();
  const core = await MonitorCore.create();
  let outcome;
  try {
    if (text === null) outcome = { imported: false, reason: 'nothing stored' };
    else {
      core.importJson(text);
      outcome = { imported: true, generations: core.metrics().generations.total, memorySamples: core.metrics().memory.samples };
    }
  } catch (err) {
    await p.clear();
    outcome = { imported: false, reason: err.message, cleared: (await p.restore()) === null };
  }
  core.dispose();
  p.stop();
  show(`importOrDiscard ${kind} "${key}"`, { ...outcome, faults });
  return { ...outcome, faults };
}

/** Reads the IndexedDB record directly (checks the layout: db "webllm-monitor", store "exports"). */
async function rawIndexedDb(key) {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('webllm-monitor');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const stores = [...db.objectStoreNames];
  const value = await new Promise((resolve, reject) => {
    const r = db.transaction('exports').objectStore('exports').get(key);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return { stores, version: db.version, value };
}

/** Fills localStorage close to its quota, then saves a text that does not fit. */
async function realQuota(key, chars) {
  const t0 = performance.now();
  const filler = 'f'.repeat(1 << 20);
  let filled = 0;
  try {
    for (; filled < 64; filled++) localStorage.setItem(`filler-${filled}`, filler);
  } catch (err) {
    // full
  }
  const fillMs = performance.now() - t0;
  const r = await save('localStorage', key, 'x'.repeat(chars));
  for (let i = 0; i < filled; i++) localStorage.removeItem(`filler-${i}`);
  show('real quota', { fillerMiBchars: filled, fillMs, ...r });
  return { ...r, filled, fillMs };
}

/** localStorage.setItem stubbed to throw a QuotaExceededError DOMException. */
async function stubbedQuota(key) {
  const orig = Storage.prototype.setItem;
  Storage.prototype.setItem = function () {
    throw new DOMException("Failed to execute 'setItem' on 'Storage': Setting the value exceeded the quota.", 'QuotaExceededError');
  };
  try {
    return await save('localStorage', key, 'small');
  } finally {
    Storage.prototype.setItem = orig;
  }
}

window.api = { save, restore, clear, arm, hide, exportSession, importOrDiscard, rawIndexedDb, realQuota, stubbedQuota };
window.ready = Promise.resolve(true);

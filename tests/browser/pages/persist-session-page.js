// A monitor persisted in localStorage or IndexedDB, as an app runs it: createMonitor({ persist }),
// a wrapped simulated engine, generations, the automatic saves (page hidden, page left), a reload
// with a stream in flight, corrupt stored values. Driven by tests/browser/persist.test.mjs through
// window.api. What must survive a reload lives only in the storage under test, but for the test's
// own record of what the page-left save wrote (sessionStorage).
import { createMonitor } from '/js/index.js';
import { createPersistence } from '/js/persist.js';
import { CreateSimulatedMLCEngine } from '/js/simulated-engine.js';
import { show } from './common.js';

const MODEL = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const PAGEHIDE_RECORD = 'persist-session:pagehide';
let monitor = null;
let engine = null;
let kind = null;
let key = null;
let count = 0;
/** A stream the page started and stopped reading: in flight when the page goes. */
// eslint-disable-next-line no-unused-vars -- never read: it keeps the stream and its reader reachable until the page goes
let pending = null;

/**
 * What a restore must bring back: the data an import reads (sketches, histories) and the
 * statistics derived from it. Leaves out what depends on the clock (exportedAt, windows, health,
 * status) and the live samplers (off here).
 */
function comparable(doc) {
  const { generations, initialization, cache, errors, operations, rejected } = doc.metrics;
  return {
    sketches: doc.sketches,
    history: doc.generations,
    memorySnapshots: doc.memorySnapshots,
    metrics: { generations, initialization, cache, errors, operations, rejected },
  };
}

/** The text stored under the key, read with a persistence of its own (null: nothing). */
async function stored(k = kind, name = key) {
  const reader = createPersistence({ kind: k, key: name, save: () => '' });
  const text = await reader.restore();
  reader.stop();
  return text;
}

/** A stored text as the test compares it: null, the comparable part of an export, or a note. */
function describeStored(text) {
  if (text === null) return null;
  try {
    return comparable(JSON.parse(text));
  } catch (err) {
    return `not an export: ${err.message}`;
  }
}

window.api = {
  /** createMonitor restoring from `k` under `name`; returns what it restored and what it said. */
  async start(k, name) {
    kind = k;
    key = name;
    monitor = await createMonitor({
      persist: kind,
      persistKey: key,
      persistIntervalMs: 3_600_000, // no periodic save during a test: only the hidden / left ones
      memory: false,
      webgpu: false,
      defaultType: 'chat',
    });
    // After the monitor's own handler (registered in createMonitor): the same state it saved.
    addEventListener('pagehide', () => sessionStorage.setItem(PAGEHIDE_RECORD, monitor.exportMetrics()));
    const doc = JSON.parse(monitor.exportMetrics());
    const warnings = monitor.logEntries.filter((e) => e.level === 'warn').map((e) => ({ message: e.message, reason: e.errorMessage }));
    const result = { restored: comparable(doc), total: doc.metrics.generations.total, warnings, status: monitor.getStatus(), storedAfterStart: await stored() };
    const { latencyMs } = doc.metrics.generations;
    show(`createMonitor (${kind}, "${key}"): restored`, {
      total: result.total,
      latencyMs: { p50: latencyMs.p50, p95: latencyMs.p95 },
      warnings,
      storedAfterStart: result.storedAfterStart === null ? null : `${result.storedAfterStart.length} chars`,
    });
    return result;
  },
  /** The wrapped simulated engine (its load is recorded). */
  async engine() {
    engine = await monitor.createEngine(CreateSimulatedMLCEngine, MODEL, { timeScale: 0, seed: 3 });
    return monitor.getMetrics().initialization.loads;
  },
  /** `n` completed generations, streamed and not, of two types; returns the export after them. */
  async generate(n) {
    for (let i = 0; i < n; i++, count++) {
      const request = {
        messages: [{ role: 'user', content: `question ${count}` }],
        max_tokens: 12 + (count % 5) * 9,
        monitorType: count % 3 ? 'chat' : 'translate',
      };
      if (count % 2 === 0) {
        for await (const chunk of await engine.chat.completions.create({ ...request, stream: true })) void chunk;
      } else {
        await engine.chat.completions.create(request);
      }
    }
    const now = comparable(JSON.parse(monitor.exportMetrics()));
    show(`${n} generations`, { total: now.metrics.generations.total });
    return now;
  },
  /**
   * The page is hidden (headless pages stay visible: visibilityState "hidden" and the event), as
   * when a tab is switched or closed: the monitor saves. Returns the export at that moment, once
   * the storage holds it (an IndexedDB write completes later).
   */
  async hide() {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    const atSave = comparable(JSON.parse(monitor.exportMetrics()));
    delete document.visibilityState;
    const expected = JSON.stringify(atSave);
    let text = await stored();
    for (let tries = 0; tries < 200 && JSON.stringify(describeStored(text)) !== expected; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      text = await stored();
    }
    const landed = JSON.stringify(describeStored(text)) === expected;
    show('page hidden: saved', { total: atSave.metrics.generations.total, landed });
    return { atSave, landed };
  },
  /** Starts a streamed generation and reads a few chunks of it, then stops reading. */
  async inFlight() {
    const stream = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'a long answer, please' }], stream: true, max_tokens: 200 });
    const iterator = stream[Symbol.asyncIterator]();
    const chunks = [];
    for (let i = 0; i < 3; i++) chunks.push((await iterator.next()).value);
    pending = { stream, iterator };
    return { chunks: chunks.length, content: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), total: monitor.getMetrics().generations.total };
  },
  /** What the page-left save of the previous page wrote (the test's own record of it). */
  pagehideRecord() {
    const text = sessionStorage.getItem(PAGEHIDE_RECORD);
    sessionStorage.removeItem(PAGEHIDE_RECORD);
    return text === null ? null : comparable(JSON.parse(text));
  },
  /** The stored text under the key (before any monitor of this page exists): comparable, or a note. */
  async stored(k, name) {
    return describeStored(await stored(k, name));
  },
  /** Writes `text` (or, with `raw`, any value: IndexedDB records need not be strings) as the stored session. */
  async write(k, name, text) {
    const writer = createPersistence({ kind: k, key: name, save: () => text });
    const ok = await writer.saveNow();
    writer.stop();
    return ok;
  },
  /** Puts `value` as the IndexedDB record itself (any structured-cloneable value). */
  async writeRawIndexedDb(name, value) {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('webllm-monitor', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('exports');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction('exports', 'readwrite');
      tx.objectStore('exports').put(value, name);
      tx.oncomplete = () => resolve(undefined);
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  },
  /** A real export of `n` generations (a monitor of its own, not persisted). */
  async exportOf(n) {
    const m = await createMonitor({ memory: false, webgpu: false });
    for (let i = 0; i < n; i++)
      m.recordGeneration({ model: MODEL, type: 'chat', durationMs: 200 + 10 * i, ttftMs: 20 + i, promptTokens: 10, completionTokens: 30 });
    const text = m.exportMetrics();
    await m.dispose();
    return text;
  },
  metrics: () => monitor.getMetrics(),
  async clear(k, name) {
    const p = createPersistence({ kind: k, key: name, save: () => '' });
    await p.clear();
    p.stop();
  },
};
window.ready = Promise.resolve(true);

// js/persist.js without a browser: an in-memory Storage and a minimal fake IndexedDB stand in for
// the real ones (tests/browser/persist.test.mjs runs the real ones, across a page reload).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPersistence } from '../../js/persist.js';

/** A Storage over a Map; `quota` in UTF-16 code units, like browsers count. */
function memoryStorage({ quota = Infinity } = {}) {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem(k, v) {
      const s = String(v);
      let used = 0;
      for (const [key, val] of map) if (key !== k) used += key.length + val.length;
      if (used + k.length + s.length > quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      map.set(k, s);
    },
    removeItem: (k) => void map.delete(k),
  };
}

/**
 * The smallest IndexedDB the wrapper needs: open with upgrade, one object store, get/put/delete in
 * transactions that complete asynchronously. `failPut` aborts put transactions with that error.
 */
function fakeIndexedDb({ failPut = null } = {}) {
  const stores = new Map();
  let version = 0;
  const later = (fn) => setTimeout(fn, 0);
  const factory = {
    opens: 0,
    open(name, v) {
      factory.opens++;
      const req = { result: null, error: null };
      later(() => {
        const db = {
          objectStoreNames: { contains: (s) => stores.has(s) },
          createObjectStore: (s) => stores.set(s, new Map()),
          close() {},
          transaction(storeName, mode) {
            const tx = { error: null };
            const data = stores.get(storeName);
            tx.objectStore = () => ({
              get: (k) => op(() => data.get(k)),
              put: (val, k) =>
                op(() => {
                  if (mode !== 'readwrite') throw new Error('readonly');
                  if (failPut) return { abort: failPut };
                  data.set(k, val);
                  return k;
                }),
              delete: (k) => op(() => void data.delete(k)),
            });
            function op(fn) {
              const r = { result: undefined };
              later(() => {
                const out = fn();
                if (out && typeof out === 'object' && 'abort' in out) {
                  tx.error = out.abort;
                  tx.onabort?.();
                  return;
                }
                r.result = out;
                r.onsuccess?.();
                later(() => tx.oncomplete?.());
              });
              return r;
            }
            return tx;
          },
        };
        req.result = db;
        if (v > version) {
          version = v;
          req.onupgradeneeded?.();
        }
        req.onsuccess?.();
      });
      return req;
    },
  };
  return factory;
}

function collectFaults() {
  const faults = [];
  return { faults, fault: (where, err) => faults.push({ where, name: err && err.name, err }) };
}

test('localStorage: saveNow() writes save(), restore() reads it back, clear() removes it', async () => {
  const storage = memoryStorage();
  let text = '{"schemaVersion":1}';
  const p = createPersistence({ kind: 'localStorage', key: 'k1', save: () => text, storage });
  assert.equal(await p.restore(), null);
  assert.equal(await p.saveNow(), true);
  assert.equal(storage.map.get('k1'), text);
  text = 'not json at all';
  await p.saveNow();
  assert.equal(await p.restore(), 'not json at all', 'a corrupt value is returned as it is');
  await p.clear();
  assert.equal(await p.restore(), null);
});

test('localStorage: the default key is "webllm-monitor"', async () => {
  const storage = memoryStorage();
  await createPersistence({ kind: 'localStorage', save: () => 'x', storage }).saveNow();
  assert.deepEqual([...storage.map.keys()], ['webllm-monitor']);
});

test('localStorage: a QuotaExceededError is reported with its name and not thrown', async () => {
  const storage = memoryStorage({ quota: 100 });
  const { faults, fault } = collectFaults();
  const p = createPersistence({ kind: 'localStorage', save: () => 'x'.repeat(200), storage, fault });
  assert.equal(await p.saveNow(), false);
  assert.deepEqual(
    faults.map((f) => [f.where, f.name]),
    [['persist.localStorage.write', 'QuotaExceededError']],
  );
  assert.ok(faults[0].err instanceof DOMException);
});

test('save() throwing or returning a non-string is reported, nothing written', async () => {
  const storage = memoryStorage();
  const { faults, fault } = collectFaults();
  const p = createPersistence({
    kind: 'localStorage',
    storage,
    fault,
    save: () => {
      throw new Error('core disposed');
    },
  });
  assert.equal(await p.saveNow(), false);
  const q = createPersistence({ kind: 'localStorage', storage, fault, save: () => undefined });
  assert.equal(await q.saveNow(), false);
  assert.equal(storage.map.size, 0);
  assert.deepEqual(
    faults.map((f) => f.where),
    ['persist.localStorage.save', 'persist.localStorage.save'],
  );
  assert.match(faults[1].err.message, /save\(\) returned undefined/);
});

test('storage that throws on access (disabled storage) or is missing: reported, restore() is null', async () => {
  const { faults, fault } = collectFaults();
  const throwing = {
    getItem() {
      throw new DOMException('Access is denied for this document.', 'SecurityError');
    },
    setItem() {
      throw new DOMException('Access is denied for this document.', 'SecurityError');
    },
    removeItem() {
      throw new DOMException('Access is denied for this document.', 'SecurityError');
    },
  };
  const p = createPersistence({ kind: 'localStorage', save: () => 'x', storage: throwing, fault });
  assert.equal(await p.restore(), null);
  assert.equal(await p.saveNow(), false);
  await p.clear();
  assert.deepEqual(
    faults.map((f) => [f.where, f.name]),
    [
      ['persist.localStorage.restore', 'SecurityError'],
      ['persist.localStorage.write', 'SecurityError'],
      ['persist.localStorage.clear', 'SecurityError'],
    ],
  );
  // Node has no localStorage (without --experimental-webstorage) and no indexedDB
  const { faults: f2, fault: fault2 } = collectFaults();
  assert.equal(await createPersistence({ kind: 'localStorage', save: () => 'x', storage: null, fault: fault2 }).restore(), null);
  assert.equal(await createPersistence({ kind: 'indexedDB', save: () => 'x', storage: null, fault: fault2 }).saveNow(), false);
  assert.deepEqual(
    f2.map((f) => [f.where, f.name]),
    [
      ['persist.localStorage.restore', 'NotSupportedError'],
      ['persist.indexedDB.write', 'NotSupportedError'],
    ],
  );
});

test('start(): periodic saves until stop(); no page events in Node', async () => {
  const storage = memoryStorage();
  let n = 0;
  const p = createPersistence({ kind: 'localStorage', intervalMs: 10, save: () => `save ${++n}`, storage });
  assert.equal(p.running, false);
  p.start();
  p.start();
  assert.equal(p.running, true);
  const end = Date.now() + 2000;
  while (n < 3 && Date.now() < end) await sleep(5);
  p.stop();
  assert.ok(n >= 3, `expected 3 periodic saves, got ${n}`);
  const after = n;
  await sleep(40);
  assert.equal(n, after, 'no save after stop()');
  assert.equal(storage.map.get('webllm-monitor'), `save ${after}`);
});

test('bad options are refused at creation', () => {
  assert.throws(() => createPersistence({ kind: 'cookie', save: () => '' }), /kind: expected "localStorage" or "indexedDB"/);
  assert.throws(() => createPersistence({ kind: 'localStorage' }), /save: expected a function/);
  assert.throws(() => createPersistence({ kind: 'localStorage', save: () => '', key: '' }), /key: expected a non-empty string/);
  assert.throws(() => createPersistence({ kind: 'localStorage', save: () => '', intervalMs: -1 }), /intervalMs/);
});

test('indexedDB (fake): round trip through one object store, the connection opened once', async () => {
  const idb = fakeIndexedDb();
  const { faults, fault } = collectFaults();
  const p = createPersistence({ kind: 'indexedDB', key: 'session', save: () => '{"a":1}', storage: idb, fault });
  assert.equal(await p.restore(), null);
  assert.equal(await p.saveNow(), true);
  assert.equal(await p.restore(), '{"a":1}');
  await p.clear();
  assert.equal(await p.restore(), null);
  assert.equal(idb.opens, 1);
  assert.deepEqual(faults, []);
});

test('indexedDB (fake): a transaction aborted by a QuotaExceededError is reported, not thrown', async () => {
  const idb = fakeIndexedDb({ failPut: new DOMException('Quota exceeded', 'QuotaExceededError') });
  const { faults, fault } = collectFaults();
  const p = createPersistence({ kind: 'indexedDB', save: () => 'big', storage: idb, fault });
  assert.equal(await p.saveNow(), false);
  assert.deepEqual(
    faults.map((f) => [f.where, f.name]),
    [['persist.indexedDB.write', 'QuotaExceededError']],
  );
});

// Persistence of the monitor's export text across page loads: localStorage (synchronous: a save
// on pagehide always lands; ~5 M characters per origin in Chromium) or IndexedDB (larger quota; a
// tiny hand-written wrapper over one object store; asynchronous: a save started on pagehide is
// best effort, Chromium may abort it as the page goes, so the save on visibilitychange to hidden,
// which comes first when a tab is hidden or closed, is the one to count on). Saves periodically
// and when the page is hidden or left. Every storage failure (quota
// exceeded, storage disabled, a blocked database) is reported through `fault(where, err)`, the
// error keeping its name (e.g. "QuotaExceededError"), and never thrown.
//
// Plain ES module, no transpile step.

import { safeFault } from './log.js';

/** IndexedDB database and object store names; records are keyed by the `key` option. */
const DB_NAME = 'webllm-monitor';
const STORE = 'exports';
const DB_VERSION = 1;

/**
 * @typedef {object} Backend
 * @property {(key: string) => Promise<string | null>} get
 * @property {(key: string, text: string) => Promise<void>} set
 * @property {(key: string) => Promise<void>} remove
 * @property {() => Promise<void>} [warm] opens ahead of the first operation (IndexedDB)
 * @property {() => void} [close]
 */

/**
 * A backend over a Storage (localStorage or anything with getItem/setItem/removeItem).
 * @param {() => any} getStorage returns the Storage; may throw (SecurityError when storage is
 *   disabled) and is called on each operation so that such a failure is reported, not cached
 * @returns {Backend}
 */
function storageBackend(getStorage) {
  const storage = () => {
    const s = getStorage();
    if (!s || typeof s.getItem !== 'function') {
      const err = new Error('localStorage is not available here');
      err.name = 'NotSupportedError';
      throw err;
    }
    return s;
  };
  return {
    async get(key) {
      const v = storage().getItem(key);
      return typeof v === 'string' ? v : null;
    },
    async set(key, text) {
      storage().setItem(key, text);
    },
    async remove(key) {
      storage().removeItem(key);
    },
  };
}

/**
 * An IndexedDB record as text. This module only writes strings, but the store may hold any
 * structured-cloneable value (written by other code, or another version): such a value is handed
 * on as its JSON, for the monitor to import (an export document stored as an object) or to
 * discard with a warning that names the problem; left as it was, it would lie there unseen,
 * neither restored nor removed.
 * @param {unknown} value
 * @returns {string | null}
 */
function recordText(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    const e = new Error(`the stored record is a ${Object.prototype.toString.call(value).slice(8, -1)} that is not JSON (${err && err.message})`);
    e.name = 'DataError';
    throw e;
  }
  return typeof text === 'string' ? text : null;
}

/**
 * A backend over IndexedDB: one database, one object store of strings, out-of-line keys. The
 * connection is opened once and kept, so a save on pagehide starts its transaction at once.
 * @param {() => any} getFactory returns the IDBFactory (indexedDB); may throw
 * @returns {Backend & { warm(): Promise<void>, close(): void }}
 */
function indexedDbBackend(getFactory) {
  /** @type {Promise<any> | null} */
  let dbPromise = null;

  function open() {
    if (dbPromise !== null) return dbPromise;
    dbPromise = new Promise((resolve, reject) => {
      const factory = getFactory();
      if (!factory || typeof factory.open !== 'function') {
        const err = new Error('indexedDB is not available here');
        err.name = 'NotSupportedError';
        throw err;
      }
      const request = factory.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the database: let it, reopen on the next operation.
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
        };
        db.onclose = () => {
          dbPromise = null;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => {
        const err = new Error('indexedDB open is blocked by another connection');
        err.name = 'BlockedError';
        reject(err);
      };
    });
    dbPromise.catch(() => {
      dbPromise = null;
    });
    return dbPromise;
  }

  /**
   * Runs `fn(store)` in a transaction; resolves with its request's result once the transaction
   * completes (a put is durable only then), rejects with the transaction's error (a quota error
   * aborts the transaction).
   */
  async function run(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let result;
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => {
        const err = tx.error;
        if (err) reject(err);
        else {
          const e = new Error('indexedDB transaction aborted');
          e.name = 'AbortError';
          reject(e);
        }
      };
      const request = fn(tx.objectStore(STORE));
      request.onsuccess = () => {
        result = request.result;
      };
      // Commit now rather than when the event loop comes back: a write started on pagehide then
      // usually (not always: Chromium aborts what is still pending when the page goes) lands.
      if (typeof tx.commit === 'function') tx.commit();
    });
  }

  return {
    async get(key) {
      return recordText(await run('readonly', (store) => store.get(key)));
    },
    async set(key, text) {
      await run('readwrite', (store) => store.put(text, key));
    },
    async remove(key) {
      await run('readwrite', (store) => store.delete(key));
    },
    /** Opens the connection ahead of time (so a save on pagehide starts its transaction at once). */
    warm() {
      return open().then(() => undefined);
    },
    close() {
      const p = dbPromise;
      dbPromise = null;
      if (p)
        p.then(
          (db) => db.close(),
          () => {},
        );
    },
  };
}

/**
 * Creates the persistence of the export text.
 *
 * @param {object} options
 * @param {'localStorage' | 'indexedDB'} options.kind
 * @param {string} [options.key] the localStorage key or IndexedDB record key (default "webllm-monitor")
 * @param {number} [options.intervalMs] period of the automatic saves (default 30000)
 * @param {() => string} options.save returns the text to store (the monitor's export)
 * @param {(where: string, err: unknown) => void} [options.fault] receives every failure
 * @param {any} [options.storage] a Storage (localStorage kind) or an IDBFactory (indexedDB kind);
 *   default the realm's localStorage / indexedDB
 * @returns {{ restore(): Promise<string | null>, start(): void, stop(): void,
 *   saveNow(): Promise<boolean>, clear(): Promise<void>, readonly running: boolean }}
 */
export function createPersistence(options) {
  const { kind, key = 'webllm-monitor', intervalMs = 30000, save } = options ?? {};
  if (kind !== 'localStorage' && kind !== 'indexedDB') throw new TypeError(`kind: expected "localStorage" or "indexedDB", got ${JSON.stringify(kind)}`);
  if (typeof key !== 'string' || key === '') throw new TypeError(`key: expected a non-empty string, got ${JSON.stringify(key)}`);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new TypeError(`intervalMs: expected a positive number of milliseconds, got ${String(intervalMs)}`);
  if (typeof save !== 'function') throw new TypeError(`save: expected a function, got ${typeof save}`);
  const fault = safeFault(options.fault);
  const hasStorage = 'storage' in options && options.storage !== undefined;
  const backend =
    kind === 'localStorage'
      ? storageBackend(() => (hasStorage ? options.storage : globalThis.localStorage))
      : indexedDbBackend(() => (hasStorage ? options.storage : globalThis.indexedDB));
  const where = (op) => `persist.${kind}.${op}`;

  /** @type {ReturnType<typeof setInterval> | null} */
  let timer = null;
  /** @type {(() => void) | null} */
  let removeListeners = null;

  async function saveNow() {
    let text;
    try {
      text = save();
      if (typeof text !== 'string') throw new TypeError(`save() returned ${text === null ? 'null' : typeof text}, expected a string`);
    } catch (err) {
      fault(where('save'), err);
      return false;
    }
    try {
      await backend.set(key, text);
      return true;
    } catch (err) {
      fault(where('write'), err);
      return false;
    }
  }

  function listen() {
    const target = globalThis;
    const doc = globalThis.document;
    if (typeof target.addEventListener !== 'function') return null;
    const onHide = () => void saveNow();
    const onVisibility = () => {
      if (doc && doc.visibilityState === 'hidden') void saveNow();
    };
    target.addEventListener('pagehide', onHide);
    if (doc && typeof doc.addEventListener === 'function') doc.addEventListener('visibilitychange', onVisibility);
    return () => {
      target.removeEventListener('pagehide', onHide);
      if (doc && typeof doc.removeEventListener === 'function') doc.removeEventListener('visibilitychange', onVisibility);
    };
  }

  return {
    async restore() {
      try {
        return await backend.get(key);
      } catch (err) {
        fault(where('restore'), err);
        return null;
      }
    },
    start() {
      if (timer !== null) return;
      timer = setInterval(() => void saveNow(), intervalMs);
      if (typeof timer === 'object' && timer !== null && typeof timer.unref === 'function') timer.unref();
      try {
        removeListeners = listen();
      } catch (err) {
        fault(where('listen'), err);
      }
      if ('warm' in backend) backend.warm().catch((err) => fault(where('open'), err));
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (removeListeners !== null) {
        try {
          removeListeners();
        } catch (err) {
          fault(where('listen'), err);
        }
        removeListeners = null;
      }
      if ('close' in backend) backend.close();
    },
    saveNow,
    async clear() {
      try {
        await backend.remove(key);
      } catch (err) {
        fault(where('clear'), err);
      }
    },
    get running() {
      return timer !== null;
    },
  };
}

// subscribe(): the listeners of one monitor, each called with { metrics, status } right after it
// subscribes and then after changes, at most once per `throttleMs`. A throwing listener or a
// failed read is a fault of the monitoring, never the app's.

export class Subscribers {
  /** @type {Set<(snapshot: object) => void>} */ #listeners = new Set();
  #throttleMs;
  /** @type {ReturnType<typeof setTimeout> | null} */ #timer = null;
  #last = 0;
  #read;
  #fault;
  #alive;

  /**
   * @param {{ throttleMs: number, read: () => object, fault: (where: string, err: unknown) => void, alive: () => boolean }} o
   *   `read` builds the snapshot delivered; `alive` is false once the monitor is disposed
   */
  constructor({ throttleMs, read, fault, alive }) {
    this.#throttleMs = throttleMs;
    this.#read = read;
    this.#fault = fault;
    this.#alive = alive;
  }

  /** Adds `listener`, delivered once in a microtask; returns the function that removes it. */
  add(listener) {
    this.#listeners.add(listener);
    queueMicrotask(() => {
      if (this.#listeners.has(listener) && this.#alive()) this.#deliver([listener]);
    });
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Something changed: deliver to every listener, throttled. */
  changed() {
    if (this.#listeners.size === 0 || this.#timer !== null || !this.#alive()) return;
    const wait = Math.max(0, this.#last + this.#throttleMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#alive()) this.#deliver([...this.#listeners]);
    }, wait);
    /** @type {any} */ (this.#timer).unref?.();
  }

  /** Removes every listener and the pending delivery. */
  clear() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  #deliver(listeners) {
    this.#last = Date.now();
    let snapshot;
    try {
      snapshot = this.#read();
    } catch (err) {
      this.#fault('subscribe', err);
      return;
    }
    for (const l of listeners) {
      try {
        l(snapshot);
      } catch (err) {
        this.#fault('subscriber', err);
      }
    }
  }
}

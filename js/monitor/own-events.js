// The events the monitor records itself (from the wrapper, samplers, track(), its own faults and
// OTLP pushes) go into the core's batch at once, and the batch goes to the core once per
// microtask, or at the next read, whichever comes first. Refusals are logged then, each with the
// method that recorded it.

export class OwnEvents {
  /** @type {import('../core.js').MonitorCore | null} */ #core;
  #log;
  #fault;
  /** The methods of the events queued since the last drain, in order (a refusal's `record` indexes it). */
  /** @type {string[]} */ #methods = [];
  #scheduled = false;

  /**
   * @param {import('../core.js').MonitorCore} core
   * @param {{ warn: (message: string, fields: object) => void }} log
   * @param {(where: string, err: unknown) => void} fault
   */
  constructor(core, log, fault) {
    this.#core = core;
    this.#log = log;
    this.#fault = fault;
  }

  /** Writes the event into the batch (core[method](event)); throws what the core throws. */
  record(method, event) {
    const core = this.#core;
    if (core === null) return;
    core[method](event);
    this.#methods.push(method);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.drain();
    });
  }

  /** Ingests the queued events now and logs what the core refused of them. */
  drain() {
    const methods = this.#methods;
    const core = this.#core;
    if (methods.length === 0 || core === null) return;
    this.#methods = [];
    try {
      for (const r of core.flush().rejected) this.#log.warn('event refused', { method: methods[r.record] ?? 'event', field: r.field, message: r.message });
    } catch (err) {
      this.#fault('ingest', err);
    }
  }

  /** Drains, then forgets the core (it is being disposed). */
  close() {
    this.drain();
    this.#core = null;
  }
}

// The per-model lock (WebLLM's CustomLock: FIFO, handed over on release).

export class CustomLock {
  constructor() {
    this.acquired = false;
    this.queue = [];
  }

  async acquire() {
    if (!this.acquired) {
      this.acquired = true;
      return;
    }
    await new Promise((resolve) => this.queue.push(resolve));
  }

  release() {
    if (!this.acquired) throw Error('InternalError: expect lock is acquired upon release()');
    if (this.queue.length === 0) this.acquired = false;
    else this.queue.shift()();
  }
}

// The per-model lock: WebLLM's CustomLock (lib/index.js, not exported), FIFO and handed over on
// release. As in WebLLM, both methods are async: release() hands the lock to the next waiter at
// once and rejects when the lock is not held. The tests' fakes of WebLLM's own MLCEngine
// (tests/js/webllm-fakes.mjs) use it too.

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

  async release() {
    if (!this.acquired) throw Error('InternalError: expect lock is acquired upon release()');
    if (this.queue.length === 0) this.acquired = false;
    else this.queue.shift()();
  }
}

// A measured stream: what the caller iterates instead of the engine's own.

import { finite } from './hooks.js';

/** What Measurement.observeChunk() returns for the usage chunk the wrapper asked for. */
export const HIDE = 1;

/** A never-iterated stream is recorded as abandoned after this long (hooks.abandonAfterMs). */
export const ABANDON_AFTER_MS = 60_000;

/**
 * What the caller iterates instead of the engine's stream: next() resolves to the engine's own
 * result objects (hence the same chunk objects), except the usage chunk the wrapper asked for.
 * A stream the caller does not touch for hooks.abandonAfterMs (default ABANDON_AFTER_MS) after
 * create() resolved is recorded as abandoned (an abort); it is not closed, so the caller can
 * still iterate it, unmeasured.
 */
export class MeasuredStream {
  constructor(m, source) {
    this.m = m;
    this.it = source[Symbol.asyncIterator]();
    this.onStep = (r) => this.step(r);
    this.onError = (err) => {
      this.m.fail(err);
      throw err;
    };
    this.timer = undefined;
    try {
      const end = m.ctx.clock();
      const after = m.ctx.hooks.abandonAfterMs;
      const delay = finite(after) && after >= 0 ? after : ABANDON_AFTER_MS;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        try {
          m.abandon(end);
        } catch (err) {
          m.ctx.fault('abandon', err);
        }
      }, delay);
      if (this.timer && typeof this.timer.unref === 'function') this.timer.unref();
    } catch (err) {
      m.ctx.fault('abandon', err);
    }
  }

  touch() {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  next(...args) {
    this.touch();
    let p;
    try {
      p = this.it.next(...args);
    } catch (err) {
      // An iterator whose next() throws instead of rejecting: the caller gets the same throw.
      this.m.fail(err);
      throw err;
    }
    return (p !== null && typeof p === 'object' && typeof p.then === 'function' ? p : Promise.resolve(p)).then(this.onStep, this.onError);
  }

  step(r) {
    const m = this.m;
    let hide = false;
    try {
      if (r.done) m.finishStream();
      else hide = m.observeChunk(r.value) === HIDE;
    } catch (err) {
      m.ctx.fault('chunk', err);
    }
    return hide ? this.next() : r;
  }

  return(value) {
    this.touch();
    const m = this.m;
    const it = this.it;
    const close = () => (typeof it.return === 'function' ? it.return(value) : Promise.resolve({ value, done: true }));
    if (!m.finished && m.hideUsage && m.finishReason !== undefined && m.finishReason !== null) {
      // The caller stopped at the finish chunk: the usage chunk the wrapper asked for is next
      // (already computed by the engine); read it, then close the engine's iterator.
      let pulled;
      try {
        pulled = it.next();
      } catch (err) {
        m.ctx.fault('return', err);
      }
      if (pulled !== undefined && typeof pulled.then === 'function') {
        return pulled.then(
          (r) => {
            try {
              if (!r.done) m.observeChunk(r.value);
              m.finishStream();
            } catch (err) {
              m.ctx.fault('return', err);
            }
            return close();
          },
          () => {
            m.finishStream();
            return close();
          },
        );
      }
    }
    try {
      m.abortStream();
    } catch (err) {
      m.ctx.fault('return', err);
    }
    return close();
  }

  throw(err) {
    this.touch();
    try {
      this.m.abortStream();
    } catch (e) {
      this.m.ctx.fault('throw', e);
    }
    if (typeof this.it.throw === 'function') return this.it.throw(err);
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

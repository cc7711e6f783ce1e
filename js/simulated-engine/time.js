// Time and randomness of the simulation: a clock per activity that waits (scaled) or only counts,
// and seeded hashes and ids.

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const sleepMs = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Yields to the event loop (a GPU step awaits the device: other work, other models, run). */
export const macrotask =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : typeof MessageChannel === 'function'
      ? (() => {
          const channel = new MessageChannel();
          const queue = [];
          channel.port1.onmessage = () => queue.shift()();
          return () =>
            new Promise((resolve) => {
              queue.push(resolve);
              channel.port2.postMessage(0);
            });
        })()
      : () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * One simulated activity's clock. `advance(ms)` waits ms * scale real milliseconds (scale 0: no
 * waiting) against a deadline, so that timer granularity does not accumulate (a step behind its
 * deadline still yields to the event loop once), and returns the
 * time the step took as the engine reports it (real ms when scale > 0, simulated ms when 0).
 * Time spent outside the engine between steps (a slow stream consumer) is not caught up.
 */
export class Timeline {
  constructor(scale) {
    this.scale = scale;
    this.start = now();
    this.virtualMs = 0;
    this.deadline = this.start;
    this.lastWake = this.start;
  }

  elapsedMs() {
    return this.scale > 0 ? now() - this.start : this.virtualMs;
  }

  async advance(ms) {
    this.virtualMs += ms;
    if (!(this.scale > 0)) {
      await null;
      return ms;
    }
    const t0 = now();
    this.deadline += t0 - this.lastWake + ms * this.scale;
    const wait = this.deadline - t0;
    if (wait >= 1) await sleepMs(wait);
    else await macrotask();
    this.lastWake = now();
    return this.lastWake - t0;
  }
}

export function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function mix(a, b) {
  let h = (a ^ Math.imul((b + 0x9e3779b9) | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export function uuid(rand) {
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rand.uniform() * 16).toString(16);
    return s;
  };
  const variant = (8 + Math.floor(rand.uniform() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}

// What the samplers share: sizes read from the platform, timers that let Node exit, and a
// clock that never throws.

/** A finite non-negative number, else undefined. */
export function size(v) {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Lets a Node timer not keep the process alive (no-op in browsers). */
export function unref(timer) {
  if (timer !== null && typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
  return timer;
}

/**
 * `now()` guarded: its value when it is a finite number, else Date.now(); a throw or another
 * value goes to `fault(where, err)`.
 * @param {() => number} now
 * @param {(where: string, err: unknown) => void} fault
 * @param {string} where
 * @returns {() => number}
 */
export function guardedClock(now, fault, where) {
  return () => {
    try {
      const t = now();
      if (typeof t === 'number' && Number.isFinite(t)) return t;
    } catch (err) {
      fault(where, err);
      return Date.now();
    }
    fault(where, new TypeError('now() did not return a finite number'));
    return Date.now();
  };
}

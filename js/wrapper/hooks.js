// Guarded access to the monitor's hooks (every call is guarded: an exception goes to
// hooks.fault), and the names the core takes.

export class Guard {
  constructor(hooks) {
    this.hooks = hooks;
  }

  fault(where, err) {
    try {
      if (typeof this.hooks.fault === 'function') this.hooks.fault(where, err);
    } catch {
      // nowhere left to report to
    }
  }

  now() {
    try {
      const t = this.hooks.now();
      if (typeof t === 'number' && Number.isFinite(t)) return t;
    } catch (err) {
      this.fault('hooks.now', err);
    }
    return Date.now();
  }

  clock() {
    try {
      return this.hooks.clock();
    } catch (err) {
      this.fault('hooks.clock', err);
      return performance.now();
    }
  }

  /** Calls hooks[name](arg) if it is a function; an exception goes to fault(). */
  call(name, arg) {
    try {
      const fn = this.hooks[name];
      if (typeof fn === 'function') fn.call(this.hooks, arg);
    } catch (err) {
      this.fault(`hooks.${name}`, err);
    }
  }
}

export function finite(x) {
  return typeof x === 'number' && Number.isFinite(x);
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point: names with them are refused
const CONTROL = /[\u0000-\u001f\u007f]/;
let encoder;

/**
 * A string the core takes as a model or type name: not empty, at most 256 UTF-8 bytes, no control
 * characters. (The core would refuse the whole event for a bad one, and quote it in the refusal.)
 */
export function isName(s) {
  if (typeof s !== 'string' || s === '' || CONTROL.test(s)) return false;
  if (s.length <= 64) return true;
  if (s.length > 256) return false;
  encoder ??= new TextEncoder();
  return encoder.encode(s).length <= 256;
}

/** The model name an event can carry: several ids joined with "+" may be too long for one. */
export function recordableModel(name) {
  if (isName(name)) return name;
  const ids = typeof name === 'string' ? name.split('+') : [];
  if (ids.length > 1 && isName(ids[0])) {
    const short = `${ids[0]}+${ids.length - 1} more`;
    if (isName(short)) return short;
  }
  return 'unknown';
}

// Structured logging for the monitor: entries { timestamp, level, service, message, ...fields }
// written to a console. With `debug` every level is written; without it, warn and error only.

import { classifyError } from './wrapper/errors.js';

export { describeValue } from './describe.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * @param {{ debug?: boolean, service?: string, sink?: Partial<Pick<Console, 'debug'|'info'|'warn'|'error'|'log'>> }} [options]
 */
export function createLogger({ debug = false, service = 'webllm-monitor', sink = globalThis.console } = {}) {
  const threshold = debug ? LEVELS.debug : LEVELS.warn;
  /** @type {object[]} */
  const recent = [];
  function write(level, message, fields) {
    if (LEVELS[level] < threshold) return;
    const entry = { timestamp: new Date().toISOString(), level, service, message, ...fields };
    recent.push(entry);
    if (recent.length > 100) recent.shift();
    try {
      const out = sink && typeof sink[level] === 'function' ? sink[level] : sink?.log;
      if (typeof out === 'function') out.call(sink, `[${service}] ${message}`, entry);
    } catch {
      // A broken console must not break the app.
    }
  }
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    /** The last 100 entries written. */
    recent,
  };
}

/**
 * A fault reporter that can never throw. Without `fault`, one console warning per place and error
 * name: a sampler failing every few seconds does not flood the console.
 * @param {((where: string, err: unknown) => void) | undefined} fault
 * @returns {(where: string, err: unknown) => void}
 */
export function safeFault(fault) {
  let report = fault;
  if (typeof report !== 'function') {
    const seen = new Set();
    report = (where, err) => {
      const key = `${where}:${classifyError(err).name}`;
      if (seen.has(key)) return;
      seen.add(key);
      globalThis.console?.warn(`webllm-monitor: ${where}:`, err);
    };
  }
  return (where, err) => {
    try {
      report(where, err);
    } catch {
      // the reporter itself failed: nothing more can be done
    }
  };
}

/**
 * Name and message of anything thrown, for log fields and events (the wrapper's classifyError).
 * @param {unknown} err
 */
export function errorFields(err) {
  const { name, message } = classifyError(err);
  return { errorName: name, errorMessage: message };
}

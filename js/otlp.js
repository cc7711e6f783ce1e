// OTLP/HTTP JSON push: posts the core's ExportMetricsServiceRequest to `{endpoint}/v1/metrics`
// every `intervalMs` with fetch (keepalive), and a last time on pagehide with
// navigator.sendBeacon. Retries 429, 502, 503 and 504 and network errors with exponential
// backoff (honouring Retry-After), then gives up until the next interval. It never throws into
// the app and never runs two pushes at once; outcomes go to `onResult` (the monitor records
// them as the operation "webllm-monitor.otlp" and logs failures).

import { describeValue as describe } from './log.js';
import { VERSION } from './version.js';

/** Default push interval: OpenTelemetry's periodic exporting reader uses 60 s. */
export const DEFAULT_INTERVAL_MS = 60_000;
const RETRYABLE = new Set([429, 502, 503, 504]);
/** Browsers refuse keepalive requests whose bodies add up to more than 64 KiB. */
const KEEPALIVE_LIMIT = 60 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const OPTION_NAMES = ['endpoint', 'headers', 'intervalMs', 'resource', 'maxAttempts', 'backoffMs', 'timeoutMs', 'beacon'];

/**
 * Checks and completes OTLP options. Throws a TypeError naming the field.
 * @param {any} o
 * @param {string} [where] the prefix of error messages
 */
export function normalizeOtlpOptions(o, where = 'options.otlp') {
  const fail = (field, expected, value) => {
    throw new TypeError(`${where}.${field}: expected ${expected}, got ${describe(value)}`);
  };
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new TypeError(`${where}: expected an object with an endpoint, got ${describe(o)}`);
  for (const key of Object.keys(o)) if (!OPTION_NAMES.includes(key)) throw new TypeError(`${where}.${key}: unknown option (known: ${OPTION_NAMES.join(', ')})`);
  if (typeof o.endpoint !== 'string' || o.endpoint === '') fail('endpoint', 'a URL such as "http://localhost:4318"', o.endpoint);
  let url;
  try {
    url = new URL(o.endpoint, globalThis.location?.href);
  } catch {
    fail('endpoint', 'a valid URL', o.endpoint);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('endpoint', 'an http: or https: URL', o.endpoint);
  const base = url.href.replace(/\/+$/, '');
  const headers = {};
  if (o.headers !== undefined) {
    if (o.headers === null || typeof o.headers !== 'object' || Array.isArray(o.headers)) fail('headers', 'an object of strings', o.headers);
    for (const [k, v] of Object.entries(o.headers)) {
      if (!HEADER_NAME.test(k)) fail(`headers[${JSON.stringify(k)}]`, 'a valid header name', k);
      if (typeof v !== 'string') fail(`headers[${JSON.stringify(k)}]`, 'a string', v);
      setData(headers, k, v);
    }
  }
  const positive = (key, dflt, min) => {
    const v = o[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(key, `a number >= ${min}`, v);
    return v;
  };
  const intervalMs = positive('intervalMs', DEFAULT_INTERVAL_MS, 1000);
  const maxAttempts = positive('maxAttempts', 5, 1);
  if (!Number.isInteger(maxAttempts)) fail('maxAttempts', 'a whole number >= 1', maxAttempts);
  const backoffMs = positive('backoffMs', 1000, 0);
  const timeoutMs = positive('timeoutMs', 10_000, 1);
  if (o.beacon !== undefined && typeof o.beacon !== 'boolean') fail('beacon', 'true or false', o.beacon);
  const resource = checkResource(o.resource, `${where}.resource`);
  return { url: `${base}/v1/metrics`, headers, intervalMs, maxAttempts, backoffMs, timeoutMs, beacon: o.beacon !== false, resource };
}

/**
 * Resource attributes: the defaults (service.name "unknown_service", a random
 * service.instance.id, telemetry.sdk.*) under the given ones.
 * @param {any} given
 * @param {string} where
 * @param {string} [instanceId]
 */
export function checkResource(given, where = 'resource', instanceId = randomId()) {
  return {
    'service.name': 'unknown_service',
    'service.instance.id': instanceId,
    'telemetry.sdk.name': 'webllm-monitor',
    'telemetry.sdk.language': 'webjs',
    'telemetry.sdk.version': VERSION,
    ...checkAttributes(given, where),
  };
}

/**
 * Checks attributes (name -> string, finite number or boolean) and returns a copy.
 * @param {any} given
 * @param {string} where
 */
export function checkAttributes(given, where) {
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given)))
    throw new TypeError(`${where}: expected an object of attributes, got ${describe(given)}`);
  const out = {};
  for (const [k, v] of Object.entries(given ?? {})) {
    const ok = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw new TypeError(`${where}[${JSON.stringify(k)}]: expected a string, a finite number or a boolean, got ${describe(v)}`);
    setData(out, k, v);
  }
  return out;
}

/**
 * Sets `obj[key] = value` as an own data property whatever the key: an assignment would call
 * Object.prototype's `__proto__` setter for the key "__proto__" (dropping the entry, or changing
 * the object's prototype) instead of keeping it as data.
 * @param {Record<string, unknown>} obj
 * @param {string} key
 * @param {unknown} value
 */
function setData(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function randomId() {
  if (typeof globalThis.crypto?.randomUUID === 'function') return globalThis.crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
}

/**
 * Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined.
 * @param {string | null} value
 * @param {number} now
 */
export function retryAfterMs(value, now = Date.now()) {
  if (value === null || value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * @typedef {{ ok: boolean, status: number | null, attempts: number, error?: string, durationMs: number, bytes: number, via: 'fetch' | 'beacon' }} PushResult
 */

/**
 * Creates the periodic pusher.
 * @param {object} o
 * @param {ReturnType<typeof normalizeOtlpOptions>} o.options
 * @param {() => string} o.body the request's JSON text (called once per push)
 * @param {(result: PushResult) => void} o.onResult
 * @param {typeof fetch} [o.fetch]
 * @param {(ms: number) => Promise<void>} [o.sleep]
 */
export function createOtlpPusher({ options, body, onResult, fetch: fetchImpl = globalThis.fetch?.bind(globalThis), sleep = defaultSleep }) {
  let timer = null;
  let inFlight = null;
  let stopped = false;
  const pagehide = () => {
    flushOnHide();
  };

  function report(result) {
    try {
      onResult(result);
    } catch {
      // the monitor's own handler failed: nothing more to do here
    }
  }

  async function attempt(text) {
    const init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...options.headers },
      body: text,
      keepalive: text.length <= KEEPALIVE_LIMIT,
    };
    if (typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function') init.signal = AbortSignal.timeout(options.timeoutMs);
    return fetchImpl(options.url, init);
  }

  /** One push with its retries. Never rejects. */
  async function pushOnce() {
    const t0 = Date.now();
    let text;
    try {
      text = body();
    } catch (err) {
      return { ok: false, status: null, attempts: 0, error: `building the request failed: ${err?.message ?? err}`, durationMs: 0, bytes: 0, via: 'fetch' };
    }
    let status = null;
    let error;
    let attempts = 0;
    for (let n = 1; n <= options.maxAttempts; n++) {
      attempts = n;
      let wait;
      try {
        if (typeof fetchImpl !== 'function') throw new Error('fetch is not available');
        const res = await attempt(text);
        status = res.status;
        if (res.ok) {
          // Partial success: the receiver accepted the request but rejected some points.
          let partial;
          try {
            const reply = await res.text();
            const parsed = reply ? JSON.parse(reply) : {};
            const rejected = Number(parsed?.partialSuccess?.rejectedDataPoints ?? 0);
            if (rejected > 0) partial = `${rejected} data points rejected: ${parsed.partialSuccess.errorMessage ?? ''}`.trim();
          } catch {
            // an empty or non-JSON reply to a 2xx is a success
          }
          return { ok: partial === undefined, status, attempts: n, error: partial, durationMs: Date.now() - t0, bytes: text.length, via: 'fetch' };
        }
        const reply = await res.text().catch(() => '');
        error = `HTTP ${res.status}${reply ? `: ${reply.slice(0, 200)}` : ''}`;
        if (!RETRYABLE.has(res.status)) break;
        wait = retryAfterMs(res.headers.get('Retry-After'));
      } catch (err) {
        status = null;
        error = `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
      }
      if (n === options.maxAttempts || stopped) break;
      const backoff = options.backoffMs * 2 ** (n - 1) * (0.5 + Math.random() / 2);
      await sleep(Math.min(Math.max(wait ?? 0, backoff), options.intervalMs));
    }
    return { ok: false, status, attempts, error, durationMs: Date.now() - t0, bytes: text.length, via: 'fetch' };
  }

  /**
   * Pushes now unless a push is running (then waits for that one). Resolves with its result.
   * @returns {Promise<PushResult>}
   */
  function push() {
    if (inFlight) return inFlight;
    inFlight = pushOnce().then((result) => {
      inFlight = null;
      report(result);
      return result;
    });
    return inFlight;
  }

  /** The page is going away: a beacon (no custom headers allowed), else a keepalive fetch. */
  function flushOnHide() {
    let text;
    try {
      text = body();
    } catch (err) {
      report({ ok: false, status: null, attempts: 0, error: `building the request failed: ${err?.message ?? err}`, durationMs: 0, bytes: 0, via: 'beacon' });
      return;
    }
    const canBeacon = options.beacon && Object.keys(options.headers).length === 0 && typeof globalThis.navigator?.sendBeacon === 'function';
    let queued = false;
    if (canBeacon) {
      try {
        queued = globalThis.navigator.sendBeacon(options.url, new Blob([text], { type: 'application/json' }));
      } catch {
        queued = false;
      }
    }
    if (queued) {
      report({ ok: true, status: null, attempts: 1, durationMs: 0, bytes: text.length, via: 'beacon' });
      return;
    }
    if (typeof fetchImpl !== 'function') return;
    try {
      fetchImpl(options.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...options.headers },
        body: text,
        keepalive: text.length <= KEEPALIVE_LIMIT,
      }).catch(() => {});
    } catch {
      // the page is unloading: nothing more can be done
    }
  }

  return {
    push,
    flushOnHide,
    /** Starts the interval and the pagehide listener. */
    start() {
      if (timer !== null) return;
      stopped = false;
      timer = setInterval(() => {
        void push();
      }, options.intervalMs);
      /** @type {any} */ (timer).unref?.();
      globalThis.addEventListener?.('pagehide', pagehide);
    },
    /** Stops the interval and the listener; a running push finishes without more retries. */
    stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
      globalThis.removeEventListener?.('pagehide', pagehide);
    },
  };
}

/** Not unref'd in Node: a push being retried keeps a CLI process alive until it ends. */
function defaultSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

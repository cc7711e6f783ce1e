// The memory sampler: JS heap, user-agent memory, wasm heap, GPU buffers and storage, sampled
// periodically and on demand.

import { describeValue, safeFault } from '../log.js';
import { guardedClock, size, unref } from './shared.js';

/** measureUserAgentSpecificMemory() and navigator.storage.estimate(): at most once per this. */
const SLOW_MEASURE_INTERVAL_MS = 30_000;

/**
 * `performance` with Chromium's non-standard parts, which lib.dom does not declare.
 * @typedef {Performance & {
 *   memory?: { usedJSHeapSize: number, totalJSHeapSize: number, jsHeapSizeLimit: number },
 *   measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>,
 * }} ChromiumPerformance
 */

/**
 * @typedef {object} MemorySample
 * @property {string} label
 * @property {number} timestamp epoch milliseconds
 * @property {number} [usedJSHeapSize] performance.memory (Chromium windows only)
 * @property {number} [totalJSHeapSize]
 * @property {number} [jsHeapSizeLimit]
 * @property {number} [userAgentBytes] the latest completed performance.measureUserAgentSpecificMemory()
 * @property {number} [wasmHeapBytes]
 * @property {number} [gpuBufferBytes]
 * @property {number} [storageUsage] navigator.storage.estimate(), cached up to 30 s
 * @property {number} [storageQuota]
 */

/**
 * Creates a memory sampler: periodic samples (label "periodic") plus labelled snapshots on demand.
 *
 * performance.measureUserAgentSpecificMemory() is used only on cross-origin-isolated pages; it can
 * take seconds (Chromium waits for the next garbage collection, up to ~20 s), so a sample never
 * waits for it: a sample carries the latest completed measurement, a new one is started at most
 * once per 30 s and never two at a time. navigator.storage.estimate() is called at most once per
 * 30 s and cached in between.
 *
 * @param {object} options
 * @param {number} [options.intervalMs] period of the automatic samples (default 5000)
 * @param {(sample: MemorySample) => void} options.record receives each sample
 * @param {() => number} [options.wasmHeapBytes] bytes of wasm memory (e.g. `module.HEAPU8.length`)
 * @param {() => number | undefined} [options.gpuBufferBytes] bytes of live GPU buffers
 * @param {() => number} [options.now] epoch milliseconds (default Date.now)
 * @param {(where: string, err: unknown) => void} [options.fault] receives swallowed failures
 * @returns {{ start(): void, stop(): void, snapshot(label?: string): Promise<void>,
 *   readonly running: boolean, whenIdle(): Promise<void> }}
 *   `whenIdle()` resolves when no user-agent memory measurement or storage estimate is in flight
 *   (for tests, and for a last sample before an export)
 */
export function createMemorySampler(options) {
  const { intervalMs = 5000, record, wasmHeapBytes, gpuBufferBytes, now = Date.now } = options ?? {};
  const fault = safeFault(options?.fault);
  const clock = guardedClock(now, fault, 'memory.now');
  if (typeof record !== 'function') throw new TypeError(`record: expected a function, got ${describeValue(record)}`);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new TypeError(`intervalMs: expected a positive number of milliseconds, got ${describeValue(intervalMs)}`);

  /** @type {ReturnType<typeof setInterval> | null} */
  let timer = null;

  // performance.measureUserAgentSpecificMemory(): the latest result, when the last call started,
  // and the call in flight.
  /** @type {number | undefined} */
  let uaBytes;
  let uaStartedAt = -Infinity;
  /** @type {Promise<void> | null} */
  let uaInFlight = null;

  // navigator.storage.estimate(): the cached result and when it was asked for.
  /** @type {{ usage?: number, quota?: number } | null} */
  let storage = null;
  let storageAt = -Infinity;
  /** @type {Promise<void> | null} */
  let storageInFlight = null;

  /** Starts a user-agent memory measurement when allowed; never waits for it. */
  function maybeMeasureUserAgent(t) {
    const perf = /** @type {ChromiumPerformance | undefined} */ (globalThis.performance);
    if (globalThis.crossOriginIsolated !== true || !perf || typeof perf.measureUserAgentSpecificMemory !== 'function') return;
    if (uaInFlight !== null || t - uaStartedAt < SLOW_MEASURE_INTERVAL_MS) return;
    uaStartedAt = t;
    let p;
    try {
      p = Promise.resolve(perf.measureUserAgentSpecificMemory());
    } catch (err) {
      fault('memory.measureUserAgentSpecificMemory', err);
      return;
    }
    uaInFlight = p
      .then(
        (result) => {
          const b = size(result && result.bytes);
          if (b !== undefined) uaBytes = b;
        },
        (err) => fault('memory.measureUserAgentSpecificMemory', err),
      )
      .finally(() => {
        uaInFlight = null;
      });
  }

  /** Refreshes the storage estimate when it is older than 30 s; resolves once it is as fresh as allowed. */
  function storageEstimate(t) {
    const s = globalThis.navigator?.storage;
    if (!s || typeof s.estimate !== 'function') return null;
    if (storageInFlight !== null) return storageInFlight;
    if (t - storageAt < SLOW_MEASURE_INTERVAL_MS) return null;
    storageAt = t;
    try {
      storageInFlight = Promise.resolve(s.estimate())
        .then(
          (e) => {
            storage = { usage: size(e && e.usage), quota: size(e && e.quota) };
          },
          (err) => fault('memory.storage.estimate', err),
        )
        .finally(() => {
          storageInFlight = null;
        });
    } catch (err) {
      fault('memory.storage.estimate', err);
      return null;
    }
    return storageInFlight;
  }

  function call(fn, where) {
    if (typeof fn !== 'function') return undefined;
    try {
      return size(fn());
    } catch (err) {
      fault(where, err);
      return undefined;
    }
  }

  async function snapshot(label = 'periodic') {
    try {
      const t = clock();
      maybeMeasureUserAgent(t);
      const pending = storageEstimate(t);
      if (pending !== null) await pending;
      /** @type {MemorySample} */
      const sample = {
        label: typeof label === 'string' && label !== '' ? label : 'periodic',
        timestamp: t,
        usedJSHeapSize: undefined,
        totalJSHeapSize: undefined,
        jsHeapSizeLimit: undefined,
        userAgentBytes: uaBytes,
        wasmHeapBytes: call(wasmHeapBytes, 'memory.wasmHeapBytes'),
        gpuBufferBytes: call(gpuBufferBytes, 'memory.gpuBufferBytes'),
        storageUsage: storage?.usage,
        storageQuota: storage?.quota,
      };
      try {
        const m = /** @type {ChromiumPerformance | undefined} */ (globalThis.performance)?.memory;
        if (m) {
          sample.usedJSHeapSize = size(m.usedJSHeapSize);
          sample.totalJSHeapSize = size(m.totalJSHeapSize);
          sample.jsHeapSizeLimit = size(m.jsHeapSizeLimit);
        }
      } catch (err) {
        fault('memory.performance.memory', err);
      }
      try {
        record(sample);
      } catch (err) {
        fault('memory.record', err);
      }
    } catch (err) {
      fault('memory.snapshot', err);
    }
  }

  return {
    start() {
      if (timer !== null) return;
      timer = unref(setInterval(() => void snapshot('periodic'), intervalMs));
    },
    stop() {
      if (timer === null) return;
      clearInterval(timer);
      timer = null;
    },
    snapshot,
    get running() {
      return timer !== null;
    },
    async whenIdle() {
      while (uaInFlight !== null || storageInFlight !== null) await (uaInFlight ?? storageInFlight);
    },
  };
}

// The WebGPU sampler: adapter information once, device losses, and (with trackBuffers) the
// live GPU buffer bytes.

import { safeFault } from '../log.js';
import { installGpuBufferTracking } from './gpu-buffers.js';
import { guardedClock } from './shared.js';

/**
 * @typedef {object} WebGpuInfoSample
 * @property {number} timestamp
 * @property {boolean} available
 * @property {string} [vendor]
 * @property {string} [architecture]
 * @property {string} [device]
 * @property {string} [description]
 * @property {boolean} [isFallbackAdapter]
 * @property {Record<string, number>} [limits]
 * @property {string[]} [features]
 */

/**
 * Copies a GPUSupportedLimits (WebIDL attributes: enumerable getters on the prototype) into a
 * plain object of numbers.
 */
function plainLimits(limits) {
  /** @type {Record<string, number>} */
  const out = {};
  if (!limits || typeof limits !== 'object') return out;
  for (const key in limits) {
    const v = limits[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

function str(v) {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Creates a WebGPU sampler. `start()` asks for an adapter once (default power preference) and
 * records its information, or `{ timestamp, available: false }` when WebGPU or an adapter is
 * missing. It never creates a device (unlike WebLLM's getGPUVendor() and
 * getMaxStorageBufferBindingSize(), which this sampler does not call).
 *
 * With `trackBuffers`, GPU buffer tracking is installed (synchronously, at the start of
 * `start()`) in this realm, and every device seen creating a buffer is watched for loss.
 *
 * @param {object} options
 * @param {(info: WebGpuInfoSample) => void} options.recordInfo
 * @param {(e: { timestamp: number, reason: string, message: string, model?: string }) => void} options.recordDeviceLost
 *   receives every device loss until stop(), whatever the reason ("destroyed" when the app or
 *   the engine destroyed the device; "unknown" for a real loss), except the expected ones (see
 *   expectDestroy)
 * @param {boolean} [options.trackBuffers] install GPU buffer tracking (default false)
 * @param {() => number} [options.now]
 * @param {any} [options.gpu] default `navigator.gpu`
 * @param {any} [options.scope] realm for buffer tracking (default globalThis)
 * @param {(where: string, err: unknown) => void} [options.fault]
 * @returns {{ start(): Promise<void>, stop(): void, gpuBufferBytes(): number | undefined,
 *   expectDestroy(): void, watchDevice(device: any, model?: string): Promise<void> }}
 *   `watchDevice` resolves once the loss is recorded (never, for a device that stays alive);
 *   watching a device again only updates its model. `expectDestroy()`: the devices watched now
 *   are being released (an engine unloads): a later loss of one of them with reason
 *   "destroyed" is expected and not recorded (devices created afterwards, e.g. by the load that
 *   follows, are not concerned: WebLLM destroys a device on an out-of-memory error too)
 */
export function createWebGpuSampler(options) {
  const { recordInfo, recordDeviceLost, trackBuffers = false, now = Date.now } = options ?? {};
  const gpu = options && 'gpu' in options ? options.gpu : globalThis.navigator?.gpu;
  const scope = options?.scope ?? globalThis;
  const fault = safeFault(options?.fault);
  const clock = guardedClock(now, fault, 'webgpu.now');

  /** @type {Promise<void> | null} */
  let started = null;
  let stopped = false;
  /** @type {import('./gpu-buffers.js').GpuBufferTracking | null} */
  let tracking = null;
  /** @type {WeakMap<object, { model: string | undefined, done: Promise<void>, expected: boolean }>} */
  const watched = new WeakMap();
  /** The entries of the watched devices not lost yet (they do not hold the devices). */
  /** @type {Set<{ model: string | undefined, done: Promise<void>, expected: boolean }>} */
  const alive = new Set();

  function emitInfo(info) {
    if (stopped || typeof recordInfo !== 'function') return;
    try {
      recordInfo(info);
    } catch (err) {
      fault('webgpu.recordInfo', err);
    }
  }

  async function probe() {
    if (!gpu || typeof gpu.requestAdapter !== 'function') {
      emitInfo({ timestamp: clock(), available: false });
      return;
    }
    let adapter = null;
    try {
      adapter = await gpu.requestAdapter();
    } catch (err) {
      fault('webgpu.requestAdapter', err);
    }
    if (!adapter) {
      emitInfo({ timestamp: clock(), available: false });
      return;
    }
    let info = null;
    try {
      info = adapter.info ?? null;
      if (info === null && typeof adapter.requestAdapterInfo === 'function') info = await adapter.requestAdapterInfo();
    } catch (err) {
      fault('webgpu.adapterInfo', err);
    }
    /** @type {WebGpuInfoSample} */
    const out = {
      timestamp: clock(),
      available: true,
      vendor: str(info?.vendor),
      architecture: str(info?.architecture),
      device: str(info?.device),
      description: str(info?.description),
      isFallbackAdapter: undefined,
      limits: {},
      features: [],
    };
    try {
      const fb = info?.isFallbackAdapter ?? adapter.isFallbackAdapter;
      if (typeof fb === 'boolean') out.isFallbackAdapter = fb;
    } catch (err) {
      fault('webgpu.isFallbackAdapter', err);
    }
    try {
      out.limits = plainLimits(adapter.limits);
    } catch (err) {
      fault('webgpu.limits', err);
    }
    try {
      if (adapter.features) out.features = Array.from(adapter.features, String).sort();
    } catch (err) {
      fault('webgpu.features', err);
    }
    emitInfo(out);
  }

  /**
   * @param {any} device
   * @param {string} [model]
   * @returns {Promise<void>}
   */
  function watchDevice(device, model) {
    try {
      if (device === null || typeof device !== 'object') return Promise.resolve();
      const known = watched.get(device);
      if (known !== undefined) {
        // Watched already (e.g. seen by buffer tracking): a model given now is kept for the record.
        if (typeof model === 'string' && model !== '') known.model = model;
        return known.done;
      }
      const lost = device.lost;
      if (!lost || typeof lost.then !== 'function') return Promise.resolve();
      /** @type {{ model: string | undefined, done: Promise<void>, expected: boolean }} */
      const entry = { model: typeof model === 'string' && model !== '' ? model : undefined, done: Promise.resolve(), expected: false };
      watched.set(device, entry);
      alive.add(entry);
      entry.done = Promise.resolve(lost).then(
        (info) => {
          alive.delete(entry);
          // Destroyed by its owner while it was unloading (MLCEngine.unload() destroys its
          // device): expected, not a loss.
          if (entry.expected && info?.reason === 'destroyed') return;
          if (stopped || typeof recordDeviceLost !== 'function') return;
          /** @type {{ timestamp: number, reason: string, message: string, model?: string }} */
          const e = {
            timestamp: clock(),
            reason: typeof info?.reason === 'string' && info.reason !== '' ? info.reason : 'unknown',
            message: typeof info?.message === 'string' ? info.message : '',
          };
          if (entry.model !== undefined) e.model = entry.model;
          try {
            recordDeviceLost(e);
          } catch (err) {
            fault('webgpu.recordDeviceLost', err);
          }
        },
        (err) => fault('webgpu.device.lost', err),
      );
      return entry.done;
    } catch (err) {
      fault('webgpu.watchDevice', err);
      return Promise.resolve();
    }
  }

  return {
    start() {
      if (started !== null) return started;
      stopped = false;
      if (trackBuffers && tracking === null) {
        try {
          tracking = installGpuBufferTracking(scope, { onDevice: (d) => void watchDevice(d) });
        } catch (err) {
          fault('webgpu.installGpuBufferTracking', err);
        }
      }
      started = probe().catch((err) => fault('webgpu.start', err));
      return started;
    },
    stop() {
      stopped = true;
      started = null;
      if (tracking !== null) {
        try {
          tracking.uninstall();
        } catch (err) {
          fault('webgpu.uninstall', err);
        }
        tracking = null;
      }
    },
    gpuBufferBytes() {
      return tracking === null ? undefined : tracking.bytes();
    },
    expectDestroy() {
      for (const entry of alive) entry.expected = true;
    },
    watchDevice,
  };
}

// Samplers: memory (JS heap, user-agent memory, wasm heap, GPU buffers, storage) and WebGPU
// (adapter information, device loss, live GPU buffer bytes). They measure and forward; the core
// computes. Every sampler swallows its own faults and reports them through `fault(where, err)`:
// a monitoring failure never throws into the app it monitors.
//
// Works in windows, dedicated workers (performance.memory and measureUserAgentSpecificMemory are
// absent there: those fields stay undefined) and Node (only what the callbacks give).
//
// Plain ES module, no transpile step.

import { safeFault } from './log.js';

/** measureUserAgentSpecificMemory() and navigator.storage.estimate(): at most once per this. */
const SLOW_MEASURE_INTERVAL_MS = 30_000;

const TRACKING_KEY = Symbol.for('webllm-monitor.gpuBufferTracking');

/** A finite non-negative number, else undefined. */
function size(v) {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Lets a Node timer not keep the process alive (no-op in browsers). */
function unref(timer) {
  if (timer !== null && typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
  return timer;
}

// ---------------------------------------------------------------------------------------------
// Memory sampler

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
  if (typeof record !== 'function') throw new TypeError(`record: expected a function, got ${typeof record}`);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new TypeError(`intervalMs: expected a positive number of milliseconds, got ${String(intervalMs)}`);

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

  function clock() {
    try {
      const t = now();
      if (typeof t === 'number' && Number.isFinite(t)) return t;
    } catch (err) {
      fault('memory.now', err);
      return Date.now();
    }
    fault('memory.now', new TypeError('now() did not return a finite number'));
    return Date.now();
  }

  /** Starts a user-agent memory measurement when allowed; never waits for it. */
  function maybeMeasureUserAgent(t) {
    const perf = globalThis.performance;
    if (globalThis.crossOriginIsolated !== true || !perf || typeof perf.measureUserAgentSpecificMemory !== 'function')
      return;
    if (uaInFlight !== null || t - uaStartedAt < SLOW_MEASURE_INTERVAL_MS) return;
    uaStartedAt = t;
    let p;
    try {
      p = Promise.resolve(perf.measureUserAgentSpecificMemory());
    } catch (err) {
      fault('memory.measureUserAgentSpecificMemory', err);
      return;
    }
    uaInFlight = p.then(
      (result) => {
        const b = size(result && result.bytes);
        if (b !== undefined) uaBytes = b;
      },
      (err) => fault('memory.measureUserAgentSpecificMemory', err),
    ).finally(() => {
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
        const m = globalThis.performance?.memory;
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

// ---------------------------------------------------------------------------------------------
// GPU buffer tracking

/**
 * @typedef {object} GpuBufferTracking
 * @property {() => number} bytes sum of `size` of the live tracked buffers
 * @property {() => number} buffers number of live tracked buffers
 * @property {() => void} uninstall drops this handle; the last one restores the original methods
 */

/**
 * Tracks the GPU buffers of a realm: wraps `GPUDevice.prototype.createBuffer`,
 * `GPUBuffer.prototype.destroy` and `GPUDevice.prototype.destroy` of `scope` and sums the `size`
 * of live buffers. Install it in the realm where the engine runs (inside the worker for a worker
 * engine) before the engine creates its device.
 *
 * - A buffer destroyed twice counts once; destroying a buffer created before the install changes
 *   nothing. Destroying (or losing) a device releases all its buffers at once.
 * - Idempotent per realm: a second install shares the counter (the state lives on
 *   `GPUDevice.prototype` under `Symbol.for('webllm-monitor.gpuBufferTracking')`, so even two
 *   copies of this package share it). `uninstall()` of the last handle restores the originals,
 *   unless someone wrapped the methods after us: then ours stay as pass-throughs.
 * - Known limit: a buffer dropped without `destroy()` is counted until the garbage collector
 *   reclaims it (a FinalizationRegistry then subtracts it), which may be much later or never.
 * - Buffers that failed validation (an "error buffer" from an out-of-memory createBuffer) are
 *   counted with their requested size.
 *
 * @param {any} [scope] the realm's global (default globalThis)
 * @param {{ onDevice?: (device: any) => void }} [options] `onDevice` is called once for each
 *   device seen creating a buffer (devices seen before this install included)
 * @returns {GpuBufferTracking | null} null when the realm has no WebGPU
 */
export function installGpuBufferTracking(scope = globalThis, options) {
  const Device = scope?.GPUDevice;
  const Buffer = scope?.GPUBuffer;
  if (typeof Device !== 'function' || typeof Buffer !== 'function') return null;
  const deviceProto = Device.prototype;
  const bufferProto = Buffer.prototype;
  if (typeof deviceProto.createBuffer !== 'function' || typeof bufferProto.destroy !== 'function') return null;

  /** @type {any} */
  let state = deviceProto[TRACKING_KEY];
  if (!state || state.bufferProto !== bufferProto) {
    state = createTrackingState(deviceProto, bufferProto);
    Object.defineProperty(deviceProto, TRACKING_KEY, { value: state, configurable: true, writable: true });
  }
  state.handles++;
  state.active = true;

  const onDevice = options?.onDevice;
  if (typeof onDevice === 'function') {
    state.listeners.add(onDevice);
    for (const ref of state.devices) {
      const d = ref.deref();
      if (d !== undefined) state.notify(onDevice, d);
    }
  }

  let installed = true;
  return {
    bytes: () => state.bytes,
    buffers: () => state.count,
    uninstall() {
      if (!installed) return;
      installed = false;
      if (typeof onDevice === 'function') state.listeners.delete(onDevice);
      state.handles--;
      if (state.handles > 0) return;
      state.active = false;
      state.restore();
    },
  };
}

function createTrackingState(deviceProto, bufferProto) {
  const origCreate = deviceProto.createBuffer;
  const origBufferDestroy = bufferProto.destroy;
  const origDeviceDestroy = typeof deviceProto.destroy === 'function' ? deviceProto.destroy : null;

  /** @typedef {{ bytes: number, count: number, dead: boolean }} DeviceEntry */
  /** @typedef {{ size: number, device: DeviceEntry, live: boolean }} BufferEntry */

  const state = {
    bytes: 0,
    count: 0,
    handles: 0,
    active: true,
    bufferProto,
    /** @type {Set<(device: any) => void>} */
    listeners: new Set(),
    /** WeakRefs to the devices seen (few: one or two per engine). */
    /** @type {WeakRef<any>[]} */
    devices: [],
    /** @type {WeakMap<object, DeviceEntry>} */
    deviceEntries: new WeakMap(),
    /** @type {WeakMap<object, BufferEntry>} */
    bufferEntries: new WeakMap(),
    notify(listener, device) {
      try {
        listener(device);
      } catch {
        // a listener's fault is its own
      }
    },
    restore() {
      // Restore only what is still ours: a wrapper installed on top of ours stays in place and
      // ours then passes through (state.active is false).
      if (deviceProto.createBuffer === createBuffer) deviceProto.createBuffer = origCreate;
      if (bufferProto.destroy === destroyBuffer) bufferProto.destroy = origBufferDestroy;
      if (origDeviceDestroy !== null && deviceProto.destroy === destroyDevice) deviceProto.destroy = origDeviceDestroy;
      if (deviceProto.createBuffer === origCreate && bufferProto.destroy === origBufferDestroy) {
        if (deviceProto[TRACKING_KEY] === state) delete deviceProto[TRACKING_KEY];
      }
    },
  };

  const finalizer =
    typeof FinalizationRegistry !== 'undefined'
      ? new FinalizationRegistry((/** @type {BufferEntry} */ entry) => release(entry))
      : null;

  /** @param {BufferEntry} entry */
  function release(entry) {
    if (!entry.live) return;
    entry.live = false;
    if (entry.device.dead) return;
    entry.device.bytes -= entry.size;
    entry.device.count--;
    state.bytes -= entry.size;
    state.count--;
  }

  /** @param {DeviceEntry} dev */
  function releaseDevice(dev) {
    if (dev.dead) return;
    dev.dead = true;
    state.bytes -= dev.bytes;
    state.count -= dev.count;
    dev.bytes = 0;
    dev.count = 0;
  }

  /** @returns {DeviceEntry} */
  function deviceEntry(device) {
    let dev = state.deviceEntries.get(device);
    if (dev !== undefined) return dev;
    dev = { bytes: 0, count: 0, dead: false };
    state.deviceEntries.set(device, dev);
    const entry = dev;
    // A lost device (destroyed, or lost to a GPU reset or out-of-memory) frees all its buffers.
    try {
      const lost = device.lost;
      if (lost && typeof lost.then === 'function') lost.then(() => releaseDevice(entry), () => {});
    } catch {
      // no lost promise
    }
    if (typeof WeakRef === 'function') {
      state.devices = state.devices.filter((r) => r.deref() !== undefined);
      state.devices.push(new WeakRef(device));
    }
    for (const listener of state.listeners) state.notify(listener, device);
    return dev;
  }

  /** @this {any} */
  function createBuffer(descriptor) {
    const buffer = origCreate.apply(this, arguments);
    if (!state.active) return buffer;
    try {
      if (buffer !== null && typeof buffer === 'object' && !state.bufferEntries.has(buffer)) {
        let n = size(Number(buffer.size));
        if (n === undefined) n = size(Number(descriptor && descriptor.size)) ?? 0;
        const dev = deviceEntry(this);
        /** @type {BufferEntry} */
        const entry = { size: n, device: dev, live: !dev.dead };
        state.bufferEntries.set(buffer, entry);
        if (entry.live) {
          dev.bytes += n;
          dev.count++;
          state.bytes += n;
          state.count++;
          if (finalizer !== null) finalizer.register(buffer, entry, entry);
        }
      }
    } catch {
      // bookkeeping must never break createBuffer
    }
    return buffer;
  }

  /** @this {any} */
  function destroyBuffer() {
    if (state.active) {
      try {
        const entry = state.bufferEntries.get(this);
        if (entry !== undefined && entry.live) {
          release(entry);
          if (finalizer !== null) finalizer.unregister(entry);
        }
      } catch {
        // bookkeeping must never break destroy
      }
    }
    return origBufferDestroy.apply(this, arguments);
  }

  /** @this {any} */
  function destroyDevice() {
    if (state.active) {
      try {
        const dev = state.deviceEntries.get(this);
        if (dev !== undefined) releaseDevice(dev);
      } catch {
        // bookkeeping must never break destroy
      }
    }
    return /** @type {Function} */ (origDeviceDestroy).apply(this, arguments);
  }

  deviceProto.createBuffer = createBuffer;
  bufferProto.destroy = destroyBuffer;
  if (origDeviceDestroy !== null) deviceProto.destroy = destroyDevice;
  return state;
}

// ---------------------------------------------------------------------------------------------
// WebGPU sampler

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

  /** @type {Promise<void> | null} */
  let started = null;
  let stopped = false;
  /** @type {GpuBufferTracking | null} */
  let tracking = null;
  /** @type {WeakMap<object, { model: string | undefined, done: Promise<void>, expected: boolean }>} */
  const watched = new WeakMap();
  /** The entries of the watched devices not lost yet (they do not hold the devices). */
  /** @type {Set<{ model: string | undefined, done: Promise<void>, expected: boolean }>} */
  const alive = new Set();

  function clock() {
    try {
      const t = now();
      if (typeof t === 'number' && Number.isFinite(t)) return t;
    } catch (err) {
      fault('webgpu.now', err);
    }
    return Date.now();
  }

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

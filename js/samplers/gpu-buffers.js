// GPU buffer tracking: the bytes of the live GPU buffers of a realm, counted by wrapping
// createBuffer and destroy.

import { size } from './shared.js';

const TRACKING_KEY = Symbol.for('webllm-monitor.gpuBufferTracking');

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

  const finalizer = typeof FinalizationRegistry !== 'undefined' ? new FinalizationRegistry((/** @type {BufferEntry} */ entry) => release(entry)) : null;

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
      if (lost && typeof lost.then === 'function')
        lost.then(
          () => releaseDevice(entry),
          () => {},
        );
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

// The quantile sketches compared by `npm run bench`, behind one interface, in Node and in the
// browser (bench/page.js bundles this file with Vite):
//
//   const s = await contender.create();
//   s.addAll(values);        // a Float64Array, in each library's own ingestion API
//   s.quantile(0.99);        // one query
//   s.bytes();               // memory held, as the library reports it (or as it is laid out)
//   s.dispose();
//
// This project goes through its public JS API: MonitorCore#recordDurations (a typed-array
// batch) and MonitorCore#quantile. Values are milliseconds with fractions; HDR histograms take
// integers, so they record microseconds (value * 1000, rounded) with 3 significant digits.
import { DDSketch } from '@datadog/sketches-js';
import * as hdr from 'hdr-histogram-js';
import tdigest from 'tdigest';
import { MonitorCore } from '../js/core.js';

/** Values per recordDurations call: a realistic batch, below the batch buffer's 8192 doubles. */
const CHUNK = 4096;
const HDR_SCALE = 1000;
const HDR_MAX = 3_600_000 * HDR_SCALE; // one hour in microseconds

/**
 * @typedef {{ addAll(values: Float64Array): void, quantile(q: number): number, bytes(): number, dispose(): void }} Sketch
 * @typedef {{ name: string, id: string, peer: boolean, create(): Promise<Sketch> }} Contender
 */

/** @type {Contender} */
const webllmMonitor = {
  name: 'webllm-monitor (this core, public JS API)',
  id: 'webllm-monitor',
  peer: false,
  async create() {
    const core = await MonitorCore.create();
    const before = core.memoryBytes();
    return {
      addAll(values) {
        for (let i = 0; i < values.length; i += CHUNK) core.recordDurations('bench', values.subarray(i, i + CHUNK));
        core.flush();
      },
      quantile: (q) => core.quantile('operations.bench.durationMs', q) ?? NaN,
      // What the series added to the monitor (memoryBytes counts the batch buffer too).
      bytes: () => core.memoryBytes() - before,
      dispose: () => core.dispose(),
    };
  },
};

/** @type {Contender} */
const ddsketch = {
  name: '@datadog/sketches-js DDSketch (relative accuracy 1%)',
  id: 'ddsketch',
  peer: true,
  async create() {
    let s = new DDSketch({ relativeAccuracy: 0.01 });
    return {
      addAll(values) {
        for (let i = 0; i < values.length; i++) s.accept(values[i]);
      },
      quantile: (q) => s.getValueAtQuantile(q),
      // Its dense store: one 8-byte JS number per bin from the lowest to the highest key.
      bytes: () => (s.store.bins.length + s.negativeStore.bins.length) * 8,
      dispose: () => {
        s = null;
      },
    };
  },
};

function hdrContender(useWebAssembly) {
  return {
    name: `hdr-histogram-js ${useWebAssembly ? 'WebAssembly' : 'JS'} build (3 significant digits, µs)`,
    id: useWebAssembly ? 'hdr-wasm' : 'hdr-js',
    peer: true,
    async create() {
      if (useWebAssembly) await hdr.initWebAssembly();
      const h = hdr.build({ bitBucketSize: 64, autoResize: true, highestTrackableValue: HDR_MAX, numberOfSignificantValueDigits: 3, useWebAssembly });
      return {
        addAll(values) {
          for (let i = 0; i < values.length; i++) h.recordValue(Math.round(values[i] * HDR_SCALE));
        },
        quantile: (q) => h.getValueAtPercentile(q * 100) / HDR_SCALE,
        bytes: () => h.estimatedFootprintInBytes,
        dispose: () => h.destroy(),
      };
    },
  };
}

/** @type {Contender} */
const tDigest = {
  name: 'tdigest (npm, default compression)',
  id: 'tdigest',
  peer: true,
  async create() {
    let t = new tdigest.TDigest();
    return {
      addAll(values) {
        for (let i = 0; i < values.length; i++) t.push(values[i]);
        t.compress();
      },
      quantile: (q) => t.percentile(q),
      // One centroid object per entry: mean, n and the red-black tree node (about 64 bytes).
      bytes: () => t.size() * 64,
      dispose: () => {
        t = null;
      },
    };
  },
};

/**
 * The approach of the services this project replaces: keep every value, sort on each query.
 * @type {Contender}
 */
const sortedArray = {
  name: 'plain JS array, sorted on each query (baseline)',
  id: 'array',
  peer: false,
  async create() {
    let all = [];
    return {
      addAll(values) {
        for (let i = 0; i < values.length; i++) all.push(values[i]);
      },
      quantile(q) {
        const sorted = Float64Array.from(all).sort();
        return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
      },
      bytes: () => all.length * 8,
      dispose: () => {
        all = null;
      },
    };
  },
};

/** Every contender; `peer: true` marks the sketch libraries the targets compare against. */
export const CONTENDERS = [webllmMonitor, ddsketch, hdrContender(false), hdrContender(true), tDigest, sortedArray];

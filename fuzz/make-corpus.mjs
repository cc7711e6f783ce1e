#!/usr/bin/env node
// Writes the fuzzers' seed corpora (committed under fuzz/corpus/<fuzzer>/) from the real writer:
// every seed is what js/core.js produces, so the fuzzers start from valid documents and batches.
//
//   node fuzz/make-corpus.mjs            # (re)writes fuzz/corpus/{import,ingest}_fuzzer/seed-*
//
// import_fuzzer: export documents (empty, small sessions, errors and aborts, memory and WebGPU,
//   cache lookups and custom operations, a configured monitor, a version-1 document that import
//   refuses). ingest_fuzzer: batches captured at Core#ingest, in fuzz/ingest_fuzzer.cpp's input
//   format: [string count][record count] then each string as [length][bytes], then the doubles.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MonitorCore, loadCore } from '../js/core.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const T0 = 1.7e12;

const module = await loadCore();
/** @type {{records: number, doubles: Float64Array, strings: string[]}[]} */
const batches = [];
const ingest = module.Core.prototype.ingest;
module.Core.prototype.ingest = function capture(records, size, strings) {
  const base = this.batchPointer() / 8;
  batches.push({ records, doubles: module.HEAPF64.slice(base, base + size), strings: [...strings] });
  return ingest.call(this, records, size, strings);
};

function generation(i, extra = {}) {
  return {
    model: i % 2 ? 'Llama-3.2-1B-Instruct-q4f16_1-MLC' : 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
    type: i % 3 ? 'chat' : 'summary',
    startedAt: T0 + i * 1000,
    durationMs: 400 + 37 * i,
    ttftMs: 80 + 3 * i,
    chunkGapsMs: [12, 14.5, 11, 30 + i],
    promptTokens: 20 + i,
    completionTokens: 5 + i,
    engineTtftMs: 70 + i,
    enginePrefillTokensPerSec: 300.5,
    engineDecodeTokensPerSec: 42.25,
    engineTimePerOutputTokenMs: 23.7,
    finishReason: 'stop',
    promptChars: 120,
    responseChars: 30,
    temperature: 0.7,
    maxTokens: 256,
    ...extra,
  };
}

/** Each event kind once or more, flushed in small batches (the fuzzer reads at most 31 records). */
function session(core, n) {
  for (let i = 0; i < n; i++) {
    core.recordGeneration(generation(i));
    if (i % 4 === 3) core.flush();
  }
  core.recordGeneration(generation(n, { finishReason: 'abort', completionTokens: 2 }));
  core.recordGeneration(
    generation(n + 1, {
      finishReason: undefined,
      errorName: 'ContextWindowSizeExceededError',
      errorMessage: 'prompt tokens exceed context window size',
      completionTokens: 0,
      ttftMs: undefined,
      chunkGapsMs: [],
    }),
  );
  core.flush();
  core.recordModelLoad({ model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC', startedAt: T0 - 9000, durationMs: 8000, fromCache: false, bytesFetched: 879e6 });
  core.recordModelLoad({ model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC', startedAt: T0 - 2000, durationMs: 1500, fromCache: true });
  core.recordModelLoad({
    model: 'Phi-3.5-mini-instruct-q4f16_1-MLC',
    startedAt: T0 - 500,
    durationMs: 20,
    errorName: 'DeviceLostError',
    errorMessage: 'the GPU device was lost',
  });
  core.flush();
  core.recordCacheLookup({ cache: 'webllm/model', hit: true, timestamp: T0 + 10 });
  core.recordCacheLookup({ cache: 'webllm/wasm', hit: false, timestamp: T0 + 20 });
  core.recordOperation({ name: 'retrieval', startedAt: T0 + 30, durationMs: 45, success: true });
  core.recordOperation({ name: 'retrieval', startedAt: T0 + 90, durationMs: 5, success: false, errorName: 'TypeError', errorMessage: 'bad index' });
  core.flush();
  for (let s = 0; s < 6; s++) {
    core.recordMemorySample({
      label: s % 2 ? 'page' : 'worker',
      timestamp: T0 + s * 5000,
      usedJSHeapSize: 30e6 + s * 1e5,
      totalJSHeapSize: 40e6,
      jsHeapSizeLimit: 4e9,
      wasmHeapBytes: 16e6,
      gpuBufferBytes: 9e8 + s,
    });
  }
  core.flush();
  core.recordDeviceLost({ timestamp: T0 + 40_000, reason: 'unknown', message: 'device lost', model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC' });
  core.recordDurations('embedding', [3.5, 4, 4.25, 90], { success: true, startedAt: T0 + 50 });
  core.recordDurations('embedding', new Float64Array([7, 8]), { success: false, startedAt: T0 + 60 });
  core.flush();
}

const documents = {};
{
  const core = await MonitorCore.create();
  core.reset(T0);
  documents.empty = core.exportJson(T0 + 1000);
  core.dispose();
}
for (const n of [3, 40]) {
  const core = await MonitorCore.create();
  core.reset(T0 - 10_000);
  session(core, n);
  core.recordWebGpu({
    timestamp: T0,
    available: true,
    vendor: 'google',
    architecture: 'swiftshader',
    device: 'subzero',
    description: 'SwiftShader',
    isFallbackAdapter: true,
  });
  documents[`session-${n}`] = core.exportJson(T0 + 60_000);
  core.dispose();
}
{
  const core = await MonitorCore.create({
    historySize: 5,
    currency: 'EUR',
    prices: { '*': { input: 0.01, output: 0.03 } },
    thresholds: { ttftP95Ms: { warning: 100, critical: 400 }, errorRate: { warning: 0.05, critical: null } },
  });
  core.reset(T0);
  session(core, 8);
  documents.configured = core.exportJson(T0 + 3_600_000);
  core.dispose();
}
{
  // Refused by import (schema 1): the fuzzer starts from a refusal path too.
  const doc = JSON.parse(documents['session-3']);
  doc.schemaVersion = 1;
  documents['schema-1'] = JSON.stringify(doc);
}
// Rejected records: the writer's own refusals (wrong types) and the core's (NaN, bad enums).
{
  const core = await MonitorCore.create();
  core.reset(T0);
  core.recordGeneration(generation(1, { durationMs: Number.NaN }));
  core.recordGeneration(generation(2, { finishReason: 'sideways' }));
  core.recordGeneration(generation(3, { promptTokens: -4 }));
  core.recordModelLoad({ model: '', startedAt: T0, durationMs: 1 });
  core.flush();
  core.dispose();
}

async function writeCorpus(name, seeds) {
  const dir = path.join(here, 'corpus', name);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(dir)) if (f.startsWith('seed-')) await rm(path.join(dir, f));
  for (const [file, bytes] of seeds) await writeFile(path.join(dir, `seed-${file}`), bytes);
  console.log(`${dir}: ${seeds.length} seeds`);
}

/** One captured batch in ingest_fuzzer's format, or null when it does not fit its limits. */
function encodeBatch({ records, doubles, strings }) {
  if (records > 31 || strings.length > 15 || strings.some((s) => Buffer.byteLength(s) > 63)) return null;
  const parts = [Buffer.from([strings.length, records])];
  for (const s of strings) {
    const b = Buffer.from(s);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from(doubles.buffer, doubles.byteOffset, doubles.byteLength));
  return Buffer.concat(parts);
}

await writeCorpus(
  'import_fuzzer',
  Object.entries(documents).map(([k, v]) => [`${k}.json`, Buffer.from(v)]),
);
const encoded = [
  ...new Map(
    batches
      .map(encodeBatch)
      .filter(Boolean)
      .map((b) => [b.toString('hex'), b]),
  ).values(),
];
if (encoded.length < batches.length / 2) throw new Error(`only ${encoded.length} of ${batches.length} batches fit the fuzzer's format`);
await writeCorpus(
  'ingest_fuzzer',
  encoded.map((b, i) => [`${String(i).padStart(2, '0')}.bin`, b]),
);

// The monitor's own events (wrapper, samplers, track()) reach the core in batches: once per
// microtask or at the next read, not once per event. Manual record*() keep their synchronous
// outcome. Counted at the bridge: every call of the wasm Core's ingest().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMonitor, loadCore } from '../../js/index.js';
import { recordingLogger } from './helpers.mjs';

/** Counts the calls of Core.prototype.ingest (one per batch handed to the core) while `fn` runs. */
async function countingIngests(fn) {
  const module = await loadCore();
  const proto = module.Core.prototype;
  const original = proto.ingest;
  const calls = [];
  proto.ingest = function ingest(records, size, strings) {
    calls.push(records);
    return original.call(this, records, size, strings);
  };
  try {
    await fn(calls);
  } finally {
    proto.ingest = original;
  }
}

test('track(): 500 synchronous calls are one batch, handed over in a microtask', async () => {
  const m = await createMonitor({ memory: false, webgpu: false, logger: recordingLogger().sink });
  await countingIngests(async (calls) => {
    for (let i = 0; i < 500; i++) m.track('tokenize', () => i);
    assert.equal(calls.length, 0, 'nothing is ingested while the calls run');
    await null;
    assert.deepEqual(calls, [500]);
  });
  assert.equal(m.getMetrics().operations.tokenize.count, 500);
  await m.dispose();
});

test('a read hands the pending batch over first: nothing queued is missed', async () => {
  const m = await createMonitor({ memory: false, webgpu: false, logger: recordingLogger().sink });
  await countingIngests(async (calls) => {
    for (let i = 0; i < 10; i++) m.track('embed', () => i);
    assert.equal(m.getMetrics().operations.embed.count, 10, 'the read sees all 10');
    assert.deepEqual(calls, [10]);
    await null;
    assert.deepEqual(calls, [10], 'the microtask finds nothing left');
  });
  await m.dispose();
});

test('manual record*() stay synchronous: one ingest per call, its own outcome', async () => {
  const { sink, entries } = recordingLogger();
  const m = await createMonitor({ memory: false, webgpu: false, logger: sink });
  await countingIngests(async (calls) => {
    m.track('queued', () => 1); // queued before the manual call: ingested first, apart
    const bad = m.recordOperation({ name: 'stage', durationMs: -5 });
    assert.equal(bad.ok, false);
    assert.equal(bad.field, 'operation.durationMs');
    assert.deepEqual(m.recordOperation({ name: 'stage', durationMs: 5 }), { ok: true });
    assert.deepEqual(calls, [1, 1, 1]);
  });
  const refused = entries.filter(([level, text]) => level === 'warn' && text.includes('event refused'));
  assert.equal(refused.length, 1, 'only the manual refusal is logged');
  await m.dispose();
});

test("a refused event of the monitor's own is logged with its method when its batch is ingested", async () => {
  const { sink, entries } = recordingLogger();
  const m = await createMonitor({ memory: false, webgpu: false, logger: sink });
  m.track('ok', () => 1);
  m.track('x'.repeat(300), () => 1); // a name longer than 256 bytes
  m.track('ok', () => 1);
  const before = entries.length;
  await null;
  const refused = entries.slice(before).filter(([level, text]) => level === 'warn' && text.includes('event refused'));
  assert.equal(refused.length, 1);
  const text = refused[0]
    .slice(1)
    .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
    .join(' ');
  assert.match(text, /recordOperation/);
  assert.match(text, /operation\.name/);
  assert.equal(m.getMetrics().operations.ok.count, 2);
  await m.dispose();
});

test('dispose() ingests what is still queued (the last save sees it)', async () => {
  const m = await createMonitor({ memory: false, webgpu: false, logger: recordingLogger().sink });
  await countingIngests(async (calls) => {
    m.track('late', () => 1);
    await m.dispose();
    assert.deepEqual(calls, [1]);
  });
});

// examples/simulated-session.mjs: runs, prints the report, writes a valid, deterministic export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assertValidExport } from './helpers.mjs';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../examples/simulated-session.mjs', import.meta.url));
const NOW = 1_795_400_000_000; // 2026-11-23T02:13:20Z

test('the simulated session prints the report and writes a valid, deterministic export', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wlm-example-'));
  try {
    const file1 = join(dir, 'a.json');
    const file2 = join(dir, 'b.json');
    const started = performance.now();
    const first = await run(process.execPath, [script, '--json', file1, '--now', String(NOW)]);
    const elapsed = performance.now() - started;
    await run(process.execPath, [script, '--json', file2, '--now', String(NOW)]);
    assert.equal(first.stderr, '', 'no refused events, no warnings');
    const out = first.stdout;
    assert.match(out, /^Simulated WebLLM session: \d+ events over [\d.]+ min ending 2026-11-23T02:13:20\.000Z/);
    assert.match(out, /webllm-monitor report {2}exported 2026-11-23T02:13:20\.000Z {2}health: (healthy|warning|critical)/);
    assert.match(out, /Generations: 300 total, \d+ succeeded, \d+ failed, \d+ aborted/);
    assert.match(out, /Model loads: \d+ \(\d+ from cache, 2 downloaded, 0 failed\)/);
    assert.ok(out.includes(`export written to ${file1}`));

    const text = await readFile(file1, 'utf8');
    assert.equal(await readFile(file2, 'utf8'), text, 'same seed and --now: the same export');
    const doc = JSON.parse(text);
    assertValidExport(doc);
    assert.equal(doc.exportedAtMs, NOW);
    const m = doc.metrics;
    assert.equal(m.generations.total, 300);
    assert.ok(m.generations.aborted > 0 && m.generations.failed > 0);
    assert.deepEqual(Object.keys(m.generations.byModel).sort(), ['Llama-3.2-1B-Instruct-q4f16_1-MLC', 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC']);
    assert.deepEqual(Object.keys(m.generations.byType).sort(), ['chat', 'enhance_summary', 'translate']);
    assert.ok(m.generations.chunkGapMs.count > 10_000, 'per-token gaps of streamed generations');
    assert.equal(m.initialization.downloaded, 2);
    assert.ok(m.initialization.fromCache >= 2);
    assert.ok(m.initialization.bytesFetched > 1e9);
    assert.ok(m.cache.hitRate > 0 && m.cache.hitRate < 1);
    assert.ok(m.errors.byName.DeviceLostError >= 1);
    assert.ok(m.errors.byName.ContextWindowSizeExceededError >= 1);
    assert.equal(m.webgpu.adapter.architecture, 'swiftshader');
    assert.equal(m.webgpu.deviceLost.total, 1);
    assert.ok(m.operations.retrieval.count > 64);
    assert.ok(m.memory.samples > 100);
    assert.ok(m.memory.peak.gpuBufferBytes > 2e9);
    assert.ok(m.windows['5m'].generations.total > 0, 'the session ends at --now');
    assert.equal(m.rejected.total, 0);
    assert.ok(elapsed < 20_000, `took ${Math.round(elapsed)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the simulated session refuses unknown arguments', async () => {
  await assert.rejects(run(process.execPath, [script, '--bogus']), (err) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /unknown argument --bogus/);
    return true;
  });
});

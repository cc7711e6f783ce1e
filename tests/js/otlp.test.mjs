// The OTLP export: the request decoded with OpenTelemetry's own protobuf definitions (the
// generated types of @opentelemetry/otlp-transformer), every metric and attribute checked,
// quantiles recomputed from the exported buckets, and the push against a receiver on 127.0.0.1.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { MonitorCore } from '../../js/core.js';
import { createMonitor } from '../../js/index.js';
import { createOtlpPusher, normalizeOtlpOptions, retryAfterMs } from '../../js/otlp.js';
import { VERSION } from '../../js/version.js';
import { feedSession, LATER, T0 } from './helpers.mjs';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/**
 * The input as protobuf's toObject gives it back: every field set on the wire is written (zeros
 * included), empty repeated fields are not.
 */
function stripDefaults(v) {
  if (Array.isArray(v)) return v.map(stripDefaults);
  if (v !== null && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (!(Array.isArray(x) && x.length === 0)) out[k] = stripDefaults(x);
    return out;
  }
  return v;
}

/**
 * Decodes an OTLP/JSON request through protobuf: JSON -> message -> wire bytes -> message ->
 * JSON. Equal to the input only when every field exists in opentelemetry-proto with that type.
 */
function roundTrip(json) {
  const message = Request.fromObject(json);
  const bytes = Request.encode(message).finish();
  const back = Request.toObject(Request.decode(bytes), { longs: String, enums: Number, defaults: false });
  return { bytes, back };
}

async function sessionCore() {
  const core = await MonitorCore.create({ historySize: 100 });
  core.reset(T0 - 1000);
  feedSession(core, { n: 700 });
  // The engine's own figures (gen_ai.server.*) and an embedding, which the fixture lacks.
  core.recordGeneration({
    model: 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
    startedAt: T0 + 5e6,
    durationMs: 900,
    ttftMs: 210,
    promptTokens: 40,
    completionTokens: 30,
    engineTtftMs: 180,
    engineTimePerOutputTokenMs: 22.5,
    chunkGapsMs: [20, 25],
  });
  core.recordGeneration({ model: 'snowflake-arctic-embed-m-q0f32-MLC-b4', operation: 'embedding', startedAt: T0 + 5e6, durationMs: 35, promptTokens: 12 });
  core.recordCacheLookup({ cache: 'webllm/config', hit: true, timestamp: T0 + 5e6 });
  core.flush();
  return core;
}

function metricsByName(req) {
  const out = new Map();
  for (const m of req.resourceMetrics[0].scopeMetrics[0].metrics) out.set(m.name, m);
  return out;
}
const attrs = (p) => Object.fromEntries(p.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
const points = (m) => (m.exponentialHistogram ?? m.sum ?? m.gauge).dataPoints;
/** Epoch milliseconds as the decimal nanoseconds OTLP carries (exact, unlike ms * 1e6). */
const nanos = (ms) => String(BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms - Math.floor(ms)) * 1e6)));

/** Nearest-rank quantile from an exponential histogram point, in the point's unit. */
function quantileFromBuckets(p, q) {
  const n = Number(p.count);
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
  let seen = Number(p.zeroCount);
  if (rank <= seen) return 0;
  const counts = p.positive.bucketCounts.map(Number);
  for (let j = 0; j < counts.length; j++) {
    seen += counts[j];
    if (seen >= rank) {
      const i = p.positive.offset + j;
      const lo = 2 ** (i / 2 ** p.scale);
      const hi = 2 ** ((i + 1) / 2 ** p.scale);
      return (2 * lo * hi) / (lo + hi);
    }
  }
  throw new Error('rank beyond the buckets');
}

test('the request decodes with the OpenTelemetry protobuf definitions, field for field', async () => {
  const core = await sessionCore();
  const text = core.otlpJson(
    {
      resource: { 'service.name': 'chat-app', 'deployment.environment.name': 'test', 'app.build': 42, 'app.canary': false, 'app.ratio': 0.5 },
      scopeVersion: VERSION,
    },
    LATER,
  );
  const json = JSON.parse(text);
  const { bytes, back } = roundTrip(json);
  assert.ok(bytes.length > 1000);
  assert.deepEqual(back, stripDefaults(json));
  assert.equal(Request.verify(Request.decode(bytes)), null);
  core.dispose();
});

test('resource, scope, temporality, times and 64-bit integers as strings', async () => {
  const core = await sessionCore();
  const req = JSON.parse(
    core.otlpJson({ resource: { 'service.name': 'chat-app', 'app.build': 42, 'app.canary': false, 'app.ratio': 0.5 }, scopeVersion: VERSION }, LATER),
  );
  const res = req.resourceMetrics[0].resource.attributes;
  assert.deepEqual(res.find((a) => a.key === 'service.name').value, { stringValue: 'chat-app' });
  assert.deepEqual(res.find((a) => a.key === 'app.build').value, { intValue: '42' });
  assert.deepEqual(res.find((a) => a.key === 'app.canary').value, { boolValue: false });
  assert.deepEqual(res.find((a) => a.key === 'app.ratio').value, { doubleValue: 0.5 });
  const scope = req.resourceMetrics[0].scopeMetrics[0].scope;
  assert.deepEqual(scope, { name: 'webllm-monitor', version: VERSION });
  for (const m of req.resourceMetrics[0].scopeMetrics[0].metrics) {
    assert.match(m.name, /^(gen_ai\.|webllm_monitor\.)/);
    assert.ok(m.description.length > 10, m.name);
    const data = m.exponentialHistogram ?? m.sum ?? m.gauge;
    assert.ok(data.dataPoints.length > 0, m.name);
    if (!m.gauge) assert.equal(data.aggregationTemporality, 2, m.name);
    for (const p of data.dataPoints) {
      assert.match(p.timeUnixNano, /^\d+$/);
      if (m.gauge) continue;
      assert.equal(p.startTimeUnixNano, nanos(T0 - 1000), m.name);
      assert.equal(p.timeUnixNano, nanos(LATER), m.name);
      if (m.sum) assert.match(p.asInt, /^\d+$/);
      if (m.exponentialHistogram) {
        assert.match(p.count, /^\d+$/);
        assert.match(p.zeroCount, /^\d+$/);
        for (const c of p.positive.bucketCounts) assert.match(c, /^\d+$/);
        const total = p.positive.bucketCounts.reduce((s, c) => s + Number(c), Number(p.zeroCount));
        assert.equal(total, Number(p.count), m.name);
      }
    }
  }
  core.dispose();
});

test('GenAI metrics: names, units, attributes, error.type on failures only', async () => {
  const core = await sessionCore();
  const metrics = core.metrics(LATER);
  const req = JSON.parse(core.otlpJson({}, LATER));
  const byName = metricsByName(req);
  const units = {
    'gen_ai.client.operation.duration': 's',
    'gen_ai.client.token.usage': '{token}',
    'gen_ai.server.time_to_first_token': 's',
    'gen_ai.server.time_per_output_token': 's',
    'gen_ai.client.operation.time_to_first_chunk': 's',
    'gen_ai.client.operation.time_per_output_chunk': 's',
  };
  for (const [name, unit] of Object.entries(units)) {
    assert.ok(byName.has(name), name);
    assert.equal(byName.get(name).unit, unit, name);
    assert.ok(byName.get(name).exponentialHistogram, name);
    for (const p of points(byName.get(name))) {
      const a = attrs(p);
      assert.equal(a['gen_ai.provider.name'], 'webllm');
      assert.ok(['chat', 'text_completion', 'embeddings'].includes(a['gen_ai.operation.name']));
      assert.ok(a['gen_ai.request.model']);
      if (name !== 'gen_ai.client.operation.duration') assert.equal(a['error.type'], undefined, name);
      if (name === 'gen_ai.client.token.usage') assert.ok(['input', 'output'].includes(a['gen_ai.token.type']));
      else assert.equal(a['gen_ai.token.type'], undefined);
    }
  }
  const duration = points(byName.get('gen_ai.client.operation.duration'));
  // Every generation once: succeeded, failed (error.type = its name) and aborted (AbortError).
  assert.equal(
    duration.reduce((s, p) => s + Number(p.count), 0),
    metrics.generations.total,
  );
  const failed = duration.filter((p) => attrs(p)['error.type'] === 'Error');
  const aborted = duration.filter((p) => attrs(p)['error.type'] === 'AbortError');
  assert.equal(
    failed.reduce((s, p) => s + Number(p.count), 0),
    metrics.generations.failed,
  );
  assert.equal(
    aborted.reduce((s, p) => s + Number(p.count), 0),
    metrics.generations.aborted,
  );
  const embed = duration.find((p) => attrs(p)['gen_ai.operation.name'] === 'embeddings');
  assert.equal(attrs(embed)['gen_ai.request.model'], 'snowflake-arctic-embed-m-q0f32-MLC-b4');
  // Token usage adds up to the session's token counts.
  const usage = points(byName.get('gen_ai.client.token.usage'));
  const sumOf = (type) => usage.filter((p) => attrs(p)['gen_ai.token.type'] === type).reduce((s, p) => s + p.sum, 0);
  assert.equal(sumOf('input'), metrics.generations.tokens.prompt);
  assert.equal(sumOf('output'), metrics.generations.tokens.completion);
  // The engine's figures, in seconds.
  const ttft = points(byName.get('gen_ai.server.time_to_first_token'));
  assert.equal(ttft.length, 1);
  assert.equal(ttft[0].count, '1');
  assert.equal(ttft[0].sum, 0.18);
  assert.equal(points(byName.get('gen_ai.server.time_per_output_token'))[0].max, 0.0225);
  // Chunk gaps: every gap of every streamed generation.
  const gaps = points(byName.get('gen_ai.client.operation.time_per_output_chunk'));
  assert.equal(
    gaps.reduce((s, p) => s + Number(p.count), 0),
    metrics.generations.chunkGapMs.count,
  );
  core.dispose();
});

test("quantiles recomputed from the exported buckets equal the core's", async () => {
  const core = await sessionCore();
  const metrics = core.metrics(LATER);
  const byName = metricsByName(JSON.parse(core.otlpJson({}, LATER)));
  const keys = [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
    ['p999', 0.999],
  ];
  const check = (p, stats, label) => {
    assert.equal(Number(p.count), stats.count, label);
    assert.ok(stats.count > 256, `${label}: past the exact phase`);
    for (const [key, q] of keys) {
      const ms = Math.min(Math.max(quantileFromBuckets(p, q) * 1000, stats.min), stats.max);
      assert.ok(Math.abs(ms - stats[key]) <= 1e-9 * stats[key], `${label} ${key}: ${ms} vs ${stats[key]}`);
    }
  };
  const successes = points(byName.get('gen_ai.client.operation.duration')).filter(
    (p) => !attrs(p)['error.type'] && attrs(p)['gen_ai.operation.name'] === 'chat',
  );
  assert.equal(successes.length, 2);
  for (const p of successes) {
    const model = attrs(p)['gen_ai.request.model'];
    check(p, metrics.generations.byModel[model].latencyMs, `duration ${model}`);
  }
  const gaps = points(byName.get('gen_ai.client.operation.time_per_output_chunk'));
  for (const p of gaps) {
    const model = attrs(p)['gen_ai.request.model'];
    check(p, metrics.generations.byModel[model].chunkGapMs, `chunk gaps ${model}`);
  }
  core.dispose();
});

test("the project's own metrics: loads by source, caches, memory, operations, rejections", async () => {
  const core = await sessionCore();
  core.recordGeneration({ model: '', durationMs: 5 }); // refused: counted under its field
  core.flush();
  const metrics = core.metrics(LATER);
  const byName = metricsByName(JSON.parse(core.otlpJson({}, LATER)));
  const loads = points(byName.get('webllm_monitor.model.load.duration'));
  assert.equal(byName.get('webllm_monitor.model.load.duration').unit, 's');
  assert.equal(
    loads.reduce((s, p) => s + Number(p.count), 0),
    metrics.initialization.loads,
  );
  for (const p of loads) assert.ok(['cache', 'network', 'unknown'].includes(attrs(p)['webllm_monitor.load.source']));
  const lookups = points(byName.get('webllm_monitor.cache.lookups'));
  const hits = lookups.filter((p) => attrs(p)['webllm_monitor.cache.result'] === 'hit').reduce((s, p) => s + Number(p.asInt), 0);
  assert.ok(hits >= 1);
  assert.equal(byName.get('webllm_monitor.cache.lookups').sum.isMonotonic, true);
  const ratio = points(byName.get('webllm_monitor.cache.hit_ratio')).find((p) => attrs(p)['webllm_monitor.cache.name'] === 'webllm/config');
  assert.equal(ratio.asDouble, 1);
  const heap = points(byName.get('webllm_monitor.js_heap.used'))[0];
  assert.equal(heap.asInt, String(metrics.memory.latest.usedJSHeapSize));
  assert.equal(heap.timeUnixNano, nanos(metrics.memory.latest.timestamp));
  assert.equal(points(byName.get('webllm_monitor.gpu.buffer.size'))[0].asInt, String(metrics.memory.latest.gpuBufferBytes));
  assert.equal(byName.get('webllm_monitor.js_heap.used').unit, 'By');
  const op = points(byName.get('webllm_monitor.operation.duration')).find((p) => attrs(p)['webllm_monitor.operation.name'] === 'retrieval');
  assert.equal(Number(op.count), metrics.operations.retrieval.count);
  const rejected = points(byName.get('webllm_monitor.events.rejected'));
  assert.deepEqual(
    rejected.map((p) => [attrs(p)['webllm_monitor.event.field'], p.asInt]),
    [['generation.model', '1']],
  );
  assert.equal(points(byName.get('webllm_monitor.gpu.device_lost'))[0].asInt, '1');
  core.dispose();
});

test('an exported file gives the same request as the live monitor (CLI path), merges keep the earliest start', async () => {
  const core = await sessionCore();
  const exported = core.exportJson(LATER);
  const copy = await MonitorCore.create();
  copy.importJson(exported);
  assert.equal(copy.otlpJson({}, LATER), core.otlpJson({}, LATER));
  const other = await MonitorCore.create();
  other.reset(T0 - 5000);
  other.recordGeneration({ model: 'm', startedAt: T0, durationMs: 10 });
  copy.mergeJson(other.exportJson(LATER));
  const req = JSON.parse(copy.otlpJson({}, LATER));
  assert.equal(points(metricsByName(req).get('gen_ai.client.operation.duration'))[0].startTimeUnixNano, nanos(T0 - 5000));
  for (const c of [core, copy, other]) c.dispose();
});

test('bad options are refused with the field named; nothing is sent', async () => {
  const core = await MonitorCore.create();
  assert.throws(() => core.otlpJson({ resource: { 'service.name': { a: 1 } } }), /otlp\.resource\["service\.name"\]: expected a string/);
  assert.throws(() => core.otlpJson({ resource: [] }), /otlp\.resource: expected an object/);
  core.dispose();
  assert.throws(() => normalizeOtlpOptions({}), /options\.otlp\.endpoint: expected a URL/);
  assert.throws(() => normalizeOtlpOptions({ endpoint: 'ftp://x' }), /an http: or https: URL/);
  assert.throws(() => normalizeOtlpOptions({ endpoint: 'http://x', intervalMs: 10 }), /intervalMs: expected a number >= 1000/);
  assert.throws(() => normalizeOtlpOptions({ endpoint: 'http://x', headers: { 'bad header': 'v' } }), /headers\["bad header"\]: expected a valid header name/);
  assert.throws(() => normalizeOtlpOptions({ endpoint: 'http://x', resource: { n: NaN } }), /resource\["n"\]: expected a string, a finite number or a boolean/);
  assert.throws(() => normalizeOtlpOptions({ endpoint: 'http://x', interval: 5 }), /options\.otlp\.interval: unknown option/);
  assert.equal(normalizeOtlpOptions({ endpoint: 'http://collector:4318/' }).url, 'http://collector:4318/v1/metrics');
  await assert.rejects(
    createMonitor({ otlp: { endpoint: 'nope' }, memory: false, webgpu: false }),
    /createMonitor: options\.otlp\.endpoint: expected a valid URL/,
  );
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(new Date(Date.now() + 60_000).toUTCString()) > 50_000, true);
  assert.equal(retryAfterMs('soon'), undefined);
});

test('toOTLP: given resource attributes go over the configured ones, not over the defaults', async () => {
  const monitor = await createMonitor({
    otlp: { endpoint: 'http://127.0.0.1:9', intervalMs: 60_000, resource: { 'service.name': 'myapp' } },
    memory: false,
    webgpu: false,
  });
  try {
    const res = (req) => Object.fromEntries(req.resourceMetrics[0].resource.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
    const plain = res(monitor.toOTLP());
    const more = res(monitor.toOTLP({ resource: { 'deployment.environment.name': 'x' } }));
    assert.equal(more['service.name'], 'myapp');
    assert.equal(more['deployment.environment.name'], 'x');
    assert.equal(more['service.instance.id'], plain['service.instance.id']);
    assert.match(plain['service.instance.id'], /^[0-9a-f-]{36}$/);
    assert.throws(() => monitor.toOTLP({ resource: { n: {} } }), /toOTLP: resource\["n"\]: expected a string/);
  } finally {
    await monitor.dispose();
  }
});

test('the package version is the scope version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(VERSION, pkg.version);
});

/** A receiver on 127.0.0.1 answering with `reply(n)` = [status, headers, body] for the n-th POST. */
async function receiver(reply) {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ url: req.url, headers: req.headers, body });
      const [status, headers = {}, text = ''] = reply(got.length);
      res.writeHead(status, headers);
      res.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { got, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

async function until(check, ms = 15_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('periodic pushes: a 503 is retried, then the receiver gets the request', async () => {
  const r = await receiver((n) => (n === 1 ? [503, { 'Retry-After': '0' }, 'overloaded'] : [200, { 'Content-Type': 'application/json' }, '{}']));
  const logs = [];
  const logger = { debug() {}, info() {}, warn: (...a) => logs.push(a), error: (...a) => logs.push(a), log() {} };
  const monitor = await createMonitor({
    otlp: { endpoint: r.url, intervalMs: 1000, backoffMs: 20, headers: { 'x-api-key': 'k1' }, resource: { 'service.name': 'node-test' } },
    memory: false,
    webgpu: false,
    logger,
  });
  try {
    monitor.recordGeneration({ model: 'm', durationMs: 120, ttftMs: 30, promptTokens: 9, completionTokens: 4 });
    await until(() => r.got.length >= 2);
    assert.equal(r.got[0].url, '/v1/metrics');
    assert.equal(r.got[1].headers['content-type'], 'application/json');
    assert.equal(r.got[1].headers['x-api-key'], 'k1');
    const req = JSON.parse(r.got[1].body);
    assert.deepEqual(roundTrip(req).back, stripDefaults(req));
    const d = points(metricsByName(req).get('gen_ai.client.operation.duration'))[0];
    assert.equal(d.count, '1');
    assert.equal(d.sum, 0.12);
    const service = req.resourceMetrics[0].resource.attributes.find((a) => a.key === 'service.name');
    assert.equal(service.value.stringValue, 'node-test');
    await until(() => monitor.getStatus().otlp.pushes >= 1);
    const s = monitor.getStatus().otlp;
    assert.equal(s.failures, 0);
    assert.equal(s.last.attempts, 2);
    assert.equal(monitor.getMetrics().operations['webllm-monitor.otlp'].succeeded >= 1, true);
    assert.equal(logs.length, 0);
  } finally {
    await monitor.dispose();
    await r.close();
  }
});

test('a push that keeps failing gives up cleanly: counted, recorded, logged, never thrown', async () => {
  const r = await receiver(() => [503, {}, 'down']);
  const logs = [];
  const logger = { debug() {}, info() {}, warn: (...a) => logs.push(a), error: (...a) => logs.push(a), log() {} };
  const monitor = await createMonitor({ otlp: { endpoint: r.url, intervalMs: 60_000, backoffMs: 5, maxAttempts: 3 }, memory: false, webgpu: false, logger });
  try {
    monitor.recordGeneration({ model: 'm', durationMs: 10 });
    const result = await monitor.pushOTLP();
    assert.equal(result.ok, false);
    assert.equal(result.attempts, 3);
    assert.equal(result.status, 503);
    assert.match(result.error, /HTTP 503: down/);
    assert.equal(r.got.length, 3);
    assert.equal(monitor.getStatus().otlp.failures, 1);
    const op = monitor.getMetrics().operations['webllm-monitor.otlp'];
    assert.equal(op.failed, 1);
    assert.ok(monitor.getMetrics().errors.byName.OtlpExportError >= 1);
    assert.equal(logs[0][0], '[webllm-monitor] OTLP push failed');
  } finally {
    await monitor.dispose();
    await r.close();
  }
  // A 400 is not retried; a closed port is a network error, retried then given up.
  const bad = await receiver(() => [400, {}, 'bad request']);
  const pusher = createOtlpPusher({ options: normalizeOtlpOptions({ endpoint: bad.url, backoffMs: 1, maxAttempts: 4 }), body: () => '{}', onResult: () => {} });
  const r400 = await pusher.push();
  assert.deepEqual([r400.ok, r400.status, r400.attempts, bad.got.length], [false, 400, 1, 1]);
  await bad.close();
  const closed = createOtlpPusher({ options: normalizeOtlpOptions({ endpoint: bad.url, backoffMs: 1, maxAttempts: 2 }), body: () => '{}', onResult: () => {} });
  const rNet = await closed.push();
  assert.equal(rNet.ok, false);
  assert.equal(rNet.status, null);
  assert.match(rNet.error, /fetch failed|ECONNREFUSED/);
  // A throwing body is a failed push, not a throw.
  const broken = createOtlpPusher({
    options: normalizeOtlpOptions({ endpoint: bad.url }),
    body: () => {
      throw new Error('boom');
    },
    onResult: () => {},
  });
  assert.match((await broken.push()).error, /building the request failed: boom/);
});

test('partial success from the receiver is reported as a failure with its message', async () => {
  const r = await receiver(() => [200, { 'Content-Type': 'application/json' }, '{"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"bad points"}}']);
  const pusher = createOtlpPusher({ options: normalizeOtlpOptions({ endpoint: r.url }), body: () => '{}', onResult: () => {} });
  const result = await pusher.push();
  assert.equal(result.ok, false);
  assert.match(result.error, /2 data points rejected: bad points/);
  await r.close();
});

test('an attribute or a header named __proto__ is kept as data, and no prototype changes', async () => {
  // JSON.parse makes "__proto__" an own key, as options read from a config file would have it.
  const resource = JSON.parse('{"__proto__": "r", "service.name": "proto-test"}');
  const headers = JSON.parse('{"__proto__": "h", "x-api-key": "k1"}');
  const r = await receiver(() => [200, { 'Content-Type': 'application/json' }, '{}']);
  try {
    const o = normalizeOtlpOptions({ endpoint: r.url, headers, resource });
    for (const [name, obj, value] of [
      ['headers', o.headers, 'h'],
      ['resource', o.resource, 'r'],
    ]) {
      assert.deepEqual(Object.getOwnPropertyDescriptor(obj, '__proto__'), { value, writable: true, enumerable: true, configurable: true }, name);
      assert.equal(Object.getPrototypeOf(obj), Object.prototype, `${name}: its prototype is unchanged`);
    }
    assert.deepEqual(Object.keys(o.headers), ['__proto__', 'x-api-key']);
    assert.equal(o.resource['service.name'], 'proto-test');

    // On the wire: the header is sent, the attribute is in the request's resource.
    const monitor = await createMonitor({ otlp: { endpoint: r.url, intervalMs: 60_000, headers, resource }, memory: false, webgpu: false });
    try {
      const attributes = (req) => req.resourceMetrics[0].resource.attributes.filter((a) => a.key === '__proto__');
      assert.deepEqual(attributes(monitor.toOTLP()), [{ key: '__proto__', value: { stringValue: 'r' } }]);
      // A resource given to toOTLP goes over the configured one, "__proto__" included.
      assert.deepEqual(attributes(monitor.toOTLP({ resource: JSON.parse('{"__proto__": true}') })), [{ key: '__proto__', value: { boolValue: true } }]);
      const result = await monitor.pushOTLP();
      assert.equal(result.ok, true, result.error);
    } finally {
      await monitor.dispose();
    }
    assert.equal(r.got.length, 1);
    const req = JSON.parse(r.got[0].body);
    assert.deepEqual(
      req.resourceMetrics[0].resource.attributes.find((a) => a.key === '__proto__'),
      { key: '__proto__', value: { stringValue: 'r' } },
    );
    assert.equal(r.got[0].headers['x-api-key'], 'k1');
    // The headers handed to fetch, for a push and for the last one on pagehide. (Node's fetch
    // itself leaves a header named __proto__ off the wire, so this looks at what it is given;
    // Chromium's sends it.)
    const inits = [];
    const recording = async (url, init) => {
      inits.push(init);
      return new Response('{}', { status: 200 });
    };
    const pusher = createOtlpPusher({ options: o, body: () => '{}', onResult: () => {}, fetch: recording });
    assert.equal((await pusher.push()).ok, true);
    pusher.flushOnHide();
    assert.equal(inits.length, 2, 'a fetch each time: a header rules the beacon out');
    for (const init of inits) {
      assert.equal(Object.getOwnPropertyDescriptor(init.headers, '__proto__')?.value, 'h');
      assert.deepEqual(Object.keys(init.headers), ['Content-Type', '__proto__', 'x-api-key']);
    }
  } finally {
    await r.close();
  }

  // An object under "__proto__" is refused like any other non-attribute value, and pollutes nothing.
  assert.throws(
    () => normalizeOtlpOptions({ endpoint: 'http://x', resource: JSON.parse('{"__proto__": {"polluted": 1}}') }),
    /resource\["__proto__"\]: expected a string, a finite number or a boolean/,
  );
  assert.throws(
    () => normalizeOtlpOptions({ endpoint: 'http://x', headers: JSON.parse('{"__proto__": {"polluted": 1}}') }),
    /headers\["__proto__"\]: expected a string/,
  );
  assert.equal(/** @type {any} */ ({}).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'x-api-key'), false);
});

// `webllm-monitor otlp`: an export file sent to a receiver on 127.0.0.1, decoded with
// OpenTelemetry's protobuf definitions; retries; refusals and usage errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOtlp } from '../../js/cli/otlp.js';
import { simulateRun } from '../../scripts/measure-false-alarms.mjs';
import { run } from './helpers.mjs';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

let dir;
let doc;
const file = (name) => join(dir, name);

async function receiver(reply) {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const [status, body = ''] = reply(got.length);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Retry-After': '0' });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { got, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webllm-monitor-otlp-'));
  doc = await simulateRun({ seed: 4 });
  await writeFile(file('run.json'), JSON.stringify(doc));
  await writeFile(file('broken.json'), '{"schemaVersion": 2, ');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('otlp: the file reaches the receiver after a 503, decodes with the OTLP protobuf types', async () => {
  const r = await receiver((n) => (n === 1 ? [503, 'busy'] : [200, '{}']));
  try {
    // The same service, resource and header each time; the endpoint with and without its slash.
    const send = (endpoint) =>
      run(runOtlp, [
        file('run.json'),
        '--endpoint',
        endpoint,
        '--service-name',
        'ci-perf',
        '--resource',
        'deployment.environment.name=ci',
        '--header',
        'Authorization=Bearer t0ken',
      ]);
    const res = await send(`${r.url}/`);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /run\.json: sent \d+ metrics \(\d+ bytes\) to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics: HTTP 200 after 2 attempts/);
    assert.equal(r.got.length, 2);
    assert.equal(r.got[1].url, '/v1/metrics');
    assert.equal(r.got[1].headers.authorization, 'Bearer t0ken');
    const json = JSON.parse(r.got[1].body);
    const message = Request.decode(Request.encode(Request.fromObject(json)).finish());
    const back = Request.toObject(message, { longs: String, defaults: false });
    const res0 = Object.fromEntries(back.resourceMetrics[0].resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.equal(res0['service.name'], 'ci-perf');
    assert.equal(res0['deployment.environment.name'], 'ci');
    assert.match(res0['service.instance.id'], /^[0-9a-f]{32}$/);
    const duration = back.resourceMetrics[0].scopeMetrics[0].metrics.find((m) => m.name === 'gen_ai.client.operation.duration');
    const count = duration.exponentialHistogram.dataPoints.reduce((s, p) => s + Number(p.count), 0);
    assert.equal(count, doc.metrics.generations.total);
    const nanos = BigInt(Math.floor(doc.exportedAtMs)) * 1_000_000n + BigInt(Math.round((doc.exportedAtMs % 1) * 1e6));
    assert.equal(duration.exponentialHistogram.dataPoints[0].timeUnixNano, String(nanos));
    // The same file again: the same stream (instance id from the file), the same request.
    const again = await send(r.url);
    assert.equal(again.code, 0);
    assert.equal(r.got[2].body, r.got[1].body);
  } finally {
    await r.close();
  }
});

test('otlp: a receiver that refuses → exit 1 with the reason; --dry-run prints the request', async () => {
  const r = await receiver(() => [400, '{"code":3,"message":"bad"}']);
  try {
    const res = await run(runOtlp, [file('run.json'), '--endpoint', r.url, '--attempts', '2']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /otlp: http:\/\/127\.0\.0\.1:\d+\/v1\/metrics: HTTP 400: \{"code":3,"message":"bad"\} \(1 attempt\)/);
    assert.equal(r.got.length, 1, '400 is not retried');
  } finally {
    await r.close();
  }
  const dry = await run(runOtlp, [file('run.json'), '--dry-run']);
  assert.equal(dry.code, 0);
  assert.ok(JSON.parse(dry.stdout).resourceMetrics[0].scopeMetrics[0].metrics.length > 5);
});

test('otlp: usage and input errors → exit 2 naming the problem', async () => {
  let r = await run(runOtlp, []);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /otlp: expected 1 export file, got 0/);
  r = await run(runOtlp, [file('run.json')]);
  assert.match(r.stderr, /otlp: --endpoint is required/);
  r = await run(runOtlp, [file('run.json'), '--endpoint', 'ftp://x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /otlp: --endpoint: expected an http: or https: URL/);
  r = await run(runOtlp, [file('run.json'), '--endpoint', 'http://x', '--header', 'novalue']);
  assert.match(r.stderr, /otlp: --header: expected NAME=VALUE, got "novalue"/);
  r = await run(runOtlp, [file('run.json'), '--endpoint', 'http://x', '--header', 'bad name=1']);
  assert.match(r.stderr, /otlp: --header\["bad name"\]: expected a valid header name/);
  r = await run(runOtlp, [file('run.json'), '--endpoint', 'http://x', '--attempts', '0']);
  assert.match(r.stderr, /otlp: --attempts: expected a whole number >= 1, got "0"/);
  r = await run(runOtlp, [file('broken.json'), '--endpoint', 'http://x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /broken\.json: \$: not valid JSON/);
  r = await run(runOtlp, ['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: webllm-monitor otlp <metrics\.json> --endpoint URL/);
});

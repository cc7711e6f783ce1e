// The OTLP/HTTP JSON push of createMonitor in headless Chromium, against a real receiver: a Node
// HTTP server on another origin (CORS, like an OpenTelemetry Collector with `cors` configured)
// that records every request. Periodic pushes with a retried 503, giving up after maxAttempts,
// and the last push on pagehide (sendBeacon without custom headers, a keepalive fetch with them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { useBrowser } from './harness.mjs';

const b = useBrowser({ name: 'otlp' });
const PAGE = '/tests/browser/pages/otlp.html';
const API_KEY = 'x-api-key';

/**
 * @typedef {{ method: string, path: string, contentType: string | undefined, headers: http.IncomingHttpHeaders,
 *   body: string, status: number }} Received
 */

/**
 * The receiver. Endpoints are `${origin}/<scenario>`: POSTs to `/periodic/v1/metrics` get a 503
 * (Retry-After: 0) the first time and 200 `{}` afterwards, `/down/...` always 503, anything else
 * 200 `{}`. Preflights get 204 with the request's Origin and credentials allowed (sendBeacon
 * requests are credentialed: Chromium drops a beacon whose preflight answers `*`).
 */
function startReceiver() {
  /** @type {Received[]} */
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const cors = {
        'Access-Control-Allow-Origin': req.headers.origin ?? '*',
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      };
      let status;
      if (req.method === 'OPTIONS') {
        status = 204;
        res.writeHead(204, {
          ...cors,
          'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': `content-type, ${API_KEY}`,
          'Access-Control-Max-Age': '0',
        });
        res.end();
      } else if (req.method === 'POST') {
        const scenario = path.split('/')[1];
        const seen = requests.filter((r) => r.method === 'POST' && r.path === path).length;
        if (scenario === 'down' || (scenario === 'periodic' && seen === 0)) {
          status = 503;
          res.writeHead(503, { ...cors, 'Retry-After': '0', 'Access-Control-Expose-Headers': 'Retry-After', 'Content-Type': 'text/plain' });
          res.end('try later');
        } else {
          status = 200;
          res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
          res.end('{}');
        }
      } else {
        status = 405;
        res.writeHead(405, cors).end();
      }
      requests.push({
        method: req.method ?? '',
        path,
        contentType: req.headers['content-type'],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({
        origin: `http://127.0.0.1:${port}`,
        requests,
        /** POSTs to `${scenario}/v1/metrics`, in arrival order. */
        posts: (scenario) => requests.filter((r) => r.method === 'POST' && r.path === `/${scenario}/v1/metrics`),
        close: () => new Promise((r) => server.close(() => r(undefined))),
      });
    });
  });
}

/** @type {Awaited<ReturnType<typeof startReceiver>>} */
let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

/** Polls `cond` every 20 ms until it returns a truthy value, which it returns; throws after `ms`. */
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > end)
      throw new Error(`${what}: not reached in ${ms} ms; receiver saw ${JSON.stringify(receiver.requests.map((r) => `${r.method} ${r.path} ${r.status}`))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The metric `name` of an OTLP JSON request. */
function metric(doc, name) {
  return doc.resourceMetrics[0].scopeMetrics.flatMap((s) => s.metrics).find((m) => m.name === name);
}
const attrs = (point) => Object.fromEntries(point.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
const points = (m) => (m.exponentialHistogram ?? m.histogram ?? m.sum ?? m.gauge).dataPoints;
/** The number of generations in gen_ai.client.operation.duration. */
const durationCount = (doc) => points(metric(doc, 'gen_ai.client.operation.duration')).reduce((n, p) => n + Number(p.count), 0);

test('periodic push: a 503 is retried, the accepted request is OTLP JSON with the GenAI metrics', async (t) => {
  const { page } = await b.open(t, PAGE, { fresh: true });
  const endpoint = `${receiver.origin}/periodic`;
  const status0 = await page.evaluate((endpoint) => window.api.start({ endpoint, intervalMs: 1000, backoffMs: 50, headers: { 'x-api-key': 'k1' } }), endpoint);
  assert.deepEqual(status0, { endpoint: `${endpoint}/v1/metrics`, pushes: 0, failures: 0, last: null });
  const recorded = await page.evaluate(() => window.api.record(4, 1));
  assert.ok(
    recorded.every((r) => r.ok),
    JSON.stringify(recorded),
  );

  // No pushOTLP(): the interval pushes after ~1 s, gets a 503, retries after the backoff.
  const [refused, accepted] = await until(
    () => {
      const p = receiver.posts('periodic');
      return p.length >= 2 && p;
    },
    5000,
    'a 503 then a 200 on /periodic/v1/metrics',
  );
  assert.equal(refused.status, 503);
  assert.equal(accepted.status, 200);
  for (const r of [refused, accepted]) {
    assert.equal(r.contentType, 'application/json');
    assert.equal(r.headers[API_KEY], 'k1', 'the custom header reaches the receiver');
    assert.match(r.headers.origin ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(r.headers.origin, receiver.origin, 'a cross-origin push');
  }
  assert.equal(accepted.body, refused.body, 'the retry sends the same request');
  assert.ok(
    receiver.requests.some(
      (r) => r.method === 'OPTIONS' && r.path === '/periodic/v1/metrics' && /x-api-key/.test(String(r.headers['access-control-request-headers'])),
    ),
    'a CORS preflight for the custom header',
  );

  const doc = JSON.parse(accepted.body);
  assert.equal(doc.resourceMetrics[0].scopeMetrics[0].scope.name, 'webllm-monitor');
  const resource = Object.fromEntries(doc.resourceMetrics[0].resource.attributes.map((a) => [a.key, a.value.stringValue]));
  assert.equal(resource['telemetry.sdk.name'], 'webllm-monitor');
  assert.ok(resource['service.instance.id']);
  const duration = metric(doc, 'gen_ai.client.operation.duration');
  assert.ok(duration, 'gen_ai.client.operation.duration');
  assert.equal(durationCount(doc), 5);
  const failedPoint = points(duration).find((p) => attrs(p)['error.type'] === 'TypeError');
  assert.ok(failedPoint, 'a data point with error.type = TypeError');
  assert.equal(Number(failedPoint.count), 1);
  assert.equal(attrs(failedPoint)['gen_ai.provider.name'], 'webllm');
  assert.ok(points(duration).every((p) => attrs(p)['gen_ai.provider.name'] === 'webllm'));
  assert.ok(metric(doc, 'gen_ai.client.token.usage'), 'gen_ai.client.token.usage');

  // The page counted the push (after it read the 200 reply).
  await page.waitForFunction(() => window.api.state().otlp.pushes >= 1, undefined, { timeout: 3000 });
  const s = await page.evaluate(() => window.api.state());
  assert.ok(s.otlp.pushes >= 1);
  assert.equal(s.otlp.failures, 0);
  assert.equal(s.otlp.last.ok, true);
  assert.equal(s.otlp.last.via, 'fetch');
  assert.ok(s.operation && s.operation.succeeded >= 1, JSON.stringify(s.operation));
  assert.equal(s.operation.failed, 0);
  assert.deepEqual(
    s.logCalls.filter((c) => c.level === 'warn' || c.level === 'error'),
    [],
  );
  assert.deepEqual(s.uncaught, []);

  await page.evaluate(() => window.api.show());
  const shot = await b.screenshot(page, 'periodic');
  t.diagnostic(`screenshot: ${shot}`);
  await page.evaluate(() => window.api.dispose());
});

test('giving up: pushOTLP() resolves with ok false after maxAttempts, counted and logged', async (t) => {
  const { page, errors } = await b.open(t, PAGE, { fresh: true });
  const endpoint = `${receiver.origin}/down`;
  await page.evaluate((endpoint) => window.api.start({ endpoint, intervalMs: 60_000, maxAttempts: 3, backoffMs: 10 }), endpoint);
  await page.evaluate(() => window.api.record(2));
  const pushed = await page.evaluate(() => window.api.push());
  assert.equal(pushed.resolved, true, `pushOTLP() rejected: ${pushed.error}`);
  const r = pushed.result;
  assert.equal(r.ok, false);
  assert.equal(r.attempts, 3);
  assert.equal(r.status, 503);
  assert.equal(r.via, 'fetch');
  assert.match(r.error, /^HTTP 503: try later/);
  assert.ok(r.bytes > 0);

  const s = await page.evaluate(() => window.api.state());
  assert.equal(s.otlp.pushes, 1);
  assert.equal(s.otlp.failures, 1);
  assert.equal(s.otlp.last.ok, false);
  assert.equal(s.otlp.last.status, 503);
  assert.ok(s.operation, 'the operation webllm-monitor.otlp');
  assert.equal(s.operation.failed, 1);
  assert.equal(s.operation.succeeded, 0);
  const warn = s.logCalls.find((c) => c.level === 'warn' && /OTLP push failed/.test(c.message));
  assert.ok(warn, `a warn "OTLP push failed" in ${JSON.stringify(s.logCalls)}`);
  assert.equal(warn.fields.status, 503);
  assert.equal(warn.fields.attempts, 3);
  assert.equal(warn.fields.url, `${endpoint}/v1/metrics`);
  assert.deepEqual(s.uncaught, []);
  assert.deepEqual(errors, []);

  await page.evaluate(() => window.api.show());
  await b.screenshot(page, 'gave-up');
  await page.evaluate(() => window.api.dispose()); // no pagehide push, no interval: the count below is final
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(receiver.posts('down').length, 3, 'exactly maxAttempts POSTs');
  assert.ok(receiver.posts('down').every((p) => p.status === 503 && p.contentType === 'application/json'));
});

test('pagehide: the last push goes as a beacon without custom headers, as a keepalive fetch with them', async (t) => {
  for (const { scenario, headers } of [
    { scenario: 'beacon', headers: undefined },
    { scenario: 'hidden-fetch', headers: { 'x-api-key': 'k2' } },
  ]) {
    await t.test(scenario, async (t) => {
      const { page } = await b.open(t, PAGE, { fresh: true });
      // A cookie of the page's host (cookies ignore ports): sent to the receiver only by a
      // credentialed request, which a beacon is and the monitor's fetch (credentials: same-origin) is not.
      await page.evaluate(() => {
        document.cookie = 'otlp-test=1; path=/';
      });
      const endpoint = `${receiver.origin}/${scenario}`;
      await page.evaluate(([endpoint, headers]) => window.api.start({ endpoint, intervalMs: 60_000, ...(headers ? { headers } : {}) }), [endpoint, headers]);
      await page.evaluate(() => window.api.record(3, 1));
      assert.equal(receiver.posts(scenario).length, 0, 'nothing pushed before the page goes away');

      await page.goto(b.server.url('/README.md'));
      const [post] = await until(
        () => {
          const p = receiver.posts(scenario);
          return p.length > 0 && p;
        },
        5000,
        `a POST on /${scenario}/v1/metrics after pagehide`,
      );
      assert.equal(post.status, 200);
      assert.equal(post.contentType, 'application/json');
      const doc = JSON.parse(post.body);
      assert.equal(doc.resourceMetrics[0].scopeMetrics[0].scope.name, 'webllm-monitor');
      assert.equal(durationCount(doc), 4, "the generations' duration count");
      if (headers) {
        assert.equal(post.headers[API_KEY], 'k2', 'the custom header is sent (a fetch, not a beacon)');
        assert.equal(post.headers.cookie, undefined, 'not credentialed: a fetch, not a beacon');
      } else {
        assert.equal(post.headers[API_KEY], undefined);
        assert.equal(post.headers.cookie, 'otlp-test=1', 'credentialed: a beacon');
      }
      await new Promise((res) => setTimeout(res, 100));
      assert.equal(receiver.posts(scenario).length, 1, 'one push on pagehide');
    });
  }
});

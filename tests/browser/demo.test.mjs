// The demo app (demo/), built once with Vite's JS API into a temporary folder and served: loads,
// the cache on the second load, streaming chat, the scripted workload against the panel's
// totals, an injected DeviceLostError, downloads, the drawer, themes (screenshots), and the real
// @mlc-ai/web-llm engine behind its switch (WebGPU through SwiftShader, but no network: the
// model cannot be fetched, so the page shows WebLLM's error and stays usable).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDemo } from '../../scripts/demo.mjs';
import { REPO_ROOT, RESULTS_DIR, useBrowser } from './harness.mjs';

const outDir = mkdtempSync(path.join(tmpdir(), 'wlm-demo-'));
/** The @mlc-ai/web-llm chunk (the one big JS asset), loaded only by the real engine. */
let webllmChunk;

before(async () => {
  await buildDemo({ outDir, logLevel: 'silent' });
  const assets = await readdir(path.join(outDir, 'assets'));
  const sized = await Promise.all(assets.filter((f) => f.endsWith('.js')).map(async (f) => ({ f, size: (await stat(path.join(outDir, 'assets', f))).size })));
  sized.sort((a, b) => b.size - a.size);
  assert.ok(sized[0].size > 2_000_000, `the web-llm chunk is the biggest JS asset (${sized[0].f}, ${sized[0].size} bytes)`);
  webllmChunk = `/assets/${sized[0].f}`;
});
after(async () => {
  await rm(outDir, { recursive: true, force: true });
});

const b = useBrowser({ root: outDir, name: 'demo' });

/** The shared page, opened by the first test. */
let page;
const metrics = () => page.evaluate(() => window.demo.monitor.getMetrics());
const idle = () => page.waitForFunction(() => window.demo.state().busy === null);
/** The panel's raw value of a metric path, in the inline panel. */
const panelRaw = (p) =>
  page.evaluate((p) => {
    const el = document.querySelector(`[data-demo=inline-panel] [data-wlm-value="${p}"]`);
    return el ? el.getAttribute('data-wlm-raw') : null;
  }, p);
/** Waits until the panel shows `value` for metric `p` (it refreshes at most every 250 ms). */
const panelShows = (p, value) =>
  page.waitForFunction(
    ([p, v]) => document.querySelector(`[data-demo=inline-panel] [data-wlm-value="${p}"]`)?.getAttribute('data-wlm-raw') === String(v),
    [p, value],
    { timeout: 5000 },
  );

/** Collects every text the element matching `selector` shows from now on (a MutationObserver). */
function watchTexts(selector) {
  return page.evaluate((selector) => {
    const seen = [];
    window.__seen = seen;
    const el = document.querySelector(selector);
    new MutationObserver(() => {
      const t = el.textContent;
      if (seen[seen.length - 1] !== t) seen.push(t);
    }).observe(el, { subtree: true, childList: true, characterData: true });
  }, selector);
}

test('the page loads with no errors, the panel beside the chat, and without the web-llm bundle', async (t) => {
  ({ page } = await b.open(t, '/index.html?speed=4&theme=light'));
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.equal(await page.title(), 'webllm-monitor demo');
  await page.waitForSelector('[data-demo=inline-panel] [data-wlm-section=status]');
  assert.equal(await page.evaluate(() => typeof window.webllmMonitor?.printMetrics), 'function', 'installConsole() ran');
  assert.ok(!b.server.requests.includes(webllmChunk), 'the simulated default does not load @mlc-ai/web-llm');
  assert.ok(
    b.server.requests.some((r) => r.endsWith('.wasm')),
    'the core was fetched',
  );
});

test('loading shows the progress texts, then ready; the second load comes from the cache', async () => {
  await watchTexts('[data-demo=load-text]');
  await page.click('[data-demo=load]');
  await page.waitForSelector('[data-demo=load-status][data-phase=ready]');
  let seen = await page.evaluate(() => window.__seen);
  assert.ok(
    seen.some((s) => s.startsWith('Start to fetch params')),
    seen.join('\n'),
  );
  assert.ok(
    seen.some((s) => /^Fetching param cache\[\d+\/\d+\]/.test(s)),
    'download progress shown',
  );
  assert.ok(
    seen.some((s) => /^Loading model from cache\[\d+\/\d+\]/.test(s)),
    'loading progress shown',
  );
  assert.match(await page.textContent('[data-demo=load-text]'), /Ready: SmolLM2-360M-Instruct loaded from the network/);
  let m = await metrics();
  assert.equal(m.initialization.loads, 1);
  assert.equal(m.initialization.downloaded, 1);
  assert.equal(m.initialization.lastFromCache, false);
  assert.ok(m.initialization.bytesFetched > 200 * 1024 * 1024, `bytes fetched: ${m.initialization.bytesFetched}`);

  await watchTexts('[data-demo=load-text]');
  await page.click('[data-demo=load]');
  await page.waitForSelector('[data-demo=load-status][data-phase=ready]');
  seen = await page.evaluate(() => window.__seen);
  assert.ok(!seen.some((s) => s.startsWith('Fetching param cache')), 'nothing fetched the second time');
  assert.ok(
    seen.some((s) => s.startsWith('Loading model from cache')),
    seen.join('\n'),
  );
  assert.match(await page.textContent('[data-demo=load-text]'), /loaded from cache/);
  m = await metrics();
  assert.equal(m.initialization.loads, 2);
  assert.equal(m.initialization.fromCache, 1);
  assert.equal(m.initialization.lastFromCache, true);
  assert.equal(m.cache.byName.model?.hits, 1);
  const status = await page.evaluate(() => window.demo.monitor.getStatus());
  assert.equal(status.ready, true);
  assert.deepEqual(status.loadedModels, ['SmolLM2-360M-Instruct-q4f16_1-MLC']);
  await panelShows('initialization.loads', 2);
});

test('the chat streams a reply token by token', async () => {
  await page.fill('[data-demo=input]', 'How fast is this model?');
  await page.click('[data-demo=send]');
  await page.waitForSelector('[data-demo=msg-assistant]');
  await watchTexts('[data-demo=msg-assistant]:last-child');
  await page.waitForSelector('[data-demo=msg-assistant][data-streaming=false]');
  const seen = await page.evaluate(() => window.__seen);
  const reply = await page.textContent('[data-demo=msg-assistant]:last-child');
  assert.ok(reply.length > 10, `a reply: ${reply}`);
  assert.ok(seen.length >= 3, `the reply grew in steps: ${seen.length}`);
  const chunks = Number(await page.getAttribute('[data-demo=msg-assistant]:last-child', 'data-chunks'));
  assert.ok(chunks >= 3, `${chunks} content chunks`);
  const m = await metrics();
  assert.equal(m.generations.total, 1);
  assert.equal(m.generations.byType.chat.total, 1);
  assert.equal(m.generations.succeeded, 1);
  assert.equal(m.generations.ttftMs.count, 1);
  assert.ok(m.generations.chunkGapMs.count >= chunks - 2, 'the gaps between chunks were measured');
});

test('the scripted workload runs N generations; the panel shows the totals of getMetrics()', async () => {
  await page.fill('[data-demo=workload-n]', '12');
  await page.click('[data-demo=run-workload]');
  await page.waitForSelector('[data-demo=workload-status][data-running=false]');
  const { workload } = await page.evaluate(() => window.demo.state());
  assert.equal(workload.done, 12);
  assert.equal(workload.succeeded + workload.failed + workload.aborted, 12);
  assert.ok(workload.aborted >= 1, 'one generation was interrupted');
  assert.ok(workload.failed >= 1, 'the faults made some fail');
  const m = await metrics();
  assert.equal(m.generations.total, 13);
  assert.equal(m.generations.failed, workload.failed);
  assert.equal(m.generations.aborted, workload.aborted);
  assert.deepEqual(Object.keys(m.generations.byType).sort(), ['chat', 'enhance_summary', 'translate']);
  assert.equal(m.generations.byType.enhance_summary.total, 4);
  assert.equal(m.generations.byType.translate.total, 4);
  assert.equal(m.generations.byType.chat.total, 5);
  assert.equal(m.generations.finishReasons.abort, workload.aborted);
  assert.ok(m.generations.byOperation.chat.total === 13);

  await panelShows('generations.total', 13);
  for (const p of ['generations.succeeded', 'generations.failed', 'generations.aborted', 'initialization.loads', 'errors.total'])
    assert.equal(await panelRaw(p), String(p.split('.').reduce((o, k) => o[k], m)), `panel ${p}`);
});

test('"Inject DeviceLostError" shows in metrics.errors, the chat and the panel\'s error log', async () => {
  const before = await metrics();
  await page.click('[data-demo=inject-device-lost]');
  await idle();
  const m = await metrics();
  assert.equal(m.errors.byName.DeviceLostError, 1);
  assert.equal(m.errors.recent[0].name, 'DeviceLostError');
  assert.match(m.errors.recent[0].message, /WebGPU device was lost/);
  assert.equal(m.generations.total, before.generations.total + 1);
  assert.match(await page.textContent('[data-demo=msg-error] >> nth=-1'), /^DeviceLostError: The WebGPU device was lost/);
  await page.waitForFunction(
    () => /DeviceLostError/.test(document.querySelector('[data-demo=inline-panel] [data-wlm-section=errors]')?.textContent ?? ''),
    undefined,
    { timeout: 5000 },
  );
  await panelShows('errors.total', m.errors.total);
});

/** RFC 4180: rows of cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      (row.push(cell), rows.push(row), (row = []), (cell = ''));
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) (row.push(cell), rows.push(row));
  return rows;
}

/** Clicks `selector`, returns the downloaded file's name and text. */
async function download(selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = await d.path();
  return { name: d.suggestedFilename(), text: await readFile(file, 'utf8') };
}

test("the download buttons (the demo's and the panel's) give valid JSON and CSV", async () => {
  const m = await metrics();
  for (const selector of ['[data-demo=download-json]', '[data-demo=inline-panel] [data-wlm-section=actions] [data-wlm-action=download-json]']) {
    const { name, text } = await download(selector);
    assert.match(name, /\.json$/);
    const doc = JSON.parse(text);
    assert.equal(doc.schemaVersion, 2);
    assert.equal(doc.generations.length, m.generations.total);
    assert.equal(doc.metrics.generations.total, m.generations.total);
  }
  for (const selector of ['[data-demo=download-csv]', '[data-demo=inline-panel] [data-wlm-section=actions] [data-wlm-action=download-csv]']) {
    const { name, text } = await download(selector);
    assert.match(name, /\.csv$/);
    const rows = parseCsv(text);
    assert.equal(rows.length, m.generations.total + 1, 'a header and one row per generation');
    const header = rows[0];
    assert.ok(header.includes('model') && header.includes('errorName'), header.join(','));
    assert.ok(
      rows.every((r) => r.length === header.length),
      'every row has every column',
    );
    const errorName = header.indexOf('errorName');
    assert.equal(rows.filter((r) => r[errorName] === 'DeviceLostError').length, 1);
  }
});

test('the drawer opens over the page and closes', async () => {
  await page.click('[data-demo=open-drawer]');
  const drawer = page.getByRole('dialog', { name: 'WebLLM monitor (drawer)' });
  await drawer.waitFor({ state: 'visible' });
  const total = (await metrics()).generations.total;
  await page.waitForFunction(
    (total) => document.querySelector('[role=dialog] [data-wlm-value="generations.total"]')?.getAttribute('data-wlm-raw') === String(total),
    total,
  );
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-wlm-mode=drawer]').count(), 0);
});

test('screenshots in light and dark', async () => {
  await page.evaluate(() => document.activeElement?.blur());
  await page.mouse.move(1, 1); // no hover highlight
  await page.waitForTimeout(300); // the panel's last throttled refresh and chart redraw
  const light = await b.screenshot(page, 'light');
  if (process.env.UPDATE_DOCS_SCREENSHOT) {
    // The README's picture (committed): UPDATE_DOCS_SCREENSHOT=1 node --test tests/browser/demo.test.mjs
    await mkdir(path.join(REPO_ROOT, 'docs'), { recursive: true });
    await copyFile(light, path.join(REPO_ROOT, 'docs', 'demo.png'));
  }
  await page.click('[data-demo=theme]');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.waitForSelector('[data-demo=inline-panel] [data-wlm-theme=dark]');
  await page.waitForTimeout(300);
  assert.equal(await b.screenshot(page, 'dark'), path.join(RESULTS_DIR, 'demo-dark.png'));
  await page.click('[data-demo=theme]');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
});

test("the real engine without a usable model shows WebLLM's error, and the demo still works", async () => {
  const before = await metrics();
  await page.check('[data-demo=real-engine]');
  await page.click('[data-demo=load]');
  await page.waitForSelector('[data-demo=alert]', { timeout: 20_000 });
  await idle();
  assert.ok(b.server.requests.includes(webllmChunk), 'the real engine loaded @mlc-ai/web-llm on demand');
  const m = await metrics();
  assert.equal(m.initialization.loads, before.initialization.loads + 1);
  assert.equal(m.initialization.failed, 1);
  const recorded = m.errors.recent[0];
  assert.equal(recorded.operation, 'load');
  const shownName = await page.textContent('[data-demo=alert-name]');
  assert.equal(shownName, recorded.name, 'the page shows the name the monitor recorded');
  assert.match(await page.textContent('[data-demo=alert-message]'), new RegExp(recorded.message.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(await page.textContent('[data-demo=alert]'), /switched back to the simulated engine/);
  assert.equal(await page.isChecked('[data-demo=real-engine]'), false);

  // Still usable: the simulated model is still loaded and answers.
  await page.fill('[data-demo=input]', 'Still there?');
  await page.click('[data-demo=send]');
  await page.waitForFunction(() => {
    const last = [...document.querySelectorAll('[data-demo=msg-assistant]')].pop();
    return last?.dataset.streaming === 'false' && last.textContent.length > 0;
  });
  assert.equal((await metrics()).generations.total, m.generations.total + 1);
  await b.screenshot(page, 'real-engine-error');
});

test('without WebGPU the real engine reports WebGPUNotAvailableError', async (t) => {
  const context = await b.browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  await context.addInitScript(() => {
    delete Object.getPrototypeOf(navigator).gpu;
  });
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e));
  await p.goto(b.server.url('/index.html?speed=100'));
  await p.evaluate(() => window.ready);
  assert.equal(await p.evaluate(() => 'gpu' in navigator), false);
  await p.check('[data-demo=real-engine]');
  await p.click('[data-demo=load]');
  await p.waitForSelector('[data-demo=alert]');
  assert.equal(await p.textContent('[data-demo=alert-name]'), 'WebGPUNotAvailableError');
  assert.equal(await p.isChecked('[data-demo=real-engine]'), false);
  await p.click('[data-demo=load]');
  await p.waitForSelector('[data-demo=load-status][data-phase=ready]');
  assert.deepEqual(errors, []);
});

// The React panel (webllm-monitor/react) in headless Chromium: a page bundled by Vite (package
// names aliased to the repository's js/ files) renders MonitorPanel over a monitor fed by the
// simulated WebLLM engine. The panel's numbers must equal getMetrics() exactly; the charts must be
// drawn; keyboard use, downloads, pause, reset, themes, the drawer and style scoping are checked.
// Screenshots: test-results/browser/panel-*.png.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, RESULTS_DIR, useBrowser } from './harness.mjs';
import { UPLOT_CSS } from '../../js/react/uplot-css.js';
import { PANEL_STYLES, scopeCss } from '../../js/react/styles.js';
import { histogramBins } from '../../js/react/charts.js';
import { fmtBytes, fmtInt, fmtMs, fmtNum, fmtPct, fmtTps } from '../../js/react/format.js';
import { schemaVersion } from '../../js/core.js';

/** Bundles the test page with Vite into a temporary folder (about 0.3 s). */
async function buildPage() {
  const dir = await mkdtemp(path.join(tmpdir(), 'wlm-panel-'));
  const { build } = await import('vite');
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'development'; // React's development build: its warnings fail the page
  try {
    await build({
      root: path.join(REPO_ROOT, 'tests/browser/pages/panel'),
      configFile: false,
      logLevel: 'silent',
      mode: 'development',
      resolve: {
        alias: [
          { find: /^webllm-monitor$/, replacement: path.join(REPO_ROOT, 'js/index.js') },
          { find: /^webllm-monitor\/react$/, replacement: path.join(REPO_ROOT, 'js/react/index.js') },
          { find: /^webllm-monitor\/simulated-engine$/, replacement: path.join(REPO_ROOT, 'js/simulated-engine.js') },
        ],
      },
      build: { outDir: dir, emptyOutDir: true, minify: false, reportCompressedSize: false },
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
  return dir;
}

// Built before the hooks are registered: useBrowser's before hook serves the folder.
const outDir = await buildPage();

const b = useBrowser({ name: 'panel', root: outDir });

after(async () => {
  await rm(outDir, { recursive: true, force: true });
});

const ROOT = '.wlm-panel';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** In the page: every [data-wlm-source] number against getMetrics() / getStatus(). */
function compareWithMetrics() {
  const metrics = window.api.metrics();
  const rootObj = { ...metrics, status: window.api.status() };
  const resolve = (obj, p) => {
    let o = obj;
    for (const m of p.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) o = o?.[m[1] ?? m[2]];
    return o;
  };
  const mismatches = [];
  let compared = 0;
  for (const el of document.querySelectorAll('.wlm-panel [data-wlm-source]')) {
    const source = el.getAttribute('data-wlm-source');
    const expected = resolve(rootObj, source);
    const raw = el.getAttribute('data-wlm-raw');
    // A window's rates divide by its span, which grows with the clock between two reads: close, not equal.
    const moving = /^windows\.[^.]+\.generations\.throughput\.(tokensPerSec|requestsPerSec|wallTimeMs)$/.test(source);
    const ok = moving && typeof expected === 'number'
      ? Math.abs(Number(raw) - expected) <= 0.05 * expected
      :
      expected === null || expected === undefined
        ? raw === 'null'
        : typeof expected === 'number'
          ? Number(raw) === expected && JSON.parse(raw) === expected
          : raw === String(expected);
    compared++;
    if (!ok) mismatches.push(`${source}: panel ${raw}, metrics ${JSON.stringify(expected)}`);
  }
  return { compared, mismatches, total: metrics.generations.total };
}

/** Polls compareWithMetrics until the panel has caught up (subscribe is throttled). */
async function inSync(page, ms = 4000) {
  const end = Date.now() + ms;
  let r;
  for (;;) {
    r = await page.evaluate(compareWithMetrics);
    if (r.mismatches.length === 0 || Date.now() > end) return r;
    await sleep(100);
  }
}

const raw = (page, valuePath) => page.getAttribute(`${ROOT} [data-wlm-value="${valuePath}"]`, 'data-wlm-raw');

async function openWithWorkload(t, query) {
  const opened = await b.open(t, `/index.html${query}`, { fresh: true });
  const total = await opened.page.evaluate(() => window.api.workload());
  assert.equal(total, 34, '30 streamed + 1 injected DeviceLostError + 3 old generations');
  return { ...opened, total };
}

/** React's and the page's own warnings (the monitor's log is silenced in the page). */
const pageWarnings = (messages) => messages.filter((m) => /^(error|warning):/.test(m));

test('the panel embeds uPlot CSS verbatim and scopes every selector under .wlm-panel', async () => {
  const installed = await readFile(path.join(REPO_ROOT, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
  assert.equal(UPLOT_CSS, installed, 'js/react/uplot-css.js is a copy of the installed uPlot CSS: regenerate it after a uPlot upgrade');
  assert.ok(PANEL_STYLES.startsWith(scopeCss(UPLOT_CSS, '.wlm-panel')));
  assert.equal(scopeCss('a, .b > c{x:1}@media (x){d{y:2}}', '.s'), '.s a, .s .b > c{x:1}@media (x){.s d{y:2}}');
  // The chart's bars are the sketch's buckets merged 2^k at a time: counts are kept.
  const bins = histogramBins({ scale: 7, offset: 850, counts: [3, ...new Array(383).fill(0), 2, 0, 5], zeroCount: 1 }, 40);
  assert.equal(bins.reduce((s, x) => s + x.count, 0), 11);
  assert.ok(bins.length <= 40);
  assert.deepEqual([bins[0].lo, bins[0].hi, bins[0].count], [0, 0, 1]);
  assert.ok(bins[1].lo <= 2 ** (850 / 128) && bins[1].hi > 2 ** (851 / 128) && bins[1].count === 3);
  assert.deepEqual(histogramBins({ scale: 7, offset: 0, counts: [], zeroCount: 0 }), []);
  // Display rounding: awkward floats come out with a few decimals at most (the data keep them).
  const shown = [
    fmtMs(14.900000000139698), fmtMs(0.30000000000000004), fmtMs(1234.5678901), fmtMs(65432.1), fmtTps(240.00000000001), fmtTps(11.333333333),
    fmtTps(4.56789), fmtPct(0.12345678), fmtPct(0.0012345), fmtBytes(15007744.123), fmtBytes(1536.7), fmtNum(14.900000000139698), fmtInt(14.9),
  ];
  assert.deepEqual(shown.filter((x) => /\d[.,]\d{3,}/.test(x)), [], shown.join(' | '));
  assert.equal(fmtMs(14.900000000139698), `${(14.9).toLocaleString()} ms`);
  // Duration buckets are in seconds: the bars' edges come out in milliseconds.
  const ms = histogramBins({ scale: 7, offset: -1, counts: [4], zeroCount: 0, unit: 's' });
  assert.deepEqual([ms[0].lo, ms[0].hi, ms[0].count], [1000 * 2 ** (-1 / 128), 1000, 4]);
});

test('inline panel (light): numbers equal getMetrics(), tables, charts, keyboard, downloads, pause, reset, scoping', async (t) => {
  const { page, messages, total } = await openWithWorkload(t, '?theme=light');
  const nativeDialogs = [];
  page.on('dialog', (d) => {
    nativeDialogs.push(d.message());
    void d.dismiss();
  });

  await t.test('every number shown equals getMetrics() (data-wlm-raw)', async () => {
    const r = await inSync(page);
    assert.deepEqual(r.mismatches, []);
    assert.ok(r.compared >= 100, `compared ${r.compared} numbers`);
    assert.equal(await raw(page, 'generations.total'), String(total));
    const m = await page.evaluate(() => window.api.metrics());
    assert.ok(m.generations.aborted > 0 && m.generations.failed > 0, 'the workload has aborts and failures');
    for (const p of ['generations.latencyMs.p95', 'generations.ttftMs.p50', 'generations.decodeTokensPerSec.p50', 'generations.errorRate', 'cache.hitRate', 'initialization.lastDurationMs']) {
      const v = p.split('.').reduce((o, k) => o[k], m);
      assert.equal(JSON.parse(await raw(page, p)), v, p);
    }
    // Breakdown tables: a row per type and per model.
    const typeRows = await page.$$eval(`${ROOT} [data-wlm-table="byType"] tbody tr`, (rows) => rows.map((r) => r.getAttribute('data-wlm-row')).sort());
    assert.deepEqual(typeRows, ['chat', 'enhance_summary', 'translate']);
    const modelRows = await page.$$eval(`${ROOT} [data-wlm-table="byModel"] tbody tr`, (rows) => rows.map((r) => r.getAttribute('data-wlm-row')).sort());
    assert.deepEqual(modelRows, ['Llama-3.2-1B-Instruct-q4f16_1-MLC', 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC']);
    // Status: health badge with a text label (not colour alone), model, ready, debug flag.
    const status = await page.evaluate(() => {
      const s = document.querySelector('.wlm-panel [data-wlm-section="status"]');
      return { badge: s.querySelector('[data-wlm-value="health.status"]').textContent, text: s.textContent };
    });
    assert.match(status.badge, new RegExp(m.health.status, 'i'));
    assert.match(status.text, /Llama-3\.2-1B-Instruct-q4f16_1-MLC/);
    assert.match(status.text, /Ready/);
    assert.match(status.text, /Debug\s*Off/);
    // Initialization: the second load came from the cache.
    assert.equal(await raw(page, 'initialization.lastFromCache'), 'true');
    assert.equal(m.initialization.loads, 2);
  });

  await t.test('the recent generations table: newest first, the history\'s values', async () => {
    const { rows, gens } = await page.evaluate(() => ({
      gens: window.api.generations(),
      rows: [...document.querySelectorAll('.wlm-panel [data-wlm-table="recent"] tbody tr')].map((tr) => ({
        row: tr.getAttribute('data-wlm-row'),
        cells: Object.fromEntries([...tr.querySelectorAll('[data-wlm-field]')].map((td) => [td.getAttribute('data-wlm-field'), td.getAttribute('data-wlm-raw') ?? td.textContent])),
      })),
    }));
    assert.equal(rows.length, gens.length);
    const expected = gens.map((g, i) => [i, g]).reverse();
    rows.forEach((r, k) => {
      const [i, g] = expected[k];
      assert.equal(r.row, String(i));
      assert.equal(JSON.parse(r.cells.startedAt), g.startedAt);
      assert.equal(JSON.parse(r.cells.durationMs), g.durationMs);
      assert.equal(JSON.parse(r.cells.ttftMs), g.ttftMs);
      assert.equal(JSON.parse(r.cells.completionTokens), g.completionTokens);
      assert.equal(JSON.parse(r.cells.decodeTokensPerSec), g.decodeTokensPerSec);
      assert.equal(r.cells.finishReason, g.finishReason);
      assert.equal(r.cells.type, g.type);
      assert.equal(r.cells.model, g.model);
    });
    assert.ok(rows.some((r) => r.cells.finishReason === 'abort'));
  });

  await t.test('the injected DeviceLostError is in the error log', async () => {
    const errors = await page.$$eval(`${ROOT} [data-wlm-list="errors"] [data-wlm-row]`, (rows) =>
      rows.map((tr) => Object.fromEntries([...tr.querySelectorAll('[data-wlm-field]')].map((td) => [td.getAttribute('data-wlm-field'), td.textContent]))),
    );
    const lost = errors.find((e) => e.name === 'DeviceLostError');
    assert.ok(lost, `DeviceLostError in ${JSON.stringify(errors.map((e) => e.name))}`);
    assert.match(lost.message, /^WebGPU device was lost/);
    assert.equal(lost.model, 'Llama-3.2-1B-Instruct-q4f16_1-MLC');
    assert.equal(lost.operation, 'chat');
    assert.equal(await raw(page, 'errors.byName[DeviceLostError]'), '1');
  });

  await t.test('charts: uPlot canvases with the series drawn; the histogram\'s bars are the sketch\'s buckets', async () => {
    await page.locator(`${ROOT} [data-wlm-section="charts"]`).scrollIntoViewIfNeeded();
    await page.waitForSelector(`${ROOT} [data-wlm-table="latency-histogram"]`, { state: 'attached', timeout: 5000 });
    const charts = await page.evaluate(() => {
      const root = document.querySelector('.wlm-panel');
      const cs = getComputedStyle(root);
      const rgb = (v) => {
        const hex = cs.getPropertyValue(v).trim();
        return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      };
      // Pixels near each chart colour, one readback per canvas.
      const colours = { c1: rgb('--wlm-chart-1'), c2: rgb('--wlm-chart-2'), c3: rgb('--wlm-chart-3') };
      const count = (canvas) => {
        const out = { c1: 0, c2: 0, c3: 0 };
        if (!canvas) return out;
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] < 200) continue;
          for (const [k, [r, g, b]] of Object.entries(colours)) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 60) out[k]++;
        }
        return out;
      };
      const out = {};
      for (const fig of root.querySelectorAll('[data-wlm-chart]')) {
        const canvas = fig.querySelector('canvas');
        out[fig.getAttribute('data-wlm-chart')] = {
          canvases: fig.querySelectorAll('.uplot canvas').length,
          width: canvas?.width ?? 0,
          label: fig.querySelector('[role="img"]').getAttribute('aria-label'),
          ...count(canvas),
        };
      }
      return out;
    });
    assert.deepEqual(Object.keys(charts).sort(), ['decode-tps', 'latency-histogram', 'memory', 'ttft']);
    for (const [name, c] of Object.entries(charts)) {
      assert.equal(c.canvases, 1, `${name}: one uPlot canvas`);
      assert.ok(c.width > 100, `${name}: sized`);
      assert.ok(c.label.length > 20, `${name}: an aria-label`);
    }
    assert.ok(charts['decode-tps'].c1 > 50, `decode tok/s series drawn (${charts['decode-tps'].c1} px)`);
    assert.ok(charts.ttft.c2 > 50, `TTFT series drawn (${charts.ttft.c2} px)`);
    assert.ok(charts.memory.c1 > 50 && charts.memory.c3 > 50, `JS heap and wasm heap drawn (${charts.memory.c1}, ${charts.memory.c3} px)`);
    assert.ok(charts['latency-histogram'].c1 > 200, `histogram bars drawn (${charts['latency-histogram'].c1} px)`);

    const { bins, sketch, count } = await page.evaluate(() => ({
      bins: [...document.querySelectorAll('.wlm-panel [data-wlm-table="latency-histogram"] tbody td[data-wlm-raw]')].map((td) => ({
        count: JSON.parse(td.getAttribute('data-wlm-raw')),
        lo: JSON.parse(td.getAttribute('data-wlm-lo')),
        hi: JSON.parse(td.getAttribute('data-wlm-hi')),
      })),
      sketch: window.api.latencySketch(),
      count: window.api.metrics().generations.latencyMs.count,
    }));
    assert.equal(bins.reduce((s, x) => s + x.count, 0), count, 'the bars sum to the latency count');
    assert.equal(sketch.count, count);
    // Under 257 values the sketch keeps them exactly: each bar holds the values inside its edges.
    assert.equal(sketch.exact.length, count);
    const nearEdge = sketch.exact.some((v) => bins.some((x) => Math.abs(v - x.lo) <= 1e-9 * v || Math.abs(v - x.hi) <= 1e-9 * v));
    if (!nearEdge) {
      const perBin = bins.map((x) => sketch.exact.filter((v) => (x.hi === 0 ? v === 0 : v > x.lo && v <= x.hi)).length);
      assert.deepEqual(perBin, bins.map((x) => x.count));
    }
  });

  await t.test('styles: one adopted sheet, no <style>, every selector under .wlm-panel, the host page unaffected', async () => {
    const s = await page.evaluate(() => {
      const bad = [];
      let rules = 0;
      const walk = (list) => {
        for (const r of list) {
          if (r instanceof CSSStyleRule) {
            rules++;
            for (const sel of r.selectorText.split(',')) if (!sel.trim().startsWith('.wlm-panel')) bad.push(sel.trim());
          } else if (r instanceof CSSMediaRule) walk(r.cssRules);
          else bad.push(`unexpected rule: ${r.cssText.slice(0, 60)}`);
        }
      };
      const adopted = document.adoptedStyleSheets;
      if (adopted.length > 0) walk(adopted[0].cssRules);
      return {
        adopted: adopted.length,
        ids: document.querySelectorAll('#webllm-monitor-panel-styles').length,
        styles: document.querySelectorAll('style').length,
        bad,
        rules,
        rootClass: document.querySelector('.wlm-panel').className,
        before: window.api.hostBefore(),
        now: window.api.hostNow(),
      };
    });
    assert.equal(s.adopted, 1, 'one constructed sheet, adopted by the document');
    assert.equal(s.ids, 0, 'no fallback <style> element');
    assert.equal(s.styles, 1, "only the host's <style>");
    assert.deepEqual(s.bad, []);
    assert.ok(s.rules > 80);
    assert.match(s.rootClass, /\bhost-extra-class\b/);
    assert.deepEqual(s.now, s.before, 'host elements named like panel elements keep their computed style');
    assert.equal(s.now.card['border-top-style'], 'dotted', "the host's own .card rule still applies");
  });

  await t.test('contrast of the light theme', async () => {
    const ratios = await page.evaluate(contrastRatios);
    for (const [pair, r] of Object.entries(ratios)) assert.ok(r >= 4.5, `${pair}: contrast ${r.toFixed(2)} >= 4.5`);
  });

  await b.screenshot(page, 'light');

  await t.test('the window selector: a radio group with arrow keys; "1m" shows windows["1m"]', async () => {
    const sessionTotal = Number(await raw(page, 'generations.total'));
    await page.focus(`${ROOT} [role="radiogroup"] [aria-checked="true"]`);
    await page.keyboard.press('ArrowRight');
    const state = await page.evaluate(() => ({
      active: document.activeElement.getAttribute('data-wlm-window'),
      checked: document.querySelector('.wlm-panel [role="radio"][aria-checked="true"]').getAttribute('data-wlm-window'),
      tabbable: [...document.querySelectorAll('.wlm-panel [role="radio"]')].filter((r) => r.tabIndex === 0).length,
    }));
    assert.deepEqual(state, { active: '1m', checked: '1m', tabbable: 1 });
    const r = await inSync(page);
    assert.deepEqual(r.mismatches, []);
    const m = await page.evaluate(() => window.api.metrics());
    assert.equal(await page.getAttribute(`${ROOT} [data-wlm-value="generations.total"]`, 'data-wlm-source'), 'windows.1m.generations.total');
    assert.equal(Number(await raw(page, 'generations.total')), m.windows['1m'].generations.total);
    assert.equal(sessionTotal - m.windows['1m'].generations.total, 3, 'the 3 old generations are not in the last minute');
    assert.equal(JSON.parse(await raw(page, 'generations.latencyMs.p95')), m.windows['1m'].generations.latencyMs.p95);
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-checked') + document.activeElement.getAttribute('data-wlm-window')), 'true1h');
    assert.equal(Number(await raw(page, 'generations.total')), sessionTotal, 'the last hour holds them all');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-wlm-window')), '5m');
    await page.keyboard.press('Home');
    assert.equal(await page.getAttribute(`${ROOT} [data-wlm-value="generations.total"]`, 'data-wlm-source'), 'generations.total');
    assert.equal(Number(await raw(page, 'generations.total')), sessionTotal);
  });

  await t.test('Tab reaches the actions in order, with a visible focus ring', async () => {
    await page.focus('[data-host-probe="button"]'); // the host page's last control before the panel
    const seen = [];
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const a = document.activeElement;
        const cs = getComputedStyle(a);
        return {
          inPanel: !!a.closest('.wlm-panel'),
          id: a.getAttribute('data-wlm-action') ?? a.getAttribute('data-wlm-window') ?? a.tagName.toLowerCase(),
          outline: `${cs.outlineStyle} ${cs.outlineWidth}`,
        };
      });
      seen.push(f);
      if (f.id === 'download-csv') break;
    }
    const ids = seen.filter((f) => f.inPanel).map((f) => f.id);
    assert.deepEqual(ids, ['session', 'pause', 'refresh', 'print', 'download-json', 'download-csv']);
    for (const f of seen.filter((x) => x.inPanel)) assert.equal(f.outline, 'solid 2px', `${f.id} shows a focus ring`);
  });

  await t.test('print, download JSON and CSV', async () => {
    await page.click(`${ROOT} [data-wlm-action="print"]`);
    await page.waitForFunction(() => document.querySelector('.wlm-panel .wlm-notice').textContent.includes('console'));
    assert.ok(messages.some((m) => m.startsWith('log: webllm-monitor report')), 'printMetrics wrote the report');

    const [json] = await Promise.all([page.waitForEvent('download'), page.click(`${ROOT} [data-wlm-action="download-json"]`)]);
    assert.match(json.suggestedFilename(), /^webllm-metrics-.*\.json$/);
    const doc = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.equal(doc.schemaVersion, schemaVersion);
    assert.equal(
      await page.getAttribute(`${ROOT} [data-wlm-action="download-json"]`, 'title'),
      `The export document (schema version ${doc.schemaVersion})`,
      "the button's tooltip names the version the file has",
    );
    assert.equal(doc.metrics.generations.total, total);
    assert.equal(doc.generations.length, total);

    const [csv] = await Promise.all([page.waitForEvent('download'), page.click(`${ROOT} [data-wlm-action="download-csv"]`)]);
    assert.match(csv.suggestedFilename(), /^webllm-metrics-.*\.csv$/);
    const lines = (await readFile(await csv.path(), 'utf8')).trim().split('\r\n');
    assert.equal(lines.length, total + 1);
    assert.match(lines[0], /^startedAt,model,type,operation,durationMs,ttftMs/);
  });

  await t.test('pause stops live updates, resume restarts them; the recent table keeps 50 rows', async () => {
    await page.click(`${ROOT} [data-wlm-action="pause"]`);
    assert.equal(await page.getAttribute(`${ROOT} [data-wlm-action="pause"]`, 'aria-pressed'), 'true');
    assert.equal(await page.textContent(`${ROOT} [data-wlm-action="pause"]`), 'Resume');
    for (let i = 0; i < 20; i++) await page.evaluate(() => window.api.record());
    await sleep(800); // more than 3 throttle periods
    assert.equal(await raw(page, 'generations.total'), String(total), 'no update while paused');
    await page.click(`${ROOT} [data-wlm-action="pause"]`);
    await page.waitForFunction((n) => document.querySelector('.wlm-panel [data-wlm-value="generations.total"]').getAttribute('data-wlm-raw') === String(n), total + 20, { timeout: 3000 });
    assert.equal(await page.getAttribute(`${ROOT} [data-wlm-action="pause"]`, 'aria-pressed'), 'false');
    const r = await inSync(page);
    assert.deepEqual(r.mismatches, []);
    assert.equal(await page.locator(`${ROOT} [data-wlm-table="recent"] tbody tr`).count(), 50);
    assert.equal(await page.getAttribute(`${ROOT} [data-wlm-table="recent"] tbody tr`, 'data-wlm-row'), String(total + 19));
  });

  await t.test('reset asks inside the panel first (Escape cancels), then resets', async () => {
    await page.click(`${ROOT} [data-wlm-action="reset"]`);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-wlm-action')), 'reset-cancel');
    assert.equal(await page.locator(`${ROOT} [data-wlm-confirm="reset"]`).count(), 1);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator(`${ROOT} [data-wlm-confirm="reset"]`).count(), 0);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-wlm-action')), 'reset');
    assert.equal(await raw(page, 'generations.total'), String(total + 20), 'nothing reset yet');
    await page.click(`${ROOT} [data-wlm-action="reset"]`);
    await page.click(`${ROOT} [data-wlm-action="reset-confirm"]`);
    await page.waitForFunction(() => document.querySelector('.wlm-panel [data-wlm-value="generations.total"]').getAttribute('data-wlm-raw') === '0');
    assert.equal(await page.evaluate(() => window.api.metrics().generations.total), 0);
    assert.deepEqual(nativeDialogs, [], 'no window.confirm');
  });

  await t.test('no polling: no interval under a second; render times', async () => {
    const intervals = await page.evaluate(() => window.api.intervals());
    assert.ok(intervals.every((ms) => ms >= 1000), `intervals: ${intervals.join(', ')}`);
    const commits = await page.evaluate(() => window.api.commits());
    const updates = commits.filter((c) => c.phase !== 'mount').map((c) => c.ms).sort((a, b) => a - b);
    const mount = commits.filter((c) => c.phase === 'mount').map((c) => c.ms);
    assert.ok(updates.length > 3);
    t.diagnostic(
      `React commits (development build, StrictMode): mount ${mount.map((x) => x.toFixed(1)).join(', ')} ms; ` +
        `${updates.length} updates: median ${updates[updates.length >> 1].toFixed(1)} ms, max ${updates[updates.length - 1].toFixed(1)} ms`,
    );
  });

  await t.test('after dispose(), an action reports the failure in the panel and throws nothing', async () => {
    await page.evaluate(() => window.api.dispose());
    await page.click(`${ROOT} [data-wlm-action="print"]`);
    assert.match(await page.textContent(`${ROOT} .wlm-notice`), /^Failed: .*disposed/);
    await page.click(`${ROOT} [data-wlm-action="refresh"]`);
    assert.match(await page.textContent(`${ROOT} [role="alert"]`), /cannot be read: .*disposed/);
  });

  assert.deepEqual(pageWarnings(messages), [], 'no React or page warnings');
});

/** In the page: contrast ratios (WCAG) of the theme's text colours on its backgrounds. */
function contrastRatios() {
  const root = document.querySelector('.wlm-panel');
  const cs = getComputedStyle(root);
  const rgb = (v) => {
    const hex = cs.getPropertyValue(v).trim();
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  };
  const lum = (c) => {
    const [r, g, b] = c.map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const out = {};
  for (const fg of ['--wlm-text', '--wlm-muted', '--wlm-ok', '--wlm-warn', '--wlm-crit', '--wlm-accent'])
    for (const bg of ['--wlm-bg', '--wlm-surface']) out[`${fg} on ${bg}`] = ratio(fg, bg);
  for (const [fg, bg] of [['--wlm-ok', '--wlm-ok-bg'], ['--wlm-warn', '--wlm-warn-bg'], ['--wlm-crit', '--wlm-crit-bg'], ['--wlm-accent-text', '--wlm-accent']])
    out[`${fg} on ${bg}`] = ratio(fg, bg);
  return out;
}

test('dark theme, and 360 px wide without horizontal overflow', async (t) => {
  const { page, messages } = await openWithWorkload(t, '?theme=dark');
  const r = await inSync(page);
  assert.deepEqual(r.mismatches, []);
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.wlm-panel')).backgroundColor);
  const [red, green, blue] = bg.match(/\d+/g).map(Number);
  assert.ok(red + green + blue < 150, `a dark background: ${bg}`);
  const ratios = await page.evaluate(contrastRatios);
  for (const [pair, x] of Object.entries(ratios)) assert.ok(x >= 4.5, `${pair}: contrast ${x.toFixed(2)} >= 4.5`);
  await page.locator(`${ROOT} [data-wlm-section="charts"]`).scrollIntoViewIfNeeded();
  await page.waitForSelector(`${ROOT} [data-wlm-table="latency-histogram"]`, { state: 'attached', timeout: 5000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await b.screenshot(page, 'dark');

  await page.setViewportSize({ width: 360, height: 740 });
  await sleep(200); // ResizeObserver -> uPlot setSize
  const overflow = await page.evaluate(() => {
    const root = document.querySelector('.wlm-panel');
    const wide = [...root.querySelectorAll('*')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > root.getBoundingClientRect().right + 1 && !el.closest('.wlm-scroll') && !el.closest('.wlm-sr-only');
    });
    return {
      page: document.documentElement.scrollWidth,
      root: [root.scrollWidth, root.clientWidth],
      wide: wide.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
      chartWidths: [...root.querySelectorAll('.uplot canvas')].map((c) => c.getBoundingClientRect().width),
    };
  });
  assert.ok(overflow.page <= 360, `the page does not scroll sideways (${overflow.page} px)`);
  assert.ok(overflow.root[0] <= overflow.root[1], `the panel does not overflow (${overflow.root})`);
  assert.deepEqual(overflow.wide, [], 'no element sticks out of the panel (tables scroll inside their wrappers)');
  assert.ok(overflow.chartWidths.every((w) => w <= 330), `charts fit: ${overflow.chartWidths}`);
  await b.screenshot(page, 'narrow');
  assert.deepEqual(pageWarnings(messages), []);
});

/** Polls until the panel shows `value` for `valuePath` (subscribe is throttled). */
const waitForRaw = (page, valuePath, value) =>
  page.waitForFunction(
    ([p, v]) => document.querySelector(`.wlm-panel [data-wlm-value="${p}"]`)?.getAttribute('data-wlm-raw') === v,
    [valuePath, value],
    { timeout: 5000 },
  );

/** In the page: what each chart holds and shows (the Chart component keeps its uPlot on its box). */
function chartState() {
  const out = {};
  for (const fig of document.querySelectorAll('.wlm-panel [data-wlm-chart]')) {
    const plot = fig.querySelector('.uplot')?.parentElement.wlmPlot;
    out[fig.getAttribute('data-wlm-chart')] = {
      data: plot ? plot.data.map((d) => [...d]) : null,
      // uPlot keeps the tick labels it drew last on each axis (_values).
      axes: plot ? plot.axes.map((a) => ({ side: a.side, scale: a.scale, show: a.show !== false, ticks: a._values ?? [] })) : [],
      seriesScales: plot ? plot.series.map((s) => s.scale) : [],
      legend: [...fig.querySelectorAll('.u-legend .u-series')].map((tr) => [tr.querySelector('.u-label')?.textContent ?? '', tr.querySelector('.u-value')?.textContent ?? '']),
      table: [...fig.querySelectorAll('[data-wlm-table="latency-histogram"] tbody td[data-wlm-raw]')].map((td) => JSON.parse(td.getAttribute('data-wlm-raw'))),
      empty: fig.querySelector('.wlm-chart-empty')?.textContent ?? null,
    };
  }
  return out;
}

/** In the page: visible texts and tooltips of the panel with a number of more than `max` decimals. */
function longDecimals(max) {
  const re = new RegExp(`\\d[.,]\\d{${max + 1},}`);
  const root = document.querySelector('.wlm-panel');
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (re.test(n.textContent)) out.push(n.textContent);
  for (const el of root.querySelectorAll('[title], [aria-label]')) {
    for (const a of ['title', 'aria-label']) if (re.test(el.getAttribute(a) ?? '')) out.push(`${a}: ${el.getAttribute(a)}`);
  }
  // The charts' tick labels are drawn on the canvas: uPlot keeps the last ones (_values).
  for (const u of root.querySelectorAll('.uplot')) {
    for (const a of u.parentElement.wlmPlot?.axes ?? []) for (const v of a._values ?? []) if (re.test(String(v))) out.push(`tick: ${v}`);
  }
  return out;
}

/**
 * In the page: each scroll box of the panel's tables: whether it is wider than its box, its cue
 * (the frame's data-wlm-overflow, the right edge's shade, the hint) at the start and at the end,
 * and which columns never come whole into sight when it is scrolled from start to end.
 */
async function scrollBoxes() {
  const settle = async (frame, not) => {
    // The overflow state follows the scroll event: a few frames at most.
    for (let i = 0; i < 30 && frame.getAttribute('data-wlm-overflow') === not; i++) await new Promise((r) => requestAnimationFrame(r));
  };
  const cue = (frame) => {
    // Right: a shade on the edge; left: a shadow along the first column (it stays in place).
    const after = getComputedStyle(frame, '::after');
    const first = frame.querySelector('thead th');
    const hint = frame.querySelector('.wlm-scroll-hint');
    return {
      overflow: frame.getAttribute('data-wlm-overflow'),
      right: after.content !== 'none' ? Number(after.opacity) : 0,
      left: getComputedStyle(first).position === 'sticky' && getComputedStyle(first, '::after').content !== 'none' ? Number(getComputedStyle(first, '::after').opacity) : 0,
      hint: hint && hint.getClientRects().length > 0 ? hint.textContent : null,
    };
  };
  const out = [];
  for (const box of document.querySelectorAll('.wlm-panel .wlm-scroll')) {
    const table = box.querySelector('table');
    if (!table) continue;
    const frame = box.closest('[data-wlm-overflow]');
    box.scrollIntoView({ block: 'center' });
    const max = box.scrollWidth - box.clientWidth;
    const wide = max > 1;
    const headers = [...table.querySelectorAll('thead th')];
    const seen = new Set();
    for (let x = 0; ; x = Math.min(max, x + 12)) {
      box.scrollLeft = x;
      const b = box.getBoundingClientRect();
      headers.forEach((th, i) => {
        const r = th.getBoundingClientRect();
        const y = (r.top + r.bottom) / 2;
        const whole = r.left >= b.left - 1 && r.right <= b.right + 1;
        if (whole && th.contains(document.elementFromPoint(r.left + 2, y)) && th.contains(document.elementFromPoint(r.right - 2, y))) seen.add(i);
      });
      if (x >= max) break;
    }
    await settle(frame, wide ? 'end' : null);
    const atEnd = frame ? cue(frame) : null;
    box.scrollLeft = 0;
    await settle(frame, wide ? 'start' : null);
    out.push({
      table: table.getAttribute('data-wlm-table'),
      wide,
      columns: headers.length,
      hidden: headers.filter((_, i) => !seen.has(i)).map((th) => th.textContent),
      atStart: frame ? cue(frame) : null,
      atEnd,
      focusable: box.tabIndex >= 0 && !!box.getAttribute('aria-label') && box.getAttribute('role') === 'region',
    });
  }
  window.scrollTo(0, 0);
  return out;
}

test("a user's view after 10 generations at 800 and 1280 px: current charts, two memory axes, legends without hover, labelled throughput, scrollable tables, rounded numbers", async (t) => {
  const { page, messages } = await b.open(t, '/index.html?theme=light', { fresh: true });
  await page.setViewportSize({ width: 800, height: 700 });
  const charts = page.locator(`${ROOT} [data-wlm-section="charts"]`);
  // One generation with the charts on screen, then nine more with them far off screen.
  await page.evaluate(() => window.api.run(1));
  await waitForRaw(page, 'generations.total', '1');
  await charts.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll('.wlm-panel [data-wlm-table="latency-histogram"] tbody tr').length > 0, undefined, { timeout: 5000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const offScreen = await charts.evaluate((el) => el.getBoundingClientRect().top - innerHeight);
  assert.ok(offScreen > 300, `the charts are off screen (${offScreen} px below the viewport)`);
  assert.equal(await page.evaluate(() => window.api.run(9)), 10);
  await waitForRaw(page, 'generations.total', '10');

  await t.test('charts off screen show the current data: the histogram\'s bars are the sketch\'s buckets', async () => {
    const expected = async () => {
      const { sketch, gens, mem } = await page.evaluate(() => ({ sketch: window.api.latencySketch(), gens: window.api.generations(), mem: window.api.memorySnapshots() }));
      return { bars: histogramBins(sketch.histogram).map((x) => x.count), points: gens.length, samples: mem.filter((m) => typeof m.timestamp === 'number').length };
    };
    const seen = async () => {
      const c = await page.evaluate(chartState);
      return { bars: c['latency-histogram'].data?.[1] ?? [], table: c['latency-histogram'].table, points: c['decode-tps'].data?.[0].length ?? 0, samples: c.memory.data?.[0].length ?? 0 };
    };
    // Wait (bounded) for the throttled updates, then compare whatever is shown.
    const end = Date.now() + 5000;
    let want = await expected();
    let got = await seen();
    while (Date.now() < end && !(JSON.stringify(got.bars) === JSON.stringify(want.bars) && got.points === want.points && got.samples >= want.samples)) {
      await sleep(100);
      [want, got] = [await expected(), await seen()];
    }
    assert.ok(want.bars.length > 1, `the 10 latencies fall in more than one bucket (${want.bars})`);
    assert.deepEqual(got.bars, want.bars, 'the histogram drawn while off screen has the sketch\'s buckets');
    assert.deepEqual(got.table, want.bars, 'and so has its table');
    assert.equal(got.bars.reduce((s, x) => s + x, 0), 10);
    assert.equal(got.points, want.points, 'the decode chart has a point per generation');
    assert.ok(got.samples >= want.samples, `the memory chart has every snapshot (${got.samples} of ${want.samples})`);
  });

  await t.test('the memory chart: two y axes, each with ticks; legends show the latest values without hover', async () => {
    const c = await page.evaluate(chartState);
    const mem = c.memory;
    const yAxes = mem.axes.filter((a) => a.show && (a.side === 1 || a.side === 3));
    assert.equal(yAxes.length, 2, `two y axes: ${JSON.stringify(mem.axes)}`);
    assert.notEqual(yAxes[0].scale, yAxes[1].scale, 'on two scales');
    assert.deepEqual(yAxes.map((a) => a.side).sort(), [1, 3], 'one on the left, one on the right');
    for (const a of yAxes) {
      assert.ok(a.ticks.length >= 3, `axis ${a.scale}: ticks ${JSON.stringify(a.ticks)}`);
      assert.equal(new Set(a.ticks).size, a.ticks.length, `axis ${a.scale}: distinct tick labels ${JSON.stringify(a.ticks)}`);
    }
    const jsScale = mem.seriesScales[1];
    const wasmScale = mem.seriesScales[2];
    assert.notEqual(jsScale, wasmScale, 'JS heap and wasm heap are on different axes');
    assert.ok(yAxes.some((a) => a.scale === jsScale) && yAxes.some((a) => a.scale === wasmScale));
    const mouseOut = await page.evaluate(() => [...document.querySelectorAll('.wlm-panel .u-legend .u-series')].every((tr) => !tr.closest('.uplot').matches(':hover')));
    assert.ok(mouseOut, 'no chart is hovered');
    const snaps = await page.evaluate(() => window.api.memorySnapshots());
    for (const name of ['decode-tps', 'ttft', 'memory']) {
      for (const [label, value] of c[name].legend.slice(1)) {
        const none = name === 'memory' && label === 'GPU buffers' && snaps.every((s) => s.gpuBufferBytes === null);
        if (!none) assert.match(value, /\d/, `${name} legend "${label}" shows a value without hover: "${value}"`);
      }
      assert.match(c[name].legend[0][1], /\d/, `${name}: the legend says when: "${c[name].legend[0][1]}"`);
    }
  });

  await t.test('the 1-minute throughput says it is over the window\'s span', async () => {
    await page.click(`${ROOT} [data-wlm-window="1m"]`);
    await page.waitForFunction(() => document.querySelector('.wlm-panel [data-wlm-value="generations.total"]').getAttribute('data-wlm-source').startsWith('windows.1m'));
    const tile = await page.evaluate(() => {
      const v = document.querySelector('.wlm-panel [data-wlm-value="generations.throughput.tokensPerSec"]');
      const el = v.closest('.wlm-tile');
      const span = el.querySelector('[data-wlm-value="generations.throughput.wallTimeMs"]');
      return { text: el.innerText, title: el.getAttribute('title') ?? '', span: span ? JSON.parse(span.getAttribute('data-wlm-raw')) : null };
    });
    const m = await page.evaluate(() => window.api.metrics());
    assert.match(tile.text, /span/i, `the tile says it divides by the span: ${JSON.stringify(tile.text)}`);
    assert.ok(tile.span !== null && Math.abs(tile.span - m.windows['1m'].generations.throughput.wallTimeMs) <= 5000, `the span shown (${tile.span} ms) is the window's`);
    assert.match(tile.title, /span/i);
    assert.match(tile.title, /idle/i, 'the tooltip says idle time counts');
    const decode = await page.evaluate(() => document.querySelector('.wlm-panel [data-wlm-value="generations.decodeTokensPerSec.p50"]').closest('.wlm-tile').innerText);
    assert.match(decode, /per generation/i, `decode p50 says what it measures: ${JSON.stringify(decode)}`);
    await page.locator(`${ROOT} [data-wlm-section="generations"]`).screenshot({ path: path.join(RESULTS_DIR, 'panel-user-800-1m-generations.png') });
    const r = await inSync(page);
    assert.deepEqual(r.mismatches, []);
  });

  await t.test('no displayed number has more than 4 decimals, in every window, hovered legends included', async () => {
    for (const w of ['session', '5m', '1h', '1m']) {
      await page.click(`${ROOT} [data-wlm-window="${w}"]`);
      await page.waitForFunction((k) => document.querySelector('.wlm-panel [data-wlm-window][data-wlm-paused]')?.getAttribute('data-wlm-window') === k, w);
      assert.deepEqual(await page.evaluate(longDecimals, 4), [], `window ${w}`);
    }
    await charts.scrollIntoViewIfNeeded();
    const hovered = [];
    for (const over of await page.$$(`${ROOT} [data-wlm-chart] .u-over`)) {
      const box = await over.boundingBox();
      for (const f of [0.1, 0.3, 0.5, 0.7, 0.9]) {
        await page.mouse.move(box.x + box.width * f, box.y + box.height / 2);
        hovered.push(...(await page.evaluate(longDecimals, 4)));
      }
    }
    await page.mouse.move(0, 0);
    assert.deepEqual(hovered, []);
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  await t.test('800 px: a table wider than its box shows a scroll cue, scrolls by keyboard, and every column can be reached', async () => {
    const boxes = await page.evaluate(scrollBoxes);
    const wide = boxes.filter((x) => x.wide);
    assert.ok(wide.length > 0, `some tables are wider than their box at 800 px: ${JSON.stringify(boxes.map((x) => [x.table, x.wide]))}`);
    for (const x of wide) {
      assert.deepEqual(x.atStart, { overflow: 'end', right: 1, left: 0, hint: x.atStart?.hint }, `${x.table}: at the start, a shade on the right edge only`);
      assert.match(x.atStart.hint ?? '', /scroll right/i, `${x.table}: a hint to scroll right`);
      assert.deepEqual([x.atEnd.overflow, x.atEnd.right, x.atEnd.left > 0], ['start', 0, true], `${x.table}: at the end, a shade on the left edge only`);
      assert.match(x.atEnd.hint ?? '', /scroll left/i);
      assert.ok(x.focusable, `${x.table}: a focusable region, scrolled by the keyboard`);
      assert.deepEqual(x.hidden, [], `${x.table}: every one of its ${x.columns} columns comes whole into sight`);
    }
    for (const x of boxes.filter((y) => !y.wide)) {
      assert.deepEqual(x.atStart, { overflow: 'none', right: 0, left: 0, hint: null }, `${x.table}: no cue when everything fits`);
      assert.deepEqual(x.hidden, []);
    }
    // The arrow keys scroll a focused wide box.
    const box = page.locator(`${ROOT} .wlm-scroll:has([data-wlm-table="${wide[0].table}"])`);
    await box.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((name) => document.querySelector(`.wlm-panel .wlm-scroll:has([data-wlm-table="${name}"])`).scrollLeft > 0, wide[0].table, { timeout: 3000 });
    await box.evaluate(async (el) => {
      // Back to the start once the keyboard's smooth scroll has ended.
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      for (let last = -1, i = 0; i < 120 && el.scrollLeft !== last; i++) {
        last = el.scrollLeft;
        await frame();
        await frame();
      }
      el.scrollLeft = 0;
      el.blur();
      for (let i = 0; i < 30 && el.closest('[data-wlm-overflow]').getAttribute('data-wlm-overflow') !== 'end'; i++) await frame();
    });
    // A picture of the generations' tables scrolled to their ends (the left edge's cue).
    const scrollAll = (to) =>
      page.evaluate(async (end) => {
        const boxes = [...document.querySelectorAll('.wlm-panel [data-wlm-section="generations"] .wlm-scroll')];
        for (const el of boxes) el.scrollLeft = end ? el.scrollWidth : 0;
        for (let i = 0; i < 5; i++) await new Promise((r) => requestAnimationFrame(r));
      }, to);
    await scrollAll(true);
    await page.locator(`${ROOT} [data-wlm-section="generations"]`).screenshot({ path: path.join(RESULTS_DIR, 'panel-user-800-tables-scrolled.png') });
    await scrollAll(false);
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  await page.click(`${ROOT} [data-wlm-window="session"]`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await b.screenshot(page, 'user-800');
  await charts.screenshot({ path: path.join(RESULTS_DIR, 'panel-user-800-charts.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForFunction(() => [...document.querySelectorAll('.wlm-panel .uplot')].every((u) => Math.abs(u.parentElement.wlmPlot.width - u.parentElement.clientWidth) < 2), undefined, { timeout: 5000 });
  await t.test('1280 px: the numbers are still rounded and the scroll hints match the overflow', async () => {
    assert.deepEqual(await page.evaluate(longDecimals, 4), []);
    for (const x of await page.evaluate(scrollBoxes)) {
      assert.equal(x.atStart.hint !== null, x.wide, `${x.table}: a hint exactly when it overflows`);
      assert.deepEqual(x.hidden, []);
    }
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  await b.screenshot(page, 'user-1280');
  await charts.screenshot({ path: path.join(RESULTS_DIR, 'panel-user-1280-charts.png') });
  assert.deepEqual(pageWarnings(messages), []);
});

test('drawer: a modal dialog that traps focus, closes on Escape and returns focus to the opener; modal mode', async (t) => {
  const { page, messages } = await openWithWorkload(t, '?mode=drawer&theme=light');
  assert.equal(await page.locator('[role="dialog"]').count(), 0, 'closed: nothing rendered');
  await page.focus('#opener');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[role="dialog"]');
  const d = await page.evaluate(() => {
    const dialog = document.querySelector('[role="dialog"]');
    return {
      modal: dialog.getAttribute('aria-modal'),
      title: document.getElementById(dialog.getAttribute('aria-labelledby'))?.textContent,
      focusInside: dialog.contains(document.activeElement),
      focused: document.activeElement.getAttribute('data-wlm-action'),
      inBody: dialog.closest('.wlm-panel').parentElement === document.body,
      mode: dialog.getAttribute('data-wlm-mode'),
    };
  });
  assert.deepEqual(d, { modal: 'true', title: 'WebLLM monitor', focusInside: true, focused: 'close', inBody: true, mode: 'drawer' });
  const r = await inSync(page);
  assert.deepEqual(r.mismatches, []);

  // Tab and Shift+Tab cycle inside the dialog.
  const outside = [];
  const stops = new Set();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const a = document.activeElement;
      return { inside: !!a.closest('[role="dialog"]'), id: a.getAttribute('data-wlm-action') ?? a.getAttribute('data-wlm-window') ?? a.getAttribute('aria-label') ?? a.tagName };
    });
    if (!f.inside) outside.push(f.id);
    stops.add(f.id);
  }
  assert.deepEqual(outside, [], 'focus stays in the dialog');
  assert.ok(stops.has('close') && stops.has('download-json') && stops.has('Recent generations, newest first'), [...stops].join(', '));
  await page.focus('[role="dialog"] [data-wlm-action="close"]');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => !!document.activeElement.closest('[role="dialog"]')), true, 'Shift+Tab wraps to the last item');
  await b.screenshot(page, 'drawer');

  await page.keyboard.press('Escape');
  await page.waitForSelector('[role="dialog"]', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'opener', 'focus is back on the opener');

  // Again, closed with the close button.
  await page.keyboard.press('Enter');
  await page.waitForSelector('[role="dialog"]');
  await page.click('[role="dialog"] [data-wlm-action="close"]');
  await page.waitForSelector('[role="dialog"]', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'opener');
  assert.deepEqual(
    await page.evaluate(() => [document.adoptedStyleSheets.length, document.querySelectorAll('style').length]),
    [1, 1],
    "one adopted sheet after reopening, and only the host's <style>",
  );
  assert.deepEqual(pageWarnings(messages), []);

  // Modal mode: the same dialog, centered; theme "auto" follows prefers-color-scheme, live.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(b.server.url('/index.html?mode=modal&theme=auto'));
  await b.ready(page);
  await page.focus('#opener');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[role="dialog"][data-wlm-mode="modal"]');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-wlm-action')), 'close');
  const dialogBg = () => page.evaluate(() => getComputedStyle(document.querySelector('[role="dialog"]')).backgroundColor);
  assert.equal(await dialogBg(), 'rgb(21, 25, 31)', 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(await dialogBg(), 'rgb(255, 255, 255)', 'light');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[role="dialog"]', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'opener');
});

// The React panel (webllm-monitor/react) in headless Chromium: a page bundled by Vite (package
// names aliased to the repository's js/ files) renders MonitorPanel over a monitor fed by the
// simulated WebLLM engine. Here: the embedded styles and the formatting, and the inline panel in
// the light theme: its numbers must equal getMetrics() exactly; the charts must be drawn; keyboard
// use, downloads, pause, reset and style scoping are checked. The charts after a user's
// generations: panel-charts.test.mjs; the dark theme, a narrow panel, the drawer and the modal:
// panel-modes.test.mjs. Screenshots: test-results/browser/panel-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './harness.mjs';
import { ROOT, contrastRatios, inSync, pageWarnings, raw, sleep, usePanelPage } from './panel-harness.mjs';
import { UPLOT_CSS } from '../../js/react/uplot-css.js';
import { PANEL_STYLES, scopeCss } from '../../js/react/styles.js';
import { fmtBytes, fmtInt, fmtMs, fmtNum, fmtPct, fmtTps } from '../../js/react/format.js';
import { schemaVersion } from '../../js/core.js';

const { b, openWithWorkload } = await usePanelPage();

test('the panel embeds uPlot CSS verbatim and scopes every selector under .wlm-panel', async () => {
  const installed = await readFile(path.join(REPO_ROOT, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
  assert.equal(UPLOT_CSS, installed, 'js/react/uplot-css.js is a copy of the installed uPlot CSS: regenerate it after a uPlot upgrade');
  assert.ok(PANEL_STYLES.startsWith(scopeCss(UPLOT_CSS, '.wlm-panel')));
  assert.equal(scopeCss('a, .b > c{x:1}@media (x){d{y:2}}', '.s'), '.s a, .s .b > c{x:1}@media (x){.s d{y:2}}');
  // Display rounding: awkward floats come out with a few decimals at most (the data keep them).
  const shown = [
    fmtMs(14.900000000139698),
    fmtMs(0.30000000000000004),
    fmtMs(1234.5678901),
    fmtMs(65432.1),
    fmtTps(240.00000000001),
    fmtTps(11.333333333),
    fmtTps(4.56789),
    fmtPct(0.12345678),
    fmtPct(0.0012345),
    fmtBytes(15007744.123),
    fmtBytes(1536.7),
    fmtNum(14.900000000139698),
    fmtInt(14.9),
  ];
  assert.deepEqual(
    shown.filter((x) => /\d[.,]\d{3,}/.test(x)),
    [],
    shown.join(' | '),
  );
  assert.equal(fmtMs(14.900000000139698), `${(14.9).toLocaleString()} ms`);
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
    for (const p of [
      'generations.latencyMs.p95',
      'generations.ttftMs.p50',
      'generations.decodeTokensPerSec.p50',
      'generations.errorRate',
      'cache.hitRate',
      'initialization.lastDurationMs',
    ]) {
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

  await t.test("the recent generations table: newest first, the history's values", async () => {
    const { rows, gens } = await page.evaluate(() => ({
      gens: window.api.generations(),
      rows: [...document.querySelectorAll('.wlm-panel [data-wlm-table="recent"] tbody tr')].map((tr) => ({
        row: tr.getAttribute('data-wlm-row'),
        cells: Object.fromEntries(
          [...tr.querySelectorAll('[data-wlm-field]')].map((td) => [td.getAttribute('data-wlm-field'), td.getAttribute('data-wlm-raw') ?? td.textContent]),
        ),
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

  await t.test("charts: uPlot canvases with the series drawn; the histogram's bars are the sketch's buckets", async () => {
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
    assert.equal(
      bins.reduce((s, x) => s + x.count, 0),
      count,
      'the bars sum to the latency count',
    );
    assert.equal(sketch.count, count);
    // Under 257 values the sketch keeps them exactly: each bar holds the values inside its edges.
    assert.equal(sketch.exact.length, count);
    const nearEdge = sketch.exact.some((v) => bins.some((x) => Math.abs(v - x.lo) <= 1e-9 * v || Math.abs(v - x.hi) <= 1e-9 * v));
    if (!nearEdge) {
      const perBin = bins.map((x) => sketch.exact.filter((v) => (x.hi === 0 ? v === 0 : v > x.lo && v <= x.hi)).length);
      assert.deepEqual(
        perBin,
        bins.map((x) => x.count),
      );
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
    assert.equal(
      await page.evaluate(() => document.activeElement.getAttribute('aria-checked') + document.activeElement.getAttribute('data-wlm-window')),
      'true1h',
    );
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
    assert.ok(
      messages.some((m) => m.startsWith('log: webllm-monitor report')),
      'printMetrics wrote the report',
    );

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
    await page.waitForFunction(
      (n) => document.querySelector('.wlm-panel [data-wlm-value="generations.total"]').getAttribute('data-wlm-raw') === String(n),
      total + 20,
      { timeout: 3000 },
    );
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
    assert.ok(
      intervals.every((ms) => ms >= 1000),
      `intervals: ${intervals.join(', ')}`,
    );
    const commits = await page.evaluate(() => window.api.commits());
    const updates = commits
      .filter((c) => c.phase !== 'mount')
      .map((c) => c.ms)
      .sort((a, b) => a - b);
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

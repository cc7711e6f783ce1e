// The React panel's charts and tables as a user sees them after 10 generations, at 800 and
// 1280 px: the charts show the current data even off screen, the memory chart has two axes, the
// legends show values without hover, the throughput says what it divides by, wide tables scroll
// with a cue, and no number shows more than 4 decimals. Setup: panel-harness.mjs.
// Screenshots: test-results/browser/panel-user-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS_DIR } from './harness.mjs';
import { ROOT, inSync, pageWarnings, sleep, usePanelPage, waitForRaw } from './panel-harness.mjs';

const { b } = await usePanelPage();

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
      legend: [...fig.querySelectorAll('.u-legend .u-series')].map((tr) => [
        tr.querySelector('.u-label')?.textContent ?? '',
        tr.querySelector('.u-value')?.textContent ?? '',
      ]),
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
      left:
        getComputedStyle(first).position === 'sticky' && getComputedStyle(first, '::after').content !== 'none'
          ? Number(getComputedStyle(first, '::after').opacity)
          : 0,
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
  await page.waitForFunction(() => document.querySelectorAll('.wlm-panel [data-wlm-table="latency-histogram"] tbody tr').length > 0, undefined, {
    timeout: 5000,
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  const offScreen = await charts.evaluate((el) => el.getBoundingClientRect().top - innerHeight);
  assert.ok(offScreen > 300, `the charts are off screen (${offScreen} px below the viewport)`);
  assert.equal(await page.evaluate(() => window.api.run(9)), 10);
  await waitForRaw(page, 'generations.total', '10');

  await t.test("charts off screen show the current data: the histogram's bars are the core's (getHistogram)", async () => {
    const expected = async () => {
      const { histogram, gens, mem } = await page.evaluate(() => ({
        histogram: window.api.histogram(),
        gens: window.api.generations(),
        mem: window.api.memorySnapshots(),
      }));
      return { bars: histogram.bins.map((x) => x.count), points: gens.length, samples: mem.filter((m) => typeof m.timestamp === 'number').length };
    };
    const seen = async () => {
      const c = await page.evaluate(chartState);
      return {
        bars: c['latency-histogram'].data?.[1] ?? [],
        table: c['latency-histogram'].table,
        points: c['decode-tps'].data?.[0].length ?? 0,
        samples: c.memory.data?.[0].length ?? 0,
      };
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
    assert.deepEqual(got.bars, want.bars, "the histogram drawn while off screen has the sketch's buckets");
    assert.deepEqual(got.table, want.bars, 'and so has its table');
    assert.equal(
      got.bars.reduce((s, x) => s + x, 0),
      10,
    );
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
    const mouseOut = await page.evaluate(() =>
      [...document.querySelectorAll('.wlm-panel .u-legend .u-series')].every((tr) => !tr.closest('.uplot').matches(':hover')),
    );
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

  await t.test("the 1-minute throughput says it is over the window's span", async () => {
    await page.click(`${ROOT} [data-wlm-window="1m"]`);
    await page.waitForFunction(() =>
      document.querySelector('.wlm-panel [data-wlm-value="generations.total"]').getAttribute('data-wlm-source').startsWith('windows.1m'),
    );
    const tile = await page.evaluate(() => {
      const v = document.querySelector('.wlm-panel [data-wlm-value="generations.throughput.tokensPerSec"]');
      const el = v.closest('.wlm-tile');
      const span = el.querySelector('[data-wlm-value="generations.throughput.wallTimeMs"]');
      return { text: el.innerText, title: el.getAttribute('title') ?? '', span: span ? JSON.parse(span.getAttribute('data-wlm-raw')) : null };
    });
    const m = await page.evaluate(() => window.api.metrics());
    assert.match(tile.text, /span/i, `the tile says it divides by the span: ${JSON.stringify(tile.text)}`);
    assert.ok(
      tile.span !== null && Math.abs(tile.span - m.windows['1m'].generations.throughput.wallTimeMs) <= 5000,
      `the span shown (${tile.span} ms) is the window's`,
    );
    assert.match(tile.title, /span/i);
    assert.match(tile.title, /idle/i, 'the tooltip says idle time counts');
    const decode = await page.evaluate(
      () => document.querySelector('.wlm-panel [data-wlm-value="generations.decodeTokensPerSec.p50"]').closest('.wlm-tile').innerText,
    );
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
    await page.waitForFunction((name) => document.querySelector(`.wlm-panel .wlm-scroll:has([data-wlm-table="${name}"])`).scrollLeft > 0, wide[0].table, {
      timeout: 3000,
    });
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
  await page.waitForFunction(
    () => [...document.querySelectorAll('.wlm-panel .uplot')].every((u) => Math.abs(u.parentElement.wlmPlot.width - u.parentElement.clientWidth) < 2),
    undefined,
    { timeout: 5000 },
  );
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

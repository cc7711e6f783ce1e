// The React panel's other looks and modes: the dark theme, 360 px wide without horizontal
// overflow, and the drawer and modal dialogs (focus trap, Escape, focus returned to the opener,
// theme "auto" following prefers-color-scheme). Setup: panel-harness.mjs.
// Screenshots: test-results/browser/panel-{dark,narrow,drawer}.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, contrastRatios, inSync, pageWarnings, sleep, usePanelPage } from './panel-harness.mjs';

const { b, openWithWorkload } = await usePanelPage();

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
  assert.ok(
    overflow.chartWidths.every((w) => w <= 330),
    `charts fit: ${overflow.chartWidths}`,
  );
  await b.screenshot(page, 'narrow');
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
      return {
        inside: !!a.closest('[role="dialog"]'),
        id: a.getAttribute('data-wlm-action') ?? a.getAttribute('data-wlm-window') ?? a.getAttribute('aria-label') ?? a.tagName,
      };
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

// Shared setup of the panel's browser tests (panel*.test.mjs): the test page bundled by Vite
// (package names aliased to the repository's js/ files), one browser per test file, and the
// in-page probes that compare the panel with getMetrics(). Screenshots are named panel-*.png.
//
//   import { usePanelPage } from './panel-harness.mjs';
//   const { b, openWithWorkload } = await usePanelPage(); // registers before/after hooks
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, useBrowser } from './harness.mjs';

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

/**
 * Bundles the test page, then registers the browser's hooks (useBrowser serves the folder) and
 * the folder's removal. `b` is useBrowser's context; `openWithWorkload(t, query)` opens the page
 * in a fresh context and runs its workload.
 */
export async function usePanelPage() {
  // Built before the hooks are registered: useBrowser's before hook serves the folder.
  const outDir = await buildPage();

  const b = useBrowser({ name: 'panel', root: outDir });

  after(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  /** Opens the page in a fresh context and runs its workload (34 generations). */
  async function openWithWorkload(t, query) {
    const opened = await b.open(t, `/index.html${query}`, { fresh: true });
    const total = await opened.page.evaluate(() => window.api.workload());
    assert.equal(total, 34, '30 streamed + 1 injected DeviceLostError + 3 old generations');
    return { ...opened, total };
  }

  return { b, openWithWorkload };
}

export const ROOT = '.wlm-panel';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
    const ok =
      moving && typeof expected === 'number'
        ? Math.abs(Number(raw) - expected) <= 0.05 * expected
        : expected === null || expected === undefined
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
export async function inSync(page, ms = 4000) {
  const end = Date.now() + ms;
  let r;
  for (;;) {
    r = await page.evaluate(compareWithMetrics);
    if (r.mismatches.length === 0 || Date.now() > end) return r;
    await sleep(100);
  }
}

export const raw = (page, valuePath) => page.getAttribute(`${ROOT} [data-wlm-value="${valuePath}"]`, 'data-wlm-raw');

/** React's and the page's own warnings (the monitor's log is silenced in the page). */
export const pageWarnings = (messages) => messages.filter((m) => /^(error|warning):/.test(m));

/** In the page: contrast ratios (WCAG) of the theme's text colours on its backgrounds. */
export function contrastRatios() {
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
  for (const [fg, bg] of [
    ['--wlm-ok', '--wlm-ok-bg'],
    ['--wlm-warn', '--wlm-warn-bg'],
    ['--wlm-crit', '--wlm-crit-bg'],
    ['--wlm-accent-text', '--wlm-accent'],
  ])
    out[`${fg} on ${bg}`] = ratio(fg, bg);
  return out;
}

/** Polls until the panel shows `value` for `valuePath` (subscribe is throttled). */
export const waitForRaw = (page, valuePath, value) =>
  page.waitForFunction(([p, v]) => document.querySelector(`.wlm-panel [data-wlm-value="${p}"]`)?.getAttribute('data-wlm-raw') === v, [valuePath, value], {
    timeout: 5000,
  });

// The package under a strict Content-Security-Policy (no 'unsafe-eval', no 'unsafe-inline'
// scripts or styles), sent as an HTTP response header, in headless Chromium:
//   - the package unbundled (tests/browser/pages/csp.html): createMonitor (the Emscripten glue and
//     the wasm compile), a wrapped simulated engine, the readings, the export, a download and the
//     console commands;
//   - the React panel in a page bundled by Vite (tests/browser/pages/csp-panel/), as an app ships:
//     its styles are a constructed style sheet, which style-src does not govern, so `style-src
//     'self'` passes; where constructable style sheets are unsupported (emulated by the page), its
//     fallback <style> element needs its hash.
// A violation is looked for three ways: `securitypolicyviolation` events (a listener installed
// before any page script runs), console messages naming the Content Security Policy, and the
// DevTools issues (Chromium reports an eval refusal there and not in the console). Controls show
// that each way sees what it must: `new Function` and eval under the same policy, the wasm under a
// policy without 'wasm-unsafe-eval', the panel's fallback <style> element under a style-src
// without its hash.
// Screenshots: test-results/browser/csp-*.png.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, useBrowser, useServer } from './harness.mjs';
import { PANEL_STYLES } from '../../js/react/styles.js';

/** The directives a strict app would send, but for style-src (see policy()). */
const BASE = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
];
/**
 * The hash of the panel's fallback <style> element (used only where constructable style sheets are
 * unsupported): what a policy would need to allow it without 'unsafe-inline'.
 */
const PANEL_STYLE_HASH = `'sha256-${createHash('sha256').update(PANEL_STYLES, 'utf8').digest('base64')}'`;

/** The policy with `style` as style-src, and any directive of BASE replaced by `replace`. */
function policy(style = "'self'", replace = {}) {
  const directives = BASE.map((d) => {
    const name = d.split(' ')[0];
    return name in replace ? `${name} ${replace[name]}` : d;
  });
  return [...directives, `style-src ${style}`].join('; ');
}
/** The strictest policy the package passes without the panel. */
const STRICT = policy();

/** Response headers: a page requested with ?csp=<policy> is served with that policy. */
const cspFromQuery = (pathname, url) =>
  pathname.endsWith('.html') && url.searchParams.has('csp') ? { 'Content-Security-Policy': url.searchParams.get('csp') } : undefined;

/** Bundles tests/browser/pages/csp-panel with Vite, a production build (about 1 s). */
async function buildPanelPage() {
  const dir = await mkdtemp(path.join(tmpdir(), 'wlm-csp-panel-'));
  const { build } = await import('vite');
  try {
    await build({
      root: path.join(REPO_ROOT, 'tests/browser/pages/csp-panel'),
      configFile: false,
      logLevel: 'silent',
      mode: 'production',
      base: './',
      resolve: {
        alias: [
          { find: /^webllm-monitor$/, replacement: path.join(REPO_ROOT, 'js/index.js') },
          { find: /^webllm-monitor\/react$/, replacement: path.join(REPO_ROOT, 'js/react/index.js') },
          { find: /^webllm-monitor\/simulated-engine$/, replacement: path.join(REPO_ROOT, 'js/simulated-engine.js') },
        ],
      },
      build: { outDir: dir, emptyOutDir: true, reportCompressedSize: false },
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

const panelDir = await buildPanelPage();
after(() => rm(panelDir, { recursive: true, force: true }));

const b = useBrowser({ name: 'csp', headers: cspFromQuery });
const panelServer = useServer({ root: panelDir, headers: cspFromQuery });

const PAGE = '/tests/browser/pages/csp.html';
/** A page that never gets ready fails its test instead of hanging the run (not a timed assertion). */
const GUARD = { timeout: 60_000 };
const CSP_TEXT = /content security policy/i;

/**
 * Opens `pagePath` of `server` under `csp` in a new context, with the three detectors attached
 * before the navigation; waits for window.ready and returns what it resolved with.
 * @param {import('node:test').TestContext} t
 */
async function openUnderPolicy(t, server, pagePath, csp) {
  const context = await b.browser.newContext({ viewport: { width: 1000, height: 760 } });
  t.after(() => context.close().catch(() => {}));
  const page = await context.newPage();
  const seen = {
    events: /** @type {any[]} */ ([]),
    console: /** @type {string[]} */ ([]),
    issues: /** @type {any[]} */ ([]),
    messages: /** @type {string[]} */ ([]),
    errors: /** @type {Error[]} */ ([]),
  };
  page.on('console', (m) => {
    const line = `${m.type()}: ${m.text()}`;
    seen.messages.push(line);
    if (CSP_TEXT.test(line)) seen.console.push(line);
  });
  page.on('pageerror', (err) => {
    seen.errors.push(err);
    if (CSP_TEXT.test(String(err && err.message))) seen.console.push(`pageerror: ${err.message}`);
  });
  const cdp = await context.newCDPSession(page);
  cdp.on('Audits.issueAdded', ({ issue }) => {
    if (issue.code === 'ContentSecurityPolicyIssue') seen.issues.push(issue.details.contentSecurityPolicyIssueDetails);
  });
  await cdp.send('Audits.enable');
  // Runs before any script of the page (injected by the DevTools protocol, which the policy does not govern).
  await context.addInitScript(() => {
    const list = [];
    Object.defineProperty(window, '__cspViolations', { value: list });
    window.addEventListener(
      'securitypolicyviolation',
      (e) => list.push({ directive: e.effectiveDirective, blockedURI: e.blockedURI, source: `${e.sourceFile}:${e.lineNumber}`, disposition: e.disposition }),
      true,
    );
  });
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  const url = new URL(server.url(pagePath));
  url.searchParams.set('csp', csp);
  const response = await page.goto(url.href);
  assert.equal(response?.headers()['content-security-policy'], csp, 'the page is served with the policy');
  await b.ready(page);
  const result = await page.evaluate(() => window.ready);
  /** Every violation seen so far, by all three ways. */
  const violations = async () => {
    seen.events = await page.evaluate(() => window.__cspViolations.slice());
    return { events: seen.events, console: seen.console.slice(), issues: seen.issues.slice() };
  };
  return { page, result, seen, violations, downloads };
}

/** Fails with every violation listed when any of the three ways saw one. */
function assertNone(v, messages) {
  const count = v.events.length + v.console.length + v.issues.length;
  assert.equal(count, 0, `CSP violations:\n${JSON.stringify(v, null, 2)}\nconsole:\n  ${messages.join('\n  ')}`);
}

test(`the package unbundled under ${STRICT}: createMonitor, a wrapped engine, readings, export, download, console; no violation`, GUARD, async (t) => {
  const { page, result, seen, violations, downloads } = await openUnderPolicy(t, b.server, PAGE, STRICT);
  assert.equal(result.createMonitor, 'ok');
  assert.equal(result.replyChars.length, 7);
  assert.ok(result.replyChars.every((n) => n > 0));

  const g = result.metrics.generations;
  assert.equal(g.total, 7);
  assert.equal(g.byType.chat.total, 6);
  assert.equal(g.byType.translate.total, 1);
  assert.equal(g.latencyMs.count, 7);
  assert.ok(g.ttftMs.p50 > 0 && g.decodeTokensPerSec.p50 > 0);
  assert.equal(result.metrics.initialization.loads, 1);
  assert.ok(result.metrics.memory.samples >= 1, 'a memory snapshot');
  assert.ok(result.metrics.memory.latest.wasmHeapBytes > 0);
  assert.equal(result.status.ready, true);
  assert.equal(result.status.faults, 0);

  // The export, the CSV and the console commands.
  assert.equal(result.exported.schemaVersion, 2);
  assert.deepEqual(result.exported.metrics.generations, g);
  assert.equal(result.exported.generations.length, 7);
  assert.equal(result.csvRows, 8);
  assert.ok(result.console.commands.includes('printMetrics') && result.console.commands.includes('help'));
  assert.equal(result.console.total, 7);
  assert.equal(result.console.generations, 7);
  assert.equal(result.console.health, 'healthy');
  assert.match(result.console.report, /Generations: 7 total/);
  assert.match(result.console.help, /webllmMonitor\.downloadMetrics\(\)/);
  assert.ok(
    seen.messages.some((m) => m.startsWith('log: webllm-monitor report')),
    'printMetrics wrote to the console',
  );
  assert.equal(result.disposed, true);

  // The download the console command started: the export document.
  assert.equal(result.console.download, 'csp-metrics.json');
  assert.equal(downloads.length, 1);
  assert.equal(downloads[0].suggestedFilename(), 'csp-metrics.json');
  const file = JSON.parse(await readFile(await downloads[0].path(), 'utf8'));
  assert.equal(file.metrics.generations.total, 7);

  assertNone(await violations(), seen.messages);
  assert.deepEqual(result.violations, [], 'the page saw no violation either');
  // And the glue has no code that a policy without 'unsafe-eval' refuses on a path not taken here.
  const glue = await readFile(path.join(REPO_ROOT, 'dist/webllm-monitor-core.mjs'), 'utf8');
  assert.doesNotMatch(glue, /\bnew Function\b|\beval\(/, 'dist/ built without -sDYNAMIC_EXECUTION=0');
  assert.deepEqual(seen.errors, []);
  await b.screenshot(page, 'package');
});

/** STRICT without its Trusted Types directives: eval is then refused by script-src alone. */
const STRICT_NO_TT = STRICT.split('; ')
  .filter((d) => !/^(require-)?trusted-types/.test(d))
  .join('; ');

for (const [name, csp, directive, blockedURI, issueType] of [
  ['that policy', STRICT, 'require-trusted-types-for', 'trusted-types-sink', 'kTrustedTypesSinkViolation'],
  ['that policy without Trusted Types', STRICT_NO_TT, 'script-src', 'eval', 'kEvalViolation'],
]) {
  test(`control: new Function and eval in that page under ${name} are refused, and seen`, GUARD, async (t) => {
    const { page, result, seen, violations } = await openUnderPolicy(t, b.server, `${PAGE}?control=dynamic-code`, csp);
    assert.equal(result.createMonitor, 'ok');
    assert.deepEqual(result.dynamicCode, { newFunction: 'EvalError', eval: 'EvalError' });
    const v = await violations();
    // One refusal per call. With Trusted Types enforced, Chromium refuses a string (not a
    // TrustedScript) first by that rule; without it, by script-src (no 'unsafe-eval').
    assert.deepEqual(
      v.events.map((e) => [e.directive, e.blockedURI, e.disposition]),
      [
        [directive, blockedURI, 'enforce'],
        [directive, blockedURI, 'enforce'],
      ],
    );
    assert.equal(result.violations.length, 2, 'the page saw them too');
    assert.deepEqual(
      v.issues.map((i) => i.contentSecurityPolicyViolationType),
      [issueType, issueType],
    );
    assert.ok(v.issues.every((i) => i.sourceCodeLocation.url.endsWith('/tests/browser/pages/csp-page.js')));
    // This Chromium reports these refusals as DevTools issues only, not in the console.
    t.diagnostic(`console lines naming the policy: ${v.console.length}`);
    assert.deepEqual(seen.errors, []);
    await b.screenshot(page, `control-dynamic-code${csp === STRICT ? '' : '-no-tt'}`);
  });
}

test("control: without 'wasm-unsafe-eval' the wasm is refused; createMonitor rejects, saying so and naming the policy", GUARD, async (t) => {
  const csp = policy("'self'", { 'script-src': "'self'" });
  const { page, result, violations } = await openUnderPolicy(t, b.server, PAGE, csp);
  assert.match(
    result.createMonitor,
    /^Error: webllm-monitor: the WebAssembly core could not be compiled: CompileError: .*Content Security Policy.*\. The page's Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src\.$/is,
  );
  assert.doesNotMatch(result.createMonitor, /Aborted\(|ASSERTIONS/);
  // Emscripten's own error, kept as the cause.
  assert.match(result.cause, /^RuntimeError: Aborted\(CompileError: .*Content Security Policy.*\)\. Build with -s ASSERTIONS=1 for more info\.$/is);
  const v = await violations();
  assert.ok(v.events.length >= 1);
  assert.ok(
    v.events.every((e) => e.directive === 'script-src' && e.blockedURI === 'wasm-eval'),
    JSON.stringify(v.events),
  );
  assert.ok(v.issues.length >= 1 && v.issues.every((i) => i.contentSecurityPolicyViolationType === 'kWasmEvalViolation'));
  assert.ok(v.console.length >= 1, 'the console names the policy');
  t.diagnostic(`createMonitor: ${result.createMonitor}`);
  await b.screenshot(page, 'control-no-wasm-unsafe-eval');
});

test("control: without connect-src 'self' the wasm cannot be fetched", GUARD, async (t) => {
  const csp = policy("'self'", { 'connect-src': "'none'" });
  const { result, violations } = await openUnderPolicy(t, b.server, PAGE, csp);
  assert.notEqual(result.createMonitor, 'ok');
  assert.doesNotMatch(result.createMonitor, /could not be compiled|wasm-unsafe-eval/, 'a failed fetch is not reported as a refused compile');
  const v = await violations();
  assert.ok(
    v.events.length >= 1 && v.events.every((e) => e.directive === 'connect-src' && e.blockedURI.endsWith('/dist/webllm-monitor-core.wasm')),
    JSON.stringify(v.events),
  );
  assert.ok(v.console.length >= 1 && v.issues.length >= 1);
  t.diagnostic(`createMonitor: ${result.createMonitor.slice(0, 200)}`);
});

/**
 * In the panel page: whether the panel's styles apply (computed styles of the first panel in
 * `scope`: the document, or the shadow root of #shadow-host), and what it shows.
 */
function panelState(scope = 'document') {
  const where = scope === 'shadow' ? document.getElementById('shadow-host').shadowRoot : document;
  const root = where.querySelector('.wlm-panel');
  const css = (el, ...names) => {
    const cs = getComputedStyle(el);
    return Object.fromEntries(names.map((n) => [n, n.startsWith('--') ? cs.getPropertyValue(n).trim() : cs[n]]));
  };
  const canvases = [...root.querySelectorAll('canvas')];
  return {
    styled: {
      root: css(root, 'backgroundColor', 'borderTop', 'borderRadius', 'padding', 'fontSize', 'fontFamily', '--wlm-text'),
      card: css(root.querySelector('.wlm-card'), 'backgroundColor', 'borderTop', 'borderRadius'),
      button: css(root.querySelector('[data-wlm-action="download-json"]'), 'borderTopColor', 'borderRadius', 'fontSize'),
      // A rule of uPlot's own CSS, and one of the panel's over uPlot's.
      uplotOver: css(root.querySelector('.u-over'), 'position'),
      uplotLegend: css(root.querySelector('.u-legend'), 'fontSize'),
    },
    styleElements: where.querySelectorAll('style').length,
    adoptedSheets: where.adoptedStyleSheets?.length ?? null,
    total: root.querySelector('[data-wlm-value="generations.total"]')?.getAttribute('data-wlm-raw'),
    p95: root.querySelector('[data-wlm-value="generations.latencyMs.p95"]')?.getAttribute('data-wlm-raw'),
    metricsP95: window.monitor.getMetrics().generations.latencyMs.p95,
    canvases: canvases.length,
    drawn: canvases.filter((c) => c.width > 0 && c.height > 0).length,
  };
}

/** The computed styles of a styled panel (light theme). */
const STYLED = {
  root: {
    backgroundColor: 'rgb(255, 255, 255)',
    borderTop: '1px solid rgb(213, 218, 225)',
    borderRadius: '12px',
    padding: '16px',
    fontSize: '14px',
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    '--wlm-text': '#1a1f26',
  },
  card: { backgroundColor: 'rgb(245, 247, 250)', borderTop: '1px solid rgb(213, 218, 225)', borderRadius: '10px' },
  button: { borderTopColor: 'rgb(170, 178, 190)', borderRadius: '7px', fontSize: '13px' },
  uplotOver: { position: 'absolute' },
  uplotLegend: { fontSize: '12px' },
};

/** Scrolls to every chart (the latency histogram is drawn once in view), then back to the top. */
async function scrollThroughCharts(page) {
  for (const chart of await page.$$('.wlm-panel canvas')) await chart.scrollIntoViewIfNeeded();
  await page.locator('.wlm-panel [data-wlm-section="charts"]').first().scrollIntoViewIfNeeded();
}

test("the React panel (Vite production bundle) under style-src 'self': a constructed style sheet, fully styled, live, no violation", GUARD, async (t) => {
  const { page, result, seen, violations } = await openUnderPolicy(t, panelServer.server, '/index.html', STRICT);
  assert.equal(result.total, 12);
  await scrollThroughCharts(page);
  const s = await page.evaluate(panelState);
  assert.deepEqual(s.styled, STYLED, "the panel styles, uPlot's included, apply");
  assert.equal(s.styleElements, 0, 'no <style> element');
  assert.equal(s.adoptedSheets, 1, 'one adopted sheet');
  assert.equal(s.total, '12');
  assert.equal(JSON.parse(s.p95), s.metricsP95);
  assert.ok(s.canvases >= 3 && s.drawn === s.canvases, `charts drawn: ${s.drawn} of ${s.canvases}`);
  // The actions, clicked: print to the console and a download.
  await page.click('.wlm-panel [data-wlm-action="print"]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.wlm-panel [data-wlm-action="download-json"]')]);
  assert.equal(JSON.parse(await readFile(await download.path(), 'utf8')).metrics.generations.total, 12);
  assert.ok(seen.messages.some((m) => m.startsWith('log: webllm-monitor report')));
  assertNone(await violations(), seen.messages);
  assert.deepEqual(result.violations, [], 'the page saw no violation either');
  assert.deepEqual(seen.errors, []);
  await page.evaluate(() => window.scrollTo(0, 0));
  await b.screenshot(page, 'panel');
});

test(
  "under style-src 'self': three panels, one unmounted and mounted again, one in a shadow root; one sheet, adopted once by the document and once by the shadow root; no violation",
  GUARD,
  async (t) => {
    const { page, result, seen, violations } = await openUnderPolicy(t, panelServer.server, '/index.html?scenario=many', STRICT);
    const rules = result.styles.document.adopted?.[0];
    assert.ok(rules > 80, `the panel's sheet: ${rules} rules`);
    assert.deepEqual(result.styles, {
      afterUnmount: { adopted: [rules], styleElements: 0, panelStyleElements: 0 },
      document: { adopted: [rules], styleElements: 0, panelStyleElements: 0 },
      shadow: { adopted: [rules], styleElements: 0, panelStyleElements: 0 },
      panels: 3,
      sameSheet: true,
    });
    for (const scope of ['document', 'shadow']) {
      const s = await page.evaluate(panelState, scope);
      assert.deepEqual(s.styled, STYLED, `the panel in the ${scope} is styled`);
      assert.equal(s.total, '12');
    }
    assertNone(await violations(), seen.messages);
    assert.deepEqual(result.violations, []);
    assert.deepEqual(seen.errors, []);
    await b.screenshot(page, 'panel-many');
  },
);

test(
  "control: without constructable style sheets, under style-src 'self', the panel's fallback <style> element is refused (one violation, seen), the panel renders unstyled",
  GUARD,
  async (t) => {
    const { page, result, seen, violations } = await openUnderPolicy(t, panelServer.server, '/index.html?constructable=0', STRICT);
    assert.equal(result.total, 12);
    const s = await page.evaluate(panelState);
    assert.equal(s.total, '12', 'the content is there');
    assert.equal(s.adoptedSheets, null, 'no adoptedStyleSheets in this page');
    assert.equal(s.styleElements, 1, 'the element is in the document; its rules are not applied');
    assert.deepEqual(s.styled.root, {
      backgroundColor: 'rgba(0, 0, 0, 0)',
      borderTop: '0px none rgb(0, 0, 0)',
      borderRadius: '0px',
      padding: '0px',
      fontSize: '16px',
      fontFamily: s.styled.root.fontFamily,
      '--wlm-text': '',
    });
    assert.notEqual(s.styled.root.fontFamily, STYLED.root.fontFamily);
    const v = await violations();
    assert.deepEqual(
      v.events.map((e) => [e.directive, e.blockedURI]),
      [['style-src-elem', 'inline']],
    );
    assert.equal(v.issues.length, 1);
    assert.equal(v.console.length, 1);
    // Chromium names the hash that would allow the element: the one this test computes.
    assert.ok(v.console[0].includes(PANEL_STYLE_HASH.slice(1, -1)), v.console[0]);
    assert.deepEqual(
      result.violations.map((e) => [e.directive, e.blockedURI]),
      [['style-src-elem', 'inline']],
    );
    assert.deepEqual(seen.errors, []);
    await b.screenshot(page, 'panel-fallback-unstyled');
  },
);

test(
  'without constructable style sheets, with style-src allowing its hash: one fallback <style> per document and per shadow root, styled, no violation',
  GUARD,
  async (t) => {
    const csp = policy(`'self' ${PANEL_STYLE_HASH}`);
    const { page, result, seen, violations } = await openUnderPolicy(t, panelServer.server, '/index.html?constructable=0&scenario=many', csp);
    assert.deepEqual(result.styles, {
      afterUnmount: { adopted: null, styleElements: 1, panelStyleElements: 1 },
      document: { adopted: null, styleElements: 1, panelStyleElements: 1 },
      shadow: { adopted: null, styleElements: 1, panelStyleElements: 1 },
      panels: 3,
      sameSheet: false,
    });
    for (const scope of ['document', 'shadow']) {
      const s = await page.evaluate(panelState, scope);
      assert.deepEqual(s.styled, STYLED, `the panel in the ${scope} is styled`);
    }
    assertNone(await violations(), seen.messages);
    assert.deepEqual(result.violations, []);
    assert.deepEqual(seen.errors, []);
    t.diagnostic(`style-src 'self' ${PANEL_STYLE_HASH}`);
  },
);

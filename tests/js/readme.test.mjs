// Every code block of README.md is compiled or run here (or, for the `webllm-monitor ci` command,
// in tests/browser/package.test.mjs, from the packed tarball):
//   ts, tsx, js  strict tsc against the real @mlc-ai/web-llm and the package's own declarations,
//                imported by the package's name; `js run` blocks also run in Node;
//   json         parsed; the budget's paths checked against the export schema;
//   sh           the packages it installs exist, the npm scripts it runs exist, and the
//                `webllm-monitor otlp` command runs as written (with --dry-run).
// Also: every link to a heading or a file resolves, and every linked file ships in the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LANGUAGES, README, readmeBlocks, shellCommands } from '../readme/blocks.mjs';
import { checkBudgetPaths, validateBudget } from '../../js/cli/budget.js';
import { MonitorCore } from '../../js/core.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const blocks = readmeBlocks();
/** Generated per run; inside the package, so `import 'webllm-monitor'` resolves to this package. */
const GEN = path.join(ROOT, 'build', 'readme');
const EXT = { ts: '.ts', tsx: '.tsx', js: '.js' };

test('every README block is in a language that a test checks', () => {
  assert.ok(blocks.length >= 15, `${blocks.length} blocks`);
  for (const b of blocks) assert.ok(LANGUAGES.includes(b.lang), `README.md:${b.line}: \`\`\`${b.lang} is not one of ${LANGUAGES.join(', ')}`);
});

/** GitHub's anchor of a heading. */
const slug = (/** @type {string} */ h) =>
  h
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

test('every link to a heading or a file resolves, and linked files ship in the package', () => {
  const text = readFileSync(README, 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  const anchors = new Set([...text.matchAll(/^#{1,6} (.*)$/gm)].map((m) => slug(m[1])));
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
  assert.ok(links.length > 5);
  for (const link of links) {
    const [file, anchor] = link.split('#');
    if (file === '') assert.ok(anchors.has(anchor), `#${anchor} is not a heading of README.md`);
    else {
      assert.ok(existsSync(path.join(ROOT, file)), `${file} does not exist`);
      assert.ok(
        PKG.files.some((/** @type {string} */ f) => file === f || file.startsWith(f.endsWith('/') ? f : `${f}/`)),
        `${file} is linked but not in package.json "files"`,
      );
    }
  }
});

/** Writes the ts/tsx/js blocks (and `extra` files) into a fresh folder with a strict tsconfig; runs tsc there. */
async function typeCheck(/** @type {string} */ dir, /** @type {typeof blocks} */ list, /** @type {Record<string, string>} */ extra = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM'],
        jsx: 'react-jsx',
        allowJs: true,
        checkJs: true,
        types: [],
        skipLibCheck: true,
      },
      include: ['*.ts', '*.tsx', '*.js'],
    }),
  );
  // What the README leaves to the app: the hook its CI workload calls, and the console commands.
  writeFileSync(
    path.join(dir, 'app.d.ts'),
    "import type { ConsoleCommands } from 'webllm-monitor';\n" +
      'declare global {\n  var webllmMonitor: ConsoleCommands;\n  interface Window { ask(question: string): Promise<string>; }\n}\nexport {};\n',
  );
  for (const b of list)
    writeFileSync(path.join(dir, `block-${String(b.line).padStart(4, '0')}${EXT[/** @type {keyof EXT} */ (b.lang)]}`), `${b.code}export {};\n`);
  for (const [name, code] of Object.entries(extra)) writeFileSync(path.join(dir, name), code);
  try {
    await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: ROOT, maxBuffer: 1 << 24 });
    return '';
  } catch (err) {
    return /** @type {any} */ (err).stdout || String(err);
  }
}

test('the ts, tsx and js blocks compile with strict tsc against the real @mlc-ai/web-llm', { timeout: 300_000 }, async (t) => {
  const code = blocks.filter((b) => b.lang in EXT);
  assert.ok(code.length >= 10, `${code.length} blocks`);
  const out = await typeCheck(path.join(GEN, 'types'), code);
  // Map tsc's file names back to README lines.
  assert.equal(
    out.replace(/block-0*(\d+)\.\w+\((\d+),\d+\)/g, (_, l, n) => `README.md:${Number(l) + Number(n)}`),
    '',
  );
  t.diagnostic(`${code.length} blocks compiled`);
});

test('control: a wrong README block does fail the type check', { timeout: 300_000 }, async () => {
  const quick = blocks.find((b) => b.lang === 'ts' && b.code.includes('monitorType'));
  assert.ok(quick, 'the quick start block');
  const broken = {
    ...quick,
    code: quick.code.replace("monitorType: 'chat'", 'monitorType: 42').replace('m.generations.ttftMs.p95', 'm.generations.ttftMs.p96'),
  };
  const out = await typeCheck(path.join(GEN, 'control'), [broken]);
  const lineOf = (/** @type {string} */ needle) => broken.code.split('\n').findIndex((l) => l.includes(needle)) + 1;
  assert.match(out, new RegExp(`block-\\d+\\.ts\\(${lineOf('monitorType: 42')},\\d+\\): error`), out);
  assert.match(out, new RegExp(`block-\\d+\\.ts\\(${lineOf('p96')},\\d+\\): error TS2339: Property 'p96' does not exist`), out);
});

test('the `js run` blocks run in Node as written', { timeout: 120_000 }, async (t) => {
  const runnable = blocks.filter((b) => b.tag === 'run');
  assert.ok(runnable.length >= 2);
  mkdirSync(path.join(GEN, 'run'), { recursive: true });
  for (const b of runnable) {
    const file = path.join(GEN, 'run', `block-${b.line}.mjs`);
    writeFileSync(file, b.code);
    const { stdout } = await run(process.execPath, [file], { cwd: ROOT, maxBuffer: 1 << 24 });
    assert.ok(stdout.trim().length > 0, `README.md:${b.line} printed nothing`);
    t.diagnostic(`README.md:${b.line} (${b.heading}): ${stdout.trim().split('\n').at(-1)}`);
    if (b.code.includes('CreateSimulatedMLCEngine')) {
      const m = /^(\d+) generations, (\d+) failed, decode p50 ([\d.]+) tokens\/s$/m.exec(stdout);
      assert.ok(m, stdout);
      assert.equal(Number(m[1]), 20);
      assert.ok(Number(m[2]) > 0 && Number(m[2]) < 20, 'some injected failures');
    }
  }
});

test('the json blocks parse; the budget names only paths an export has', async () => {
  const json = blocks.filter((b) => b.lang === 'json');
  assert.ok(json.length >= 1);
  for (const b of json) {
    const doc = JSON.parse(b.code);
    if (b.tag === 'budget') await checkBudgetPaths(validateBudget(doc, `README.md:${b.line}`));
  }
});

test('the sh blocks: packages that exist, npm scripts that exist, and the otlp command runs as written', { timeout: 120_000 }, async () => {
  const known = new Set([PKG.name, ...Object.keys({ ...PKG.dependencies, ...PKG.peerDependencies, ...PKG.devDependencies })]);
  /** @type {string[]} */
  const cliLines = [];
  for (const b of blocks.filter((x) => x.lang === 'sh')) {
    for (const cmd of shellCommands(b.code)) {
      const words = cmd.split(/\s+/);
      if (words[0] === 'npm' && (words[1] === 'install' || words[1] === 'i')) {
        for (const w of words.slice(2).filter((x) => !x.startsWith('-')))
          assert.ok(known.has(w), `README.md:${b.line}: npm install ${w}: not a dependency or peer of the package`);
      } else if (words[0] === 'npm') {
        const script = words[1] === 'run' ? words[2] : words[1];
        assert.ok(Object.hasOwn(PKG.scripts, script), `README.md:${b.line}: npm ${words.slice(1).join(' ')}: no such script`);
      } else if (words[0] === 'npx' && words[1] === 'webllm-monitor') {
        assert.ok(['ci', 'otlp'].includes(b.tag ?? ''), `README.md:${b.line}: a webllm-monitor command in a block not tagged ci or otlp`);
        if (b.tag === 'otlp') cliLines.push(cmd);
      } else assert.fail(`README.md:${b.line}: no test covers the command "${cmd}"`);
    }
  }
  assert.equal(cliLines.length, 1);
  // Run the line with bash, `npx webllm-monitor` being this package's executable, in a folder
  // holding the export it names.
  const dir = mkdtempSync(path.join(tmpdir(), 'wlm-readme-'));
  try {
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(
      path.join(dir, 'bin', 'npx'),
      `#!/bin/sh\n[ "$1" = webllm-monitor ] || exit 127\nshift\nexec "${process.execPath}" "${path.join(ROOT, 'js', 'cli', 'bin.js')}" "$@"\n`,
    );
    chmodSync(path.join(dir, 'bin', 'npx'), 0o755);
    const file = /otlp (\S+)/.exec(cliLines[0])?.[1] ?? '';
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    const core = await MonitorCore.create();
    core.recordGeneration({ model: 'm', startedAt: Date.now() - 1000, durationMs: 900, ttftMs: 100, promptTokens: 5, completionTokens: 9 });
    writeFileSync(path.join(dir, file), core.exportJson());
    core.dispose();
    const stdout = execFileSync('bash', ['-c', `${cliLines[0]} --dry-run`], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, TOKEN: 'secret' },
    });
    const request = JSON.parse(stdout);
    const attrs = request.resourceMetrics[0].resource.attributes;
    assert.ok(
      attrs.some((/** @type {any} */ a) => a.key === 'service.name' && a.value.stringValue === 'chat-app'),
      JSON.stringify(attrs),
    );
    assert.ok(attrs.some((/** @type {any} */ a) => a.key === 'deployment.environment.name' && a.value.stringValue === 'ci'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

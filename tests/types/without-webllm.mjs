// Type-checks tests/types/index.test-d.ts (strict, skipLibCheck false) as an app without
// @mlc-ai/web-llm installed sees the package: the package's declarations are copied into
// node_modules/webllm-monitor of a temporary project outside this repository, where the import of
// '@mlc-ai/web-llm' in them finds no module. (tests/types/webllm/ checks them against the real
// WebLLM.) Exits with tsc's status.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tsc = path.join(root, 'node_modules/.bin/tsc');

const dir = mkdtempSync(path.join(tmpdir(), 'wlm-types-'));
let status = 1;
try {
  const pkg = path.join(dir, 'node_modules/webllm-monitor');
  mkdirSync(pkg, { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  cpSync(path.join(root, 'js'), path.join(pkg, 'js'), {
    recursive: true,
    filter: (src) => !src.endsWith('.js'),
  });
  for (const name of readdirSync(here)) {
    if (name.endsWith('.ts') || name === 'tsconfig.json') cpSync(path.join(here, name), path.join(dir, name));
  }
  const r = spawnSync(tsc, ['-p', '.', '--listFiles'], { cwd: dir, encoding: 'utf8' });
  const lines = (r.stdout ?? '').split('\n');
  const webllm = lines.filter((l) => l.includes('@mlc-ai/web-llm'));
  const diagnostics = lines.filter((l) => l !== '' && !path.isAbsolute(l));
  if (diagnostics.length > 0) console.log(`tests/types (copied to ${dir}):\n${diagnostics.join('\n')}`);
  process.stderr.write(r.stderr ?? '');
  if (r.error) throw r.error;
  status = r.status ?? 1;
  if (webllm.length > 0) {
    console.error(`@mlc-ai/web-llm was found from ${dir}, so this is not the case without it:\n${webllm.join('\n')}`);
    status = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);

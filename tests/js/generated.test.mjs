// The files generated from schema/description.mjs (scripts/generate.mjs): regenerating them
// changes nothing, each says it is generated, and a file edited by hand is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../../scripts/generate.mjs';
import * as description from '../../schema/description.mjs';
import * as generated from '../../js/generated/description.js';
import { schemaVersion } from '../../js/version.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'scripts/generate.mjs');
const files = Object.keys(generate());
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

function scratch(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wlm-generate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the generator writes the schema, the JS modules, the declarations and the C++ headers', () => {
  assert.deepEqual(files.sort(), [
    'js/generated/description.js',
    'js/generated/events.d.ts',
    'js/generated/events.js',
    'js/generated/metrics.d.ts',
    'schema/export.schema.json',
    'wasm/generated/description.hpp',
    'wasm/generated/events.hpp',
  ]);
});

test('regenerating into a temporary folder gives the committed files, byte for byte', (t) => {
  const dir = scratch(t);
  const r = run('--out', dir);
  assert.equal(r.status, 0, r.stderr);
  for (const rel of files) {
    const fresh = readFileSync(path.join(dir, rel), 'utf8');
    const committed = readFileSync(path.join(root, rel), 'utf8');
    assert.ok(fresh.length > 500, `${rel}: ${fresh.length} characters`);
    assert.equal(committed, fresh, `${rel} differs from what the description generates: run npm run generate`);
  }
  assert.equal(run('--check').status, 0, 'the repository is up to date');
});

test('each generated file says in its first lines that it is generated and must not be edited', () => {
  for (const rel of files) {
    const head = readFileSync(path.join(root, rel), 'utf8').split('\n').slice(0, 3).join('\n');
    assert.match(head, /Generated from schema\/description\.mjs by scripts\/generate\.mjs .*do not edit/, rel);
  }
});

test('control: a generated file edited by hand is reported, and only that one', (t) => {
  for (const rel of files) {
    const dir = scratch(t);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      cpSync(path.join(root, f), path.join(dir, f));
    }
    assert.equal(run('--check', dir).status, 0, 'an unedited copy passes');
    const file = path.join(dir, rel);
    // One character changed: the last digit of the file's first number.
    const text = readFileSync(file, 'utf8');
    const i = text.search(/\d(?!.*\d)/s);
    writeFileSync(file, text.slice(0, i) + ((Number(text[i]) + 1) % 10) + text.slice(i + 1));
    const r = run('--check', dir);
    assert.equal(r.status, 1, `${rel} edited: --check should fail`);
    assert.deepEqual(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => path.relative(dir, l.split(' ')[0])),
      [rel],
    );
  }
});

test('the JS module holds the description: schema version, series, record fields', () => {
  assert.equal(generated.schemaVersion, description.schemaVersion);
  assert.equal(schemaVersion, description.schemaVersion, 'js/version.js');
  assert.deepEqual(generated.SERIES, description.series);
  assert.ok(Object.isFrozen(generated.SERIES) && Object.isFrozen(generated.SERIES[0]));
  assert.deepEqual(generated.GENERATION_RECORD_FIELDS, Object.keys(description.defs.generationRecord.props));
  const schema = JSON.parse(readFileSync(path.join(root, 'schema/export.schema.json'), 'utf8'));
  assert.equal(schema.properties.schemaVersion.const, description.schemaVersion);
  assert.deepEqual(schema.$defs.generationRecord.required, generated.GENERATION_RECORD_FIELDS);
  for (const s of generated.seriesIn('generation')) assert.ok(schema.$defs.generationMetrics.properties[s.name], s.name);
  // The console summary reads metrics[place][name]: only fixed places can have a short label.
  for (const s of generated.SERIES.filter((x) => x.short)) assert.match(generated.PLACES[s.in].metrics ?? '', /^\w+$/, s.name);
});

test('the C++ header compiles (C++17, -Wall -Wextra -Werror) and holds the description', (t) => {
  const dir = scratch(t);
  const tu = path.join(dir, 'check.cpp');
  const tpot = description.series.findIndex((s) => s.name === 'timePerOutputTokenMs');
  writeFileSync(
    tu,
    `#include "${path.join(root, 'wasm/generated/description.hpp')}"\n` +
      'namespace d = wlm::description;\n' +
      `static_assert(d::kSchemaVersion == ${description.schemaVersion}, "schema version");\n` +
      `static_assert(d::kSeriesCount == ${description.series.length}, "series count");\n` +
      `static_assert(d::kSeries[${tpot}].name == "timePerOutputTokenMs" && d::kSeries[${tpot}].worse == d::Worse::higher, "tpot");\n` +
      'int main() { return 0; }\n',
  );
  const cxx = process.env.CXX || 'c++';
  const r = spawnSync(cxx, ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', tu], { encoding: 'utf8' });
  assert.equal(r.error, undefined, `${cxx}: ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
});

test('the events: every field of every event is written where the description puts it, named as it names it', async () => {
  const { MonitorCore } = await import('../../js/core.js');
  const core = await MonitorCore.create();
  const wrong = { number: 'x', name: 7, text: 7, bool: 'yes', success: 'yes', fromCache: 7, errorName: 7, gaps: 'x' };
  const complete = {
    generation: { model: 'M', startedAt: 1.7e12, durationMs: 10 },
    load: { model: 'M', startedAt: 1.7e12, durationMs: 10 },
    cache: { cache: 'c', hit: true, timestamp: 1.7e12 },
    operation: { name: 'op', startedAt: 1.7e12, durationMs: 10 },
    memory: { timestamp: 1.7e12 },
    deviceLost: { timestamp: 1.7e12 },
  };
  let checked = 0;
  for (const [key, e] of Object.entries(description.events)) {
    if (!e.ts) continue;
    core[e.method](complete[key]);
    assert.deepEqual(core.flush().rejected, [], `${key}: a complete event is accepted`);
    for (const f of e.fields) {
      const type = f.type.startsWith('enum:') ? 'name' : f.type;
      if (f.name === 'errorMessage') continue; // written with errorName
      core[e.method]({ ...complete[key], [f.name]: wrong[type] });
      const { rejected } = core.flush();
      assert.equal(rejected.length, 1, `${key}.${f.name}: a value of a wrong type is refused`);
      assert.equal(rejected[0].field, `${e.prefix ?? key}.${f.name}`);
      checked++;
    }
  }
  assert.ok(checked > 40, `${checked} fields`);
  core.dispose();
});

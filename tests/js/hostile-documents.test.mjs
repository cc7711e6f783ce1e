// Hostile documents through the public JS API (issue #8: a monitor must never be the thing that
// breaks an app): imports and merges with __proto__/constructor/prototype keys at every level,
// wrong shapes, deep nesting, counts that would pass 2^53, oversized documents, through MonitorCore
// ('webllm-monitor/core'). Events, configuration, queries and createMonitor():
// hostile-calls.test.mjs. Each is refused with a message naming the path; a refused document
// changes nothing (compared on exportJson()); the wasm never aborts (no WebAssembly.RuntimeError,
// and the module keeps working); Object.prototype is never touched; objects handed back to JS
// carry such keys as plain own properties.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreError, MonitorCore, reportFromExport, MAX_DOCUMENT_BYTES } from '../../js/core.js';
import { T0, LATER } from './helpers.mjs';
import { assertPrototypeClean, BIG, dataOf, gen, heapBytes, MiB, refuses, seeded } from './hostile-helpers.mjs';

after(() => {
  assertPrototypeClean();
});

// ---------------------------------------------------------------------------------------------
// Import and merge

/** `obj` with its key `from` renamed to `to` (JSON text, so that "__proto__" stays a plain key). */
function renamedKey(doc, path, from, to) {
  const copy = structuredClone(doc);
  let obj = copy;
  for (const k of path) obj = obj[k];
  const entries = Object.entries(obj);
  for (const k of Object.keys(obj)) delete obj[k];
  for (const [k, v] of entries) obj[k === from ? '@@KEY@@' : k] = v;
  return JSON.stringify(copy).replace('"@@KEY@@"', JSON.stringify(to));
}

test('__proto__, constructor and prototype keys: names like any other, own properties, no pollution', async () => {
  const source = await seeded();
  const doc = JSON.parse(source.exportJson(LATER));
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const core = await MonitorCore.create();
    // Top level: not read (import reads sketches, generations, memorySnapshots).
    core.importJson(JSON.stringify(doc).replace(/^\{/, `{${JSON.stringify(key)}: {"polluted": true, "total": 1},`));
    assert.deepEqual(dataOf(core).sketches, dataOf(source).sketches);
    // Nested, as names in every breakdown.
    core.importJson(renamedKey(doc, ['sketches', 'byModel'], 'm', key));
    core.mergeJson(renamedKey(doc, ['sketches', 'cache'], 'k', key));
    core.mergeJson(renamedKey(doc, ['sketches', 'operations'], 'op', key));
    core.mergeJson(renamedKey(doc, ['sketches', 'errors', 'byName'], 'E', key));
    core.recordGeneration({ model: key, type: key, startedAt: T0, durationMs: 10 });
    core.recordCacheLookup({ cache: key, hit: false, timestamp: T0 });
    assert.deepEqual(core.flush().rejected, []);
    const m = core.metrics(LATER);
    for (const obj of [m.generations.byModel, m.generations.byType, m.cache.byName, m.operations, m.errors.byName, m.cost.byModel]) {
      assert.ok(Object.hasOwn(obj, key), `${key} is an own key`);
      assert.equal(Object.getPrototypeOf(obj), Object.prototype, 'the prototype was not replaced');
    }
    assert.equal(m.generations.byModel[key].total, 2);
    assert.equal(m.cache.byName[key].lookups, 2);
    assert.equal(core.quantile(`generations.byModel.${key}.latencyMs`, 0.5), 10);
    assert.equal(core.generations().at(-1).model, key);
    assert.match(core.report(LATER), new RegExp(`^  ${key} `, 'm'));
    // The export reads back the same.
    const again = await MonitorCore.create();
    again.importJson(core.exportJson(LATER));
    assert.deepEqual(dataOf(again).sketches, dataOf(core).sketches);
    assertPrototypeClean();
    core.dispose();
    again.dispose();
  }
  source.dispose();
});

test('documents that are not exports are refused with the path; nothing changes; no trap', async () => {
  const core = await seeded();
  const good = core.exportJson(LATER);
  const doc = JSON.parse(good);
  const before = core.exportJson(LATER);
  const count = (mutate) => {
    const d = structuredClone(doc);
    mutate(d);
    return JSON.stringify(d);
  };
  const cases = [
    ['100,000 levels of [', '['.repeat(100_000), '$', /^\$: not valid JSON: nesting deeper than 64 levels$/],
    ['a million levels, closed', '['.repeat(1e6) + ']'.repeat(1e6), '$', /nesting deeper than 64 levels/],
    ['100,000 levels of {"a":', '{"a":'.repeat(100_000), '$', /nesting deeper than 64 levels/],
    [
      '2^64',
      count((d) => {
        d.sketches.generations.total = 987654321;
      }).replace('987654321', '18446744073709551616'),
      '$.sketches.generations.total',
      /^\$\.sketches\.generations\.total: 1\.8446744073709552e\+19 is not a whole number >= 0$/,
    ],
    [
      '2^53 + 1',
      count((d) => {
        d.sketches.cache.k.hits = 2 ** 53 + 2;
      }),
      '$.sketches.cache.k.hits',
      /larger than 2\^53/,
    ],
    [
      '1e308 count',
      count((d) => {
        d.sketches.cache.k.hits = 1e308;
      }),
      '$.sketches.cache.k.hits',
      /1e\+308 is not a whole number >= 0/,
    ],
    [
      'negative count',
      count((d) => {
        d.sketches.cache.k.misses = -1;
      }),
      '$.sketches.cache.k.misses',
      /-1 is negative/,
    ],
    [
      'fractional count',
      count((d) => {
        d.sketches.cache.k.misses = 0.5;
      }),
      '$.sketches.cache.k.misses',
      /not a whole number/,
    ],
    [
      '1e308 sum',
      count((d) => {
        d.sketches.operations.op.durationMs.sum = 1e308;
      }),
      '$.sketches.operations.op.durationMs.sum',
      /outside \[0, 1e\+300\]/,
    ],
    [
      'a count as a string',
      count((d) => {
        d.sketches.cache.k.hits = '1';
      }),
      '$.sketches.cache.k.hits',
      /expected a whole number, got "1"/,
    ],
    ['a 10 MB model name', renamedKey(doc, ['sketches', 'byModel'], 'm', BIG), undefined, /: a name of 10485760 bytes, longer than 256$/],
    ['an empty cache name', renamedKey(doc, ['sketches', 'cache'], 'k', ''), '$.sketches.cache[""]', /an empty name/],
    ['a control character', renamedKey(doc, ['sketches', 'byType'], 'default', 'a\u0000b'), '$.sketches.byType["a\\u0000b"]', /a control character/],
    [
      'a 10 MB history string',
      count((d) => {
        d.generations[0].model = BIG;
      }),
      '$.generations[0].model',
      /^\$\.generations\[0\]\.model: 10485760 bytes is longer than/,
    ],
    ['an array', '[]', '$', /expected an export object/],
    ['a number', '1e999', '$', /not valid JSON|expected an export object/],
    ['not JSON', '{"schemaVersion": 2, "sketches": {', '$', /^\$: not valid JSON: /],
  ];
  for (const [label, text, path, message] of cases) {
    const err = refuses(() => core.importJson(text), message);
    if (path !== undefined) assert.equal(err.path, path, label);
    else assert.ok(err.path.length < 300, `${label}: the path is cut (${err.path.length} characters)`);
    refuses(() => core.mergeJson(text), message);
    const inner = message.source.startsWith('^') ? message.source.slice(1) : `.*(?:${message.source})`;
    refuses(() => core.mergeAll([good, text]), new RegExp(`^document 2: (?:${inner})`));
    assert.equal(core.exportJson(LATER), before, `${label}: nothing changed`);
  }
  // Objects that cannot be JSON: refused in JS, path "$".
  let deep = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  refuses(() => core.importJson(deep), /^\$: the document cannot be serialized to JSON \(RangeError: Maximum call stack size exceeded\)$/, '$');
  refuses(() => core.importJson({ ...doc, n: 1n }), /^\$: the document cannot be serialized to JSON \(TypeError: .*BigInt/, '$');
  refuses(() => core.importJson({ toJSON: () => undefined }), /^\$: the document serializes to undefined/, '$');
  refuses(() => core.importJson(42), /^importJson: expected the export as JSON text or an object, got number 42$/);
  refuses(() => core.mergeAll([good, Symbol('x')]), /^document 2: mergeAll: expected the export/);
  refuses(() => core.mergeAll('not an array'), /^mergeAll: expected an array of exports/);
  assert.equal(core.exportJson(LATER), before);
  // The core still works.
  core.importJson(good);
  core.recordGeneration(gen({}));
  assert.equal(core.metrics(LATER).generations.total, 2);
  core.dispose();
});

test('merges whose counts would pass 2^53 are refused whole, nothing merged', async () => {
  const core = await seeded();
  const doc = JSON.parse(core.exportJson(LATER));
  doc.sketches.cache.k.hits = 2 ** 53; // the largest a document may hold
  core.importJson(doc);
  const before = core.exportJson(LATER);
  const err = refuses(
    () => core.mergeJson(doc),
    /^\$\.sketches\.cache\.k\.hits: \d+ is larger than 2\^53 \(in the merged session: nothing was merged\)$/,
    '$.sketches.cache.k.hits',
  );
  assert.ok(err);
  refuses(() => core.mergeAll([doc, doc]), /nothing was merged/);
  assert.equal(core.exportJson(LATER), before);
  // Doubling a session until its counts pass 2^53 stops there, with an export that still reads back.
  const small = await seeded();
  let text = small.exportJson(LATER);
  let merges = 0;
  for (; merges < 70; merges++) {
    try {
      small.mergeJson(text);
    } catch (e) {
      assert.match(e.message, /larger than 2\^53|nothing was merged/);
      break;
    }
    text = small.exportJson(LATER);
  }
  // The prompt tokens (10 per session) pass 2^53 first: 10 * 2^50 > 2^53.
  assert.equal(merges, 49, `stopped after ${merges} doublings`);
  const again = await MonitorCore.create();
  again.importJson(small.exportJson(LATER)); // was refused at 2^32: a saturated bucket
  assert.equal(again.metrics(LATER).generations.total, 2 ** merges);
  core.dispose();
  small.dispose();
  again.dispose();
});

test('document size: over 128 MiB refused before the copy; 100 MB reads; too many values refused', async () => {
  const core = await seeded();
  const good = core.exportJson(LATER);
  const before = core.exportJson(LATER);
  const padded = (bytes) => `${good.slice(0, -1)},"padding":"${'x'.repeat(bytes)}"}`;
  let heap = heapBytes();
  const over = padded(MAX_DOCUMENT_BYTES);
  refuses(() => core.importJson(over), /^\$: the document is 134\d+ characters, more than the limit of 134217728 bytes \(128 MiB\)$/, '$');
  refuses(() => core.mergeJson(over), /more than the limit of 134217728 bytes/);
  refuses(() => core.mergeAll([good, over]), /^document 2: \$: the document is/);
  const hundred = padded(100 * MiB);
  refuses(
    () => core.mergeAll([hundred, hundred, hundred]),
    /^mergeAll: the documents hold \d+ characters together, more than the limit of 268435456 bytes \(256 MiB\) per call$/,
  );
  assert.equal(heapBytes(), heap, 'nothing was copied into wasm memory');
  assert.equal(core.exportJson(LATER), before);

  // 100 MB (an unknown member carries the bulk): read, at a bounded cost in wasm memory.
  core.importJson(hundred);
  assert.deepEqual(JSON.parse(core.exportJson(LATER)).sketches, JSON.parse(good).sketches);
  // About 5x the text at most (the copy, the parser's buffer, the DOM), far from the 2 GiB
  // where an allocation would fail and abort the module.
  assert.ok(heapBytes() < 1024 * MiB, `after a 100 MB import, wasm memory is ${Math.round(heapBytes() / MiB)} MiB`);

  // reportFromExport reads through the same checks.
  heap = heapBytes();
  await assert.rejects(
    reportFromExport(over),
    (err) => err instanceof CoreError && /^CoreError: \$: the document is 134\d+ characters, more than the limit/.test(String(err)),
  );
  assert.equal(heapBytes(), heap, 'nothing was copied into wasm memory');
  await assert.rejects(reportFromExport('['.repeat(100_000)), /nesting deeper than 64 levels/);
  assert.match(await reportFromExport(good), /^webllm-monitor report/);

  // Within the size limit, but more values than the core builds a DOM for: refused, no trap.
  heap = heapBytes();
  const zeros = `[${'0,'.repeat(2 ** 23)}0]`;
  refuses(() => core.importJson(zeros), /^\$: the document holds more than 8388608 JSON values, the limit$/, '$');
  assert.ok(heapBytes() < 1024 * MiB, `wasm memory ${Math.round(heapBytes() / MiB)} MiB`);
  core.recordGeneration(gen({}));
  assert.equal(core.metrics(LATER).generations.total, 2);
  core.dispose();
});

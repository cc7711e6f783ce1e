// The bridge's one failure convention (wasm/bindings.cpp, js/core/errors.js): every call of the
// Embind module that can fail returns its value or a { field, message } object, never a sentinel
// or a message to parse, and MonitorCore throws that object as a CoreError carrying the field
// (and the document, where several are read). The limits JS checks come from the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreError, MonitorCore, loadCore, reportFromExport, MAX_DOCUMENT_BYTES, MAX_MERGE_BYTES } from '../../js/core.js';
import * as index from '../../js/index.js';
import { limits } from '../../js/core/limits.js';
import { LATER, feedSession } from './helpers.mjs';

/** Asserts that `fn` throws a CoreError with this field and a message starting as given. */
function throwsCore(fn, field, start, document) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof CoreError, `a CoreError, got ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'CoreError');
    assert.equal(err.field, field);
    assert.equal(err.path, field);
    assert.ok(err.message.startsWith(start), err.message);
    assert.equal(err.document, document);
    return true;
  });
}

test('the raw module: a failure is an object naming the field; a success is the value', async () => {
  const module = await loadCore();
  const core = new module.Core();
  const good = core.exportJson(LATER);
  try {
    assert.equal(core.configure('{"historySize": 10}'), undefined);
    const bad = core.configure('{"historySize": -1}');
    assert.equal(bad.field, 'config.historySize');
    assert.match(bad.message, /^config\.historySize: /);
    assert.deepEqual(Object.keys(bad).sort(), ['field', 'message']);

    assert.equal(typeof core.exportJson(LATER), 'string');
    assert.equal(core.importJson(core.exportJson(LATER)), undefined);
    assert.equal(core.importJson('{').field, '$');
    assert.equal(core.mergeJson('[]').field, '$');

    const two = core.mergeAll([core.exportJson(LATER), '{"schemaVersion": 99}']);
    assert.equal(two.document, 2);
    assert.match(two.message, /^document 2: \$\.schemaVersion: /);
    assert.equal(two.field, '$.schemaVersion');

    assert.equal(typeof core.histogram('generations.ttftMs', 10), 'string');
    assert.equal(core.histogram('generations.nope.ttftMs', 10).field, 'path');
    assert.ok(Number.isNaN(core.quantile('generations.ttftMs', 0.5)), 'a known series without data: NaN');
    assert.equal(core.quantile('cache.hitRate', 0.5).field, 'path');
    assert.equal(core.seriesHandle('generations.ttftMs'), 0);
    assert.equal(core.seriesHandle('generations').field, 'path');

    assert.equal(typeof core.otlp('{}', LATER), 'string');
    assert.equal(core.otlp('{"resource": 5}', LATER).field.startsWith('otlp'), true);
    assert.equal(core.recordWebGpu('{"timestamp": 1, "available": "yes"}').field.startsWith('webgpu'), true);

    assert.equal(core.ingest(0, 0, []), 0, 'an empty batch: no record refused');
    // A record whose header claims more doubles than the batch holds: a bug of the writer.
    const at = core.batchPointer() / 8;
    module.HEAPF64.set([4, 1000, 0], at);
    const malformed = core.ingest(1, 3, []);
    assert.equal(malformed.field, 'batch');
    assert.equal(malformed.accepted, 0);
    assert.equal(typeof malformed.message, 'string');
    assert.deepEqual(core.rejections(), []);
  } finally {
    core.delete();
  }
  assert.equal(typeof module.reportFromExport('{}'), 'string');
  assert.equal(module.reportFromExport('nope').field, '$');
  assert.equal(typeof module.compareExports(good, good, '{}'), 'string');
  const cmp = module.compareExports(good, '{', '{}');
  assert.equal(cmp.document, 'current');
  assert.equal(cmp.field, '$');
  assert.equal(module.compareExports(good, good, '{"alpha": 7}').document, null, 'an option: no document');
});

test('MonitorCore throws the failures as CoreErrors carrying field, path and document', async () => {
  assert.equal(index.CoreError, CoreError, 'the package exports the class');
  const m = await MonitorCore.create();
  let good;
  try {
    feedSession(m, { n: 20 });
    good = m.exportJson(LATER);
    throwsCore(() => m.configure({ historySize: -1 }), 'config.historySize', 'config.historySize: ');
    throwsCore(() => m.importJson('{'), '$', '$: ');
    throwsCore(() => m.mergeJson({ schemaVersion: 99 }), '$.schemaVersion', '$.schemaVersion: ');
    throwsCore(() => m.mergeAll([good, good, { schemaVersion: 99 }]), '$.schemaVersion', 'document 3: $.schemaVersion: ', 3);
    // One document: its error as mergeJson gives it, no document number.
    throwsCore(() => m.mergeAll([{ schemaVersion: 99 }]), '$.schemaVersion', '$.schemaVersion: ');
    throwsCore(() => m.otlpJson({ resource: 5 }), 'otlp.resource', 'otlp.resource: ');
    // Refusals made in JS before the copy are CoreErrors of the same shape.
    throwsCore(() => m.importJson({ big: 10n }), '$', '$: the document cannot be serialized');
    assert.equal(m.exportJson(LATER), good, 'nothing changed');
  } finally {
    m.dispose();
  }
  await assert.rejects(reportFromExport('nope'), (err) => err instanceof CoreError && err.field === '$');
  await assert.rejects(MonitorCore.compareExports(good, '{', {}), (err) => err instanceof CoreError && err.document === 'current' && err.field === '$');
  await assert.rejects(
    MonitorCore.compareExports(good, good, { alpha: 7 }),
    (err) => err instanceof CoreError && err.document === undefined && /^alpha|options/.test(err.field),
  );
});

test('the series queries: a path that names no series is a TypeError naming the method, its field in path', async () => {
  const m = await MonitorCore.create();
  try {
    for (const [call, method] of [
      [() => m.quantile('generations.nope.ttftMs', 0.5), 'quantile'],
      [() => m.histogram('generations.nope.ttftMs'), 'histogram'],
    ])
      assert.throws(call, (err) => {
        assert.ok(err instanceof TypeError);
        assert.equal(err.path, 'path');
        assert.equal(
          err.message,
          `${method}: "generations.nope.ttftMs" names no series (generations[.byModel|byType|byOperation.<key>].<series>, operations.<name>.durationMs, initialization.loadMs)`,
        );
        return true;
      });
    // Far longer than any series path: cut before the copy, refused all the same.
    assert.throws(() => m.quantile(`generations.ttftMs${'x'.repeat(1e6)}`, 0.5), /^TypeError: quantile: "generations\.ttftMsx{62}\.\.\." names no series/);
  } finally {
    m.dispose();
  }
});

test("the limits JS checks are the core module's constants", async () => {
  const module = await loadCore();
  assert.equal(limits.nameBytes, module.maxNameBytes);
  assert.equal(limits.nameBytes, 256);
  assert.equal(limits.messageBytes, module.maxMessageBytes);
  assert.equal(limits.messageBytes, 2048);
  assert.equal(limits.documentBytes, module.maxDocumentBytes);
  assert.equal(MAX_DOCUMENT_BYTES, module.maxDocumentBytes);
  assert.equal(MAX_MERGE_BYTES, module.maxMergeBytes);
  assert.equal(limits.jsonDepth, module.maxJsonDepth);
  assert.equal(limits.seriesPathBytes, module.maxSeriesPathBytes);
});

// The real @mlc-ai/web-llm MLCEngine in headless Chromium (WebGPU through SwiftShader), wrapped by
// the monitor: loads of a model missing from the app config and of a model whose files are not
// there are recorded as failed loads under WebLLM's error names, and the app receives the very
// error objects WebLLM threw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';

const b = useBrowser({ name: 'webllm' });

test("failed loads of the real MLCEngine are recorded with WebLLM's error names and passed through", async (t) => {
  const { page } = await b.open(t, '/tests/browser/pages/webllm.html', { fresh: true });
  const { notInConfig, missingFiles, metrics, status } = await page.evaluate(() => window.api.run());

  assert.equal(notInConfig.threw, true);
  assert.equal(notInConfig.same, true, 'the app gets the error object WebLLM threw');
  assert.equal(notInConfig.name, 'ModelNotFoundError');
  assert.match(notInConfig.message, /Cannot find model record in appConfig for No-Such-Model-MLC/);

  assert.equal(missingFiles.threw, true);
  assert.equal(missingFiles.same, true);
  assert.ok(missingFiles.name && missingFiles.name.length > 0);

  const init = metrics.initialization;
  assert.equal(init.loads, 2);
  assert.equal(init.failed, 2);
  assert.equal(init.succeeded, 0);
  assert.equal(init.lastSucceeded, false);
  assert.equal(metrics.errors.byName.ModelNotFoundError, 1);
  assert.equal(metrics.errors.byName[missingFiles.name], 1, `recorded as ${missingFiles.name}, the name the app saw`);
  const recent = metrics.errors.recent.map((e) => [e.name, e.operation, e.model]);
  assert.deepEqual(recent, [
    [missingFiles.name, 'load', 'Missing-Model-q4f16_1-MLC'],
    ['ModelNotFoundError', 'load', 'No-Such-Model-MLC'],
  ]);
  assert.equal(status.ready, false);
  assert.equal(status.loading, null);
  t.diagnostic(`WebLLM's error for missing files: ${missingFiles.name}: ${missingFiles.message}`);
  await b.screenshot(page, 'failed-loads');
});

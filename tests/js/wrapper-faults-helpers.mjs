// What the two fault suites of the wrapper share (wrapper-faults-simulated.test.mjs on the
// simulated engine, wrapper-faults-webllm.test.mjs on WebLLM's own engine classes); not a test file.
import { makeHooks } from './helpers.mjs';

/** Iterates `stream` until it throws; returns the chunks and the thrown value. */
export async function drainUntilError(stream) {
  const chunks = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (err) {
    return { chunks, error: err };
  }
  throw new Error('expected the stream to fail');
}

/** Hooks that forward to a MonitorCore, as js/monitor.js does, and keep the events too. */
export function coreHooks(core, extra = {}) {
  const { hooks, log } = makeHooks(extra);
  const record = hooks.recordGeneration;
  const recordLoad = hooks.recordModelLoad;
  hooks.recordGeneration = (e) => {
    record(e);
    core.recordGeneration(e);
  };
  hooks.recordModelLoad = (e) => {
    recordLoad(e);
    core.recordModelLoad(e);
  };
  return { hooks, log };
}

// Loads the Emscripten module of the core once (Node: from the file; browsers and workers: by
// URL, so that bundlers find the .wasm) and checks that it is the build this JS expects.

import createCoreModule from '../../dist/webllm-monitor-core.mjs';
import { schemaVersion } from '../version.js';
import { MAX_DOCUMENT_BYTES, MAX_MERGE_BYTES } from './inputs.js';
import { limits, readLimits } from './limits.js';

/** Where the wasm binary lives; a literal `new URL(..., import.meta.url)` so bundlers find it. */
const WASM_URL = new URL('../../dist/webllm-monitor-core.wasm', import.meta.url);

/** @type {Promise<import("../../dist/webllm-monitor-core.mjs").CoreModule> | null} */
let modulePromise = null;

function isNode() {
  return typeof process !== 'undefined' && process.versions != null && typeof process.versions.node === 'string' && typeof window === 'undefined';
}

async function instantiate() {
  if (isNode()) {
    // Emscripten 3.1.6's loader cannot fetch a file path under Node: hand it the bytes. A dynamic
    // import of a non-literal specifier: browser bundlers (Vite, esbuild, webpack) leave it alone.
    const fsModule = 'node:fs/promises';
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fsModule);
    const wasmBinary = await readFile(WASM_URL);
    return checked(await createCoreModule({ wasmBinary }).catch(rethrowCompileFailure));
  }
  return checked(
    await createCoreModule({
      locateFile: (path, prefix) => (path.endsWith('.wasm') ? WASM_URL.href : prefix + path),
    }).catch(rethrowCompileFailure),
  );
}

/**
 * Rethrows a failed compile of the wasm with a message that says so, the original error as
 * `cause`. Emscripten's loader reports one as `RuntimeError: Aborted(CompileError: ...). Build
 * with -s ASSERTIONS=1 for more info.`; the usual reason in a browser is a Content-Security-Policy
 * whose script-src lacks 'wasm-unsafe-eval'. Any other failure (the fetch, say) is rethrown as is.
 * @param {unknown} err
 * @returns {never}
 */
function rethrowCompileFailure(err) {
  const original = err instanceof Error ? err.message : String(err);
  const message = original.replace(/\.? *Build with -s ASSERTIONS=1 for more info\.?$/, '').replace(/^Aborted\(([\s\S]*)\)$/, '$1');
  const compile = (err instanceof Error && err.name === 'CompileError') || /CompileError|unsafe-eval/.test(message);
  if (!compile) throw err;
  const refusedByPolicy = /content.security.policy|\bCSP\b|unsafe-eval/i.test(message);
  const hint = refusedByPolicy
    ? "The page's Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src."
    : "If the page has a Content-Security-Policy, its script-src must allow 'wasm-unsafe-eval'; else check that dist/webllm-monitor-core.wasm is served unchanged.";
  throw new Error(`webllm-monitor: the WebAssembly core could not be compiled: ${message.replace(/\.$/, '')}. ${hint}`, { cause: err });
}

/**
 * Refuses a module built from other sources than this file expects (a stale dist/), and reads
 * its limits (js/core/limits.js), which the package's public constants must equal.
 */
function checked(module) {
  if (module.schemaVersion !== schemaVersion)
    throw new Error(`webllm-monitor: the wasm core writes export schema ${module.schemaVersion}, this JS expects ${schemaVersion}: rebuild dist/`);
  const problem = readLimits(module);
  if (problem !== null) throw new Error(`webllm-monitor: ${problem}: rebuild dist/`);
  if (limits.documentBytes !== MAX_DOCUMENT_BYTES || limits.mergeBytes !== MAX_MERGE_BYTES)
    throw new Error(
      `webllm-monitor: the wasm core reads documents of at most ${limits.documentBytes} bytes and ${limits.mergeBytes} per merge, this JS says ${MAX_DOCUMENT_BYTES} and ${MAX_MERGE_BYTES}: rebuild dist/`,
    );
  return module;
}

/**
 * Loads the Emscripten module of the core. The module is created once and shared: later calls
 * (and every {@link MonitorCore}) reuse it. A failed load is not cached, so it can be retried.
 * A wasm that cannot be compiled (in a browser, most often a Content-Security-Policy without
 * 'wasm-unsafe-eval') rejects with an Error saying so, Emscripten's error as its `cause`.
 * @returns {Promise<import('../../dist/webllm-monitor-core.mjs').CoreModule>} the Emscripten module (Embind class `Core`, `reportFromExport`,
 *   `schemaVersion`, `HEAPF64`)
 */
export function loadCore() {
  if (modulePromise === null) {
    modulePromise = instantiate().catch((err) => {
      modulePromise = null;
      throw err;
    });
  }
  return modulePromise;
}

// The Emscripten glue that the wasm build (scripts/build.sh) writes beside this file, as
// js/core/loader.js uses it. Written by hand and tracked (.gitignore keeps the rest of dist/ out):
// TypeScript reads this instead of type-checking the generated glue (tsconfig.checkjs.json), and
// finds it before the package is built.

/** The options js/core/loader.js passes: the wasm bytes (Node), or where to fetch it (browsers). */
export interface CoreModuleOptions {
  wasmBinary?: Uint8Array;
  locateFile?: (path: string, prefix: string) => string;
}

/** Instantiates the wasm core: the Emscripten module (Embind class `Core`, `reportFromExport`, `schemaVersion`, `HEAPF64`). */
export default function createCoreModule(options?: CoreModuleOptions): Promise<any>;

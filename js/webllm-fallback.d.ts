// Stands in for @mlc-ai/web-llm's declarations where that package is not installed (an app on the
// simulated engine, or recording by hand), so that these declarations still type-check. A
// wildcard module declaration is used only when the import finds no module: with WebLLM installed,
// its own declarations are the ones used. Referenced by index.d.ts; no imports or exports, so that
// it stays a global declaration file.

declare module '@mlc-ai/web-llm*' {
  /** WebLLM's MLCEngineConfig (unknown without WebLLM). */
  export type MLCEngineConfig = unknown;
  /** WebLLM's ChatOptions (unknown without WebLLM). */
  export type ChatOptions = unknown;
  /** WebLLM's engine interface: its members are unknown without WebLLM. */
  export interface MLCEngineInterface {
    [member: string]: unknown;
  }
}

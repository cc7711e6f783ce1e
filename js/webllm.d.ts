// Module augmentation of @mlc-ai/web-llm (referenced by index.d.ts): `monitorType` on WebLLM's
// request types, so that a tagged request type-checks against the real engine.
export {};

declare module '@mlc-ai/web-llm' {
  interface ChatCompletionRequestBase {
    /** The monitor's type tag of this call (webllm-monitor; WebLLM ignores it). */
    monitorType?: string;
  }
  interface CompletionCreateParamsBase {
    /** The monitor's type tag of this call (webllm-monitor; WebLLM ignores it). */
    monitorType?: string;
  }
  interface EmbeddingCreateParams {
    /** The monitor's type tag of this call (webllm-monitor; WebLLM ignores it). */
    monitorType?: string;
  }
}

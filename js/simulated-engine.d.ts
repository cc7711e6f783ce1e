// Hand-written declarations for js/simulated-engine.js (`webllm-monitor/simulated-engine`): a
// stand-in for WebLLM's MLCEngine (@mlc-ai/web-llm 0.2.86) with the same interface, shapes,
// progress texts and error names, no GPU and no weights. The types below are structural
// subsets of WebLLM's. Where @mlc-ai/web-llm is installed, the members that take or give WebLLM's
// request and response types (`chat`, `completions`, `embeddings`, whose classes have a private
// member, `chatCompletion`, `completion`, `embedding`, `resumeChatCompletion`, `setAppConfig`) have the types of WebLLM's
// MLCEngineInterface, so that the engine is an MLCEngineInterface; without it, the types below.
/// <reference path="./webllm-fallback.d.ts" />
import type { MLCEngineInterface } from '@mlc-ai/web-llm';

/** The type of WebLLM's MLCEngineInterface[K] where @mlc-ai/web-llm is installed, else Own (its
 * stand-in, webllm-fallback.d.ts, has unknown members). */
type WebLLMOr<K extends keyof MLCEngineInterface, Own> = unknown extends MLCEngineInterface[K] ? Own : MLCEngineInterface[K];

export interface InitProgressReport {
  /** 0..1 (restarts at 0 for the "Loading model from cache" phase). */
  progress: number;
  /** Seconds: whole seconds in the texts' phases, fractional in the final report. */
  timeElapsed: number;
  text: string;
}
export type InitProgressCallback = (report: InitProgressReport) => void;

export interface ModelRecordLike {
  model_id: string;
  model?: string;
  model_lib?: string;
  /** 0 = LLM, 1 = embedding, 2 = VLM (WebLLM's ModelType). */
  model_type?: number;
  vram_required_MB?: number;
  [key: string]: unknown;
}
export interface AppConfigLike {
  model_list: ModelRecordLike[];
  [key: string]: unknown;
}

/** Fault injection (tests and demos). Generations are counted from 1 in call order. */
export interface SimulatedFaults {
  /** Probability that a chat / completion fails at prefill (name: errorName). */
  errorRate?: number;
  /** Name of the errorRate errors; default "ContextWindowSizeExceededError". */
  errorName?: string;
  /** Probability that a generation stops halfway with finish_reason "abort". */
  abortRate?: number;
  /** The nth generation loses the GPU device halfway: it fails with a plain Error, the models
   * are unloaded, and later calls fail with ModelNotLoadedError. */
  deviceLostAt?: number;
  /** Called when the simulated device is lost. */
  onDeviceLost?: (info: { reason: string; message: string }) => void;
  /** The nth generation throws halfway (a plain Error unless throwName is given). */
  throwMidStreamAt?: number;
  throwName?: string;
  throwMessage?: string;
  /** Every reload fails with this error: a name ("DeviceLostError" fails after "Finish loading",
   * as WebLLM's does; any other name before "Start to fetch params"), `{ name, message }`, or an Error. */
  loadError?: string | { name: string; message?: string } | Error | null;
}

/** Overrides of a model's simulated profile. */
export interface SimulatedModelProfile {
  vramMB?: number;
  /** Size of the weights in MiB. */
  paramsMB?: number;
  decodeTps?: number;
  prefillTps?: number;
  shaders?: number;
  embedding?: boolean;
  dims?: number;
  contextWindow?: number;
}

export interface SimulatedEngineConfig {
  // WebLLM's MLCEngineConfig
  appConfig?: AppConfigLike;
  initProgressCallback?: InitProgressCallback;
  logitProcessorRegistry?: unknown;
  logLevel?: string;
  // The simulation
  /** Seed of every random draw (default 1): same seed and same call order, same session. */
  seed?: number;
  /** 1 = realistic waits (default), 0.01 = 100 times faster, 0 = no waiting at all. With 0 the
   * unscaled simulated times are reported (usage, progress); otherwise the times that passed. */
  timeScale?: number;
  /** Median length of a reply in tokens (default 60). */
  medianTokens?: number;
  /** A scripted reply instead of random words: its words are the tokens (max_tokens, the abort
   * and throw faults still cut it short). Called once per generation, in call order. */
  reply?: (request: ChatCompletionRequest | CompletionCreateParams) => string;
  faults?: SimulatedFaults;
  /** Behave as a WebWorkerMLCEngine: rejections from "the worker" are "Name: message" strings. */
  worker?: boolean;
  /** GPU adapter info; the final progress text uses description, or vendor when empty. */
  adapter?: { vendor?: string; architecture?: string; description?: string };
  maxStorageBufferBindingSize?: number;
  models?: Record<string, SimulatedModelProfile>;
}

export interface ChatCompletionMessageParam {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | Array<{ type: string; text?: string; [key: string]: unknown }> | null;
  [key: string]: unknown;
}

export interface StreamOptions {
  include_usage?: boolean;
}

/** `extra_body.resumable` of a chat request: the generation is journaled and can be resumed. */
export interface ResumableGenerationConfig {
  /** When false, the generation is not journaled. */
  enabled: boolean;
  /** Single use: a new generation with the id of a stored session fails with
   * ResumableSessionExistsError until that session is deleted. Default: a random UUID. */
  sessionId?: string;
  /** Decode tokens between KV checkpoints (default 512; a positive integer). */
  checkpointIntervalTokens?: number;
  /** A KV checkpoint after the prefill (default true). */
  checkpointPrompt?: boolean;
  // Accepted for WebLLM's sake; the simulation journals every token either way.
  durabilityMode?: 'exact' | 'relaxed';
  strictPersistence?: boolean;
  storeCheckpointLogits?: boolean;
}

/** One entry of listResumableSessions(). */
export interface ResumeProbeResult {
  sessionId: string;
  /** The generation did not finish (interrupted, failed, or its stream was left early). */
  resumable: boolean;
  /** "generation finished", "generation aborted", "engine error: <message>", "generation incomplete". */
  reason?: string;
  modelId: string;
  /** Tokens of the reply journaled so far. */
  emittedTokens: number;
  /** Prompt tokens plus emittedTokens. */
  processedSeqLen: number;
  /** "kv" with a KV checkpoint to restore, else "token_replay" (prompt and tokens prefilled again). */
  recoveryMode: 'kv' | 'token_replay' | 'text_only' | 'none';
}

/** What resumeChatCompletion() gives when it does not stream. */
export interface ResumeResult {
  sessionId: string;
  /** The reply: so far ("text_only"), or in full once continued. */
  recoveredText: string;
  emittedTokens: number;
  processedSeqLen: number;
  /** Tokens prefilled again to restore the KV cache (0 for "text_only"). */
  replayedTokens: number;
  recoveryMode: 'kv' | 'token_replay' | 'text_only';
}

export interface ResumeChatCompletionOptions {
  /** Generate the rest of the reply (default: only read the text so far). */
  continueGeneration?: boolean;
  /** Stream the rest (for a streamed request), chunks of the new text only. */
  stream?: boolean;
}

export interface ChatCompletionRequest {
  messages: ChatCompletionMessageParam[];
  model?: string | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  seed?: number | null;
  logprobs?: boolean | null;
  extra_body?: { resumable?: ResumableGenerationConfig | null; [key: string]: unknown } | null;
  [key: string]: unknown;
}

export interface CompletionCreateParams {
  prompt: string;
  model?: string | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  max_tokens?: number | null;
  temperature?: number | null;
  echo?: boolean | null;
  n?: number | null;
  seed?: number | null;
  [key: string]: unknown;
}

export interface EmbeddingCreateParams {
  input: string | string[] | number[] | number[][];
  model?: string | null;
  encoding_format?: 'float' | 'base64';
  [key: string]: unknown;
}

export interface CompletionUsage {
  completion_tokens: number;
  prompt_tokens: number;
  total_tokens: number;
  extra: {
    e2e_latency_s: number;
    /** NaN or Infinity are possible (as in WebLLM) when a time is 0. */
    prefill_tokens_per_s: number;
    decode_tokens_per_s: number;
    time_to_first_token_s: number;
    time_per_output_token_s: number;
    latencyBreakdown?: unknown;
  };
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'tool_calls';

export interface ChatCompletion {
  id: string;
  choices: Array<{
    finish_reason: FinishReason;
    index: number;
    logprobs: unknown | null;
    message: { content: string | null; role: 'assistant' };
  }>;
  model: string;
  object: 'chat.completion';
  /** Unix time in seconds. */
  created: number;
  usage: CompletionUsage;
}

export interface ChatCompletionChunk {
  id: string;
  choices: Array<{
    delta: { content?: string | null; role?: 'assistant' };
    finish_reason: FinishReason | null;
    index: number;
    logprobs?: unknown | null;
  }>;
  model: string;
  object: 'chat.completion.chunk';
  /** Unix time in seconds (the same on every chunk). */
  created: number;
  /** Only on the last chunk (with `choices: []`) when stream_options.include_usage is true. */
  usage?: CompletionUsage;
}

export interface Completion {
  id: string;
  choices: Array<{ finish_reason: FinishReason | null; index: number; logprobs?: unknown | null; text: string }>;
  model: string;
  object: 'text_completion';
  created: number;
  usage?: CompletionUsage;
}

export interface CreateEmbeddingResponse {
  data: Array<{ embedding: number[]; index: number; object: 'embedding' }>;
  model: string;
  object: 'list';
  usage: { prompt_tokens: number; total_tokens: number; extra: { prefill_tokens_per_s: number } };
}

export interface SimulatedModelInfo {
  modelId: string;
  vramRequiredMB: number;
  paramsBytes: number;
  embedding: boolean;
  decodeTokensPerSec: number;
  prefillTokensPerSec: number;
}

/** An Error subclass whose instances have `name` set to the class name. */
export interface SimulatedErrorClass {
  new (...args: unknown[]): Error;
  readonly prototype: Error;
}

/** The error classes the engine throws, by WebLLM name (ModelNotLoadedError, DeviceLostError...). */
export const SimulatedErrors: Readonly<Record<string, SimulatedErrorClass>>;

/** An error named `name` with WebLLM's message for it (or `message`); "Error" gives a plain Error. */
export function simulatedError(name: string, message?: string): Error;

export class SimulatedMLCEngine {
  constructor(engineConfig?: SimulatedEngineConfig);

  chat: WebLLMOr<'chat', {
    completions: {
      create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncGenerator<ChatCompletionChunk, void, void>>;
      create(request: ChatCompletionRequest & { stream?: false | null }): Promise<ChatCompletion>;
      create(request: ChatCompletionRequest): Promise<AsyncGenerator<ChatCompletionChunk, void, void> | ChatCompletion>;
    };
  }>;
  completions: WebLLMOr<'completions', {
    create(request: CompletionCreateParams & { stream: true }): Promise<AsyncGenerator<Completion, void, void>>;
    create(request: CompletionCreateParams & { stream?: false | null }): Promise<Completion>;
    create(request: CompletionCreateParams): Promise<AsyncGenerator<Completion, void, void> | Completion>;
  }>;
  embeddings: WebLLMOr<'embeddings', { create(request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse> }>;

  appConfig: AppConfigLike | undefined;

  chatCompletion: WebLLMOr<'chatCompletion', (request: ChatCompletionRequest) => Promise<AsyncGenerator<ChatCompletionChunk, void, void> | ChatCompletion>>;
  completion: WebLLMOr<'completion', (request: CompletionCreateParams) => Promise<AsyncGenerator<Completion, void, void> | Completion>>;
  embedding: WebLLMOr<'embedding', (request: EmbeddingCreateParams) => Promise<CreateEmbeddingResponse>>;

  setAppConfig: WebLLMOr<'setAppConfig', (appConfig: AppConfigLike) => void>;
  setInitProgressCallback(initProgressCallback: InitProgressCallback | undefined): void;
  getInitProgressCallback(): InitProgressCallback | undefined;
  setLogLevel(logLevel: string): void;
  setLogitProcessorRegistry(registry: unknown): void;

  /** Unloads, then loads each model in turn; resolves without loading if unload() interrupts it. */
  reload(modelId: string | string[], chatOpts?: object | object[]): Promise<void>;
  unload(): Promise<void>;
  /** The running generation ends with finish_reason "abort". A promise, or undefined in worker mode. */
  interruptGenerate(): Promise<void> | void;
  resetChat(keepStats?: boolean, modelId?: string): Promise<void>;
  getMessage(modelId?: string): Promise<string>;
  runtimeStatsText(modelId?: string): Promise<string>;
  getGPUVendor(): Promise<string>;
  getMaxStorageBufferBindingSize(): Promise<number>;
  forwardTokensAndSample(inputIds: number[], isPrefill: boolean, modelId?: string): Promise<number>;
  /** The page's resumable sessions (shared by every simulated engine, as WebLLM's OPFS store), by id. */
  listResumableSessions(): Promise<ResumeProbeResult[]>;
  /** Reads a session's reply so far, or continues it (`continueGeneration`): a stream of the new
   * text (`stream: true`, for a streamed request; the session is locked at its first next()) or a
   * ResumeResult once the reply ends. A finished session, or one whose model is not loaded, gives
   * its text ("text_only"). Rejects for an unknown id, or a session a generation is writing to. */
  resumeChatCompletion: WebLLMOr<'resumeChatCompletion', (sessionId: string, options?: ResumeChatCompletionOptions) => Promise<ResumeResult | AsyncGenerator<ChatCompletionChunk, void, void>>>;
  /** Deletes a session (nothing for an unknown id); rejects while a generation writes to it. */
  deleteResumableSession(sessionId: string): Promise<void>;

  // The simulation's own controls
  /** Replaces the fault injection settings. */
  setFaults(faults: SimulatedFaults): void;
  /** Loses the simulated GPU device now, as WebLLM's device.lost handler sees it: every model is
   * unloaded, a running generation fails at its next step, later calls fail with
   * ModelNotLoadedError; `faults.onDeviceLost` is called. */
  loseDevice(): void;
  /** A model's simulated size, GPU memory estimate and speeds. */
  modelInfo(modelId: string): SimulatedModelInfo;
  /** Empties the simulated browser cache shared by every simulated engine. */
  static clearCache(): void;
  /** Empties the simulated store of resumable sessions shared by every simulated engine. */
  static clearResumableSessions(): void;
  /** Models whose weights are all in the simulated browser cache. */
  static cachedModels(): string[];
}

/** `new SimulatedMLCEngine(engineConfig)` then `reload(modelId, chatOpts)`, like CreateMLCEngine. */
export function CreateSimulatedMLCEngine(
  modelId: string | string[],
  engineConfig?: SimulatedEngineConfig,
  chatOpts?: object | object[],
): Promise<SimulatedMLCEngine>;

/** Whether all of a model's weights are in the simulated browser cache (like WebLLM's
 * hasModelInCache; usable as the monitor's `hasModelInCache` option). */
export function simulatedHasModelInCache(modelId: string, appConfig?: unknown): Promise<boolean>;

/** Removes a model from the simulated browser cache. */
export function simulatedDeleteModelInCache(modelId: string): Promise<void>;

// WebLLM's errors: its names and messages, as classes the simulated engine throws.

const MESSAGES = {
  ModelNotLoadedError: (requestName = 'ChatCompletionRequest') =>
    `Model not loaded before trying to complete ${requestName}. Please ensure you have called ` +
    `MLCEngine.reload(model) to load the model before initiating APIs, ` +
    `or initialize your engine using CreateMLCEngine() with a valid model configuration.`,
  WorkerEngineModelNotLoadedError: (engineName = 'WebWorkerMLCEngine') => `${engineName} is not loaded with a model. Did you call \`engine.reload()\`?`,
  ModelNotFoundError: (modelId) =>
    `Cannot find model record in appConfig for ${modelId}. Please check if the model ID is correct and included in the model_list configuration.`,
  SpecifiedModelNotFoundError: (loaded, requested, requestName) =>
    `Specified model ${requested} for ${requestName} is not found in loaded models. ` +
    `Please check if the correct model is loaded/specified. ` +
    `Currently loaded models are:\n${loaded}`,
  UnclearModelToUseError: (loaded, requestName) =>
    `Multiple models are loaded in engine. Please specify the model in ${requestName}.\n` + `Currently loaded models are:\n${loaded}`,
  IncorrectPipelineLoadedError: (modelId, expected, requestName) =>
    `${requestName} expects model to be loaded with ${expected}. However, ` + `${modelId} is not loaded with this pipeline.`,
  InvalidStreamOptionsError: () => 'Only specify stream_options when stream=True.',
  StreamingCountError: () => 'When streaming, `n` cannot be > 1.',
  SeedTypeError: (seed) => '`seed` should be an integer, but got ' + seed,
  MessageOrderError: (message = 'Last message should be from either `user` or `tool`.') => message,
  SystemMessageOrderError: () => 'System prompt should always be the first message in `messages`.',
  UnsupportedFieldsError: (fields, target) => `The following fields in ${target} are not yet supported: \n` + fields.join(', '),
  ContextWindowSizeExceededError: (numPromptTokens = 4097, contextWindowSize = 4096) =>
    `Prompt tokens exceed context window size: number of prompt tokens: ${numPromptTokens}; ` +
    `context window size: ${contextWindowSize}\nConsider shortening the prompt, or increase ` +
    '`context_window_size`, or using sliding window via `sliding_window_size`.',
  DeviceLostError: () =>
    'The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM). To resolve this, try reloading with a model that has fewer parameters or uses a smaller context length.',
  WebGPUNotAvailableError: () =>
    'WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine. ' +
    'Please make sure that your browser supports WebGPU and that it is enabled in your browser settings. ' +
    "You can also consult your browser's compatibility chart to see if it supports WebGPU. " +
    'For more information about WebGPU support in your browser, visit https://webgpureport.org/',
  ShaderF16SupportError: () =>
    'This model requires WebGPU extension shader-f16, which is not enabled in this browser. ' +
    'You can try to launch Chrome Canary in command line with flag "--enable-dawn-features=allow_unsafe_apis".',
  FeatureSupportError: (feature = 'shader-f16') => `This model requires feature ${feature}, which is not yet supported by this browser.`,
  ReloadArgumentSizeUnmatchedError: (numModelId, numChatOpts) =>
    `Expect chatOpts, if specified, to match the size of modelId. However, got ` + `${numModelId} modelId, but ${numChatOpts} chatOpts.`,
  ReloadModelIdNotUniqueError: (modelId) =>
    `Need to make models in modelId passed to reload() need to be unique. If you want to, ` +
    `load copies of the same model, consider making copies of the ModelRecord with ` +
    `different model_id. Received modelId: ${modelId}`,
  MinValueError: (param, min) => `Make sure \`${param}\` > ${min}.`,
  NonNegativeError: (param) => `Make sure ${param} >= 0.`,
  RangeError: (param, min, max) => `Make sure ${min} < ${param} <= ${max}.`,
  EmbeddingInputEmptyError: () => 'Embedding input cannot be empty string or empty token array.',
  EmbeddingUnsupportedEncodingFormatError: () => 'Embedding in base64 format is currently not supported.',
  ResumableSessionExistsError: (sessionId) => `Resumable session already exists: ${sessionId}`,
  IntegrityError: (url = 'https://huggingface.co/mlc-ai/model/resolve/main/params_shard_0.bin') =>
    `Integrity verification failed for ${url}\n  Expected: sha256-...\n  Actual: sha256-...\nThis may indicate file corruption or tampering.`,
};

const errorClasses = new Map();

/** The Error subclass named `name` (WebLLM's classes only set `name`; so do these). */
function errorClass(name) {
  let C = errorClasses.get(name);
  if (!C) {
    const make = MESSAGES[name];
    C = class extends Error {
      constructor(...args) {
        super(make ? make(...args) : args.length > 0 ? String(args[0]) : name);
        this.name = name;
      }
    };
    Object.defineProperty(C, 'name', { value: name });
    errorClasses.set(name, C);
  }
  return C;
}

/**
 * The error classes the simulated engine throws, by name (each `new X(...)` has `name === "X"`
 * and WebLLM's message).
 */
export const SimulatedErrors = Object.freeze(Object.fromEntries(Object.keys(MESSAGES).map((name) => [name, errorClass(name)])));

/**
 * An error named `name` with WebLLM's message for that name (or `message` when given): what a
 * fault such as `{ loadError: { name: 'DeviceLostError' } }` throws.
 * @param {string} name
 * @param {string} [message]
 */
export function simulatedError(name, message) {
  if (!name || name === 'Error') return new Error(message ?? 'Simulated error'); // as the TVM runtime throws
  const C = errorClass(name);
  const err = new C();
  if (message !== undefined) err.message = message;
  return err;
}

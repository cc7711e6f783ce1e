// What WebLLM checks of a request before it runs: the model to use, the generation config, the
// fields of chat, completion and embedding requests.

import { SimulatedErrors } from './errors.js';

/** A token count estimated from characters. */
export const tokensOf = (chars) => Math.max(1, Math.ceil(chars / 4));

export function getModelIdToUse(loadedModelIds, requestModel, requestName) {
  if (loadedModelIds.length === 0) throw new SimulatedErrors.ModelNotLoadedError(requestName);
  if (requestModel) {
    if (!loadedModelIds.includes(requestModel)) throw new SimulatedErrors.SpecifiedModelNotFoundError(loadedModelIds, requestModel, requestName);
    return requestModel;
  }
  if (loadedModelIds.length > 1) throw new SimulatedErrors.UnclearModelToUseError(loadedModelIds, requestName);
  return loadedModelIds[0];
}

export function checkGenerationConfig(request) {
  const has = (v) => v !== undefined && v !== null;
  if (has(request.max_tokens) && !(request.max_tokens > 0)) throw new SimulatedErrors.MinValueError('max_tokens', 0);
  if (has(request.top_p) && !(request.top_p > 0 && request.top_p <= 1)) throw new SimulatedErrors.RangeError('top_p', 0, 1);
  if (has(request.temperature) && !(request.temperature >= 0)) throw new SimulatedErrors.NonNegativeError('temperature');
}

export function checkChatRequest(request) {
  const messages = request.messages;
  messages.forEach((message, index) => {
    if (message.role === 'system' && index !== 0) throw new SimulatedErrors.SystemMessageOrderError();
  });
  const last = messages[messages.length - 1];
  if (last.role !== 'user' && last.role !== 'tool') throw new SimulatedErrors.MessageOrderError();
  checkCommon(request);
}

export function checkCompletionRequest(request) {
  // WebLLM's rejectCompletionResumable
  if (request.extra_body?.resumable !== undefined && request.extra_body?.resumable !== null)
    throw new SimulatedErrors.UnsupportedFieldsError(['extra_body.resumable'], 'CompletionCreateParams');
  const unsupported = ['suffix', 'user', 'best_of'].filter((f) => f in request);
  if (unsupported.length > 0) throw new SimulatedErrors.UnsupportedFieldsError(unsupported, 'CompletionCreateParams');
  checkCommon(request);
}

function checkCommon(request) {
  if (request.stream && request.n && request.n > 1) throw new SimulatedErrors.StreamingCountError();
  if (request.seed !== undefined && request.seed !== null && !Number.isInteger(request.seed)) throw new SimulatedErrors.SeedTypeError(request.seed);
  if (request.stream_options !== undefined && request.stream_options !== null && !request.stream) throw new SimulatedErrors.InvalidStreamOptionsError();
}

export function checkEmbeddingRequest(request) {
  const unsupported = ['dimensions', 'user'].filter((f) => f in request);
  if (unsupported.length > 0) throw new SimulatedErrors.UnsupportedFieldsError(unsupported, 'EmbeddingCreateParams');
  if (request.encoding_format == 'base64') throw new SimulatedErrors.EmbeddingUnsupportedEncodingFormatError();
  const input = request.input;
  if (typeof input === 'string') {
    if (input === '') throw new SimulatedErrors.EmbeddingInputEmptyError();
  } else {
    if (input.length === 0) throw new SimulatedErrors.EmbeddingInputEmptyError();
    for (const item of input) if (typeof item !== 'number' && item.length === 0) throw new SimulatedErrors.EmbeddingInputEmptyError();
  }
}

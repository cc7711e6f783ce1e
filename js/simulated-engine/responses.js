// What a request to a loaded model returns: a chat or completion response (n choices), the stream
// of its chunks (WebLLM's asyncGenerate; a resumed session's continuation too), embeddings.

import { makeRandom } from '../random.js';
import { checkAlive, Generation } from './generation.js';
import { checkChatRequest, checkCompletionRequest, checkEmbeddingRequest, tokensOf } from './requests.js';
import { ResumableJournal, resumableConfigOf } from './sessions.js';
import { hashString, mix, Timeline, uuid } from './time.js';

/** A chat or completion request (`requestName` says which): its response, or its stream. */
export async function generate(engine, request, requestName) {
  const timeReceived = Date.now();
  const plan = engine._plan(request);
  const pipeline = engine._states(requestName, false, request.model);
  if (requestName === 'ChatCompletionRequest') checkChatRequest(request);
  else checkCompletionRequest(request);
  const resumable = requestName === 'ChatCompletionRequest' ? resumableConfigOf(request, pipeline.id, engine.logitProcessorRegistry) : undefined;
  const journal = resumable === undefined ? null : new ResumableJournal(resumable);
  if (request.stream) return streamChunks(engine, request, pipeline, plan, timeReceived, journal);
  await pipeline.lock.acquire();
  try {
    engine._interruptSignal = false;
    const n = request.n ? request.n : 1;
    const choices = [];
    let completionTokens = 0;
    let decodeTokens = 0;
    let promptTokens = 0;
    let prefillS = 0;
    let decodeS = 0;
    let virtualMs = 0;
    for (let i = 0; i < n; i++) {
      const g = new Generation(engine, pipeline, request, i === 0 ? plan : engine._plan(request));
      g.journal = journal;
      if (engine._interruptSignal) {
        g.triggerStop();
      } else {
        try {
          await g.prefill();
          await decodeAll(engine, g);
        } catch (err) {
          journal?.error(err);
          throw err;
        }
      }
      virtualMs += g.timeline.virtualMs;
      const choice =
        requestName === 'ChatCompletionRequest'
          ? { finish_reason: g.finishReason, index: i, logprobs: request.logprobs ? { content: [] } : null, message: { content: g.message, role: 'assistant' } }
          : {
              finish_reason: g.finishReason,
              index: i,
              logprobs: request.logprobs ? { content: [] } : null,
              text: request.echo ? request.prompt + g.message : g.message,
            };
      choices.push(choice);
      completionTokens += g.completionTokens;
      decodeTokens += g.decodeTokens;
      promptTokens += g.promptTokens;
      prefillS += g.prefillS;
      decodeS += g.decodeS;
    }
    const e2e = engine._timeScale > 0 ? (Date.now() - timeReceived) / 1000 : virtualMs / 1000;
    return {
      id: uuid(plan.rand),
      choices,
      model: pipeline.id,
      object: requestName === 'ChatCompletionRequest' ? 'chat.completion' : 'text_completion',
      created: Math.floor(Date.now() / 1000),
      usage: {
        completion_tokens: completionTokens,
        prompt_tokens: promptTokens,
        total_tokens: completionTokens + promptTokens,
        extra: {
          e2e_latency_s: e2e,
          prefill_tokens_per_s: promptTokens / prefillS,
          decode_tokens_per_s: decodeS > 0 ? decodeTokens / decodeS : 0,
          time_to_first_token_s: prefillS,
          time_per_output_token_s: decodeTokens > 0 ? decodeS / decodeTokens : 0,
          latencyBreakdown: undefined,
        },
      },
    };
  } finally {
    journal?.close();
    await pipeline.lock.release();
  }
}

/** decode steps until the generation stops (or is interrupted). */
export async function decodeAll(engine, g) {
  while (!g.stopped) {
    if (engine._interruptSignal || g.interrupted) {
      g.triggerStop();
      break;
    }
    await g.decode();
  }
}

/**
 * WebLLM's asyncGenerate: the lock is taken at the first next(). With `resumed` (a
 * session), the continuation of its reply (WebLLM's streamContinuation): the KV cache is
 * restored instead of the prefill, and empty deltas are left out.
 */
export async function* streamChunks(engine, request, pipeline, plan, timeReceived, journal, resumed) {
  await pipeline.lock.acquire();
  try {
    const isChat = 'messages' in request;
    const state = { id: uuid(plan.rand), created: Math.floor(Date.now() / 1000) };
    engine._interruptSignal = false;
    const g = new Generation(engine, pipeline, request, plan);
    const model = pipeline.id;
    const object = isChat ? 'chat.completion.chunk' : 'text_completion';
    const logprobs = request.logprobs ? { content: [] } : null;
    g.journal = journal;
    const deltaChunk = () => {
      const d = g.delta();
      if (resumed !== undefined && d === '') return undefined;
      return isChat
        ? {
            id: state.id,
            choices: [{ delta: { content: d, role: 'assistant' }, finish_reason: null, index: 0, logprobs }],
            model,
            object,
            created: state.created,
          }
        : { id: state.id, choices: [{ text: d, finish_reason: null, index: 0, logprobs }], model, object, created: state.created };
    };
    if (resumed === undefined) await g.prefill();
    else await g.replay(resumed);
    let chunk = deltaChunk();
    if (chunk !== undefined) yield chunk;
    while (!g.stopped) {
      if (engine._interruptSignal || g.interrupted) {
        g.triggerStop();
        break;
      }
      await g.decode();
      chunk = deltaChunk();
      if (chunk !== undefined) yield chunk;
    }
    yield isChat
      ? { id: state.id, choices: [{ delta: {}, finish_reason: g.finishReason, index: 0 }], model, object, created: state.created }
      : { id: state.id, choices: [{ text: '', finish_reason: g.finishReason, index: 0 }], model, object, created: state.created };
    if (request.stream_options?.include_usage === true) {
      const e2e = engine._timeScale > 0 ? (Date.now() - timeReceived) / 1000 : g.timeline.virtualMs / 1000;
      yield {
        id: state.id,
        choices: [],
        usage: {
          completion_tokens: g.completionTokens,
          prompt_tokens: g.promptTokens,
          total_tokens: g.completionTokens + g.promptTokens,
          extra: {
            e2e_latency_s: e2e,
            prefill_tokens_per_s: g.promptTokens / g.prefillS,
            decode_tokens_per_s: g.decodeTokens / g.decodeS,
            time_to_first_token_s: g.prefillS,
            time_per_output_token_s: g.decodeTokens > 0 ? g.decodeS / g.decodeTokens : 0,
            latencyBreakdown: undefined,
          },
        },
        model,
        object,
        created: state.created,
      };
    }
  } catch (err) {
    journal?.error(err);
    throw err;
  } finally {
    // A stream that failed or was left early is journaled as aborted (WebLLM's closeStreamJournal).
    if (journal?.begun) {
      journal.end('abort');
      journal.close();
    }
    await pipeline.lock.release();
  }
}

/** An embedding request: a unit vector per input, the same for the same input. */
export async function embed(engine, request) {
  const pipeline = engine._states('EmbeddingCreateParams', true, request.model);
  checkEmbeddingRequest(request);
  const n = ++engine._requests;
  const rand = makeRandom(mix(mix(engine._seed, 0xe3b), n));
  await pipeline.lock.acquire();
  try {
    const input = request.input;
    const items = typeof input === 'string' ? [input] : typeof input[0] === 'number' ? [input] : input;
    let tokens = 0;
    for (const item of items) tokens += typeof item === 'string' ? tokensOf(item.length) : item.length;
    const t = new Timeline(engine._timeScale);
    const took = await t.advance(rand.lognormal(15 + (1000 * tokens) / pipeline.profile.prefillTps, 0.2));
    checkAlive(pipeline);
    const dims = pipeline.profile.dims;
    const data = items.map((item, index) => {
      const r = makeRandom(hashString(typeof item === 'string' ? item : item.join(',')));
      const v = new Array(dims);
      let norm = 0;
      for (let k = 0; k < dims; k++) norm += (v[k] = r.normal()) ** 2;
      norm = Math.sqrt(norm);
      for (let k = 0; k < dims; k++) v[k] /= norm;
      return { embedding: v, index, object: 'embedding' };
    });
    return {
      data,
      model: pipeline.id,
      object: 'list',
      usage: { prompt_tokens: tokens, total_tokens: tokens, extra: { prefill_tokens_per_s: tokens / (took / 1000) } },
    };
  } finally {
    await pipeline.lock.release();
  }
}

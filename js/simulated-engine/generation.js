// One generation on one pipeline (prefill, then decode steps), as LLMChatPipeline counts it: the
// tokens sampled (random words, or the engine's scripted reply) and WebLLM's stop conditions.

import { contentChars } from '../wrapper/generation.js';
import { SimulatedErrors, simulatedError } from './errors.js';
import { checkGenerationConfig, tokensOf } from './requests.js';
import { Timeline } from './time.js';

const WORDS = (
  'the a of to and in is it that for on with as this was are be by at from or an but not have ' +
  'model browser token stream cache memory WebGPU shader weights prompt answer latency throughput ' +
  'request engine local private fast device result context window summary translation example ' +
  'simple clear quickly better data page user offline inference quantized small large'
).split(' ');

/** A scripted reply's tokens: one per word, each with the whitespace before it. */
export const replyTokensOf = (text) => String(text).match(/\s*\S+/g) ?? [];

/** The text of the `index`-th (from 1) of `count` random words: the first capitalised, a full stop after the last. */
export function randomWord(rand, index, count) {
  const word = WORDS[Math.floor(rand.uniform() * WORDS.length)];
  return (index === 1 ? word[0].toUpperCase() + word.slice(1) : ' ' + word) + (index === count ? '.' : '');
}

/** A request's max_tokens, Infinity when it sets none. */
export const maxTokensOf = (config) => (config && typeof config.max_tokens === 'number' && config.max_tokens > 0 ? config.max_tokens : Infinity);

/**
 * WebLLM's stop conditions once the `sampled`-th token of a round is sampled
 * (LLMChatPipeline.processNextToken), on a reply of `textTokens` tokens: the token after them is
 * the stop token ("stop", counted as a completion token, as WebLLM does); `maxTokens` reply
 * tokens or a full context window (`contextLeft` tokens after the prompt) give "length";
 * undefined while the generation goes on.
 */
export function finishAfter(sampled, textTokens, maxTokens, contextLeft) {
  if (sampled > textTokens) return 'stop';
  if (sampled >= maxTokens || sampled >= contextLeft) return 'length';
  return undefined;
}

/** Throws as a disposed GPU object does once the model was unloaded or the device lost. */
export function checkAlive(pipeline) {
  if (pipeline.disposed) throw new Error('Cannot run the model: its pipeline was disposed (unload() or a lost device).');
}

/** The prompt's tokens without reuse of the KV cache: the whole conversation, or the prompt. */
export function promptTokensOf(request) {
  if (!('messages' in request)) return tokensOf(contentChars(request.prompt)) + 2;
  let n = 12;
  for (const m of request.messages) n += tokensOf(contentChars(m.content)) + 4;
  return n;
}

function sameMessage(a, b) {
  return a && b && a.role === b.role && (a.content === b.content || JSON.stringify(a.content) === JSON.stringify(b.content));
}

export class Generation {
  /**
   * @param {import('./engine.js').SimulatedMLCEngine} engine
   * @param {any} pipeline
   * @param {any} request
   * @param {any} plan drawn when the request was made
   */
  constructor(engine, pipeline, request, plan) {
    this.engine = engine;
    this.pipeline = pipeline;
    this.request = request;
    this.plan = plan;
    this.timeline = new Timeline(engine._timeScale);
    this.rand = plan.rand;
    this.text = plan.textRand;
    this.sampled = 0;
    this.message = '';
    this.prevLength = 0;
    this.stopped = false;
    this.finishReason = undefined;
    this.promptTokens = 0;
    this.prefillS = 0;
    this.decodeTokens = 0;
    this.decodeS = 0;
    this.interrupted = false;
    /** Prompt and reply tokens before this round's first sample (the context window's share). */
    this.contextTokens = 0;
    /** Tokens of the reply sampled before this round (a resumed session's). */
    this.startSampled = 0;
    /** @type {import('./sessions.js').ResumableJournal | null} */
    this.journal = null;
    this.replayedTokens = 0;
    this.recoveryMode = undefined;
  }

  promptTokensFor() {
    const request = this.request;
    const pipeline = this.pipeline;
    if (!('messages' in request)) {
      pipeline.conversation = null;
      return promptTokensOf(request);
    }
    const messages = request.messages;
    const prev = pipeline.conversation;
    const history = messages.slice(0, -1);
    let reuse =
      prev !== null && pipeline.finishReason !== 'abort' && pipeline.finishReason !== 'length' && history.length > 0 && prev.length === history.length;
    if (reuse) for (let i = 0; i < history.length && reuse; i++) reuse = sameMessage(prev[i], history[i]);
    if (reuse) return tokensOf(contentChars(messages[messages.length - 1].content)) + 6;
    return promptTokensOf(request);
  }

  /** Samples one token after prefill or decode and applies WebLLM's stop conditions. */
  sample() {
    const plan = this.plan;
    this.sampled += 1;
    this.finishReason = finishAfter(this.sampled, plan.textTokens, plan.maxTokens, this.pipeline.profile.contextWindow - this.contextTokens);
    this.stopped = this.finishReason !== undefined;
    if (this.finishReason !== 'stop')
      this.message += plan.replyTokens !== null ? plan.replyTokens[this.sampled - 1] : randomWord(this.text, this.sampled, plan.textTokens);
  }

  async prefill() {
    checkGenerationConfig(this.request);
    checkAlive(this.pipeline);
    this.promptTokens = this.promptTokensFor();
    const contextWindow = this.pipeline.profile.contextWindow;
    if (this.promptTokens > contextWindow) throw new SimulatedErrors.ContextWindowSizeExceededError(this.promptTokens, contextWindow);
    if (this.plan.errorAtPrefill) throw this.plan.errorAtPrefill;
    const profile = this.pipeline.profile;
    const ms = this.rand.lognormal(35 + (1000 * this.promptTokens) / profile.prefillTps, 0.25);
    const took = await this.timeline.advance(ms);
    checkAlive(this.pipeline);
    this.prefillS += took / 1000;
    this.pipeline.stats.prefillTokens += this.promptTokens;
    this.pipeline.stats.prefillS += took / 1000;
    this.pipeline.message = '';
    this.contextTokens = this.promptTokens;
    this.journal?.begin(this);
    this.sample();
    this.journal?.token(this);
    this.afterStep();
  }

  /**
   * The prefill of a resumed session: restores the KV cache from the session's last checkpoint
   * (replaying the tokens after it), or replays the prompt and every token of the reply; then
   * samples the next token, as WebLLM's replay does.
   */
  async replay(session) {
    checkGenerationConfig(this.request);
    checkAlive(this.pipeline);
    if (this.plan.errorAtPrefill) throw this.plan.errorAtPrefill;
    this.sampled = this.startSampled = session.emittedTokens;
    this.message = session.message;
    this.prevLength = this.message.length;
    const kv = session.checkpointSeqLen !== undefined;
    this.recoveryMode = kv ? 'kv' : 'token_replay';
    this.replayedTokens = kv ? session.processedSeqLen - session.checkpointSeqLen : session.emittedTokens;
    this.promptTokens = kv ? this.replayedTokens : session.promptTokens + session.emittedTokens;
    const profile = this.pipeline.profile;
    const restoreMs = kv ? 20 + (session.checkpointSeqLen * profile.vramMB) / 4096 / 50 : 35;
    const took = await this.timeline.advance(this.rand.lognormal(restoreMs + (1000 * this.promptTokens) / profile.prefillTps, 0.25));
    checkAlive(this.pipeline);
    this.prefillS += took / 1000;
    this.pipeline.stats.prefillTokens += this.promptTokens;
    this.pipeline.stats.prefillS += took / 1000;
    this.pipeline.message = this.message;
    this.contextTokens = session.promptTokens;
    this.sample();
    this.journal?.token(this);
    this.afterStep();
  }

  async decode() {
    const plan = this.plan;
    if (plan.deviceLostAfter !== null && this.sampled >= plan.deviceLostAfter) {
      this.engine._deviceLost();
      const err = new Error('Device was lost during generation (simulated): the GPU device was destroyed and the model unloaded.');
      throw err;
    }
    if (plan.throwAfter !== null && this.sampled >= plan.throwAfter) {
      throw simulatedError(plan.throwName ?? 'Error', plan.throwMessage ?? 'Simulated failure while decoding (faults.throwMidStreamAt).');
    }
    checkAlive(this.pipeline);
    const ms = this.rand.lognormal(1000 / this.pipeline.profile.decodeTps, 0.2);
    const took = await this.timeline.advance(ms);
    checkAlive(this.pipeline);
    this.decodeTokens += 1;
    this.decodeS += took / 1000;
    this.pipeline.stats.decodeTokens += 1;
    this.pipeline.stats.decodeS += took / 1000;
    this.sample();
    this.journal?.token(this);
    this.afterStep();
  }

  afterStep() {
    this.pipeline.message = this.message;
    // faults.abortRate: as if the app called interruptGenerate() now (for this generation only).
    if (this.plan.abortAfter !== null && this.sampled === this.plan.abortAfter && !this.stopped) this.interrupted = true;
    if (this.stopped) this.finish();
  }

  triggerStop() {
    if (this.stopped) return;
    this.stopped = true;
    this.finishReason = 'abort';
    this.finish();
  }

  finish() {
    this.journal?.end(this.finishReason);
    const pipeline = this.pipeline;
    pipeline.finishReason = this.finishReason;
    pipeline.conversation = 'messages' in this.request ? [...this.request.messages, { role: 'assistant', content: this.message }] : null;
  }

  /** The text yielded since the previous delta. */
  delta() {
    const d = this.message.slice(this.prevLength);
    this.prevLength = this.message.length;
    return d;
  }

  get completionTokens() {
    return this.sampled - this.startSampled;
  }
}

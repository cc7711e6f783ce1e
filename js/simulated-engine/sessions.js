// Resumable sessions: WebLLM's ResumableGenerationCoordinator over its OPFS session store, here a
// store shared by every simulated engine of the page. A generation's journal, the list of
// sessions, and what resumeChatCompletion() reads without generating.

import { SimulatedErrors } from './errors.js';

/** @type {Map<string, any>} sessionId -> the session's journal as WebLLM would read it back */
const resumableSessions = new Map();

/** WebLLM's assertSafeSegment for a session id. */
function checkSessionId(sessionId) {
  if (typeof sessionId !== 'string' || sessionId === '' || sessionId === '.' || sessionId === '..' || sessionId.includes('/') || sessionId.includes('\0'))
    throw new Error(`Invalid resumable session id: ${sessionId}`);
}

/**
 * @typedef {{ sessionId: string, checkpointIntervalTokens: number, checkpointPrompt: boolean }} JournalConfig
 * a chat request's `extra_body.resumable` with its defaults filled in
 */

/**
 * WebLLM's normalizeForRequest: the resumable config of a chat request, or undefined.
 * @returns {JournalConfig | undefined}
 */
export function resumableConfigOf(request, modelId, logitProcessorRegistry) {
  const config = request.extra_body?.resumable;
  if (config?.enabled !== true) return undefined;
  const interval = config.checkpointIntervalTokens ?? 512;
  if (!Number.isInteger(interval)) throw new Error('resumable.checkpointIntervalTokens must be an integer.');
  if (interval <= 0) throw new Error('resumable.checkpointIntervalTokens must be positive.');
  if ((request.n ?? 1) > 1) throw new Error('Resumable generation currently requires n <= 1.');
  const format = request.response_format?.type;
  if (format === 'json_object' || format === 'grammar' || format === 'structural_tag')
    throw new Error('Resumable generation does not support grammar-constrained response formats.');
  if (logitProcessorRegistry instanceof Map && logitProcessorRegistry.has(modelId))
    throw new Error('Resumable generation does not support a custom LogitProcessor.');
  if (request.messages.some((m) => Array.isArray(m.content) && m.content.some((part) => typeof part === 'object' && part !== null && part.type !== 'text')))
    throw new Error('Resumable generation supports text-only prompts.');
  return {
    sessionId: config.sessionId ?? globalThis.crypto?.randomUUID?.() ?? `session-${Date.now()}`,
    checkpointIntervalTokens: interval,
    checkpointPrompt: config.checkpointPrompt ?? true,
  };
}

/** The session's lifetime lock (a Web Lock in WebLLM): held while a generation writes to it. */
export function lockSession(session) {
  if (session.active) throw new Error(`Resumable session is already active: ${session.sessionId}`);
  session.active = true;
}

/** What resumeChatCompletion returns without continuing (WebLLM's makeTextOnlyResumeResult). */
export function textOnlyResult(session) {
  return {
    sessionId: session.sessionId,
    recoveredText: session.message,
    emittedTokens: session.emittedTokens,
    processedSeqLen: session.processedSeqLen,
    replayedTokens: 0,
    recoveryMode: 'text_only',
  };
}

/** One entry of listResumableSessions() (WebLLM's probeReplayState). */
function probeSession(session) {
  const result = {
    sessionId: session.sessionId,
    modelId: session.modelId,
    emittedTokens: session.emittedTokens,
    processedSeqLen: session.processedSeqLen,
    resumable: false,
    recoveryMode: session.emittedTokens > 0 ? 'text_only' : 'none',
  };
  if (session.finished) return { ...result, recoveryMode: 'none', reason: 'generation finished' };
  const reason = session.aborted ? 'generation aborted' : session.engineError !== undefined ? `engine error: ${session.engineError}` : 'generation incomplete';
  return { ...result, resumable: true, recoveryMode: session.checkpointSeqLen !== undefined ? 'kv' : 'token_replay', reason };
}

/**
 * A generation's journal in its session: begun after prefill (the session must not exist yet),
 * then every sampled token, the end (finished, or aborted), an engine error; close() releases
 * the session's lock.
 */
export class ResumableJournal {
  /** @param {JournalConfig} config from resumableConfigOf @param {any} [session] an existing session, to continue it */
  constructor(config, session) {
    this.config = config;
    this.session = session;
    this.ended = false;
  }

  get begun() {
    return this.session !== undefined;
  }

  /** After prefill, before the first token (WebLLM's prefillGeneration). */
  begin(generation) {
    const id = this.config.sessionId;
    checkSessionId(id);
    const existing = resumableSessions.get(id);
    if (existing?.active) throw new Error(`Resumable session is already active: ${id}`);
    if (existing !== undefined) throw new SimulatedErrors.ResumableSessionExistsError(id);
    const now = Date.now();
    const plan = generation.plan;
    this.session = {
      sessionId: id,
      modelId: generation.pipeline.id,
      createdAtMs: now,
      updatedAtMs: now,
      request: JSON.parse(JSON.stringify(generation.request)),
      config: this.config,
      promptTokens: generation.promptTokens,
      emittedTokens: 0,
      processedSeqLen: generation.promptTokens,
      message: '',
      checkpointSeqLen: this.config.checkpointPrompt ? generation.promptTokens : undefined,
      lastCheckpointSeqLen: generation.promptTokens,
      finished: false,
      aborted: false,
      engineError: undefined,
      active: true,
      // what the rest of the reply is drawn from (WebLLM journals the RNG state with each token)
      text: { textRand: plan.textRand, textTokens: plan.textTokens, replyTokens: plan.replyTokens, maxTokens: plan.maxTokens },
    };
    resumableSessions.set(id, this.session);
  }

  /** A sampled token, journaled before it is shown; a KV checkpoint every checkpointIntervalTokens. */
  token(generation) {
    const s = this.session;
    if (s === undefined) return;
    s.emittedTokens = generation.sampled;
    s.message = generation.message;
    s.processedSeqLen = s.promptTokens + s.emittedTokens;
    s.updatedAtMs = Date.now();
    if (s.processedSeqLen - s.lastCheckpointSeqLen >= this.config.checkpointIntervalTokens) {
      s.checkpointSeqLen = s.lastCheckpointSeqLen = s.processedSeqLen;
    }
  }

  end(finishReason) {
    const s = this.session;
    if (s === undefined || this.ended) return;
    this.ended = true;
    if (finishReason === 'abort') s.aborted = true;
    else {
      s.finished = true;
      s.checkpointSeqLen = undefined; // cleanupKVAfterFinish
    }
  }

  error(err) {
    if (this.session !== undefined) this.session.engineError = err instanceof Error ? err.message : String(err);
  }

  close() {
    if (this.session !== undefined) this.session.active = false;
  }
}

/** Empties the store. */
export function clearSessions() {
  resumableSessions.clear();
}

/** Every session of the store, by id: resumable or not, and why. */
export function listSessions() {
  return [...resumableSessions.keys()].sort().map((id) => probeSession(resumableSessions.get(id)));
}

/** Deletes a session (a no-op for an unknown id); not while a generation writes to it. */
export function deleteSession(sessionId) {
  checkSessionId(sessionId);
  const session = resumableSessions.get(sessionId);
  if (session?.active) throw new Error(`Resumable session is already active: ${sessionId}`);
  resumableSessions.delete(sessionId);
}

/** A stored session, or WebLLM's "not found" error. */
export function storedSession(sessionId) {
  checkSessionId(sessionId);
  const session = resumableSessions.get(sessionId);
  if (session === undefined) throw new Error(`Resumable session not found: ${sessionId}`);
  return session;
}

// resumeChatCompletion(): a session's text, or its reply continued, streamed or not, after its KV
// cache is restored or its tokens replayed.

import { Generation } from './generation.js';
import { decodeAll, streamChunks } from './responses.js';
import { lockSession, ResumableJournal, storedSession, textOnlyResult } from './sessions.js';
import { workerStream } from './worker.js';

/**
 * The text a session's reply had, or with `{ continueGeneration: true }` the rest of the reply:
 * a stream of chunks (with `stream: true`, for a streamed chat request; the session is locked
 * at its first next()) or, once the reply ends, a ResumeResult. A session that cannot continue
 * (finished, or its model not loaded) gives its text ("text_only").
 */
export async function resumeChat(engine, sessionId, options) {
  const session = storedSession(sessionId);
  if (options?.continueGeneration !== true) return textOnlyResult(session);
  if (options.stream === true && !session.finished && session.request.stream === true) {
    if (!engine.loadedModelIdToPipeline.has(session.modelId)) return textOnlyResult(session);
    const stream = resumeStream(engine, sessionId);
    return engine._worker ? workerStream(stream) : stream;
  }
  lockSession(session);
  try {
    const pipeline = engine.loadedModelIdToPipeline.get(session.modelId);
    if (pipeline === undefined) return textOnlyResult(session);
    await pipeline.lock.acquire();
    try {
      if (session.finished) return textOnlyResult(session);
      const g = new Generation(engine, pipeline, session.request, engine._plan(session.request, session));
      g.journal = new ResumableJournal(session.config, session);
      engine._interruptSignal = false;
      try {
        await g.replay(session);
        await decodeAll(engine, g);
      } catch (err) {
        g.journal.error(err);
        throw err;
      }
      return {
        sessionId,
        recoveredText: g.message,
        emittedTokens: session.emittedTokens,
        processedSeqLen: session.processedSeqLen,
        replayedTokens: g.replayedTokens,
        recoveryMode: g.recoveryMode,
      };
    } finally {
      await pipeline.lock.release();
    }
  } finally {
    session.active = false;
  }
}

/** The continued stream of a session, which locks it at the first next(). */
async function* resumeStream(engine, sessionId) {
  const timeReceived = Date.now();
  const session = storedSession(sessionId);
  lockSession(session);
  let handedOver = false;
  try {
    const pipeline = engine.loadedModelIdToPipeline.get(session.modelId);
    if (pipeline === undefined || session.finished) throw new Error(`Resumable session ${sessionId} became unavailable for continued streaming.`);
    const journal = new ResumableJournal(session.config, session);
    const plan = engine._plan(session.request, session);
    handedOver = true;
    yield* streamChunks(engine, session.request, pipeline, plan, timeReceived, journal, session);
  } finally {
    if (!handedOver) session.active = false;
  }
}

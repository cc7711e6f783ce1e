// The simulated WebLLM engine's resumable sessions (WebLLM 0.2.86: extra_body.resumable,
// listResumableSessions, resumeChatCompletion, deleteResumableSession); the rest of the engine is
// in simulated-engine.test.mjs.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSimulatedMLCEngine, SimulatedMLCEngine } from '../../js/simulated-engine.js';
import { ask, collect, rejection } from './helpers.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';

beforeEach(() => {
  SimulatedMLCEngine.clearCache();
  SimulatedMLCEngine.clearResumableSessions();
});

const resumable = (sessionId, extra = {}) => ({ extra_body: { resumable: { enabled: true, sessionId, ...extra } } });
const text = (chunks) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

/** Reads a stream's first `n` chunks, then leaves it (return(), as a `break` does). */
async function firstChunks(stream, n) {
  const chunks = [];
  for await (const c of stream) if (chunks.push(c) === n) break;
  return chunks;
}

test('resumable: a stream left early is listed, read, continued on a new engine with the rest of the same reply, then finished', async () => {
  const reference = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, seed: 3 });
  const whole = (await reference.chat.completions.create(ask('Tell me a story'))).choices[0].message.content;

  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, seed: 3 });
  const first = await firstChunks(await engine.chat.completions.create(ask('Tell me a story', { stream: true, ...resumable('story') })), 10);
  const [probe] = await engine.listResumableSessions();
  assert.deepEqual(
    { ...probe, processedSeqLen: undefined },
    { sessionId: 'story', modelId: LLAMA, emittedTokens: 10, processedSeqLen: undefined, resumable: true, recoveryMode: 'kv', reason: 'generation aborted' },
  );
  assert.ok(probe.processedSeqLen > 10);
  // Without continueGeneration: the text so far, no model needed.
  const read = await new SimulatedMLCEngine().resumeChatCompletion('story');
  assert.deepEqual(read, {
    sessionId: 'story',
    recoveredText: text(first),
    emittedTokens: 10,
    processedSeqLen: probe.processedSeqLen,
    replayedTokens: 0,
    recoveryMode: 'text_only',
  });

  // After a "page reload": another engine, another seed; the reply goes on where it stopped.
  const reloaded = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, seed: 99 });
  const resumed = await reloaded.resumeChatCompletion('story', { continueGeneration: true, stream: true });
  assert.equal(typeof resumed[Symbol.asyncIterator], 'function');
  const rest = await collect(resumed);
  assert.equal(text(first) + text(rest), whole);
  assert.ok(
    rest.slice(0, -1).every((c) => c.choices[0].delta.content !== ''),
    'no empty deltas in a continuation',
  );
  assert.equal(rest.at(-1).choices[0].finish_reason, 'stop');
  assert.equal(rest[0].id, rest.at(-1).id);
  assert.notEqual(rest[0].id, first[0].id);

  const [done] = await reloaded.listResumableSessions();
  assert.equal(done.resumable, false);
  assert.equal(done.reason, 'generation finished');
  assert.equal(done.recoveryMode, 'none');
  assert.equal(done.emittedTokens, whole.split(' ').length + 1); // the words and the stop token
  // A finished session continues as text only.
  const again = await reloaded.resumeChatCompletion('story', { continueGeneration: true, stream: true });
  assert.equal(again.recoveredText, whole);
  assert.equal(again.recoveryMode, 'text_only');
  await reloaded.deleteResumableSession('story');
  await reloaded.deleteResumableSession('story'); // an unknown id: nothing to delete
  assert.deepEqual(await reloaded.listResumableSessions(), []);
  assert.equal((await rejection(reloaded.resumeChatCompletion('story'))).message, 'Resumable session not found: story');
});

test('resumable: non-streaming continuation, interrupts, engine errors, KV checkpoints or token replay', async () => {
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0.01, medianTokens: 400, seed: 5 });
  // Interrupted while not streaming: aborted, resumable.
  const p = engine.chat.completions.create(ask('Long', resumable('a', { checkpointPrompt: false })));
  setTimeout(() => engine.interruptGenerate(), 30);
  const partial = await p;
  assert.equal(partial.choices[0].finish_reason, 'abort');
  let [probe] = await engine.listResumableSessions();
  assert.equal(probe.reason, 'generation aborted');
  assert.equal(probe.recoveryMode, 'token_replay'); // no prompt checkpoint, fewer than 512 tokens
  assert.equal(probe.emittedTokens, partial.usage.completion_tokens);
  engine.setFaults({});
  const fast = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const result = await fast.resumeChatCompletion('a', { continueGeneration: true });
  assert.equal(result.recoveryMode, 'token_replay');
  assert.equal(result.replayedTokens, probe.emittedTokens);
  assert.ok(result.recoveredText.startsWith(partial.choices[0].message.content));
  assert.ok(result.emittedTokens > probe.emittedTokens);
  assert.equal((await fast.listResumableSessions())[0].reason, 'generation finished');

  // A failure mid-generation: the engine error is journaled; with a checkpoint every 4 tokens,
  // the KV cache is restored from the last one.
  const failing = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, faults: { throwMidStreamAt: 1 } });
  const err = await rejection(failing.chat.completions.create(ask('Long', resumable('b', { checkpointIntervalTokens: 4 }))));
  [probe] = (await failing.listResumableSessions()).filter((s) => s.sessionId === 'b');
  assert.equal(probe.reason, `engine error: ${err.message}`);
  assert.equal(probe.resumable, true);
  assert.equal(probe.recoveryMode, 'kv');
  const kv = await failing.resumeChatCompletion('b', { continueGeneration: true });
  assert.equal(kv.recoveryMode, 'kv');
  assert.equal(kv.replayedTokens, probe.emittedTokens % 4);
  assert.equal((await failing.listResumableSessions()).find((s) => s.sessionId === 'b').resumable, false);

  // The model of the session is not loaded: the text only.
  const other = await CreateSimulatedMLCEngine(QWEN, { timeScale: 0 });
  await firstChunks(await other.chat.completions.create(ask('x', { stream: true, ...resumable('c') })), 2);
  const elsewhere = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  const textOnly = await elsewhere.resumeChatCompletion('c', { continueGeneration: true, stream: true });
  assert.equal(textOnly.recoveryMode, 'text_only');
  assert.equal(textOnly.emittedTokens, 2);
});

test('resumable: WebLLM errors (ids, locks, unsupported requests) and worker mode', async () => {
  const engine = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0 });
  await engine.chat.completions.create(ask('x', resumable('same')));
  const exists = await rejection(engine.chat.completions.create(ask('x', resumable('same'))));
  assert.equal(exists.name, 'ResumableSessionExistsError');
  assert.equal(exists.message, 'Resumable session already exists: same');
  assert.equal((await rejection(engine.chat.completions.create(ask('x', resumable('a/b'))))).message, 'Invalid resumable session id: a/b');
  assert.equal(
    (await rejection(engine.chat.completions.create(ask('x', { n: 2, ...resumable('n') })))).message,
    'Resumable generation currently requires n <= 1.',
  );
  assert.equal(
    (await rejection(engine.chat.completions.create(ask('x', resumable('i', { checkpointIntervalTokens: 0 }))))).message,
    'resumable.checkpointIntervalTokens must be positive.',
  );
  const completion = await rejection(engine.completions.create({ prompt: 'x', ...resumable('p') }));
  assert.equal(completion.name, 'UnsupportedFieldsError');
  assert.match(completion.message, /extra_body\.resumable/);
  // enabled: false is an ordinary generation.
  await engine.chat.completions.create(ask('x', { extra_body: { resumable: { enabled: false, sessionId: 'off' } } }));
  assert.deepEqual(
    (await engine.listResumableSessions()).map((s) => s.sessionId),
    ['same'],
  );

  // A session being written to is locked: not resumed, not deleted, until its stream ends.
  const stream = await engine.chat.completions.create(ask('x', { stream: true, ...resumable('busy') }));
  const it = stream[Symbol.asyncIterator]();
  await it.next();
  assert.equal((await engine.listResumableSessions()).find((s) => s.sessionId === 'busy').reason, 'generation incomplete');
  assert.equal((await rejection(engine.deleteResumableSession('busy'))).message, 'Resumable session is already active: busy');
  const early = await engine.resumeChatCompletion('busy', { continueGeneration: true, stream: true });
  const locked = await rejection(early[Symbol.asyncIterator]().next()); // locked at the first next()
  assert.equal(locked.message, 'Resumable session is already active: busy');
  await it.return();
  await engine.deleteResumableSession('busy');

  // Worker mode: what runs in the worker rejects with "Name: message" strings.
  const worker = new SimulatedMLCEngine({ worker: true, timeScale: 0, seed: 3 });
  await worker.reload(LLAMA);
  assert.equal(await rejection(worker.resumeChatCompletion('nope')), 'Error: Resumable session not found: nope');
  const part = await firstChunks(await worker.chat.completions.create(ask('Tell me a story', { stream: true, ...resumable('w') })), 4);
  const rest = await collect(await worker.resumeChatCompletion('w', { continueGeneration: true, stream: true }));
  const reference = await CreateSimulatedMLCEngine(LLAMA, { timeScale: 0, seed: 3 });
  assert.equal(text(part) + text(rest), (await reference.chat.completions.create(ask('Tell me a story'))).choices[0].message.content);
});

// Prompt and response text never leave the app through the monitor: sentinel strings go through
// wrapped engines (the simulated one, and WebLLM's own MLCEngine whose ToolCallOutputParseError
// quotes the model's reply), through errors whose messages quote the prompt, and through track();
// then every way out is searched: getMetrics(), getStatus(), the histories, the export, the CSV,
// the text report, the OTLP request, the persisted snapshot, the log, the console commands'
// output and the subscribers' data (what the React panel shows). Lengths and token counts are
// there. With `errorMessages: true` the messages are kept (the positive control: the search finds
// the sentinel when it is there).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createMonitor, reportFromExport } from '../../js/index.js';
import { CreateSimulatedMLCEngine } from '../../js/simulated-engine.js';
import { MAX_MESSAGE_CHARS } from '../../js/wrapper.js';
import { recordingLogger, ask } from './helpers.mjs';
import { patchedMLCEngine } from './webllm-fakes.mjs';

const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const HERMES = 'Hermes-2-Pro-Llama-3-8B-q4f16_1-MLC';
/** Sentinels: a prompt and a reply nobody else would write. */
const PROMPT_MARK = 'zq-prompt-7c1e9';
const REPLY_MARK = 'zq-reply-4b2d8';
const PROMPT = `My PIN is 4711, ${PROMPT_MARK}, please keep it safe`;
const REPLY = `Sure, ${REPLY_MARK} is noted and will never be shared`;
const REPLY_WORDS = REPLY.split(' ').length;
/** A Storage over a Map, as localStorage. */
function memoryStorage() {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => void map.set(k, String(v)),
    removeItem: (k) => void map.delete(k),
  };
}

/** A console stand-in that keeps every call. */
function recorder() {
  const { sink, entries: calls } = recordingLogger();
  return { sink, calls, text: () => inspect(calls, { depth: 12, maxArrayLength: null, maxStringLength: null, breakLength: Infinity }) };
}

const hasMark = (text) => text.includes(PROMPT_MARK) || text.includes(REPLY_MARK);

after(() => {
  delete globalThis.localStorage;
});

/**
 * Runs the session through `monitor`: streamed and plain chats and a completion with the scripted
 * reply, a completion that echoes the prompt, a stream that fails with the prompt in its error, a
 * worker engine's string error with the prompt, WebLLM's ToolCallOutputParseError quoting the
 * reply, and a track()ed function whose error quotes the prompt.
 */
async function runSession(monitor) {
  const errors = [];
  const engine = await monitor.createEngine(CreateSimulatedMLCEngine, LLAMA, { timeScale: 0, reply: () => REPLY });
  const streamed = [];
  for await (const c of await engine.chat.completions.create(ask(PROMPT, { stream: true, monitorType: 'chat' }))) streamed.push(c);
  assert.equal(streamed.map((c) => c.choices[0].delta.content ?? '').join(''), REPLY, 'the scripted reply went through');
  await engine.chat.completions.create(ask(PROMPT, { monitorType: 'chat' }));
  const echoed = await engine.completions.create({ prompt: PROMPT, echo: true, monitorType: 'echo' });
  assert.ok(echoed.choices[0].text.startsWith(PROMPT), 'a completion with echo returns the prompt');

  // An engine error whose message quotes the prompt (as WebLLM's UnsupportedImageURLError quotes
  // the message's image URL).
  const sim = /** @type {import('../../js/simulated-engine.js').SimulatedMLCEngine} */ (/** @type {unknown} */ (engine));
  sim.setFaults({ throwMidStreamAt: 4, throwName: 'InternalError', throwMessage: `cannot continue after "${PROMPT}"` });
  try {
    for await (const c of await engine.chat.completions.create(ask(PROMPT, { stream: true }))) assert.ok(c);
  } catch (err) {
    errors.push(err);
  }
  // A worker engine's string rejection that quotes the prompt.
  const worker = await monitor.createEngine(CreateSimulatedMLCEngine, LLAMA, {
    timeScale: 0,
    worker: true,
    reply: () => REPLY,
    faults: { throwMidStreamAt: 1, throwName: 'InternalError', throwMessage: `bad input: ${PROMPT}` },
  });
  try {
    for await (const c of await worker.chat.completions.create(ask(PROMPT, { stream: true }))) assert.ok(c);
  } catch (err) {
    errors.push(err);
  }
  // WebLLM's own MLCEngine: a tool call whose reply is not JSON; its ToolCallOutputParseError
  // carries the whole reply.
  const raw = patchedMLCEngine({}, () => ({ reply: REPLY }));
  const real = monitor.wrap(raw);
  await real.reload(HERMES);
  const tools = [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} } } }];
  try {
    await real.chat.completions.create(ask(PROMPT, { tools }));
  } catch (err) {
    errors.push(err);
  }
  // The app's own stage, timed with track(), failing with the prompt in its message.
  try {
    await monitor.track('retrieval', async () => {
      throw new Error(`no documents match "${PROMPT}"`);
    });
  } catch (err) {
    errors.push(err);
  }
  assert.equal(errors.length, 4);
  assert.deepEqual(
    errors.map((e) => (typeof e === 'string' ? e.split(':')[0] : e.name)),
    ['InternalError', 'InternalError', 'ToolCallOutputParseError', 'Error'],
  );
  assert.ok(
    errors.every((e) => hasMark(typeof e === 'string' ? e : e.message)),
    'every error quotes the prompt or the reply',
  );
  return errors;
}

test('no prompt or reply text anywhere the monitor stores, exports, prints or shows; lengths and tokens are there', async () => {
  const storage = memoryStorage();
  globalThis.localStorage = storage;
  const out = recorder();
  const monitor = await createMonitor({
    memory: false,
    webgpu: false,
    debug: true,
    logger: out.sink,
    persist: 'localStorage',
    persistKey: 'privacy',
    throttleMs: 0,
  });
  const snapshots = [];
  monitor.subscribe((s) => snapshots.push(s));
  monitor.installConsole('privacyConsole');
  await runSession(monitor);

  const places = {};
  places.metrics = JSON.stringify(monitor.getMetrics());
  places.status = JSON.stringify(monitor.getStatus());
  places.generations = JSON.stringify(monitor.getAllGenerations());
  places.memory = JSON.stringify(monitor.getMemorySnapshots());
  places.export = monitor.exportMetrics();
  places.csv = monitor.exportCSV();
  places.report = monitor.printMetrics();
  places.reportFromExport = await reportFromExport(places.export);
  places.otlp = JSON.stringify(monitor.toOTLP());
  places.logEntries = inspect(monitor.logEntries, { depth: 12, maxStringLength: null });
  // The console commands, each called as a developer would in DevTools: every command the console
  // installs (js/monitor/console.js), but those that take a document or forget the session.
  const commands = globalThis.privacyConsole;
  const changeTheSession = ['importMetrics', 'mergeMetrics', 'resetMetrics'];
  for (const name of changeTheSession) assert.equal(typeof commands[name], 'function', `${name} is a console command`);
  const readCommands = Object.keys(commands).filter((name) => typeof commands[name] === 'function' && !changeTheSession.includes(name));
  assert.ok(readCommands.includes('help') && readCommands.includes('printMetrics'), readCommands.join(', '));
  const consoleResults = [];
  for (const name of readCommands) consoleResults.push(commands[name]());
  places.consoleResults = inspect(consoleResults, { depth: 12, maxStringLength: null, maxArrayLength: null });
  // What the panel shows comes from subscribe(), getMetrics(), getStatus(), getAllGenerations().
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.ok(snapshots.length >= 1);
  places.subscribers = JSON.stringify(snapshots);
  await monitor.dispose(); // saves a last time
  places.persisted = JSON.stringify([...storage.map]);
  places.consoleOutput = out.text();

  for (const [where, text] of Object.entries(places)) {
    assert.equal(typeof text, 'string', where);
    assert.ok(!hasMark(text), `${where} holds prompt or reply text`);
  }

  // What is there instead: lengths, tokens, error names.
  const doc = JSON.parse(places.export);
  const gens = doc.generations;
  assert.equal(gens.length, 6);
  const chats = gens.filter((g) => g.type === 'chat');
  assert.equal(chats.length, 2);
  for (const g of chats) {
    assert.equal(g.promptChars, PROMPT.length);
    assert.equal(g.responseChars, REPLY.length);
    assert.equal(g.completionTokens, REPLY_WORDS + 1, 'one token per word, and the stop token');
    assert.ok(g.promptTokens > 0);
  }
  const echo = gens.find((g) => g.type === 'echo');
  assert.equal(echo.responseChars, PROMPT.length + REPLY.length);
  const failed = gens.filter((g) => g.errorName !== null);
  assert.deepEqual(failed.map((g) => g.errorName).sort(), ['InternalError', 'InternalError', 'ToolCallOutputParseError']);
  assert.ok(failed.every((g) => g.errorMessage === null && g.promptChars === PROMPT.length));
  const m = doc.metrics;
  assert.ok(m.generations.tokens.completion >= 3 * REPLY_WORDS);
  assert.equal(m.errors.byName.Error, 1, "track()'s failure, by name");
  assert.ok(m.errors.recent.every((e) => e.message === '' || e.message === null || !hasMark(e.message)));
  assert.ok(places.persisted.includes(`"promptChars\\":${PROMPT.length}`), 'the persisted session has the lengths');
  assert.ok(!('privacyConsole' in globalThis));
});

test('errorMessages: true keeps the messages (cut to the limit), and only then are they found', async () => {
  const out = recorder();
  const monitor = await createMonitor({ memory: false, webgpu: false, logger: out.sink, errorMessages: true });
  const errors = await runSession(monitor);
  const exported = monitor.exportMetrics();
  assert.ok(exported.includes(PROMPT_MARK), 'the prompt quoted by the engine error is kept');
  assert.ok(exported.includes(REPLY_MARK), "the reply quoted by WebLLM's ToolCallOutputParseError is kept");
  assert.ok(hasMark(out.text()), 'and logged with the failure');
  const doc = JSON.parse(exported);
  const tool = doc.generations.find((g) => g.errorName === 'ToolCallOutputParseError');
  assert.ok(tool.errorMessage.length <= MAX_MESSAGE_CHARS + 1);
  assert.ok(errors[2].message.startsWith(tool.errorMessage.replace(/…$/, '')));
  assert.equal(doc.metrics.operations.retrieval.failed, 1);
  assert.ok(doc.metrics.errors.recent.some((e) => e.operation === 'retrieval' && e.message.includes(PROMPT_MARK)));
  await monitor.dispose();
  await assert.rejects(createMonitor({ errorMessages: 'yes' }), { name: 'TypeError', message: /options\.errorMessages/ });
});

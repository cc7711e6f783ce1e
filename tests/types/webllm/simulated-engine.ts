// The simulated engine where code typed against WebLLM expects an engine.
import { createMonitor } from 'webllm-monitor';
import { CreateSimulatedMLCEngine, SimulatedMLCEngine, simulatedHasModelInCache } from 'webllm-monitor/simulated-engine';
import type { ChatCompletionChunk, MLCEngineInterface, ResumeProbeResult, ResumeResult } from '@mlc-ai/web-llm';

const engine: MLCEngineInterface = await CreateSimulatedMLCEngine('Llama-3.2-1B-Instruct-q4f16_1-MLC', { timeScale: 0 });
const direct: MLCEngineInterface = new SimulatedMLCEngine({ seed: 7 });
void direct;

const monitor = await createMonitor({ hasModelInCache: simulatedHasModelInCache });
const wrapped: MLCEngineInterface = await monitor.createEngine(CreateSimulatedMLCEngine, 'Llama-3.2-1B-Instruct-q4f16_1-MLC', {
  timeScale: 0,
  initProgressCallback: (report) => console.log(report.text),
});
void wrapped;

// Resumable generation, as an app written against WebLLM does it.
async function app(e: MLCEngineInterface): Promise<string> {
  const stream = await e.chat.completions.create({
    messages: [{ role: 'user', content: 'Write a long story' }],
    stream: true,
    extra_body: { resumable: { enabled: true, sessionId: 'story-1' } },
  });
  for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) break;
  const sessions: ResumeProbeResult[] = await e.listResumableSessions();
  const session = sessions.find((s) => s.resumable);
  if (session === undefined) return '';
  const resumed = await e.resumeChatCompletion(session.sessionId, { continueGeneration: true, stream: true });
  let text = '';
  if (Symbol.asyncIterator in resumed) {
    for await (const chunk of resumed as AsyncIterable<ChatCompletionChunk>) text += chunk.choices[0]?.delta.content ?? '';
  } else {
    text = (resumed as ResumeResult).recoveredText;
  }
  await e.deleteResumableSession(session.sessionId);
  return text;
}
void app(engine);

// `monitorType` (the monitor's type tag) on WebLLM's chat, completion and embedding requests.
import 'webllm-monitor';
import type { MLCEngineInterface } from '@mlc-ai/web-llm';

declare const engine: MLCEngineInterface;

const reply = await engine.chat.completions.create({
  messages: [{ role: 'user', content: 'Hi' }],
  monitorType: 'chat',
});
void reply.choices[0]?.message.content;
const stream = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], stream: true, monitorType: 'chat' });
for await (const chunk of stream) void chunk.choices[0]?.delta.content;
await engine.completions.create({ prompt: 'Once upon a time', monitorType: 'story' });
await engine.embeddings.create({ input: ['a', 'b'], monitorType: 'rag_embed' });

// @ts-expect-error a type tag is a string
await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], monitorType: 3 });
// @ts-expect-error the augmentation adds monitorType, nothing else
await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], monitorTyp: 'chat' });

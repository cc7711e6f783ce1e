// What the README's blocks leave to the app: its own UI functions and its conversation.
import type { ChatCompletionChunk, ChatCompletionMessageParam, InitProgressReport } from '@mlc-ai/web-llm';

declare global {
  function showProgress(report: InitProgressReport): void;
  const messages: ChatCompletionMessageParam[];
  function render(chunk: ChatCompletionChunk): void;
}

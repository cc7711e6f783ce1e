// Monitor options that take WebLLM's functions as they are.
import { createMonitor } from 'webllm-monitor';
import { hasModelInCache, prebuiltAppConfig, type AppConfig } from '@mlc-ai/web-llm';

await createMonitor({ hasModelInCache });
await createMonitor({ hasModelInCache: (modelId: string, appConfig?: AppConfig) => hasModelInCache(modelId, appConfig ?? prebuiltAppConfig) });
// @ts-expect-error a model id is a string
await createMonitor({ hasModelInCache: async (modelId: number) => modelId > 0 });
// @ts-expect-error the answer is a Promise<boolean>
await createMonitor({ hasModelInCache: (modelId: string) => modelId !== '' });

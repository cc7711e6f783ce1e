// Compile-time checks of the package's declarations (tsc --noEmit -p tests/types). The lines under
// an expect-error directive must fail to type-check; the rest must pass.
import {
  createMonitor,
  classifyError,
  installGpuBufferTracking,
  MonitorCore,
  reportFromExport,
  schemaVersion,
  type Metrics,
  type Monitor,
  type MonitorSnapshot,
  type RecordResult,
} from 'webllm-monitor';
import {
  SimulatedMLCEngine,
  CreateSimulatedMLCEngine,
  type ResumeProbeResult,
  type SimulatedEngineConfig,
} from 'webllm-monitor/simulated-engine';

async function main(): Promise<void> {
  const monitor: Monitor = await createMonitor({ debug: true, historySize: 500, persist: 'indexedDB', gpuBuffers: true });
  await createMonitor({ otlp: { endpoint: 'http://localhost:4318', headers: { 'x-api-key': 'k' }, intervalMs: 30_000, resource: { 'service.name': 'chat' } } });
  // @ts-expect-error the endpoint is required
  await createMonitor({ otlp: { intervalMs: 1000 } });
  // @ts-expect-error persist takes only the two storage kinds
  await createMonitor({ persist: 'cookies' });
  // @ts-expect-error debug is a boolean
  await createMonitor({ debug: 'yes' });

  const engine = await monitor.createEngine(CreateSimulatedMLCEngine, 'Llama-3.2-1B-Instruct-q4f16_1-MLC');
  const wrapped: SimulatedMLCEngine = monitor.wrap(new SimulatedMLCEngine());
  void wrapped;
  void engine;
  // Without @mlc-ai/web-llm (this project), a factory's unannotated config is unknown.
  await monitor.createEngine((id, cfg) => CreateSimulatedMLCEngine(id, cfg as SimulatedEngineConfig | undefined), 'm');
  // @ts-expect-error unknown, not the simulated engine's config
  await monitor.createEngine((id, cfg) => CreateSimulatedMLCEngine(id, cfg), 'm');
  await monitor.createEngine(CreateSimulatedMLCEngine, 'm', { timeScale: 0, initProgressCallback: (report) => void report.progress });
  // @ts-expect-error the config is the factory's (SimulatedEngineConfig)
  await monitor.createEngine(CreateSimulatedMLCEngine, 'm', { timeScale: 'fast' });
  await createMonitor({ hasModelInCache: async (id: string, appConfig?: { model_list: unknown[] }) => appConfig !== undefined && id !== '' });

  // Resumable sessions on the simulated engine (its own types without WebLLM).
  const stream = await wrapped.chat.completions.create({
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
    extra_body: { resumable: { enabled: true, sessionId: 's', checkpointIntervalTokens: 64 } },
  });
  for await (const chunk of stream) void chunk.choices[0]?.delta.content;
  // @ts-expect-error enabled is a boolean
  await wrapped.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], extra_body: { resumable: { enabled: 'yes' } } });
  const sessions: ResumeProbeResult[] = await wrapped.listResumableSessions();
  void sessions;
  const resumed = await wrapped.resumeChatCompletion('s', { continueGeneration: true, stream: true });
  if (Symbol.asyncIterator in resumed) {
    for await (const chunk of resumed) void chunk.choices[0]?.delta.content;
  } else {
    const text: string = resumed.recoveredText;
    void text;
  }
  await wrapped.deleteResumableSession('s');
  SimulatedMLCEngine.clearResumableSessions();

  const r: RecordResult = monitor.recordGeneration({ model: 'm', durationMs: 1200, ttftMs: 300, completionTokens: 40 });
  if (!r.ok) {
    const field: string = r.field;
    void field;
  }
  // @ts-expect-error durationMs is a number
  monitor.recordGeneration({ model: 'm', durationMs: '1200' });
  monitor.recordCacheLookup({ cache: 'rag', hit: true });
  monitor.recordOperation({ name: 'retrieval', durationMs: 12, success: true });
  monitor.recordModelLoad({ model: 'm', durationMs: 4000, fromCache: 'unknown' });

  const n: number = monitor.track('sync', () => 42);
  const s: Promise<string> = monitor.track('async', async () => 'x');
  void n;
  void s;
  const tagged: Promise<number> = monitor.withType('enhance_summary', async () => 1);
  void tagged;

  const metrics: Metrics = monitor.getMetrics();
  const seq: number = monitor.getMetrics().seq;
  void seq;
  const p95: number | null = metrics.generations.ttftMs.p95;
  void p95;
  const status = monitor.getStatus();
  const ready: boolean = status.ready;
  void ready;
  const pushes: number | undefined = status.otlp?.pushes;
  void pushes;
  const otlpRequest: object = monitor.toOTLP({ resource: { 'service.name': 'app', 'app.build': 3 } });
  void otlpRequest;
  const pushed: Promise<{ ok: boolean; status: number | null }> = monitor.pushOTLP();
  void pushed;
  const unsubscribe: () => void = monitor.subscribe((snap: MonitorSnapshot) => void snap.metrics.cache.hitRate);
  unsubscribe();
  const json: string = monitor.exportMetrics();
  monitor.importMetrics(json);
  monitor.mergeMetrics(json, JSON.parse(json));
  const csv: string = monitor.exportCSV();
  void csv;
  const file: string | null = monitor.downloadMetrics();
  void file;
  const remove: () => void = monitor.installConsole();
  remove();
  await monitor.dispose();

  const core = await MonitorCore.create({ historySize: 10 });
  core.recordDurations('embed', new Float64Array([1, 2, 3]));
  const report: string = await reportFromExport(core.exportJson());
  void report;
  const v: 2 = schemaVersion;
  void v;
  const { name } = classifyError('DeviceLostError: lost');
  void name;
  const tracking = installGpuBufferTracking();
  // @ts-expect-error null where the realm has no WebGPU
  tracking.bytes();
  const bytes: number | undefined = tracking?.bytes();
  void bytes;
}
void main;

// The demo page: engine controls, the chat, the scripted workload and fault buttons on the left,
// the monitor panel (inline) on the right, and the same panel as a drawer on demand.
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { MonitorPanel } from 'webllm-monitor/react';
import { MODELS, SPEEDS } from './session.js';

const seconds = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function App({ session, initialTheme, onFirstRender }) {
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const [theme, setTheme] = useState(initialTheme);
  const [drawerOpen, setDrawerOpen] = useState(false);

  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);
  useEffect(() => onFirstRender?.(), []);

  const monitor = session.monitor;
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◧
          </span>
          <span>
            <strong>webllm-monitor</strong> demo
          </span>
          <span className="engine-badge" data-demo="engine-badge">
            {state.loaded ? `${state.loaded.kind === 'real' ? 'WebLLM' : 'simulated'} · ${shortName(state.loaded.model)}` : 'no model loaded'}
          </span>
        </div>
        <div className="topbar-actions">
          <button type="button" data-demo="open-drawer" onClick={() => setDrawerOpen(true)}>
            Open monitor drawer
          </button>
          <button
            type="button"
            data-demo="theme"
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={() => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))}
          >
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
        </div>
      </header>

      <main className="layout">
        <section className="left">
          <EnginePanel session={session} state={state} />
          {state.alert && (
            <div className="alert" role="alert" data-demo="alert">
              <div>
                <strong data-demo="alert-name">{state.alert.name}</strong>
                <span data-demo="alert-message">: {state.alert.message}</span>
              </div>
              <p>{state.alert.context}</p>
              <button type="button" className="link" onClick={() => session.dismissAlert()}>
                Dismiss
              </button>
            </div>
          )}
          <Chat session={session} state={state} />
          <Tools session={session} state={state} monitor={monitor} />
        </section>
        <aside className="right" data-demo="inline-panel">
          <MonitorPanel monitor={monitor} mode="inline" theme={theme} defaultWindow="session" title="WebLLM monitor" />
        </aside>
      </main>

      <MonitorPanel
        monitor={monitor}
        mode="drawer"
        open={drawerOpen}
        onClose={() => setDrawerOpen(false)}
        theme={theme}
        defaultWindow="5m"
        title="WebLLM monitor (drawer)"
      />
    </div>
  );
}

function shortName(model) {
  return model.replace(/-q4f16_1-MLC$/, '');
}

function EnginePanel({ session, state }) {
  const { load, busy } = state;
  const real = state.engineKind === 'real';
  const pct = Math.round((load.progress ?? 0) * 100);
  return (
    <div className="card" data-demo="engine">
      <div className="card-head">
        <h2>Engine</h2>
        <label className="switch" title={state.webgpu ? 'WebGPU is available' : 'This browser has no WebGPU'}>
          <input
            type="checkbox"
            data-demo="real-engine"
            checked={real}
            disabled={busy !== null}
            onChange={(e) => session.setEngineKind(e.target.checked ? 'real' : 'simulated')}
          />
          <span>Real WebLLM engine</span>
        </label>
      </div>
      <div className="row">
        <label className="field">
          <span>Model</span>
          <select data-demo="model" value={state.model} disabled={busy !== null} onChange={(e) => session.setModel(e.target.value)}>
            {MODELS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field" title="The simulated engine's time scale (applies at the next load)">
          <span>Speed</span>
          <select data-demo="speed" value={state.speed} disabled={busy !== null || real} onChange={(e) => session.setSpeed(e.target.value)}>
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s === 1 ? 'real time' : `${s}× faster`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="primary" data-demo="load" disabled={busy !== null} onClick={() => session.load()}>
          {load.phase === 'loading' ? 'Loading…' : 'Load'}
        </button>
      </div>
      <p className="hint">
        {real
          ? state.webgpu
            ? '@mlc-ai/web-llm with WebGPU: the model is downloaded from Hugging Face on the first load.'
            : 'This browser has no WebGPU: the real engine cannot run here.'
          : 'Simulated WebLLM engine (a Web Worker engine stand-in): no GPU, no download; the second load of a model comes from its cache.'}
      </p>
      <div className={`progress ${load.phase}`} data-demo="load-status" data-phase={load.phase}>
        <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
          <div style={{ width: `${load.phase === 'idle' ? 0 : pct}%` }} />
        </div>
        <div className="progress-text" data-demo="load-text">
          {load.phase === 'idle' && 'No model loaded yet.'}
          {load.phase === 'loading' && load.text}
          {load.phase === 'ready' && (
            <>
              <strong>Ready:</strong> {shortName(load.model)} loaded{' '}
              <span data-demo="from-cache">{load.fromCache === true ? 'from cache' : load.fromCache === false ? 'from the network' : ''}</span> in{' '}
              {seconds(load.durationMs)}
            </>
          )}
          {load.phase === 'error' && (
            <>
              <strong>Load failed:</strong> {load.error.name}
            </>
          )}
        </div>
      </div>
    </div>
  );
}

function Chat({ session, state }) {
  const [text, setText] = useState('What makes WebLLM fast?');
  const listRef = useRef(null);
  const ready = state.loaded !== null;
  const streaming = state.busy === 'chat' || state.busy === 'inject';

  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [state.messages]);

  const submit = (e) => {
    e.preventDefault();
    if (!ready || state.busy || text.trim() === '') return;
    session.send(text).catch(() => {});
    setText('');
  };

  return (
    <div className="card chat" data-demo="chat">
      <div className="card-head">
        <h2>Chat</h2>
        {state.messages.length > 0 && (
          <button type="button" className="link" disabled={state.busy !== null} onClick={() => session.clearChat()}>
            Clear
          </button>
        )}
      </div>
      <div className="messages" ref={listRef} data-demo="messages">
        {state.messages.length === 0 && <p className="empty">{ready ? 'Ask something.' : 'Load a model to chat.'}</p>}
        {state.messages.map((m) => (
          <div
            key={m.id}
            className={`msg ${m.role}${m.error ? ' failed' : ''}`}
            data-demo={`msg-${m.role}`}
            data-streaming={m.streaming ? 'true' : 'false'}
            data-chunks={m.chunks ?? 0}
          >
            {m.content}
            {m.streaming && <span className="cursor" aria-hidden="true" />}
            {m.finishReason === 'abort' && <span className="tag">stopped</span>}
            {m.finishReason === 'length' && <span className="tag">length</span>}
            {m.error && (
              <div className="msg-error" data-demo="msg-error">
                <strong>{m.error.name}</strong>: {m.error.message}
              </div>
            )}
          </div>
        ))}
      </div>
      <form className="composer" onSubmit={submit}>
        <input
          data-demo="input"
          value={text}
          placeholder={ready ? 'Message' : 'Load a model first'}
          disabled={!ready}
          onChange={(e) => setText(e.target.value)}
        />
        {streaming ? (
          <button type="button" data-demo="stop" onClick={() => session.stop()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" data-demo="send" disabled={!ready || state.busy !== null || text.trim() === ''}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}

function Tools({ session, state, monitor }) {
  const [n, setN] = useState(12);
  const w = state.workload;
  const busy = state.busy !== null;
  return (
    <div className="card tools" data-demo="tools">
      <div className="card-head">
        <h2>Workload and faults</h2>
      </div>
      <div className="row">
        <label className="field narrow">
          <span>Generations</span>
          <input type="number" min={1} max={200} value={n} data-demo="workload-n" onChange={(e) => setN(Number(e.target.value))} />
        </label>
        <button
          type="button"
          className="primary"
          data-demo="run-workload"
          disabled={busy || !(n >= 1 && n <= 200)}
          onClick={() => session.runWorkload(Math.round(n)).catch(() => {})}
        >
          Run scripted workload
        </button>
        <button type="button" className="danger" data-demo="inject-device-lost" disabled={busy} onClick={() => session.injectDeviceLost().catch(() => {})}>
          Inject DeviceLostError
        </button>
      </div>
      <p className="hint">
        chat, enhance_summary and translate requests tagged with <code>monitorType</code>; about 10% fail and 10% stop early (the simulated engine's faults),
        and one is stopped with <code>interruptGenerate()</code>.
      </p>
      {w && (
        <p className="workload" data-demo="workload-status" data-running={w.running ? 'true' : 'false'}>
          {w.running ? `Running ${w.done}/${w.total}…` : `Workload done: ${w.total} generations in ${seconds(w.durationMs)}:`} {w.succeeded} succeeded,{' '}
          {w.failed} failed, {w.aborted} aborted
        </p>
      )}
      <div className="row">
        <button type="button" data-demo="download-json" onClick={() => monitor.downloadMetrics()}>
          Download JSON
        </button>
        <button type="button" data-demo="download-csv" onClick={() => monitor.downloadCSV()}>
          Download CSV
        </button>
        <button type="button" data-demo="print" onClick={() => monitor.printMetrics()} title="webllmMonitor.printMetrics() in DevTools does the same">
          Print to console
        </button>
      </div>
    </div>
  );
}

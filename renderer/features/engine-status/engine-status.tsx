/**
 * The honest acceleration view: which provider actually ran each stage and why the preferred ones did
 * not, engine builds with phase/progress/elapsed/ETA/log, and per-page, per-stage timings.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { EngineInfo } from '../../../engines/types.js';
import { Modal } from '../../components/modal.js';
import { getAppStore, useAppStore } from '../../store/index.js';
import { selectCurrentPage } from '../../store/selectors.js';
import { formatMs, STAGE_TIMING_ROWS } from '../../lib/timings.js';
import { PROVIDER_LABEL } from '../settings/settings-panel.js';

/** Re-renders every `periodMs` while `active` (elapsed-time counters). */
function useNow(active: boolean, periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(id);
  }, [active, periodMs]);
  return now;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

function fileName(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}

function onGpu(info: EngineInfo): boolean {
  return info.providers.some((p) => p.provider !== 'cpu');
}

/** Compact status in the footer; opens the engine panel. */
export function EngineStatusBar({ onOpen }: { onOpen(): void }): ReactNode {
  const engine = useAppStore((s) => s.engine);
  const status = useAppStore((s) => s.engineStatus);
  const connection = useAppStore((s) => s.connection);
  const page = useAppStore(selectCurrentPage);
  const info = engine?.info;
  const fallbacks = info?.providers.filter((p) => p.fallbacks.length > 0) ?? [];

  let summary: string;
  if (status?.phase === 'error') summary = `Engine error: ${status.error.message}`;
  else if (status?.phase === 'building-engine') summary = `Building ${status.model} engine (${status.precision})…`;
  else if (status?.phase === 'loading' && !info) summary = `Engine: ${status.message}`;
  else if (info) summary = info.providers.map((p) => `${p.stage} ${p.provider}`).join(' · ') + ` · ${info.precision.toUpperCase()}`;
  else summary = 'Engine: starting…';

  return (
    <footer className="status-bar">
      <button
        type="button"
        className={`engine-badge${info && !onGpu(info) ? ' is-cpu' : ''}${status?.phase === 'error' ? ' is-error' : ''}`}
        data-testid="engine-status"
        data-phase={status?.phase ?? 'unknown'}
        onClick={onOpen}
        title="Engine details"
      >
        {summary}
      </button>
      {fallbacks.length > 0 && (
        <span className="small warning" data-testid="engine-fallback-note">
          {PROVIDER_LABEL[fallbacks[0]!.fallbacks[0]!.provider]} not used: {fallbacks[0]!.fallbacks[0]!.reason}
        </span>
      )}
      <span className="spacer" />
      {page && (
        <span className="small muted" data-testid="status-page-timing">
          This page: {formatMs(page.timings.totalMs)} (det {formatMs(page.timings.detPreMs + page.timings.detRunMs + page.timings.detPostMs)}, rec{' '}
          {formatMs(page.timings.recPreMs + page.timings.recRunMs + page.timings.recPostMs)})
        </span>
      )}
      {connection === 'lost' && (
        <span className="small error" data-testid="connection-lost" role="alert">
          Connection to Lucid OCR lost; retrying…
        </span>
      )}
    </footer>
  );
}

/** A banner while a TensorRT (or other) engine builds: builds take minutes and must not look like a hang. */
export function EngineBuildBanner(): ReactNode {
  const status = useAppStore((s) => s.engineStatus);
  const startedAt = useAppStore((s) => s.buildStartedAtMs);
  const building = status?.phase === 'building-engine';
  const now = useNow(building);
  if (!status) return null;
  if (status.phase === 'fallback') {
    return (
      <div className="banner warning" data-testid="engine-fallback-banner" role="status">
        {status.message}
      </div>
    );
  }
  if (status.phase === 'error') {
    return (
      <div className="banner error" data-testid="engine-error-banner" role="alert">
        Engine error ({status.error.code}): {status.error.message}
      </div>
    );
  }
  if (!building) return null;
  const elapsedMs = startedAt !== null ? now - startedAt : status.elapsedMs;
  // The ETA was computed at the event; count it down since.
  const etaMs = status.estimatedRemainingMs !== undefined ? Math.max(0, status.estimatedRemainingMs - (elapsedMs - status.elapsedMs)) : undefined;
  const percent = status.fraction !== undefined ? Math.round(status.fraction * 100) : undefined;
  return (
    <div className="banner build" data-testid="engine-build" role="status">
      <div className="build-row">
        <strong data-testid="engine-build-phase">
          Building the {status.model} engine ({status.precision.toUpperCase()}): {status.step}
        </strong>
        <span className="small" data-testid="engine-build-elapsed">
          {formatDuration(elapsedMs)} elapsed
        </span>
        <span className="small" data-testid="engine-build-eta">
          {etaMs !== undefined ? `about ${formatDuration(etaMs)} left` : 'first build: no estimate yet'}
        </span>
        <button type="button" data-testid="engine-build-cancel" onClick={() => void getAppStore().getState().cancelEngineBuild()}>
          Cancel build
        </button>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label="Engine build progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        data-testid="engine-build-progress"
      >
        <div className={`progress-bar${percent === undefined ? ' is-indeterminate' : ''}`} style={{ width: percent === undefined ? '30%' : `${percent}%` }} />
      </div>
      <p className="small muted">
        Built once per GPU, precision and driver, then cached. OCR keeps running on the current provider meanwhile.
      </p>
      {status.logTail.length > 0 && (
        <pre className="log-tail" data-testid="engine-build-log">
          {status.logTail.slice(-12).join('\n')}
        </pre>
      )}
    </div>
  );
}

const WATERFALL = STAGE_TIMING_ROWS;

function PageTimings(): ReactNode {
  const page = useAppStore(selectCurrentPage);
  if (!page) return <p className="muted small">Timings appear when the current page is recognised.</p>;
  const t = page.timings;
  const total = Math.max(t.totalMs, 1e-6);
  let offset = 0;
  return (
    <table className="waterfall" data-testid="page-timings" data-total-ms={t.totalMs}>
      <tbody>
        {WATERFALL.map(([k, label]) => {
          const start = offset;
          offset += t[k];
          return (
            <tr key={k} data-stage={k}>
              <th>{label}</th>
              <td className="waterfall-track">
                <span className="waterfall-bar" style={{ marginLeft: `${(start / total) * 100}%`, width: `${Math.max(0.5, (t[k] / total) * 100)}%` }} />
              </td>
              <td className="num">{formatMs(t[k])}</td>
            </tr>
          );
        })}
        <tr className="strong">
          <th>total</th>
          <td />
          <td className="num">{formatMs(t.totalMs)}</td>
        </tr>
      </tbody>
    </table>
  );
}

export function EnginePanel({ onClose }: { onClose(): void }): ReactNode {
  const engine = useAppStore((s) => s.engine);
  const rebuilding = useAppStore((s) => s.rebuilding);
  const error = useAppStore((s) => s.settingsError);
  const store = getAppStore().getState;
  useEffect(() => {
    if (!getAppStore().getState().engine) void getAppStore().getState().loadEngine();
  }, []);
  const info = engine?.info;
  return (
    <Modal title="Engine" testId="engine-panel" onClose={onClose} wide>
      <EngineBuildBanner />
      {!info ? (
        <p className="muted">The engine is starting…</p>
      ) : (
        <>
          <p className={onGpu(info) ? '' : 'warning'} data-testid="engine-gpu-summary">
            {onGpu(info)
              ? `Running on the GPU: ${[...new Set(info.providers.filter((p) => p.provider !== 'cpu').map((p) => PROVIDER_LABEL[p.provider]))].join(', ')}.`
              : info.providers.some((p) => p.fallbacks.length > 0)
                ? 'Running on the CPU only: no GPU provider could be used (reasons below).'
                : 'Running on the CPU only. The engine did not try a GPU provider (none requested or none reported on this machine).'}
          </p>
          {info.cudaWait && (
            <p className={info.cudaWait.applied ? 'muted' : 'warning'} data-testid="engine-cuda-wait">
              {info.cudaWait.applied
                ? info.cudaWait.mode === 'block'
                  ? 'While the GPU works, OCR threads sleep instead of keeping a CPU core busy.'
                  : 'While the GPU works, each OCR thread keeps a CPU core busy polling it (CUDA’s default).'
                : `CUDA keeps its default wait (a busy CPU core per waiting thread): ${info.cudaWait.reason ?? 'unknown reason'}.`}
            </p>
          )}
          <table className="providers">
            <thead>
              <tr>
                <th>Stage</th>
                <th>Ran on</th>
                <th>Precision</th>
                <th>Not used, and why</th>
              </tr>
            </thead>
            <tbody>
              {info.providers.map((p) => (
                <tr key={p.stage} data-testid="engine-stage-provider" data-stage={p.stage} data-provider={p.provider}>
                  <th>{p.stage}</th>
                  <td>{PROVIDER_LABEL[p.provider]}</td>
                  <td>{p.precision.toUpperCase()}</td>
                  <td>
                    {p.fallbacks.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <ul className="fallbacks">
                        {p.fallbacks.map((f, i) => (
                          <li key={i} data-testid="engine-fallback" data-provider={f.provider}>
                            <strong>{PROVIDER_LABEL[f.provider]}</strong>: {f.reason}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small muted" data-testid="engine-versions">
            {info.name} {info.version} · ONNX Runtime {info.onnxruntimeVersion} · models: {[info.models.det, info.models.cls, info.models.rec].map(fileName).join(', ')}
          </p>
        </>
      )}
      <h3>Current page, per stage</h3>
      <PageTimings />
      {error && <p className="error small">{error}</p>}
      <footer className="modal-footer">
        <span className="small muted">Restart the engine after a driver change, or to rebuild cached engines.</span>
        <button type="button" data-testid="engine-rebuild" disabled={rebuilding} onClick={() => void store().rebuildEngine()}>
          {rebuilding ? 'Restarting…' : 'Restart engine'}
        </button>
      </footer>
    </Modal>
  );
}

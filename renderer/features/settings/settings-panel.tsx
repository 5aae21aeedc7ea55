/**
 * Engine settings: execution provider (unavailable ones disabled, with the engine's reason), precision,
 * detection resolution; and the FP16-vs-FP32 comparison of the current page (both timings, per-stage
 * times and a side-by-side word diff), because FP16 can change results (see README).
 */
import { useEffect, type ReactNode } from 'react';
import type { DET_MAX_SIDE_LEN_RANGE } from '../../../electron/common/ipc-contract.js';
import type { EpPreference, ExecutionProviderName, Precision, StageTimings } from '../../../engines/types.js';
import { Modal } from '../../components/modal.js';
import { formatMs, STAGE_TIMING_ROWS } from '../../lib/timings.js';
import { KNOWN_PROVIDERS, type CompareResult, type ProviderAvailability } from '../../ipc/ocr-client.js';
import { getAppStore, useAppStore } from '../../store/index.js';

const DET_RANGE: typeof DET_MAX_SIDE_LEN_RANGE = { min: 320, max: 4096 };
const DET_PRESETS = [640, 960, 1280, 1600, 2048, 2560, 3200, 4096];

export const PROVIDER_LABEL: Record<ExecutionProviderName, string> = {
  tensorrt: 'TensorRT (NVIDIA)',
  cuda: 'CUDA (NVIDIA)',
  webgpu: 'WebGPU',
  dml: 'DirectML (Windows)',
  coreml: 'Core ML (macOS)',
  cpu: 'CPU',
};

/** GPU providers onnxruntime offers on this OS, best first (its README: CUDA/TensorRT on Linux x64, DirectML on Windows, Core ML on macOS). */
function platformGpuProviders(): ExecutionProviderName[] {
  const ua = navigator.userAgent;
  if (/Windows/.test(ua)) return ['dml', 'webgpu'];
  if (/Mac OS X|Macintosh/.test(ua)) return ['coreml', 'webgpu'];
  return ['tensorrt', 'cuda'];
}

/**
 * The engine's list, plus this platform's GPU providers it did not mention, shown disabled: a GPU option
 * must never vanish silently, and never look usable when nothing says it is.
 */
export function providerChoices(reported: ProviderAvailability[] | undefined): ProviderAvailability[] {
  const list = [...(reported ?? [])];
  for (const name of platformGpuProviders()) {
    if (!list.some((p) => p.name === name)) list.push({ name, available: false, reason: 'not reported by the engine on this machine' });
  }
  if (!list.some((p) => p.name === 'cpu')) list.push({ name: 'cpu', available: true });
  return list.sort((a, b) => KNOWN_PROVIDERS.indexOf(a.name) - KNOWN_PROVIDERS.indexOf(b.name));
}

function ProviderChoice(): ReactNode {
  const settings = useAppStore((s) => s.settings);
  const engine = useAppStore((s) => s.engine);
  if (!settings) return <p className="muted small">Loading settings…</p>;
  const providers = providerChoices(engine?.providers);
  const store = getAppStore().getState;
  const choose = (ep: EpPreference) => void store().updateSettings({ ep });
  return (
    <fieldset className="choices" data-testid="settings-ep">
      <legend>Run on</legend>
      <label className="choice">
        <input type="radio" name="ep" data-testid="ep-option-auto" checked={settings.ep === 'auto'} onChange={() => choose('auto')} />
        <span>
          Automatic <span className="small muted block">Fastest available: TensorRT, then CUDA, then CPU.</span>
        </span>
      </label>
      {providers.map((p) => (
        <label key={p.name} className={`choice${p.available ? '' : ' is-disabled'}`}>
          <input
            type="radio"
            name="ep"
            data-testid={`ep-option-${p.name}`}
            disabled={!p.available}
            checked={settings.ep === p.name}
            onChange={() => choose(p.name)}
          />
          <span>
            {PROVIDER_LABEL[p.name]}
            {!p.available && (
              <span className="small muted block" data-testid={`ep-reason-${p.name}`}>
                Unavailable: {p.reason ?? 'no reason given'}
              </span>
            )}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function PrecisionChoice(): ReactNode {
  const settings = useAppStore((s) => s.settings);
  if (!settings) return null;
  const store = getAppStore().getState;
  const choose = (precision: Precision) => void store().updateSettings({ precision });
  return (
    <fieldset className="choices">
      <legend>Precision</legend>
      <label className="choice">
        <input type="radio" name="precision" data-testid="precision-fp32" checked={settings.precision === 'fp32'} onChange={() => choose('fp32')} />
        <span>
          FP32 <span className="small muted block">Reference accuracy.</span>
        </span>
      </label>
      <label className="choice">
        <input type="radio" name="precision" data-testid="precision-fp16" checked={settings.precision === 'fp16'} onChange={() => choose('fp16')} />
        <span>
          FP16 <span className="small muted block">Faster on GPUs; may change results. Compare below before relying on it.</span>
        </span>
      </label>
    </fieldset>
  );
}

function DetectionResolution(): ReactNode {
  const settings = useAppStore((s) => s.settings);
  if (!settings) return null;
  const presets = DET_PRESETS.includes(settings.detMaxSideLen) ? DET_PRESETS : [...DET_PRESETS, settings.detMaxSideLen].sort((a, b) => a - b);
  return (
    <label className="field">
      <span>
        Detection resolution <span className="small muted">(longest side the text detector sees; higher finds smaller text, slower)</span>
      </span>
      <select
        data-testid="settings-det-max-side"
        value={settings.detMaxSideLen}
        onChange={(e) => void getAppStore().getState().updateSettings({ detMaxSideLen: Number(e.currentTarget.value) })}
      >
        {presets
          .filter((v) => v >= DET_RANGE.min && v <= DET_RANGE.max)
          .map((v) => (
            <option key={v} value={v}>
              {v} px
            </option>
          ))}
      </select>
    </label>
  );
}

export { formatMs };

const TIMING_ROWS: readonly (readonly [keyof StageTimings, string])[] = [...STAGE_TIMING_ROWS, ['totalMs', 'total']];

function CompareView({ result }: { result: CompareResult }): ReactNode {
  const ratio = result.fp16.elapsedMs > 0 ? result.fp32.elapsedMs / result.fp16.elapsedMs : 0;
  const speed =
    ratio === 0 ? '' : ratio >= 1 ? `FP16 was ${ratio.toFixed(2)}× as fast as FP32` : `FP16 was ${(1 / ratio).toFixed(2)}× slower than FP32`;
  return (
    <div className="compare" data-testid="compare-result">
      <table className="timings">
        <thead>
          <tr>
            <th />
            <th>FP32</th>
            <th>FP16</th>
          </tr>
        </thead>
        <tbody>
          <tr className="strong">
            <th>wall time</th>
            <td data-testid="compare-fp32-ms" data-ms={result.fp32.elapsedMs}>
              {formatMs(result.fp32.elapsedMs)}
            </td>
            <td data-testid="compare-fp16-ms" data-ms={result.fp16.elapsedMs}>
              {formatMs(result.fp16.elapsedMs)}
            </td>
          </tr>
          {TIMING_ROWS.map(([k, label]) => (
            <tr key={k}>
              <th>{label}</th>
              <td>{formatMs(result.fp32.page.timings[k])}</td>
              <td>{formatMs(result.fp16.page.timings[k])}</td>
            </tr>
          ))}
          <tr>
            <th>ran on</th>
            {/* Precision per stage too: an FP16 request may run FP32 where FP16 is not allowed or not faster. */}
            <td data-testid="compare-fp32-providers">{result.fp32.page.providers.map((p) => `${p.stage}: ${p.provider} ${p.precision}`).join(', ') || '—'}</td>
            <td data-testid="compare-fp16-providers">{result.fp16.page.providers.map((p) => `${p.stage}: ${p.provider} ${p.precision}`).join(', ') || '—'}</td>
          </tr>
        </tbody>
      </table>
      <p className="small" data-testid="compare-summary">
        {speed} (wall time; the first FP16 run may include converting the models).{' '}
        <strong data-testid="compare-changed-count" data-count={result.changedWordCount}>
          {result.changedWordCount === 0 ? 'Identical text.' : `${result.changedWordCount} word${result.changedWordCount === 1 ? '' : 's'} differ.`}
        </strong>
      </p>
      <div className="diff" data-testid="compare-diff">
        <div className="diff-side">
          <h4>FP32</h4>
          <p className="diff-text" data-testid="compare-diff-fp32">
            {result.diff.map((d, i) =>
              d.op === 'insert' ? null : (
                <span key={i} className={d.op === 'delete' ? 'diff-del' : undefined}>
                  {d.text}{' '}
                </span>
              ),
            )}
          </p>
        </div>
        <div className="diff-side">
          <h4>FP16</h4>
          <p className="diff-text" data-testid="compare-diff-fp16">
            {result.diff.map((d, i) =>
              d.op === 'delete' ? null : (
                <span key={i} className={d.op === 'insert' ? 'diff-ins' : undefined}>
                  {d.text}{' '}
                </span>
              ),
            )}
          </p>
        </div>
      </div>
    </div>
  );
}

function Compare(): ReactNode {
  const compare = useAppStore((s) => s.compare);
  const documentId = useAppStore((s) => s.currentDocumentId);
  const pageIndex = useAppStore((s) => s.currentPageIndex);
  const name = useAppStore((s) => (s.currentDocumentId ? s.documents[s.currentDocumentId]?.name : undefined));
  const store = getAppStore().getState;
  return (
    <section className="compare-section">
      <h3>Compare FP16 with FP32</h3>
      <p className="small muted">Runs the current page at both precisions and shows the timings and what changed.</p>
      <button type="button" data-testid="compare-run" disabled={!documentId || compare.state === 'loading'} onClick={() => void store().compareCurrentPage()}>
        {compare.state === 'loading' ? 'Comparing…' : `Compare on ${name ? `${name}, page ${pageIndex + 1}` : 'the current page'}`}
      </button>
      {compare.state === 'error' && (
        <p className="error small" data-testid="compare-error">
          {compare.error}
        </p>
      )}
      {compare.state === 'ready' && compare.result && <CompareView result={compare.result} />}
    </section>
  );
}

export function SettingsPanel({ onClose }: { onClose(): void }): ReactNode {
  const error = useAppStore((s) => s.settingsError);
  useEffect(() => {
    const s = getAppStore().getState();
    if (!s.settings) void s.loadSettings();
    if (!s.engine) void s.loadEngine();
  }, []);
  return (
    <Modal title="Settings" testId="settings-panel" onClose={onClose} wide>
      {error && (
        <p className="error small" data-testid="settings-error" role="alert">
          {error}
        </p>
      )}
      <div className="settings-grid">
        <ProviderChoice />
        <div>
          <PrecisionChoice />
          <DetectionResolution />
          <p className="small muted">Changes apply from the next job; the running one finishes as it started.</p>
        </div>
      </div>
      <Compare />
    </Modal>
  );
}

/**
 * Engine settings: the defaults, a JSON file store (desktop: userData/settings.json, written atomically)
 * and an in-memory store (local server, tests). A damaged or hand-edited file never stops the app: every
 * field is validated on load and bad ones fall back to the default.
 */
import { readFile } from 'node:fs/promises';
import type { OcrPipelineOptions } from '../../../engines/api.js';
import type { EngineSettings } from '../../common/ipc-contract.js';
import { INVOKE_SCHEMAS } from '../../common/ipc-schemas.js';
import { writeFileAtomic } from '../atomic-write.js';

/** PaddleOCR's det_limit_side_len default: the longest side the detector sees. */
export const DEFAULT_DET_MAX_SIDE_LEN = 960;

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  ep: 'auto',
  precision: 'fp32',
  detMaxSideLen: DEFAULT_DET_MAX_SIDE_LEN,
};

export interface SettingsStore {
  get(): EngineSettings;
  /** Merges, persists, returns what is now in force. */
  set(patch: Partial<EngineSettings>): Promise<EngineSettings>;
}

/** Settings → pipeline options, over the options that do not come from the UI (modelDir, cacheDir…). */
export function pipelineOptionsFor(settings: EngineSettings, base: OcrPipelineOptions = {}): OcrPipelineOptions {
  return { ...base, ep: settings.ep, precision: settings.precision, det: { ...base.det, maxSideLen: settings.detMaxSideLen } };
}

function sanitize(raw: unknown): EngineSettings {
  const out: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS };
  if (!raw || typeof raw !== 'object') return out;
  const validate = INVOKE_SCHEMAS['settings:set'];
  for (const key of Object.keys(DEFAULT_ENGINE_SETTINGS) as (keyof EngineSettings)[]) {
    try {
      Object.assign(out, validate({ [key]: (raw as Record<string, unknown>)[key] }, 'settings'));
    } catch {
      // keep the default for a field that no longer validates
    }
  }
  return out;
}

export function createMemorySettingsStore(initial: Partial<EngineSettings> = {}): SettingsStore {
  let current: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, ...initial };
  return {
    get: () => ({ ...current }),
    async set(patch) {
      current = { ...current, ...patch };
      return { ...current };
    },
  };
}

export async function createJsonSettingsStore(filePath: string): Promise<SettingsStore> {
  let current: EngineSettings;
  try {
    current = sanitize(JSON.parse(await readFile(filePath, 'utf8')));
  } catch {
    current = { ...DEFAULT_ENGINE_SETTINGS };
  }
  // Writes are chained so two quick changes land in order.
  let writing: Promise<void> = Promise.resolve();
  return {
    get: () => ({ ...current }),
    async set(patch) {
      current = { ...current, ...patch };
      const snapshot = JSON.stringify(current, null, 2) + '\n';
      writing = writing.catch(() => undefined).then(() => writeFileAtomic(filePath, snapshot));
      await writing;
      return { ...current };
    },
  };
}

/**
 * Engine settings (EP, precision, detection resolution), the engine's honest status (which provider ran
 * each stage, fallbacks, engine builds) and the FP16-vs-FP32 comparison of one page.
 */
import type { StateCreator } from 'zustand/vanilla';
import { KNOWN_PROVIDERS, providerAvailability, type CompareResult, type EngineState, type EngineStatus, type OcrClient, type Settings } from '../ipc/ocr-client.js';
import { errorMessage } from './documents-slice.js';
import type { AppStore } from './index.js';

export type AsyncState = 'idle' | 'loading' | 'ready' | 'error';

export interface CompareState {
  state: AsyncState;
  documentId?: string;
  pageIndex?: number;
  result?: CompareResult;
  error?: string;
}

/** How many engine-build log lines to keep. */
export const LOG_TAIL_LINES = 40;

export interface SettingsState {
  settings: Settings | null;
  settingsState: AsyncState;
  settingsError: string | null;
  engine: EngineState | null;
  /** Latest engine:status event. */
  engineStatus: EngineStatus | null;
  /** When the current engine build started (ms since epoch, renderer clock); null when none runs. */
  buildStartedAtMs: number | null;
  rebuilding: boolean;
  /** Event stream from main (server mode): 'lost' while the server is unreachable. */
  connection: 'open' | 'lost';
  compare: CompareState;
}

export interface SettingsActions {
  loadSettings(): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
  loadEngine(): Promise<void>;
  engineStatusReceived(status: EngineStatus): void;
  connectionChanged(state: 'open' | 'lost'): void;
  rebuildEngine(): Promise<void>;
  /** Stops a running engine build; the worker then reports a fallback status, which clears the banner. */
  cancelEngineBuild(): Promise<void>;
  compareCurrentPage(): Promise<void>;
  clearCompare(): void;
}

export type SettingsSlice = SettingsState & SettingsActions;

/**
 * The engine only explains the providers it tried; after the user picks CPU it tries no others. Keep what
 * earlier answers said about providers the new one does not mention, so the list does not shrink.
 */
export function mergeEngineState(prev: EngineState | null, next: EngineState): EngineState {
  if (!prev) return next;
  const names = new Set(next.providers.map((p) => p.name));
  const kept = prev.providers.filter((p) => !names.has(p.name));
  if (kept.length === 0) return next;
  const order = KNOWN_PROVIDERS;
  const providers = [...next.providers, ...kept].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { ...next, providers };
}

export const initialSettingsState: SettingsState = {
  settings: null,
  settingsState: 'idle',
  settingsError: null,
  engine: null,
  engineStatus: null,
  buildStartedAtMs: null,
  rebuilding: false,
  connection: 'open',
  compare: { state: 'idle' },
};

export function createSettingsSlice(client: OcrClient): StateCreator<AppStore, [], [], SettingsSlice> {
  return (set, get) => ({
    ...initialSettingsState,

    async loadSettings() {
      set({ settingsState: 'loading', settingsError: null });
      try {
        set({ settings: await client.getSettings(), settingsState: 'ready' });
      } catch (e) {
        set({ settingsState: 'error', settingsError: errorMessage(e) });
      }
    },

    async updateSettings(patch) {
      const before = get().settings;
      // Optimistic, so the controls do not lag; rolled back if main refuses.
      if (before) set({ settings: { ...before, ...patch } });
      try {
        set({ settings: await client.setSettings(patch), settingsError: null });
        await get().loadEngine();
      } catch (e) {
        set({ settings: before, settingsError: errorMessage(e) });
      }
    },

    async loadEngine() {
      try {
        const next = await client.engineInfo();
        set((s) => ({ engine: mergeEngineState(s.engine, next) }));
      } catch (e) {
        set({ settingsError: errorMessage(e) });
      }
    },

    engineStatusReceived(status) {
      const building = status.phase === 'building-engine';
      set((s) => ({
        engineStatus: status,
        buildStartedAtMs: building ? (s.buildStartedAtMs ?? Date.now() - status.elapsedMs) : null,
      }));
      if (status.phase === 'ready') {
        set((s) => ({ engine: mergeEngineState(s.engine, { info: status.info, providers: providerAvailability(status.info) }) }));
      }
    },

    connectionChanged(connection) {
      const before = get().connection;
      if (before === connection) return;
      set({ connection });
      // Events sent while the stream was down are lost; main's state is the truth to catch up from.
      if (before === 'lost' && connection === 'open') void get().restoreSession();
    },

    async rebuildEngine() {
      set({ rebuilding: true });
      try {
        const next = await client.rebuildEngine();
        set((s) => ({ engine: mergeEngineState(s.engine, next), settingsError: null }));
      } catch (e) {
        set({ settingsError: errorMessage(e) });
      } finally {
        set({ rebuilding: false });
      }
    },

    async cancelEngineBuild() {
      try {
        await client.cancelEngineBuild();
      } catch (e) {
        set({ settingsError: errorMessage(e) });
      }
    },

    async compareCurrentPage() {
      const { currentDocumentId: documentId, currentPageIndex: pageIndex } = get();
      if (documentId === null) return;
      set({ compare: { state: 'loading', documentId, pageIndex } });
      try {
        const result = await client.comparePrecision(documentId, pageIndex);
        set({ compare: { state: 'ready', documentId, pageIndex, result } });
      } catch (e) {
        set({ compare: { state: 'error', documentId, pageIndex, error: errorMessage(e) } });
      }
    },

    clearCompare() {
      set({ compare: { state: 'idle' } });
    },
  });
}

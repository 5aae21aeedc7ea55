/**
 * Preload: exposes `window.lucid` (LucidOcrApi), a small typed API, never ipcRenderer itself.
 * Channel names are checked against the contract's lists (VS Code's validateIPC); main checks again.
 *
 * Runs sandboxed, where preloads cannot load other files: the build must bundle this file into one
 * CommonJS script (dist/preload/index.cjs), inlining the constants imported below.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  PRELOAD_API_KEY,
  type EventChannel,
  type InvokeResponse,
  type LucidOcrApi,
} from '../common/ipc-contract.js';

const invokeChannels: ReadonlySet<string> = new Set(INVOKE_CHANNELS);
const eventChannels: ReadonlySet<string> = new Set(EVENT_CHANNELS);

const api: LucidOcrApi = {
  invoke(channel, payload) {
    if (!invokeChannels.has(channel)) {
      const response: InvokeResponse<never> = {
        ok: false,
        error: { name: 'OcrError', code: 'INVALID_ARGUMENT', message: `Unknown channel "${String(channel)}".`, isInputError: true },
      };
      return Promise.resolve(response);
    }
    return ipcRenderer.invoke(channel, payload);
  },
  on(event, listener) {
    if (!eventChannels.has(event)) throw new Error(`Unknown event "${String(event)}".`);
    const wrapped = (_e: Electron.IpcRendererEvent, payload: unknown) => (listener as (p: unknown) => void)(payload);
    ipcRenderer.on(event as EventChannel, wrapped);
    return () => {
      ipcRenderer.removeListener(event, wrapped);
    };
  },
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file as File) || undefined;
    } catch {
      return undefined; // not a File from an OS drop (e.g. a pasted image)
    }
  },
};

contextBridge.exposeInMainWorld(PRELOAD_API_KEY, api);

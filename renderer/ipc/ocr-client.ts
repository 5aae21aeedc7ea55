/**
 * The renderer's only door to the main process (or to `lucid-ocr serve`).
 *
 * A `Transport` moves contract channels and unwraps the `InvokeResponse` envelope:
 * - `electronTransport`: the preload's `window.lucid` (Electron IPC; Uint8Array travels natively).
 * - `httpTransport`: the local server. POST /api/invoke/<channel> with a wire-JSON body (bytes as
 *   `{"$bytes": base64}`; uploads as a raw octet-stream body), events over SSE GET /api/events. The session
 *   token comes from the page URL's `?token=`, is kept in sessionStorage (so a reload without it still
 *   works) and is sent as the X-Lucid-Token header and as `?token=` where headers cannot go (EventSource).
 * `createOcrClient` turns either into the domain methods the store calls; components never see channels.
 */
import type {
  CompareResult,
  DocumentState,
  DocumentSummary,
  EngineInfoResult,
  EngineSettings,
  EventChannel,
  EventChannels,
  ExportFormat,
  InvokeChannel,
  InvokePayload,
  InvokeResponse,
  InvokeResult,
  LucidOcrApi,
  PRELOAD_API_KEY,
  SERVER_API_BASE_PATH,
  SERVER_TOKEN_HEADER,
} from '../../electron/common/ipc-contract.js';
import type { EngineInfo, ExecutionProviderName, SerializedOcrError } from '../../engines/types.js';
import type { EngineStatusEvent } from '../../electron/common/worker-protocol.js';
import { fromWireJson, toWireJson } from '../../electron/common/wire-codec.js';

export type { CompareResult, DocumentSummary, DocumentState, ExportFormat };
export type Settings = EngineSettings;
export type EngineStatus = EngineStatusEvent;
export type ProgressEvent = EventChannels['ocr:progress'];
export type PageDoneEvent = EventChannels['ocr:page-done'];
export type PageFailedEvent = EventChannels['ocr:page-failed'];
export type JobDoneEvent = EventChannels['ocr:job-done'];

// Constants mirrored from the contract; `typeof` ties each one to it at compile time without importing
// the contract module into the bundle.
const PRELOAD_KEY: typeof PRELOAD_API_KEY = 'lucid';
const API_BASE: typeof SERVER_API_BASE_PATH = '/api';
const TOKEN_HEADER: typeof SERVER_TOKEN_HEADER = 'x-lucid-token';
const TOKEN_STORAGE_KEY = 'lucid-ocr.token';

const EVENT_NAMES: readonly EventChannel[] = ['ocr:progress', 'ocr:page-done', 'ocr:page-failed', 'ocr:job-done', 'engine:status'];

// -------------------------------------------------------------------------------------------------
// Errors

/** A failed invoke: the main process's SerializedOcrError, with its code, file and page. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: SerializedOcrError['code'];
  readonly serialized: SerializedOcrError;
  constructor(e: SerializedOcrError) {
    super(e.message);
    this.code = e.code;
    this.serialized = e;
  }
}

function unwrap<T>(r: InvokeResponse<T>): T {
  if (r.ok) return r.result;
  throw new ClientError(r.error);
}

// -------------------------------------------------------------------------------------------------
// Transports

export interface Transport {
  readonly kind: 'electron' | 'http';
  invoke<K extends InvokeChannel>(channel: K, payload: InvokePayload<K>): Promise<InvokeResult<K>>;
  on<K extends EventChannel>(event: K, listener: (payload: EventChannels[K]) => void): () => void;
  /** Bytes upload; HTTP sends them raw instead of base64 JSON. */
  addBytes(name: string, bytes: Uint8Array): Promise<DocumentSummary>;
  /** Called with 'lost'/'open' as the event stream drops and recovers (HTTP only). */
  onConnection(listener: (state: 'open' | 'lost') => void): () => void;
  /** OS path of a dropped File (Electron only). */
  pathForFile?(file: File): string | undefined;
}

export function electronTransport(api: LucidOcrApi): Transport {
  return {
    kind: 'electron',
    async invoke<K extends InvokeChannel>(channel: K, payload: InvokePayload<K>): Promise<InvokeResult<K>> {
      const r: InvokeResponse<InvokeResult<K>> = await api.invoke(channel, payload);
      return unwrap(r);
    },
    on(event, listener) {
      return api.on(event, listener);
    },
    async addBytes(name, bytes) {
      return unwrap(await api.invoke('documents:add-bytes', { name, bytes }));
    },
    onConnection() {
      return () => {};
    },
    pathForFile(file) {
      const p = api.pathForFile?.(file);
      return p ? p : undefined;
    },
  };
}

/** The session token: from `?token=` on first load, then from sessionStorage. */
export function resolveToken(location: { search: string }, storage: Pick<Storage, 'getItem' | 'setItem'> | null): string | null {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    storage?.setItem(TOKEN_STORAGE_KEY, fromUrl);
    return fromUrl;
  }
  return storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
}

export interface HttpTransportOptions {
  /** Origin + base path of the server; default: the page's own origin. */
  baseUrl?: string;
  token: string | null;
  fetchImpl?: typeof fetch;
  EventSourceImpl?: typeof EventSource;
}

export function httpTransport(opts: HttpTransportOptions): Transport {
  const base = (opts.baseUrl ?? '') + API_BASE;
  const doFetch = opts.fetchImpl ?? fetch.bind(globalThis);
  const headers: Record<string, string> = opts.token ? { [TOKEN_HEADER]: opts.token } : {};

  async function post<T>(url: string, body: BodyInit, contentType: string): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers: { ...headers, 'content-type': contentType }, body, credentials: 'same-origin' });
    } catch (e) {
      throw new ClientError({ name: 'OcrError', code: 'INTERNAL', message: `Cannot reach the Lucid OCR server (${String(e)}).`, isInputError: false });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = fromWireJson(text);
    } catch {
      throw new ClientError({
        name: 'OcrError',
        code: 'INTERNAL',
        message: `The server answered ${res.status} ${res.statusText}: ${text.slice(0, 200)}`,
        isInputError: false,
      });
    }
    return unwrap(parsed as InvokeResponse<T>);
  }

  // One EventSource shared by all listeners, opened on first subscription.
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  const connectionListeners = new Set<(state: 'open' | 'lost') => void>();
  let source: EventSource | null = null;

  function ensureSource(): void {
    if (source) return;
    const ES = opts.EventSourceImpl ?? EventSource;
    const q = opts.token ? `?token=${encodeURIComponent(opts.token)}` : '';
    source = new ES(`${base}/events${q}`, { withCredentials: true });
    source.onopen = () => connectionListeners.forEach((l) => l('open'));
    // EventSource reconnects by itself; tell the UI while it is down.
    source.onerror = () => connectionListeners.forEach((l) => l('lost'));
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (ev) => {
        const data = fromWireJson((ev as MessageEvent<string>).data) as never;
        for (const l of listeners.get(name) ?? []) l(data);
      });
    }
  }

  return {
    kind: 'http',
    invoke(channel, payload) {
      return post(`${base}/invoke/${channel}`, toWireJson(payload), 'application/json');
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      ensureSource();
      return () => set.delete(listener as (payload: never) => void);
    },
    addBytes(name, bytes) {
      return post(
        `${base}/invoke/documents:add-bytes?name=${encodeURIComponent(name)}`,
        bytes as Uint8Array<ArrayBuffer>,
        'application/octet-stream',
      );
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      ensureSource();
      return () => connectionListeners.delete(listener);
    },
  };
}

/** Electron when the preload exposed its API, else the local server. */
export function pickTransport(w: Window = window): Transport {
  const api = (w as unknown as Record<string, LucidOcrApi | undefined>)[PRELOAD_KEY];
  if (api && typeof api.invoke === 'function') return electronTransport(api);
  let storage: Storage | null = null;
  try {
    storage = w.sessionStorage;
  } catch {
    storage = null; // sandboxed iframes and some privacy modes forbid storage
  }
  return httpTransport({ token: resolveToken(w.location, storage) });
}

// -------------------------------------------------------------------------------------------------
// Domain client

export interface FileRejection {
  name: string;
  reason: string;
}

export interface OpenResult {
  documents: DocumentSummary[];
  rejected: FileRejection[];
}

export interface UploadFile {
  name: string;
  bytes: Uint8Array;
}

export interface ProviderAvailability {
  name: ExecutionProviderName;
  available: boolean;
  /** Why it cannot be used here; shown next to the disabled option. */
  reason?: string;
}

export interface EngineState {
  info: EngineInfo;
  providers: ProviderAvailability[];
}

export interface ExportRequest {
  /** One document, or several (one file each). */
  documentIds: string[];
  format: ExportFormat;
}

export interface ExportOutcome {
  /** 'saved': written by main through the save dialog; 'downloaded': handed to the browser. */
  kind: 'saved' | 'downloaded' | 'cancelled';
  files: string[];
}

export interface ClientEvents {
  progress(e: ProgressEvent): void;
  pageDone(e: PageDoneEvent): void;
  pageFailed(e: PageFailedEvent): void;
  jobDone(e: JobDoneEvent): void;
  engineStatus(e: EngineStatus): void;
  connection(state: 'open' | 'lost'): void;
}

export interface OcrClient {
  readonly kind: 'electron' | 'http';
  /** Electron: OS paths (a drop) or, with none, the native open dialog. */
  openFiles(paths?: string[]): Promise<OpenResult>;
  /** Uploads file contents one by one; a file the engine refuses is listed, the others still open. */
  addFiles(files: UploadFile[]): Promise<OpenResult>;
  /** Documents main already holds (a reloaded page picks its session up again). */
  listDocuments(): Promise<DocumentState[]>;
  removeDocument(documentId: string): Promise<void>;
  startOcr(documentId: string, pages?: number[]): Promise<{ jobId: string }>;
  cancelOcr(jobId: string): Promise<void>;
  comparePrecision(documentId: string, pageIndex: number): Promise<CompareResult>;
  exportDocuments(req: ExportRequest, edits: Record<string, Record<string, string>>): Promise<ExportOutcome>;
  engineInfo(): Promise<EngineState>;
  rebuildEngine(): Promise<EngineState>;
  /** Stops running TensorRT engine builds (OCR carries on with the provider serving now). */
  cancelEngineBuild(): Promise<{ cancelled: boolean }>;
  getSettings(): Promise<Settings>;
  setSettings(patch: Partial<Settings>): Promise<Settings>;
  /** An object URL for the page image (cached per page) and its size in page pixels. */
  pageImage(documentId: string, pageIndex: number): Promise<{ url: string; width: number; height: number }>;
  subscribe(handlers: Partial<ClientEvents>): () => void;
  /** OS path of a dropped File, when the shell can tell (Electron). */
  pathForFile(file: File): string | undefined;
}

/** Providers the settings list offers, most preferred first (names as onnxruntime-node spells them). */
export const KNOWN_PROVIDERS: readonly ExecutionProviderName[] = ['tensorrt', 'cuda', 'webgpu', 'dml', 'coreml', 'cpu'];

/**
 * Which providers can be chosen, from what the engine reports: a provider that ran a stage is available;
 * one listed as a fallback carries the engine's reason; the rest were never tried here.
 */
export function providerAvailability(info: EngineInfoResult): ProviderAvailability[] {
  const listed = info.availableProviders;
  if (Array.isArray(listed) && listed.length > 0) {
    return listed.map((p) => (p.available ? { name: p.provider, available: true } : { name: p.provider, available: false, reason: p.reason ?? 'not available' }));
  }
  const ran = new Set(info.providers.map((p) => p.provider));
  const reasons = new Map<ExecutionProviderName, string>();
  for (const p of info.providers) for (const f of p.fallbacks) if (!reasons.has(f.provider)) reasons.set(f.provider, f.reason);
  return KNOWN_PROVIDERS.filter((name) => name === 'cpu' || ran.has(name) || reasons.has(name)).map((name) => {
    if (name === 'cpu' || ran.has(name)) return { name, available: true };
    return { name, available: false, reason: reasons.get(name)! };
  });
}

function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

export interface DownloadSink {
  (fileName: string, mimeType: string, bytes: Uint8Array): void;
}

/** Hands bytes to the browser as a download (an <a download> click on an object URL). */
export function browserDownload(fileName: string, mimeType: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: Chromium reads the blob asynchronously after the click.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function createOcrClient(t: Transport, download: DownloadSink = browserDownload): OcrClient {
  const imageCache = new Map<string, Promise<{ url: string; width: number; height: number }>>();

  return {
    kind: t.kind,

    async openFiles(paths) {
      const r = await t.invoke('documents:open', paths ? { paths } : {});
      return {
        documents: r.documents,
        rejected: r.rejected.map((x) => ({ name: basename(x.path), reason: x.error.message })),
      };
    },

    async addFiles(files) {
      const out: OpenResult = { documents: [], rejected: [] };
      // One at a time: uploads are big and the server decodes each to count its pages.
      for (const f of files) {
        try {
          out.documents.push(await t.addBytes(f.name, f.bytes));
        } catch (e) {
          out.rejected.push({ name: f.name, reason: e instanceof Error ? e.message : String(e) });
        }
      }
      return out;
    },

    async listDocuments() {
      const list = await t.invoke('documents:list', {});
      return Promise.all(list.map((d) => t.invoke('documents:get', { documentId: d.id })));
    },

    async removeDocument(documentId) {
      await t.invoke('documents:remove', { documentId });
      for (const [key, p] of imageCache) {
        if (key.startsWith(`${documentId}#`)) {
          imageCache.delete(key);
          void p.then((img) => URL.revokeObjectURL(img.url), () => {});
        }
      }
    },

    startOcr(documentId, pages) {
      return t.invoke('ocr:start', pages ? { documentId, pages } : { documentId });
    },

    async cancelOcr(jobId) {
      await t.invoke('ocr:cancel', { jobId });
    },

    comparePrecision(documentId, pageIndex) {
      return t.invoke('ocr:compare', { documentId, pageIndex });
    },

    async exportDocuments(req, edits) {
      const withEdits = Object.keys(edits).length > 0 ? { edits } : {};
      if (t.kind === 'electron') {
        const documentId = req.documentIds.length === 1 ? req.documentIds[0]! : 'all';
        const r = await t.invoke('export:save', { documentId, format: req.format, ...withEdits });
        return { kind: r.saved ? 'saved' : 'cancelled', files: r.paths };
      }
      const files: string[] = [];
      for (const documentId of req.documentIds) {
        const docEdits = edits[documentId] ? { edits: { [documentId]: edits[documentId] } } : {};
        const r = await t.invoke('export:render', { documentId, format: req.format, ...docEdits });
        download(r.fileName, r.mimeType, r.bytes);
        files.push(r.fileName);
      }
      return { kind: 'downloaded', files };
    },

    async engineInfo() {
      const info = await t.invoke('engine:info', {});
      return { info, providers: providerAvailability(info) };
    },

    async rebuildEngine() {
      const info = await t.invoke('engine:rebuild', {});
      return { info, providers: providerAvailability(info) };
    },

    cancelEngineBuild() {
      return t.invoke('engine:cancel-build', {});
    },

    getSettings() {
      return t.invoke('settings:get', {});
    },

    setSettings(patch) {
      return t.invoke('settings:set', patch);
    },

    pageImage(documentId, pageIndex) {
      const key = `${documentId}#${pageIndex}`;
      let p = imageCache.get(key);
      if (!p) {
        p = t.invoke('pages:image', { documentId, pageIndex }).then((img) => ({
          url: URL.createObjectURL(new Blob([img.bytes as Uint8Array<ArrayBuffer>], { type: img.mimeType })),
          width: img.width,
          height: img.height,
        }));
        // A failed fetch is not cached: the next render may try again.
        p.catch(() => imageCache.delete(key));
        imageCache.set(key, p);
      }
      return p;
    },

    subscribe(h) {
      const offs = [
        h.progress && t.on('ocr:progress', h.progress),
        h.pageDone && t.on('ocr:page-done', h.pageDone),
        h.pageFailed && t.on('ocr:page-failed', h.pageFailed),
        h.jobDone && t.on('ocr:job-done', h.jobDone),
        h.engineStatus && t.on('engine:status', h.engineStatus),
        h.connection && t.onConnection(h.connection),
      ];
      return () => offs.forEach((off) => off?.());
    },

    pathForFile(file) {
      return t.pathForFile?.(file);
    },
  };
}

/**
 * The renderer ↔ main contract (house style §5.3). ONE module both sides import; everything else derives
 * from it: the preload allow-list, the main handlers' types, the local server's routes and the renderer's
 * client.
 *
 * Rules that hold for every channel:
 * - Names are `domain:verb`; every invoke takes ONE payload object (possibly `{}`).
 * - Main validates every payload (electron/common/ipc-schemas.ts) and checks the sender before a handler runs.
 *   Unknown keys are rejected, so a typo fails loudly instead of being ignored.
 * - Pages are 0-based everywhere in this contract (the UI shows page + 1).
 * - Both transports (Electron IPC and the local server) answer with the same `InvokeResponse` envelope, so
 *   typed errors (`SerializedOcrError`, with `code`, `file`, `page`) survive the trip.
 *
 * Pure TypeScript: importable by the renderer (types and the constant lists only).
 */
import type { PdfMode } from '../../engines/api.js';
import type {
  EngineInfo,
  EpPreference,
  ExecutionProviderName,
  Page,
  PageFailure,
  Precision,
  SerializedOcrError,
} from '../../engines/types.js';
import type { EngineStatusEvent } from './worker-protocol.js';

export type DocumentId = string;
export type JobId = string;
/** A line's stable id within its document (`p{page}-l{index}`, see engines/types.ts Line.id). */
export type LineId = string;

export type ExportFormat = 'txt' | 'json' | 'pdf' | 'hocr' | 'alto';
export const EXPORT_FORMATS = ['txt', 'json', 'pdf', 'hocr', 'alto'] as const satisfies readonly ExportFormat[];

/** Text the user corrected, by document then line id. Applied on top of the OCR result when exporting. */
export type DocumentEdits = Record<DocumentId, Record<LineId, string>>;

/** Largest upload accepted by documents:add-bytes (the local server enforces the same limit on the body). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/** Most paths one documents:open may carry (a dropped folder is expanded in main, not here). */
export const MAX_OPEN_PATHS = 10_000;

/** What the renderer knows about an opened document. */
export interface DocumentSummary {
  id: DocumentId;
  /** File name for display (never a path). */
  name: string;
  /** Absolute path on disk; absent for uploads. */
  path?: string;
  mimeType: string;
  byteLength: number;
  pageCount: number;
  /** sha256 of the content, hex. */
  sha256: string;
  /** Pages with an OCR result so far, 0-based, ascending. */
  donePages: number[];
  /** Pages whose OCR failed, 0-based, ascending. */
  failedPages: number[];
  /** The job currently working on this document, if any. */
  activeJobId?: JobId;
}

/** Everything main holds for one document: what documents:get returns. */
export interface DocumentState {
  summary: DocumentSummary;
  /** Pages recognised so far, in page order. */
  pages: Page[];
  failures: PageFailure[];
  /** Edits last passed to export:*, so a reloaded renderer can show them again. */
  edits: Record<LineId, string>;
}

export interface OpenDocumentsResult {
  documents: DocumentSummary[];
  /** Inputs that could not be opened, one entry each (the rest still open). */
  rejected: { path: string; error: SerializedOcrError }[];
}

export interface EngineSettings {
  /** Preferred execution provider; 'auto' tries TensorRT → CUDA → … → CPU. */
  ep: EpPreference;
  precision: Precision;
  /** Longest side, in pixels, the detector sees (PaddleOCR det_limit_side_len). */
  detMaxSideLen: number;
}
/** Bounds settings:set accepts for detMaxSideLen. */
export const DET_MAX_SIDE_LEN_RANGE = { min: 320, max: 4096 } as const;

export interface PageImage {
  mimeType: 'image/png' | 'image/jpeg';
  bytes: Uint8Array;
  /** Page pixels: the space every Quad of this page is in. */
  width: number;
  height: number;
}

/** One step of a word-level diff from the fp32 text to the fp16 text. */
export interface TextDiffOp {
  /** 'delete': only in fp32; 'insert': only in fp16. */
  op: 'equal' | 'insert' | 'delete';
  text: string;
}

export interface CompareRun {
  page: Page;
  /** Wall time of the page in the worker, including any first-use model load for that precision. */
  elapsedMs: number;
}

export interface CompareResult {
  documentId: DocumentId;
  pageIndex: number;
  fp32: CompareRun;
  fp16: CompareRun;
  diff: TextDiffOp[];
  /** Words that differ (inserted + deleted). 0 means identical text. */
  changedWordCount: number;
}

/**
 * One execution provider as this machine offers it, for the settings list: unavailable ones are shown
 * disabled with `reason` (e.g. from engines/runtime/execution-providers.ts planProviders' skipped list).
 */
export interface ProviderAvailabilityInfo {
  provider: ExecutionProviderName;
  available: boolean;
  reason?: string;
}

/**
 * engine:info's answer. `availableProviders` is optional: when main leaves it out, the renderer derives the
 * list from the stages' `fallbacks` (which only name providers the engine tried).
 */
export type EngineInfoResult = EngineInfo & { availableProviders?: ProviderAvailabilityInfo[] };

export interface ExportSaveResult {
  /** false when the user cancelled the save dialog. */
  saved: boolean;
  /** Files written (one per document for 'all'). */
  paths: string[];
}

export interface ExportRenderResult {
  /** Suggested download name, e.g. `scan.pdf.txt`. */
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** renderer → main, request/response. One payload object per call. */
export interface InvokeChannels {
  /**
   * Opens files or folders from the native dialog or an OS drop. `paths` are absolute; folders are expanded
   * in main (supported files only). Omit `paths` to let main show the native open dialog (desktop only;
   * the local server answers INVALID_ARGUMENT). Bad files are listed in `rejected`; the rest open.
   */
  'documents:open': (req: { paths?: string[] }) => Promise<OpenDocumentsResult>;
  /**
   * Adds a document from bytes (browser uploads in server mode, pasted images). `name` is a file name,
   * not a path (no separators); `bytes` at most MAX_UPLOAD_BYTES.
   */
  'documents:add-bytes': (req: { name: string; bytes: Uint8Array }) => Promise<DocumentSummary>;
  /** Every open document, in the order they were opened. */
  'documents:list': (req: Record<string, never>) => Promise<DocumentSummary[]>;
  /** One document with the results received so far (for a renderer that reloads). */
  'documents:get': (req: { documentId: DocumentId }) => Promise<DocumentState>;
  /** Forgets a document (cancels its job if one runs). */
  'documents:remove': (req: { documentId: DocumentId }) => Promise<{ removed: boolean }>;

  /**
   * Queues OCR of a document (one job at a time on the GPU; jobs run FIFO). Resolves at once with the job
   * id; results arrive as ocr:page-done / ocr:page-failed events and end with ocr:job-done.
   * `pages` are 0-based (default all); `dpi` 36..1200 renders PDF pages (default engines/input/types.ts DEFAULT_PDF_DPI).
   */
  'ocr:start': (req: { documentId: DocumentId; pages?: number[]; dpi?: number; pdfMode?: PdfMode }) => Promise<{ jobId: JobId }>;
  /** Cancels a queued or running job; it ends with ocr:job-done status 'cancelled'. */
  'ocr:cancel': (req: { jobId: JobId }) => Promise<{ cancelled: boolean }>;
  /**
   * Runs one page in fp32 and in fp16 (queued like any job) and returns both results, their timings and a
   * word diff. The first fp16 run may include a model conversion or engine build.
   */
  'ocr:compare': (req: { documentId: DocumentId; pageIndex: number }) => Promise<CompareResult>;

  /**
   * Writes an export to disk through the native save dialog (desktop only): the renderer never chooses
   * the path. `documentId: 'all'` asks for a folder and writes one file per document. `edits` are the
   * user's corrections (remembered on the document for later exports).
   */
  'export:save': (req: { documentId: DocumentId | 'all'; format: ExportFormat; edits?: DocumentEdits }) => Promise<ExportSaveResult>;
  /** Returns an export's bytes (the browser download path, and the desktop clipboard/preview). */
  'export:render': (req: { documentId: DocumentId; format: ExportFormat; edits?: DocumentEdits }) => Promise<ExportRenderResult>;

  /** The engine as loaded: versions, models and the provider that runs each stage (starts the engine if needed). */
  'engine:info': (req: Record<string, never>) => Promise<EngineInfoResult>;
  /** Restarts the engine with the current settings after the running job (e.g. after a driver change). */
  'engine:rebuild': (req: Record<string, never>) => Promise<EngineInfo>;
  /** Stops running TensorRT engine builds; OCR keeps going on the provider serving now. */
  'engine:cancel-build': (req: Record<string, never>) => Promise<{ cancelled: boolean }>;

  'settings:get': (req: Record<string, never>) => Promise<EngineSettings>;
  /**
   * Changes engine settings (any subset). Persisted; applied between jobs (the running job finishes with
   * the old ones). Returns the settings now in force.
   */
  'settings:set': (req: Partial<EngineSettings>) => Promise<EngineSettings>;

  /**
   * The page as an image for the viewer, in the same pixel space as its quads (PDF pages are rendered at
   * the dpi of their OCR result, or DEFAULT_PDF_DPI when not recognised yet).
   */
  'pages:image': (req: { documentId: DocumentId; pageIndex: number }) => Promise<PageImage>;
}

export type InvokeChannel = keyof InvokeChannels;
export type InvokePayload<K extends InvokeChannel> = Parameters<InvokeChannels[K]>[0];
export type InvokeResult<K extends InvokeChannel> = Awaited<ReturnType<InvokeChannels[K]>>;

/** The preload allow-list and the server's routes (VS Code's validateIPC idea). */
export const INVOKE_CHANNELS = [
  'documents:open',
  'documents:add-bytes',
  'documents:list',
  'documents:get',
  'documents:remove',
  'ocr:start',
  'ocr:cancel',
  'ocr:compare',
  'export:save',
  'export:render',
  'engine:info',
  'engine:rebuild',
  'engine:cancel-build',
  'settings:get',
  'settings:set',
  'pages:image',
] as const satisfies readonly InvokeChannel[];

// Fails to compile when a channel is missing from INVOKE_CHANNELS.
type MissingInvoke = Exclude<InvokeChannel, (typeof INVOKE_CHANNELS)[number]>;
const _everyInvokeChannelListed: MissingInvoke extends never ? true : never = true;
void _everyInvokeChannelListed;

/** main → renderer, fire-and-forget. */
export interface EventChannels {
  /** A page entered a stage. `fraction` is done pages / pages of the job, 0..1. */
  'ocr:progress': {
    jobId: JobId;
    documentId: DocumentId;
    pageIndex: number;
    pageCount: number;
    stage: 'decode' | 'det' | 'cls' | 'rec' | 'layout';
    fraction: number;
  };
  /** A page is recognised (pages arrive in page order within a job). */
  'ocr:page-done': { jobId: JobId; documentId: DocumentId; page: Page };
  /** A page failed; the job goes on with the next one. */
  'ocr:page-failed': { jobId: JobId; documentId: DocumentId; failure: PageFailure };
  /** The job is over, whatever the outcome. */
  'ocr:job-done': {
    jobId: JobId;
    documentId: DocumentId;
    status: 'done' | 'cancelled' | 'failed';
    /** Pages recognised by this job. */
    donePageCount: number;
    failedPageCount: number;
    elapsedMs: number;
    /** Why the job failed as a whole ('failed' only). */
    error?: SerializedOcrError;
  };
  /** Engine lifecycle: loading, ready (with providers), TensorRT build progress, fallbacks, errors, restarts. */
  'engine:status': EngineStatusEvent;
}

export type EventChannel = keyof EventChannels;

export const EVENT_CHANNELS = [
  'ocr:progress',
  'ocr:page-done',
  'ocr:page-failed',
  'ocr:job-done',
  'engine:status',
] as const satisfies readonly EventChannel[];

type MissingEvent = Exclude<EventChannel, (typeof EVENT_CHANNELS)[number]>;
const _everyEventChannelListed: MissingEvent extends never ? true : never = true;
void _everyEventChannelListed;

/** What every invoke answers, over both transports. */
export type InvokeResponse<T> = { ok: true; result: T } | { ok: false; error: SerializedOcrError };

/** The object the preload exposes as `window.lucid` (and the server transport mimics). */
export interface LucidOcrApi {
  invoke<K extends InvokeChannel>(channel: K, payload: InvokePayload<K>): Promise<InvokeResponse<InvokeResult<K>>>;
  /** Subscribes to a main → renderer event; returns the unsubscribe function. */
  on<K extends EventChannel>(event: K, listener: (payload: EventChannels[K]) => void): () => void;
  /** Absolute path of a File dropped from the OS (Electron's webUtils); undefined in the browser. */
  pathForFile?(file: unknown): string | undefined;
}

/** Name under which the preload exposes LucidOcrApi on `window`. */
export const PRELOAD_API_KEY = 'lucid';

/**
 * Local server (server mode) routes, relative to the page's origin:
 * - POST `${SERVER_API_BASE_PATH}/invoke/<channel>`: JSON body = payload (Uint8Array as `{"$bytes": base64}`,
 *   see wire-codec.ts), or for documents:add-bytes a raw `application/octet-stream` body with `?name=`.
 *   Answers an `InvokeResponse` in JSON.
 * - GET `${SERVER_API_BASE_PATH}/events`: server-sent events, `event: <EventChannel>`, `data: <json>`.
 * The session token travels as the `lucid_token` cookie (set by the first page load) or the
 * `X-Lucid-Token` header.
 */
export const SERVER_API_BASE_PATH = '/api';
export const SERVER_TOKEN_HEADER = 'x-lucid-token';
export const SERVER_TOKEN_COOKIE = 'lucid_token';

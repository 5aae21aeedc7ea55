/**
 * The contract between the main process (or the CLI/server host) and the inference worker.
 *
 * One transport-agnostic envelope set: the same messages travel over Electron's utilityProcess
 * parentPort and over child_process.fork's IPC channel under plain Node.
 */
import type { DocumentInput, OcrPipelineOptions, PdfMode } from '../../engines/api.js';
import type {
  DocumentSourceInfo,
  EngineInfo,
  ExecutionProviderName,
  OcrDocument,
  Page,
  PageFailure,
  Precision,
  SerializedOcrError,
  Stage,
} from '../../engines/types.js';

export type JobId = string;

export interface RecognizeRequest {
  jobId: JobId;
  input: DocumentInput;
  pages?: number[];
  dpi?: number;
  pdfMode?: PdfMode;
  /** Pages already finished (by an earlier, crashed worker): skip them. */
  skipPages?: number[];
  /**
   * Run this job at another precision than the one `init` chose (ocr:compare runs a page in fp32 and fp16).
   * The worker creates a second pipeline for it on first use and keeps it until the next `init`/`dispose`.
   */
  precision?: Precision;
}

/** Open a document without OCR: its identity (sha256), type and page count. */
export interface ProbeRequest {
  input: DocumentInput;
}

/** One page as an image the viewer can show (PDF pages are rendered; other images are re-encoded). */
export interface RenderPageRequest {
  input: DocumentInput;
  /** 0-based. */
  pageIndex: number;
  /** PDF render resolution; must match the OCR's dpi for the overlay to line up. */
  dpi?: number;
  /** PNG (default: exact pixels for the viewer) or JPEG (quality 85: page images inside exported PDFs). */
  format?: 'png' | 'jpeg';
}

export interface RenderedPageImage {
  mimeType: 'image/png' | 'image/jpeg';
  bytes: Uint8Array;
  /** Page pixels, the same space as the page's quads. */
  width: number;
  height: number;
}

/** Request name → (payload) → result. One payload object per call. */
export interface WorkerMethods {
  init: (req: OcrPipelineOptions) => EngineInfo;
  engineInfo: (req: Record<string, never>) => EngineInfo & { availableProviders?: { provider: ExecutionProviderName; available: boolean; reason?: string }[] };
  recognize: (req: RecognizeRequest) => OcrDocument;
  probe: (req: ProbeRequest) => DocumentSourceInfo;
  renderPage: (req: RenderPageRequest) => RenderedPageImage;
  dispose: (req: Record<string, never>) => void;
  /** Stops running TensorRT engine builds; the pipeline keeps serving on the provider it has. */
  cancelEngineBuild: (req: Record<string, never>) => { cancelled: boolean };
  /** Drops every cached derived model: TensorRT engines, FP16 and argmax-head rec models (engine:rebuild, before the restart). */
  invalidateEngineCache: (req: Record<string, never>) => { removed: number };
}

/** Result type of a worker method. */
export type WorkerResult<M extends WorkerMethod> = ReturnType<WorkerMethods[M]>;
/** Payload type of a worker method. */
export type WorkerPayload<M extends WorkerMethod> = Parameters<WorkerMethods[M]>[0];

export type WorkerMethod = keyof WorkerMethods;

/** Worker → host events. */
export interface WorkerEvents {
  ready: { pid: number };
  'page-done': { jobId: JobId; page: Page };
  'page-failed': { jobId: JobId; failure: PageFailure };
  progress: { jobId: JobId; pageIndex: number; pageCount: number; stage: Stage | 'layout' };
  'engine-status': EngineStatusEvent;
}

export type EngineStatusEvent =
  | { phase: 'loading'; message: string }
  | { phase: 'ready'; info: EngineInfo; startupMs: number }
  | {
      phase: 'building-engine';
      model: 'det' | 'cls' | 'rec';
      precision: 'fp16' | 'fp32';
      step: string;
      elapsedMs: number;
      /** From the last build's duration; undefined when never built before. */
      estimatedRemainingMs?: number;
      fraction?: number;
      logTail: string[];
    }
  | { phase: 'fallback'; message: string }
  | { phase: 'error'; error: SerializedOcrError };

export const WORKER_METHODS = ['init', 'engineInfo', 'recognize', 'probe', 'renderPage', 'dispose', 'cancelEngineBuild', 'invalidateEngineCache'] as const satisfies readonly WorkerMethod[];

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type HostToWorker =
  | { kind: 'request'; seq: number; method: WorkerMethod; payload: unknown }
  | { kind: 'cancel'; jobId: JobId };

export type WorkerToHost =
  | { kind: 'response'; seq: number; ok: true; result: unknown }
  | { kind: 'response'; seq: number; ok: false; error: SerializedOcrError }
  | { kind: 'event'; name: keyof WorkerEvents; payload: unknown }
  | { kind: 'log'; level: LogLevel; message: string };

/** Narrows an unknown message from the worker; anything else is ignored and logged by the host. */
export function isWorkerToHost(m: unknown): m is WorkerToHost {
  if (typeof m !== 'object' || m === null) return false;
  const k = (m as { kind?: unknown }).kind;
  if (k === 'response') return typeof (m as { seq?: unknown }).seq === 'number' && typeof (m as { ok?: unknown }).ok === 'boolean';
  if (k === 'event') return typeof (m as { name?: unknown }).name === 'string';
  if (k === 'log') return typeof (m as { message?: unknown }).message === 'string';
  return false;
}

/** Narrows an unknown message from the host. */
export function isHostToWorker(m: unknown): m is HostToWorker {
  if (typeof m !== 'object' || m === null) return false;
  const k = (m as { kind?: unknown }).kind;
  if (k === 'request') {
    const r = m as { seq?: unknown; method?: unknown };
    return typeof r.seq === 'number' && typeof r.method === 'string';
  }
  if (k === 'cancel') return typeof (m as { jobId?: unknown }).jobId === 'string';
  return false;
}

/**
 * The contract between the main process (or the CLI/server host) and the inference worker.
 *
 * One transport-agnostic envelope set: the same messages travel over Electron's utilityProcess
 * parentPort and over child_process.fork's IPC channel under plain Node.
 */
import type { DocumentInput, OcrPipelineOptions, PdfMode } from '../../engines/api.js';
import type { EngineInfo, OcrDocument, Page, PageFailure, SerializedOcrError, Stage } from '../../engines/types.js';

export type JobId = string;

export interface RecognizeRequest {
  jobId: JobId;
  input: DocumentInput;
  pages?: number[];
  dpi?: number;
  pdfMode?: PdfMode;
  /** Pages already finished (by an earlier, crashed worker): skip them. */
  skipPages?: number[];
}

/** Request name → (payload) → result. One payload object per call. */
export interface WorkerMethods {
  init: (req: OcrPipelineOptions) => EngineInfo;
  engineInfo: (req: Record<string, never>) => EngineInfo;
  recognize: (req: RecognizeRequest) => OcrDocument;
  dispose: (req: Record<string, never>) => void;
}

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

export type HostToWorker =
  | { kind: 'request'; seq: number; method: WorkerMethod; payload: unknown }
  | { kind: 'cancel'; jobId: JobId };

export type WorkerToHost =
  | { kind: 'response'; seq: number; ok: true; result: unknown }
  | { kind: 'response'; seq: number; ok: false; error: SerializedOcrError }
  | { kind: 'event'; name: keyof WorkerEvents; payload: unknown }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

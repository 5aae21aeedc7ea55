/**
 * Messages between the page pool (page-pool.ts, the caller's thread) and its worker threads (pool-worker.ts).
 * Only file references, page indices and results cross: every thread opens the document and renders its own
 * pages, so no page image is copied between threads (recognizeImage is the one exception: its caller hands
 * over an image).
 */
import type { DocumentInput, OcrPipelineOptions, PdfMode } from '../api.js';
import type { EngineInfo, Page, RgbImage, SerializedOcrError, Stage } from '../types.js';

export interface PoolWorkerData {
  /** The pipeline options, concurrency removed (each thread runs one pipeline). */
  options: OcrPipelineOptions;
}

export type ToWorker =
  | { type: 'open'; docId: number; input: DocumentInput; dpi?: number; pdfMode?: PdfMode }
  /** exitForTest: the thread ends itself (process.exit) just before OCRing this page (PooledPipelineOptions.exitOnPageForTest). */
  | { type: 'page'; seq: number; docId: number; pageIndex: number; exitForTest?: boolean }
  | { type: 'image'; seq: number; image: RgbImage; index: number }
  /** No more pages of this document will come: close it once its queued pages are done. */
  | { type: 'close'; docId: number }
  /** Drop this document's queued pages (answered as CANCELLED) and abort the one running. */
  | { type: 'cancel'; docId: number }
  /**
   * The thread is idle after loading: OCR `pages` pages of the built-in warm document (warm-page.ts; its bytes,
   * made once by the pool) unless work is already queued. A page or image arriving meanwhile cancels it between
   * stages.
   */
  | { type: 'warm'; document: Uint8Array; pages: number }
  | { type: 'dispose' };

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'init-failed'; error: SerializedOcrError }
  /** The thread begins OCRing these pages together (more than one with recBatchPages): a crash now fails them. */
  | { type: 'started'; seqs: number[] }
  | { type: 'done'; seq: number; page: Page }
  | { type: 'failed'; seq: number; error: SerializedOcrError }
  /** Answer to 'warm': how long it took and the pages OCRed, or why it stopped (skipped, cancelled by real work, failed). */
  | { type: 'warmed'; ms: number; pages: number; outcome: 'done' | 'skipped' | 'cancelled' | 'failed'; error?: string }
  | { type: 'progress'; docId: number; pageIndex: number; pageCount: number; stage: Stage | 'layout' };

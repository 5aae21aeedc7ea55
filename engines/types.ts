/**
 * Lucid OCR result model and engine-facing types.
 *
 * Plain, JSON-serialisable data only: these objects cross the worker and IPC boundaries unchanged.
 * Every coordinate is in PAGE PIXELS of the page image as decoded (EXIF orientation applied; for PDFs
 * the page rendered at `OcrPage.dpi`), origin top-left, x right, y down. Never in detector-tensor space.
 */

/** [x, y] in page pixels. */
export type Point = [x: number, y: number];

/**
 * Four corners in reading order of the text they enclose: top-left, top-right, bottom-right, bottom-left
 * *of the text*. For upside-down text on an upright page, point 0 is therefore at the bottom-right of the
 * page-space rectangle. This keeps "first point = where reading starts" true for every rotation.
 */
export type Quad = [Point, Point, Point, Point];

/** Axis-aligned rectangle in page pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** 8-bit interleaved RGB pixels (alpha already flattened), row-major. */
export interface RgbImage {
  width: number;
  height: number;
  /** length = width * height * 3 */
  data: Uint8Array;
}

/** Clockwise rotation in degrees. */
export type Rotation = 0 | 90 | 180 | 270;

export type Stage = 'decode' | 'det' | 'cls' | 'rec';

/** Execution providers we know about. Names match onnxruntime-node's. */
export type ExecutionProviderName = 'tensorrt' | 'cuda' | 'webgpu' | 'dml' | 'coreml' | 'cpu';
export type EpPreference = 'auto' | ExecutionProviderName;
export type Precision = 'fp32' | 'fp16';

/** What actually ran one stage, and why it is not the preferred provider if it is not. */
export interface StageProvider {
  stage: 'det' | 'cls' | 'rec';
  /** Provider that executed the session, as verified after loading. */
  provider: ExecutionProviderName;
  precision: Precision;
  /** Providers tried before this one, each with the reason it was not used. */
  fallbacks: { provider: ExecutionProviderName; reason: string }[];
}

export interface Word {
  text: string;
  /** Word box in page pixels (a sub-quad of its line's quad). */
  quad: Quad;
  /** Mean CTC max-probability of the word's characters, 0..1 (1 for PDF text-layer words). */
  confidence: number;
}

export interface Line {
  /** Stable within a document: `p{page}-l{index}`. */
  id: string;
  text: string;
  /** 0..1; PaddleOCR's mean of the kept CTC max-probabilities. 1 for PDF text-layer lines. */
  confidence: number;
  quad: Quad;
  words: Word[];
  /** Detector's box score (DB fast score), 0..1; absent for text-layer lines. */
  detScore?: number;
  /** true when the direction classifier flipped this crop by 180°. */
  flipped?: boolean;
}

export interface Block {
  /** `p{page}-b{index}` */
  id: string;
  /** Bounding box of the block's lines, page pixels. */
  bbox: Rect;
  lines: Line[];
  /**
   * 'table-row': one row of a grid read row by row; its lines are the row's cells, left to right. Absent for
   * paragraphs (the default).
   */
  kind?: 'table-row';
}

export interface StageTimings {
  /** Decode or render of the page image (PDF render, sharp decode). */
  decodeMs: number;
  detPreMs: number;
  detRunMs: number;
  detPostMs: number;
  /** Cutting every line's crop out of the full-resolution page (perspective warp; line ends lengthened). */
  cropMs: number;
  clsMs: number;
  recPreMs: number;
  recRunMs: number;
  recPostMs: number;
  layoutMs: number;
  totalMs: number;
}

export type PageSourceKind = 'image' | 'pdf-render' | 'pdf-text-layer';

export interface Page {
  /** 0-based index within the document. */
  index: number;
  width: number;
  height: number;
  /**
   * Clockwise rotation the content was found to have; the quads are still in the unrotated page image's
   * pixels, so an overlay drawn on the page as given lines up. Reading order accounts for it.
   */
  rotation: Rotation;
  /** Confidence of the orientation decision, 0..1. */
  rotationConfidence: number;
  source: PageSourceKind;
  /** Rendering resolution for PDF pages; for images, the file's density if known. */
  dpi?: number;
  /** PDF page size in points (1/72 in), for exporters that write PDFs. */
  sizePt?: { width: number; height: number };
  blocks: Block[];
  /**
   * All lines' text joined in reading order: lines by '\n', blocks by '\n\n'; except table rows, whose cells are
   * joined by '\t' and which follow each other after a single '\n' (layout/page-text.ts).
   */
  text: string;
  timings: StageTimings;
  providers: StageProvider[];
  warnings: string[];
}

export interface DocumentSourceInfo {
  path?: string;
  name: string;
  /** sha256 of the file content, hex; keys resumable jobs. */
  sha256: string;
  mimeType: string;
  byteLength: number;
  pageCount: number;
}

/** A page that failed; the document carries on with the rest. */
export interface PageFailure {
  index: number;
  error: SerializedOcrError;
}

export const RESULT_SCHEMA_ID = 'https://lucid-ocr.dev/schema/document/v1';
export const RESULT_SCHEMA_VERSION = 1;

export interface OcrDocument {
  $schema: typeof RESULT_SCHEMA_ID;
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  source: DocumentSourceInfo;
  pages: Page[];
  failures: PageFailure[];
  engine: EngineInfo;
  /** ISO 8601 */
  createdAt: string;
}

export interface EngineInfo {
  name: 'lucid-ocr';
  version: string;
  onnxruntimeVersion: string;
  models: { det: string; cls: string; rec: string; dict: string };
  precision: Precision;
  providers: StageProvider[];
  /** Wall time spent at start-up running every planned input shape once (GPU providers only). */
  warmUpMs?: number;
  /**
   * CUDA/TensorRT: how threads wait for the GPU (engines/runtime/cuda-wait.ts): the mode asked for, whether the
   * driver took it, and why not.
   */
  cudaWait?: { mode: 'block' | 'spin'; applied: boolean; reason?: string };
  /** The input shapes warmed up at start-up, per stage (GPU providers only). */
  warmedShapes?: { det: number[][]; cls: number[][]; rec: number[][] };
  /**
   * Page-parallel pools only (engines/parallel/): threads asked for, threads whose pipeline loaded, and
   * those that could not start with why (`thread` is 0-based). Current as of the info() call: threads
   * after the first start one at a time in the background.
   */
  threads?: { requested: number; started: number; failed: { thread: number; reason: string }[] };
}

export type OcrErrorCode =
  | 'NOT_FOUND'
  | 'EMPTY_FILE'
  | 'UNSUPPORTED_TYPE'
  | 'CORRUPT_FILE'
  | 'TRUNCATED_FILE'
  | 'IMAGE_TOO_LARGE'
  | 'PDF_ENCRYPTED'
  | 'PDF_TOO_MANY_PAGES'
  | 'PAGE_OUT_OF_RANGE'
  | 'NO_INPUT_FILES'
  | 'MODEL_LOAD_FAILED'
  | 'PROVIDER_UNAVAILABLE'
  | 'WORKER_CRASHED'
  | 'CANCELLED'
  | 'WRITE_FAILED'
  | 'INVALID_ARGUMENT'
  | 'INTERNAL';

export interface SerializedOcrError {
  name: 'OcrError';
  code: OcrErrorCode;
  message: string;
  /** true when the input is at fault (exit code 2 in the CLI); false for our own failures. */
  isInputError: boolean;
  file?: string;
  /** 0-based page index. */
  page?: number;
  cause?: string;
}

/**
 * Contracts of engines/input/: what the pipeline gets from a file on disk or a dropped buffer.
 * Everything geometric is in page pixels of the page image as rendered/decoded (engines/types.ts).
 */
import type { DocumentSourceInfo, Quad, RgbImage } from '../types.js';

/** The file types we read, by their real content (never the extension). */
export type SniffedType = 'png' | 'jpeg' | 'webp' | 'tiff' | 'bmp' | 'gif' | 'pdf';

export type DocumentKind = 'image' | 'pdf';

export interface OpenDocumentOptions {
  /**
   * Largest page image handed to the pipeline, in pixels (width × height). Images above it are
   * downscaled on decode and PDF pages are rendered at a lower DPI, each with a warning.
   * Default DEFAULT_MAX_PIXELS.
   */
  maxPixels?: number;
  /**
   * Largest image we agree to decode at all, in pixels. Above it: IMAGE_TOO_LARGE, decided from the
   * header alone (decompression bombs cost nothing). Default DEFAULT_MAX_INPUT_PIXELS.
   */
  maxInputPixels?: number;
  /** PDFs with more pages are refused with PDF_TOO_MANY_PAGES. Default DEFAULT_MAX_PAGES. */
  maxPages?: number;
}

/**
 * 50 megapixels ≈ A4 at 600 dpi (35 Mpx) with room to spare; 150 MB as RGB. Larger pages are
 * downscaled (a 600 dpi A3 scan ends near 500 dpi, still far more than PP-OCR needs).
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;
/**
 * 268 Mpx = 16383 × 16383, libvips' and sharp's own default. Decoding more takes tens of seconds and
 * gigabytes; such files are nearly always bombs or gigapixel panoramas, so we refuse with a clear line.
 */
export const DEFAULT_MAX_INPUT_PIXELS = 16383 * 16383;
/** PDFs are opened lazily (pages parsed on demand), so this is a sanity bound against absurd /Count. */
export const DEFAULT_MAX_PAGES = 10_000;
/**
 * PDF render resolution when none is asked for, for OCR, the viewer and the CLI alike (engines/pipeline.ts
 * re-exports it). Measured with `npm run eval -- --dpi-sweep` on five born-digital and scanned PDF pages:
 * 150 dpi 3.87 % CER, 200 dpi 3.37 %, 300 dpi 3.47 % — 300 buys nothing over 200 and renders 2.5× slower
 * (the detector works at a 960-px short side either way; recognition crops are resized to 48 px high).
 */
export const DEFAULT_PDF_DPI = 200;
/** Render DPIs outside this range are refused with INVALID_ARGUMENT. */
export const MIN_PDF_DPI = 36;
export const MAX_PDF_DPI = 1200;

export interface RenderOptions {
  /** PDF render resolution; ignored for images (they have their own pixels). */
  dpi?: number;
}

export interface PageImage {
  image: RgbImage;
  /** PDF: the resolution actually rendered at. Images: the file's stated density, if any. */
  dpi?: number;
  /** PDF page size in points as displayed (after /Rotate), matching the image's aspect. */
  sizePt?: { width: number; height: number };
  /** Decode or render time, including the RGBA → RGB conversion. */
  decodeMs: number;
  /** Non-fatal problems, as full sentences naming the file (truncated data, downscaling, …). */
  warnings: string[];
  /**
   * PDF only: how the page image was made. 'image': the page is one scanned image, decoded and resampled
   * directly (pdf-scan-image.ts); 'render': drawn by pdf.js.
   */
  renderPath?: 'image' | 'render';
  /** PDF, renderPath 'render': why the image fast path did not apply (for benchmarks and logs). */
  renderPathReason?: string;
}

export interface TextLayerWord {
  text: string;
  quad: Quad;
}

export interface TextLayerLine {
  text: string;
  quad: Quad;
  words: TextLayerWord[];
}

export interface TextLayerPage {
  /** Page size in pixels at `dpi` (same as renderPage at that dpi). */
  width: number;
  height: number;
  dpi: number;
  /** In content-stream order, which for born-digital PDFs is nearly always reading order. */
  lines: TextLayerLine[];
  /** Non-whitespace characters on the page. */
  charCount: number;
  /** true when the text layer is worth trusting instead of OCR (see text-layer.ts, isUsableTextLayer). */
  usable: boolean;
}

export interface DocumentReader {
  readonly info: DocumentSourceInfo;
  readonly kind: DocumentKind;
  readonly pageCount: number;
  /** Decodes/renders one page (0-based). Calls are serialised: one page in memory at a time. */
  renderPage(index: number, opts?: RenderOptions): Promise<PageImage>;
  /** PDF text layer of one page, in pixels at `dpi`; null for images. */
  textLayer(index: number, opts?: RenderOptions): Promise<TextLayerPage | null>;
  close(): Promise<void>;
}

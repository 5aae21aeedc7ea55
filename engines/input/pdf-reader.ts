/**
 * PDF pages → RGB page images, with pdfjs-dist 5 (legacy build, the one meant for Node) drawing into
 * @napi-rs/canvas. In Node pdfjs runs its "worker" in this thread (no Worker, no eval) and finds
 * @napi-rs/canvas itself (NodeCanvasFactory in pdf.mjs). We only point it at its own fonts, CMaps, ICC
 * profile and wasm decoders inside node_modules, so born-digital pages render the same offline.
 *
 * One page at a time: pages are loaded on demand, rendered, converted, and their resources dropped
 * (page.cleanup()) before the next; a 500-page PDF is never held rendered whole.
 *
 * Scanned pages (one image covering the page, maybe under an invisible text layer) skip pdf.js drawing:
 * pdf-scan-image.ts decodes the image natively and resamples it to the same pixel grid (PageImage.renderPath).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { PDFDocumentProxy, PDFPageProxy, RenderParameters } from 'pdfjs-dist/types/src/display/api.js';
import { OcrError, isOcrError } from '../errors.js';
import { LITTLE_ENDIAN } from '../image/gray.js';
import type { RgbImage } from '../types.js';
import { PdfObjectReader, PdfUnsupported } from './pdf-objects.js';
import { analyseScanPage, renderScanImage } from './pdf-scan-image.js';
import { extractTextLayer, pageGeometry, type PageGeometry } from './text-layer.js';
import {
  DEFAULT_MAX_PAGES,
  DEFAULT_MAX_PIXELS,
  DEFAULT_PDF_DPI,
  MAX_PDF_DPI,
  MIN_PDF_DPI,
  type PageImage,
  type TextLayerPage,
} from './types.js';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let pdfjsPromise: Promise<Pdfjs> | null = null;

/**
 * Loads pdfjs once. Importing the worker module first registers globalThis.pdfjsWorker, which pdfjs
 * then uses in-thread instead of import()ing `GlobalWorkerOptions.workerSrc` by relative URL (that
 * dynamic import breaks once the engine is bundled).
 *
 * Both modules are loaded with Node's source-map support off. The core-js bundled in each reads
 * `new Error().stack` as it loads; where source maps are on (tsx, as in `npm run bench`/`eval`/`cli`, or
 * --enable-source-maps), formatting that stack parses pdf.worker.mjs.map, 5.4 MB of JSON, into ~140 MB of
 * heap that the thread keeps for life. Every full GC then marks it: measured with 8 page threads on a
 * 16-core H100 host, the V8 GC threads took ~6 cores and stalled the page threads. Modules compiled
 * while support is off register no map, so no later stack touches it. Our own modules keep theirs.
 */
export function loadPdfjs(): Promise<Pdfjs> {
  pdfjsPromise ??= withoutSourceMaps(async () => {
    // @ts-expect-error pdfjs-dist ships no type declarations for its worker module.
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  });
  return pdfjsPromise;
}

/** Runs `load` with Node's source-map support off (per thread), restoring it afterwards. */
async function withoutSourceMaps<T>(load: () => Promise<T>): Promise<T> {
  const was = process.sourceMapsEnabled === true;
  if (was) process.setSourceMapsEnabled(false);
  try {
    return await load();
  } finally {
    if (was) process.setSourceMapsEnabled(true);
  }
}

/** pdfjs wants directory *paths* with a trailing slash; in Node it reads them with fs.readFile. */
export function pdfjsAssetDirs(): { standardFontDataUrl: string; cMapUrl: string; iccUrl: string; wasmUrl: string } {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('pdfjs-dist/package.json'));
  const dir = (name: string) => path.join(root, name) + path.sep;
  return { standardFontDataUrl: dir('standard_fonts'), cMapUrl: dir('cmaps'), iccUrl: dir('iccs'), wasmUrl: dir('wasm') };
}

export interface PdfLimits {
  maxPages?: number;
  maxPixels?: number;
  /**
   * Decode single-image scanned pages directly instead of drawing them with pdf.js (default true). Costs one
   * reference to `bytes` for as long as the document is open (no copy).
   */
  scanImageFastPath?: boolean;
}

export interface OpenedPdf {
  pageCount: number;
  renderPage(index: number, dpi?: number): Promise<PageImage>;
  textLayer(index: number, dpi?: number): Promise<TextLayerPage>;
  close(): Promise<void>;
}

export function checkDpi(dpi: number, name: string): number {
  if (!Number.isFinite(dpi) || dpi < MIN_PDF_DPI || dpi > MAX_PDF_DPI) {
    throw new OcrError('INVALID_ARGUMENT', `Render resolution ${dpi} dpi for ${name} is outside ${MIN_PDF_DPI}–${MAX_PDF_DPI} dpi.`, { file: name });
  }
  return dpi;
}

function openFailure(e: unknown, name: string): OcrError {
  const err = e as { name?: string; message?: string };
  if (err?.name === 'PasswordException') {
    return new OcrError('PDF_ENCRYPTED', `${name} is password-protected; Lucid OCR cannot open encrypted PDFs. Save a copy without the password and try again.`, { file: name, cause: e });
  }
  const detail = err?.message ? ` (${err.message})` : '';
  return new OcrError('CORRUPT_FILE', `${name} is a damaged PDF and cannot be opened${detail}.`, { file: name, cause: e });
}

export async function openPdf(bytes: Uint8Array, name: string, limits: PdfLimits = {}): Promise<OpenedPdf> {
  const maxPages = limits.maxPages ?? DEFAULT_MAX_PAGES;
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const fastPath = limits.scanImageFastPath ?? true;
  const pdfjs = await loadPdfjs();
  let doc: PDFDocumentProxy;
  try {
    const task = pdfjs.getDocument({
      // pdfjs may transfer (detach) the buffer it is given; ours stays usable for hashing and retries. A plain
      // Uint8Array copy: pdfjs refuses a Node Buffer, and Buffer's slice() is a view, not a copy.
      data: new Uint8Array(bytes),
      ...pdfjsAssetDirs(),
      isEvalSupported: false,
      useSystemFonts: false,
      disableFontFace: true,
      // Errors only: pdfjs warns on console about every odd font; pages still render.
      verbosity: pdfjs.VerbosityLevel.ERRORS,
    });
    doc = await task.promise;
  } catch (e) {
    throw openFailure(e, name);
  }
  const pageCount = doc.numPages;
  if (pageCount < 1) {
    await doc.destroy();
    throw new OcrError('CORRUPT_FILE', `${name} is a damaged PDF: it has no pages.`, { file: name });
  }
  if (pageCount > maxPages) {
    await doc.destroy();
    throw new OcrError(
      'PDF_TOO_MANY_PAGES',
      `${name} has ${pageCount} pages; Lucid OCR opens PDFs of up to ${maxPages} pages. Split it into smaller files.`,
      { file: name },
    );
  }

  // pdfjs objects are not safe to drive from two renders at once, and memory stays bounded by one page.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  let closed = false;
  const canvases = new PageCanvases();
  // Our own object reader for the fast path, opened on first use; a file it cannot read is left to pdf.js.
  // It reads the caller's bytes in place (pdf.js has its own copy), so they stay referenced while open.
  let source: Uint8Array | null = fastPath ? bytes : null;
  let objects: PdfObjectReader | string = 'the image fast path is turned off';
  const scanReader = (): PdfObjectReader | string => {
    if (source) {
      try {
        objects = PdfObjectReader.open(source);
      } catch (e) {
        objects = `the file structure is not one the fast path reads (${(e as Error)?.message ?? e})`;
      }
      source = null;
    }
    return objects;
  };

  const withPage = <T>(index: number, fn: (page: PDFPageProxy) => Promise<T>): Promise<T> =>
    serial(async () => {
      if (closed) throw new OcrError('INVALID_ARGUMENT', `${name} is already closed.`, { file: name, page: index });
      if (!Number.isInteger(index) || index < 0 || index >= pageCount) {
        throw new OcrError('PAGE_OUT_OF_RANGE', `${name} has ${pageCount} page${pageCount === 1 ? '' : 's'}; page ${index + 1} does not exist.`, { file: name, page: index });
      }
      let page: PDFPageProxy;
      try {
        page = await doc.getPage(index + 1);
      } catch (e) {
        throw new OcrError('CORRUPT_FILE', `${name}, page ${index + 1} is damaged and cannot be read (${(e as Error)?.message ?? e}).`, { file: name, page: index, cause: e });
      }
      try {
        return await fn(page);
      } catch (e) {
        if (isOcrError(e)) throw e.withContext({ file: name, page: index });
        throw new OcrError('CORRUPT_FILE', `${name}, page ${index + 1} could not be rendered (${(e as Error)?.message ?? e}).`, { file: name, page: index, cause: e });
      } finally {
        // Drops the page's operator list, images and canvas caches; fonts stay for the next page.
        page.cleanup();
      }
    });

  return {
    pageCount,
    renderPage: (index, dpi = DEFAULT_PDF_DPI) => withPage(index, (page) => renderPdfPage(page, checkDpi(dpi, name), maxPixels, name, scanReader, canvases)),
    textLayer: (index, dpi = DEFAULT_PDF_DPI) => withPage(index, (page) => extractTextLayer(page, checkDpi(dpi, name))),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        source = null;
        objects = 'the document is closed';
        canvases.release();
        await doc.destroy();
      }),
  };
}

async function renderPdfPage(
  page: PDFPageProxy,
  requestedDpi: number,
  maxPixels: number,
  name: string,
  scanReader: () => PdfObjectReader | string,
  canvases: PageCanvases,
): Promise<PageImage> {
  const t0 = performance.now();
  const warnings: string[] = [];
  let dpi = requestedDpi;
  let geometry = pageGeometry(page, dpi);
  if (geometry.width * geometry.height > maxPixels) {
    // Huge pages (posters, CAD sheets): lower the resolution rather than allocate gigabytes.
    const full = geometry;
    dpi = Math.floor(requestedDpi * Math.sqrt(maxPixels / (full.width * full.height)) * 100) / 100;
    geometry = pageGeometry(page, dpi);
    while (geometry.width * geometry.height > maxPixels && dpi > 1) {
      dpi = Math.round((dpi - 0.5) * 100) / 100;
      geometry = pageGeometry(page, dpi);
    }
    warnings.push(
      `${name}, page ${page.pageNumber}: at ${requestedDpi} dpi the page would be ${full.width} × ${full.height} pixels, ` +
        `more than the ${(maxPixels / 1e6).toFixed(0)} megapixels Lucid OCR works on; rendered at ${dpi} dpi instead.`,
    );
  }
  const { width, height } = geometry;
  const sizePt = { width: geometry.widthPt, height: geometry.heightPt };
  const scan = await scanImageFastPath(page, geometry, scanReader);
  if (typeof scan !== 'string') {
    return { image: scan, dpi, sizePt, decodeMs: performance.now() - t0, warnings, renderPath: 'image' };
  }
  // Scale per axis so the viewport lands exactly on the rounded pixel grid (text-layer quads use the same).
  const viewport = page.getViewport({ scale: dpi / 72 });
  const transform = [width / viewport.width, 0, 0, height / viewport.height, 0, 0];
  const pageCanvas = canvases.take(width, height);
  let reusable = false;
  try {
    // Two saves of our own around pdf.js's drawing, each over a sentinel miter limit: see PageCanvases.
    const { ctx } = pageCanvas;
    ctx.miterLimit = SENTINEL_MITER_LIMIT_BASE;
    ctx.save();
    ctx.miterLimit = SENTINEL_MITER_LIMIT_TOP;
    ctx.save();
    ctx.miterLimit = DEFAULT_MITER_LIMIT;
    await page.render({
      // @napi-rs/canvas stands in for the DOM canvas pdfjs is typed against.
      canvas: pageCanvas.canvas as unknown as RenderParameters['canvas'],
      viewport,
      transform,
      background: 'rgb(255,255,255)',
    }).promise;
    ctx.restore();
    const top = ctx.miterLimit;
    ctx.restore();
    reusable = top === SENTINEL_MITER_LIMIT_TOP && ctx.miterLimit === SENTINEL_MITER_LIMIT_BASE;
    ctx.miterLimit = DEFAULT_MITER_LIMIT;
    const image = rgbaToRgb(pageCanvas.canvas.data(), width, height);
    return { image, dpi, sizePt, decodeMs: performance.now() - t0, warnings, renderPath: 'render', renderPathReason: scan };
  } finally {
    if (reusable) canvases.give(pageCanvas);
    else freeCanvas(pageCanvas.canvas);
  }
}

/** The canvas default (HTML canvas spec), and values no content sets by accident (exact in float32). */
const DEFAULT_MITER_LIMIT = 10;
const SENTINEL_MITER_LIMIT_BASE = 7.25;
const SENTINEL_MITER_LIMIT_TOP = 7.3125;

interface PageCanvas {
  canvas: Canvas;
  ctx: SKRSContext2D;
}

/**
 * One page canvas per open document, reused by the next page of the same pixel size. A new 2550 × 3300 canvas
 * costs ~28 ms of CPU (allocating and clearing 34 MB; setting its width again costs the same), about a sixth of
 * a rendered page; reusing it costs nothing, because pdf.js first paints the whole canvas with the opaque
 * background. The price is one idle canvas per open document between pages, freed on close.
 *
 * A reused canvas must start in a fresh canvas's state (identity transform, no clip; @napi-rs/canvas has no
 * ctx.reset(), and the clip cannot be read back). pdf.js's endDrawing restores every save it made; to be sure,
 * we wrap its drawing in two saves of our own, each over a sentinel miter limit, and after our two restores
 * both sentinels are back only if pdf.js left the stack as it found it (a save too many leaves its own state
 * on top; a restore too many pops ours early). Otherwise, or when the render fails, the canvas is dropped and
 * the next page gets a new one.
 */
class PageCanvases {
  #idle: PageCanvas | null = null;

  take(width: number, height: number): PageCanvas {
    const idle = this.#idle;
    this.#idle = null;
    if (idle && idle.canvas.width === width && idle.canvas.height === height) return idle;
    if (idle) freeCanvas(idle.canvas);
    const canvas = createCanvas(width, height);
    // The attributes pdf.js asks for (CanvasGraphics, enableHWA off): the first getContext call fixes them.
    const ctx = canvas.getContext('2d', { alpha: false, willReadFrequently: true } as Parameters<Canvas['getContext']>[1]);
    return { canvas, ctx };
  }

  give(pageCanvas: PageCanvas): void {
    if (this.#idle) freeCanvas(this.#idle.canvas);
    this.#idle = pageCanvas;
  }

  release(): void {
    if (this.#idle) freeCanvas(this.#idle.canvas);
    this.#idle = null;
  }
}

/** Releases the native pixel memory now rather than at the next GC. */
function freeCanvas(canvas: Canvas): void {
  canvas.width = 0;
  canvas.height = 0;
}

/**
 * The page as its one scanned image, or the reason it is not one. Any failure (including a decode error)
 * means "render with pdf.js": the fast path must never give a different page than pdf.js would.
 */
async function scanImageFastPath(page: PDFPageProxy, geometry: PageGeometry, scanReader: () => PdfObjectReader | string): Promise<RgbImage | string> {
  const reader = scanReader();
  if (typeof reader === 'string') return reader;
  const ref = page.ref;
  if (!ref) return 'pdf.js gives no page reference';
  const info = { view: page.view, rotate: page.rotate, pageToPixel: geometry.pageToPixel, widthPx: geometry.width, heightPx: geometry.height };
  try {
    const plan = analyseScanPage(reader, ref, info);
    if ('reason' in plan) return plan.reason;
    return await renderScanImage(plan, geometry.width, geometry.height);
  } catch (e) {
    return e instanceof PdfUnsupported ? e.message : `fast path failed (${(e as Error)?.message ?? e})`;
  }
}

/**
 * Canvas RGBA (opaque: the page is painted on white) → packed RGB, what sharp's removeAlpha gives byte for
 * byte. Four pixels are four word reads and three word writes, and four white ones three all-ones words:
 * about half the CPU of sharp's removeAlpha on a 2550 × 3300 page in isolation (33 against 63–71 ms on the
 * 2-core box), and it keeps the page off the libuv and vips threads that a pool of page threads shares.
 */
function rgbaToRgb(rgba: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`canvas holds ${rgba.length} bytes, not ${width} × ${height} × 4`);
  // Every byte is written below: no zeroing (allocUnsafeSlow: its own ArrayBuffer, not the pool).
  const page = Buffer.allocUnsafeSlow(n * 3);
  const out = new Uint8Array(page.buffer, page.byteOffset, n * 3);
  let i = 0;
  if (LITTLE_ENDIAN && (rgba.byteOffset & 3) === 0) {
    const src = new Uint32Array(rgba.buffer, rgba.byteOffset, n);
    const dst = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
    for (let k = 0; i + 4 <= n; i += 4, k += 3) {
      const p0 = src[i]!, p1 = src[i + 1]!, p2 = src[i + 2]!, p3 = src[i + 3]!;
      // (& gives a signed int32: four white pixels are −1.)
      if ((p0 & p1 & p2 & p3) === -1) {
        dst[k] = dst[k + 1] = dst[k + 2] = 0xffffffff;
        continue;
      }
      // [r0 g0 b0 r1] [g1 b1 r2 g2] [b2 r3 g3 b3]
      dst[k] = (p0 & 0xffffff) | (p1 << 24);
      dst[k + 1] = ((p1 >>> 8) & 0xffff) | (p2 << 16);
      dst[k + 2] = ((p2 >>> 16) & 0xff) | (p3 << 8);
    }
  }
  for (; i < n; i++) {
    out[3 * i] = rgba[4 * i]!;
    out[3 * i + 1] = rgba[4 * i + 1]!;
    out[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return { width, height, data: out };
}

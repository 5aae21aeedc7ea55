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
import sharp from 'sharp';
import { createCanvas } from '@napi-rs/canvas';
import type { PDFDocumentProxy, PDFPageProxy, RenderParameters } from 'pdfjs-dist/types/src/display/api.js';
import { OcrError, isOcrError } from '../errors.js';
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
      // pdfjs may transfer (detach) the buffer it is given; ours stays usable for hashing and retries.
      data: bytes.slice(),
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
    renderPage: (index, dpi = DEFAULT_PDF_DPI) => withPage(index, (page) => renderPdfPage(page, checkDpi(dpi, name), maxPixels, name, scanReader)),
    textLayer: (index, dpi = DEFAULT_PDF_DPI) => withPage(index, (page) => extractTextLayer(page, checkDpi(dpi, name))),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        source = null;
        objects = 'the document is closed';
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
  const canvas = createCanvas(width, height);
  try {
    await page.render({
      // @napi-rs/canvas stands in for the DOM canvas pdfjs is typed against.
      canvas: canvas as unknown as RenderParameters['canvas'],
      viewport,
      transform,
      background: 'rgb(255,255,255)',
    }).promise;
    const image = await rgbaToRgb(canvas.data(), width, height);
    return { image, dpi, sizePt, decodeMs: performance.now() - t0, warnings, renderPath: 'render', renderPathReason: scan };
  } finally {
    // Release the native pixel memory now rather than at the next GC.
    canvas.width = 0;
    canvas.height = 0;
  }
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

/** Canvas RGBA (opaque: the page is painted on white) → packed RGB. */
async function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Promise<RgbImage> {
  const out = await sharp(rgba, { raw: { width, height, channels: 4 }, limitInputPixels: false }).removeAlpha().raw().toBuffer();
  return { width, height, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
}

/**
 * A built-in document for warming a pool's threads before the first real document. A fresh thread runs every
 * stage in V8's interpreter and baseline tiers until the hot loops are optimised: on an H100 host (14:48 UTC,
 * 12 threads) a thread's first page cost 1801 ms of stage time against 860 ms steady (det pre 196 against 58,
 * det post 93 against 18, layout 138 against 63). Sessions are already warm by then (one run per input shape
 * at load); this warms the code around them.
 *
 * One warm page per thread was not enough. On an H100 host (2026-11-23 UTC, 12 threads, the benchmark's 240-page
 * PDF) a pool warmed that way read its first document at 23.0–23.3 pages/s and the same PDF a second time at
 * 26.1–27.0; the first document took 125 s of process CPU against 94, on every JavaScript stage and the PDF
 * decode alike. A warm-up document of 2 real pages per thread, read through the pool before the timed one,
 * closed the gap (26.13 pages/s; 5 pages 27.25). Each thread reading this document on its own did not (4 pages
 * each, scans and the born-digital page: 22.34 and 24.50 against 22.99 and 24.08, alternating); reading it
 * through the pool once as well did (page-pool.ts #warmThroughPool). Both use this document.
 *
 * Its pages are of the kinds users drop (WARM_DOCUMENT_KINDS): scans that take the scanned-image fast path
 * (pdf-scan-image.ts; Flate and JPEG), and a born-digital page in colour that pdf.js parses fonts for and draws,
 * read by OCR as pdfMode 'ocr' does (a fifth of the benchmark's pages are drawn by pdf.js). The scans are made
 * from the validation line images (engines/assets/validation, no fonts needed): a 300-dpi A4 page of ~50 lines,
 * half of them two images joined by a word gap, ~1800 px wide, so they take the paths a scanned page does
 * (portrait det shape, chunked long lines, packed rows, layout). The born-digital page uses the PDF standard
 * fonts, whose outlines pdf.js ships.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { lumaHistogram } from '../image/ink.js';
import type { RgbImage } from '../types.js';
import { VALIDATION_LINES, loadValidationImages } from '../runtime/validation-inputs.js';

export const WARM_PAGE_WIDTH_PX = 2480;
export const WARM_PAGE_HEIGHT_PX = 3508;
/** The resolution the warm document's pages are drawn for and rendered at (A4 = 2480 × 3508 px). */
export const WARM_DOCUMENT_DPI = 300;
/** What each page of the warm document is, in order. */
export const WARM_DOCUMENT_KINDS = ['scan-flate', 'scan-jpeg', 'born-digital', 'scan-flate'] as const;
/**
 * Pages of the warm document each thread OCRs on its own by default (OcrPipelineOptions.warmPages): the whole
 * document, 2.1–3.7 s per thread on the H100 host, while later threads load.
 */
export const WARM_DOCUMENT_PAGES = WARM_DOCUMENT_KINDS.length;
/** The line images are ~34 px tall; a 10-pt line scanned at 300 dpi is ~45–50 px. */
const LINE_SCALE = 1.4;
const MARGIN_LEFT_PX = 190;
const MARGIN_TOP_PX = 220;
const LINE_PITCH_PX = 62;
/** Between two joined line images: a word space at this size, so the detector reads one line. */
const WORD_GAP_PX = 26;
/** JPEG quality of the warm document's JPEG pages: what scanners commonly write. */
const WARM_JPEG_QUALITY = 85;

interface LineImage {
  data: Buffer;
  width: number;
  height: number;
}

let scaledLines: Promise<LineImage[]> | undefined;

/** The validation line images at scan size, made once per thread. */
function warmLines(): Promise<LineImage[]> {
  scaledLines ??= loadValidationImages().then(({ lineImages }) =>
    Promise.all(
      lineImages.map(async (l) => {
        const width = Math.round(l.width * LINE_SCALE);
        const height = Math.round(l.height * LINE_SCALE);
        const data = await sharp(l.data, { raw: { width: l.width, height: l.height, channels: 3 } }).resize(width, height, { kernel: 'cubic' }).raw().toBuffer();
        return { data, width, height };
      }),
    ),
  );
  scaledLines.catch(() => (scaledLines = undefined)); // a failure is not remembered
  return scaledLines;
}

/**
 * White A4 page at 300 dpi with the validation lines on it, packed RGB (gray pixels only). `variant` starts the
 * cycle of line images elsewhere, so the pages of the warm document differ.
 */
export async function buildWarmPage(variant = 0): Promise<RgbImage> {
  const scaled = await warmLines();
  const page = new Uint8Array(WARM_PAGE_WIDTH_PX * WARM_PAGE_HEIGHT_PX * 3).fill(255);
  const blit = (img: LineImage, x0: number, y0: number) => {
    const w = Math.min(img.width, WARM_PAGE_WIDTH_PX - x0);
    for (let y = 0; y < img.height && y0 + y < WARM_PAGE_HEIGHT_PX; y++) {
      page.set(img.data.subarray(y * img.width * 3, (y * img.width + w) * 3), ((y0 + y) * WARM_PAGE_WIDTH_PX + x0) * 3);
    }
  };
  const n = scaled.length;
  for (let row = 0, y = MARGIN_TOP_PX; y + LINE_PITCH_PX < WARM_PAGE_HEIGHT_PX - MARGIN_TOP_PX; row++, y += LINE_PITCH_PX) {
    const first = scaled[(row + variant) % n]!;
    blit(first, MARGIN_LEFT_PX, y);
    if (row % 2 === 1) blit(scaled[(row + variant + 3) % n]!, MARGIN_LEFT_PX + first.width + WORD_GAP_PX, y);
  }
  return { width: WARM_PAGE_WIDTH_PX, height: WARM_PAGE_HEIGHT_PX, data: page };
}

const deflate = promisify(zlib.deflate);

/** Body text of the born-digital page: the validation lines that the standard fonts' WinAnsi encoding can show. */
const BORN_DIGITAL_LINES = VALIDATION_LINES.filter((l) => /^[\x20-\x7e\u00a0-\u00ff\u2013\u2014]+$/.test(l));
const BORN_DIGITAL_FONT_PT = 10.5;
const BORN_DIGITAL_LEADING_PT = 15;
const BORN_DIGITAL_MARGIN_PT = 60;

/**
 * The warm document: A4 pages (WARM_DOCUMENT_KINDS). Scans are one 8-bit gray image drawn over the whole page,
 * the way scanners and img2pdf write them, Flate (as from a PNG scan) or JPEG; the born-digital page is text in
 * the three standard font families with a coloured heading and a tinted panel, so it renders in colour.
 */
export async function buildWarmDocument(): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts, concatTransformationMatrix, drawObject, popGraphicsState, pushGraphicsState, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const widthPt = (WARM_PAGE_WIDTH_PX * 72) / WARM_DOCUMENT_DPI;
  const heightPt = (WARM_PAGE_HEIGHT_PX * 72) / WARM_DOCUMENT_DPI;
  const fonts = await Promise.all([StandardFonts.Helvetica, StandardFonts.TimesRoman, StandardFonts.Courier].map((f) => doc.embedFont(f)));
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  for (const [i, kind] of WARM_DOCUMENT_KINDS.entries()) {
    const page = doc.addPage([widthPt, heightPt]);
    if (kind === 'born-digital') {
      page.drawRectangle({ x: BORN_DIGITAL_MARGIN_PT - 8, y: heightPt / 2 - 120, width: widthPt - 2 * BORN_DIGITAL_MARGIN_PT + 16, height: 110, color: rgb(0.93, 0.96, 1) });
      page.drawText('Quarterly report: engine cache and FP16 validation', { x: BORN_DIGITAL_MARGIN_PT, y: heightPt - BORN_DIGITAL_MARGIN_PT - 16, size: 16, font: bold, color: rgb(0.12, 0.23, 0.55) });
      let y = heightPt - BORN_DIGITAL_MARGIN_PT - 50;
      for (let row = 0; y > BORN_DIGITAL_MARGIN_PT; row++, y -= BORN_DIGITAL_LEADING_PT) {
        const text = `${BORN_DIGITAL_LINES[row % BORN_DIGITAL_LINES.length]!} ${BORN_DIGITAL_LINES[(row + 1) % BORN_DIGITAL_LINES.length]!}`;
        page.drawText(text, { x: BORN_DIGITAL_MARGIN_PT, y, size: BORN_DIGITAL_FONT_PT, font: fonts[Math.floor(row / 8) % fonts.length]!, color: row % 11 === 5 ? rgb(0.6, 0.1, 0.1) : rgb(0, 0, 0) });
      }
      continue;
    }
    const gray = lumaHistogram(await buildWarmPage(i)).gray; // the page's one channel (its pixels are gray)
    if (kind === 'scan-jpeg') {
      const jpeg = await sharp(gray, { raw: { width: WARM_PAGE_WIDTH_PX, height: WARM_PAGE_HEIGHT_PX, channels: 1 } }).jpeg({ quality: WARM_JPEG_QUALITY }).toBuffer();
      page.drawImage(await doc.embedJpg(jpeg), { x: 0, y: 0, width: widthPt, height: heightPt });
      continue;
    }
    const image = doc.context.register(
      doc.context.stream(await deflate(gray), {
        Type: 'XObject',
        Subtype: 'Image',
        Width: WARM_PAGE_WIDTH_PX,
        Height: WARM_PAGE_HEIGHT_PX,
        ColorSpace: 'DeviceGray',
        BitsPerComponent: 8,
        Filter: 'FlateDecode',
      }),
    );
    const name = page.node.newXObject('Scan', image);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(widthPt, 0, 0, heightPt, 0, 0), drawObject(name), popGraphicsState());
  }
  return doc.save({ useObjectStreams: false });
}

let warmDocument: Promise<Uint8Array> | undefined;

/** buildWarmDocument, made once per thread (the page pool sends the same bytes to each of its threads). */
export function warmDocumentBytes(): Promise<Uint8Array> {
  warmDocument ??= buildWarmDocument();
  warmDocument.catch(() => (warmDocument = undefined));
  return warmDocument;
}

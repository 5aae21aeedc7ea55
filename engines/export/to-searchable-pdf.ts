// Searchable PDF: each page image drawn full-page, with an invisible text layer (text render mode 3) whose words
// sit on their quads, after Tesseract's PDF renderer (src/api/pdfrenderer.cpp): a glyph-less CID font with an
// Identity-H encoding, a CIDToGIDMap sending every CID to one empty glyph, and a ToUnicode CMap so any
// Unicode text (Latin, CJK, beyond the BMP) is selectable, searchable and extractable.
import { PDFDocument, PDFName, PDFString, degrees, type PDFPage, type PDFRef } from 'pdf-lib';
import { OcrError } from '../errors.js';
import { needsSpaceBetween } from '../layout/words.js';
import type { OcrDocument, Page, Point, Quad, Word } from '../types.js';
import { GLYPHLESS_ADVANCE, GLYPHLESS_UNITS_PER_EM, glyphlessTrueType } from './glyphless-font.js';

/** The image to draw under one page's text layer. */
export interface PageImage {
  pageIndex: number;
  /** Encoded JPEG (or PNG) of the page image the quads refer to; it may be downscaled, not cropped. */
  bytes: Uint8Array;
  /** Pixel size of `bytes`; must have the page's aspect ratio (within 1 %). */
  widthPx: number;
  heightPx: number;
}

export interface SearchablePdfOptions {
  /** Resolution assumed for image pages whose dpi is unknown (default 300: scans come out page-sized). */
  defaultDpi?: number;
  /** Set /Rotate on pages whose content was found rotated, so viewers show them upright (default true). */
  rotatePages?: boolean;
  /** Document title (default: the source file name). */
  title?: string;
  /** Outline every word box in red: a visual check of the text layer's alignment. */
  outlineWords?: boolean;
}

const FONT_RESOURCE = 'FGlyphLess';
const SPACE = 0x20;

/** Character codes: BMP code points are their own CID; others get CIDs from the surrogate block (no BMP char there). */
class CidMap {
  readonly #toCid = new Map<number, number>();
  #nextAstral = 0xd800;

  cid(codePoint: number): number | undefined {
    let cid = this.#toCid.get(codePoint);
    if (cid !== undefined) return cid;
    if (codePoint <= 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return undefined;
    if (codePoint <= 0xffff) cid = codePoint;
    else if (this.#nextAstral <= 0xdfff) cid = this.#nextAstral++;
    else return undefined; // more than 2048 distinct astral characters: dropped from the text layer
    this.#toCid.set(codePoint, cid);
    return cid;
  }

  hex(text: string): { hex: string; count: number } {
    let hex = '';
    let count = 0;
    for (const ch of text) {
      const cid = this.cid(ch.codePointAt(0)!);
      if (cid === undefined) continue;
      hex += cid.toString(16).toUpperCase().padStart(4, '0');
      count++;
    }
    return { hex, count };
  }

  /** ToUnicode CMap: one bfchar per character used (in blocks of 100, the CMap limit). */
  toUnicodeCMap(): string {
    const hex4 = (v: number) => v.toString(16).toUpperCase().padStart(4, '0');
    const utf16 = (cp: number) => {
      if (cp <= 0xffff) return hex4(cp);
      const v = cp - 0x10000;
      return hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
    };
    const entries = [...this.#toCid].sort((a, b) => a[1] - b[1]).map(([cp, cid]) => `<${hex4(cid)}> <${utf16(cp)}>`);
    const chunks: string[] = [];
    for (let i = 0; i < entries.length; i += 100) {
      const part = entries.slice(i, i + 100);
      chunks.push(`${part.length} beginbfchar\n${part.join('\n')}\nendbfchar`);
    }
    return [
      '/CIDInit /ProcSet findresource begin',
      '12 dict begin',
      'begincmap',
      '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
      '/CMapName /Adobe-Identity-UCS def',
      '/CMapType 2 def',
      '1 begincodespacerange',
      '<0000> <FFFF>',
      'endcodespacerange',
      ...chunks,
      'endcmap',
      'CMapName currentdict /CMap defineresource pop',
      'end',
      'end',
      '',
    ].join('\n');
  }
}

/** PDF number: at most 3 decimals, no exponent, no negative zero. */
function num(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  return Object.is(r, -0) || r === 0 ? '0' : String(r);
}

interface Frame {
  /** Page pixels → points, y flipped (PDF's origin is bottom-left). */
  toPdf(p: Point): Point;
}

type Vec = [number, number];
const sub = (a: Point, b: Point): Vec => [a[0] - b[0], a[1] - b[1]];
const add = (a: Vec, b: Vec): Vec => [a[0] + b[0], a[1] + b[1]];
const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1];

/** A word's baseline frame in points: origin at the text's bottom-left, unit reading direction, length and height. */
function wordFrame(quad: Quad, frame: Frame): { origin: Point; end: Point; u: Vec; length: number; height: number } | undefined {
  const [p0, p1, p2, p3] = quad.map((p) => frame.toPdf(p)) as Quad;
  const along = add(sub(p1, p0), sub(p2, p3));
  const len = Math.hypot(along[0], along[1]) / 2;
  if (!(len > 0)) return undefined;
  const u: Vec = [along[0] / (2 * len), along[1] / (2 * len)];
  // "Up" of the text is u turned 90° counter-clockwise (PDF space is y-up).
  const up: Vec = [-u[1], u[0]];
  const height = dot(add(sub(p0, p3), sub(p1, p2)), up) / 2;
  if (!(height > 0)) return undefined;
  return { origin: p3, end: p2, u, length: len, height };
}

/** Text-showing operators for one glyph run filling `length` points along u from `origin`, `height` points tall. */
function showRun(hex: string, count: number, origin: Point, u: Vec, length: number, height: number): string {
  // Each glyph advances GLYPHLESS_ADVANCE/1000 em; Tz stretches the run to the box. The glyph box spans
  // [0, height] above the origin because the font's ascent is 1 em and its descent ~0.
  const advance = (count * GLYPHLESS_ADVANCE * height) / GLYPHLESS_UNITS_PER_EM;
  const tz = (100 * length) / advance;
  return `/${FONT_RESOURCE} ${num(height)} Tf ${num(tz)} Tz ${num(u[0])} ${num(u[1])} ${num(-u[1])} ${num(u[0])} ${num(origin[0])} ${num(origin[1])} Tm <${hex}> Tj\n`;
}

/** The invisible text layer of one page, in reading order (blocks → lines → words). */
function textLayer(page: Page, frame: Frame, cids: CidMap): string {
  let out = 'BT\n3 Tr\n';
  for (const block of page.blocks) {
    for (const line of block.lines) {
      const words: Word[] = line.words.length ? line.words : [{ text: line.text, quad: line.quad, confidence: line.confidence }];
      words.forEach((word, k) => {
        const { hex, count } = cids.hex(word.text);
        const f = wordFrame(word.quad, frame);
        if (!count || !f) return;
        out += showRun(hex, count, f.origin, f.u, f.length, f.height);
        const next = words[k + 1];
        if (next && needsSpaceBetween(word.text, next.text)) {
          // An explicit space, stretched over the gap to the next word (a sliver when they touch), so
          // extractors break words here whatever their spacing heuristics, and highlights do not overlap.
          const nextFrame = wordFrame(next.quad, frame);
          const gap = nextFrame ? dot(sub(nextFrame.origin, f.end), f.u) : 0;
          const width = Math.max(0.02 * f.height, gap);
          out += showRun(cids.hex(String.fromCodePoint(SPACE)).hex, 1, f.end, f.u, width, f.height);
        }
      });
    }
  }
  return out + 'ET\n';
}

function outlines(page: Page, frame: Frame): string {
  let out = 'q 1 0 0 RG 0.5 w\n';
  for (const block of page.blocks) {
    for (const line of block.lines) {
      for (const w of line.words) {
        const pts = w.quad.map((p) => frame.toPdf(p));
        out += `${num(pts[0]![0])} ${num(pts[0]![1])} m ${pts.slice(1).map((p) => `${num(p[0])} ${num(p[1])} l`).join(' ')} h S\n`;
      }
    }
  }
  return out + 'Q\n';
}

/** Page size in points: the PDF's own size for PDF sources, else pixels at the page's (or the default) dpi. */
function pageSizePt(page: Page, defaultDpi: number): { width: number; height: number } {
  if (page.sizePt) {
    const { width, height } = page.sizePt;
    // sizePt may describe the unrotated PDF page; the image is what the quads refer to.
    const same = Math.abs(width / height - page.width / page.height);
    const swapped = Math.abs(height / width - page.width / page.height);
    return swapped < same ? { width: height, height: width } : { width, height };
  }
  const dpi = page.dpi && page.dpi > 0 ? page.dpi : defaultDpi;
  return { width: (page.width * 72) / dpi, height: (page.height * 72) / dpi };
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The glyph-less Type0 font, registered once per document. */
function registerFont(pdf: PDFDocument, cids: CidMap): { fontRef: PDFRef; finish: () => void } {
  const ctx = pdf.context;
  const ttf = glyphlessTrueType();
  const fontFile = ctx.register(ctx.flateStream(ttf, { Length1: ttf.length }));
  // Two bytes per CID, all pointing at glyph 1 (Acrobat rejects maps to glyph 0, per Tesseract's notes).
  const map = new Uint8Array(2 * 65536);
  for (let i = 1; i < map.length; i += 2) map[i] = 1;
  const cidToGid = ctx.register(ctx.flateStream(map));
  const descriptor = ctx.register(
    ctx.obj({
      Type: 'FontDescriptor',
      FontName: 'GlyphLessFont',
      Flags: 5, // FixedPitch + Symbolic
      FontBBox: [0, 0, GLYPHLESS_ADVANCE, GLYPHLESS_UNITS_PER_EM],
      ItalicAngle: 0,
      Ascent: GLYPHLESS_UNITS_PER_EM,
      Descent: -1, // must be negative; ~0 keeps the glyph box between the baseline and 1 em above it
      CapHeight: GLYPHLESS_UNITS_PER_EM,
      StemV: 80,
      FontFile2: fontFile,
    }),
  );
  const cidFont = ctx.register(
    ctx.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: 'GlyphLessFont',
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: descriptor,
      DW: GLYPHLESS_ADVANCE,
      CIDToGIDMap: cidToGid,
    }),
  );
  // ToUnicode depends on every character of the document: its object number is reserved now, filled at the end.
  const toUnicode = ctx.nextRef();
  const fontRef = ctx.register(
    ctx.obj({ Type: 'Font', Subtype: 'Type0', BaseFont: 'GlyphLessFont', Encoding: 'Identity-H', DescendantFonts: [cidFont], ToUnicode: toUnicode }),
  );
  return { fontRef, finish: () => ctx.assign(toUnicode, ctx.flateStream(cids.toUnicodeCMap())) };
}

/**
 * A searchable PDF of the document's recognised pages (in index order; failed pages are left out): one PDF
 * page per page, the image drawn over the whole page, the words invisible on top. Page size: Page.sizePt for
 * PDF sources, else the image at Page.dpi (else options.defaultDpi). Each word is placed with its bottom edge
 * on its quad's bottom edge, rotated to its reading direction, 1 em = the quad's height, and stretched (Tz) to
 * the quad's length, so viewers highlight the word where it is on the image. `pageImages` is an array or a
 * function that supplies each page's image on demand.
 */
export async function toSearchablePdf(
  doc: OcrDocument,
  pageImages: readonly PageImage[] | ((page: Page) => Promise<PageImage>),
  options: SearchablePdfOptions = {},
): Promise<Uint8Array> {
  const defaultDpi = options.defaultDpi ?? 300;
  const rotatePages = options.rotatePages ?? true;
  const pdf = await PDFDocument.create();
  pdf.setTitle(options.title ?? doc.source.name);
  pdf.setProducer(`Lucid OCR ${doc.engine.version}`);
  pdf.setCreator('Lucid OCR');
  const created = new Date(doc.createdAt);
  if (!Number.isNaN(created.getTime())) pdf.setCreationDate(created);

  const cids = new CidMap();
  cids.cid(SPACE);
  const font = registerFont(pdf, cids);
  const lookup = (page: Page): Promise<PageImage> => {
    if (typeof pageImages === 'function') return pageImages(page);
    const found = pageImages.find((im) => im.pageIndex === page.index);
    if (!found) throw new OcrError('INVALID_ARGUMENT', `No image was given for page ${page.index + 1}.`, { page: page.index });
    return Promise.resolve(found);
  };

  for (const page of doc.pages.slice().sort((a, b) => a.index - b.index)) {
    const image = await lookup(page);
    if (!(image.widthPx > 0 && image.heightPx > 0) || Math.abs(image.widthPx / image.heightPx - page.width / page.height) > 0.01 * (page.width / page.height)) {
      throw new OcrError('INVALID_ARGUMENT', `The image for page ${page.index + 1} is ${image.widthPx}×${image.heightPx} px, which does not have the page's ${page.width}×${page.height} shape.`, { page: page.index });
    }
    const embedded = isJpeg(image.bytes) ? await pdf.embedJpg(image.bytes) : isPng(image.bytes) ? await pdf.embedPng(image.bytes) : undefined;
    if (!embedded) throw new OcrError('INVALID_ARGUMENT', `The image for page ${page.index + 1} is neither JPEG nor PNG.`, { page: page.index });

    const size = pageSizePt(page, defaultDpi);
    const pdfPage: PDFPage = pdf.addPage([size.width, size.height]);
    pdfPage.drawImage(embedded, { x: 0, y: 0, width: size.width, height: size.height });
    const sx = size.width / page.width;
    const sy = size.height / page.height;
    const frame: Frame = { toPdf: ([x, y]) => [x * sx, size.height - y * sy] };
    let content = textLayer(page, frame, cids);
    if (options.outlineWords) content += outlines(page, frame);
    pdfPage.node.setFontDictionary(PDFName.of(FONT_RESOURCE), font.fontRef);
    pdfPage.node.addContentStream(pdf.context.register(pdf.context.flateStream(content)));
    // PDF /Rotate turns the page clockwise for display; content rotated r clockwise needs (360 − r).
    if (rotatePages && page.rotation !== 0) pdfPage.setRotation(degrees((360 - page.rotation) % 360));
  }
  font.finish();
  return pdf.save();
}

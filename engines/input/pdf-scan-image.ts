// Content-stream operators after ISO 32000-1:2008 §8–9 (graphics state, clipping, XObjects, text render mode 3).
/**
 * Fast path for scanned PDF pages: when a page is one image drawn over the whole page (directly or inside one
 * Form XObject, as pdf-lib's embedPdf makes), with nothing else visible but an invisible OCR text layer
 * (text render mode 3), its pixels are the image's pixels. We decode that image natively (JPEG with sharp,
 * Flate with node's zlib) and resample it to the page size with sharp instead of letting pdf.js decode it in
 * JS and draw it through a canvas: about 10× less CPU per page.
 *
 * The check is strict and fails closed: any operator, resource or image property we do not fully understand
 * gives a reason string, and pdf-reader.ts renders the page with pdf.js as before. Output size and placement
 * follow pdf.js exactly (pageGeometry's user space → pixel transform), so page coordinates do not change.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';
import { LITTLE_ENDIAN } from '../image/gray.js';
import type { RgbImage } from '../types.js';
import {
  PdfDict,
  PdfKeyword,
  PdfLexer,
  PdfName,
  PdfRef,
  PdfStream,
  PdfUnsupported,
  decodeStreamSync,
  filtersOf,
  nameOf,
  parseObject,
  predictorParams,
  tiffUnpredict,
  type PdfObject,
  type PdfObjectReader,
} from './pdf-objects.js';
import { multiply, type Affine } from './text-layer.js';

/**
 * Share of the page the image must cover. Scanners, img2pdf and OCRmyPDF place the scan on the whole page;
 * a much smaller image is a figure on an otherwise empty page, not a scan, and is left to pdf.js.
 */
export const MIN_PAGE_COVERAGE = 0.95;
/** Images larger than the page by more than this (area) would be decoded mostly to be cropped away. */
const MAX_IMAGE_TO_PAGE_AREA = 4;
/** sharp's own default input limit (16383²): beyond it pdf.js decides what to do. */
const MAX_IMAGE_PIXELS = 16383 * 16383;
/** Nested Form XObjects we follow (pdf-lib's embedPdf adds one level). */
const MAX_FORM_DEPTH = 4;
/** A half pixel: axis-alignment and clip/coverage tolerance in page pixels. */
const PIXEL_EPS = 0.5;

const unsupported = (why: string): never => {
  throw new PdfUnsupported(why);
};

export type ScanImageEncoding = 'jpeg' | 'flate' | 'flate-png' | 'flate-tiff' | 'raw';

/** What pdf-scan-image found on a page it can take: one image and where it lands. */
export interface ScanImagePlan {
  image: PdfStream;
  /** /Width × /Height of the image. */
  widthPx: number;
  heightPx: number;
  /** 1 (gray) or 3 (RGB). */
  components: 1 | 3;
  bitsPerComponent: 1 | 8;
  encoding: ScanImageEncoding;
  /** /Interpolate true: pdf.js smooths even when enlarging. */
  interpolate: boolean;
  /** Image pixel space (origin top-left of the image's first row) → page pixels. */
  imageToPixel: Affine;
}

export interface ScanPageInfo {
  /** pdf.js's view of the page ([x0, y0, x1, y1], crop box ∩ media box) and rotation, to cross-check our reading. */
  view: number[];
  rotate: number;
  /** User space → page pixels at the render dpi (pageGeometry). */
  pageToPixel: Affine;
  widthPx: number;
  heightPx: number;
}

/**
 * Decides whether a page is a single full-page scan. Returns the plan, or the reason it is not one (for logs
 * and benchmarks). Never throws for PDF content; only programming errors escape.
 */
export function analyseScanPage(reader: PdfObjectReader, pageRef: { num: number; gen: number }, page: ScanPageInfo): ScanImagePlan | { reason: string } {
  try {
    return analyse(reader, new PdfRef(pageRef.num, pageRef.gen), page);
  } catch (e) {
    if (e instanceof PdfUnsupported) return { reason: e.message };
    throw e;
  }
}

function analyse(reader: PdfObjectReader, ref: PdfRef, info: ScanPageInfo): ScanImagePlan {
  const pageDict = reader.resolve(ref);
  if (!(pageDict instanceof PdfDict) || nameOf(reader.get(pageDict, 'Type')) !== 'Page') unsupported('page object not found');
  const page = pageDict as PdfDict;
  const inherited = inheritedAttributes(reader, page);
  checkSamePage(inherited, info);
  const userUnit = reader.get(page, 'UserUnit');
  if (userUnit !== null && userUnit !== 1) unsupported('UserUnit other than 1');
  checkAnnotations(reader, page);

  const resources = inherited.resources;
  const content = pageContent(reader, reader.get(page, 'Contents'));
  const walker = new ContentWalker(reader, info);
  walker.run(content, resources, [1, 0, 0, 1, 0, 0], null, 0);
  if (walker.images.length === 0) unsupported('no image on the page');
  const { stream, ctm } = walker.images[0]!;
  return planImage(reader, stream, multiply(info.pageToPixel, ctm), info);
}

function inheritedAttributes(reader: PdfObjectReader, page: PdfDict): { resources: PdfDict; mediaBox: PdfObject; cropBox: PdfObject; rotate: PdfObject } {
  let resources: PdfObject = null;
  let mediaBox: PdfObject = null;
  let cropBox: PdfObject = null;
  let rotate: PdfObject = null;
  let node: PdfObject = page;
  for (let depth = 0; node instanceof PdfDict && depth < 64; depth++) {
    resources ??= node.has('Resources') ? reader.get(node, 'Resources') : null;
    mediaBox ??= node.has('MediaBox') ? reader.get(node, 'MediaBox') : null;
    cropBox ??= node.has('CropBox') ? reader.get(node, 'CropBox') : null;
    rotate ??= node.has('Rotate') ? reader.get(node, 'Rotate') : null;
    node = reader.get(node, 'Parent');
  }
  return { resources: resources instanceof PdfDict ? resources : new PdfDict(), mediaBox, cropBox, rotate };
}

/** Our object reading must agree with pdf.js on the page box and rotation, or we may be reading another object. */
function checkSamePage(attrs: { mediaBox: PdfObject; cropBox: PdfObject; rotate: PdfObject }, info: ScanPageInfo): void {
  const box = (o: PdfObject): number[] | null => {
    if (!Array.isArray(o) || o.length !== 4 || !o.every((x) => typeof x === 'number')) return null;
    const [a, b, c, d] = o as number[];
    const r = [Math.min(a!, c!), Math.min(b!, d!), Math.max(a!, c!), Math.max(b!, d!)];
    return r[2]! - r[0]! > 0 && r[3]! - r[1]! > 0 ? r : null;
  };
  // pdf.js core/page.js: view = crop box ∩ media box when both are valid and the intersection is not empty.
  const media = box(attrs.mediaBox) ?? [0, 0, 612, 792];
  const crop = box(attrs.cropBox);
  let view = media;
  if (crop) {
    const i = [Math.max(crop[0]!, media[0]!), Math.max(crop[1]!, media[1]!), Math.min(crop[2]!, media[2]!), Math.min(crop[3]!, media[3]!)];
    if (i[2]! - i[0]! > 0 && i[3]! - i[1]! > 0) view = i;
  }
  if (info.view.length !== 4 || view.some((v, i) => Math.abs(v - info.view[i]!) > 1e-3)) unsupported('page box differs from what pdf.js reads');
  let rotate = typeof attrs.rotate === 'number' && Number.isInteger(attrs.rotate) ? attrs.rotate : 0;
  rotate = rotate % 90 !== 0 ? 0 : ((rotate % 360) + 360) % 360;
  if (rotate !== info.rotate) unsupported('page rotation differs from what pdf.js reads');
}

/** pdf.js draws annotation appearances on the canvas; only link and popup annotations without one are invisible. */
function checkAnnotations(reader: PdfObjectReader, page: PdfDict): void {
  const annots = reader.get(page, 'Annots');
  if (annots === null) return;
  if (!Array.isArray(annots)) return unsupported('malformed /Annots');
  for (const a of annots) {
    const d = reader.resolve(a);
    if (!(d instanceof PdfDict)) continue;
    const subtype = nameOf(reader.get(d, 'Subtype'));
    if ((subtype === 'Link' || subtype === 'Popup') && !d.has('AP')) continue;
    unsupported(`a ${subtype ?? 'untyped'} annotation`);
  }
}

function pageContent(reader: PdfObjectReader, contents: PdfObject): Uint8Array {
  const parts = Array.isArray(contents) ? contents.map((c) => reader.resolve(c)) : contents === null ? [] : [contents];
  const decoded: Uint8Array[] = [];
  for (const p of parts) {
    if (!(p instanceof PdfStream)) return unsupported('page content is not a stream');
    decoded.push(decodeStreamSync(p, reader));
  }
  if (decoded.length === 1) return decoded[0]!;
  // §7.8.2: the streams of an array are one stream, split anywhere between tokens; join with a space.
  const total = decoded.reduce((n, d) => n + d.length + 1, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const d of decoded) {
    out.set(d, at);
    out[at + d.length] = 32;
    at += d.length + 1;
  }
  return out;
}

// Operators that change state we do not need (line style, colour, marked content, text positioning) and paint nothing.
const HARMLESS = new Set([
  'w', 'J', 'j', 'M', 'd', 'ri', 'i',
  'CS', 'cs', 'SC', 'SCN', 'sc', 'scn', 'G', 'g', 'RG', 'rg', 'K', 'k',
  'BMC', 'MP', 'DP', 'EMC', 'BX', 'EX',
  'BT', 'ET', 'Tc', 'Tw', 'Tz', 'TL', 'Ts', 'Td', 'TD', 'Tm', 'T*',
]);
const PATH = new Set(['m', 'l', 'c', 'v', 'y', 'h']);
const PAINT = new Set(['S', 's', 'f', 'F', 'f*', 'B', 'B*', 'b', 'b*']);
const SHOW_TEXT = new Set(['Tj', 'TJ', "'", '"']);
/** Text render mode 3: neither fill nor stroke nor clip (§9.3.6). */
const TR_INVISIBLE = 3;

// ExtGState entries that cannot change how an opaque image drawn with normal blending looks.
const GS_HARMLESS = new Set(['Type', 'Name', 'LW', 'LC', 'LJ', 'ML', 'D', 'RI', 'OP', 'op', 'OPM', 'FL', 'SA', 'SM', 'TK', 'HT', 'BG', 'BG2', 'UCR', 'UCR2', 'Font', 'AIS']);

interface GState {
  ctm: Affine;
  textRenderMode: number;
  /** Why the current clip may cut into the page (null: it contains the whole page). Matters only for the image. */
  clip: string | null;
}

class ContentWalker {
  readonly images: { stream: PdfStream; ctm: Affine }[] = [];
  readonly #forms = new Set<PdfStream>();

  constructor(
    private readonly reader: PdfObjectReader,
    private readonly info: ScanPageInfo,
  ) {}

  run(content: Uint8Array, resources: PdfDict, ctm: Affine, clip: string | null, depth: number): void {
    let gs: GState = { ctm, textRenderMode: 0, clip };
    const stack: GState[] = [];
    const operands: PdfObject[] = [];
    // Current path: one rectangle in page pixels, or 'other' for any other shape.
    let path: [number, number][] | 'other' | null = null;
    let clipPending = false;
    const lex = new PdfLexer(content);
    const num = (i: number): number => {
      const v = operands[i];
      return typeof v === 'number' ? v : unsupported('operator operand is not a number');
    };
    for (;;) {
      const t = lex.next();
      if (t === null) break;
      if (!(t instanceof PdfKeyword) || t.word === 'true' || t.word === 'false' || t.word === 'null') {
        operands.push(parseObject(lex, false, t));
        if (operands.length > 64) unsupported('too many operands');
        continue;
      }
      const op = t.word;
      if (HARMLESS.has(op)) {
        // nothing visible
      } else if (op === 'q') {
        if (stack.length > 64) unsupported('graphics state nested too deep');
        stack.push(gs);
        gs = { ...gs };
      } else if (op === 'Q') {
        // pdf.js ignores an unbalanced Q; so do we.
        gs = stack.pop() ?? gs;
      } else if (op === 'cm') {
        if (operands.length !== 6) unsupported('cm needs 6 operands');
        gs.ctm = multiply(gs.ctm, [num(0), num(1), num(2), num(3), num(4), num(5)]);
      } else if (op === 'gs') {
        this.#checkExtGState(resources, operands[0]);
      } else if (op === 'Tr') {
        gs.textRenderMode = num(0);
      } else if (op === 'Tf') {
        this.#checkFont(resources, operands[0]);
      } else if (SHOW_TEXT.has(op)) {
        if (gs.textRenderMode !== TR_INVISIBLE) unsupported('visible text');
      } else if (op === 're') {
        const [x, y, w, h] = [num(0), num(1), num(2), num(3)];
        const corners: [number, number][] = [
          [x, y],
          [x + w, y],
          [x + w, y + h],
          [x, y + h],
        ];
        path = path === null ? corners.map((p) => apply(multiply(this.info.pageToPixel, gs.ctm), p)) : 'other';
      } else if (PATH.has(op)) {
        path = 'other';
      } else if (op === 'W' || op === 'W*') {
        clipPending = true;
      } else if (op === 'n') {
        if (clipPending) {
          const why = path === null ? 'an empty clip' : path === 'other' ? 'a clip that is not a rectangle' : this.#coversPage(path, 'clip');
          gs.clip ??= why;
        }
        path = null;
        clipPending = false;
      } else if (PAINT.has(op)) {
        unsupported('vector drawing');
      } else if (op === 'BDC') {
        if (nameOf(operands[0]) === 'OC') unsupported('optional content');
      } else if (op === 'Do') {
        this.#doXObject(resources, operands[0], gs, depth);
      } else if (op === 'BI') {
        unsupported('an inline image');
      } else if (op === 'sh') {
        unsupported('a shading');
      } else {
        unsupported(`operator ${op}`);
      }
      operands.length = 0;
    }
  }

  #resource(resources: PdfDict, category: string, name: PdfObject): PdfObject {
    const n = nameOf(name);
    if (n === null) return unsupported(`${category} operand is not a name`);
    const dict = this.reader.get(resources, category);
    if (!(dict instanceof PdfDict)) return null;
    return this.reader.get(dict, n);
  }

  #checkExtGState(resources: PdfDict, name: PdfObject): void {
    const gs = this.#resource(resources, 'ExtGState', name);
    if (!(gs instanceof PdfDict)) unsupported('missing ExtGState');
    for (const [key, raw] of (gs as PdfDict).map) {
      if (GS_HARMLESS.has(key)) continue;
      const v = this.reader.resolve(raw);
      if ((key === 'CA' || key === 'ca') && typeof v === 'number' && v >= 1) continue;
      if (key === 'BM') {
        const bm = Array.isArray(v) ? this.reader.resolve(v[0]) : v;
        if (nameOf(bm) === 'Normal' || nameOf(bm) === 'Compatible') continue;
      }
      if (key === 'SMask' && nameOf(v) === 'None') continue;
      if ((key === 'TR' || key === 'TR2') && (nameOf(v) === 'Identity' || nameOf(v) === 'Default')) continue;
      unsupported(`ExtGState /${key}`);
    }
  }

  #checkFont(resources: PdfDict, name: PdfObject): void {
    // Type 3 glyphs are content streams of their own; do not trust render mode 3 to hide them.
    const font = this.#resource(resources, 'Font', name);
    if (font instanceof PdfDict && nameOf(this.reader.get(font, 'Subtype')) === 'Type3') unsupported('a Type 3 font');
  }

  #doXObject(resources: PdfDict, name: PdfObject, gs: GState, depth: number): void {
    const x = this.#resource(resources, 'XObject', name);
    if (!(x instanceof PdfStream)) return unsupported('missing XObject');
    const d = x.dict;
    if (d.has('OC')) unsupported('optional content');
    const subtype = nameOf(this.reader.get(d, 'Subtype'));
    const ctm = gs.ctm;
    if (subtype === 'Image') {
      if (gs.clip) unsupported(gs.clip);
      this.images.push({ stream: x, ctm });
      if (this.images.length > 1) unsupported('more than one image');
      return;
    }
    if (subtype !== 'Form') return unsupported(`a ${subtype ?? 'untyped'} XObject`);
    if (depth + 1 > MAX_FORM_DEPTH) unsupported('Form XObjects nested too deep');
    if (this.#forms.has(x)) unsupported('a Form XObject drawn twice');
    this.#forms.add(x);
    const m = this.reader.get(d, 'Matrix');
    let formCtm = ctm;
    if (m !== null) {
      if (!Array.isArray(m) || m.length !== 6 || !m.every((v) => typeof v === 'number')) unsupported('malformed form /Matrix');
      formCtm = multiply(ctm, m as Affine);
    }
    // The BBox clips the form (§8.10.1).
    const bbox = this.reader.get(d, 'BBox');
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number')) return unsupported('malformed form /BBox');
    const [x0, y0, x1, y1] = bbox as number[];
    const toPx = multiply(this.info.pageToPixel, formCtm);
    const bboxClip = this.#coversPage(
      [
        [x0!, y0!],
        [x1!, y0!],
        [x1!, y1!],
        [x0!, y1!],
      ].map((p) => apply(toPx, p as [number, number])),
      'form bounding box',
    );
    // A form without /Resources uses its parent's (obsolete but common; pdf.js does the same).
    const own = this.reader.get(d, 'Resources');
    this.run(decodeStreamSync(x, this.reader), own instanceof PdfDict ? own : resources, formCtm, gs.clip ?? bboxClip, depth + 1);
  }

  /**
   * null when a clip rectangle (corners in page pixels) contains the whole page; otherwise why it may cut
   * part of the scan away.
   */
  #coversPage(corners: [number, number][], what: string): string | null {
    const xs = corners.map((p) => p[0]);
    const ys = corners.map((p) => p[1]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    // Axis-aligned: every corner is a corner of the bounding box.
    for (const [x, y] of corners) {
      const onX = Math.abs(x - minX) <= PIXEL_EPS || Math.abs(x - maxX) <= PIXEL_EPS;
      const onY = Math.abs(y - minY) <= PIXEL_EPS || Math.abs(y - maxY) <= PIXEL_EPS;
      if (!onX || !onY) return `a rotated ${what}`;
    }
    if (minX > PIXEL_EPS || minY > PIXEL_EPS || maxX < this.info.widthPx - PIXEL_EPS || maxY < this.info.heightPx - PIXEL_EPS) {
      return `a ${what} smaller than the page`;
    }
    return null;
  }
}

function apply(m: Affine, [x, y]: [number, number]): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** Checks the image dictionary against what we decode exactly like pdf.js, and where it lands. */
function planImage(reader: PdfObjectReader, stream: PdfStream, unitToPixel: Affine, info: ScanPageInfo): ScanImagePlan {
  const d = stream.dict;
  const get = (k: string) => reader.get(d, k);
  const width = get('Width');
  const height = get('Height');
  if (typeof width !== 'number' || typeof height !== 'number' || !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    return unsupported('image without a valid size');
  }
  if (width * height > MAX_IMAGE_PIXELS) unsupported('image too large');
  if (get('ImageMask') === true) unsupported('an image mask');
  if (d.has('SMask') || d.has('Mask')) unsupported('an image with a mask');
  if (d.has('SMaskInData')) unsupported('an image with alpha');
  const bpc = get('BitsPerComponent');
  const components = colorComponents(reader, get('ColorSpace'));
  if (bpc !== 8 && !(bpc === 1 && components === 1)) unsupported(`${String(bpc)}-bit image`);
  const decode = get('Decode');
  if (decode !== null) {
    const identity = Array.isArray(decode) && decode.length === 2 * components && decode.every((v, i) => v === i % 2);
    if (!identity) unsupported('an image /Decode array');
  }

  const f = filtersOf(stream, reader);
  if (!f || f.names.length > 1) return unsupported('image filter chain');
  let encoding: ScanImageEncoding;
  const filter = f.names[0];
  if (filter === undefined) encoding = 'raw';
  else if (filter === 'DCTDecode' || filter === 'DCT') {
    if (bpc !== 8) unsupported('JPEG with BitsPerComponent other than 8');
    // pdf.js honours /ColorTransform; libjpeg decides from the JPEG's own markers. Only the default is safe.
    if (f.parms[0] && f.parms[0].has('ColorTransform')) unsupported('JPEG /ColorTransform');
    encoding = 'jpeg';
  } else if (filter === 'FlateDecode' || filter === 'Fl') {
    const p = predictorParams(f.parms[0] ?? null, reader);
    if (p.predictor === 1) encoding = 'flate';
    else {
      if (p.colors !== components || p.bpc !== bpc || p.columns !== width) unsupported('Flate predictor parameters do not match the image');
      if (p.predictor === 2 && bpc === 8) encoding = 'flate-tiff';
      else if (p.predictor >= 10 && p.predictor <= 15) encoding = 'flate-png';
      else return unsupported(`Flate predictor ${p.predictor}`);
    }
  } else return unsupported(`${filter} image`);

  // Unit square → page pixels; its columns are where the image's x and y edges go.
  const [a, b, c, dd] = unitToPixel;
  const axisAligned = Math.abs(b) < PIXEL_EPS && Math.abs(c) < PIXEL_EPS;
  const swapped = Math.abs(a) < PIXEL_EPS && Math.abs(dd) < PIXEL_EPS;
  if (!axisAligned && !swapped) unsupported('image drawn at an angle');
  const corners = ([[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][]).map((p) => apply(unitToPixel, p));
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pageArea = info.widthPx * info.heightPx;
  const inter = Math.max(0, Math.min(x1, info.widthPx) - Math.max(x0, 0)) * Math.max(0, Math.min(y1, info.heightPx) - Math.max(y0, 0));
  if (inter < MIN_PAGE_COVERAGE * pageArea) unsupported(`image covers ${((100 * inter) / pageArea).toFixed(0)} % of the page`);
  if ((x1 - x0) * (y1 - y0) > MAX_IMAGE_TO_PAGE_AREA * pageArea) unsupported('image much larger than the page');

  // Image pixel (u, v), v down from the first row, is unit point (u / W, 1 − v / H) (§8.9.4).
  const imageToPixel = multiply(unitToPixel, [1 / width, 0, 0, -1 / height, 0, 1]);
  const interpolate = get('Interpolate') === true || get('I') === true;
  return { image: stream, widthPx: width, heightPx: height, components, bitsPerComponent: bpc as 1 | 8, encoding, interpolate, imageToPixel };
}

/**
 * DeviceGray/DeviceRGB, or ICCBased with 1 or 3 components. pdf.js in Node has no ICC support (it needs
 * `useWorkerFetch`, which Node's factories turn off), so it draws ICCBased images as their /Alternate or
 * Device space by /N: exactly our unconverted samples. Everything else (CMYK, Lab, Cal*, Indexed,
 * Separation, DeviceN) has colour conversions of its own.
 */
function colorComponents(reader: PdfObjectReader, cs: PdfObject): 1 | 3 {
  const name = nameOf(cs);
  if (name === 'DeviceGray' || name === 'G') return 1;
  if (name === 'DeviceRGB' || name === 'RGB') return 3;
  if (Array.isArray(cs) && cs.length === 2 && nameOf(reader.resolve(cs[0])) === 'ICCBased') {
    const profile = reader.resolve(cs[1]);
    if (profile instanceof PdfStream) {
      const n = reader.get(profile.dict, 'N');
      const alt = profile.dict.has('Alternate') ? nameOf(reader.get(profile.dict, 'Alternate')) : null;
      if (n === 1 && (alt === null || alt === 'DeviceGray')) return 1;
      if (n === 3 && (alt === null || alt === 'DeviceRGB')) return 3;
    }
  }
  if (Array.isArray(cs) && cs.length === 1) return colorComponents(reader, reader.resolve(cs[0]));
  const label = name ?? (Array.isArray(cs) ? nameOf(reader.resolve(cs[0])) : null) ?? 'missing';
  return unsupported(`${label} colour space`);
}

/**
 * Decodes the plan's image and resamples it onto a white page of `widthPx × heightPx`. Throws PdfUnsupported
 * when the data turns out not to be what the dictionary says (short Flate data, JPEG of another size or
 * colour model); the caller then renders with pdf.js.
 */
export async function renderScanImage(plan: ScanImagePlan, widthPx: number, heightPx: number): Promise<RgbImage> {
  const input = await decodeInput(plan);
  // Where the (oriented) image lands: rounded to whole pixels, so at most half a pixel from pdf.js's placement.
  const m = plan.imageToPixel;
  const swapped = Math.abs(m[0]) < Math.abs(m[2]);
  const corners = ([[0, 0], [plan.widthPx, 0], [plan.widthPx, plan.heightPx], [0, plan.heightPx]] as [number, number][]).map((p) => apply(m, p));
  const left = Math.round(Math.min(...corners.map((p) => p[0])));
  const top = Math.round(Math.min(...corners.map((p) => p[1])));
  const targetW = Math.round(Math.max(...corners.map((p) => p[0]))) - left;
  const targetH = Math.round(Math.max(...corners.map((p) => p[1]))) - top;
  if (targetW < 1 || targetH < 1) unsupported('image smaller than a pixel');

  // Orientation as sharp applies it: flip (vertical mirror) first, then a clockwise turn (see orientationOps).
  const { flip, rotate } = orientationOps(swapped ? [0, Math.sign(m[1]), Math.sign(m[2]), 0] : [Math.sign(m[0]), 0, 0, Math.sign(m[3])]);
  const sourceW = swapped ? plan.heightPx : plan.widthPx;
  const sourceH = swapped ? plan.widthPx : plan.heightPx;
  // A 300 dpi A4 scan (2481 px) on a 300 dpi A4 page (2480 px): resampling by 0.9996 costs more than the
  // whole decode and only blurs; place it 1:1 instead (at most one pixel off at the far edge).
  const oneToOne = Math.abs(sourceW - targetW) <= 1 && Math.abs(sourceH - targetH) <= 1;
  if (isPixels(input) && oneToOne && !flip && !rotate) {
    // The common scan: samples we already hold, upright, 1:1. One pass copies them onto the page (grey
    // expanded to R = G = B, paper around) instead of sharp's extract/extend/colourspace pipeline: ~30 ms
    // against ~45 ms of CPU for an A4 page at 300 dpi on the 2-core box, no vips or libuv threads (which
    // a pool of page threads shares), and the page is the only page-sized buffer written.
    return placeOneToOne(input, left, top, widthPx, heightPx);
  }
  let img = !isPixels(input) ? input : sharp(input.data, { limitInputPixels: false, raw: { width: plan.widthPx, height: plan.heightPx, channels: input.channels } });
  if (flip) img = img.flip();
  if (rotate) img = img.rotate(rotate);
  let right = left + targetW;
  let bottom = top + targetH;
  if (oneToOne) {
    right = left + sourceW;
    bottom = top + sourceH;
  } else if (smoothed(targetW / sourceW, targetH / sourceH, plan.interpolate)) {
    img = img.resize(targetW, targetH, { fit: 'fill', kernel: 'cubic' });
  } else {
    // Enlarged without smoothing: pick pixels exactly as pdf.js's canvas does (sharp's nearest samples at
    // other positions, which moves every stroke edge by a pixel here and there).
    const { data, info } = await img.toColourspace(plan.components === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
    const scaled = nearestResize(data, info.width, info.height, info.channels, targetW, targetH);
    img = sharp(scaled, { raw: { width: targetW, height: targetH, channels: info.channels } });
  }
  // Crop what lies outside the page, then pad with white paper where the image does not reach.
  const cropL = Math.max(0, -left);
  const cropT = Math.max(0, -top);
  const visW = Math.min(right, widthPx) - Math.max(left, 0);
  const visH = Math.min(bottom, heightPx) - Math.max(top, 0);
  if (visW < 1 || visH < 1) unsupported('image outside the page');
  if (cropL || cropT || visW !== right - left || visH !== bottom - top) img = img.extract({ left: cropL, top: cropT, width: visW, height: visH });
  const padL = Math.max(0, left);
  const padT = Math.max(0, top);
  const padR = widthPx - padL - visW;
  const padB = heightPx - padT - visH;
  if (padL || padT || padR || padB) img = img.extend({ left: padL, top: padT, right: padR, bottom: padB, background: { r: 255, g: 255, b: 255 } });
  // sharp writes sRGB by default: a gray image comes out with its one band copied to R, G and B, as pdf.js draws it.
  const out = await img.removeAlpha().toColourspace('srgb').raw().toBuffer();
  if (out.length !== widthPx * heightPx * 3) throw new Error(`scan image came out ${out.length} bytes, not ${widthPx} × ${heightPx} × 3`);
  return { width: widthPx, height: heightPx, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
}

/** Samples decoded in JS (Flate, uncompressed, 1-bit): rows of /Width × channels bytes, /Height rows. */
interface DecodedPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

const isPixels = (input: sharp.Sharp | DecodedPixels): input is DecodedPixels => !(input instanceof sharp);

/**
 * The image at (left, top) on a white `widthPx × heightPx` RGB page, unscaled: what sharp's extract, extend
 * (white) and b-w → sRGB (one band copied to three) give, byte for byte. The page is the one buffer written.
 */
function placeOneToOne(src: DecodedPixels, left: number, top: number, widthPx: number, heightPx: number): RgbImage {
  const { data, width: w, height: h, channels } = src;
  const x0 = Math.max(0, left), x1 = Math.min(widthPx, left + w);
  const y0 = Math.max(0, top), y1 = Math.min(heightPx, top + h);
  if (x1 <= x0 || y1 <= y0) unsupported('image outside the page');
  const rowBytes = widthPx * 3;
  // Every byte is written below, so the page needs no zeroing (allocUnsafeSlow: its own ArrayBuffer, not the
  // pool); it is used through a plain Uint8Array, whose fill is a builtin (Buffer's goes through JS checks).
  const page = Buffer.allocUnsafeSlow(rowBytes * heightPx);
  const out = new Uint8Array(page.buffer, page.byteOffset, page.length);
  out.fill(255, 0, y0 * rowBytes);
  out.fill(255, y1 * rowBytes);
  // Four grey samples (one unaligned little-endian read) become three words [a a a b] [b b c c] [c d d d].
  const words = LITTLE_ENDIAN ? new Uint32Array(out.buffer, out.byteOffset, out.length >> 2) : null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = x1 - x0;
  for (let y = y0; y < y1; y++) {
    const rowStart = y * rowBytes;
    if (x0 > 0) out.fill(255, rowStart, rowStart + x0 * 3);
    if (x1 < widthPx) out.fill(255, rowStart + x1 * 3, rowStart + rowBytes);
    const s0 = ((y - top) * w + (x0 - left)) * channels;
    let o = rowStart + x0 * 3;
    if (channels === 3) {
      out.set(data.subarray(s0, s0 + n * 3), o);
      continue;
    }
    let s = s0;
    const sEnd = s0 + n;
    if (words !== null) {
      for (; s < sEnd && (o & 3) !== 0; s++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[s]!;
      for (let k = o >> 2; s + 4 <= sEnd; s += 4, k += 3, o += 12) {
        const v = view.getUint32(s, true) | 0;
        // Paper (most of a scan): four white samples are three all-ones words.
        if (v === -1) {
          words[k] = words[k + 1] = words[k + 2] = 0xffffffff;
          continue;
        }
        const a = v & 0xff, b = (v >>> 8) & 0xff, c = (v >>> 16) & 0xff, d = v >>> 24;
        words[k] = a | (a << 8) | (a << 16) | (b << 24);
        words[k + 1] = b | (b << 8) | (c << 16) | (c << 24);
        words[k + 2] = c | (d << 8) | (d << 16) | (d << 24);
      }
    }
    for (; s < sEnd; s++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[s]!;
  }
  return { width: widthPx, height: heightPx, data: out };
}


/**
 * Whether pdf.js smooths the image when drawing it: always when shrinking (bilinear, after halving steps),
 * and when enlarging by up to 96/72 or when the image asks for /Interpolate; otherwise it draws nearest
 * neighbour (display/canvas.js getImageSmoothingEnabled). For the smoothed case we resample with
 * Catmull-Rom ('cubic'): it came closest to pdf.js on the scan fixtures (mean |Δ| 0.55–0.68 grey levels at
 * 200 dpi; Lanczos-3 0.65–0.82, bilinear 0.99–1.34) and is cheaper than Lanczos.
 */
function smoothed(scaleX: number, scaleY: number, interpolate: boolean): boolean {
  const smoothUpTo = Math.fround(96 / 72);
  return interpolate || (scaleX <= smoothUpTo && scaleY <= smoothUpTo);
}

/**
 * Nearest-neighbour resize sampling at pixel centres, ties to the lower pixel: destination pixel x shows
 * source pixel ceil((x + ½)·src/dst) − 1, which is what Skia draws for pdf.js (checked column by column).
 */
function nearestResize(src: Uint8Array, srcW: number, srcH: number, channels: number, dstW: number, dstH: number): Uint8Array {
  const pick = (x: number, srcN: number, dstN: number) => Math.min(srcN - 1, Math.floor(((2 * x + 1) * srcN - 1) / (2 * dstN)));
  const cols = new Int32Array(dstW);
  for (let x = 0; x < dstW; x++) cols[x] = pick(x, srcW, dstW) * channels;
  const out = new Uint8Array(dstW * dstH * channels);
  const rowBytes = dstW * channels;
  let prevSy = -1;
  for (let y = 0; y < dstH; y++) {
    const sy = pick(y, srcH, dstH);
    const dst = y * rowBytes;
    if (sy === prevSy) {
      out.copyWithin(dst, dst - rowBytes, dst);
      continue;
    }
    prevSy = sy;
    const row = sy * srcW * channels;
    if (channels === 1) {
      for (let x = 0; x < dstW; x++) out[dst + x] = src[row + cols[x]!]!;
    } else {
      for (let x = 0, d = dst; x < dstW; x++, d += channels) {
        const s = row + cols[x]!;
        for (let c = 0; c < channels; c++) out[d + c] = src[s + c]!;
      }
    }
  }
  return out;
}

/**
 * The sharp operations that turn the image (x right, y down) into page orientation `p`, a signed permutation
 * [a, b, c, d] with page x = a·u + c·v, page y = b·u + d·v about the image centre. sharp mirrors first
 * (flip: y → −y) and then turns clockwise (90°: (x, y) → (−y, x)); try all eight combinations.
 */
export function orientationOps(p: [number, number, number, number]): { flip: boolean; rotate: 0 | 90 | 180 | 270 } {
  for (const flip of [false, true]) {
    // After the optional flip: x' = x, y' = ±y, written as the matrix [1, 0, 0, ±1].
    let m: [number, number, number, number] = [1, 0, 0, flip ? -1 : 1];
    for (const rotate of [0, 90, 180, 270] as const) {
      if (m.every((v, i) => v === p[i])) return { flip, rotate };
      // Clockwise quarter turn R = [0, 1, −1, 0] (x' = −y, y' = x) applied after m: R·m.
      m = [-m[1], m[0], -m[3], m[2]];
    }
  }
  return unsupported('image orientation is not a quarter turn');
}

async function decodeInput(plan: ScanImagePlan): Promise<sharp.Sharp | DecodedPixels> {
  const { widthPx: w, heightPx: h, components: comps, bitsPerComponent: bpc } = plan;
  const raw = plan.image.raw;
  const rowBytes = Math.ceil((w * comps * bpc) / 8);
  const expected = rowBytes * h;
  // Pixel limits are ours (MAX_IMAGE_PIXELS); sharp's would only refuse what we already bounded.
  const opts = { limitInputPixels: false as const };
  switch (plan.encoding) {
    case 'jpeg': {
      checkJpegHeader(raw);
      // pdf.js ignores the JPEG's own ICC profile and EXIF orientation; so does sharp unless asked.
      const s = sharp(raw, { ...opts, ignoreIcc: true });
      const meta = await s.metadata();
      if (meta.width !== w || meta.height !== h) unsupported('JPEG size differs from the image dictionary');
      if (meta.channels !== comps || (meta.space !== 'b-w' && meta.space !== 'srgb')) unsupported(`JPEG with ${meta.channels} channels in ${meta.space}`);
      return s;
    }
    case 'flate-png':
      return sharp(pngContainer(raw, w, h, comps, bpc), opts);
    case 'flate':
    case 'flate-tiff':
    case 'raw': {
      let data: Uint8Array = raw;
      if (plan.encoding !== 'raw') data = inflateImage(raw, expected);
      if (data.length < expected) unsupported('image data shorter than its size');
      data = data.subarray(0, expected);
      if (plan.encoding === 'flate-tiff') data = tiffUnpredict(data, comps, w);
      if (bpc === 1) data = unpackBits(data, w, h);
      return { data, width: w, height: h, channels: comps };
    }
  }
}

/**
 * Image Flate data inflated into ONE buffer: zlib's output chunk is sized for the whole image (up to the
 * 4 KiB of slack we allow). With the default 16 KiB chunks an 8.7 MB grey scan took ~530 callbacks and a
 * Buffer.concat copy, twice the garbage, and 35 ms of CPU against 7 ms here (2-core box). Synchronous: a
 * page thread waits for its page anyway, and the libuv pool that async zlib uses is shared by every page
 * thread of the process (and by sharp); the one-chunk async call measured 10 ms.
 */
function inflateImage(raw: Uint8Array, expected: number): Uint8Array {
  const limit = expected + 4096;
  try {
    // One byte over the limit: exactly `limit` bytes still fit one chunk, more fail on maxOutputLength.
    const out = zlib.inflateSync(raw, { chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, limit + 1), maxOutputLength: limit });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    return unsupported(`image Flate data does not decode (${(e as Error).message})`);
  }
}

/**
 * JPEG markers up to the first scan (ITU T.81 §B.1): refuses 12-bit samples and three-component JPEGs
 * stored as RGB rather than YCbCr (Adobe transform 0, or component ids 'R' 'G' 'B'), where libjpeg and
 * pdf.js's decoder have been known to disagree on the colour conversion.
 */
function checkJpegHeader(b: Uint8Array): void {
  if (b[0] !== 0xff || b[1] !== 0xd8) unsupported('JPEG data without a start marker');
  let adobeTransform: number | null = null;
  for (let at = 2; at + 4 <= b.length; ) {
    if (b[at] !== 0xff) return unsupported('malformed JPEG markers');
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const len = (b[at + 2]! << 8) | b[at + 3]!;
    const seg = at + 4;
    if (marker === 0xee && len >= 14 && String.fromCharCode(...b.subarray(seg, seg + 5)) === 'Adobe') adobeTransform = b[seg + 11]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (b[seg] !== 8) return unsupported(`${b[seg]}-bit JPEG`);
      const n = b[seg + 5]!;
      if (n === 3) {
        const ids = [b[seg + 6], b[seg + 9], b[seg + 12]];
        if (adobeTransform === 0 || (ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42)) unsupported('JPEG stored as RGB');
      }
      return;
    }
    if (marker === 0xda) return unsupported('JPEG scan before its frame header');
    at = seg + len - 2;
  }
  unsupported('JPEG without a frame header');
}

/** 1-bit gray rows (padded to whole bytes) → 8-bit, 0 → black, 1 → white (DeviceGray with the default /Decode). */
function unpackBits(packed: Uint8Array, w: number, h: number): Uint8Array {
  const rowBytes = Math.ceil(w / 8);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const src = y * rowBytes;
    const dst = y * w;
    for (let x = 0; x < w; x++) out[dst + x] = (packed[src + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
  }
  return out;
}

/**
 * Flate data with PNG predictors is exactly a PNG's IDAT payload (zlib stream of filtered rows, RFC 2083), so
 * wrapping it in a PNG signature, IHDR and IEND lets libspng inflate and unfilter it natively, without a copy
 * of the decoded rows in JS.
 */
function pngContainer(idat: Uint8Array, w: number, h: number, comps: 1 | 3, bpc: 1 | 8): Buffer {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4, 8))), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = bpc;
  ihdr[9] = comps === 3 ? 2 : 0; // colour type: truecolour or greyscale
  // compression 0, filter method 0, interlace 0
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

// Ink checks after recognition (ours; measured on the eval fixtures, 515 -> 471 errors over 29 pages, and on quote
// marks rendered in a dozen fonts at 18–60 px). PP-OCRv4's Chinese recogniser confuses a few Latin classes whose
// glyphs differ only in size, position or the shape of a small mark; the crop's ink tells them apart:
// - the case of letters whose capital is the small letter enlarged (c o s v w x z), where the model was unsure: the
//   glyph's top lies on the line's x-height or on its cap height ("topwords" → "topWords");
// - a lone l, I or 1 whose stroke reaches down into the descender zone is a vertical bar: "(l)" → "(|)";
// - a single quote mark: the model writes most curly quotes as a straight ' (or a prime ′, or a one-blob “); a
//   stroke slanted like "/" or curved like ")" is ’, one curved like "(" (or slanted with its blob below) is ‘.
// The ink is only read for lines holding such a character.
import type { RecChar, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';
import { inkLutOf } from '../image/ink.js';
import { paperSpans } from '../image/gray.js';
import { RunScratch, findRoot, unionRuns } from '../image/contours.js';

/** Letters whose capital has the small letter's shape (in most Latin fonts), so only size tells them apart. */
const CASE_TWINS = new Set('cosvwxzCOSVWXZ');
/** Below this confidence the model was torn between a twin's two cases; above it, its case stands. */
const CASE_UNSURE_CONFIDENCE = 0.98;
/** Characters this confident set the line's x-height, cap height and baseline. */
const REFERENCE_CONFIDENCE = 0.9;
/** Small letters with no ascender or descender: their tops are the x-height, their bottoms the baseline. */
const X_HEIGHT_LETTERS = new Set('acemnorsuvwxz');
/** Glyphs whose tops are (about) the cap height: capitals, ascenders, lining digits. */
const TALL_GLYPHS = new Set('ABCDEFGHIKLMNOPRSTUVWXYZbdhkl0123456789');
/** Glyphs that sit on the baseline. Digits are left out: old-style figures descend. */
const BASELINE_GLYPHS = new Set('acemnorsuvwxzbdhkltABCDEFGHIKLMNOPRSTUVWXYZ');
/** Small letters with a descender: their bottoms are the descender line. */
const DESCENDER_LETTERS = new Set('gpqy');
/** Fewer reference glyphs than this cannot place a line (x-height, cap height, baseline, descender). */
const MIN_REFERENCES = 2;
/** x-height and cap height must lie at least this many pixels apart for a glyph's top to pick one. */
const MIN_CASE_GAP_PX = 2;
/** A glyph's top must lie this share of that gap nearer one line than the other (no guess in between). */
const CASE_DEAD_ZONE = 0.15;
/**
 * A whole glyph sits on the baseline (within this share of the cap height) and is x-height tall (within this share).
 */
const WHOLE_GLYPH_TOLERANCE = 0.2;

/** What the model writes for a vertical bar; and which neighbours leave it standing alone. */
const BAR_LOOKALIKES = new Set(['l', 'I', '1']);
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
/** A bar reaches at least this share of the way from the baseline down to the descender line. */
const BAR_MIN_DESCENT = 0.5;

/**
 * Quote marks as the model writes a single one: straight, prime, curly, and now and then a double mark (a double
 * one has two blobs of ink and is left alone).
 */
const QUOTE_MARKS = new Set(["'", '\u2032', '\u2018', '\u2019', '"', '\u201c', '\u201d']);
const DOUBLE_QUOTES = new Set(['"', '\u201c', '\u201d']);
const CURLY_QUOTES = new Set(['\u2018', '\u2019']);
/** A single mark is at most this wide for its height (measured: 0.38–0.69); two that touch are wider. */
const MAX_SINGLE_MARK_WIDTH = 0.8;
/** Mark heights (px) below which the shape is a handful of pixels and says nothing. */
const MIN_MARK_HEIGHT_PX = 4;
/** A mark whose bottom third lies this many heights left of its top third leans like "/": a curly quote… */
const SLANTED_LEAN = 0.15;
/** …and so does an upright one whose middle third bulges this far (heights) right, ")" = ’, or left, "(" = ‘. */
const CURVED_BULGE = 0.1;
/** A slanted mark with ends of one width is told by a curve of at least this much. */
const MIN_TIE_BULGE = 0.02;
/** Lean and bulge within this (heights) are a straight quote's. */
const STRAIGHT_MAX = 0.07;

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;

/** Connected blobs of ink (8-connected) of a crop, with each pixel's blob. */
export interface InkBlobs {
  width: number;
  height: number;
  /** Blob index per pixel, −1 on paper. */
  label: Int32Array;
  x0: Int32Array;
  x1: Int32Array;
  y0: Int32Array;
  y1: Int32Array;
  pixels: Int32Array;
  count: number;
}

/** Run buffers of inkBlobs, reused from line to line (inkBlobs runs to completion; nothing else uses them). */
const blobRuns = new RunScratch();

/**
 * Ink blobs of a text-line crop. Ink is whichever Otsu class of the luma is the minority (dark text on light
 * paper or light on dark). Found as runs of ink per row joined by union-find (image/contours.ts), numbered in
 * raster order of their first pixel; a gray-marked crop's paper spans are skipped unread.
 */
export function inkBlobs(image: RgbImage): InkBlobs {
  const { width, height, data } = image;
  const n = width * height;
  const isInk = inkLutOf(image);
  const spans = paperSpans(image);
  const s = blobRuns;
  s.reset(height);
  // 1. Runs of ink, row by row (inclusive ends). A gray pixel's R byte is its luma.
  for (let y = 0; y < height; y++) {
    s.rowStart[y] = s.count;
    let runStart = -1;
    if (spans !== undefined) {
      const paperIsInk = isInk[255] === 1;
      let x = 0;
      const kEnd = spans.rowStart[y + 1]!;
      for (let k = spans.rowStart[y]!; k <= kEnd; k++) {
        const end = k < kEnd ? spans.pairs[2 * k]! : width;
        for (let p = (y * width + x) * 3; x < end; x++, p += 3) {
          if (isInk[data[p]!] === 1) {
            if (runStart < 0) runStart = x;
          } else if (runStart >= 0) {
            s.push(runStart, x - 1, y);
            runStart = -1;
          }
        }
        if (k < kEnd) {
          if (paperIsInk) {
            if (runStart < 0) runStart = x;
          } else if (runStart >= 0) {
            s.push(runStart, x - 1, y);
            runStart = -1;
          }
          x = spans.pairs[2 * k + 1]!;
        }
      }
    } else {
      for (let x = 0, p = y * width * 3; x < width; x++, p += 3) {
        if (isInk[(data[p]! * 77 + data[p + 1]! * 150 + data[p + 2]! * 29) >> 8] === 1) {
          if (runStart < 0) runStart = x;
        } else if (runStart >= 0) {
          s.push(runStart, x - 1, y);
          runStart = -1;
        }
      }
    }
    if (runStart >= 0) s.push(runStart, width - 1, y);
  }
  s.rowStart[height] = s.count;
  // 2. Join touching runs (8-connected); a set's root is its first run, so numbering roots in run order numbers
  //    the blobs in raster order of their first pixel.
  unionRuns(s, height);
  const runs = s.count;
  const blobOfRun = new Int32Array(runs);
  let count = 0;
  for (let i = 0; i < runs; i++) {
    const r = findRoot(s.parent, i);
    blobOfRun[i] = r === i ? count++ : blobOfRun[r]!;
  }
  // 3. Boxes, pixel counts and labels.
  const x0 = new Int32Array(count).fill(width), x1 = new Int32Array(count).fill(-1);
  const y0 = new Int32Array(count).fill(height), y1 = new Int32Array(count).fill(-1);
  const pixels = new Int32Array(count);
  const label = new Int32Array(n).fill(-1);
  for (let i = 0; i < runs; i++) {
    const b = blobOfRun[i]!, a = s.x0[i]!, e = s.x1[i]!, y = s.y[i]!;
    if (a < x0[b]!) x0[b] = a;
    if (e > x1[b]!) x1[b] = e;
    if (y < y0[b]!) y0[b] = y;
    y1[b] = y;
    pixels[b]! += e - a + 1;
    label.fill(b, y * width + a, y * width + e + 1);
  }
  return { width, height, label, x0, x1, y0, y1, pixels, count };
}

/**
 * The blob that draws `ch`: the biggest of the blobs whose horizontal centre lies inside the character's extent
 * and that `accept` lets through (blobs of fewer than `minPixels` are specks). −1 when none.
 */
function blobOf(blobs: InkBlobs, ch: RecChar, minPixels: number, accept: (b: number) => boolean = () => true): number {
  const from = ch.startFrac * blobs.width;
  const to = ch.endFrac * blobs.width;
  let best = -1;
  for (let b = 0; b < blobs.count; b++) {
    if (blobs.pixels[b]! < minPixels) continue;
    const c = (blobs.x0[b]! + blobs.x1[b]! + 1) / 2;
    if (c < from || c > to || !accept(b)) continue;
    if (best < 0 || blobs.pixels[b]! > blobs.pixels[best]!) best = b;
  }
  return best;
}

/**
 * Whether blob b is one glyph of the character: no wider than its extent and a quarter of it either side.
 * Letters that touch (serif "rn", a kerned "To") make one blob that must not speak for either.
 */
function fitsExtent(blobs: InkBlobs, b: number, ch: RecChar): boolean {
  const from = ch.startFrac * blobs.width;
  const to = ch.endFrac * blobs.width;
  const slack = 0.25 * (to - from);
  return blobs.x0[b]! >= from - slack && blobs.x1[b]! + 1 <= to + slack;
}

function median(values: number[]): number | undefined {
  if (values.length < MIN_REFERENCES) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Where the line's own confident glyphs put its x-height, cap height, baseline and descender line (rows, px). */
interface LineMetrics {
  xTop?: number;
  capTop?: number;
  baseline?: number;
  descender?: number;
}

function lineMetrics(blobs: InkBlobs, chars: readonly RecChar[], minPixels: number, skip: ReadonlySet<number>): LineMetrics {
  const xTops: number[] = [], capTops: number[] = [], bottoms: number[] = [], descents: number[] = [];
  chars.forEach((c, i) => {
    if (skip.has(i) || c.confidence < REFERENCE_CONFIDENCE) return;
    const t = c.text;
    if (!X_HEIGHT_LETTERS.has(t) && !TALL_GLYPHS.has(t) && !BASELINE_GLYPHS.has(t) && !DESCENDER_LETTERS.has(t)) return;
    const b = blobOf(blobs, c, minPixels);
    if (b < 0 || !fitsExtent(blobs, b, c)) return;
    if (X_HEIGHT_LETTERS.has(t)) xTops.push(blobs.y0[b]!);
    if (TALL_GLYPHS.has(t)) capTops.push(blobs.y0[b]!);
    if (BASELINE_GLYPHS.has(t)) bottoms.push(blobs.y1[b]!);
    if (DESCENDER_LETTERS.has(t)) descents.push(blobs.y1[b]!);
  });
  return { xTop: median(xTops), capTop: median(capTops), baseline: median(bottoms), descender: median(descents) };
}

/**
 * What a raised mark's ink says it is: ’, ‘, a straight ' or undefined (unclear). Its box is cut into thirds
 * top to bottom; the mean column of each third's rows traces the stroke. A straight quote stands upright (lean
 * and bulge within ±0.07 of its height); curly ones either lean like "/" (sans and monospaced fonts: −0.13 to
 * −0.40) or curve like ")" for ’ and "(" for ‘ (serif and typewriter fonts: ±0.12 to ±0.18). Measured on ', ’
 * and ‘ rendered in 16 font families at 18–60 px: no straight quote of 128 called curly; of 216 curly ones 164
 * named right, 47 left unclear or straight, 5 named the wrong curl (URW Gothic up to 30 px, Noto Sans Mono at
 * 22 px). `strict` leaves out the close calls of slanted marks (ends 1 px apart in width), which made those 5:
 * with it none is wrong. It is for overruling a curly reading of the model.
 */
export function quoteShape(blobs: InkBlobs, b: number, strict = false): '\u2019' | '\u2018' | "'" | undefined {
  const top = blobs.y0[b]!, bottom = blobs.y1[b]!, left = blobs.x0[b]!, right = blobs.x1[b]!;
  const h = bottom - top + 1;
  if (h < MIN_MARK_HEIGHT_PX) return undefined;
  const count = new Float64Array(h);
  const centre = new Float64Array(h);
  for (let r = 0; r < h; r++) {
    let c = 0, sx = 0;
    const row = (top + r) * blobs.width;
    for (let x = left; x <= right; x++) {
      if (blobs.label[row + x] === b) {
        c++;
        sx += x;
      }
    }
    count[r] = c;
    centre[r] = c > 0 ? sx / c : NaN;
  }
  const third = Math.max(1, Math.floor(h / 3));
  /** Widest row and mean row centre of rows [from, to). */
  const part = (from: number, to: number): { width: number; centre: number } => {
    let width = 0, sx = 0, n = 0;
    for (let r = from; r < to; r++) {
      width = Math.max(width, count[r]!);
      if (count[r]! > 0) {
        sx += centre[r]!;
        n++;
      }
    }
    return { width, centre: n > 0 ? sx / n : NaN };
  };
  const upper = part(0, third);
  const middle = part(third, h - third);
  const lower = part(h - third, h);
  const lean = (lower.centre - upper.centre) / h;
  const bulge = (middle.centre - (upper.centre + lower.centre) / 2) / h;
  if (!Number.isFinite(lean) || !Number.isFinite(bulge)) return undefined;
  if (lean <= -SLANTED_LEAN) {
    // A "/" stroke: the blob end is the wider one (strictly: by 2 px); on a tie, the way it curves.
    const wider = upper.width - lower.width;
    if (Math.abs(wider) >= (strict ? 2 : 1)) return wider > 0 ? '\u2019' : '\u2018';
    if (strict) return undefined;
    if (Math.abs(bulge) >= MIN_TIE_BULGE) return bulge > 0 ? '\u2019' : '\u2018';
    return undefined;
  }
  if (lean < SLANTED_LEAN && Math.abs(bulge) >= CURVED_BULGE) return bulge > 0 ? '\u2019' : '\u2018';
  if (Math.abs(lean) <= STRAIGHT_MAX && Math.abs(bulge) <= STRAIGHT_MAX) return "'";
  return undefined;
}

/**
 * `result` with the case of unsure size twins, lone bars and curly quotes set from the crop's ink (see the file
 * comment). `image` is the crop exactly as recognised; character extents are fractions of its width. Returns
 * `result` itself when nothing changes.
 */
export function fixGlyphsByInk(image: RgbImage, result: RecResult): RecResult {
  const chars = result.chars;
  if (chars.length === 0 || CJK.test(result.text)) return result;
  const texts = chars.map((c) => c.text);
  const isLoneBar = (i: number) =>
    BAR_LOOKALIKES.has(texts[i]!) && !LETTER_OR_DIGIT.test(texts[i - 1] ?? '') && !LETTER_OR_DIGIT.test(texts[i + 1] ?? '');
  const candidates = new Set<number>();
  texts.forEach((t, i) => {
    if ((CASE_TWINS.has(t) && chars[i]!.confidence < CASE_UNSURE_CONFIDENCE) || isLoneBar(i) || QUOTE_MARKS.has(t)) candidates.add(i);
  });
  if (candidates.size === 0) return result;

  const blobs = inkBlobs(image);
  // Specks of noise are not glyphs: a blob must hold a few pixels (more on taller crops).
  const minPixels = Math.max(3, Math.round(image.height * 0.1));
  const m = lineMetrics(blobs, chars, minPixels, candidates);
  let changed = false;
  const out = texts.slice();
  for (const i of candidates) {
    const t = texts[i]!;
    if (CASE_TWINS.has(t)) {
      if (m.xTop === undefined || m.capTop === undefined || m.baseline === undefined || m.xTop - m.capTop < MIN_CASE_GAP_PX) continue;
      const b = blobOf(blobs, chars[i]!, minPixels);
      if (b < 0 || !fitsExtent(blobs, b, chars[i]!)) continue;
      const gap = m.xTop - m.capTop;
      // Only a whole glyph speaks: it sits on the baseline and is at least x-height tall (noise and binarisation
      // break glyphs of small, degraded print into pieces whose tops mean nothing).
      const sits = Math.abs(blobs.y1[b]! - m.baseline) <= WHOLE_GLYPH_TOLERANCE * (m.baseline - m.capTop) + 1;
      if (!sits || blobs.y1[b]! - blobs.y0[b]! + 1 < (1 - WHOLE_GLYPH_TOLERANCE) * (m.baseline - m.xTop)) continue;
      const pos = (blobs.y0[b]! - m.capTop) / gap; // 0 = cap height, 1 = x-height
      if (pos < 0.5 - CASE_DEAD_ZONE) out[i] = t.toUpperCase();
      else if (pos > 0.5 + CASE_DEAD_ZONE) out[i] = t.toLowerCase();
    } else if (BAR_LOOKALIKES.has(t)) {
      if (m.baseline === undefined) continue;
      const b = blobOf(blobs, chars[i]!, minPixels);
      if (b < 0 || !fitsExtent(blobs, b, chars[i]!)) continue;
      // Without descender letters on the line, a bar still reaches well below the baseline of its neighbours.
      const descentPx = m.descender !== undefined && m.descender > m.baseline ? m.descender - m.baseline : undefined;
      const minBottom = m.baseline + Math.max(2, descentPx !== undefined ? BAR_MIN_DESCENT * descentPx : 0.1 * image.height);
      // …and up past the x-height, as l, I and 1 do (a comma or a speck below the baseline is no bar).
      const reachesUp = m.xTop === undefined || blobs.y0[b]! <= m.xTop;
      if (blobs.y1[b]! >= minBottom && reachesUp) out[i] = '|';
    } else {
      // A raised mark: its blob ends above the middle of the x-height (or of the crop).
      const mid = m.xTop !== undefined && m.baseline !== undefined ? (m.xTop + m.baseline) / 2 : image.height / 2;
      const raised = (b: number) => blobs.y1[b]! < mid;
      const b = blobOf(blobs, chars[i]!, minPixels, raised);
      if (b < 0) continue;
      // A double mark has a second raised blob beside the first; one blob is a single mark.
      const from = chars[i]!.startFrac * image.width;
      const to = chars[i]!.endFrac * image.width;
      let marks = 0;
      for (let k = 0; k < blobs.count; k++) {
        if (blobs.pixels[k]! >= minPixels && raised(k) && blobs.x1[k]! >= from && blobs.x0[k]! <= to) marks++;
      }
      if (marks !== 1) continue;
      // Read as a double mark, the one blob must be as narrow as a single mark (two marks that touch are wide).
      if (DOUBLE_QUOTES.has(t) && blobs.x1[b]! - blobs.x0[b]! + 1 > MAX_SINGLE_MARK_WIDTH * (blobs.y1[b]! - blobs.y0[b]! + 1)) continue;
      // Only clear curls are written: a mark the ink calls straight or leaves unclear keeps the model's reading
      // (it writes ’ and ‘ only where it saw them).
      const shape = quoteShape(blobs, b, CURLY_QUOTES.has(t));
      if (shape === '\u2019' || shape === '\u2018') out[i] = shape;
    }
    if (out[i] !== t) changed = true;
  }
  if (!changed) return result;
  const newChars = chars.map((c, i) => (out[i] === c.text ? c : { ...c, text: out[i]! }));
  return { ...result, text: out.join(''), chars: newChars };
}

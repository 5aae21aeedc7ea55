// Gray RGB images (R = G = B in every pixel: scans, rendered black-on-white PDF pages) and their blank paper.
// Resampling one channel of a gray image and copying it to the other two gives exactly the bytes (and floats) of
// resampling all three, for a third of the work; and resampling blank paper (255) gives 255 without arithmetic.
// crop.ts marks the crops it writes and records their paper; the cls/rec preprocessing reads both.
import type { RgbImage } from '../types.js';

/**
 * Pixel buffers that were checked gray when written. A WeakSet, so marks go with their buffers; a buffer changed
 * after it was marked must not be passed on (the pipeline never changes a crop).
 */
const grayBuffers = new WeakSet<Uint8Array>();

/** Records that `data` (an RGB buffer just written from a gray source) holds only gray pixels. */
export function markGray(data: Uint8Array): void {
  grayBuffers.add(data);
}

/** true when `image` is known to be gray (marked by whoever wrote it); never scans. */
export function isMarkedGray(image: RgbImage): boolean {
  return grayBuffers.has(image.data);
}

/**
 * Word reads of packed pixels (here and in the PDF readers) assume little-endian byte order (x86, ARM); elsewhere
 * they go byte by byte.
 */
export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Packed RGB bytes `s` read as aligned 32-bit words: `words[k]` holds s[lead + 4k … lead + 4k + 3]. No words
 * (undefined) on big-endian machines or for fewer than 12 bytes; callers then read bytes.
 */
export function rgbWords(s: Uint8Array): { lead: number; words: Uint32Array | undefined } {
  const lead = (4 - (s.byteOffset & 3)) & 3;
  const words = LITTLE_ENDIAN && s.length >= lead + 12 ? new Uint32Array(s.buffer, s.byteOffset + lead, (s.length - lead) >> 2) : undefined;
  return { lead, words };
}

/** Whether four RGB pixels read as the three words [a a a b] [b b c c] [c d d d] (see rgbWords) are all gray. */
export function grayWords(w0: number, w1: number, w2: number): boolean {
  return ((w0 ^ (w0 >>> 8)) & 0xffff) === 0 && w0 >>> 24 === (w1 & 0xff) && ((w1 ^ (w1 >>> 8)) & 0xff00ff) === 0 &&
    w1 >>> 24 === (w2 & 0xff) && ((w2 ^ (w2 >>> 8)) & 0xffff00) === 0;
}

/** Runs of blank paper shorter than this are not recorded (not worth a native fill). */
export const MIN_PAPER_SPAN_PX = 8;

/**
 * Blank-paper spans of an image, per row: pairs[2k] … pairs[2k + 1] (exclusive) are columns of value 255 (all
 * three channels). Spans may miss paper (they are found four pixels at a time) but never hold anything else.
 */
export interface PaperSpans {
  /** Spans of row y are pairs rowStart[y] … rowStart[y + 1] − 1. */
  rowStart: Int32Array;
  pairs: Int32Array;
}

/** Collects PaperSpans row by row: beginRow(y), then add(start, end) for each run in increasing order. */
export class PaperSpanBuilder {
  readonly rowStart: Int32Array;
  #pairs = new Int32Array(256);
  #n = 0;

  constructor(height: number) {
    this.rowStart = new Int32Array(height + 1);
  }

  beginRow(y: number): void {
    this.rowStart[y] = this.#n >> 1;
  }

  /** A run of paper [start, end) in the current row (dropped when short). */
  add(start: number, end: number): void {
    if (end - start < MIN_PAPER_SPAN_PX) return;
    if (this.#n + 2 > this.#pairs.length) {
      const grown = new Int32Array(this.#pairs.length * 2);
      grown.set(this.#pairs);
      this.#pairs = grown;
    }
    this.#pairs[this.#n++] = start;
    this.#pairs[this.#n++] = end;
  }

  /** The spans, once every row has been begun. */
  finish(): PaperSpans {
    this.rowStart[this.rowStart.length - 1] = this.#n >> 1;
    return { rowStart: this.rowStart, pairs: this.#pairs.subarray(0, this.#n) };
  }
}

const paperCache = new WeakMap<Uint8Array, PaperSpans>();

/** Records the paper of `data` (found by whoever wrote it). Same caveat as markGray. */
export function setPaperSpans(data: Uint8Array, spans: PaperSpans): void {
  paperCache.set(data, spans);
}

/**
 * Paper spans of a gray-marked image: those recorded when it was written, else found now (and kept while the
 * buffer lives). Undefined for images not marked gray.
 */
export function paperSpans(image: RgbImage): PaperSpans | undefined {
  if (!isMarkedGray(image)) return undefined;
  let spans = paperCache.get(image.data);
  if (!spans) {
    const builder = new PaperSpanBuilder(image.height);
    scanGrayRegion(image, 0, 0, image.width, image.height, builder);
    spans = builder.finish();
    paperCache.set(image.data, spans);
  }
  return spans;
}

/**
 * Whether every pixel of the rectangle [x0, x1) × [y0, y1) (clamped to the image) is gray, stopping at the first
 * coloured pixel (a colour image costs little more than one row). With `paper`, also records the region's rows
 * of blank paper, in region coordinates (row y − y0, column x − x0); its contents are meaningless when the
 * answer is false. Four pixels are read as three 32-bit words where the bytes are word aligned: [a a a b]
 * [b b c c] [c d d d] is gray when those bytes match, and paper when all are ones (3× faster than bytes on the
 * 2-core box).
 */
export function scanGrayRegion(image: RgbImage, x0: number, y0: number, x1: number, y1: number, paper: PaperSpanBuilder | undefined): boolean {
  const xa = Math.max(0, Math.floor(x0)), xb = Math.min(image.width, Math.ceil(x1));
  const ya = Math.max(0, Math.floor(y0)), yb = Math.min(image.height, Math.ceil(y1));
  const s = image.data;
  const rowBytes = image.width * 3;
  const { lead, words } = rgbWords(s);
  for (let y = ya; y < yb; y++) {
    paper?.beginRow(y - ya);
    let p = y * rowBytes + xa * 3;
    const end = y * rowBytes + xb * 3;
    // Paper runs are tracked over whole word groups only; the few pixels before and after them end a run.
    let runStart = -1;
    if (words !== undefined) {
      while (p < end && ((p - lead) & 3) !== 0) {
        const v = s[p]!;
        if (s[p + 1] !== v || s[p + 2] !== v) return false;
        p += 3;
      }
      for (let k = (p - lead) >> 2; p + 12 <= end; p += 12, k += 3) {
        const w0 = words[k]!, w1 = words[k + 1]!, w2 = words[k + 2]!;
        if (!grayWords(w0, w1, w2)) return false;
        if (paper !== undefined) {
          // (& gives a signed int32: all ones is −1.)
          if ((w0 & w1 & w2) === -1) {
            if (runStart < 0) runStart = (p - y * rowBytes) / 3 - xa;
          } else if (runStart >= 0) {
            paper.add(runStart, (p - y * rowBytes) / 3 - xa);
            runStart = -1;
          }
        }
      }
      if (runStart >= 0) paper!.add(runStart, (p - y * rowBytes) / 3 - xa);
    }
    for (; p < end; p += 3) {
      const v = s[p]!;
      if (s[p + 1] !== v || s[p + 2] !== v) return false;
    }
  }
  return true;
}

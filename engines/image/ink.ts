// Ink of a text-line crop: Otsu's threshold on the luma, ink being whichever class is the minority (dark text on
// light paper, or light on dark). Shared by space recovery, chunked recognition and the glyph checks.
import type { RgbImage } from '../types.js';
import { paperSpans, type PaperSpans } from './gray.js';

/** Otsu's threshold of a 256-bin histogram of `total` values: the last value of the darker class. */
export function otsuThreshold(hist: Uint32Array, total: number): number {
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * hist[v]!;
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestVar = -1;
  for (let v = 0; v < 256; v++) {
    wB += hist[v]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += v * hist[v]!;
    const mB = sumB / wB;
    const mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > bestVar) {
      bestVar = between;
      best = v;
    }
  }
  return best;
}

/** 1 for the luma values that are ink: whichever Otsu class of the histogram (of `n` values) is the minority. */
export function inkLut(hist: Uint32Array, n: number): Uint8Array {
  const threshold = otsuThreshold(hist, n);
  let dark = 0;
  for (let v = 0; v <= threshold; v++) dark += hist[v]!;
  const inkIsDark = dark <= n - dark;
  const isInk = new Uint8Array(256);
  for (let v = 0; v < 256; v++) isInk[v] = (inkIsDark ? v <= threshold : v > threshold) ? 1 : 0;
  return isInk;
}

/** Integer BT.601 luma of every pixel ((77·R + 150·G + 29·B) >> 8) and its 256-bin histogram. */
export function lumaHistogram(image: RgbImage): { gray: Uint8Array; hist: Uint32Array } {
  const { data } = image;
  const n = image.width * image.height;
  const gray = new Uint8Array(n);
  const hist = new Uint32Array(256);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const v = (data[j]! * 77 + data[j + 1]! * 150 + data[j + 2]! * 29) >> 8;
    gray[i] = v;
    hist[v]!++;
  }
  return { gray, hist };
}

export interface InkCounts {
  column: Uint32Array;
  row: Uint32Array;
}

/**
 * What is known of a gray-marked crop's ink, kept with its buffer: such a buffer is never changed once marked
 * (image/gray.ts), and the same crop is looked at by several passes (rec chunking, space recovery, the glyph
 * checks), which then share one histogram and one count.
 */
interface GrayInk {
  spans: PaperSpans;
  isInk: Uint8Array;
  counts?: InkCounts;
}
const grayInk = new WeakMap<Uint8Array, GrayInk>();

/**
 * Histogram of a gray crop's values from its R bytes (a gray pixel is its own luma: (77 + 150 + 29)·v >> 8 = v),
 * its paper spans counted without visiting their pixels. Two interleaved histograms: neighbouring pixels often
 * share a value, and one histogram would make each increment wait for the last.
 */
function grayHistogram(image: RgbImage, spans: PaperSpans): Uint32Array {
  const { width, height, data } = image;
  const h0 = new Uint32Array(256);
  const h1 = new Uint32Array(256);
  let paper = 0;
  for (let y = 0; y < height; y++) {
    let x = 0;
    const kEnd = spans.rowStart[y + 1]!;
    for (let k = spans.rowStart[y]!; k <= kEnd; k++) {
      const end = k < kEnd ? spans.pairs[2 * k]! : width;
      let p = (y * width + x) * 3;
      for (; x + 1 < end; x += 2, p += 6) {
        h0[data[p]!]!++;
        h1[data[p + 3]!]!++;
      }
      if (x < end) {
        h0[data[p]!]!++;
        x++;
      }
      if (k < kEnd) {
        paper += spans.pairs[2 * k + 1]! - x;
        x = spans.pairs[2 * k + 1]!;
      }
    }
  }
  for (let v = 0; v < 256; v++) h0[v] = h0[v]! + h1[v]!;
  h0[255] = h0[255]! + paper;
  return h0;
}

/** The gray-marked crop's ink record (computed once per buffer); undefined for other images. */
function grayInkOf(image: RgbImage): GrayInk | undefined {
  const spans = paperSpans(image);
  if (spans === undefined) return undefined;
  let g = grayInk.get(image.data);
  if (g === undefined) {
    g = { spans, isInk: inkLut(grayHistogram(image, spans), image.width * image.height) };
    grayInk.set(image.data, g);
  }
  return g;
}

/**
 * The ink LUT of a crop (inkLut of its luma histogram): 1 for the luma values that are ink. A gray-marked crop's is
 * computed once and shared by every caller: read only.
 */
export function inkLutOf(image: RgbImage): Uint8Array {
  return grayInkOf(image)?.isInk ?? inkLut(lumaHistogram(image).hist, image.width * image.height);
}

/**
 * Ink pixels per column and per row of a crop. A crop marked gray (image/gray.ts) is its own luma
 * ((77 + 150 + 29)·v >> 8 = v): its R bytes are read in place, its runs of blank paper (255) are counted
 * without visiting their pixels, and its counts are computed once and shared by every caller: read only.
 */
export function inkCounts(image: RgbImage): InkCounts {
  const { width, height, data } = image;
  const n = width * height;
  if (n === 0) return { column: new Uint32Array(width), row: new Uint32Array(height) };
  const g = grayInkOf(image);
  if (g !== undefined) {
    if (g.counts !== undefined) return g.counts;
    const { spans, isInk } = g;
    const column = new Uint32Array(width);
    const row = new Uint32Array(height);
    for (let y = 0; y < height; y++) {
      let x = 0, inRow = 0;
      const kEnd = spans.rowStart[y + 1]!;
      for (let k = spans.rowStart[y]!; k <= kEnd; k++) {
        const end = k < kEnd ? spans.pairs[2 * k]! : width;
        for (let p = (y * width + x) * 3; x < end; x++, p += 3) {
          const ink = isInk[data[p]!]!;
          column[x]! += ink;
          inRow += ink;
        }
        if (k < kEnd) {
          const e = spans.pairs[2 * k + 1]!;
          if (isInk[255]) {
            inRow += e - x;
            for (; x < e; x++) column[x]!++;
          }
          x = e;
        }
      }
      row[y] = inRow;
    }
    g.counts = { column, row };
    return g.counts;
  }
  const column = new Uint32Array(width);
  const row = new Uint32Array(height);
  const { gray, hist } = lumaHistogram(image);
  const isInk = inkLut(hist, n);
  for (let y = 0; y < height; y++) {
    const r = y * width;
    for (let x = 0; x < width; x++) {
      const ink = isInk[gray[r + x]!]!;
      column[x]! += ink;
      row[y]! += ink;
    }
  }
  return { column, row };
}

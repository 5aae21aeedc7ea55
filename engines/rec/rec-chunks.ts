// Long text lines recognised in fixed-width overlapping pieces, so a GPU EP needs only the width buckets up to one
// chunk width (each new rec shape costs the CUDA EP ~1 s of cuDNN search and one pooled session). Our own
// scheme, not PaddleOCR's: cut at the emptiest ink column, give each piece context past its cuts, keep each
// piece's chars between its cuts, and around each cut align both pieces' readings so a glyph is kept once and a
// word gap holds one space.
import type { RecChar, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';
import { REC_IMG_H_PX, bucketImgWidth, cropRatio, paddleImgWidth } from './rec-preprocess.js';
import { inkCounts } from '../image/ink.js';

/** One piece of a long crop: a column window of it, run as a crop of its own, and the part of it whose chars are kept. */
export interface RecPiece {
  /** First crop column of the window. */
  x0Px: number;
  /** Window width in crop pixels. */
  widthPx: number;
  /** Chars whose centre lies in [keepFromPx, keepToPx) (crop pixels) are kept from this piece. */
  keepFromPx: number;
  keepToPx: number;
}

export interface RecChunkOptions {
  /**
   * Context each piece gets past each of its cuts, in crop heights (default 1: two to three Latin glyphs, so a
   * glyph at the seam is whole in both pieces and the model sees its neighbours).
   */
  contextHeights?: number;
  /** Width of the window before the chunk limit in which the cut is placed, in crop heights (default 3: a word gap is usually within it). */
  searchHeights?: number;
  /**
   * Window widths (crop pixels, any order) the LAST piece may take: it takes the narrowest that holds what is
   * left of the crop, widened to the left for context. Give the windows that fill each smaller width bucket
   * exactly (chunkWindowWidthPx per bucket): the last piece then runs at the smallest tensor width that holds
   * its rest unsqueezed, instead of a whole chunk width, most of it already read by the piece before.
   * Default: none, so the last piece is a whole window like the others.
   */
  lastWindowsPx?: readonly number[];
  /**
   * The last piece is exactly what is left of the crop plus its context on the left (any width): for packed rows
   * (rec-packing.ts), where a piece costs its own columns, not a bucket's. Overrides lastWindowsPx.
   */
  lastWindowFitsRest?: boolean;
}

const DEFAULT_CONTEXT_HEIGHTS = 1;
const DEFAULT_SEARCH_HEIGHTS = 3;

/**
 * Whether a crop must be chunked: its tensor width (the bucket at or below its Paddle width; with no buckets, its
 * Paddle width) would exceed chunkWidthPx. Crops up to the next bucket are still squeezed into the chunk width
 * (by ≥ 1/1.2, as without chunking), so chunking changes nothing for them.
 */
export function needsRecChunks(size: { width: number; height: number }, chunkWidthPx: number, widthBucketsPx: readonly number[] | null): boolean {
  const ratio = cropRatio(size);
  if (ratio <= 0) return false;
  const paddleW = paddleImgWidth(ratio);
  const tensorW = widthBucketsPx && widthBucketsPx.length > 0 ? bucketImgWidth(paddleW, widthBucketsPx) : paddleW;
  return tensorW > chunkWidthPx;
}

/**
 * The smallest window width (crop pixels) whose Paddle width at 48 px height is at least chunkWidthPx: such a
 * window fills the chunk-width tensor exactly (squeezed by less than a pixel), so no piece is squeezed.
 */
export function chunkWindowWidthPx(cropHeightPx: number, chunkWidthPx: number): number {
  let w = Math.ceil((chunkWidthPx * cropHeightPx) / REC_IMG_H_PX);
  while (Math.floor((REC_IMG_H_PX * w) / cropHeightPx) < chunkWidthPx) w++;
  return w;
}

/** Ink pixels per column (image/ink.ts inkCounts): where the line may be cut. */
export function columnInk(image: RgbImage): Uint32Array {
  return inkCounts(image).column;
}

/**
 * The cut column in [fromPx, toPx): the middle of the longest run of the emptiest columns (ink within
 * toleranceInk of the window's least), so a word gap beats a letter gap and a letter gap beats ink; the later of
 * equal runs (longer pieces, fewer of them).
 */
export function emptiestColumn(ink: Uint32Array, fromPx: number, toPx: number, toleranceInk: number): number {
  const a = Math.max(0, Math.min(ink.length - 1, Math.floor(fromPx)));
  const b = Math.max(a + 1, Math.min(ink.length, Math.ceil(toPx)));
  let least = Infinity;
  for (let x = a; x < b; x++) if (ink[x]! < least) least = ink[x]!;
  const limit = least + toleranceInk;
  let bestStart = b - 1, bestLen = 0;
  for (let x = a; x < b; ) {
    if (ink[x]! > limit) {
      x++;
      continue;
    }
    let e = x;
    while (e < b && ink[e]! <= limit) e++;
    if (e - x >= bestLen) {
      bestStart = x;
      bestLen = e - x;
    }
    x = e;
  }
  return bestStart + (bestLen >> 1);
}

/**
 * Cuts a crop into pieces of exactly `windowWidthPx` columns (chunkWindowWidthPx), each cut at the emptiest
 * column of a window ending `context` before the piece's right edge; the next piece starts `context` before that
 * cut. The last piece is aligned to the crop's right edge: a whole window (more context on its left), with
 * opts.lastWindowsPx the narrowest of those that still reaches `context` before its cut, or with
 * opts.lastWindowFitsRest exactly from `context` before its cut. A crop no wider than
 * one window is one piece.
 */
export function planRecPieces(ink: Uint32Array, cropHeightPx: number, windowWidthPx: number, opts: RecChunkOptions = {}): RecPiece[] {
  const widthPx = ink.length;
  const w = Math.max(1, Math.floor(windowWidthPx));
  if (widthPx <= w) return [{ x0Px: 0, widthPx, keepFromPx: 0, keepToPx: widthPx }];
  const h = Math.max(1, cropHeightPx);
  // Each piece must advance: context on both sides and the search window fit in half a window at most.
  const contextPx = Math.max(1, Math.min(Math.round((opts.contextHeights ?? DEFAULT_CONTEXT_HEIGHTS) * h), Math.floor(w / 4)));
  const searchPx = Math.max(1, Math.min(Math.round((opts.searchHeights ?? DEFAULT_SEARCH_HEIGHTS) * h), Math.floor(w / 2) - contextPx));
  // A column with a pixel or two of noise is as empty as a blank one.
  const toleranceInk = Math.max(1, Math.round(0.03 * h));
  const pieces: RecPiece[] = [];
  let x0 = 0, keepFrom = 0;
  while (x0 + w < widthPx) {
    const limit = x0 + w - contextPx;
    const cut = emptiestColumn(ink, Math.max(keepFrom + 1, limit - searchPx), limit, toleranceInk);
    pieces.push({ x0Px: x0, widthPx: w, keepFromPx: keepFrom, keepToPx: cut });
    keepFrom = cut;
    x0 = cut - contextPx;
  }
  // What is left starts at x0 (context before the last cut); the narrowest allowed window holding it, else a whole one.
  const restPx = widthPx - x0;
  let lastW = w;
  if (opts.lastWindowFitsRest) lastW = Math.min(w, restPx);
  else for (const c of opts.lastWindowsPx ?? []) if (c >= restPx && c < lastW) lastW = Math.floor(c);
  const last = Math.max(0, widthPx - lastW);
  pieces.push({ x0Px: last, widthPx: widthPx - last, keepFromPx: keepFrom, keepToPx: widthPx });
  return pieces;
}

/** A piece's char in crop pixels. */
interface PlacedChar {
  text: string;
  startPx: number;
  endPx: number;
  centrePx: number;
  confidence: number;
  space: boolean;
}

function place(piece: RecPiece, result: RecResult): PlacedChar[] {
  return result.chars.map((c) => {
    const startPx = piece.x0Px + c.startFrac * piece.widthPx;
    const endPx = piece.x0Px + c.endFrac * piece.widthPx;
    return { text: c.text, startPx, endPx, centrePx: (startPx + endPx) / 2, confidence: c.confidence, space: c.text.trim() === '' };
  });
}

/**
 * Share of the context a seam's zone spans on each side of the cut. Inside the zone both pieces' readings are
 * aligned; outside it each piece is trusted on its own side. Less than the whole context: a glyph the window edge
 * cuts through is read as anything, and stays out of the zone.
 */
const SEAM_ZONE_SHARE = 0.6;

/**
 * Merges the results of one crop's pieces (in order, as planRecPieces made them) into the result the crop would
 * have, chars in fractions of the whole crop. Away from the cuts each piece gives its own chars. Around each cut,
 * both pieces' chars are aligned (same text, close positions, in order): an aligned glyph is kept once, from the
 * piece on whose side of the cut its mean position lies, so a glyph is neither doubled nor lost when the two
 * pieces place it on different sides; an unaligned char is kept by the piece on whose side it lies, an unaligned
 * space near the cut by either (each piece may miss a word gap the other sees), and a gap holds one space.
 * Confidence is PaddleOCR's, the mean probability of the kept chars.
 */
export function mergeRecPieces(pieces: readonly RecPiece[], results: readonly RecResult[], cropWidthPx: number): RecResult {
  if (pieces.length === 1) return results[0]!;
  const placed = pieces.map((p, k) => place(p, results[k]!));
  // Zone half-widths of each seam k (between pieces k − 1 and k).
  const zones = pieces.map((p, k) => {
    if (k === 0) return 0;
    const left = pieces[k - 1]!;
    return SEAM_ZONE_SHARE * Math.max(0, Math.min(left.x0Px + left.widthPx - p.keepFromPx, p.keepFromPx - p.x0Px));
  });
  const out: PlacedChar[] = [];
  // Appends at a seam: never a second space next to one.
  const appendAtSeam = (c: PlacedChar): void => {
    const prev = out[out.length - 1];
    if (c.space && (prev === undefined || prev.space)) return;
    out.push(c);
  };
  for (let k = 0; k < pieces.length; k++) {
    const piece = pieces[k]!;
    if (k > 0) for (const c of seamChars(placed[k - 1]!, placed[k]!, piece.keepFromPx, zones[k]!)) appendAtSeam(c);
    const from = piece.keepFromPx + zones[k]!;
    const to = piece.keepToPx - (k + 1 < pieces.length ? zones[k + 1]! : 0);
    let first = true;
    for (const c of placed[k]!) {
      if (c.centrePx < from || c.centrePx >= to) continue;
      if (first && k > 0) appendAtSeam(c);
      else out.push(c);
      first = false;
    }
  }
  return finish(out, cropWidthPx);
}

/** Cost of leaving a char of one piece unpaired in the seam alignment. */
const UNPAIRED_COST = 1;

/**
 * The chars of the seam zone [cutPx − zonePx, cutPx + zonePx) from both pieces' readings, in order: an
 * order-keeping alignment (Needleman–Wunsch) pairs the left piece's chars with the right piece's, equal text
 * cheapest, a different reading of the same glyph (both solids) next, each cost growing with the distance between
 * the two positions; nothing further apart than the zone pairs.
 */
function seamChars(leftChars: readonly PlacedChar[], rightChars: readonly PlacedChar[], cutPx: number, zonePx: number): PlacedChar[] {
  const inZone = (c: PlacedChar) => c.centrePx >= cutPx - zonePx && c.centrePx < cutPx + zonePx;
  const a = leftChars.filter(inZone);
  const b = rightChars.filter(inZone);
  const n = a.length, m = b.length;
  const pairCost = (x: PlacedChar, y: PlacedChar): number => {
    const d = Math.abs(x.centrePx - y.centrePx);
    if (d > zonePx || x.space !== y.space) return Infinity;
    return (x.text === y.text ? 0 : 1.5 * UNPAIRED_COST) + (0.5 * d) / Math.max(1, zonePx);
  };
  const cost = new Float64Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i === 0 && j === 0) continue;
      let best = Infinity;
      if (i > 0) best = cost[at(i - 1, j)]! + UNPAIRED_COST;
      if (j > 0) best = Math.min(best, cost[at(i, j - 1)]! + UNPAIRED_COST);
      if (i > 0 && j > 0) best = Math.min(best, cost[at(i - 1, j - 1)]! + pairCost(a[i - 1]!, b[j - 1]!));
      cost[at(i, j)] = best;
    }
  }
  // Backtrack (pairs preferred on ties), then read the columns left to right.
  const columns: { x?: PlacedChar; y?: PlacedChar }[] = [];
  for (let i = n, j = m; i > 0 || j > 0; ) {
    if (i > 0 && j > 0 && cost[at(i, j)] === cost[at(i - 1, j - 1)]! + pairCost(a[i - 1]!, b[j - 1]!)) {
      columns.push({ x: a[--i]!, y: b[--j]! });
    } else if (i > 0 && cost[at(i, j)] === cost[at(i - 1, j)]! + UNPAIRED_COST) {
      columns.push({ x: a[--i]! });
    } else {
      columns.push({ y: b[--j]! });
    }
  }
  columns.reverse();
  const kept: PlacedChar[] = [];
  for (const { x, y } of columns) {
    if (x && y) kept.push((x.centrePx + y.centrePx) / 2 < cutPx ? x : y);
    else if (x && (x.centrePx < cutPx || x.space)) kept.push(x);
    else if (y && (y.centrePx >= cutPx || y.space)) kept.push(y);
  }
  return kept;
}

/**
 * Fractions of the whole crop, monotone as one decode's are (each start ≥ the previous end), without spaces at the
 * ends or two in a row; text and confidence. Neighbours from two pieces that overlap meet halfway.
 */
function finish(chars: readonly PlacedChar[], cropWidthPx: number): RecResult {
  const kept: PlacedChar[] = [];
  for (const c of chars) {
    if (c.space && (kept.length === 0 || kept[kept.length - 1]!.space)) continue;
    kept.push(c);
  }
  while (kept.length > 0 && kept[kept.length - 1]!.space) kept.pop();
  const out: RecChar[] = [];
  const frac = (px: number): number => (cropWidthPx > 0 ? Math.min(1, Math.max(0, px / cropWidthPx)) : 0);
  let lastEnd = 0;
  let text = '';
  let probSum = 0;
  for (let i = 0; i < kept.length; i++) {
    const c = kept[i]!;
    let startPx = c.startPx, endPx = c.endPx;
    const next = kept[i + 1];
    if (next && next.startPx < endPx) endPx = Math.max(startPx, Math.min(endPx, (endPx + next.startPx) / 2));
    const prev = kept[i - 1];
    if (prev && startPx < prev.endPx) startPx = Math.min(endPx, Math.max(startPx, (prev.endPx + startPx) / 2));
    const s = Math.max(lastEnd, frac(startPx));
    const e = Math.max(s, frac(endPx));
    out.push({ text: c.text, startFrac: s, endFrac: e, confidence: c.confidence });
    lastEnd = e;
    text += c.text;
    probSum += c.confidence;
  }
  return { text, confidence: out.length > 0 ? probSum / out.length : 0, chars: out };
}

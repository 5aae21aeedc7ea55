// Several text lines side by side in one recognition row, so a GPU runs every rec batch at one full shape.
// Our own scheme, not PaddleOCR's (which gives each line a row of its own, padded to the widest in the batch):
// the CTC model reads left to right and emits blanks over empty columns, so lines separated by a blank gap are
// read independently, each from the time steps over its own columns.
//
// Why: under per-line rows with width buckets, a third of the tensor columns the GPU ran on 300-dpi A4 pages were
// padding (4 bench pages: 182,228 line columns in 274,176 tensor columns): every bucket's last run padded with
// blank rows, short lines padded to 320 px, every line squeezed or padded to its bucket. Packed, the same lines
// fill rows of one width (the chunk width), each at its own unsqueezed width (PaddleOCR's resize without the
// squeeze into a bucket), and a page needs a few runs of one shape instead of a dozen of seven.
import { REC_IMG_H_PX, REC_TIME_STEP_PX, cropRatio, recResizedWidth } from './rec-preprocess.js';

export interface RecPackingOptions {
  /** Tensor width of every row (a multiple of REC_TIME_STEP_PX); no unit is wider (longer lines are chunked first). */
  rowWidthPx: number;
  /** Rows per run; every run is padded to it with blank rows (one tensor shape). */
  rows: number;
  /** Blank columns between two lines of a row (a multiple of REC_TIME_STEP_PX). */
  gapPx: number;
}

/**
 * Blank columns between packed lines: two line heights (12 time steps). Over the 29 eval pages (CPU EP, chunks of
 * 960 px) packed rows made 402, 407 and 403 errors with gaps of 48, 64 and 96 px, against 458 one line per row; with
 * 48 and 64 the clean pages lost a few characters to their neighbours (a stray "t" read in the gap before the next
 * line), with 96 only one. The wider gap costs about one run in 30.
 */
export const DEFAULT_REC_PACK_GAP_PX = 96;

/** One line (or piece of a line) in a packed row. */
export interface RecSegment {
  /** Index into the sizes the plan was made from. */
  unit: number;
  /** Tensor column where the line's pixels start (a multiple of REC_TIME_STEP_PX). */
  x0Px: number;
  /** Width the line is resized to (min(ceil(48·w/h), rowWidthPx): PaddleOCR's width, never squeezed). */
  widthPx: number;
  /**
   * The tensor columns whose time steps are decoded for this line: from x0Px to the next line's x0Px (the gap
   * after it included), or to the row's end for the row's last line.
   */
  toPx: number;
}

export interface RecPackedBatch {
  /** Tensor rows (≥ segments.length; the rest are blank). */
  rows: number;
  /** Tensor width: RecPackingOptions.rowWidthPx. */
  imgWPx: number;
  /** The lines of each non-blank row, left to right. */
  segments: RecSegment[][];
}

const roundUpToStep = (px: number): number => Math.ceil(px / REC_TIME_STEP_PX) * REC_TIME_STEP_PX;

/** The tensor width of packed rows: rowWidthPx rounded down to a whole time step. */
function packedRowWidthPx(opts: RecPackingOptions): number {
  return Math.floor(opts.rowWidthPx / REC_TIME_STEP_PX) * REC_TIME_STEP_PX;
}

/**
 * Packs units (line crops or pieces, by their sizes) into rows of rowWidthPx: widest first, each into the first
 * row with room (first-fit decreasing), a gap between neighbours; then rows into runs of `rows`. Every unit with
 * a non-zero size is placed exactly once; zero-size units are left out (they read as empty text).
 */
export function planRecPacking(sizes: readonly { width: number; height: number }[], opts: RecPackingOptions): RecPackedBatch[] {
  const rowW = packedRowWidthPx(opts);
  if (!(rowW >= REC_TIME_STEP_PX)) throw new RangeError(`rowWidthPx must be at least ${REC_TIME_STEP_PX} (got ${opts.rowWidthPx})`);
  const gap = roundUpToStep(Math.max(0, opts.gapPx));
  const rowsPerRun = Math.max(1, Math.floor(opts.rows));
  const widths = sizes.map((s) => recResizedWidth(cropRatio(s), rowW));
  const order = widths
    .map((_, i) => i)
    .filter((i) => widths[i]! > 0)
    .sort((a, b) => widths[b]! - widths[a]! || a - b);
  // Per row: its segments and the next free column (the last segment's end plus the gap).
  const rows: { segments: RecSegment[]; nextPx: number }[] = [];
  for (const unit of order) {
    const span = roundUpToStep(widths[unit]!);
    let row = rows.find((r) => r.nextPx + span <= rowW);
    if (!row) rows.push((row = { segments: [], nextPx: 0 }));
    const prev = row.segments[row.segments.length - 1];
    if (prev) prev.toPx = row.nextPx;
    row.segments.push({ unit, x0Px: row.nextPx, widthPx: widths[unit]!, toPx: rowW });
    row.nextPx += span + gap;
  }
  const batches: RecPackedBatch[] = [];
  for (let start = 0; start < rows.length; start += rowsPerRun) {
    batches.push({ rows: rowsPerRun, imgWPx: rowW, segments: rows.slice(start, start + rowsPerRun).map((r) => r.segments) });
  }
  return batches;
}

/** The one tensor shape packed runs have. */
export function recPackedShape(opts: RecPackingOptions): number[] {
  return [Math.max(1, Math.floor(opts.rows)), 3, REC_IMG_H_PX, packedRowWidthPx(opts)];
}

// Recognition preprocessing after PaddleOCR tools/infer/predict_rec.py (__call__ batching, resize_norm_img).
import type { RgbImage } from '../types.js';
import { MIN_PAPER_SPAN_PX, isMarkedGray, paperSpans, type PaperSpans } from '../image/gray.js';
import type { RecPackedBatch } from './rec-packing.js';

/** PP-OCRv3/v4 rec input height (rec_image_shape "3, 48, 320"). */
export const REC_IMG_H_PX = 48;
/** Paddle's minimum tensor width: max_wh_ratio starts at 320/48. */
export const REC_MIN_IMG_W_PX = 320;
/** The CTC head emits one time step per 8 input columns (T = W/8). */
export const REC_TIME_STEP_PX = 8;

/** Growth between consecutive width buckets: a crop is squeezed by at most 1/1.2 ≈ 0.83 (see below). */
export const REC_WIDTH_BUCKET_GROWTH = 1.2;

/**
 * Width buckets 32·round(10·growth^k) px — 320, 384, 448, 544, 672, 800, 960, 1152, 1376, 1664, 1984,
 * 2368, 2848, … — up to maxWidthPx. Multiples of 32, hence of the 8 px time step.
 */
export function geometricWidthBuckets(maxWidthPx: number, growth = REC_WIDTH_BUCKET_GROWTH): number[] {
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const w = 32 * Math.round((REC_MIN_IMG_W_PX / 32) * growth ** k);
    if (w > maxWidthPx) break;
    if (out[out.length - 1] !== w) out.push(w);
  }
  return out;
}

/**
 * Default tensor widths. Every new input shape costs the CUDA EP ~1 s of cuDNN algorithm search
 * (onnxruntime-node cannot switch it off), so widths come from this list. A crop wider than 320 px at
 * 48 px height is squeezed DOWN into the bucket at or below its Paddle width instead of being padded
 * up: measured on 140 rendered lines, padding 10–50 % beyond the content raised CER (1.21 % →
 * 1.43–1.55 %) while squeezing by ≥ 0.83 did not (0.9: 0.95 %, 0.8: 1.33 %); the model was trained on
 * lines squeezed into 320 px, never on extra padding. 18 widths reach 7104 px (w/h ≈ 148); wider lines
 * continue the series (see bucketImgWidth).
 */
export const DEFAULT_REC_WIDTH_BUCKETS_PX: readonly number[] = geometricWidthBuckets(8192);

/**
 * Tensor widths on GPU execution providers without chunking: the CPU's ×1.2 list up to 4096 px (w/h ≈ 85, longer
 * than a full-width 300-dpi A4 line of 9 pt text), 15 shapes, each tuned once at start-up (a new shape costs the
 * CUDA EP 0.3–1.7 s of cuDNN search; one session per shape, see ShapePooledSession). A coarser list would warm up
 * faster but squeezes lines harder, and that costs text: measured on the CPU EP over 84 rendered lines (16–44 px,
 * 7 fonts, English + Chinese), CER 0.66 % with [320, 480, 640, 960, 1280, 1920, 2560, 3840], 0.43 % with ×1.33
 * steps, 0.08 % with this list. Lines past 4096 px continue the series (bucketImgWidth), untuned.
 */
export const GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX: readonly number[] = DEFAULT_REC_WIDTH_BUCKETS_PX.filter((w) => w <= 4096);

/**
 * Widest rec tensor on GPU EPs: longer lines are read in overlapping pieces of this width (rec-chunks.ts), so the
 * GPU tunes and pools only the 7 buckets up to it. Measured on the 525 lines of the 29 eval pages that are wider
 * than 768 px at 48 px height (CPU EP, text after space recovery; 94 errors read whole): 89 errors in pieces of
 * 672 px, 94 of 800, 82 of 960, 87 of 1152, 89 of 1376; the whole eval 471 → 459 errors at 960. Start-up on an
 * H100 (CUDA EP), 15 → 7 rec shapes: FP32 17.6 → 14.7 s (rec warm-up 12.0 → 6.6 s), 2.13 → 1.76 GB RSS; FP16
 * 73.6 → 47.4 s, 3.7 → 2.8 GB. The price: the long lines' pieces hold ~1.4× their tensor columns (overlap, and
 * pieces are not squeezed); on that H100 the rec run per page stayed within ±7 ms (41–85 ms).
 */
export const DEFAULT_GPU_REC_CHUNK_WIDTH_PX = 960;

/**
 * Tensor widths on GPU execution providers when lines are not packed (TextRecognizerOptions.pack false; packed,
 * every row is the chunk width): the CPU's ×1.2 list up to DEFAULT_GPU_REC_CHUNK_WIDTH_PX (320 … 960,
 * 7 shapes instead of GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX's 15), each tuned once at start-up. The buckets are the
 * CPU's, so a line within them gets the same tensor on every EP; wider lines are chunked (TextRecognizer).
 */
export const GPU_REC_WIDTH_BUCKETS_PX: readonly number[] = DEFAULT_REC_WIDTH_BUCKETS_PX.filter((w) => w <= DEFAULT_GPU_REC_CHUNK_WIDTH_PX);

/**
 * Rows per rec run on GPU EPs, every run padded to it (one shape, or one per width bucket unpacked). Measured by
 * tests/bench/gpu-shapes.ts and the bench's --rec-rows: 16 packed rows ran a single stream 17% faster per line
 * but read fewer pages/s with 12 page threads (24.4 against 25.2 steady, H100, 14:42), so 8 stays.
 */
export const DEFAULT_GPU_REC_BATCH_ROWS = 8;

/**
 * The RecBatchingOptions a GPU EP uses: GPU_REC_WIDTH_BUCKETS_PX, `rows` crops per run padded to `rows`,
 * and a column cap that lets even the widest bucket run full batches.
 */
export function gpuRecBatching(rows: number = DEFAULT_GPU_REC_BATCH_ROWS, widthBucketsPx: readonly number[] = GPU_REC_WIDTH_BUCKETS_PX): RecBatchingOptions {
  const n = Math.max(1, Math.floor(rows));
  return { batchSize: n, widthBucketsPx, batchSizeBuckets: [n], maxBatchWidthPx: n * widthBucketsPx[widthBucketsPx.length - 1]! };
}

/**
 * Every tensor shape [rows, 3, 48, width] `planRecBatches` can produce under `opts` for crops up to the
 * last width bucket (longer lines continue the series and are not in the plan). Derived by planning 1…batchSize
 * crops of each bucket's width, so it cannot drift from planRecBatches. Empty for unbucketed widths.
 */
export function recPlanShapes(opts: RecBatchingOptions): number[][] {
  const buckets = opts.widthBucketsPx;
  if (!buckets || buckets.length === 0) return [];
  const shapes: number[][] = [];
  const seen = new Set<string>();
  for (const w of buckets) {
    for (let n = 1; n <= Math.max(1, Math.floor(opts.batchSize)); n++) {
      for (const plan of planRecBatches(Array.from({ length: n }, () => ({ width: w, height: REC_IMG_H_PX })), opts)) {
        const dims = [plan.rows, 3, REC_IMG_H_PX, plan.imgWPx];
        const key = dims.join('x');
        if (!seen.has(key)) {
          seen.add(key);
          shapes.push(dims);
        }
      }
    }
  }
  return shapes;
}

export interface RecBatchingOptions {
  /** Crops per model run (PaddleOCR rec_batch_num = 6). */
  batchSize: number;
  /**
   * Allowed tensor widths, ascending. null = PaddleOCR exactly: sorted crops cut into runs of batchSize,
   * each run as wide as int(48 × max w/h), narrower crops zero-padded. With buckets: crops are grouped
   * by the largest bucket ≤ their own Paddle width and each fills its bucket exactly (squeezed by
   * ≥ 1/growth); crops narrower than the first bucket are padded to it as Paddle pads to 320. A crop's
   * tensor row then depends on nothing but the crop: the text does not change with the batch size, and
   * every EP gets the same tensors.
   */
  widthBucketsPx: readonly number[] | null;
  /**
   * Allowed tensor batch sizes, ascending; a short run is padded with blank rows up to the next one
   * (GPU shape stability; TextRecognizer uses [batchSize] on GPU EPs: one row count per width). null =
   * no blank rows (what a CPU wants).
   */
  batchSizeBuckets: readonly number[] | null;
  /**
   * Bucketed mode: at most this many tensor columns per run (rows × width), so wide buckets run fewer
   * rows. The output alone is rows × W/8 × 6625 floats (26.5 KB per 8 px time step): 24 rows of a 7104 px
   * line would be 565 MB. Default DEFAULT_REC_MAX_BATCH_WIDTH_PX. The cap depends only on the width,
   * so each width keeps a single row count.
   */
  maxBatchWidthPx?: number;
}

/** rows × width per run: ≤ 54 MB of output; batches of 6 stay whole up to 2730 px wide. */
export const DEFAULT_REC_MAX_BATCH_WIDTH_PX = 16384;

export interface RecBatchPlan {
  /** Indices into the caller's crop list, in the order of the tensor's rows. */
  cropIndices: number[];
  /** Tensor batch size (≥ cropIndices.length; extra rows are blank padding). */
  rows: number;
  /** Paddle's width for this batch: int(48 × max(320/48, max w/h)). */
  paddleImgWPx: number;
  /** Tensor width actually run. */
  imgWPx: number;
  /** Width each crop is resized to inside the tensor (the rest of its row is zero padding). */
  resizedWidthsPx: number[];
}

/** w/h of a crop; zero-size crops count as 0 so they sort first and get an empty result. */
export function cropRatio(size: { width: number; height: number }): number {
  return size.width > 0 && size.height > 0 ? size.width / size.height : 0;
}

/** Paddle's per-batch width: int(imgH × max(imgW/imgH, maxWhRatio)). */
export function paddleImgWidth(maxWhRatio: number): number {
  return Math.floor(REC_IMG_H_PX * Math.max(REC_MIN_IMG_W_PX / REC_IMG_H_PX, maxWhRatio));
}

/**
 * Largest bucket ≤ widthPx (the first bucket when widthPx is below it). Past the last bucket the list
 * carries on geometrically with its last growth step, rounded to 32 px: squeezing a long English line
 * into a fixed maximum width destroys it (measured: w/h 98 squeezed into 2368 px, CER 92 %), while at
 * (near) its own width the model still reads w/h 141 lines with CER ≤ 0.3 %.
 */
export function bucketImgWidth(widthPx: number, buckets: readonly number[]): number {
  let chosen = buckets[0]!;
  for (const b of buckets) if (b <= widthPx) chosen = b;
  const last = buckets[buckets.length - 1]!;
  if (widthPx <= last || buckets.length < 2) return chosen;
  const growth = Math.max(1.05, last / buckets[buckets.length - 2]!);
  for (let b = last; ; ) {
    const next = Math.max(b + 32, 32 * Math.round((b * growth) / 32));
    if (next > widthPx) return b;
    b = next;
  }
}

/** Smallest allowed batch size ≥ n (n itself when unbucketed or above every bucket). */
export function bucketBatchSize(n: number, buckets: readonly number[] | null): number {
  if (!buckets) return n;
  for (const b of buckets) if (b >= n) return b;
  return n;
}

/**
 * Paddle's width for a crop inside a batch of width paddleImgWPx: min(ceil(48·w/h), imgW), exactly
 * resize_norm_img.
 */
export function recResizedWidth(ratio: number, paddleImgWPx: number): number {
  if (ratio <= 0) return 0;
  return Math.max(1, Math.min(Math.ceil(REC_IMG_H_PX * ratio), paddleImgWPx));
}

/**
 * Cuts the crops into model runs. Crops are sorted by w/h ascending as PaddleOCR does (stably here;
 * numpy's argsort is not), then batched per `opts` (see RecBatchingOptions.widthBucketsPx).
 */
export function planRecBatches(sizes: readonly { width: number; height: number }[], opts: RecBatchingOptions): RecBatchPlan[] {
  const batchSize = Math.max(1, Math.floor(opts.batchSize));
  const ratios = sizes.map(cropRatio);
  const order = ratios.map((_, i) => i).sort((a, b) => ratios[a]! - ratios[b]! || a - b);
  const plans: RecBatchPlan[] = [];
  const buckets = opts.widthBucketsPx && opts.widthBucketsPx.length > 0 ? opts.widthBucketsPx : null;

  if (!buckets) {
    for (let start = 0; start < order.length; start += batchSize) {
      const cropIndices = order.slice(start, start + batchSize);
      const paddleImgWPx = paddleImgWidth(ratios[cropIndices[cropIndices.length - 1]!]!);
      plans.push({
        cropIndices,
        rows: bucketBatchSize(cropIndices.length, opts.batchSizeBuckets),
        paddleImgWPx,
        imgWPx: paddleImgWPx,
        resizedWidthsPx: cropIndices.map((i) => recResizedWidth(ratios[i]!, paddleImgWPx)),
      });
    }
    return plans;
  }

  // Bucketed: sorted order keeps each bucket's crops contiguous; cut at bucket changes and at batchSize.
  const maxBatchWidthPx = opts.maxBatchWidthPx ?? DEFAULT_REC_MAX_BATCH_WIDTH_PX;
  let start = 0;
  while (start < order.length) {
    const imgWPx = bucketImgWidth(paddleImgWidth(ratios[order[start]!]!), buckets);
    const maxRows = Math.max(1, Math.min(batchSize, Math.floor(maxBatchWidthPx / imgWPx)));
    let end = start + 1;
    while (end < order.length && end - start < maxRows && bucketImgWidth(paddleImgWidth(ratios[order[end]!]!), buckets) === imgWPx) end++;
    const cropIndices = order.slice(start, end);
    plans.push({
      cropIndices,
      rows: Math.min(bucketBatchSize(cropIndices.length, opts.batchSizeBuckets), Math.max(maxRows, cropIndices.length)),
      paddleImgWPx: paddleImgWidth(ratios[cropIndices[cropIndices.length - 1]!]!),
      imgWPx,
      // min(ceil(48·w/h), bucket): a crop narrower than the first bucket keeps its width and is padded
      // as Paddle pads to 320; any wider crop fills its bucket (squeezed by ≥ 1/growth).
      resizedWidthsPx: cropIndices.map((i) => recResizedWidth(ratios[i]!, imgWPx)),
    });
    start = end;
  }
  return plans;
}

/** A growable Float32Array reused across batches, so steady-state preprocessing allocates nothing. */
export class TensorArena {
  #buffer = new Float32Array(0);

  /** A view of exactly `length` floats over the shared buffer (contents undefined). */
  view(length: number): Float32Array {
    if (this.#buffer.length < length) this.#buffer = new Float32Array(Math.max(length, Math.ceil(this.#buffer.length * 1.5)));
    return this.#buffer.subarray(0, length);
  }
}

/** Per-column tables of the bilinear kernel and two horizontally resampled source rows, grown on demand and reused. */
export class ResizeScratch {
  x0 = new Int32Array(0);
  x1 = new Int32Array(0);
  wx = new Float32Array(0);
  /** Two source rows resampled to the output width (interleaved channels): slots 0 and 1. */
  rows = new Float64Array(0);
  /** Per slot, the output columns [start, end) pairs where the row is blank paper (gray crops only). */
  runs = new Int32Array(0);

  ensure(width: number): void {
    if (this.x0.length >= width) return;
    const n = Math.max(width, Math.ceil(this.x0.length * 1.5));
    this.x0 = new Int32Array(n);
    this.x1 = new Int32Array(n);
    this.wx = new Float32Array(n);
  }

  ensureRows(floats: number, runInts: number): void {
    if (this.rows.length < floats) this.rows = new Float64Array(Math.max(floats, Math.ceil(this.rows.length * 1.5)));
    if (this.runs.length < runInts) this.runs = new Int32Array(Math.max(runInts, Math.ceil(this.runs.length * 1.5)));
  }
}

/** (v/255 − 0.5)/0.5 = v/127.5 − 1 for each 8-bit value, as the float32 the tensor stores. */
const NORM_LUT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);
const NORM_WHITE = NORM_LUT[255]!;

/**
 * Horizontal pass of one source row of an RGB crop: 3 values per output column, (s[x0]·(1 − f) + s[x1]·f) in
 * doubles, exactly the first step of the bilinear formula. Records no paper runs (returns 0).
 */
function resampleRowRgb(data: Uint8Array, rowStart: number, dstW: number, x0: Int32Array, x1: Int32Array, wx: Float32Array, into: Float64Array, at: number): number {
  for (let x = 0, o = at; x < dstW; x++, o += 3) {
    const a = rowStart + x0[x]!, b = rowStart + x1[x]!;
    const f = wx[x]!;
    const g = 1 - f;
    into[o] = data[a]! * g + data[b]! * f;
    into[o + 1] = data[a + 1]! * g + data[b + 1]! * f;
    into[o + 2] = data[a + 2]! * g + data[b + 2]! * f;
  }
  return 0;
}

/**
 * Horizontal pass of source row `y` of a gray crop (a pixel's R byte is its value). Output columns whose two
 * taps lie in one blank-paper span are exactly 255 (255·(1 − f) + 255·f: both products and their sum are
 * exact in doubles) and are filled; their [start, end) pairs go to runs[runsAt…]. Returns the number of ints
 * written there.
 */
function resampleRowGray(
  data: Uint8Array,
  rowStart: number,
  dstW: number,
  x0: Int32Array,
  x1: Int32Array,
  wx: Float32Array,
  into: Float64Array,
  at: number,
  spans: PaperSpans | undefined,
  y: number,
  runs: Int32Array,
  runsAt: number,
): number {
  let x = 0;
  let n = 0;
  if (spans !== undefined) {
    const last = spans.rowStart[y + 1]!;
    for (let k = spans.rowStart[y]!; k < last; k++) {
      // Byte offsets (in the row) of the span's first and last pixel; x0/x1 never decrease along the row.
      const lo = 3 * spans.pairs[2 * k]!, hi = 3 * (spans.pairs[2 * k + 1]! - 1);
      for (; x < dstW && x0[x]! < lo; x++) {
        const f = wx[x]!;
        into[at + x] = data[rowStart + x0[x]!]! * (1 - f) + data[rowStart + x1[x]!]! * f;
      }
      let e = x;
      while (e < dstW && x1[e]! <= hi) e++;
      if (e - x >= MIN_PAPER_SPAN_PX) {
        into.fill(255, at + x, at + e);
        runs[runsAt + n++] = x;
        runs[runsAt + n++] = e;
        x = e;
      }
    }
  }
  for (; x < dstW; x++) {
    const f = wx[x]!;
    into[at + x] = data[rowStart + x0[x]!]! * (1 - f) + data[rowStart + x1[x]!]! * f;
  }
  return n;
}

/**
 * Resizes an RGB crop to dstW×dstH with OpenCV INTER_LINEAR's sampling (half-pixel centres, edge clamp, no
 * antialiasing, rounding to 8-bit as cv2 does before Paddle's float conversion) and writes
 * (v/255 − 0.5)/0.5 into three BGR planes of `out`: plane c starts at offset + c·planeStride, rows are
 * rowStride floats apart. Columns dstW…padToPx−1 of each row (default: to rowStride) are set to 0 (Paddle's
 * padding value); a packed row (rec-packing.ts) passes dstW, so lines to the right of this one stay as written.
 * srcX0/srcWidth select a column range of `src` (the classifier's windows); edges clamp inside it.
 * Each source row is resampled horizontally once and kept while neighbouring output rows need it (the
 * value is the same double either way). A crop marked gray (image/gray.ts) is resampled in one channel, and
 * where both of an output pixel's source rows are blank paper there it is white without arithmetic
 * (floor(255·(1 − fy) + 255·fy + 0.5) = 255). The same floats as the per-pixel formula, in every case.
 * No intermediate image, no per-pixel allocation.
 */
export function resizeNormalizeInto(
  src: RgbImage,
  dstW: number,
  dstH: number,
  out: Float32Array,
  offset: number,
  rowStride: number,
  planeStride: number,
  scratch: ResizeScratch,
  srcX0 = 0,
  srcWidth = src.width - srcX0,
  padToPx = rowStride,
): void {
  const { height: srcH, data } = src;
  const srcW = srcWidth;
  if (!(dstW > 0 && srcW > 0 && srcH > 0)) {
    for (let c = 0; c < 3; c++) for (let y = 0; y < dstH; y++) out.fill(0, offset + c * planeStride + y * rowStride, offset + c * planeStride + y * rowStride + padToPx);
    return;
  }
  const gray = isMarkedGray(src);
  const spans = gray ? paperSpans(src) : undefined;
  const rowFloats = gray ? dstW : 3 * dstW;
  scratch.ensure(dstW);
  scratch.ensureRows(2 * rowFloats, 2 * (dstW + 2));
  const { x0, x1, wx, rows, runs } = scratch;
  const scaleX = srcW / dstW;
  for (let x = 0; x < dstW; x++) {
    let fx = (x + 0.5) * scaleX - 0.5;
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) {
      sx = 0;
      fx = 0;
    }
    if (sx >= srcW - 1) {
      sx = srcW - 1;
      fx = 0;
    }
    x0[x] = (srcX0 + sx) * 3;
    x1[x] = (srcX0 + Math.min(sx + 1, srcW - 1)) * 3;
    wx[x] = fx;
  }
  // Slot k (k = 0, 1) holds the horizontal pass of source row slotKRow at rows[k · rowFloats …] and, for gray
  // crops, its paper runs at runs[k · runsStride …] (slotKRuns ints).
  const runsStride = dstW + 2;
  let slot0Row = -1, slot1Row = -1, slot0Runs = 0, slot1Runs = 0;
  const scaleY = srcH / dstH;
  for (let y = 0; y < dstH; y++) {
    let fy = (y + 0.5) * scaleY - 0.5;
    let sy = Math.floor(fy);
    fy -= sy;
    if (sy < 0) {
      sy = 0;
      fy = 0;
    }
    if (sy >= srcH - 1) {
      sy = srcH - 1;
      fy = 0;
    }
    const sy1 = Math.min(sy + 1, srcH - 1);
    // Find or compute both rows; a slot is only overwritten when it does not hold the other row needed.
    for (const need of sy === sy1 ? [sy] : [sy, sy1]) {
      if (slot0Row === need || slot1Row === need) continue;
      const other = need === sy ? sy1 : sy;
      const slot = slot0Row === other ? 1 : 0;
      const n = gray
        ? resampleRowGray(data, need * src.width * 3, dstW, x0, x1, wx, rows, slot * rowFloats, spans, need, runs, slot * runsStride)
        : resampleRowRgb(data, need * src.width * 3, dstW, x0, x1, wx, rows, slot * rowFloats);
      if (slot === 0) {
        slot0Row = need;
        slot0Runs = n;
      } else {
        slot1Row = need;
        slot1Runs = n;
      }
    }
    const top = slot0Row === sy ? 0 : 1, bottom = slot0Row === sy1 ? 0 : 1;
    const h0 = top * rowFloats, h1 = bottom * rowFloats;
    const oB = offset + y * rowStride; // plane 0 = B
    const oG = oB + planeStride;
    const oR = oG + planeStride;
    const gy = 1 - fy;
    if (gray) {
      // Paper in both rows: white; elsewhere the formula. Round to the nearest 8-bit value as cv2.resize on a
      // uint8 image does (the sum is ≥ 0, so | 0 is floor), then normalise to [-1, 1].
      const ra = top * runsStride, na = top === 0 ? slot0Runs : slot1Runs;
      const rb = bottom * runsStride, nb = bottom === 0 ? slot0Runs : slot1Runs;
      let x = 0;
      for (let i = 0, j = 0; i < na && j < nb; ) {
        const s0 = Math.max(runs[ra + i]!, runs[rb + j]!), e0 = Math.min(runs[ra + i + 1]!, runs[rb + j + 1]!);
        if (s0 < e0) {
          for (; x < s0; x++) out[oB + x] = NORM_LUT[(rows[h0 + x]! * gy + rows[h1 + x]! * fy + 0.5) | 0]!;
          out.fill(NORM_WHITE, oB + s0, oB + e0);
          x = e0;
        }
        if (runs[ra + i + 1]! < runs[rb + j + 1]!) i += 2;
        else j += 2;
      }
      for (; x < dstW; x++) out[oB + x] = NORM_LUT[(rows[h0 + x]! * gy + rows[h1 + x]! * fy + 0.5) | 0]!;
      // G and R planes: the same row (a native copy).
      out.copyWithin(oG, oB, oB + dstW);
      out.copyWithin(oR, oB, oB + dstW);
    } else {
      for (let x = 0, k = 0; x < dstW; x++, k += 3) {
        out[oR + x] = NORM_LUT[(rows[h0 + k]! * gy + rows[h1 + k]! * fy + 0.5) | 0]!;
        out[oG + x] = NORM_LUT[(rows[h0 + k + 1]! * gy + rows[h1 + k + 1]! * fy + 0.5) | 0]!;
        out[oB + x] = NORM_LUT[(rows[h0 + k + 2]! * gy + rows[h1 + k + 2]! * fy + 0.5) | 0]!;
      }
    }
    if (dstW < padToPx) {
      out.fill(0, oB + dstW, oB + padToPx);
      out.fill(0, oG + dstW, oG + padToPx);
      out.fill(0, oR + dstW, oR + padToPx);
    }
  }
}

/** A column range of a crop that is run as a crop of its own (a piece of a long line, rec-chunks.ts). */
export interface RecCropWindow {
  x0Px: number;
  widthPx: number;
}

/**
 * Fills `out` (length rows·3·48·imgW) with one batch as [rows, 3, 48, imgW]: each crop resized to its
 * planned width and right-padded with 0; blank padding rows all 0. `windows[i]`, where given, restricts
 * crops[i] to that column range (the plan was made from the window's size).
 */
export function writeRecBatch(
  crops: readonly RgbImage[],
  plan: RecBatchPlan,
  out: Float32Array,
  scratch: ResizeScratch,
  windows?: readonly (RecCropWindow | undefined)[],
): void {
  const planeStride = REC_IMG_H_PX * plan.imgWPx;
  const itemStride = 3 * planeStride;
  for (let row = 0; row < plan.cropIndices.length; row++) {
    const i = plan.cropIndices[row]!;
    const crop = crops[i]!;
    const win = windows?.[i];
    resizeNormalizeInto(crop, plan.resizedWidthsPx[row]!, REC_IMG_H_PX, out, row * itemStride, plan.imgWPx, planeStride, scratch, win?.x0Px ?? 0, win?.widthPx);
  }
  out.fill(0, plan.cropIndices.length * itemStride, plan.rows * itemStride);
}

/**
 * Fills `out` (length rows·3·48·imgW) with one packed batch (rec-packing.ts) as [rows, 3, 48, imgW]: every
 * line resized to its planned width at its planned column, zeros everywhere else (gaps, row tails, blank rows).
 * A row's lines cover it from column 0 to its end (each line's span reaches the next one's start), so each
 * write zeroes its own gap and nothing is written twice. `windows[i]`, where given, restricts crops[i] to that
 * column range.
 */
export function writeRecPackedBatch(
  crops: readonly RgbImage[],
  batch: RecPackedBatch,
  out: Float32Array,
  scratch: ResizeScratch,
  windows?: readonly (RecCropWindow | undefined)[],
): void {
  const planeStride = REC_IMG_H_PX * batch.imgWPx;
  const itemStride = 3 * planeStride;
  batch.segments.forEach((row, r) => {
    for (const seg of row) {
      const win = windows?.[seg.unit];
      const spanPx = seg.toPx - seg.x0Px;
      resizeNormalizeInto(crops[seg.unit]!, seg.widthPx, REC_IMG_H_PX, out, r * itemStride + seg.x0Px, batch.imgWPx, planeStride, scratch, win?.x0Px ?? 0, win?.widthPx, spanPx);
    }
  });
  out.fill(0, batch.segments.length * itemStride, batch.rows * itemStride);
}

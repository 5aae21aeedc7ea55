// Text-line crop after PaddleOCR tools/infer/utility.py get_rotate_crop_image: cv2.getPerspectiveTransform +
// cv2.warpPerspective(INTER_CUBIC, BORDER_REPLICATE) with OpenCV's 1/32-pixel fixed-point bicubic remap.
import type { LineCrop } from '../stages.js';
import type { Quad, RgbImage } from '../types.js';
import { distance } from './geometry.js';
import { PaperSpanBuilder, isGrayRegion, markGray, scanGrayRegion, setPaperSpans } from './gray.js';

/** OpenCV INTER_BITS / INTER_TAB_SIZE: source coordinates are quantised to 1/32 px. */
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
/** OpenCV INTER_REMAP_COEF_BITS: 2-D weights are integers out of 32768. */
const REMAP_COEF_BITS = 15;
const REMAP_COEF_SCALE = 1 << REMAP_COEF_BITS;
/** Tall crops (h/w ≥ this) hold vertical text and are turned 90° CCW (PaddleOCR). */
export const TALL_CROP_RATIO = 1.5;

/**
 * 3×3 homography (row-major) mapping the four `from` points onto the four `to` points, as
 * cv2.getPerspectiveTransform (an 8×8 linear solve with h33 = 1).
 */
export function getPerspectiveTransform(from: Quad, to: Quad): Float64Array {
  const a: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -x * u, -y * u]);
    b.push(u);
    a.push([0, 0, 0, x, y, 1, -x * v, -y * v]);
    b.push(v);
  }
  const h = solveLinear(a, b);
  return Float64Array.of(h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1);
}

/** Gaussian elimination with partial pivoting; a singular system (degenerate quad) gives zeros. */
function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) return new Array<number>(n).fill(0);
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r]![c]! -= f * a[col]![c]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let c = r + 1; c < n; c++) s -= a[r]![c]! * x[c]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

/** OpenCV interpolateCubic (A = −0.75) at fraction x. */
function cubicWeights(x: number): [number, number, number, number] {
  const A = -0.75;
  const c0 = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  const c1 = ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  return [c0, c1, c2, 1 - c0 - c1 - c2].map(Math.fround) as [number, number, number, number];
}

/**
 * OpenCV initInterTab2D for INTER_CUBIC: for each of the 32×32 sub-pixel positions, 16 integer weights summing to
 * exactly 32768 (rounding error pushed onto the largest or smallest of the central four).
 */
function buildCubicTable(): Int32Array {
  const oneD = new Float32Array(INTER_TAB_SIZE * 4);
  for (let i = 0; i < INTER_TAB_SIZE; i++) oneD.set(cubicWeights(i / INTER_TAB_SIZE), i * 4);
  const tab = new Int32Array(INTER_TAB_SIZE * INTER_TAB_SIZE * 16);
  for (let i = 0; i < INTER_TAB_SIZE; i++) {
    for (let j = 0; j < INTER_TAB_SIZE; j++) {
      const base = (i * INTER_TAB_SIZE + j) * 16;
      let sum = 0;
      for (let k1 = 0; k1 < 4; k1++) {
        for (let k2 = 0; k2 < 4; k2++) {
          const w = Math.round(Math.fround(oneD[i * 4 + k1]! * oneD[j * 4 + k2]!) * REMAP_COEF_SCALE);
          tab[base + k1 * 4 + k2] = w;
          sum += w;
        }
      }
      const diff = sum - REMAP_COEF_SCALE;
      if (diff !== 0) {
        let min = base + 5, max = base + 5;
        for (let k1 = 1; k1 < 3; k1++) {
          for (let k2 = 1; k2 < 3; k2++) {
            const at = base + k1 * 4 + k2;
            if (tab[at]! < tab[min]!) min = at;
            else if (tab[at]! > tab[max]!) max = at;
          }
        }
        if (diff < 0) tab[max] = tab[max]! - diff;
        else tab[min] = tab[min]! - diff;
      }
    }
  }
  return tab;
}

let cubicTable: Int32Array | undefined;

/**
 * Source rectangle [x0, x1) × [y0, y1) that a warp's bicubic taps can read: the output corners mapped through
 * `inverse`, widened by the 4×4 kernel's reach. Undefined when the map is not safely projective over the output
 * (w changes sign or vanishes), where the corners would not bound the footprint.
 */
function warpFootprint(src: RgbImage, m: Float64Array, warpW: number, warpH: number): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  let sign = 0;
  for (const [x, y] of [[0, 0], [warpW - 1, 0], [0, warpH - 1], [warpW - 1, warpH - 1]] as const) {
    const w = m[6]! * x + m[7]! * y + m[8]!;
    const s = Math.sign(w);
    if (s === 0 || (sign !== 0 && s !== sign) || !Number.isFinite(w)) return undefined;
    sign = s;
    const u = (m[0]! * x + m[1]! * y + m[2]!) / w, v = (m[3]! * x + m[4]! * y + m[5]!) / w;
    if (!Number.isFinite(u) || !Number.isFinite(v)) return undefined;
    if (u < minX) minX = u;
    if (u > maxX) maxX = u;
    if (v < minY) minY = v;
    if (v > maxY) maxY = v;
  }
  // Taps reach from floor(p) − 1 to floor(p) + 2; one more pixel covers the 1/32-px rounding.
  return {
    x0: Math.max(0, Math.floor(minX) - 2),
    y0: Math.max(0, Math.floor(minY) - 2),
    x1: Math.min(src.width, Math.floor(maxX) + 4),
    y1: Math.min(src.height, Math.floor(maxY) + 4),
  };
}

/**
 * Bicubic perspective warp with border replication. `inverse` maps output (x, y) to source coordinates.
 * With `transposeCcw`, the output is the warp of size `warpW` × `warpH` already turned 90° CCW (np.rot90):
 * output pixel (col j, row i) takes warp pixel (warpW − 1 − i, j), so no second pass is needed.
 * A gray source region (scans) is resampled in one channel and copied to the other two: the same bytes.
 */
export function warpPerspectiveCubic(src: RgbImage, inverse: Float64Array, warpW: number, warpH: number, transposeCcw = false): RgbImage {
  const outW = transposeCcw ? warpH : warpW;
  const outH = transposeCcw ? warpW : warpH;
  const out = new Uint8Array(outW * outH * 3);
  if (outW <= 0 || outH <= 0) return { width: outW, height: outH, data: out };
  // The gray check reads the footprint's bounding box; on a steep line that box is much larger than the
  // crop, and checking it would cost more than the third of the work it can save.
  const fp = warpFootprint(src, inverse, warpW, warpH);
  const gray = fp !== undefined && (fp.x1 - fp.x0) * (fp.y1 - fp.y0) <= 4 * outW * outH + 64 && isGrayRegion(src, fp.x0, fp.y0, fp.x1, fp.y1);
  const spans = gray ? new PaperSpanBuilder(outH) : undefined;
  warpInto(src, inverse, warpW, warpH, transposeCcw, out, gray, gray ? paperWindows(src, fp!) : undefined, spans);
  if (gray) {
    markGray(out);
    setPaperSpans(out, spans!.finish());
  }
  return { width: outW, height: outH, data: out };
}

/**
 * Where a gray footprint is blank paper, in 4 × 4 blocks: `blank[r · groups + g]` is 1 when the pixels of rows
 * y0 + r … y0 + r + 3 and columns x0 + 4g … x0 + 4g + 3 are all 255. An output pixel whose 16 taps lie in two
 * such neighbouring blocks is 255 (the weights sum to 32768), so most of a line crop (78 % paper on the scans)
 * needs no multiplications.
 */
interface PaperWindows {
  blank: Uint8Array;
  groups: number;
  x0: number;
  y0: number;
  /** Rows r with a full 4-row window (r + 3 inside the footprint). */
  windowRows: number;
  /** Columns of the footprint. */
  width: number;
}

/** Output pixels looked at together by the paper test of warpInto (a power of two). */
const PAPER_BLOCK_PX = 8;

/** Whether the source rectangle [xa, xb] × [ya, yb] (inclusive, page pixels) is all blank paper. */
function paperRect(paper: PaperWindows, xa: number, ya: number, xb: number, yb: number): boolean {
  const c0 = xa - paper.x0, c1 = xb - paper.x0, r0 = ya - paper.y0, r1 = yb - paper.y0;
  if (c0 < 0 || r0 < 0 || c1 >= paper.width || r1 - 3 >= paper.windowRows || r1 - r0 < 3) return false;
  const g0 = c0 >> 2, g1 = c1 >> 2;
  // Windows of 4 rows starting at r0, r0 + 4, … and one ending at r1.
  for (let r = r0; ; r += 4) {
    const top = Math.min(r, r1 - 3);
    const at = top * paper.groups;
    for (let g = g0; g <= g1; g++) if (paper.blank[at + g] === 0) return false;
    if (top === r1 - 3) return true;
  }
}

function paperWindows(src: RgbImage, fp: { x0: number; y0: number; x1: number; y1: number }): PaperWindows {
  const width = fp.x1 - fp.x0, height = fp.y1 - fp.y0;
  const groups = (width + 3) >> 2;
  const windowRows = Math.max(0, height - 3);
  const blank = new Uint8Array(Math.max(1, windowRows * groups));
  if (windowRows === 0) return { blank, groups, x0: fp.x0, y0: fp.y0, windowRows, width };
  // 1. Per row, per group of 4 columns: all white? (A gray pixel's R byte is its value; a short last group is not.)
  const rowBlank = new Uint8Array(height * groups);
  const s = src.data, rowBytes = src.width * 3;
  const fullGroups = width >> 2;
  for (let r = 0; r < height; r++) {
    let p = (fp.y0 + r) * rowBytes + fp.x0 * 3;
    const at = r * groups;
    for (let g = 0; g < fullGroups; g++, p += 12) rowBlank[at + g] = (s[p]! & s[p + 3]! & s[p + 6]! & s[p + 9]!) === 255 ? 1 : 0;
  }
  // 2. Four rows at a time.
  for (let r = 0; r < windowRows; r++) {
    const a = r * groups;
    for (let g = 0; g < groups; g++) blank[a + g] = rowBlank[a + g]! & rowBlank[a + groups + g]! & rowBlank[a + 2 * groups + g]! & rowBlank[a + 3 * groups + g]!;
  }
  return { blank, groups, x0: fp.x0, y0: fp.y0, windowRows, width };
}

/**
 * The warp's pixel loop (see warpPerspectiveCubic), with cv2's arithmetic: source position X = round(X0 · 32 / W)
 * in 1/32 px, 16 integer weights out of 32768 from the 32×32 table, rounding shift, saturation. The source
 * coordinate of output pixel j in row i is (m0·x + m1·y) + m2 over (m6·x + m7·y) + m8 as cv2 evaluates it;
 * the product of the row's fixed coordinate is taken once per row (the same double, so the same result).
 */
function warpInto(
  src: RgbImage,
  inverse: Float64Array,
  warpW: number,
  warpH: number,
  transposeCcw: boolean,
  out: Uint8Array,
  gray: boolean,
  paper: PaperWindows | undefined,
  spans: PaperSpanBuilder | undefined,
): void {
  const tab = (cubicTable ??= buildCubicTable());
  const outW = transposeCcw ? warpH : warpW;
  const outH = transposeCcw ? warpW : warpH;
  const sw = src.width, sh = src.height, s = src.data;
  const m0 = inverse[0]!, m1 = inverse[1]!, m2 = inverse[2]!, m3 = inverse[3]!, m4 = inverse[4]!, m5 = inverse[5]!;
  const m6 = inverse[6]!, m7 = inverse[7]!, m8 = inverse[8]!;
  // Coefficients of the coordinate that moves along an output row (x, or y when transposed) and of the fixed one.
  const vx = transposeCcw ? m1 : m0, vy = transposeCcw ? m4 : m3, vw = transposeCcw ? m7 : m6;
  const fx = transposeCcw ? m0 : m1, fy = transposeCcw ? m3 : m4, fw = transposeCcw ? m6 : m7;
  const round = 1 << (REMAP_COEF_BITS - 1);
  const rowBytes = sw * 3;
  const xo = new Int32Array(4);
  const yo = new Int32Array(4);
  let o = 0;
  for (let i = 0; i < outH; i++) {
    const fixed = transposeCcw ? warpW - 1 - i : i;
    const cx = fx * fixed, cy = fy * fixed, cw = fw * fixed;
    // The row's paper runs, from its white blocks (for the cls/rec resizes; see image/gray.ts).
    spans?.beginRow(i);
    let runStart = -1;
    for (let j = 0; j < outW; j++, o += 3) {
      // 0. A block of PAPER_BLOCK_PX output pixels whose taps all lie on blank paper is white, found from its two
      //    end pixels: along an output row the source position moves monotonically (a projective map of a line
      //    segment, with w of one sign over the output as warpFootprint checked; then rounded), so every pixel's
      //    taps lie between theirs; one more pixel each side absorbs any rounding wobble of the doubles.
      if (paper !== undefined && (j & (PAPER_BLOCK_PX - 1)) === 0 && j + PAPER_BLOCK_PX <= outW) {
        const k = j + PAPER_BLOCK_PX - 1;
        let wa = vw * j + cw + m8, wb = vw * k + cw + m8;
        wa = wa ? INTER_TAB_SIZE / wa : 0;
        wb = wb ? INTER_TAB_SIZE / wb : 0;
        const xa = Math.round((vx * j + cx + m2) * wa) >> INTER_BITS, xb = Math.round((vx * k + cx + m2) * wb) >> INTER_BITS;
        const ya = Math.round((vy * j + cy + m5) * wa) >> INTER_BITS, yb = Math.round((vy * k + cy + m5) * wb) >> INTER_BITS;
        if (paperRect(paper, Math.min(xa, xb) - 2, Math.min(ya, yb) - 2, Math.max(xa, xb) + 3, Math.max(ya, yb) + 3)) {
          out.fill(255, o, o + 3 * PAPER_BLOCK_PX);
          if (runStart < 0) runStart = j;
          j += PAPER_BLOCK_PX - 1;
          o += 3 * (PAPER_BLOCK_PX - 1);
          continue;
        }
      }
      if (runStart >= 0) {
        spans!.add(runStart, j);
        runStart = -1;
      }
      // 1. Source position in 1/32 px, rounded like cv2 (X = round(X0 · 32 / W)).
      let w = vw * j + cw + m8;
      w = w ? INTER_TAB_SIZE / w : 0;
      const fxq = Math.round((vx * j + cx + m2) * w);
      const fyq = Math.round((vy * j + cy + m5) * w);
      const sx = fxq >> INTER_BITS, sy = fyq >> INTER_BITS;
      const ax = fxq & (INTER_TAB_SIZE - 1), ay = fyq & (INTER_TAB_SIZE - 1);
      // 2. Whole-pixel positions inside the image copy the pixel.
      if (ax === 0 && ay === 0 && sx >= 0 && sy >= 0 && sx < sw && sy < sh) {
        const p = (sy * sw + sx) * 3;
        out[o] = s[p]!;
        out[o + 1] = s[p + 1]!;
        out[o + 2] = s[p + 2]!;
        continue;
      }
      const t = (ay * INTER_TAB_SIZE + ax) * 16;
      if (sx >= 1 && sy >= 1 && sx + 2 < sw && sy + 2 < sh) {
        // 3a. All 16 taps inside the image (almost every pixel). On blank paper the result is white.
        if (paper !== undefined) {
          const r = sy - 1 - paper.y0, c = sx - 1 - paper.x0;
          if (r >= 0 && r < paper.windowRows && c >= 0 && c + 3 < paper.width) {
            const at = r * paper.groups;
            if ((paper.blank[at + (c >> 2)]! & paper.blank[at + ((c + 3) >> 2)]!) !== 0) {
              out[o] = 255;
              out[o + 1] = 255;
              out[o + 2] = 255;
              continue;
            }
          }
        }
        // Straight offsets, unrolled.
        const p0 = ((sy - 1) * sw + (sx - 1)) * 3, p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
        const w00 = tab[t]!, w01 = tab[t + 1]!, w02 = tab[t + 2]!, w03 = tab[t + 3]!;
        const w10 = tab[t + 4]!, w11 = tab[t + 5]!, w12 = tab[t + 6]!, w13 = tab[t + 7]!;
        const w20 = tab[t + 8]!, w21 = tab[t + 9]!, w22 = tab[t + 10]!, w23 = tab[t + 11]!;
        const w30 = tab[t + 12]!, w31 = tab[t + 13]!, w32 = tab[t + 14]!, w33 = tab[t + 15]!;
        let r = (s[p0]! * w00 + s[p0 + 3]! * w01 + s[p0 + 6]! * w02 + s[p0 + 9]! * w03
          + s[p1]! * w10 + s[p1 + 3]! * w11 + s[p1 + 6]! * w12 + s[p1 + 9]! * w13
          + s[p2]! * w20 + s[p2 + 3]! * w21 + s[p2 + 6]! * w22 + s[p2 + 9]! * w23
          + s[p3]! * w30 + s[p3 + 3]! * w31 + s[p3 + 6]! * w32 + s[p3 + 9]! * w33 + round) >> REMAP_COEF_BITS;
        r = r < 0 ? 0 : r > 255 ? 255 : r;
        out[o] = r;
        if (gray) {
          out[o + 1] = r;
          out[o + 2] = r;
          continue;
        }
        let g = (s[p0 + 1]! * w00 + s[p0 + 4]! * w01 + s[p0 + 7]! * w02 + s[p0 + 10]! * w03
          + s[p1 + 1]! * w10 + s[p1 + 4]! * w11 + s[p1 + 7]! * w12 + s[p1 + 10]! * w13
          + s[p2 + 1]! * w20 + s[p2 + 4]! * w21 + s[p2 + 7]! * w22 + s[p2 + 10]! * w23
          + s[p3 + 1]! * w30 + s[p3 + 4]! * w31 + s[p3 + 7]! * w32 + s[p3 + 10]! * w33 + round) >> REMAP_COEF_BITS;
        let b = (s[p0 + 2]! * w00 + s[p0 + 5]! * w01 + s[p0 + 8]! * w02 + s[p0 + 11]! * w03
          + s[p1 + 2]! * w10 + s[p1 + 5]! * w11 + s[p1 + 8]! * w12 + s[p1 + 11]! * w13
          + s[p2 + 2]! * w20 + s[p2 + 5]! * w21 + s[p2 + 8]! * w22 + s[p2 + 11]! * w23
          + s[p3 + 2]! * w30 + s[p3 + 5]! * w31 + s[p3 + 8]! * w32 + s[p3 + 11]! * w33 + round) >> REMAP_COEF_BITS;
        out[o + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
        out[o + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
        continue;
      }
      // 3b. Near the border: taps clamped to the image (BORDER_REPLICATE).
      for (let k = 0; k < 4; k++) {
        const xx = sx - 1 + k, yy = sy - 1 + k;
        xo[k] = (xx < 0 ? 0 : xx >= sw ? sw - 1 : xx) * 3;
        yo[k] = (yy < 0 ? 0 : yy >= sh ? sh - 1 : yy) * rowBytes;
      }
      let r = 0, g = 0, b = 0;
      for (let k1 = 0; k1 < 4; k1++) {
        const row = yo[k1]!;
        for (let k2 = 0; k2 < 4; k2++) {
          const wt = tab[t + k1 * 4 + k2]!;
          const p = row + xo[k2]!;
          r += s[p]! * wt;
          g += s[p + 1]! * wt;
          b += s[p + 2]! * wt;
        }
      }
      r = (r + round) >> REMAP_COEF_BITS;
      g = (g + round) >> REMAP_COEF_BITS;
      b = (b + round) >> REMAP_COEF_BITS;
      out[o] = r < 0 ? 0 : r > 255 ? 255 : r;
      out[o + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
      out[o + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
    if (runStart >= 0) spans!.add(runStart, outW);
  }
}

/**
 * The warp of an axis-aligned rectangle with integer corners inside the page, at its own size: every output
 * pixel lands on a whole source pixel, so warpPerspectiveCubic copies pixels (its step 2), and here whole rows
 * are copied instead. Most boxes on upright pages are such rectangles. Undefined for any other quad.
 */
function copyAxisAlignedRect(page: RgbImage, quad: Quad, w: number, h: number, transposeCcw: boolean): RgbImage | undefined {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = quad;
  if (y1 !== y0 || x3 !== x0 || x2 !== x1 || y2 !== y3) return undefined;
  if (!Number.isInteger(x0) || !Number.isInteger(y0) || !Number.isInteger(x1) || !Number.isInteger(y3)) return undefined;
  if (x1 - x0 !== w || y3 - y0 !== h || x0 < 0 || y0 < 0 || x1 > page.width || y3 > page.height) return undefined;
  const s = page.data;
  const rowBytes = page.width * 3;
  const out = new Uint8Array(w * h * 3);
  if (!transposeCcw) {
    for (let i = 0; i < h; i++) {
      const from = (y0 + i) * rowBytes + x0 * 3;
      out.set(s.subarray(from, from + w * 3), i * w * 3);
    }
  } else {
    // np.rot90 of the copy: output row i is source column x0 + w − 1 − i, read top to bottom.
    let o = 0;
    for (let i = 0; i < w; i++) {
      for (let j = 0, p = y0 * rowBytes + (x0 + w - 1 - i) * 3; j < h; j++, o += 3, p += rowBytes) {
        out[o] = s[p]!;
        out[o + 1] = s[p + 1]!;
        out[o + 2] = s[p + 2]!;
      }
    }
  }
  // Upright copies keep the page's rows: their paper runs are found by the same pass as the gray test.
  const paper = transposeCcw ? undefined : new PaperSpanBuilder(h);
  if (scanGrayRegion(page, x0, y0, x1, y3, paper)) {
    markGray(out);
    if (paper) setPaperSpans(out, paper.finish());
  }
  return { width: transposeCcw ? h : w, height: transposeCcw ? w : h, data: out };
}

/**
 * get_rotate_crop_image: warps `quad` of the full-resolution page onto an upright int(max width) ×
 * int(max height) rectangle; crops at least 1.5× taller than wide are turned 90° CCW so vertical text reads
 * left to right. The returned quad lists the page points at the crop's TL, TR, BR, BL.
 */
export function cropQuad(page: RgbImage, quad: Quad): LineCrop {
  const w = Math.max(1, Math.trunc(Math.max(distance(quad[0], quad[1]), distance(quad[2], quad[3]))));
  const h = Math.max(1, Math.trunc(Math.max(distance(quad[0], quad[3]), distance(quad[1], quad[2]))));
  // Map output → page directly (cv2 inverts the forward matrix; same result).
  const inverse = getPerspectiveTransform([[0, 0], [w, 0], [w, h], [0, h]], quad);
  const rotated90 = h / w >= TALL_CROP_RATIO;
  const image = copyAxisAlignedRect(page, quad, w, h, rotated90) ?? warpPerspectiveCubic(page, inverse, w, h, rotated90);
  const [p0, p1, p2, p3] = quad;
  const cropQuadPoints: Quad = rotated90
    ? [[...p1], [...p2], [...p3], [...p0]]
    : [[...p0], [...p1], [...p2], [...p3]];
  return { image, quad: cropQuadPoints, rotated90 };
}

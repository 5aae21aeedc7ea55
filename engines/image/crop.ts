// Text-line crop after PaddleOCR tools/infer/utility.py get_rotate_crop_image: cv2.getPerspectiveTransform +
// cv2.warpPerspective(INTER_CUBIC, BORDER_REPLICATE) with OpenCV's 1/32-pixel fixed-point bicubic remap.
import type { LineCrop } from '../stages.js';
import type { Quad, RgbImage } from '../types.js';
import { distance } from './geometry.js';

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
 * Bicubic perspective warp with border replication. `inverse` maps output (x, y) to source coordinates.
 * With `transposeCcw`, the output is the warp of size `warpW` × `warpH` already turned 90° CCW (np.rot90):
 * output pixel (col j, row i) takes warp pixel (warpW − 1 − i, j), so no second pass is needed.
 */
export function warpPerspectiveCubic(src: RgbImage, inverse: Float64Array, warpW: number, warpH: number, transposeCcw = false): RgbImage {
  const tab = (cubicTable ??= buildCubicTable());
  const outW = transposeCcw ? warpH : warpW;
  const outH = transposeCcw ? warpW : warpH;
  const out = new Uint8Array(outW * outH * 3);
  const sw = src.width, sh = src.height, s = src.data;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = inverse as unknown as number[];
  const round = 1 << (REMAP_COEF_BITS - 1);
  const rowBytes = sw * 3;
  const xo = new Int32Array(4);
  const yo = new Int32Array(4);
  let o = 0;
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++, o += 3) {
      const x = transposeCcw ? warpW - 1 - i : j;
      const y = transposeCcw ? j : i;
      // 1. Source position in 1/32 px, rounded like cv2 (X = round(X0 · 32 / W)).
      let w = m6! * x + m7! * y + m8!;
      w = w ? INTER_TAB_SIZE / w : 0;
      const fxq = Math.round((m0! * x + m1! * y + m2!) * w);
      const fyq = Math.round((m3! * x + m4! * y + m5!) * w);
      const sx = fxq >> INTER_BITS, sy = fyq >> INTER_BITS;
      const ax = fxq & (INTER_TAB_SIZE - 1), ay = fyq & (INTER_TAB_SIZE - 1);
      // 2. Whole-pixel positions inside the image copy the pixel (axis-aligned boxes are almost all of them).
      if (ax === 0 && ay === 0 && sx >= 0 && sy >= 0 && sx < sw && sy < sh) {
        const p = (sy * sw + sx) * 3;
        out[o] = s[p]!;
        out[o + 1] = s[p + 1]!;
        out[o + 2] = s[p + 2]!;
        continue;
      }
      const t = (ay * INTER_TAB_SIZE + ax) * 16;
      let r = 0, g = 0, b = 0;
      if (sx >= 1 && sy >= 1 && sx + 2 < sw && sy + 2 < sh) {
        // 3a. All 16 taps inside the image (almost every pixel): straight offsets, unrolled per row.
        let p = ((sy - 1) * sw + (sx - 1)) * 3;
        for (let k1 = 0; k1 < 4; k1++, p += rowBytes) {
          const w0 = tab[t + k1 * 4]!, w1 = tab[t + k1 * 4 + 1]!, w2 = tab[t + k1 * 4 + 2]!, w3 = tab[t + k1 * 4 + 3]!;
          r += s[p]! * w0 + s[p + 3]! * w1 + s[p + 6]! * w2 + s[p + 9]! * w3;
          g += s[p + 1]! * w0 + s[p + 4]! * w1 + s[p + 7]! * w2 + s[p + 10]! * w3;
          b += s[p + 2]! * w0 + s[p + 5]! * w1 + s[p + 8]! * w2 + s[p + 11]! * w3;
        }
      } else {
        // 3b. Near the border: taps clamped to the image (BORDER_REPLICATE).
        for (let k = 0; k < 4; k++) {
          const xx = sx - 1 + k, yy = sy - 1 + k;
          xo[k] = (xx < 0 ? 0 : xx >= sw ? sw - 1 : xx) * 3;
          yo[k] = (yy < 0 ? 0 : yy >= sh ? sh - 1 : yy) * rowBytes;
        }
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
      }
      r = (r + round) >> REMAP_COEF_BITS;
      g = (g + round) >> REMAP_COEF_BITS;
      b = (b + round) >> REMAP_COEF_BITS;
      out[o] = r < 0 ? 0 : r > 255 ? 255 : r;
      out[o + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
      out[o + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
  }
  return { width: outW, height: outH, data: out };
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
  const image = warpPerspectiveCubic(page, inverse, w, h, rotated90);
  const [p0, p1, p2, p3] = quad;
  const cropQuadPoints: Quad = rotated90
    ? [[...p1], [...p2], [...p3], [...p0]]
    : [[...p0], [...p1], [...p2], [...p3]];
  return { image, quad: cropQuadPoints, rotated90 };
}

// Text-line crop after PaddleOCR tools/infer/utility.py get_rotate_crop_image: cv2.getPerspectiveTransform +
// cv2.warpPerspective(INTER_CUBIC, BORDER_REPLICATE) with OpenCV's 1/32-pixel fixed-point bicubic remap.
import type { LineCrop } from '../stages.js';
import type { Quad, RgbImage } from '../types.js';
import { distance } from './geometry.js';
import { PaperSpanBuilder, grayWords, markGray, rgbWords, scanGrayRegion, setPaperSpans } from './gray.js';

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

/** warpPerspectiveCubic's output size and inverse map, as its pixel loops walk them (one output row at a time). */
interface WarpAxes {
  outW: number;
  outH: number;
  warpW: number;
  transposeCcw: boolean;
  /** Coefficients of the coordinate that moves along an output row (x, or y when transposed). */
  vx: number;
  vy: number;
  vw: number;
  /** Coefficients of the coordinate fixed for the row. */
  fx: number;
  fy: number;
  fw: number;
  m2: number;
  m5: number;
  m8: number;
}

function warpAxes(inverse: Float64Array, warpW: number, warpH: number, transposeCcw: boolean): WarpAxes {
  const m0 = inverse[0]!, m1 = inverse[1]!, m3 = inverse[3]!, m4 = inverse[4]!, m6 = inverse[6]!, m7 = inverse[7]!;
  return {
    outW: transposeCcw ? warpH : warpW,
    outH: transposeCcw ? warpW : warpH,
    warpW,
    transposeCcw,
    vx: transposeCcw ? m1 : m0, vy: transposeCcw ? m4 : m3, vw: transposeCcw ? m7 : m6,
    fx: transposeCcw ? m0 : m1, fy: transposeCcw ? m3 : m4, fw: transposeCcw ? m6 : m7,
    m2: inverse[2]!, m5: inverse[5]!, m8: inverse[8]!,
  };
}

/**
 * Bicubic perspective warp with border replication. `inverse` maps output (x, y) to source coordinates.
 * With `transposeCcw`, the output is the warp of size `warpW` × `warpH` already turned 90° CCW (np.rot90):
 * output pixel (col j, row i) takes warp pixel (warpW − 1 − i, j), so no second pass is needed.
 * A gray source region (scans) is resampled in one channel and copied to the other two: the same bytes.
 */
export function warpPerspectiveCubic(src: RgbImage, inverse: Float64Array, warpW: number, warpH: number, transposeCcw = false): RgbImage {
  const axes = warpAxes(inverse, warpW, warpH, transposeCcw);
  const { outW, outH } = axes;
  const out = new Uint8Array(outW * outH * 3);
  if (outW <= 0 || outH <= 0) return { width: outW, height: outH, data: out };
  // The gray check reads the footprint's bounding box; on a steep line that box is much larger than the
  // crop, and checking it would cost more than the third of the work it can save.
  const fp = warpFootprint(src, inverse, warpW, warpH);
  const plane = fp !== undefined && (fp.x1 - fp.x0) * (fp.y1 - fp.y0) <= 4 * outW * outH + 64 ? grayFootprint(src, fp) : undefined;
  if (plane === undefined) {
    warpRgbInto(src, axes, out);
    return { width: outW, height: outH, data: out };
  }
  const spans = new PaperSpanBuilder(outH);
  warpGrayInto(src, axes, out, plane, spans);
  markGray(out);
  setPaperSpans(out, spans.finish());
  return { width: outW, height: outH, data: out };
}

/**
 * The R bytes of a gray footprint as one compact plane (rows `stride` bytes apart, a multiple of 4, the padding
 * 0), and where it is blank paper. One pass over the page both checks the footprint gray and copies it out; the
 * warp's taps then read 4 neighbouring bytes per row instead of every third byte of the page. An output pixel
 * whose 16 taps are all 255 is 255 (the weights sum to 32768), so most of a line crop needs no multiplications:
 * `down` answers that for one pixel with one 4-byte read, `blank` for a block of output pixels (paperRect).
 */
interface GrayPlane {
  data: Uint8Array;
  stride: number;
  /** Footprint origin and size (page pixels). */
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Per 4 × 4 block: 1 when the pixels of rows r … r + 3, columns 4g … 4g + 3 are all 255 (at r · groups + g). */
  blank: Uint8Array;
  /** Byte r · stride + c: the AND of rows r … r + 3 of column c (255 when all four are paper). */
  down: Uint8Array;
  downView: DataView;
  groups: number;
  /** Rows r with a full 4-row window (r + 3 inside the footprint). */
  windowRows: number;
}

/**
 * Bytes of the GrayPlane of the warp in progress (plane, down, blank), grown on demand and reused: a page's
 * footprints would otherwise allocate about twice their pixel count, crop after crop. Warps run to completion, so
 * one buffer serves them all.
 */
let footprintBytes = new ArrayBuffer(0);

/** The footprint's GrayPlane, or undefined as soon as a pixel is not gray (a colour page costs about one row). */
function grayFootprint(src: RgbImage, fp: { x0: number; y0: number; x1: number; y1: number }): GrayPlane | undefined {
  const width = fp.x1 - fp.x0, height = fp.y1 - fp.y0;
  const stride = (width + 3) & ~3;
  const groups = stride >> 2;
  const windowRows = Math.max(0, height - 3);
  // Plane, down and blank, each a multiple of 4 bytes long (so the word views below are aligned).
  const planeLen = Math.max(4, stride * height), downLen = Math.max(4, windowRows * stride), blankLen = Math.max(4, (windowRows * groups + 3) & ~3);
  if (footprintBytes.byteLength < planeLen + downLen + blankLen) footprintBytes = new ArrayBuffer(Math.ceil((planeLen + downLen + blankLen) * 1.5));
  const plane = new Uint8Array(footprintBytes, 0, planeLen);
  const s = src.data, rowBytes = src.width * 3;
  // As image/gray.ts scanGrayRegion: four pixels are three aligned words [a a a b] [b b c c] [c d d d].
  const { lead, words } = rgbWords(s);
  for (let y = 0; y < height; y++) {
    let p = (fp.y0 + y) * rowBytes + fp.x0 * 3;
    const end = p + width * 3;
    let q = y * stride;
    if (words !== undefined) {
      for (; p < end && ((p - lead) & 3) !== 0; p += 3) {
        const v = s[p]!;
        if (s[p + 1] !== v || s[p + 2] !== v) return undefined;
        plane[q++] = v;
      }
      for (let k = (p - lead) >> 2; p + 12 <= end; p += 12, k += 3, q += 4) {
        const w0 = words[k]!, w1 = words[k + 1]!, w2 = words[k + 2]!;
        if (!grayWords(w0, w1, w2)) return undefined;
        plane[q] = w0 & 0xff;
        plane[q + 1] = w0 >>> 24;
        plane[q + 2] = (w1 >>> 16) & 0xff;
        plane[q + 3] = (w2 >>> 8) & 0xff;
      }
    }
    for (; p < end; p += 3) {
      const v = s[p]!;
      if (s[p + 1] !== v || s[p + 2] !== v) return undefined;
      plane[q++] = v;
    }
    // The row's padding is 0 (the buffer is reused, so it is written).
    for (const rowEnd = (y + 1) * stride; q < rowEnd; q++) plane[q] = 0;
  }
  // Blank blocks: a word of the plane is 4 columns of one row (the padding, 0, keeps a short last group out).
  const down = new Uint8Array(footprintBytes, planeLen, downLen);
  const blank = new Uint8Array(footprintBytes, planeLen + downLen, blankLen);
  const w32 = new Uint32Array(plane.buffer, plane.byteOffset, plane.length >> 2);
  const d32 = new Int32Array(down.buffer, down.byteOffset, down.length >> 2);
  for (let r = 0, a = 0; r < windowRows; r++) {
    for (let g = 0; g < groups; g++, a++) {
      const and = w32[a]! & w32[a + groups]! & w32[a + 2 * groups]! & w32[a + 3 * groups]!;
      d32[a] = and;
      blank[a] = and === -1 ? 1 : 0;
    }
  }
  return { data: plane, stride, x0: fp.x0, y0: fp.y0, width, height, blank, down, downView: new DataView(down.buffer, down.byteOffset, down.length), groups, windowRows };
}

/** Output pixels looked at together by the paper test of warpGrayInto (a power of two). */
const PAPER_BLOCK_PX = 8;

/** Whether the source rectangle [xa, xb] × [ya, yb] (inclusive, page pixels) is all blank paper. */
function paperRect(paper: GrayPlane, xa: number, ya: number, xb: number, yb: number): boolean {
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

/** Per-row source positions of warpGrayInto (1/32 px), grown on demand. */
let rowX = new Int32Array(0);
let rowY = new Int32Array(0);

/**
 * The warp's pixel loop for a gray footprint (see warpPerspectiveCubic), with cv2's arithmetic: source position
 * X = round(X0 · 32 / W) in 1/32 px, 16 integer weights out of 32768 from the 32×32 table, rounding shift,
 * saturation. The source coordinate of output pixel j in row i is (m0·x + m1·y) + m2 over (m6·x + m7·y) + m8 as
 * cv2 evaluates it; the product of the row's fixed coordinate is taken once per row (the same double, so the
 * same result). A row's positions are computed first, in a loop of their own, and shared by the paper test and
 * the taps. Records the crop's paper: every run of white output (see image/gray.ts).
 */
function warpGrayInto(src: RgbImage, axes: WarpAxes, out: Uint8Array, plane: GrayPlane, spans: PaperSpanBuilder): void {
  const tab = (cubicTable ??= buildCubicTable());
  const { outW, outH, warpW, transposeCcw, vx, vy, vw, fx, fy, fw, m2, m5, m8 } = axes;
  const sw = src.width, sh = src.height, s = src.data;
  const round = 1 << (REMAP_COEF_BITS - 1);
  const rowBytes = sw * 3;
  const g = plane.data, ps = plane.stride, px0 = plane.x0, py0 = plane.y0, pw = plane.width, ph = plane.height;
  const down = plane.downView;
  if (rowX.length < outW) {
    rowX = new Int32Array(outW);
    rowY = new Int32Array(outW);
  }
  const X = rowX, Y = rowY;
  const xo = new Int32Array(4);
  const yo = new Int32Array(4);
  let o = 0;
  for (let i = 0; i < outH; i++) {
    const fixed = transposeCcw ? warpW - 1 - i : i;
    const cx = fx * fixed, cy = fy * fixed, cw = fw * fixed;
    // 1. Source positions in 1/32 px, rounded like cv2 (X = round(X0 · 32 / W)). Int32Array stores wrap a
    //    huge value as the >> of the per-pixel formula did (ToInt32), so every use below sees the same integer.
    if (vw === 0 && cw === 0) {
      // An affine map (m6 = m7 = 0, so most boxes): W is m8 for every pixel (±0 terms add nothing), and its
      // quotient is the same double each time.
      let w = m8;
      w = w ? INTER_TAB_SIZE / w : 0;
      for (let j = 0; j < outW; j++) {
        X[j] = Math.round((vx * j + cx + m2) * w);
        Y[j] = Math.round((vy * j + cy + m5) * w);
      }
    } else {
      for (let j = 0; j < outW; j++) {
        let w = vw * j + cw + m8;
        w = w ? INTER_TAB_SIZE / w : 0;
        X[j] = Math.round((vx * j + cx + m2) * w);
        Y[j] = Math.round((vy * j + cy + m5) * w);
      }
    }
    spans.beginRow(i);
    let runStart = -1;
    for (let j = 0; j < outW; j++, o += 3) {
      // 2. A block of PAPER_BLOCK_PX output pixels whose taps all lie on blank paper is white, found from its two
      //    end pixels: along an output row the source position moves monotonically (a projective map of a line
      //    segment, with w of one sign over the output as warpFootprint checked; then rounded), so every pixel's
      //    taps lie between theirs; one more pixel each side absorbs any rounding wobble of the doubles.
      if ((j & (PAPER_BLOCK_PX - 1)) === 0 && j + PAPER_BLOCK_PX <= outW) {
        const k = j + PAPER_BLOCK_PX - 1;
        const xa = X[j]! >> INTER_BITS, xb = X[k]! >> INTER_BITS;
        const ya = Y[j]! >> INTER_BITS, yb = Y[k]! >> INTER_BITS;
        if (paperRect(plane, Math.min(xa, xb) - 2, Math.min(ya, yb) - 2, Math.max(xa, xb) + 3, Math.max(ya, yb) + 3)) {
          out.fill(255, o, o + 3 * PAPER_BLOCK_PX);
          if (runStart < 0) runStart = j;
          j += PAPER_BLOCK_PX - 1;
          o += 3 * (PAPER_BLOCK_PX - 1);
          continue;
        }
      }
      const fxq = X[j]!, fyq = Y[j]!;
      const sx = fxq >> INTER_BITS, sy = fyq >> INTER_BITS;
      const ax = fxq & (INTER_TAB_SIZE - 1), ay = fyq & (INTER_TAB_SIZE - 1);
      let v: number;
      const r0 = sy - 1 - py0, c0 = sx - 1 - px0;
      if (ax === 0 && ay === 0 && sx >= 0 && sy >= 0 && sx < sw && sy < sh) {
        // 3. Whole-pixel positions inside the image copy the pixel.
        v = s[(sy * sw + sx) * 3]!;
      } else if (r0 >= 0 && c0 >= 0 && r0 + 3 < ph && c0 + 3 < pw) {
        // 4. All 16 taps inside the footprint (almost every pixel). On blank paper the result is white.
        const q0 = r0 * ps + c0;
        if (down.getInt32(q0, true) === -1) v = 255;
        else {
          const t = (ay * INTER_TAB_SIZE + ax) * 16;
          const q1 = q0 + ps, q2 = q1 + ps, q3 = q2 + ps;
          v = (g[q0]! * tab[t]! + g[q0 + 1]! * tab[t + 1]! + g[q0 + 2]! * tab[t + 2]! + g[q0 + 3]! * tab[t + 3]!
            + g[q1]! * tab[t + 4]! + g[q1 + 1]! * tab[t + 5]! + g[q1 + 2]! * tab[t + 6]! + g[q1 + 3]! * tab[t + 7]!
            + g[q2]! * tab[t + 8]! + g[q2 + 1]! * tab[t + 9]! + g[q2 + 2]! * tab[t + 10]! + g[q2 + 3]! * tab[t + 11]!
            + g[q3]! * tab[t + 12]! + g[q3 + 1]! * tab[t + 13]! + g[q3 + 2]! * tab[t + 14]! + g[q3 + 3]! * tab[t + 15]! + round) >> REMAP_COEF_BITS;
          v = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      } else {
        // 5. Elsewhere (taps outside the footprint, near the page border): taps clamped to the page
        //    (BORDER_REPLICATE), R channel.
        const t = (ay * INTER_TAB_SIZE + ax) * 16;
        for (let k = 0; k < 4; k++) {
          const xx = sx - 1 + k, yy = sy - 1 + k;
          xo[k] = (xx < 0 ? 0 : xx >= sw ? sw - 1 : xx) * 3;
          yo[k] = (yy < 0 ? 0 : yy >= sh ? sh - 1 : yy) * rowBytes;
        }
        let r = 0;
        for (let k1 = 0; k1 < 4; k1++) {
          const row = yo[k1]!;
          for (let k2 = 0; k2 < 4; k2++) r += s[row + xo[k2]!]! * tab[t + k1 * 4 + k2]!;
        }
        r = (r + round) >> REMAP_COEF_BITS;
        v = r < 0 ? 0 : r > 255 ? 255 : r;
      }
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      if (v === 255) {
        if (runStart < 0) runStart = j;
      } else if (runStart >= 0) {
        spans.add(runStart, j);
        runStart = -1;
      }
    }
    if (runStart >= 0) spans.add(runStart, outW);
  }
}

/**
 * The warp's pixel loop for a colour source (see warpPerspectiveCubic and warpGrayInto): all three channels.
 */
function warpRgbInto(src: RgbImage, axes: WarpAxes, out: Uint8Array): void {
  const tab = (cubicTable ??= buildCubicTable());
  const { outW, outH, warpW, transposeCcw, vx, vy, vw, fx, fy, fw, m2, m5, m8 } = axes;
  const sw = src.width, sh = src.height, s = src.data;
  const round = 1 << (REMAP_COEF_BITS - 1);
  const rowBytes = sw * 3;
  const xo = new Int32Array(4);
  const yo = new Int32Array(4);
  let o = 0;
  for (let i = 0; i < outH; i++) {
    const fixed = transposeCcw ? warpW - 1 - i : i;
    const cx = fx * fixed, cy = fy * fixed, cw = fw * fixed;
    for (let j = 0; j < outW; j++, o += 3) {
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
        // 3a. All 16 taps inside the image (almost every pixel): straight offsets, unrolled.
        const p0 = ((sy - 1) * sw + (sx - 1)) * 3, p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
        const w00 = tab[t]!, w01 = tab[t + 1]!, w02 = tab[t + 2]!, w03 = tab[t + 3]!;
        const w10 = tab[t + 4]!, w11 = tab[t + 5]!, w12 = tab[t + 6]!, w13 = tab[t + 7]!;
        const w20 = tab[t + 8]!, w21 = tab[t + 9]!, w22 = tab[t + 10]!, w23 = tab[t + 11]!;
        const w30 = tab[t + 12]!, w31 = tab[t + 13]!, w32 = tab[t + 14]!, w33 = tab[t + 15]!;
        const r = (s[p0]! * w00 + s[p0 + 3]! * w01 + s[p0 + 6]! * w02 + s[p0 + 9]! * w03
          + s[p1]! * w10 + s[p1 + 3]! * w11 + s[p1 + 6]! * w12 + s[p1 + 9]! * w13
          + s[p2]! * w20 + s[p2 + 3]! * w21 + s[p2 + 6]! * w22 + s[p2 + 9]! * w23
          + s[p3]! * w30 + s[p3 + 3]! * w31 + s[p3 + 6]! * w32 + s[p3 + 9]! * w33 + round) >> REMAP_COEF_BITS;
        const g = (s[p0 + 1]! * w00 + s[p0 + 4]! * w01 + s[p0 + 7]! * w02 + s[p0 + 10]! * w03
          + s[p1 + 1]! * w10 + s[p1 + 4]! * w11 + s[p1 + 7]! * w12 + s[p1 + 10]! * w13
          + s[p2 + 1]! * w20 + s[p2 + 4]! * w21 + s[p2 + 7]! * w22 + s[p2 + 10]! * w23
          + s[p3 + 1]! * w30 + s[p3 + 4]! * w31 + s[p3 + 7]! * w32 + s[p3 + 10]! * w33 + round) >> REMAP_COEF_BITS;
        const b = (s[p0 + 2]! * w00 + s[p0 + 5]! * w01 + s[p0 + 8]! * w02 + s[p0 + 11]! * w03
          + s[p1 + 2]! * w10 + s[p1 + 5]! * w11 + s[p1 + 8]! * w12 + s[p1 + 11]! * w13
          + s[p2 + 2]! * w20 + s[p2 + 5]! * w21 + s[p2 + 8]! * w22 + s[p2 + 11]! * w23
          + s[p3 + 2]! * w30 + s[p3 + 5]! * w31 + s[p3 + 8]! * w32 + s[p3 + 11]! * w33 + round) >> REMAP_COEF_BITS;
        out[o] = r < 0 ? 0 : r > 255 ? 255 : r;
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
  }
}

/**
 * The warp of an axis-aligned rectangle with integer corners inside the page, at its own size: every output
 * pixel lands on a whole source pixel, so warpPerspectiveCubic would copy pixel by pixel (its whole-pixel
 * step), and here whole rows are copied instead. Most boxes on upright pages are such rectangles. Undefined for any other quad.
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

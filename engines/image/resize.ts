// Image resize as cv2.resize INTER_LINEAR (OpenCV imgproc/src/resize.cpp: half-pixel centres, 11-bit fixed-point
// weights, no antialiasing), which is what PaddleOCR's DetResizeForTest runs; plus 90°-step rotation via sharp.
import sharp from 'sharp';
import type { RgbImage, Rotation } from '../types.js';

/** OpenCV INTER_RESIZE_COEF_BITS: weights are integers out of 2048. */
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/**
 * Bilinear resize of an RGB image to `dstWidth` × `dstHeight`, bit-compatible in method with cv2.resize's
 * default INTER_LINEAR (each output pixel samples the 2×2 source pixels around its centre; downscaling does
 * not average, exactly like the detector's training-time resize). `out` may be passed to reuse memory.
 */
export function resizeBilinear(src: RgbImage, dstWidth: number, dstHeight: number, out?: Uint8Array): RgbImage {
  const sw = src.width, sh = src.height;
  const dw = Math.max(1, Math.round(dstWidth)), dh = Math.max(1, Math.round(dstHeight));
  const dst = out && out.length >= dw * dh * 3 ? out.subarray(0, dw * dh * 3) : new Uint8Array(dw * dh * 3);
  if (sw === dw && sh === dh) {
    dst.set(src.data.subarray(0, dw * dh * 3));
    return { width: dw, height: dh, data: dst };
  }

  // 1. Horizontal taps: source offset (in bytes) and the two fixed-point weights per output column.
  const scaleX = sw / dw, scaleY = sh / dh;
  const xOfs = new Int32Array(dw);
  const xA0 = new Int32Array(dw);
  const xA1 = new Int32Array(dw);
  for (let dx = 0; dx < dw; dx++) {
    let fx = Math.fround((dx + 0.5) * scaleX - 0.5);
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) { fx = 0; sx = 0; }
    if (sx >= sw - 1) { fx = 0; sx = sw - 1; }
    xOfs[dx] = sx * 3;
    xA0[dx] = Math.round((1 - fx) * COEF_SCALE);
    xA1[dx] = Math.round(fx * COEF_SCALE);
  }
  const lastX = (sw - 1) * 3;

  // 2. Horizontally resized source rows, cached: when upscaling, consecutive output rows share source rows.
  let rowA = new Int32Array(dw * 3);
  let rowB = new Int32Array(dw * 3);
  let rowAIndex = -1, rowBIndex = -1;
  const s = src.data;

  // 3. Per output row: horizontal pass of its two source rows (if not cached), then the vertical blend with
  //    rounding (b0·r0 + b1·r1 + 2^21) >> 22, as OpenCV's FixedPtCast.
  const round = 1 << (2 * COEF_BITS - 1);
  const shift = 2 * COEF_BITS;
  const n = dw * 3;
  for (let dy = 0; dy < dh; dy++) {
    let fy = Math.fround((dy + 0.5) * scaleY - 0.5);
    const sy = Math.floor(fy);
    fy -= sy;
    const b0 = Math.round((1 - fy) * COEF_SCALE), b1 = Math.round(fy * COEF_SCALE);
    const y0 = Math.min(Math.max(sy, 0), sh - 1), y1 = Math.min(Math.max(sy + 1, 0), sh - 1);
    if (rowAIndex !== y0) {
      if (rowBIndex === y0) {
        const t = rowA; rowA = rowB; rowB = t;
        rowBIndex = rowAIndex;
        rowAIndex = y0;
      } else {
        hresize(s, y0 * sw * 3, xOfs, xA0, xA1, lastX, dw, rowA);
        rowAIndex = y0;
      }
    }
    if (rowBIndex !== y1) {
      hresize(s, y1 * sw * 3, xOfs, xA0, xA1, lastX, dw, rowB);
      rowBIndex = y1;
    }
    const o = dy * n;
    for (let i = 0; i < n; i++) {
      const v = (rowA[i]! * b0 + rowB[i]! * b1 + round) >> shift;
      dst[o + i] = v > 255 ? 255 : v;
    }
  }
  return { width: dw, height: dh, data: dst };
}

/** One source row (starting at byte `base`) resized horizontally into fixed-point sums. */
function hresize(s: Uint8Array, base: number, xOfs: Int32Array, xA0: Int32Array, xA1: Int32Array, lastX: number, dw: number, buf: Int32Array): void {
  for (let dx = 0, o = 0; dx < dw; dx++, o += 3) {
    const off = xOfs[dx]!;
    const p = base + off;
    // The right neighbour of the last column is never weighted (a1 = 0); clamp to stay in bounds.
    const q = off < lastX ? p + 3 : p;
    const a0 = xA0[dx]!, a1 = xA1[dx]!;
    buf[o] = s[p]! * a0 + s[q]! * a1;
    buf[o + 1] = s[p + 1]! * a0 + s[q + 1]! * a1;
    buf[o + 2] = s[p + 2]! * a0 + s[q + 2]! * a1;
  }
}

/**
 * The same resize through libvips (sharp, 'linear' kernel). libvips averages over the whole footprint when
 * shrinking (antialiased), unlike cv2: kept for comparison in tests/bench/det-resolution.ts.
 */
export async function resizeWithSharp(src: RgbImage, dstWidth: number, dstHeight: number): Promise<RgbImage> {
  const { data, info } = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
    .resize(dstWidth, dstHeight, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Rotates clockwise by 0/90/180/270° (sharp: a lossless pixel transpose, no resampling). */
export async function rotateImage(src: RgbImage, rotation: Rotation): Promise<RgbImage> {
  if (rotation === 0) return { width: src.width, height: src.height, data: src.data };
  const { data, info } = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
    .rotate(rotation)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}


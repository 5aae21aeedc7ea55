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

  // 1. Horizontal taps per output column: the two source pixels (byte offsets; the right one clamped at the
  //    edge, where its weight is 0) and their 11-bit weights.
  const scaleX = sw / dw, scaleY = sh / dh;
  const xLeft = new Int32Array(dw);
  const xRight = new Int32Array(dw);
  const xA0 = new Int32Array(dw);
  const xA1 = new Int32Array(dw);
  for (let dx = 0; dx < dw; dx++) {
    let fx = Math.fround((dx + 0.5) * scaleX - 0.5);
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) { fx = 0; sx = 0; }
    if (sx >= sw - 1) { fx = 0; sx = sw - 1; }
    xLeft[dx] = sx * 3;
    xRight[dx] = sx < sw - 1 ? sx * 3 + 3 : sx * 3;
    xA0[dx] = Math.round((1 - fx) * COEF_SCALE);
    xA1[dx] = Math.round(fx * COEF_SCALE);
  }

  // 2. Per output row: both source rows blended horizontally, then vertically with OpenCV's rounding
  //    (b0·top + b1·bottom + 2^21) >> 22. Fused in one pass: the sums stay below 2^31.
  const round = 1 << (2 * COEF_BITS - 1);
  const shift = 2 * COEF_BITS;
  const s = src.data;
  for (let dy = 0; dy < dh; dy++) {
    let fy = Math.fround((dy + 0.5) * scaleY - 0.5);
    const sy = Math.floor(fy);
    fy -= sy;
    const b0 = Math.round((1 - fy) * COEF_SCALE), b1 = Math.round(fy * COEF_SCALE);
    const top = Math.min(Math.max(sy, 0), sh - 1) * sw * 3;
    const bottom = Math.min(Math.max(sy + 1, 0), sh - 1) * sw * 3;
    let o = dy * dw * 3;
    for (let dx = 0; dx < dw; dx++, o += 3) {
      const a0 = xA0[dx]!, a1 = xA1[dx]!;
      const tl = top + xLeft[dx]!, tr = top + xRight[dx]!;
      const bl = bottom + xLeft[dx]!, br = bottom + xRight[dx]!;
      dst[o] = ((s[tl]! * a0 + s[tr]! * a1) * b0 + (s[bl]! * a0 + s[br]! * a1) * b1 + round) >>> shift;
      dst[o + 1] = ((s[tl + 1]! * a0 + s[tr + 1]! * a1) * b0 + (s[bl + 1]! * a0 + s[br + 1]! * a1) * b1 + round) >>> shift;
      dst[o + 2] = ((s[tl + 2]! * a0 + s[tr + 2]! * a1) * b0 + (s[bl + 2]! * a0 + s[br + 2]! * a1) * b1 + round) >>> shift;
    }
  }
  return { width: dw, height: dh, data: dst };
}

/**
 * Resize through libvips (sharp, 'linear' kernel): 2.5–3× faster than resizeBilinear here (SIMD, threads), and
 * when shrinking it averages over the whole footprint (antialiased) instead of sampling like cv2. The tiled
 * detector uses it (same recall on tests/bench/det-resolution.ts); PaddleOCR-exact detection keeps resizeBilinear.
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


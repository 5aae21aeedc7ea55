// Detection preprocessing after PaddleOCR ppocr/data/imaug/operators.py (DetResizeForTest.resize_image_type0,
// NormalizeImage, ToCHWImage) as run by tools/infer/predict_det.py.
import type { TensorData } from '../stages.js';
import type { RgbImage } from '../types.js';
import { resizeBilinear } from '../image/resize.js';

/** The network downsamples by 32: input sides must be multiples of it. */
export const DET_SIZE_MULTIPLE_PX = 32;

/**
 * ImageNet mean/std, applied per index of the BGR planes exactly as PaddleOCR does (it decodes BGR with
 * cv2.imread and never swaps the constants): plane 0 holds B and gets 0.485/0.229.
 */
export const DET_MEAN_BGR: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const DET_STD_BGR: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** resize_image_type0's limit rules (see PaddleOCR det_limit_type). */
export type DetLimitType = 'max' | 'min' | 'resize_long';

/** How a source image maps onto the detector input; travels from pre to post (Paddle's shape_list). */
export interface DetResizePlan {
  srcW: number;
  srcH: number;
  /** Image size after resize (multiples of 32, at least 32). */
  resizeW: number;
  resizeH: number;
  /** resizeH / srcH and resizeW / srcW (they differ slightly: each side is rounded to 32 on its own). */
  ratioH: number;
  ratioW: number;
}

/**
 * resize_image_type0: one ratio from the limit rule, then each side rounded to the NEAREST multiple of 32 with a
 * floor of 32. 'max' never upsamples, 'min' never downsamples, 'resize_long' always scales the long side to L.
 */
export function planDetResize(srcW: number, srcH: number, limitSideLenPx: number, limitType: DetLimitType = 'max'): DetResizePlan {
  let ratio = 1;
  if (limitType === 'max') {
    if (Math.max(srcH, srcW) > limitSideLenPx) ratio = limitSideLenPx / Math.max(srcH, srcW);
  } else if (limitType === 'min') {
    if (Math.min(srcH, srcW) < limitSideLenPx) ratio = limitSideLenPx / Math.min(srcH, srcW);
  } else {
    ratio = limitSideLenPx / Math.max(srcH, srcW);
  }
  const resizeH = roundToMultiple(Math.trunc(srcH * ratio));
  const resizeW = roundToMultiple(Math.trunc(srcW * ratio));
  return { srcW, srcH, resizeW, resizeH, ratioH: resizeH / srcH, ratioW: resizeW / srcW };
}

/** max(int(round(v / 32) * 32), 32) with numpy's round-half-to-even. */
export function roundToMultiple(v: number, multiple: number = DET_SIZE_MULTIPLE_PX): number {
  return Math.max(roundHalfEven(v / multiple) * multiple, multiple);
}

/** numpy.round / Python round: halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Padding of the tensor beyond the image: white page background (harmless to DB) or Paddle's normalised 0. */
export type DetPadMode = 'white' | 'zero';

/**
 * Per-plane lookup tables pixel → normalised value, computed in float32 steps like NormalizeImage
 * ((x · (1/255) − mean) / std). Plane 0 is B, plane 2 is R.
 */
function buildLuts(): Float32Array[] {
  const scale = Math.fround(1 / 255);
  return [0, 1, 2].map((plane) => {
    const lut = new Float32Array(256);
    const mean = Math.fround(DET_MEAN_BGR[plane]!), std = Math.fround(DET_STD_BGR[plane]!);
    for (let v = 0; v < 256; v++) lut[v] = Math.fround(Math.fround(Math.fround(v * scale) - mean) / std);
    return lut;
  });
}
const LUTS = buildLuts();

/** Normalised value of a white pixel per BGR plane: what a blank page looks like to the detector. */
export const DET_WHITE_BGR: readonly number[] = LUTS.map((l) => l[255]!);

/** A rectangle of an image, in its pixels. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Writes `region` of an RGB image into the top-left of a 1×3×tensorH×tensorW BGR-planar tensor, normalised,
 * and fills the rest with the pad value. `out` is reused when large enough (the returned tensor views it).
 */
export function normalizeToTensor(
  image: RgbImage,
  region: PixelRegion,
  tensorW: number,
  tensorH: number,
  out?: Float32Array,
  padMode: DetPadMode = 'white',
): TensorData {
  const planeSize = tensorW * tensorH;
  const data = out && out.length >= 3 * planeSize ? out.subarray(0, 3 * planeSize) : new Float32Array(3 * planeSize);
  const [lutB, lutG, lutR] = LUTS as [Float32Array, Float32Array, Float32Array];
  const padB = padMode === 'white' ? DET_WHITE_BGR[0]! : 0;
  const padG = padMode === 'white' ? DET_WHITE_BGR[1]! : 0;
  const padR = padMode === 'white' ? DET_WHITE_BGR[2]! : 0;
  const w = Math.min(region.width, tensorW), h = Math.min(region.height, tensorH);
  const src = image.data;
  // `lead` = index in src of its first 4-byte-aligned byte; words[k] holds src[lead + 4k … lead + 4k + 3].
  const lead = (4 - (src.byteOffset & 3)) & 3;
  const words = src.length >= lead + 12 ? new Uint32Array(src.buffer, src.byteOffset + lead, (src.length - lead) >> 2) : undefined;
  const whiteB = lutB[255]!, whiteG = lutG[255]!, whiteR = lutR[255]!;
  for (let y = 0; y < h; y++) {
    let s = ((region.y + y) * image.width + region.x) * 3;
    let o = y * tensorW;
    const oEnd = o + w;
    while (o < oEnd) {
      // Paper: runs of white pixels (three all-ones words hold four of them) are filled, not looked up.
      if (words !== undefined && ((s - lead) & 3) === 0) {
        let k = (s - lead) >> 2;
        let run = 0;
        // (& gives a signed int32: all ones is −1.)
        while (o + run + 4 <= oEnd && (words[k]! & words[k + 1]! & words[k + 2]!) === -1) {
          run += 4;
          k += 3;
        }
        if (run > 0) {
          data.fill(whiteB, o, o + run);
          data.fill(whiteG, planeSize + o, planeSize + o + run);
          data.fill(whiteR, 2 * planeSize + o, 2 * planeSize + o + run);
          o += run;
          s += 3 * run;
          continue;
        }
      }
      data[o] = lutB[src[s + 2]!]!;
      data[planeSize + o] = lutG[src[s + 1]!]!;
      data[2 * planeSize + o] = lutR[src[s]!]!;
      o++;
      s += 3;
    }
    if (w < tensorW) {
      const rowEnd = y * tensorW + tensorW;
      data.fill(padB, y * tensorW + w, rowEnd);
      data.fill(padG, planeSize + y * tensorW + w, planeSize + rowEnd);
      data.fill(padR, 2 * planeSize + y * tensorW + w, 2 * planeSize + rowEnd);
    }
  }
  if (h < tensorH) {
    data.fill(padB, h * tensorW, planeSize);
    data.fill(padG, planeSize + h * tensorW, 2 * planeSize);
    data.fill(padR, 2 * planeSize + h * tensorW, 3 * planeSize);
  }
  return { data, dims: [1, 3, tensorH, tensorW] };
}

export interface DetPreprocessOptions {
  limitSideLenPx: number;
  limitType: DetLimitType;
  /**
   * Tensor size for a resized image; default = the resized size itself (PaddleOCR). A bucket function pads
   * the tensor up to one of a few shapes (GPU: one cuDNN tuning per shape); the map keeps its padding.
   */
  tensorSize?: (resizeW: number, resizeH: number) => { width: number; height: number };
  padMode?: DetPadMode;
}

export interface DetPreprocessResult {
  tensor: TensorData;
  plan: DetResizePlan;
}

/**
 * DetResizeForTest + NormalizeImage + ToCHWImage for a whole image. Unlike Paddle, images with h + w < 64 are
 * not stretched: the 32-px floor becomes padding (Paddle pads them with black and then maps boxes with the
 * unpadded size, which distorts them).
 */
export function detPreprocess(image: RgbImage, opts: DetPreprocessOptions, out?: Float32Array): DetPreprocessResult {
  let plan = planDetResize(image.width, image.height, opts.limitSideLenPx, opts.limitType);
  if (image.width + image.height < 64) {
    plan = { srcW: image.width, srcH: image.height, resizeW: image.width, resizeH: image.height, ratioH: 1, ratioW: 1 };
  }
  const resized = plan.resizeW === image.width && plan.resizeH === image.height ? image : resizeBilinear(image, plan.resizeW, plan.resizeH);
  const size = opts.tensorSize?.(plan.resizeW, plan.resizeH) ?? {
    width: Math.max(plan.resizeW, DET_SIZE_MULTIPLE_PX),
    height: Math.max(plan.resizeH, DET_SIZE_MULTIPLE_PX),
  };
  const tensor = normalizeToTensor(
    resized,
    { x: 0, y: 0, width: plan.resizeW, height: plan.resizeH },
    size.width,
    size.height,
    out,
    opts.padMode ?? 'white',
  );
  return { tensor, plan };
}

// Direction-classifier preprocessing after PaddleOCR tools/infer/predict_cls.py (resize_norm_img, batching).
import type { RgbImage } from '../types.js';
import { ResizeScratch, cropRatio, resizeNormalizeInto } from '../rec/rec-preprocess.js';

/** ch_ppocr_mobile_v2.0_cls input: cls_image_shape "3, 48, 192". */
export const CLS_IMG_H_PX = 48;
export const CLS_IMG_W_PX = 192;
/** w/h of the classifier's input: a window of a long line at its own scale is 4 heights wide. */
export const CLS_WINDOW_RATIO = CLS_IMG_W_PX / CLS_IMG_H_PX;

/** One classifier input row: a column range of a crop. */
export interface ClsView {
  /** Index of the crop in the caller's list. */
  cropIndex: number;
  srcX0: number;
  srcWidth: number;
}

/**
 * The views a crop is classified on. PaddleOCR squeezes the whole line into 192 px, so a line 16 heights
 * long reaches the model 4× narrower than its glyphs, and the mobile classifier then errs often
 * (measured on 114 rendered lines: 2 upright lines flipped at P(180) > 0.9, 13 of 114 upside-down
 * lines missed). Lines longer than 1.25 windows are instead looked at through up to `maxWindows`
 * windows of 4 heights each, at their own scale, spread evenly from start to end (same data: 0 false
 * flips, 3 missed; with noise σ = 40: 3 → 0 and 16 → 2). maxWindows = 1 is PaddleOCR's behaviour.
 */
export function clsViews(crop: { width: number; height: number }, cropIndex: number, maxWindows: number): ClsView[] {
  const ratio = cropRatio(crop);
  const windowPx = Math.round(crop.height * CLS_WINDOW_RATIO);
  if (maxWindows <= 1 || ratio <= CLS_WINDOW_RATIO * 1.25 || windowPx < 1) return [{ cropIndex, srcX0: 0, srcWidth: crop.width }];
  const k = Math.min(Math.floor(maxWindows), Math.ceil(crop.width / windowPx));
  const views: ClsView[] = [];
  for (let i = 0; i < k; i++) {
    views.push({ cropIndex, srcX0: Math.round(((crop.width - windowPx) * i) / (k - 1)), srcWidth: windowPx });
  }
  return views;
}

export interface ClsBatchPlan {
  /** Views in tensor row order. */
  views: ClsView[];
  /** Tensor batch size (≥ views.length; extra rows are blank). */
  rows: number;
  /** Width each view is resized to; the rest of the 192 px row is zero padding. */
  resizedWidthsPx: number[];
}

/** Paddle's cls width: min(ceil(48·w/h), 192); anything longer is squeezed into 192. */
export function clsResizedWidth(ratio: number): number {
  if (ratio <= 0) return 0;
  return Math.max(1, Math.min(Math.ceil(CLS_IMG_H_PX * ratio), CLS_IMG_W_PX));
}

/**
 * Views sorted by w/h ascending (stable) and cut into runs of batchSize, as predict_cls.py. With
 * `padRowsToBatchSize` every run is padded with blank rows to batchSize, so a GPU sees one shape only.
 */
export function planClsBatches(
  crops: readonly { width: number; height: number }[],
  views: readonly ClsView[],
  batchSize: number,
  padRowsToBatchSize: boolean,
): ClsBatchPlan[] {
  const n = Math.max(1, Math.floor(batchSize));
  const ratios = views.map((v) => cropRatio({ width: v.srcWidth, height: crops[v.cropIndex]!.height }));
  const order = ratios.map((_, i) => i).sort((a, b) => ratios[a]! - ratios[b]! || a - b);
  const plans: ClsBatchPlan[] = [];
  for (let start = 0; start < order.length; start += n) {
    const rows = order.slice(start, start + n);
    plans.push({
      views: rows.map((i) => views[i]!),
      rows: padRowsToBatchSize ? n : rows.length,
      resizedWidthsPx: rows.map((i) => clsResizedWidth(ratios[i]!)),
    });
  }
  return plans;
}

/** Fills `out` (length rows·3·48·192) with [rows, 3, 48, 192]: BGR planes, (x/255−0.5)/0.5, zero padding. */
export function writeClsBatch(crops: readonly RgbImage[], plan: ClsBatchPlan, out: Float32Array, scratch: ResizeScratch): void {
  const planeStride = CLS_IMG_H_PX * CLS_IMG_W_PX;
  const itemStride = 3 * planeStride;
  plan.views.forEach((v, row) => {
    const crop = crops[v.cropIndex]!;
    resizeNormalizeInto(crop, plan.resizedWidthsPx[row]!, CLS_IMG_H_PX, out, row * itemStride, CLS_IMG_W_PX, planeStride, scratch, v.srcX0, v.srcWidth);
  });
  out.fill(0, plan.views.length * itemStride, plan.rows * itemStride);
}

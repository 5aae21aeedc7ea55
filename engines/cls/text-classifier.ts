// Text-line direction classifier after PaddleOCR tools/infer/predict_cls.py and ppocr/postprocess/cls_postprocess.py.
import { performance } from 'node:perf_hooks';
import { OcrError } from '../errors.js';
import type { ClsOutput, ClsResult, OcrSession } from '../stages.js';
import type { RgbImage } from '../types.js';
import { isMarkedGray, markGray } from '../image/gray.js';
import { ResizeScratch, TensorArena, cropRatio } from '../rec/rec-preprocess.js';
import { CLS_IMG_H_PX, CLS_IMG_W_PX, clsViews, planClsBatches, writeClsBatch } from './cls-preprocess.js';
import { inLanes } from '../runtime/lanes.js';

export interface TextClassifierOptions {
  /** Views per run; default 6 (PaddleOCR cls_batch_num) on the CPU EP, DEFAULT_GPU_CLS_BATCH_ROWS on GPU EPs. */
  batchSize?: number;
  /** A crop is called upside down only when P(180) > thresh (strict, PaddleOCR cls_thresh 0.9). */
  thresh?: number;
  /** Pad every run to batchSize with blank rows (one tensor shape); default: on GPU EPs only. */
  padRowsToBatchSize?: boolean;
  /**
   * Windows a long line is classified on (their log-odds averaged); default 3; 1 = PaddleOCR's single
   * squeezed view. See clsViews.
   */
  maxWindows?: number;
}

/** Rotates an RGB image by 180° (reverses the pixel order), as cv2.rotate(img, ROTATE_180). */
export function rotate180(image: RgbImage): RgbImage {
  const src = image.data;
  const out = new Uint8Array(src.length);
  const pixels = image.width * image.height;
  for (let i = 0, j = (pixels - 1) * 3; i < pixels * 3; i += 3, j -= 3) {
    out[i] = src[j]!;
    out[i + 1] = src[j + 1]!;
    out[i + 2] = src[j + 2]!;
  }
  // A turned gray crop is still gray: the rec resize keeps its one-channel path (image/gray.ts).
  if (isMarkedGray(image)) markGray(out);
  return { width: image.width, height: image.height, data: out };
}

/**
 * Says which way up each text-line crop is (0° or 180°). One instance per session; `run` calls must
 * not overlap (they share the preallocated input tensor).
 */
/**
 * Rows per classifier run on GPU EPs. A page's lines give 100–150 views (up to 3 windows a line), so
 * PaddleOCR's 6 rows meant about 22 runs per page, each mostly fixed cost on the GPU (a 32-row run took
 * 1.9–2.5 ms on the H100); 32 rows make it 4–5 runs. The CPU keeps 6: there a run's cost is per row.
 */
export const DEFAULT_GPU_CLS_BATCH_ROWS = 32;

export class TextClassifier {
  readonly #session: OcrSession;
  /** One input buffer and resize scratch per batch in flight (see run). */
  readonly #arenas: TensorArena[] = [];
  readonly #scratches: ResizeScratch[] = [];
  readonly batchSize: number;
  readonly thresh: number;
  readonly padRowsToBatchSize: boolean;
  readonly maxWindows: number;

  private constructor(session: OcrSession, batchSize: number, thresh: number, padRows: boolean, maxWindows: number) {
    this.#session = session;
    this.batchSize = batchSize;
    this.thresh = thresh;
    this.padRowsToBatchSize = padRows;
    this.maxWindows = maxWindows;
  }

  /** Checks the model with one probe run (its output must be [N, 2]). */
  static async create(session: OcrSession, opts: TextClassifierOptions = {}): Promise<TextClassifier> {
    const gpu = session.provider.provider !== 'cpu';
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? (gpu ? DEFAULT_GPU_CLS_BATCH_ROWS : 6)));
    const padRows = opts.padRowsToBatchSize ?? gpu;
    const rows = padRows ? batchSize : 1;
    let dims: readonly number[];
    try {
      ({ dims } = await session.run({
        data: new Float32Array(rows * 3 * CLS_IMG_H_PX * CLS_IMG_W_PX),
        dims: [rows, 3, CLS_IMG_H_PX, CLS_IMG_W_PX],
      }));
    } catch (cause) {
      throw new OcrError('MODEL_LOAD_FAILED', `The direction classifier failed its first run: ${(cause as Error).message}`, { cause });
    }
    if (dims.length !== 2 || dims[0] !== rows || dims[1] !== 2) {
      throw new OcrError('MODEL_LOAD_FAILED', `The direction classifier's output has shape [${dims.join(', ')}]; expected [${rows}, 2].`);
    }
    return new TextClassifier(session, batchSize, opts.thresh ?? 0.9, padRows, Math.max(1, Math.floor(opts.maxWindows ?? 3)));
  }

  /**
   * Classifies `crops`; results in input order. `angle` is 180 only when P(180) > thresh; `score` is the
   * probability of the angle reported, so it is below 0.5 when the model leaned to 180 without reaching
   * thresh (P(180) = angle === 180 ? score : 1 − score holds either way). Zero-size crops: 0°, score 0.5.
   */
  async run(crops: readonly RgbImage[]): Promise<ClsOutput> {
    const results: ClsResult[] = crops.map(() => ({ angle: 0, score: 0.5 }));
    const timings = { preMs: 0, runMs: 0, postMs: 0 };
    const views = crops.flatMap((c, i) => (cropRatio(c) > 0 ? clsViews(c, i, this.maxWindows) : []));
    // Sum of log-odds of P(180) and number of views, per crop.
    const logitSum = new Float64Array(crops.length);
    const viewCount = new Uint16Array(crops.length);
    const lastP180 = new Float64Array(crops.length);
    const itemFloats = 3 * CLS_IMG_H_PX * CLS_IMG_W_PX;
    const plans = planClsBatches(crops, views, this.batchSize, this.padRowsToBatchSize);
    const tStart = performance.now();
    // With several sessions side by side (CPU EP), batches run in lanes, each with its own input buffer.
    const lanes = await inLanes(plans.length, this.#session.parallelism ?? 1, async (index, lane) => {
      const plan = plans[index]!;
      const t0 = performance.now();
      const input = (this.#arenas[lane] ??= new TensorArena()).view(plan.rows * itemFloats);
      writeClsBatch(crops, plan, input, (this.#scratches[lane] ??= new ResizeScratch()));
      const t1 = performance.now();
      const output = await this.#session.run({ data: input, dims: [plan.rows, 3, CLS_IMG_H_PX, CLS_IMG_W_PX] });
      const t2 = performance.now();
      if (output.dims.length !== 2 || output.dims[1] !== 2 || output.dims[0]! < plan.rows) {
        throw new OcrError('INTERNAL', `The direction classifier returned shape [${output.dims.join(', ')}].`);
      }
      // The model ends in softmax: row = [P(0°), P(180°)] (label_list ['0', '180']).
      plan.views.forEach((v, row) => {
        const p180 = output.data[row * 2 + 1]!;
        const clamped = Math.min(1 - 1e-7, Math.max(1e-7, p180));
        logitSum[v.cropIndex] += Math.log(clamped / (1 - clamped));
        lastP180[v.cropIndex] = p180;
        viewCount[v.cropIndex]++;
      });
      timings.preMs += t1 - t0;
      timings.runMs += t2 - t1;
      timings.postMs += performance.now() - t2;
    });
    // Side by side, runs overlap each other and the next batch's preparation: count the wall time less the JS work.
    if (lanes > 1) timings.runMs = Math.max(0, performance.now() - tStart - timings.preMs - timings.postMs);
    const t3 = performance.now();
    for (let i = 0; i < crops.length; i++) {
      if (viewCount[i] === 0) continue;
      // One view: exactly the model's P(180). Several: the mean log-odds, i.e. a geometric-mean vote.
      const p180 = viewCount[i] === 1 ? lastP180[i]! : 1 / (1 + Math.exp(-logitSum[i]! / viewCount[i]!));
      results[i] = p180 > this.thresh ? { angle: 180, score: p180 } : { angle: 0, score: 1 - p180 };
    }
    timings.postMs += performance.now() - t3;
    return { results, timings };
  }
}

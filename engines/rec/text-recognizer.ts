// Text recognition after PaddleOCR tools/infer/predict_rec.py (TextRecognizer, CTC branch).
import { performance } from 'node:perf_hooks';
import { OcrError } from '../errors.js';
import type { OcrSession, RecOutput, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';
import { ctcGreedyDecodeBatch } from './ctc-decode.js';
import { loadDictionary } from './dictionary.js';
import {
  DEFAULT_REC_WIDTH_BUCKETS_PX,
  REC_IMG_H_PX,
  REC_MIN_IMG_W_PX,
  ResizeScratch,
  TensorArena,
  cropRatio,
  planRecBatches,
  writeRecBatch,
  type RecBatchingOptions,
} from './rec-preprocess.js';

export interface TextRecognizerOptions {
  /**
   * Crops per model run. Default: 1 on the CPU EP (measured on the 2-core box: batches of 6–24 cost
   * 5–15 % more CPU per line than single lines, tests/bench/rec-batch.ts), PaddleOCR's rec_batch_num 6
   * elsewhere. With width buckets the text does not depend on it.
   */
  batchSize?: number;
  /**
   * Tensor width buckets (ascending, multiples of 8); default DEFAULT_REC_WIDTH_BUCKETS_PX; null =
   * PaddleOCR's exact per-batch widths (see RecBatchingOptions).
   */
  widthBucketsPx?: readonly number[] | null;
  /**
   * Tensor batch-size buckets; a short batch is padded with blank rows up to the next. Default: none on
   * the CPU EP (blank rows are pure waste there); [batchSize] on GPU EPs, so every width bucket is one
   * shape (a new shape costs the CUDA EP ~1 s of tuning, a few blank rows cost it next to nothing).
   */
  batchSizeBuckets?: readonly number[] | null;
  /** Bucketed mode: cap on rows × width per run (see RecBatchingOptions.maxBatchWidthPx). */
  maxBatchWidthPx?: number;
}

export interface RecRunOptions {
  signal?: AbortSignal;
}

/**
 * Recognises upright text-line crops. One instance per session; `run` calls must not overlap (they
 * share the preallocated input tensor).
 */
export class TextRecognizer {
  readonly #session: OcrSession;
  readonly #arena = new TensorArena();
  readonly #scratch = new ResizeScratch();
  /** Character table, index = model class (0 = blank, last = ' '). */
  readonly character: readonly string[];
  readonly batching: Readonly<RecBatchingOptions>;

  private constructor(session: OcrSession, character: readonly string[], batching: RecBatchingOptions) {
    this.#session = session;
    this.character = character;
    this.batching = batching;
  }

  /**
   * Loads the dictionary and checks it against the model: one probe run at [1, 3, 48, 320] (which is
   * also the smallest bucket's warm-up) reads the model's class count.
   */
  static async create(session: OcrSession, dictPath: string, opts: TextRecognizerOptions = {}): Promise<TextRecognizer> {
    const onCpu = session.provider.provider === 'cpu';
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? (onCpu ? 1 : 6)));
    const batching: RecBatchingOptions = {
      batchSize,
      widthBucketsPx: opts.widthBucketsPx === undefined ? DEFAULT_REC_WIDTH_BUCKETS_PX : opts.widthBucketsPx,
      batchSizeBuckets: opts.batchSizeBuckets === undefined ? (onCpu ? null : [batchSize]) : opts.batchSizeBuckets,
      ...(opts.maxBatchWidthPx === undefined ? {} : { maxBatchWidthPx: opts.maxBatchWidthPx }),
    };
    // The probe has the shape a run of short lines will have here, so on a GPU it doubles as that warm-up.
    const probe = planRecBatches([{ width: REC_MIN_IMG_W_PX, height: REC_IMG_H_PX }], batching)[0]!;
    let dims: readonly number[];
    try {
      ({ dims } = await session.run({
        data: new Float32Array(probe.rows * 3 * REC_IMG_H_PX * probe.imgWPx),
        dims: [probe.rows, 3, REC_IMG_H_PX, probe.imgWPx],
      }));
    } catch (cause) {
      throw new OcrError('MODEL_LOAD_FAILED', `The recognition model failed its first run: ${(cause as Error).message}`, { cause });
    }
    if (dims.length !== 3) {
      throw new OcrError('MODEL_LOAD_FAILED', `The recognition model's output has shape [${dims.join(', ')}]; expected [N, T, classes] (a CTC model).`);
    }
    const character = loadDictionary(dictPath, dims[2]!);
    return new TextRecognizer(session, character, batching);
  }

  /** Recognises `crops`; results come back in the input order. Zero-size crops give empty text. */
  async run(crops: readonly RgbImage[], opts: RecRunOptions = {}): Promise<RecOutput> {
    const results: RecResult[] = crops.map(() => ({ text: '', confidence: 0, chars: [] }));
    const batchShapes: number[][] = [];
    const timings = { preMs: 0, runMs: 0, postMs: 0 };
    const live = crops.map((_, i) => i).filter((i) => cropRatio(crops[i]!) > 0);
    const liveCrops = live.map((i) => crops[i]!);
    const plans = planRecBatches(liveCrops, this.batching);

    for (const plan of plans) {
      if (opts.signal?.aborted) throw new OcrError('CANCELLED', 'Text recognition was cancelled.', { cause: opts.signal.reason });
      const t0 = performance.now();
      const dims = [plan.rows, 3, REC_IMG_H_PX, plan.imgWPx];
      const input = this.#arena.view(plan.rows * 3 * REC_IMG_H_PX * plan.imgWPx);
      writeRecBatch(liveCrops, plan, input, this.#scratch);
      const t1 = performance.now();
      const output = await this.#session.run({ data: input, dims });
      const t2 = performance.now();
      if (output.dims.length !== 3 || output.dims[0]! < plan.rows || output.dims[2] !== this.character.length) {
        throw new OcrError('INTERNAL', `The recognition model returned shape [${output.dims.join(', ')}] for input [${dims.join(', ')}].`);
      }
      const decoded = ctcGreedyDecodeBatch(
        output.data,
        output.dims,
        this.character,
        plan.resizedWidthsPx.map((w) => w / plan.imgWPx),
      );
      plan.cropIndices.forEach((j, row) => {
        results[live[j]!] = decoded[row]!;
      });
      const t3 = performance.now();
      timings.preMs += t1 - t0;
      timings.runMs += t2 - t1;
      timings.postMs += t3 - t2;
      batchShapes.push(dims);
    }
    return { results, timings, batchShapes };
  }

  /**
   * Runs blank tensors of the shapes lines of the given widths will run at, so a GPU EP tunes them
   * before the first page (each new shape costs the CUDA EP ~1 s, once per session). Default: the
   * width buckets up to 2368 px (w/h ≤ 49, nearly every line of a page). Returns the shapes run.
   */
  async warmUp(widthsPx: readonly number[] = (this.batching.widthBucketsPx ?? [REC_MIN_IMG_W_PX]).filter((w) => w <= 2368)): Promise<number[][]> {
    const shapes: number[][] = [];
    const seen = new Set<string>();
    for (const w of widthsPx) {
      const counts = this.batching.batchSizeBuckets ?? [this.batching.batchSize];
      for (const n of counts) {
        // Plan n crops of exactly this width, so rows and width are what run() would use.
        for (const plan of planRecBatches(Array.from({ length: n }, () => ({ width: w, height: REC_IMG_H_PX })), this.batching)) {
          const dims = [plan.rows, 3, REC_IMG_H_PX, plan.imgWPx];
          const key = dims.join('x');
          if (seen.has(key)) continue;
          seen.add(key);
          const input = this.#arena.view(plan.rows * 3 * REC_IMG_H_PX * plan.imgWPx);
          input.fill(0);
          await this.#session.run({ data: input, dims });
          shapes.push(dims);
        }
      }
    }
    return shapes;
  }
}

// Text recognition after PaddleOCR tools/infer/predict_rec.py (TextRecognizer, CTC branch).
import { performance } from 'node:perf_hooks';
import { OcrError } from '../errors.js';
import type { OcrSession, RecOutput, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';
import { REC_HEAD_CHANNELS, ctcGreedyDecodeArgmaxBatch, ctcGreedyDecodeBatch } from './ctc-decode.js';
import { loadDictionary } from './dictionary.js';
import {
  DEFAULT_GPU_REC_BATCH_ROWS,
  DEFAULT_REC_WIDTH_BUCKETS_PX,
  GPU_REC_WIDTH_BUCKETS_PX,
  REC_IMG_H_PX,
  REC_MIN_IMG_W_PX,
  ResizeScratch,
  TensorArena,
  cropRatio,
  planRecBatches,
  recPlanShapes,
  writeRecBatch,
  type RecBatchingOptions,
} from './rec-preprocess.js';

export interface TextRecognizerOptions {
  /**
   * Crops per model run (on GPU EPs: the fixed tensor batch rows). Default: 1 on the CPU EP (measured on
   * the 2-core box: batches of 6–24 cost 5–15 % more CPU per line than single lines,
   * tests/bench/rec-batch.ts), DEFAULT_GPU_REC_BATCH_ROWS elsewhere. With width buckets the text does not
   * depend on it.
   */
  batchSize?: number;
  /**
   * Tensor width buckets (ascending, multiples of 8); default DEFAULT_REC_WIDTH_BUCKETS_PX on the CPU EP,
   * GPU_REC_WIDTH_BUCKETS_PX elsewhere (few shapes, all warmed up); null = PaddleOCR's exact per-batch
   * widths (see RecBatchingOptions).
   */
  widthBucketsPx?: readonly number[] | null;
  /**
   * Tensor batch-size buckets; a short batch is padded with blank rows up to the next. Default: none on
   * the CPU EP (blank rows are pure waste there); [batchSize] on GPU EPs, so every width bucket is one
   * shape (a new shape costs the CUDA EP ~1 s of tuning, a few blank rows cost it next to nothing).
   */
  batchSizeBuckets?: readonly number[] | null;
  /**
   * Bucketed mode: cap on rows × width per run (see RecBatchingOptions.maxBatchWidthPx). Default on GPU
   * EPs: batchSize × the widest bucket, so every planned width runs full batches (one shape each).
   */
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
  /**
   * What the session's first run returned: 'argmax' = the argmax head (engines/runtime/rec-head.ts,
   * [N, T, 3]), 'probs' = the softmax [N, T, classes]. run() decodes each batch by its output's shape, so
   * a session that mixes both (TensorRT routes + a headed fallback) still decodes correctly.
   */
  readonly outputKind: 'argmax' | 'probs';

  private constructor(session: OcrSession, character: readonly string[], batching: RecBatchingOptions, outputKind: 'argmax' | 'probs') {
    this.#session = session;
    this.character = character;
    this.batching = batching;
    this.outputKind = outputKind;
  }

  /**
   * Loads the dictionary and checks it against the model: one probe run at [1, 3, 48, 320] (which is
   * also the smallest bucket's warm-up) reads the model's class count.
   */
  static async create(session: OcrSession, dictPath: string, opts: TextRecognizerOptions = {}): Promise<TextRecognizer> {
    const onCpu = session.provider.provider === 'cpu';
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? (onCpu ? 1 : DEFAULT_GPU_REC_BATCH_ROWS)));
    const widthBucketsPx = opts.widthBucketsPx === undefined ? (onCpu ? DEFAULT_REC_WIDTH_BUCKETS_PX : GPU_REC_WIDTH_BUCKETS_PX) : opts.widthBucketsPx;
    const maxBatchWidthPx = opts.maxBatchWidthPx ?? (onCpu || !widthBucketsPx?.length ? undefined : batchSize * widthBucketsPx[widthBucketsPx.length - 1]!);
    const batching: RecBatchingOptions = {
      batchSize,
      widthBucketsPx,
      batchSizeBuckets: opts.batchSizeBuckets === undefined ? (onCpu ? null : [batchSize]) : opts.batchSizeBuckets,
      ...(maxBatchWidthPx === undefined ? {} : { maxBatchWidthPx }),
    };
    // The probe has the shape a run of short lines will have here, so on a GPU it doubles as that warm-up.
    const probe = planRecBatches([{ width: REC_MIN_IMG_W_PX, height: REC_IMG_H_PX }], batching)[0]!;
    let dims: readonly number[];
    let data: Float32Array;
    try {
      ({ dims, data } = await session.run({
        data: new Float32Array(probe.rows * 3 * REC_IMG_H_PX * probe.imgWPx),
        dims: [probe.rows, 3, REC_IMG_H_PX, probe.imgWPx],
      }));
    } catch (cause) {
      throw new OcrError('MODEL_LOAD_FAILED', `The recognition model failed its first run: ${(cause as Error).message}`, { cause });
    }
    if (dims.length !== 3) {
      throw new OcrError('MODEL_LOAD_FAILED', `The recognition model's output has shape [${dims.join(', ')}]; expected [N, T, classes] (a CTC model).`);
    }
    // The argmax head carries the model's class count in its third channel, so the dictionary is
    // checked against the model either way.
    const outputKind = dims[2] === REC_HEAD_CHANNELS ? 'argmax' : 'probs';
    const classCount = outputKind === 'argmax' ? data[2]! : dims[2]!;
    const character = loadDictionary(dictPath, classCount);
    return new TextRecognizer(session, character, batching, outputKind);
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
      const headed = output.dims[2] === REC_HEAD_CHANNELS;
      if (output.dims.length !== 3 || output.dims[0]! < plan.rows || (!headed && output.dims[2] !== this.character.length)) {
        throw new OcrError('INTERNAL', `The recognition model returned shape [${output.dims.join(', ')}] for input [${dims.join(', ')}].`);
      }
      const contentFracs = plan.resizedWidthsPx.map((w) => w / plan.imgWPx);
      const decoded = headed
        ? ctcGreedyDecodeArgmaxBatch(output.data, output.dims, this.character, contentFracs)
        : ctcGreedyDecodeBatch(output.data, output.dims, this.character, contentFracs);
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
   * Every tensor shape run() can produce for lines up to the last width bucket (recPlanShapes): on GPU EPs
   * one shape per width bucket, all of which warmUp() runs once.
   */
  planShapes(): number[][] {
    return recPlanShapes(this.batching);
  }

  /**
   * Runs blank tensors of `shapes` (default: planShapes()), so a GPU EP tunes them before the first page
   * (each new shape costs the CUDA EP 0.3–1.7 s, once per session). Returns the shapes run.
   */
  async warmUp(shapes: readonly (readonly number[])[] = this.planShapes()): Promise<number[][]> {
    const done: number[][] = [];
    for (const shape of shapes) {
      const dims = [...shape];
      const input = this.#arena.view(dims.reduce((a, b) => a * b, 1));
      input.fill(0);
      await this.#session.run({ data: input, dims });
      done.push(dims);
    }
    return done;
  }
}

// Text recognition after PaddleOCR tools/infer/predict_rec.py (TextRecognizer, CTC branch).
import { performance } from 'node:perf_hooks';
import { OcrError } from '../errors.js';
import type { OcrSession, RecOutput, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';
import { REC_HEAD_CHANNELS, ctcGreedyDecode, ctcGreedyDecodeArgmax, ctcGreedyDecodeArgmaxBatch, ctcGreedyDecodeBatch } from './ctc-decode.js';
import { loadDictionary } from './dictionary.js';
import { inLanes } from '../runtime/lanes.js';
import { chunkWindowWidthPx, columnInk, mergeRecPieces, needsRecChunks, planRecPieces, type RecPiece } from './rec-chunks.js';
import { DEFAULT_REC_PACK_GAP_PX, planRecPacking, recPackedShape, type RecPackedBatch, type RecPackingOptions } from './rec-packing.js';
import {
  DEFAULT_GPU_REC_BATCH_ROWS,
  DEFAULT_GPU_REC_CHUNK_WIDTH_PX,
  DEFAULT_REC_WIDTH_BUCKETS_PX,
  GPU_REC_WIDTH_BUCKETS_PX,
  GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX,
  REC_IMG_H_PX,
  REC_MIN_IMG_W_PX,
  ResizeScratch,
  REC_TIME_STEP_PX,
  TensorArena,
  bucketImgWidth,
  cropRatio,
  planRecBatches,
  recPlanShapes,
  writeRecBatch,
  writeRecPackedBatch,
  type RecBatchPlan,
  type RecBatchingOptions,
  type RecCropWindow,
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
   * Tensor width buckets (ascending, multiples of 8); default DEFAULT_REC_WIDTH_BUCKETS_PX on the CPU EP;
   * elsewhere GPU_REC_WIDTH_BUCKETS_PX (the CPU's up to the chunk width: few shapes, all warmed up), or
   * GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX with chunkWidthPx null; null = PaddleOCR's exact per-batch widths (see
   * RecBatchingOptions).
   */
  widthBucketsPx?: readonly number[] | null;
  /**
   * Lines whose tensor would be wider than this are read in overlapping pieces of exactly this width
   * (rec-chunks.ts) and merged, so no run is wider. Snapped down to a width bucket (≥ 320). Default
   * DEFAULT_GPU_REC_CHUNK_WIDTH_PX on GPU EPs (each width is a shape to tune and a pooled session there); null
   * (off) on the CPU EP, where any width costs nothing extra.
   */
  chunkWidthPx?: number | null;
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
  /**
   * Pack several lines side by side into each tensor row of the chunk width (rec-packing.ts): every run is then
   * [batchSize, 3, 48, chunk width], each line at its own unsqueezed width, and width buckets and batch-size
   * buckets do not apply. Needs chunking (chunkWidthPx). Default: on GPU EPs (one shape to tune, a third fewer
   * tensor columns on A4 pages); off on the CPU EP, where a run costs its columns whatever their shape.
   */
  pack?: boolean;
  /** Blank columns between packed lines; default DEFAULT_REC_PACK_GAP_PX. */
  packGapPx?: number;
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
  /** One input buffer and resize scratch per batch in flight (see run). */
  readonly #arenas: TensorArena[] = [];
  readonly #scratches: ResizeScratch[] = [];
  /** Character table, index = model class (0 = blank, last = ' '). */
  readonly character: readonly string[];
  readonly batching: Readonly<RecBatchingOptions>;
  /** Tensor width past which lines are chunked (a width bucket, or with packing the row width), or null. */
  readonly chunkWidthPx: number | null;
  /** Packed rows (TextRecognizerOptions.pack), or null: one line per row. */
  readonly packing: Readonly<RecPackingOptions> | null;
  /**
   * What the session's first run returned: 'argmax' = the argmax head (engines/runtime/rec-head.ts,
   * [N, T, 3]), 'probs' = the softmax [N, T, classes]. run() decodes each batch by its output's shape, so
   * a session that mixes both (TensorRT routes + a headed fallback) still decodes correctly.
   */
  readonly outputKind: 'argmax' | 'probs';

  private constructor(
    session: OcrSession,
    character: readonly string[],
    batching: RecBatchingOptions,
    chunkWidthPx: number | null,
    outputKind: 'argmax' | 'probs',
    packing: RecPackingOptions | null,
  ) {
    this.#session = session;
    this.character = character;
    this.batching = batching;
    this.chunkWidthPx = chunkWidthPx;
    this.outputKind = outputKind;
    this.packing = packing;
  }

  /**
   * Loads the dictionary and checks it against the model: one probe run at [1, 3, 48, 320] (which is
   * also the smallest bucket's warm-up) reads the model's class count.
   */
  static async create(session: OcrSession, dictPath: string, opts: TextRecognizerOptions = {}): Promise<TextRecognizer> {
    const onCpu = session.provider.provider === 'cpu';
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? (onCpu ? 1 : DEFAULT_GPU_REC_BATCH_ROWS)));
    const chunkOpt = opts.chunkWidthPx === undefined ? (onCpu ? null : DEFAULT_GPU_REC_CHUNK_WIDTH_PX) : opts.chunkWidthPx;
    const widthBucketsPx =
      opts.widthBucketsPx !== undefined
        ? opts.widthBucketsPx
        : onCpu
          ? DEFAULT_REC_WIDTH_BUCKETS_PX
          : chunkOpt === null
            ? GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX
            : chunkOpt === DEFAULT_GPU_REC_CHUNK_WIDTH_PX
              ? GPU_REC_WIDTH_BUCKETS_PX
              : DEFAULT_REC_WIDTH_BUCKETS_PX.filter((w) => w <= Math.max(REC_MIN_IMG_W_PX, chunkOpt));
    const pack = opts.pack ?? (!onCpu && chunkOpt !== null);
    if (pack && chunkOpt === null) throw new OcrError('INVALID_ARGUMENT', 'Packed recognition rows need a chunk width (chunkWidthPx).');
    // A piece runs at exactly the chunk width, so that width must be a bucket: the largest one at or below it.
    // Packed, it is the row width: any multiple of a time step.
    let chunkWidthPx: number | null = null;
    if (chunkOpt !== null) {
      const wanted = Math.max(REC_MIN_IMG_W_PX, chunkOpt);
      chunkWidthPx =
        !pack && widthBucketsPx && widthBucketsPx.length > 0 ? bucketImgWidth(wanted, widthBucketsPx) : Math.floor(wanted / REC_TIME_STEP_PX) * REC_TIME_STEP_PX;
    }
    const packing: RecPackingOptions | null =
      pack && chunkWidthPx !== null ? { rowWidthPx: chunkWidthPx, rows: batchSize, gapPx: Math.max(0, opts.packGapPx ?? DEFAULT_REC_PACK_GAP_PX) } : null;
    const maxBatchWidthPx = opts.maxBatchWidthPx ?? (onCpu || !widthBucketsPx?.length ? undefined : batchSize * widthBucketsPx[widthBucketsPx.length - 1]!);
    const batching: RecBatchingOptions = {
      batchSize,
      widthBucketsPx,
      batchSizeBuckets: opts.batchSizeBuckets === undefined ? (onCpu ? null : [batchSize]) : opts.batchSizeBuckets,
      ...(maxBatchWidthPx === undefined ? {} : { maxBatchWidthPx }),
    };
    // The probe has the shape a run of short lines will have here, so on a GPU it doubles as that warm-up.
    const shortRun = planRecBatches([{ width: REC_MIN_IMG_W_PX, height: REC_IMG_H_PX }], batching)[0]!;
    const probeDims = packing ? recPackedShape(packing) : [shortRun.rows, 3, REC_IMG_H_PX, shortRun.imgWPx];
    let dims: readonly number[];
    let data: Float32Array;
    try {
      ({ dims, data } = await session.run({ data: new Float32Array(probeDims.reduce((a, b) => a * b, 1)), dims: probeDims }));
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
    return new TextRecognizer(session, character, batching, chunkWidthPx, outputKind, packing);
  }

  /**
   * Recognises `crops`; results come back in the input order. Zero-size crops give empty text. With a
   * session whose parallelism is > 1 (several single-threaded CPU sessions), that many batches are in
   * flight at once, each with its own input buffer; the next batch is prepared while others run.
   */
  async run(crops: readonly RgbImage[], opts: RecRunOptions = {}): Promise<RecOutput> {
    const results: RecResult[] = crops.map(() => ({ text: '', confidence: 0, chars: [] }));
    const timings = { preMs: 0, runMs: 0, postMs: 0 };
    const tUnits = performance.now();
    const units = this.#units(crops);
    const unitsMs = performance.now() - tUnits;
    const unitResults: RecResult[] = new Array(units.images.length);
    const packing = this.packing;
    const plans: (RecBatchPlan | RecPackedBatch)[] = packing ? planRecPacking(units.sizes, packing) : planRecBatches(units.sizes, this.batching);
    const batchShapes: number[][] = new Array(plans.length);
    const tStart = performance.now();
    const lanes = await inLanes(plans.length, this.#session.parallelism ?? 1, async (index, lane) => {
      const plan = plans[index]!;
      if (opts.signal?.aborted) throw new OcrError('CANCELLED', 'Text recognition was cancelled.', { cause: opts.signal.reason });
      const t0 = performance.now();
      const dims = [plan.rows, 3, REC_IMG_H_PX, plan.imgWPx];
      const input = (this.#arenas[lane] ??= new TensorArena()).view(plan.rows * 3 * REC_IMG_H_PX * plan.imgWPx);
      const scratch = (this.#scratches[lane] ??= new ResizeScratch());
      if ('segments' in plan) writeRecPackedBatch(units.images, plan, input, scratch, units.windows);
      else writeRecBatch(units.images, plan, input, scratch, units.windows);
      const t1 = performance.now();
      const output = await this.#session.run({ data: input, dims });
      const t2 = performance.now();
      const headed = output.dims[2] === REC_HEAD_CHANNELS;
      if (output.dims.length !== 3 || output.dims[0]! < plan.rows || (!headed && output.dims[2] !== this.character.length)) {
        throw new OcrError('INTERNAL', `The recognition model returned shape [${output.dims.join(', ')}] for input [${dims.join(', ')}].`);
      }
      if ('segments' in plan) {
        // Each line is decoded from the time steps over its own columns (and the gap after it).
        const [, timeSteps, channels] = output.dims as [number, number, number];
        const stepsPerPx = timeSteps / plan.imgWPx;
        plan.segments.forEach((row, r) => {
          for (const seg of row) {
            const from = Math.round(seg.x0Px * stepsPerPx);
            const steps = Math.max(1, Math.round(seg.toPx * stepsPerPx) - from);
            const offset = (r * timeSteps + from) * channels;
            const contentFrac = seg.widthPx / ((steps / timeSteps) * plan.imgWPx);
            unitResults[seg.unit] = headed
              ? ctcGreedyDecodeArgmax(output.data, offset, steps, channels, this.character, contentFrac)
              : ctcGreedyDecode(output.data, offset, steps, channels, this.character, contentFrac);
          }
        });
      } else {
        const contentFracs = plan.resizedWidthsPx.map((w) => w / plan.imgWPx);
        const decoded = headed
          ? ctcGreedyDecodeArgmaxBatch(output.data, output.dims, this.character, contentFracs)
          : ctcGreedyDecodeBatch(output.data, output.dims, this.character, contentFracs);
        plan.cropIndices.forEach((j, row) => {
          unitResults[j] = decoded[row]!;
        });
      }
      const t3 = performance.now();
      timings.preMs += t1 - t0;
      timings.runMs += t2 - t1;
      timings.postMs += t3 - t2;
      batchShapes[index] = dims;
    });
    // Side by side, runs overlap each other and the next batch's preparation: what the page waited for
    // is the wall time less the (serial) JS work.
    if (lanes > 1) timings.runMs = Math.max(0, performance.now() - tStart - timings.preMs - timings.postMs);
    timings.preMs += unitsMs;
    const tMerge = performance.now();
    for (const o of units.owners) {
      results[o.crop] = o.pieces
        ? mergeRecPieces(o.pieces, unitResults.slice(o.firstUnit, o.firstUnit + o.pieces.length), crops[o.crop]!.width)
        : unitResults[o.firstUnit]!;
    }
    timings.postMs += performance.now() - tMerge;
    return { results, timings, batchShapes };
  }

  /**
   * What the model runs for `crops`: each non-empty crop whole, or, when chunking applies to it
   * (needsRecChunks), its pieces (planRecPieces) as windows of the crop, which batch like any crop.
   */
  #units(crops: readonly RgbImage[]): {
    images: RgbImage[];
    windows: (RecCropWindow | undefined)[];
    sizes: { width: number; height: number }[];
    /** Per non-empty crop: its first unit and, when chunked, its pieces. */
    owners: { crop: number; firstUnit: number; pieces?: RecPiece[] }[];
  } {
    const images: RgbImage[] = [];
    const windows: (RecCropWindow | undefined)[] = [];
    const sizes: { width: number; height: number }[] = [];
    const owners: { crop: number; firstUnit: number; pieces?: RecPiece[] }[] = [];
    crops.forEach((crop, i) => {
      if (cropRatio(crop) <= 0) return;
      const owner: { crop: number; firstUnit: number; pieces?: RecPiece[] } = { crop: i, firstUnit: images.length };
      if (this.chunkWidthPx !== null && needsRecChunks(crop, this.chunkWidthPx, this.packing ? null : this.batching.widthBucketsPx)) {
        const chunkPx = this.chunkWidthPx;
        // The last piece may run at any smaller bucket (no new shapes): the narrowest that holds its rest. Packed,
        // it takes exactly its rest (plus context), since there a piece costs its own columns.
        const lastWindowsPx = this.packing ? undefined : this.batching.widthBucketsPx?.filter((b) => b < chunkPx).map((b) => chunkWindowWidthPx(crop.height, b));
        const last = this.packing ? { lastWindowFitsRest: true } : lastWindowsPx ? { lastWindowsPx } : {};
        owner.pieces = planRecPieces(columnInk(crop), crop.height, chunkWindowWidthPx(crop.height, chunkPx), last);
        for (const p of owner.pieces) {
          images.push(crop);
          windows.push({ x0Px: p.x0Px, widthPx: p.widthPx });
          sizes.push({ width: p.widthPx, height: crop.height });
        }
      } else {
        images.push(crop);
        windows.push(undefined);
        sizes.push(crop);
      }
      owners.push(owner);
    });
    return { images, windows, sizes, owners };
  }

  /**
   * Every tensor shape run() can produce for lines up to the last width bucket (recPlanShapes), or with chunking
   * for every line, none wider than the chunk width: on GPU EPs one shape per width bucket up to it, all of which
   * warmUp() runs once.
   */
  planShapes(): number[][] {
    if (this.packing) return [recPackedShape(this.packing)];
    const shapes = recPlanShapes(this.batching);
    const chunk = this.chunkWidthPx;
    return chunk === null ? shapes : shapes.filter((d) => d[3]! <= chunk);
  }

  /**
   * Runs blank tensors of `shapes` (default: planShapes()), so a GPU EP tunes them before the first page
   * (each new shape costs the CUDA EP 0.3–1.7 s, once per session). Returns the shapes run.
   */
  async warmUp(shapes: readonly (readonly number[])[] = this.planShapes()): Promise<number[][]> {
    const done: number[][] = [];
    for (const shape of shapes) {
      const dims = [...shape];
      const input = (this.#arenas[0] ??= new TensorArena()).view(dims.reduce((a, b) => a * b, 1));
      input.fill(0);
      await this.#session.run({ data: input, dims });
      done.push(dims);
    }
    return done;
  }
}

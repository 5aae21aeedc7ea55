/**
 * Argmax head for the CTC rec model: appends ArgMax + ReduceMax over the class axis to the softmax
 * output, so the session returns [N, T, 3] = (argmax class, its probability, class count) per time step
 * instead of [N, T, C] probabilities (C = 6625 for PP-OCRv4: 26.5 KB per time step copied out of the
 * GPU and scanned in JS). Greedy CTC decoding needs nothing else (PaddleOCR CTCLabelDecode uses
 * preds.argmax(axis=2) and preds.max(axis=2) only).
 *
 * Why one float32 output of three channels rather than separate int64/float outputs: OcrSession.run
 * returns one float32 tensor, and every session wrapper (ShapePooledSession, ShapeRoutedSession, the
 * WebGPU run queue) keeps working unchanged. Class indices < 2^24 are exact in float32. The third
 * channel (the class count, read from the softmax's shape) lets TextRecognizer still check the
 * dictionary against the model.
 *
 * Works on the original model and on the FP16 conversion alike: with keepIoTypes the FP16 model's
 * output is the FP32 Cast of the softmax, so the head sees exactly the values the full-probability
 * path reads.
 */
import { REC_HEAD_CHANNELS } from '../rec/ctc-decode.js';
import type { CacheKey, EngineCache } from './engine-cache.js';
import { derivedModelKey, getDerivedModel } from './derived-model.js';
import {
  AttrType,
  ElemType,
  decodeModel,
  defaultOpset,
  encodeModel,
  makeInt64Tensor,
  onnx,
  sha256File,
  toNumber,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
} from './onnx-model.js';

/** Bump when the derived graph changes for the same input: part of the cache key. */
export const REC_HEAD_VERSION = 1;
export { REC_HEAD_CHANNELS };
export const REC_HEAD_OUTPUT = 'lucid_rec_argmax_head';
export const REC_HEAD_MODEL_FILE = 'model.rec-head.onnx';


const intAttr = (name: string, i: number) => onnx.AttributeProto.create({ name, type: AttrType.INT, i });
const intsAttr = (name: string, ints: number[]) => onnx.AttributeProto.create({ name, type: AttrType.INTS, ints });

/**
 * Returns the rec model with the argmax head appended (see the file comment). The input model must have
 * one output of shape [N, T, C] (a CTC rec model; its class axis is 2). Opset-aware: Slice takes
 * attributes before opset 10, ReduceMax its axes as an input from opset 18.
 */
export function deriveRecHeadModel(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const g = model.graph;
  if (!g || (g.output ?? []).length !== 1) throw new Error('the rec model must have exactly one output to derive the argmax head');
  const probs = g.output![0]!.name ?? '';
  const opset = defaultOpset(model);
  const p = (s: string) => `${REC_HEAD_OUTPUT}__${s}`;
  const nodes: NodeProto[] = [];
  const inits = g.initializer ?? (g.initializer = []);
  const node = (opType: string, input: string[], output: string[], attribute: AttributeProto[] = []) =>
    nodes.push(onnx.NodeProto.create({ name: output[0], opType, input, output, attribute }));

  // keepdims=1 gives [N, T, 1] directly, ready to concatenate (no Unsqueeze, whose form changed at opset 13).
  // select_last_index defaults to 0: the first maximum wins, as in numpy's argmax and ctcGreedyDecode.
  node('ArgMax', [probs], [p('argmax_i64')], [intAttr('axis', 2), intAttr('keepdims', 1)]);
  node('Cast', [p('argmax_i64')], [p('argmax')], [intAttr('to', ElemType.FLOAT)]);
  if (opset >= 18) {
    inits.push(makeInt64Tensor(p('axes'), [1], [2]));
    node('ReduceMax', [probs, p('axes')], [p('max')], [intAttr('keepdims', 1)]);
  } else {
    node('ReduceMax', [probs], [p('max')], [intsAttr('axes', [2]), intAttr('keepdims', 1)]);
  }
  // Class count: Shape(probs)[2:3] as float, broadcast to [N, T, 1] with Expand (no arithmetic on the
  // probabilities, so a NaN cannot leak into it).
  node('Shape', [probs], [p('shape')]);
  if (opset >= 10) {
    inits.push(makeInt64Tensor(p('starts'), [1], [2]), makeInt64Tensor(p('ends'), [1], [3]), makeInt64Tensor(p('slice_axes'), [1], [0]));
    node('Slice', [p('shape'), p('starts'), p('ends'), p('slice_axes')], [p('classes_i64')]);
  } else {
    node('Slice', [p('shape')], [p('classes_i64')], [intsAttr('starts', [2]), intsAttr('ends', [3]), intsAttr('axes', [0])]);
  }
  node('Cast', [p('classes_i64')], [p('classes')], [intAttr('to', ElemType.FLOAT)]);
  node('Shape', [p('max')], [p('max_shape')]);
  node('Expand', [p('classes'), p('max_shape')], [p('classes_nt')]);
  node('Concat', [p('argmax'), p('max'), p('classes_nt')], [REC_HEAD_OUTPUT], [intAttr('axis', 2)]);

  g.node = [...(g.node ?? []), ...nodes];
  const dims = g.output![0]!.type?.tensorType?.shape?.dim ?? [];
  g.output = [
    onnx.ValueInfoProto.create({
      name: REC_HEAD_OUTPUT,
      type: {
        tensorType: {
          elemType: ElemType.FLOAT,
          shape: { dim: [dims[0] ?? { dimParam: 'N' }, dims[1] ?? { dimParam: 'T' }, { dimValue: REC_HEAD_CHANNELS }] },
        },
      },
    }),
  ];
  return encodeModel(model);
}

export function recHeadCacheKey(sourceSha256: string, precision: 'fp32' | 'fp16'): CacheKey {
  // Its own kind (earlier versions filed it as an 'fp16-model' with this recipe: such old entries are
  // plain misses now, and EngineCache.purgeStale removes them).
  return derivedModelKey('rec-head-model', sourceSha256, { stage: 'rec', precision, recipe: `rec-argmax-head-${REC_HEAD_VERSION}` });
}

/**
 * The argmax-head version of `sourcePath` (the original rec model or its FP16 conversion), derived once
 * and kept in `cache` keyed by the source file's content hash (EngineCache.put writes into a temporary
 * folder renamed into place: atomic). Another process deriving the same model is waited for. A cached
 * file found damaged (size or sha256) is derived again; `rebuiltBecause` then says what was wrong.
 */
export async function getRecHeadModel(
  sourcePath: string,
  opts: { cache: EngineCache; precision?: 'fp32' | 'fp16'; waitMs?: number },
): Promise<{ path: string; cached: boolean; entryId: string; rebuiltBecause?: string }> {
  const key = recHeadCacheKey(await sha256File(sourcePath), opts.precision ?? 'fp32');
  const r = await getDerivedModel({
    cache: opts.cache,
    key,
    fileName: REC_HEAD_MODEL_FILE,
    sourcePath,
    waitMs: opts.waitMs,
    derive: (bytes) => ({ model: deriveRecHeadModel(bytes), meta: { recipe: key.recipe } }),
  });
  return { path: r.path, cached: r.cached, entryId: r.entryId, ...(r.rebuiltBecause ? { rebuiltBecause: r.rebuiltBecause } : {}) };
}

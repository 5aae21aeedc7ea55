// FP32 → FP16 model conversion after microsoft/onnxconverter-common onnxconverter_common/float16.py
// (convert_float_to_float16 with keep_io_types, op_block_list, min_positive_val / max_finite_val).
/**
 * The converter works on a decoded ModelProto and never needs ONNX shape inference: it propagates
 * element types itself (the PP-OCR graphs carry no value_info and keep their weights in Constant nodes).
 *
 * Every float value ends up either fp16 or fp32. Nodes run in fp16 unless blocked; blocked nodes (the
 * precision-sensitive ops) keep fp32 inputs and outputs; a Cast is inserted wherever a value's
 * precision differs from what its consumer needs. With keepIoTypes the graph's inputs and outputs stay
 * float32, so the JS side keeps handing ORT Float32Arrays.
 */
import type { CacheKey, EngineCache } from './engine-cache.js';
import { derivedModelKey, getDerivedModel } from './derived-model.js';
import {
  AttrType,
  ElemType,
  decodeModel,
  encodeModel,
  float32ToFloat16Bits,
  onnx,
  opTypeInventory,
  readFloat32,
  sha256File,
  sha256Hex,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './onnx-model.js';

/** Bump when the conversion's output changes for the same input: it is part of the cache key. */
export const FP16_CONVERTER_VERSION = 1;

/**
 * onnxconverter-common's DEFAULT_OP_BLOCK_LIST (ML ops, NMS/TopK/RoiAlign, Resize, Range, CumSum,
 * Min, Max, Upsample). The PP-OCR graphs use only Resize from it (the det neck's upsampling).
 */
export const ONNXCONVERTER_COMMON_OP_BLOCK_LIST: readonly string[] = [
  'ArrayFeatureExtractor', 'Binarizer', 'CastMap', 'CategoryMapper', 'DictVectorizer', 'FeatureVectorizer',
  'Imputer', 'LabelEncoder', 'LinearClassifier', 'LinearRegressor', 'Normalizer', 'OneHotEncoder',
  'RandomUniformLike', 'SVMClassifier', 'SVMRegressor', 'Scaler', 'TreeEnsembleClassifier',
  'TreeEnsembleRegressor', 'ZipMap', 'NonMaxSuppression', 'TopK', 'RoiAlign', 'Resize', 'Range', 'CumSum',
  'Min', 'Max', 'Upsample',
];

/**
 * Our default: onnxconverter-common's list plus Clip. onnxruntime-node 1.29's CUDA EP has no fp16
 * kernel for the Clip versions these graphs use (opset 9 attribute form, opset 11), and its WebGPU EP
 * none for opset 9: measured on the H200, fp16 Clip ran on the CPU with 50–60 Casts and memcpys around
 * it (det 960² 24 ms instead of 5.8 ms, rec 32×48×320 106 ms instead of 43 ms). Kept fp32, it stays on
 * the GPU.
 */
export const DEFAULT_FP16_OP_BLOCK_LIST: readonly string[] = [...ONNXCONVERTER_COMMON_OP_BLOCK_LIST, 'Clip'];

/**
 * The ops of the rec model's hand-decomposed LayerNorm (ReduceMean → Sub → Pow → ReduceMean → Add →
 * Sqrt → Div). Squaring activations in fp16 overflows past 256 (TensorRT keeps a
 * layer_norm_fp32_fallback for the same reason). Blocking them costs a few Casts; opt-in via
 * `opBlockList: [...DEFAULT_FP16_OP_BLOCK_LIST, ...LAYER_NORM_OPS]` when a model needs it.
 */
export const LAYER_NORM_OPS: readonly string[] = ['ReduceMean', 'Pow', 'Sqrt'];

export interface Fp16Options {
  /** Keep graph inputs/outputs float32 (insert Casts at the boundary). Default true. */
  keepIoTypes?: boolean;
  /** Op types that stay fp32 with Casts around them. Default DEFAULT_FP16_OP_BLOCK_LIST. */
  opBlockList?: readonly string[];
  /** Node names that stay fp32. */
  nodeBlockList?: readonly string[];
  /** |x| below this (and non-zero) becomes ±minPositiveVal. Default 1e-7. */
  minPositiveVal?: number;
  /** |x| above this (and finite) becomes ±maxFiniteVal. Default 1e4. */
  maxFiniteVal?: number;
  /** Fold BatchNormalization into the preceding Conv in fp32 before converting. Default true. */
  foldBatchNorm?: boolean;
}

export interface Fp16Report {
  converterVersion: number;
  opTypes: Record<string, number>;
  /** Float tensors (initializers, Constant and attribute tensors) converted to fp16. */
  convertedTensors: number;
  /** Float tensors left fp32 because every consumer needs fp32. */
  keptFp32Tensors: number;
  /** Values that had to be clamped into fp16's safe range. */
  clampedValues: number;
  blockedNodes: { name: string; opType: string }[];
  insertedCasts: number;
  /** BatchNormalization nodes folded into their Conv before conversion. */
  foldedBatchNorms: number;
}

/** The options that change the output, in canonical form, for cache keys. */
export function fp16OptionsKey(opts: Fp16Options = {}): string {
  const o = resolveOptions(opts);
  return sha256Hex(
    JSON.stringify({
      v: FP16_CONVERTER_VERSION,
      keepIoTypes: o.keepIoTypes,
      op: [...o.opBlockList].sort(),
      node: [...o.nodeBlockList].sort(),
      min: o.minPositiveVal,
      max: o.maxFiniteVal,
      fold: o.foldBatchNorm,
    }),
  ).slice(0, 16);
}

function resolveOptions(opts: Fp16Options) {
  return {
    keepIoTypes: opts.keepIoTypes ?? true,
    opBlockList: new Set(opts.opBlockList ?? DEFAULT_FP16_OP_BLOCK_LIST),
    nodeBlockList: new Set(opts.nodeBlockList ?? []),
    minPositiveVal: opts.minPositiveVal ?? 1e-7,
    maxFiniteVal: opts.maxFiniteVal ?? 1e4,
    foldBatchNorm: opts.foldBatchNorm ?? true,
  };
}

type Precision = 'fp16' | 'fp32';
/** How a node treats its float inputs. */
type NodeMode = 'fp16' | 'fp32' | 'agnostic' | 'none';

/** Input slots that must stay float32 whatever the node's precision (ONNX spec: tensor(float) only). */
const ALWAYS_FP32_INPUTS: Record<string, number[]> = {
  Resize: [1, 2],
  Upsample: [1],
};

/** Ops whose output element type is fixed rather than following the first input. */
const FIXED_OUTPUT_TYPE: Record<string, number[]> = {
  Shape: [ElemType.INT64],
  Size: [ElemType.INT64],
  NonZero: [ElemType.INT64],
  ArgMax: [ElemType.INT64],
  ArgMin: [ElemType.INT64],
  NonMaxSuppression: [ElemType.INT64],
  Equal: [ElemType.BOOL],
  Less: [ElemType.BOOL],
  LessOrEqual: [ElemType.BOOL],
  Greater: [ElemType.BOOL],
  GreaterOrEqual: [ElemType.BOOL],
  Not: [ElemType.BOOL],
  And: [ElemType.BOOL],
  Or: [ElemType.BOOL],
  Xor: [ElemType.BOOL],
  IsNaN: [ElemType.BOOL],
  IsInf: [ElemType.BOOL],
};

/** Ops whose float data input is taken from a slot other than 0. */
const DATA_INPUT_SLOT: Record<string, number> = { Where: 1 };

/** Ops that only read their input's shape/elements without computing on the values. */
const AGNOSTIC_OPS = new Set(['Shape', 'Size']);

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function constantElemType(node: NodeProto): number | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return a.t.dataType ?? undefined;
    if (a.name === 'value_float' || a.name === 'value_floats') return ElemType.FLOAT;
    if (a.name === 'value_int' || a.name === 'value_ints') return ElemType.INT64;
    if (a.name === 'value_string' || a.name === 'value_strings') return ElemType.STRING;
  }
  return undefined;
}

/** Propagates element types through the graph (no shapes needed). */
function inferElemTypes(model: ModelProto): Map<string, number> {
  const g = model.graph!;
  const types = new Map<string, number>();
  for (const vi of [...(g.input ?? []), ...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const et = vi.type?.tensorType?.elemType;
    if (vi.name && et) types.set(vi.name, et);
  }
  for (const t of g.initializer ?? []) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const n of g.node ?? []) {
    const outs = n.output ?? [];
    let outType: number | undefined;
    if (n.opType === 'Constant') outType = constantElemType(n);
    else if (n.opType === 'Cast') outType = Number(attr(n, 'to')?.i ?? 0) || undefined;
    else if (n.opType === 'CastLike') outType = types.get(n.input?.[1] ?? '');
    else if (n.opType === 'ConstantOfShape') outType = attr(n, 'value')?.t?.dataType ?? ElemType.FLOAT;
    else if (FIXED_OUTPUT_TYPE[n.opType ?? '']) {
      FIXED_OUTPUT_TYPE[n.opType!]!.forEach((t, i) => outs[i] && types.set(outs[i]!, t));
      // TopK and friends: other outputs follow the data input.
      continue;
    } else if (n.opType === 'TopK') {
      const t = types.get(n.input?.[0] ?? '');
      if (outs[0] && t) types.set(outs[0], t);
      if (outs[1]) types.set(outs[1], ElemType.INT64);
      continue;
    } else {
      outType = types.get(n.input?.[DATA_INPUT_SLOT[n.opType ?? ''] ?? 0] ?? '');
    }
    if (outType !== undefined) for (const o of outs) if (o && !types.has(o)) types.set(o, outType);
  }
  return types;
}

function isFloat(types: Map<string, number>, name: string | undefined | null): boolean {
  return !!name && types.get(name) === ElemType.FLOAT;
}

/** Converts float32 values to fp16 bits with onnxconverter-common's sign-keeping clamp. */
function toFp16Clamped(values: Float32Array, minPos: number, maxFinite: number, stats: { clamped: number }): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    const a = Math.abs(v);
    // Strict bounds as in float16.py's between(): 0, NaN and ±inf stay as they are.
    if (a > 0 && a < minPos) {
      v = v < 0 ? -minPos : minPos;
      stats.clamped++;
    } else if (a > maxFinite && a < Infinity) {
      v = v < 0 ? -maxFinite : maxFinite;
      stats.clamped++;
    }
    out[i] = float32ToFloat16Bits(v);
  }
  return out;
}

function convertTensorInPlace(t: TensorProto, o: ReturnType<typeof resolveOptions>, stats: { clamped: number }): void {
  const values = readFloat32(t);
  const half = toFp16Clamped(values, o.minPositiveVal, o.maxFiniteVal, stats);
  t.dataType = ElemType.FLOAT16;
  t.rawData = new Uint8Array(half.buffer);
  t.floatData = [];
}

// ---------------------------------------------------------------------------------------------------
// BatchNormalization folding. paddle2onnx leaves Conv → BatchNormalization unfused; in fp16 the BN's
// running variance (often > 1e4, so clamped) and the Conv's large pre-normalisation activations (det
// head: up to 2e4, where fp16 steps are 16 wide) wreck the output. Folding BN into the Conv in fp32 first
// (as ORT and TensorRT do at load time) removes both problems.

/** A float constant available at conversion time: a Constant node's tensor or an initializer. */
interface ConstRef {
  tensor: TensorProto;
}

function findConst(model: ModelProto, name: string, producerOf: Map<string, NodeProto>): ConstRef | undefined {
  const p = producerOf.get(name);
  if (p?.opType === 'Constant') {
    const a = (p.attribute ?? []).find((x) => x.name === 'value' && x.t);
    if (a?.t && a.t.dataType === ElemType.FLOAT) return { tensor: a.t };
    return undefined;
  }
  const init = (model.graph?.initializer ?? []).find((t) => t.name === name);
  return init && init.dataType === ElemType.FLOAT ? { tensor: init } : undefined;
}

function makeInitializer(name: string, dims: number[], values: Float32Array): TensorProto {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: ElemType.FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
}

/**
 * Folds BatchNormalization (inference form) into a preceding Conv, or ConvTranspose with group 1,
 * optionally through one per-channel constant Add (the det head's ConvTranspose → Add(bias) → BN).
 * Only folds when each folded value has a single consumer. Returns how many BNs were folded.
 */
export function foldBatchNormalization(model: ModelProto): number {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const producerOf = new Map<string, NodeProto>();
  const consumerCount = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.output ?? []) if (o) producerOf.set(o, n);
    for (const i of n.input ?? []) if (i) consumerCount.set(i, (consumerCount.get(i) ?? 0) + 1);
  }
  const graphOutputs = new Set((g.output ?? []).map((v) => v.name));
  const singleUse = (name: string) => consumerCount.get(name) === 1 && !graphOutputs.has(name);
  const removed = new Set<NodeProto>();
  let folded = 0;

  for (const bn of nodes) {
    if (bn.opType !== 'BatchNormalization' || (bn.output ?? []).filter(Boolean).length !== 1) continue;
    if (Number(attr(bn, 'training_mode')?.i ?? 0) !== 0) continue;
    const eps = attr(bn, 'epsilon')?.f ?? 1e-5;
    const [x, scaleName, biasName, meanName, varName] = bn.input ?? [];
    const stats = [scaleName, biasName, meanName, varName].map((n) => (n ? findConst(model, n, producerOf) : undefined));
    if (!x || stats.some((s) => !s)) continue;
    const [scale, bnBias, mean, variance] = stats.map((s) => readFloat32(s!.tensor));
    const channels = scale!.length;

    // Walk back through at most one per-channel constant Add.
    let conv = producerOf.get(x);
    let add: NodeProto | undefined;
    let addBias: Float32Array | undefined;
    if (conv?.opType === 'Add' && singleUse(x)) {
      const [a, b] = conv.input ?? [];
      const constIdx = [a, b].findIndex((n) => n && findConst(model, n, producerOf));
      const other = [a, b][1 - constIdx];
      if (constIdx >= 0 && other) {
        const t = findConst(model, [a, b][constIdx]!, producerOf)!.tensor;
        const dims = (t.dims ?? []).map(Number);
        const vals = readFloat32(t);
        const perChannel = vals.length === channels && (dims.length === 4 ? dims[1] === channels : dims.length === 3 ? dims[0] === channels : false);
        if (vals.length === 1 || perChannel) {
          add = conv;
          addBias = vals.length === 1 ? new Float32Array(channels).fill(vals[0]!) : vals;
          conv = producerOf.get(other);
          if (!singleUse(other)) conv = undefined;
        }
      }
      if (!add) conv = undefined;
    } else if (conv && !singleUse(x)) conv = undefined;
    if (!conv || (conv.opType !== 'Conv' && conv.opType !== 'ConvTranspose')) continue;
    const group = Number(attr(conv, 'group')?.i ?? 1);
    if (conv.opType === 'ConvTranspose' && group !== 1) continue;
    const [, wName, cbName] = conv.input ?? [];
    const w = wName ? findConst(model, wName, producerOf) : undefined;
    const cb = cbName ? findConst(model, cbName, producerOf) : undefined;
    if (!w || (cbName && !cb)) continue;
    const wDims = (w.tensor.dims ?? []).map(Number);
    const outAxis = conv.opType === 'Conv' ? 0 : 1;
    if (wDims[outAxis] !== channels) continue;

    const wVals = readFloat32(w.tensor);
    const convBias = cb ? readFloat32(cb.tensor) : new Float32Array(channels);
    const s = new Float64Array(channels);
    for (let c = 0; c < channels; c++) s[c] = scale![c]! / Math.sqrt(variance![c]! + eps);
    const newW = new Float32Array(wVals.length);
    const inner = wDims.slice(2).reduce((a, b) => a * b, 1);
    if (outAxis === 0) {
      const per = wVals.length / channels;
      for (let c = 0; c < channels; c++) for (let k = 0; k < per; k++) newW[c * per + k] = wVals[c * per + k]! * s[c]!;
    } else {
      const cin = wDims[0]!;
      for (let i = 0; i < cin; i++)
        for (let c = 0; c < channels; c++)
          for (let k = 0; k < inner; k++) {
            const idx = (i * channels + c) * inner + k;
            newW[idx] = wVals[idx]! * s[c]!;
          }
    }
    const newB = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      newB[c] = (convBias[c]! + (addBias?.[c] ?? 0) - mean![c]!) * s[c]! + bnBias![c]!;
    }
    const base = conv.name || conv.output![0]!;
    const wNew = `${base}__bnfold_W`;
    const bNew = `${base}__bnfold_B`;
    g.initializer = [...(g.initializer ?? []), makeInitializer(wNew, wDims, newW), makeInitializer(bNew, [channels], newB)];
    conv.input = [conv.input![0]!, wNew, bNew];
    conv.output = [bn.output![0]!];
    removed.add(bn);
    if (add) removed.add(add);
    folded++;
  }
  if (folded === 0) return 0;
  g.node = nodes.filter((n) => !removed.has(n));
  removeUnusedConstants(model);
  return folded;
}

/** Drops Constant nodes and initializers nothing reads any more (the folded weights' originals). */
function removeUnusedConstants(model: ModelProto): void {
  const g = model.graph!;
  const used = new Set<string>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) if (i) used.add(i);
  for (const o of g.output ?? []) if (o.name) used.add(o.name);
  g.node = (g.node ?? []).filter((n) => n.opType !== 'Constant' || (n.output ?? []).some((o) => used.has(o)));
  const inputs = new Set((g.input ?? []).map((v) => v.name));
  g.initializer = (g.initializer ?? []).filter((t) => used.has(t.name ?? '') || inputs.has(t.name ?? ''));
}

/**
 * Converts an ONNX model (bytes) to FP16. Throws on graphs with subgraphs (If/Loop/Scan), which the
 * PP-OCR models do not have and this converter does not handle.
 */
export function convertModelToFp16(modelBytes: Uint8Array, options: Fp16Options = {}): { model: Uint8Array; report: Fp16Report } {
  const o = resolveOptions(options);
  const model = decodeModel(modelBytes);
  const g = model.graph;
  if (!g) throw new Error('ONNX model has no graph');
  for (const n of g.node ?? []) {
    if ((n.attribute ?? []).some((a) => a.type === AttrType.GRAPH || a.type === AttrType.GRAPHS)) {
      throw new Error(`FP16 conversion does not support subgraphs (node ${n.name} ${n.opType})`);
    }
  }
  const report: Fp16Report = {
    converterVersion: FP16_CONVERTER_VERSION,
    opTypes: opTypeInventory(model),
    convertedTensors: 0,
    keptFp32Tensors: 0,
    clampedValues: 0,
    blockedNodes: [],
    insertedCasts: 0,
    foldedBatchNorms: o.foldBatchNorm ? foldBatchNormalization(model) : 0,
  };
  const stats = { clamped: 0 };
  const types = inferElemTypes(model);
  const nodes = g.node ?? [];

  // 1. How each node treats float values.
  const mode = new Map<NodeProto, NodeMode>();
  for (const n of nodes) {
    const op = n.opType ?? '';
    if (op === 'Constant') continue;
    const touchesFloat = (n.input ?? []).some((i) => isFloat(types, i)) || (n.output ?? []).some((x) => isFloat(types, x));
    if (!touchesFloat) mode.set(n, 'none');
    else if (AGNOSTIC_OPS.has(op) || op === 'Cast') mode.set(n, 'agnostic');
    // An unfolded BatchNormalization would get its running variance clamped to 1e4: keep it fp32.
    else if (o.opBlockList.has(op) || o.nodeBlockList.has(n.name ?? '') || op === 'BatchNormalization') {
      mode.set(n, 'fp32');
      report.blockedNodes.push({ name: n.name ?? '', opType: op });
    } else mode.set(n, 'fp16');
  }

  // Which precision each consumer slot needs (undefined = does not care).
  const required = (n: NodeProto, slot: number): Precision | undefined => {
    const m = mode.get(n);
    if (m === 'fp16') return ALWAYS_FP32_INPUTS[n.opType ?? '']?.includes(slot) ? 'fp32' : 'fp16';
    if (m === 'fp32') return 'fp32';
    return undefined;
  };
  const consumers = new Map<string, { node: NodeProto; slot: number }[]>();
  for (const n of nodes) {
    (n.input ?? []).forEach((name, slot) => {
      if (!name) return;
      const list = consumers.get(name) ?? [];
      list.push({ node: n, slot });
      consumers.set(name, list);
    });
  }
  const outputNames = new Set((g.output ?? []).map((v) => v.name ?? ''));
  /** Constants/initializers become fp16 unless every consumer that cares needs fp32. */
  const storedPrecision = (name: string): Precision => {
    const needs = (consumers.get(name) ?? []).map((c) => required(c.node, c.slot)).filter((p): p is Precision => !!p);
    if (outputNames.has(name) && o.keepIoTypes) needs.push('fp32');
    return needs.length > 0 && needs.every((p) => p === 'fp32') ? 'fp32' : 'fp16';
  };

  // 2. Precision of every float value.
  const prec = new Map<string, Precision>();
  for (const vi of g.input ?? []) {
    if (!isFloat(types, vi.name)) continue;
    prec.set(vi.name!, o.keepIoTypes ? 'fp32' : 'fp16');
    if (!o.keepIoTypes) vi.type!.tensorType!.elemType = ElemType.FLOAT16;
  }
  for (const t of g.initializer ?? []) {
    if (t.dataType !== ElemType.FLOAT || !t.name) continue;
    const p = storedPrecision(t.name);
    prec.set(t.name, p);
    if (p === 'fp16') {
      convertTensorInPlace(t, o, stats);
      report.convertedTensors++;
    } else report.keptFp32Tensors++;
  }
  for (const n of nodes) {
    const outs = n.output ?? [];
    if (n.opType === 'Constant') {
      const out = outs[0];
      if (!out || !isFloat(types, out)) continue;
      const p = storedPrecision(out);
      prec.set(out, p);
      const a = (n.attribute ?? []).find((x) => x.name === 'value' && x.t);
      if (p === 'fp16') {
        if (a?.t) convertTensorInPlace(a.t, o, stats);
        else {
          // value_float(s): rewrite as an fp16 tensor attribute.
          const fa = (n.attribute ?? []).find((x) => x.name === 'value_float' || x.name === 'value_floats')!;
          const vals = fa.name === 'value_float' ? Float32Array.of(fa.f ?? 0) : Float32Array.from(fa.floats ?? []);
          const t = onnx.TensorProto.create({ dataType: ElemType.FLOAT, dims: fa.name === 'value_float' ? [] : [vals.length] });
          t.rawData = new Uint8Array(vals.buffer);
          convertTensorInPlace(t, o, stats);
          n.attribute = [onnx.AttributeProto.create({ name: 'value', type: AttrType.TENSOR, t })];
        }
        report.convertedTensors++;
      } else report.keptFp32Tensors++;
      continue;
    }
    const m = mode.get(n);
    for (const out of outs) {
      if (!out || !isFloat(types, out)) continue;
      if (n.opType === 'Cast') prec.set(out, 'fp32');
      else prec.set(out, m === 'fp16' ? 'fp16' : 'fp32');
    }
    if (m === 'fp16') {
      // Float tensor attributes of fp16 nodes (e.g. ConstantOfShape.value) follow the node.
      for (const a of n.attribute ?? []) {
        if (a.type === AttrType.TENSOR && a.t?.dataType === ElemType.FLOAT) {
          convertTensorInPlace(a.t, o, stats);
          report.convertedTensors++;
        }
      }
    }
  }

  // 3. Casts where a value's precision differs from what its consumer needs.
  const castsAfter = new Map<string, NodeProto[]>(); // producer value → Casts to emit right after it
  const castName = new Map<string, string>();
  const producerOf = new Map<string, NodeProto>();
  for (const n of nodes) for (const out of n.output ?? []) if (out) producerOf.set(out, n);
  const leadingCasts: NodeProto[] = [];
  const castTo = (value: string, target: Precision): string => {
    const key = `${value}|${target}`;
    const existing = castName.get(key);
    if (existing) return existing;
    const name = `${value}__to_${target}`;
    const cast = onnx.NodeProto.create({
      name: `${value}__cast_to_${target}`,
      opType: 'Cast',
      input: [value],
      output: [name],
      attribute: [onnx.AttributeProto.create({ name: 'to', type: AttrType.INT, i: target === 'fp16' ? ElemType.FLOAT16 : ElemType.FLOAT })],
    });
    report.insertedCasts++;
    castName.set(key, name);
    prec.set(name, target);
    types.set(name, ElemType.FLOAT);
    if (producerOf.has(value)) {
      const list = castsAfter.get(value) ?? [];
      list.push(cast);
      castsAfter.set(value, list);
    } else leadingCasts.push(cast);
    return name;
  };

  // Graph outputs first: with keepIoTypes an fp16 output is renamed internally and cast back under its
  // public name, so consumers inside the graph are rewired to the fp16 value.
  const renamed = new Map<string, string>();
  for (const vo of g.output ?? []) {
    const name = vo.name ?? '';
    if (!isFloat(types, name) || prec.get(name) !== 'fp16') continue;
    if (!o.keepIoTypes) {
      vo.type!.tensorType!.elemType = ElemType.FLOAT16;
      continue;
    }
    const producer = producerOf.get(name);
    if (!producer) continue;
    const internal = `${name}__fp16`;
    producer.output = (producer.output ?? []).map((x) => (x === name ? internal : x));
    producerOf.delete(name);
    producerOf.set(internal, producer);
    prec.set(internal, 'fp16');
    types.set(internal, ElemType.FLOAT);
    renamed.set(name, internal);
    const cast = onnx.NodeProto.create({
      name: `${name}__cast_to_output`,
      opType: 'Cast',
      input: [internal],
      output: [name],
      attribute: [onnx.AttributeProto.create({ name: 'to', type: AttrType.INT, i: ElemType.FLOAT })],
    });
    report.insertedCasts++;
    castsAfter.set(internal, [...(castsAfter.get(internal) ?? []), cast]);
    prec.set(name, 'fp32');
  }

  for (const n of nodes) {
    if (n.opType === 'Constant') continue;
    n.input = (n.input ?? []).map((name, slot) => {
      if (!name) return name;
      const src = renamed.get(name) ?? name;
      if (!isFloat(types, src)) return src;
      const need = required(n, slot);
      const have = prec.get(src);
      if (!need || !have || need === have) return src;
      return castTo(src, need);
    });
  }

  // 4. Emit nodes in order with the Casts right after their producers (keeps the list topological).
  const ordered: NodeProto[] = [...leadingCasts];
  for (const n of nodes) {
    ordered.push(n);
    for (const out of n.output ?? []) for (const c of castsAfter.get(out) ?? []) ordered.push(c);
  }
  g.node = ordered;

  // 5. value_info follows the chosen precisions.
  for (const vi of g.valueInfo ?? []) {
    const tt = vi.type?.tensorType;
    if (tt && tt.elemType === ElemType.FLOAT && prec.get(vi.name ?? '') === 'fp16') tt.elemType = ElemType.FLOAT16;
  }

  report.clampedValues = stats.clamped;
  return { model: encodeModel(model), report };
}

// ---------------------------------------------------------------------------------------------------
// Cached conversion

export interface Fp16ModelResult {
  path: string;
  /** true when the conversion came from the cache. */
  cached: boolean;
  entryId: string;
  report: Fp16Report | null;
  /** Set when a cached conversion was found damaged (wrong size or sha256) and converted again: what was wrong. */
  rebuiltBecause?: string;
}

export const FP16_MODEL_FILE = 'model.fp16.onnx';

export function fp16CacheKey(modelSha256: string, options: Fp16Options = {}, stage?: 'det' | 'cls' | 'rec'): CacheKey {
  return derivedModelKey('fp16-model', modelSha256, { stage, precision: 'fp16', recipe: `fp16-converter-${FP16_CONVERTER_VERSION}-${fp16OptionsKey(options)}` });
}

/**
 * The FP16 version of `modelPath`, converted once and kept in `cache` (keyed by the model's content hash
 * + converter version + options). Another process converting the same model is waited for. The cache
 * checks the file's size and sha256 on every lookup: a damaged conversion is converted again.
 */
export async function getFp16Model(
  modelPath: string,
  opts: { cache: EngineCache; options?: Fp16Options; stage?: 'det' | 'cls' | 'rec'; waitMs?: number },
): Promise<Fp16ModelResult> {
  const r = await getDerivedModel({
    cache: opts.cache,
    key: fp16CacheKey(await sha256File(modelPath), opts.options, opts.stage),
    fileName: FP16_MODEL_FILE,
    sourcePath: modelPath,
    waitMs: opts.waitMs,
    derive: (bytes) => {
      const converted = convertModelToFp16(bytes, opts.options);
      return { model: converted.model, meta: { report: converted.report } };
    },
  });
  return {
    path: r.path,
    cached: r.cached,
    entryId: r.entryId,
    report: (r.meta?.report as Fp16Report | undefined) ?? null,
    ...(r.rebuiltBecause ? { rebuiltBecause: r.rebuiltBecause } : {}),
  };
}

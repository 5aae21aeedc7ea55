/**
 * Exact graph folds for the Paddle2ONNX exports of PP-OCRv4 (det and rec use PP-LCNetV3, cls uses
 * MobileNetV3). Those exports spell every activation and every "learnable affine block" out as
 * element-wise nodes: a block is
 *
 *   Conv → Mul(s1) → Add(b1) → Add(3) → Clip(0, 6) → Mul(x) → Div(6) → Mul(s2) → Add(b2) → next Conv
 *
 * Eight memory-bound passes over the feature map for one convolution. Profiled with ORT on this
 * machine's CPU EP (tests/bench/graph-fold.ts prints the split), Mul/Add/Clip/Div took 46% of the rec
 * model's time and the NCHWc reorders around them another 13%; ORT's own fusions do not touch them
 * (ConvMulFusion wants per-channel constants in initializers; there is no HardSwish fusion before
 * opset 14 and these models are opset 9 and 11).
 *
 * The folds, all algebraic identities (the results differ from the original only by float rounding):
 *  1. Conv → Mul(c) → Add(c): scale and shift the convolution's weights and bias (c a scalar or one
 *     value per output channel).
 *  2. x·Clip(x+3, 0, 6)/6 → x·HardSigmoid(x; α=1/6, β=½) (HardSigmoid is opset 6; four nodes → two).
 *  3. Mul(s) → Add(b) → Conv, s and b scalars: conv(s·y + b) = conv_{s·W}(y) + b·ΣW when the
 *     convolution has no padding (1×1 convolutions: the whole of LCNet's pointwise half). With padding
 *     the border outputs would see b·(part of ΣW), so there only the scale moves into the weights and
 *     the shift stays in front as Add(b/s): conv_W(s·y + b) = conv_{s·W}(y + b/s), zero padding
 *     included, because s·0 = 0.
 * A fold happens only where every intermediate tensor has exactly the consumers the pattern expects
 * and is not a graph output, so the graph's meaning never changes. Unused nodes and constants are then
 * dropped.
 *
 * Why not ORT's optimizer alone: it runs at every session creation and has no rule for these
 * patterns. Why not onnxsim/onnxruntime-tools: Python, and nothing may be downloaded at run time.
 */
import type { CacheKey, EngineCache } from './engine-cache.js';
import { derivedModelKey, getDerivedModel, type DerivedModel } from './derived-model.js';
import {
  AttrType,
  ElemType,
  decodeModel,
  defaultOpset,
  encodeModel,
  makeFloatTensor,
  onnx,
  readFloat32,
  sha256File,
  tensorDims,
  toNumber,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './onnx-model.js';

/** Bump when the folded graph changes for the same input: part of every cache key that holds it. */
export const GRAPH_FOLD_VERSION = 1;

export interface GraphFoldReport {
  nodesBefore: number;
  nodesAfter: number;
  /** Conv → Mul/Add constants folded into the convolution (one per Mul or Add removed). */
  convAffine: number;
  /** x·Clip(x+3,0,6)/6 patterns rewritten as x·HardSigmoid(x). */
  hardSwish: number;
  /** Mul(s)→Add(b) in front of an unpadded Conv folded away entirely. */
  affineIntoConv: number;
  /** Mul(s)→Add(b) in front of a padded Conv: the scale folded, the shift kept as one Add. */
  scaleIntoPaddedConv: number;
}

interface ConstValue {
  dims: number[];
  data: Float32Array;
}

const PREFIX = 'lucid_fold__';


function attr(n: NodeProto, name: string) {
  return (n.attribute ?? []).find((a) => a.name === name);
}

function attrInts(n: NodeProto, name: string): number[] | undefined {
  const a = attr(n, name);
  return a ? (a.ints ?? []).map(toNumber) : undefined;
}

function attrFloat(n: NodeProto, name: string): number | undefined {
  const a = attr(n, name);
  return a && a.type === AttrType.FLOAT ? (a.f ?? 0) : undefined;
}

export const FOLDED_MODEL_FILE = 'model.folded.onnx';

export function foldedModelCacheKey(sourceSha256: string, stage?: 'det' | 'cls' | 'rec'): CacheKey {
  return derivedModelKey('folded-model', sourceSha256, { stage, precision: 'fp32', recipe: `graph-fold-${GRAPH_FOLD_VERSION}` });
}

/**
 * The folded version of `sourcePath`, made once per source model (content hash) and fold version and
 * kept in `cache` (folding the rec model takes about 0.35 s on this 2-core box: too much for every
 * session and pool thread). `report` is what foldModel said when the entry was made.
 */
export async function getFoldedModel(
  sourcePath: string,
  opts: { cache: EngineCache; stage?: 'det' | 'cls' | 'rec'; waitMs?: number },
): Promise<DerivedModel & { report: GraphFoldReport | null }> {
  const r = await getDerivedModel({
    cache: opts.cache,
    key: foldedModelCacheKey(await sha256File(sourcePath), opts.stage),
    fileName: FOLDED_MODEL_FILE,
    sourcePath,
    waitMs: opts.waitMs,
    derive: (bytes) => {
      const { model, report } = foldModel(bytes);
      return { model, meta: { report } };
    },
  });
  return { ...r, report: (r.meta?.report as GraphFoldReport | undefined) ?? null };
}

/** Folds `model` (see the file comment). The input bytes are not modified. */
export function foldModel(bytes: Uint8Array): { model: Uint8Array; report: GraphFoldReport } {
  const model = decodeModel(bytes);
  const report = foldGraph(model);
  return { model: encodeModel(model), report };
}

/** Folds the decoded model in place and says what changed. */
export function foldGraph(model: ModelProto): GraphFoldReport {
  const g = model.graph;
  if (!g) throw new Error('the model has no graph');
  const opset = defaultOpset(model);
  let nodes: (NodeProto | null)[] = [...(g.node ?? [])];
  const report: GraphFoldReport = {
    nodesBefore: nodes.length,
    nodesAfter: 0,
    convAffine: 0,
    hardSwish: 0,
    affineIntoConv: 0,
    scaleIntoPaddedConv: 0,
  };
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const initializers = g.initializer ?? (g.initializer = []);

  // Constant values, whether stored as initializers or as Constant nodes (Paddle2ONNX uses the latter).
  const consts = new Map<string, ConstValue>();
  for (const t of initializers) if (t.dataType === ElemType.FLOAT) consts.set(t.name ?? '', { dims: tensorDims(t), data: readFloat32(t) });
  for (const n of nodes) {
    if (n?.opType !== 'Constant') continue;
    const t = attr(n, 'value')?.t;
    if (t && t.dataType === ElemType.FLOAT) consts.set(n.output![0]!, { dims: tensorDims(t), data: readFloat32(t) });
  }

  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  const index = () => {
    producer.clear();
    consumers.clear();
    nodes.forEach((n, i) => {
      if (!n) return;
      for (const o of n.output ?? []) producer.set(o, i);
      for (const inp of n.input ?? []) {
        if (!inp) continue;
        const list = consumers.get(inp);
        if (list) list.push(i);
        else consumers.set(inp, [i]);
      }
    });
  };
  index();

  /** The node at `i` is the only consumer of `tensor`, and the tensor is not a graph output. */
  const soleConsumer = (tensor: string): NodeProto | null => {
    if (graphOutputs.has(tensor)) return null;
    const list = consumers.get(tensor);
    if (!list || list.length !== 1) return null;
    return nodes[list[0]!] ?? null;
  };
  const nodeIndex = (n: NodeProto) => nodes.indexOf(n);
  let serial = 0;
  const addConst = (base: string, dims: number[], data: Float32Array): string => {
    const name = `${PREFIX}${base}_${serial++}`;
    initializers.push(makeFloatTensor(name, dims, data));
    consts.set(name, { dims, data });
    return name;
  };
  const remove = (n: NodeProto) => {
    nodes[nodeIndex(n)] = null;
  };
  /** The one non-constant input and the constant of a binary node, or null. */
  const splitBinary = (n: NodeProto): { x: string; c: ConstValue } | null => {
    const [a, b] = n.input ?? [];
    if (!a || !b) return null;
    if (consts.has(b) && !consts.has(a)) return { x: a, c: consts.get(b)! };
    if (consts.has(a) && !consts.has(b)) return { x: b, c: consts.get(a)! };
    return null;
  };
  // Rank ≤ 1: a scalar of higher rank would broadcast the result up to that rank.
  const isScalar = (c: ConstValue) => c.data.length === 1 && c.dims.length <= 1;
  const scalarIs = (c: ConstValue | undefined, v: number) => !!c && isScalar(c) && c.data[0] === v;

  // ---- 1. Conv → Mul(c) / Add(c) into the convolution -------------------------------------------
  for (const conv of [...nodes]) {
    if (!conv || conv.opType !== 'Conv') continue;
    const wName = conv.input?.[1];
    const w = wName ? consts.get(wName) : undefined;
    if (!w || w.dims.length < 3) continue;
    const outC = w.dims[0]!;
    const perOut = w.data.length / outC;
    const bName = conv.input?.[2];
    const b0 = bName ? consts.get(bName) : undefined;
    if (bName && !b0) continue;
    let weight: Float32Array | null = null;
    let bias: Float32Array | null = null;
    for (;;) {
      const next = soleConsumer(conv.output![0]!);
      if (!next || (next.opType !== 'Mul' && next.opType !== 'Add')) break;
      const split = splitBinary(next);
      if (!split || split.x !== conv.output![0]) break;
      const per = channelValues(split.c, outC);
      if (!per) break;
      weight ??= Float32Array.from(w.data);
      bias ??= b0 ? Float32Array.from(b0.data) : new Float32Array(outC);
      if (next.opType === 'Mul') {
        for (let o = 0; o < outC; o++) {
          const s = per[o]!;
          for (let k = o * perOut; k < (o + 1) * perOut; k++) weight[k]! *= s;
          bias[o]! *= s;
        }
      } else {
        for (let o = 0; o < outC; o++) bias[o]! += per[o]!;
      }
      conv.output![0] = next.output![0]!;
      remove(next);
      index();
      report.convAffine++;
    }
    if (weight && bias) {
      conv.input![1] = addConst('w', w.dims, weight);
      conv.input!.length = Math.max(conv.input!.length, 3);
      conv.input![2] = addConst('b', [outC], bias);
    }
  }

  // ---- 2. x·Clip(x+3, 0, 6)/6 → x·HardSigmoid(x) -------------------------------------------------
  for (const div of [...nodes]) {
    if (!div || div.opType !== 'Div') continue;
    const [mName, sixName] = div.input ?? [];
    if (!mName || !scalarIs(consts.get(sixName ?? ''), 6)) continue;
    const mIdx = producer.get(mName);
    const mul = mIdx === undefined ? null : nodes[mIdx];
    if (!mul || mul.opType !== 'Mul' || soleConsumer(mName) !== div) continue;
    const [p, q] = mul.input ?? [];
    if (!p || !q) continue;
    let matched: { x: string; add: NodeProto; clip: NodeProto } | null = null;
    for (const [x, k] of [[p, q], [q, p]] as const) {
      const clipIdx = producer.get(k);
      const clip = clipIdx === undefined ? null : nodes[clipIdx];
      if (!clip || clip.opType !== 'Clip' || soleConsumer(k) !== mul || !clipIsZeroSix(clip, opset, consts)) continue;
      const addIdx = producer.get(clip.input![0]!);
      const add = addIdx === undefined ? null : nodes[addIdx];
      if (!add || add.opType !== 'Add' || soleConsumer(add.output![0]!) !== clip) continue;
      const split = splitBinary(add);
      if (!split || split.x !== x || !scalarIs(split.c, 3)) continue;
      matched = { x, add, clip };
      break;
    }
    if (!matched) continue;
    const gate = `${PREFIX}hsig_${serial++}`;
    const hsig = onnx.NodeProto.create({
      name: gate,
      opType: 'HardSigmoid',
      input: [matched.x],
      output: [gate],
      attribute: [
        onnx.AttributeProto.create({ name: 'alpha', type: AttrType.FLOAT, f: 1 / 6 }),
        onnx.AttributeProto.create({ name: 'beta', type: AttrType.FLOAT, f: 0.5 }),
      ],
    });
    const prod = onnx.NodeProto.create({ name: `${gate}_mul`, opType: 'Mul', input: [matched.x, gate], output: [div.output![0]!] });
    // The gate goes where Add(x, 3) was (x is ready there); the product where Div was.
    nodes[nodeIndex(matched.add)] = hsig;
    remove(matched.clip);
    remove(mul);
    nodes[nodeIndex(div)] = prod;
    index();
    report.hardSwish++;
  }

  // ---- 3. Mul(s) → Add(b) → Conv ------------------------------------------------------------------
  for (const mul of [...nodes]) {
    if (!mul || mul.opType !== 'Mul') continue;
    const ms = splitBinary(mul);
    if (!ms || !isScalar(ms.c)) continue;
    const s = ms.c.data[0]!;
    const add = soleConsumer(mul.output![0]!);
    if (!add || add.opType !== 'Add') continue;
    const as = splitBinary(add);
    if (!as || as.x !== mul.output![0] || !isScalar(as.c)) continue;
    const shift = as.c.data[0]!;
    const conv = soleConsumer(add.output![0]!);
    if (!conv || conv.opType !== 'Conv' || conv.input![0] !== add.output![0]) continue;
    const w = consts.get(conv.input![1] ?? '');
    const bName = conv.input![2];
    const b0 = bName ? consts.get(bName) : undefined;
    if (!w || w.dims.length < 3 || (bName && !b0)) continue;
    const outC = w.dims[0]!;
    const perOut = w.data.length / outC;
    const padded = (attrInts(conv, 'pads') ?? []).some((v) => v !== 0) || !['', 'NOTSET', 'VALID'].includes(autoPad(conv));
    if (padded && (!Number.isFinite(shift / s) || Math.abs(s) < 1e-3)) continue;
    const weight = Float32Array.from(w.data, (v) => v * s);
    if (!padded) {
      const bias = b0 ? Float32Array.from(b0.data) : new Float32Array(outC);
      // conv(s·y + b) = Σ (s·W)·y + b·ΣW: the shift reaches every output of channel o through all of
      // its weights (no padding, so no output sees a border).
      for (let o = 0; o < outC; o++) {
        let sum = 0;
        for (let k = o * perOut; k < (o + 1) * perOut; k++) sum += w.data[k]!;
        bias[o]! += shift * sum;
      }
      conv.input![0] = ms.x;
      conv.input![1] = addConst('w', w.dims, weight);
      conv.input!.length = Math.max(conv.input!.length, 3);
      conv.input![2] = addConst('b', [outC], bias);
      remove(mul);
      remove(add);
      report.affineIntoConv++;
    } else {
      // conv_W(s·y + b) = conv_{s·W}(y + b/s), zero padding included (s·0 = 0 on both sides).
      const shiftName = addConst('shift', [], Float32Array.of(shift / s));
      const shifted = onnx.NodeProto.create({ name: `${PREFIX}shift_${serial++}`, opType: 'Add', input: [ms.x, shiftName], output: [add.output![0]!] });
      conv.input![1] = addConst('w', w.dims, weight);
      remove(mul);
      nodes[nodeIndex(add)] = shifted;
      report.scaleIntoPaddedConv++;
    }
    index();
  }

  // ---- dead nodes and constants --------------------------------------------------------------------
  for (let changed = true; changed; ) {
    changed = false;
    index();
    nodes = nodes.map((n) => {
      if (!n) return null;
      const used = (n.output ?? []).some((o) => graphOutputs.has(o) || consumers.has(o));
      if (!used) changed = true;
      return used ? n : null;
    });
  }
  g.node = nodes.filter((n): n is NodeProto => n !== null);
  index();
  g.initializer = initializers.filter((t: TensorProto) => consumers.has(t.name ?? '') || graphOutputs.has(t.name ?? ''));
  const live = new Set<string>([...producer.keys(), ...(g.input ?? []).map((i) => i.name ?? '')]);
  g.valueInfo = (g.valueInfo ?? []).filter((v) => live.has(v.name ?? ''));
  report.nodesAfter = g.node.length;
  return report;
}

function autoPad(conv: NodeProto): string {
  const a = attr(conv, 'auto_pad');
  return a?.s ? new TextDecoder().decode(a.s) : '';
}

/** A constant that broadcasts one value per output channel of an NCHW tensor: [], [1], [C,1,1], [1,C,1,1]. */
function channelValues(c: ConstValue, outC: number): Float32Array | null {
  if (c.data.length === 1 && c.dims.length <= 4) return new Float32Array(outC).fill(c.data[0]!);
  if (c.data.length !== outC) return null;
  const d = c.dims;
  const ok = (d.length === 3 && d[0] === outC && d[1] === 1 && d[2] === 1) || (d.length === 4 && d[0] === 1 && d[1] === outC && d[2] === 1 && d[3] === 1);
  return ok ? c.data : null;
}

function clipIsZeroSix(clip: NodeProto, opset: number, consts: Map<string, ConstValue>): boolean {
  if (opset < 11) return attrFloat(clip, 'min') === 0 && attrFloat(clip, 'max') === 6;
  const [, lo, hi] = clip.input ?? [];
  const l = lo ? consts.get(lo) : undefined;
  const h = hi ? consts.get(hi) : undefined;
  return !!l && !!h && l.data.length === 1 && h.data.length === 1 && l.data[0] === 0 && h.data[0] === 6;
}

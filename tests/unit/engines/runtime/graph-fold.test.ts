import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { foldModel } from '../../../../engines/runtime/graph-fold.js';
import {
  decodeModel,
  encodeModel,
  makeAttribute,
  makeFloatTensor,
  makeTensorValueInfo,
  ElemType,
  onnx,
  type NodeProto,
} from '../../../../engines/runtime/onnx-model.js';
import { mulberry32 } from '../../../fixtures/seeded-random.js';

const rand = mulberry32(7);
const values = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

/** Builds a model the way Paddle2ONNX writes PP-LCNetV3: constants as Constant nodes, element-wise chains spelled out. */
class GraphBuilder {
  nodes: NodeProto[] = [];
  #n = 0;
  constructor(readonly opset: number) {}
  konst(dims: number[], data: Float32Array | number[]): string {
    const name = `k${this.#n++}`;
    this.nodes.push(onnx.NodeProto.create({ opType: 'Constant', output: [name], name: `c_${name}`, attribute: [makeAttribute('value', makeFloatTensor(name, dims, data))] }));
    return name;
  }
  op(opType: string, input: string[], attrs: ReturnType<typeof makeAttribute>[] = [], output = `t${this.#n++}`): string {
    this.nodes.push(onnx.NodeProto.create({ opType, input, output: [output], name: `n_${output}`, attribute: attrs }));
    return output;
  }
  conv(x: string, outC: number, inC: number, k: number, opts: { pad?: number; group?: number; bias?: boolean } = {}): string {
    const group = opts.group ?? 1;
    const w = this.konst([outC, inC / group, k, k], values((outC * inC * k * k) / group, 0.5));
    const inputs = [x, w, ...(opts.bias === false ? [] : [this.konst([outC], values(outC, 0.2))])];
    const p = opts.pad ?? 0;
    return this.op('Conv', inputs, [makeAttribute('kernel_shape', [k, k]), makeAttribute('pads', [p, p, p, p]), makeAttribute('group', group)]);
  }
  /** Paddle's LearnableAffineBlock: scale·x + bias with scalar parameters of shape [1]. */
  affine(x: string, s: number, b: number): string {
    return this.op('Add', [this.op('Mul', [this.konst([1], [s]), x]), this.konst([1], [b])]);
  }
  /** hardswish as Paddle2ONNX spells it: x · Clip(x + 3, 0, 6) / 6. */
  hardSwish(x: string, three = 3, six = 6): string {
    const a = this.op('Add', [x, this.konst([1], [three])]);
    const c = this.opset < 11
      ? this.op('Clip', [a], [makeAttribute('min', 0, 'float'), makeAttribute('max', six, 'float')])
      : this.op('Clip', [a, this.konst([], [0]), this.konst([], [six])]);
    return this.op('Div', [this.op('Mul', [x, c]), this.konst([1], [6])]);
  }
  model(input: string, outputs: { name: string; dims: number[] }[], inDims: number[]): Uint8Array {
    return encodeModel(
      onnx.ModelProto.create({
        irVersion: 7,
        opsetImport: [{ domain: '', version: this.opset }],
        graph: {
          name: 'g',
          node: this.nodes,
          input: [makeTensorValueInfo(input, ElemType.FLOAT, inDims)],
          output: outputs.map((o) => makeTensorValueInfo(o.name, ElemType.FLOAT, o.dims)),
        },
      }),
    );
  }
}

const IN_DIMS = [2, 4, 6, 9];

/** Two LCNet blocks: padded 3×3 conv → affine → hardswish → affine → 1×1 conv → … → padded depthwise conv. */
function lcnetBlocks(opset: number): Uint8Array {
  const g = new GraphBuilder(opset);
  let t = g.conv('x', 4, 4, 3, { pad: 1 });
  t = g.affine(t, 1.3, -0.2);
  t = g.hardSwish(t);
  t = g.affine(t, 0.8, 0.15);
  t = g.conv(t, 6, 4, 1);
  t = g.affine(t, 0.9, 0.05);
  t = g.hardSwish(t);
  t = g.affine(t, 1.1, -0.3);
  g.op('Conv', [t, g.konst([6, 1, 3, 3], values(54, 0.5))], [makeAttribute('kernel_shape', [3, 3]), makeAttribute('pads', [1, 1, 1, 1]), makeAttribute('group', 6)], 'y');
  return g.model('x', [{ name: 'y', dims: [2, 6, 6, 9] }], IN_DIMS);
}

async function outputs(model: Uint8Array, input: Float32Array): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
  try {
    const r = await s.run({ x: new ort.Tensor('float32', input, IN_DIMS) });
    return s.outputNames.map((n) => r[n]!.data as Float32Array);
  } finally {
    await s.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const opTypes = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.map((n) => n.opType).filter((t) => t !== 'Constant');

describe('foldModel', () => {
  for (const opset of [9, 11]) {
    test(`opset ${opset}: the LCNet chains fold and the outputs stay the same`, async () => {
      const shipped = lcnetBlocks(opset);
      const { model, report } = foldModel(shipped);
      assert.deepEqual(
        { convAffine: report.convAffine, hardSwish: report.hardSwish, affineIntoConv: report.affineIntoConv, scaleIntoPaddedConv: report.scaleIntoPaddedConv },
        { convAffine: 4, hardSwish: 2, affineIntoConv: 1, scaleIntoPaddedConv: 1 },
      );
      // conv · [HardSigmoid, Mul] · conv(1×1, affine folded) · [HardSigmoid, Mul] · Add(b/s) · depthwise conv
      assert.deepEqual(opTypes(model), ['Conv', 'HardSigmoid', 'Mul', 'Conv', 'HardSigmoid', 'Mul', 'Add', 'Conv']);
      assert.ok(report.nodesAfter < report.nodesBefore);
      // Inputs that reach both arms of hardswish's clip (x + 3 below 0 and above 6).
      const x = values(IN_DIMS.reduce((a, b) => a * b, 1), 6);
      const [a] = await outputs(shipped, x);
      const [b] = await outputs(model, x);
      const scale = Math.max(...a!.map(Math.abs));
      assert.ok(maxAbsDiff(a!, b!) <= 1e-5 * scale, `max |Δ| ${maxAbsDiff(a!, b!)} (outputs up to ${scale})`);
    });
  }

  test('leaves the input bytes alone and folds an already folded model no further', () => {
    const shipped = lcnetBlocks(9);
    const copy = Uint8Array.from(shipped);
    const once = foldModel(shipped).model;
    assert.ok(Buffer.from(shipped).equals(Buffer.from(copy)), "the input bytes changed");
    const twice = foldModel(once);
    assert.equal(twice.report.nodesAfter, twice.report.nodesBefore);
    assert.equal(twice.report.convAffine + twice.report.hardSwish + twice.report.affineIntoConv + twice.report.scaleIntoPaddedConv, 0);
  });

  test('nothing folds where the pattern is not exact or a tensor has other readers', async () => {
    const g = new GraphBuilder(9);
    const c1 = g.conv('x', 4, 4, 1);
    // The conv's output is also a graph output: scaling its weights would change that output.
    const m = g.op('Mul', [g.konst([1], [2]), c1]);
    // Not hardswish: divides by 5, clips at 5.
    const h = g.hardSwish(m, 3, 5);
    // Scale 0 in front of a padded conv: b/s is not finite, so this must stay as it is.
    const z = g.affine(h, 0, 0.5);
    g.op('Conv', [z, g.konst([4, 4, 3, 3], values(144, 0.5))], [makeAttribute('kernel_shape', [3, 3]), makeAttribute('pads', [1, 1, 1, 1])], 'y');
    g.nodes.find((n) => n.output![0] === c1)!.output![0] = 'c1';
    for (const n of g.nodes) n.input = n.input!.map((i) => (i === c1 ? 'c1' : i));
    const shipped = g.model('x', [{ name: 'y', dims: [2, 4, 6, 9] }, { name: 'c1', dims: [2, 4, 6, 9] }], IN_DIMS);
    const { model, report } = foldModel(shipped);
    assert.equal(report.convAffine, 0);
    assert.equal(report.hardSwish, 0);
    assert.equal(report.scaleIntoPaddedConv + report.affineIntoConv, 0);
    assert.deepEqual(opTypes(model), opTypes(shipped));
    const x = values(IN_DIMS.reduce((a, b) => a * b, 1), 4);
    const [a1, a2] = await outputs(shipped, x);
    const [b1, b2] = await outputs(model, x);
    assert.equal(maxAbsDiff(a1!, b1!), 0);
    assert.equal(maxAbsDiff(a2!, b2!), 0);
  });

  test('a per-channel constant after a conv folds; one that broadcasts along another axis does not', () => {
    const g = new GraphBuilder(11);
    const c = g.conv('x', 4, 4, 1);
    const m = g.op('Mul', [c, g.konst([1, 4, 1, 1], [1, 2, 3, 4])]);
    g.op('Add', [m, g.konst([9], values(9))], [], 'y'); // [9] broadcasts along W, not channels
    const { model, report } = foldModel(g.model('x', [{ name: 'y', dims: [2, 4, 6, 9] }], IN_DIMS));
    assert.equal(report.convAffine, 1);
    assert.deepEqual(opTypes(model), ['Conv', 'Add']);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { convertModelToFp16, foldBatchNormalization, fp16OptionsKey } from '../../../../engines/runtime/fp16.js';
import {
  ElemType,
  decodeModel,
  encodeModel,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  makeAttribute,
  makeFloatTensor,
  makeTensorValueInfo,
  onnx,
  readFloat16Bits,
  readFloat32,
  type NodeProto,
} from '../../../../engines/runtime/onnx-model.js';

describe('binary16 conversion', () => {
  test('known values, rounding to nearest even, overflow, subnormals, NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to infinity
      [1e6, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // exactly half of it: ties to even (0)
      [3 * 2 ** -25, 0x0002], // 1.5 ulp → 2 (even)
      [1 + 2 ** -11, 0x3c00], // tie → even mantissa
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [v, bits] of cases) assert.equal(float32ToFloat16Bits(v), bits, `${v}`);
    assert.equal(float32ToFloat16Bits(NaN) & 0x7c00, 0x7c00);
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  });

  test('every finite half value survives a round trip', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(bits)), bits);
    }
  });
});

/**
 * x → Conv(W) → BatchNormalization → Resize(roi, scales) → Add(c) → y, with a huge running variance
 * (> 1e4, which an fp16 clamp would destroy) and Resize scales that must stay float32.
 */
function testGraph(): Uint8Array {
  const konst = (name: string, t: ReturnType<typeof makeFloatTensor>): NodeProto =>
    onnx.NodeProto.create({ opType: 'Constant', output: [name], name: `c_${name}`, attribute: [makeAttribute('value', t)] });
  const W = makeFloatTensor('W', [2, 1, 1, 1], [2, 3]);
  return encodeModel(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 11 }],
      graph: {
        name: 'g',
        node: [
          konst('W', W),
          konst('scale', makeFloatTensor('scale', [2], [1, 1])),
          konst('bias', makeFloatTensor('bias', [2], [0.5, -0.5])),
          konst('mean', makeFloatTensor('mean', [2], [100, 200])),
          konst('var', makeFloatTensor('var', [2], [4e6, 9e6])),
          konst('roi', makeFloatTensor('roi', [0], [])),
          konst('scales', makeFloatTensor('scales', [4], [1, 1, 2, 2])),
          konst('c', makeFloatTensor('c', [1], [1e-9])),
          { opType: 'Conv', input: ['x', 'W'], output: ['conv'], name: 'conv0' },
          { opType: 'BatchNormalization', input: ['conv', 'scale', 'bias', 'mean', 'var'], output: ['bn'], name: 'bn0', attribute: [makeAttribute('epsilon', 1e-5, 'float')] },
          { opType: 'Resize', input: ['bn', 'roi', 'scales'], output: ['up'], name: 'resize0', attribute: [makeAttribute('mode', 'nearest')] },
          { opType: 'Add', input: ['up', 'c'], output: ['y'], name: 'add0' },
        ],
        input: [makeTensorValueInfo('x', ElemType.FLOAT, [1, 1, 2, 2])],
        output: [makeTensorValueInfo('y', ElemType.FLOAT, [1, 2, 4, 4])],
      },
    }),
  );
}

describe('convertModelToFp16 on a small graph', () => {
  test('BN is folded in fp32, Resize stays fp32 with Casts around it, I/O stays float32', () => {
    const { model, report } = convertModelToFp16(testGraph());
    const m = decodeModel(model);
    const g = m.graph!;
    const ops = g.node!.map((n) => n.opType);
    assert.equal(report.foldedBatchNorms, 1);
    assert.ok(!ops.includes('BatchNormalization'));
    assert.deepEqual(report.blockedNodes, [{ name: 'resize0', opType: 'Resize' }]);
    // Graph I/O types are unchanged.
    assert.equal(g.input![0]!.type!.tensorType!.elemType, ElemType.FLOAT);
    assert.equal(g.output![0]!.type!.tensorType!.elemType, ElemType.FLOAT);

    const byName = new Map(g.node!.map((n) => [n.name, n]));
    const conv = byName.get('conv0')!;
    assert.equal(conv.input![0], 'x__to_fp16', 'the float32 input is cast to fp16 for the conv');
    assert.equal(conv.output![0], 'bn', 'the conv now produces what the BN did');
    // Folded weights: W * scale / sqrt(var + eps) became fp16 initializers.
    const wInit = g.initializer!.find((t) => t.name === conv.input![1])!;
    assert.equal(wInit.dataType, ElemType.FLOAT16);
    const w = [...readFloat16Bits(wInit)].map(float16BitsToFloat32);
    assert.ok(Math.abs(w[0]! - 2 / Math.sqrt(4e6 + 1e-5)) < 1e-6 && Math.abs(w[1]! - 3 / Math.sqrt(9e6 + 1e-5)) < 1e-6);
    const bInit = g.initializer!.find((t) => t.name === conv.input![2])!;
    const b = [...readFloat16Bits(bInit)].map(float16BitsToFloat32);
    assert.ok(Math.abs(b[0]! - (0.5 - 100 / 2000)) < 1e-3 && Math.abs(b[1]! - (-0.5 - 200 / 3000)) < 1e-3);

    const resize = byName.get('resize0')!;
    assert.equal(resize.input![0], 'bn__to_fp32');
    const scalesNode = g.node!.find((n) => n.output?.[0] === resize.input![2])!;
    assert.equal(scalesNode.attribute![0]!.t!.dataType, ElemType.FLOAT, 'Resize scales stay tensor(float)');
    assert.deepEqual([...readFloat32(scalesNode.attribute![0]!.t!)], [1, 1, 2, 2]);

    // The tiny constant was clamped to 1e-7 (sign kept), as onnxconverter-common does.
    const cNode = g.node!.find((n) => n.output?.[0] === 'c')!;
    assert.equal(cNode.attribute![0]!.t!.dataType, ElemType.FLOAT16);
    assert.equal(report.clampedValues, 1);
    // 1e-7 is a binary16 subnormal: the nearest one is 2 × 2^-24.
    assert.equal(float16BitsToFloat32(readFloat16Bits(cNode.attribute![0]!.t!)[0]!), 2 * 2 ** -24);

    // The output keeps its public name through a final Cast.
    const last = g.node!.at(-1)!;
    assert.deepEqual([last.opType, last.input![0], last.output![0]], ['Cast', 'y__fp16', 'y']);
    // Topological order: every input is produced before use.
    const seen = new Set(['x', ...g.initializer!.map((t) => t.name!)]);
    for (const n of g.node!) {
      for (const i of n.input ?? []) if (i) assert.ok(seen.has(i), `${n.name} reads ${i} before it exists`);
      for (const o of n.output ?? []) seen.add(o);
    }
  });

  test('keepIoTypes false makes the graph I/O float16', () => {
    const g = decodeModel(convertModelToFp16(testGraph(), { keepIoTypes: false }).model).graph!;
    assert.equal(g.input![0]!.type!.tensorType!.elemType, ElemType.FLOAT16);
    assert.equal(g.output![0]!.type!.tensorType!.elemType, ElemType.FLOAT16);
  });

  test('without folding, the BatchNormalization stays fp32 instead of getting a clamped variance', () => {
    const { model, report } = convertModelToFp16(testGraph(), { foldBatchNorm: false });
    assert.equal(report.foldedBatchNorms, 0);
    assert.ok(report.blockedNodes.some((b) => b.opType === 'BatchNormalization'));
    const g = decodeModel(model).graph!;
    const varNode = g.node!.find((n) => n.output?.[0] === 'var')!;
    assert.equal(varNode.attribute![0]!.t!.dataType, ElemType.FLOAT);
    assert.deepEqual([...readFloat32(varNode.attribute![0]!.t!)], [4e6, 9e6]);
  });

  test('foldBatchNormalization leaves a BN whose input has other consumers alone', () => {
    const m = decodeModel(testGraph());
    m.graph!.node!.push({ opType: 'Relu', input: ['conv'], output: ['other'], name: 'relu' });
    m.graph!.output!.push(makeTensorValueInfo('other', ElemType.FLOAT, null));
    assert.equal(foldBatchNormalization(m), 0);
  });

  test('options that change the output change the cache key', () => {
    assert.notEqual(fp16OptionsKey(), fp16OptionsKey({ keepIoTypes: false }));
    assert.notEqual(fp16OptionsKey(), fp16OptionsKey({ opBlockList: ['Resize'] }));
    assert.equal(fp16OptionsKey({ opBlockList: ['A', 'B'] }), fp16OptionsKey({ opBlockList: ['B', 'A'] }));
  });
});

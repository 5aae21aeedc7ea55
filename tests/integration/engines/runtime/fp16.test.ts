import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { EngineCache } from '../../../../engines/runtime/engine-cache.js';
import { convertModelToFp16, getFp16Model } from '../../../../engines/runtime/fp16.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import {
  ElemType,
  decodeModel,
  encodeModel,
  float32ToFloat16Bits,
  makeAttribute,
  makeTensorValueInfo,
  onnx,
  opTypeInventory,
} from '../../../../engines/runtime/onnx-model.js';
import { OrtSession } from '../../../../engines/runtime/session.js';
import type { OcrSession } from '../../../../engines/stages.js';
import { renderValidationInputs, type ValidationInputs } from '../../../../engines/runtime/validation-inputs.js';
import { validateCandidate } from '../../../../engines/runtime/validation-gate.js';

const models = resolveModelPaths();
let inputs: ValidationInputs;
let tmp: string;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-fp16-'));
  // Short lines keep rec fast on a 2-core CI box; det pages and cls crops are small anyway.
  inputs = await renderValidationInputs({ lines: ['Total $1,234.56', '识别中文文本', 'Zürich 8001', 'quick brown fox'] });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cpuSession(src: string | Uint8Array, stage: 'det' | 'cls' | 'rec'): Promise<OcrSession> {
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', enableCpuMemArena: false };
  const s = typeof src === 'string' ? await ort.InferenceSession.create(src, opts) : await ort.InferenceSession.create(src, opts);
  return new OrtSession(s, stage, { stage, provider: 'cpu', precision: typeof src === 'string' ? 'fp32' : 'fp16', fallbacks: [] });
}

describe('the PP-OCR models', () => {
  test('op-type inventory (what the FP16 converter must handle)', () => {
    const inv = (p: string) => Object.keys(opTypeInventory(decodeModel(readFileSync(p)))).sort();
    assert.deepEqual(inv(models.det), ['Add', 'BatchNormalization', 'Clip', 'Concat', 'Constant', 'Conv', 'ConvTranspose', 'Div', 'GlobalAveragePool', 'HardSigmoid', 'Mul', 'Relu', 'Resize', 'Sigmoid']);
    assert.deepEqual(inv(models.cls), ['Add', 'BatchNormalization', 'Cast', 'Clip', 'Concat', 'Constant', 'Conv', 'Div', 'GlobalAveragePool', 'HardSigmoid', 'MatMul', 'MaxPool', 'Mul', 'Relu', 'Reshape', 'Shape', 'Slice', 'Softmax']);
    assert.deepEqual(inv(models.rec), [
      'Add', 'AveragePool', 'BatchNormalization', 'Cast', 'Clip', 'Concat', 'Constant', 'Conv', 'Div', 'GlobalAveragePool', 'HardSigmoid', 'MatMul', 'Mul', 'Pow',
      'ReduceMean', 'Relu', 'Reshape', 'Shape', 'Sigmoid', 'Slice', 'Softmax', 'Sqrt', 'Squeeze', 'Sub', 'Transpose',
    ]);
  });
});

describe('FP16 conversion of the real models, run on the CPU EP', () => {
  test('det: loads, runs, probability map within tolerance, same boxes', async () => {
    const { model, report } = convertModelToFp16(readFileSync(models.det));
    assert.equal(report.foldedBatchNorms, 3);
    // Resize (onnxconverter-common's list) and Clip (no fp16 kernel on the CUDA EP) stay fp32.
    assert.deepEqual([...new Set(report.blockedNodes.map((b) => b.opType))].sort(), ['Clip', 'Resize']);
    const r = await validateCandidate({ reference: await cpuSession(models.det, 'det'), candidate: await cpuSession(model, 'det'), inputs: inputs.det });
    assert.equal(r.ok, true, r.reason);
    assert.ok(r.metrics.meanAbsDiff! < 1e-3, `mean |Δ| ${r.metrics.meanAbsDiff}`);
    assert.ok(r.metrics.maxAbsDiff! < 0.2, `max |Δ| ${r.metrics.maxAbsDiff}`);
    assert.equal(r.metrics.boxAgreement, 1);
    assert.ok(r.metrics.refBoxes! >= 4);
    console.log(`det FP16 vs FP32: ${JSON.stringify(r.metrics)}`);
  });

  test('rec: same decodes, argmax agreement > 99%', async () => {
    const { model, report } = convertModelToFp16(readFileSync(models.rec));
    assert.equal(report.foldedBatchNorms, 6);
    const r = await validateCandidate({ reference: await cpuSession(models.rec, 'rec'), candidate: await cpuSession(model, 'rec'), inputs: inputs.rec });
    assert.equal(r.ok, true, r.reason);
    assert.equal(r.metrics.cer, 0);
    assert.ok(r.metrics.argmaxAgreement! > 0.99);
    assert.ok(r.metrics.refChars! > 20);
    console.log(`rec FP16 vs FP32: ${JSON.stringify(r.metrics)}`);
  });

  test('cls: same 0/180 decisions, probabilities within 0.01', async () => {
    const { model } = convertModelToFp16(readFileSync(models.cls));
    const r = await validateCandidate({ reference: await cpuSession(models.cls, 'cls'), candidate: await cpuSession(model, 'cls'), inputs: inputs.cls });
    assert.equal(r.ok, true, r.reason);
    assert.equal(r.metrics.labelAgreement, 1);
    assert.ok(r.metrics.maxAbsDiff! < 0.01);
    assert.ok(r.metrics.decisive! >= 6);
    console.log(`cls FP16 vs FP32: ${JSON.stringify(r.metrics)}`);
  });

  test('getFp16Model converts once and then serves the cached file', async () => {
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache') });
    const a = await getFp16Model(models.cls, { cache, stage: 'cls' });
    const b = await getFp16Model(models.cls, { cache, stage: 'cls' });
    assert.equal(a.cached, false);
    assert.equal(b.cached, true);
    assert.equal(a.path, b.path);
    assert.equal(b.report?.foldedBatchNorms, 35);
    const s = await ort.InferenceSession.create(b.path);
    assert.equal(s.inputMetadata[0]!.isTensor && s.inputMetadata[0]!.type, 'float32');
    await s.release();
  });
});

describe('binary16 bits agree with ONNX Runtime', () => {
  test("our float32→float16 matches ORT's Cast on 4096 values (normal, subnormal, ties, overflow)", async () => {
    const m = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'cast',
        node: [{ opType: 'Cast', input: ['x'], output: ['y'], attribute: [makeAttribute('to', ElemType.FLOAT16, 'int')] }],
        input: [makeTensorValueInfo('x', ElemType.FLOAT, [4096])],
        output: [makeTensorValueInfo('y', ElemType.FLOAT16, [4096])],
      },
    });
    const s = await ort.InferenceSession.create(encodeModel(m));
    const x = new Float32Array(4096);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < x.length; i++) {
      const kind = i % 4;
      const mag = kind === 0 ? rnd() * 70000 : kind === 1 ? rnd() * 1e-4 : kind === 2 ? rnd() * 2 : 2 ** -24 * Math.floor(rnd() * 2048) / 2;
      x[i] = rnd() < 0.5 ? -mag : mag;
    }
    const y = (await s.run({ x: new ort.Tensor('float32', x, [4096]) })).y!.data as Uint16Array;
    let mismatches = 0;
    for (let i = 0; i < x.length; i++) if (float32ToFloat16Bits(x[i]!) !== y[i]) mismatches++;
    assert.equal(mismatches, 0);
    await s.release();
  });
});

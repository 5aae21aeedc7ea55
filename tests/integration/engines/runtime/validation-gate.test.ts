import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { convertModelToFp16 } from '../../../../engines/runtime/fp16.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { decodeModel, encodeModel, readFloat32, type NodeProto } from '../../../../engines/runtime/onnx-model.js';
import { OrtSession } from '../../../../engines/runtime/session.js';
import { gateCandidate, validateCandidate } from '../../../../engines/runtime/validation-gate.js';
import { renderValidationInputs, type ValidationInputs } from '../../../../engines/runtime/validation-inputs.js';

const models = resolveModelPaths();
let inputs: ValidationInputs;
before(async () => {
  inputs = await renderValidationInputs({ lines: ['Total $1,234.56', '识别中文文本', 'Zürich 8001'] });
});

async function session(src: string | Uint8Array, stage: 'det' | 'cls' | 'rec', precision: 'fp32' | 'fp16'): Promise<OrtSession> {
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], enableCpuMemArena: false };
  const s = typeof src === 'string' ? await ort.InferenceSession.create(src, opts) : await ort.InferenceSession.create(src, opts);
  return new OrtSession(s, stage, { stage, provider: 'cpu', precision, fallbacks: [] });
}

/**
 * The real model with the weights of its last `opType` node multiplied by `factor`, then run through the
 * FP16 converter: a candidate that loads and runs fine but computes something else.
 */
function sabotaged(modelPath: string, opType: string, factor: number): Uint8Array {
  const m = decodeModel(readFileSync(modelPath));
  const nodes = m.graph!.node!;
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const last = [...nodes].reverse().find((n) => n.opType === opType)!;
  const w = producer.get(last.input![1]!)!.attribute![0]!.t!;
  const vals = readFloat32(w).map((v) => v * factor);
  w.rawData = new Uint8Array(vals.buffer);
  w.floatData = [];
  return convertModelToFp16(encodeModel(m)).model;
}

describe('the validation gate rejects broken candidates (real models, CPU EP)', () => {
  test('det with its last ConvTranspose zeroed: rejected on the probability map', async () => {
    const ref = await session(models.det, 'det', 'fp32');
    const bad = await session(sabotaged(models.det, 'ConvTranspose', 0), 'det', 'fp16');
    const r = await validateCandidate({ reference: ref, candidate: bad, inputs: inputs.det });
    assert.equal(r.ok, false);
    assert.match(r.reason, /^det (map mean \|Δ\||boxes agree)/);
    assert.ok(r.metrics.meanAbsDiff! > 0.01);
    await Promise.all([ref.dispose(), bad.dispose()]);
  });

  test('rec with its classifier weights negated: rejected on CER; the gate falls back to FP32', async () => {
    const ref = await session(models.rec, 'rec', 'fp32');
    const bad = await session(sabotaged(models.rec, 'MatMul', -1), 'rec', 'fp16');
    const logs: string[] = [];
    const g = await gateCandidate({ reference: ref, candidate: bad, inputs: inputs.rec, log: (m) => logs.push(m) });
    assert.equal(g.usedCandidate, false);
    assert.equal(g.session, ref);
    assert.match(g.result.reason, /rec CER between decodes \d+\.\d+% exceeds 1%/);
    assert.ok(g.result.metrics.cer! > 0.5);
    assert.match(logs[0]!, /^Validation gate rejected rec cpu\/fp16: rec CER .*; using cpu\/fp32$/);
    const out = await g.session.run(inputs.rec[0]!);
    assert.equal(out.dims[2], 6625, 'the FP32 reference is still usable');
    await ref.dispose();
  });

  test('cls with its output flipped (final MatMul negated): rejected on labels', async () => {
    const ref = await session(models.cls, 'cls', 'fp32');
    const bad = await session(sabotaged(models.cls, 'MatMul', -1), 'cls', 'fp16');
    const r = await validateCandidate({ reference: ref, candidate: bad, inputs: inputs.cls });
    assert.equal(r.ok, false);
    assert.match(r.reason, /cls labels agree on 0\/\d+ decisive crops/);
    await Promise.all([ref.dispose(), bad.dispose()]);
  });

  test('a good FP16 candidate passes the same gate and replaces the reference', async () => {
    const ref = await session(models.cls, 'cls', 'fp32');
    const good = await session(convertModelToFp16(readFileSync(models.cls)).model, 'cls', 'fp16');
    const g = await gateCandidate({ reference: ref, candidate: good, inputs: inputs.cls });
    assert.equal(g.usedCandidate, true, g.result.reason);
    assert.equal(g.session, good);
    await good.dispose();
  });
});

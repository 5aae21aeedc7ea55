import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { EngineCache } from '../../../../engines/runtime/engine-cache.js';
import { detectProviderAvailability, type ProviderAvailability } from '../../../../engines/runtime/execution-providers.js';
import { foldModel, getFoldedModel } from '../../../../engines/runtime/graph-fold.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { OrtSession } from '../../../../engines/runtime/session.js';
import { openStageSession } from '../../../../engines/runtime/stage-runtime.js';
import { renderValidationInputs, type ValidationInputs } from '../../../../engines/runtime/validation-inputs.js';
import type { TensorData } from '../../../../engines/stages.js';

const models = resolveModelPaths();
let tmp: string;
let inputs: ValidationInputs;
let available: ProviderAvailability;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'graph-fold-'));
  inputs = await renderValidationInputs({ lines: ['Folded 12,345.67 kg', 'Zürich 8001 — naïve'] });
  available = await detectProviderAvailability();
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function run(model: string | Uint8Array, input: TensorData): Promise<Float32Array> {
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input.data, input.dims) });
    return r[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('graph folds on the PP-OCR models (real ORT CPU sessions)', () => {
  for (const stage of ['det', 'cls', 'rec'] as const) {
    test(`${stage}: fewer nodes, the same outputs`, async () => {
      const shipped = readFileSync(models[stage]);
      const { model, report } = foldModel(shipped);
      assert.ok(report.hardSwish > 0, 'every PP-OCR model spells hardswish out');
      if (stage !== 'cls') assert.ok(report.convAffine > 0 && report.affineIntoConv > 0, 'PP-LCNetV3 affine blocks fold');
      assert.ok(report.nodesAfter < report.nodesBefore);
      const input = inputs[stage][0]!;
      const [a, b] = [await run(models[stage], input), await run(model, input)];
      let maxAbs = 0;
      for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
      // Outputs are probabilities (det map, cls and rec softmax): 1e-4 is far below any decision.
      assert.ok(maxAbs < 1e-4, `${stage}: max |Δ| ${maxAbs}`);
      if (stage === 'rec') {
        // Same argmax at every time step: the same text.
        const classes = 6625;
        for (let t = 0; t < a.length / classes; t++) {
          const row = (x: Float32Array) => x.subarray(t * classes, (t + 1) * classes);
          const am = (x: Float32Array) => x.indexOf(Math.max(...x));
          assert.equal(am(row(b)), am(row(a)), `time step ${t}`);
        }
      }
    });
  }

  test('getFoldedModel folds once, then serves the cached file; a damaged file is folded again', async () => {
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache') });
    const first = await getFoldedModel(models.cls, { cache, stage: 'cls' });
    assert.equal(first.cached, false);
    assert.ok(first.report && first.report.hardSwish > 0);
    const second = await getFoldedModel(models.cls, { cache, stage: 'cls' });
    assert.equal(second.cached, true);
    assert.equal(second.path, first.path);
    assert.deepEqual(second.report, first.report, 'the fold report is kept in the manifest');
    truncateSync(second.path, 100);
    const third = await getFoldedModel(models.cls, { cache, stage: 'cls' });
    assert.equal(third.cached, false);
    assert.match(third.rebuiltBecause ?? '', /bytes, expected|sha256/);
    const out = await run(third.path, inputs.cls[0]!);
    assert.equal(out.length, inputs.cls[0]!.dims[0]! * 2);
  });

  test('openStageSession loads the folded model by default, the shipped file with foldGraph: false', async () => {
    const logs: string[] = [];
    const cacheDir = path.join(tmp, 'stage');
    const folded = await openStageSession({ stage: 'rec', modelPath: models.rec, preference: 'cpu', precision: 'fp32', available, cacheDir, log: (m) => logs.push(m) });
    const shipped = await openStageSession({ stage: 'rec', modelPath: models.rec, preference: 'cpu', precision: 'fp32', available, cacheDir, foldGraph: false });
    try {
      assert.match(logs.join('\n'), /rec: graph folds \d+ → \d+ nodes/);
      assert.ok(folded.session instanceof OrtSession && shipped.session instanceof OrtSession);
      assert.match((folded.session as OrtSession).loadedModelPath ?? '', /model\.folded\.onnx$/);
      assert.equal((shipped.session as OrtSession).loadedModelPath, models.rec);
      const input = inputs.rec[0]!;
      const [a, b] = [await shipped.session.run(input), await folded.session.run(input)];
      assert.deepEqual(b.dims, a.dims);
    } finally {
      await folded.session.dispose();
      await shipped.session.dispose();
    }
  });

  test('a cache folder that cannot be made: the shipped model loads, and the log says why', async () => {
    // A regular file where the cache folder should be (as unwritable as it gets, even for root).
    const blocked = path.join(tmp, 'not-a-folder');
    writeFileSync(blocked, 'x');
    const logs: string[] = [];
    const o = await openStageSession({ stage: 'cls', modelPath: models.cls, preference: 'cpu', precision: 'fp32', available, cacheDir: path.join(blocked, 'cache'), log: (m) => logs.push(m) });
    try {
      assert.equal((o.session as OrtSession).loadedModelPath, models.cls);
      assert.match(logs.join('\n'), /cls: loading the model as shipped; folding it failed \(.+\)/);
    } finally {
      await o.session.dispose();
    }
  });
});

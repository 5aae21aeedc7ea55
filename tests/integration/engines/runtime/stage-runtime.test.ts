import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectProviderAvailability, type ProviderAvailability } from '../../../../engines/runtime/execution-providers.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { openStageSession } from '../../../../engines/runtime/stage-runtime.js';
import { renderValidationInputs, type ValidationInputs } from '../../../../engines/runtime/validation-inputs.js';

const models = resolveModelPaths();
let tmp: string;
let available: ProviderAvailability;
let inputs: ValidationInputs;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-stage-'));
  available = await detectProviderAvailability();
  inputs = await renderValidationInputs({ lines: ['Total $1,234.56', 'Zürich 8001'] });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('openStageSession (CPU EP here; FP16 forced onto the CPU to exercise the gate)', () => {
  test('a good FP16 candidate passes the gate and is used', async () => {
    const o = await openStageSession({
      stage: 'cls', modelPath: models.cls, preference: 'cpu', precision: 'fp16', available, cacheDir: tmp, cpuFp16Faster: true,
      validationInputs: inputs.cls, warmUpShapes: [[6, 3, 48, 192]],
    });
    assert.equal(o.provider.precision, 'fp16');
    assert.equal(o.validation?.ok, true);
    await o.session.dispose();
  });

  test('a bad FP16 conversion is rejected with its reason and FP32 is loaded instead', async () => {
    const logs: string[] = [];
    // Clamping every weight below 0.5 up to ±0.5 wrecks the model while it still loads and runs.
    const o = await openStageSession({
      stage: 'cls', modelPath: models.cls, preference: 'cpu', precision: 'fp16', available, cacheDir: tmp, cpuFp16Faster: true,
      fp16Options: { minPositiveVal: 0.5 }, validationInputs: inputs.cls, log: (m) => logs.push(m),
    });
    assert.equal(o.provider.provider, 'cpu');
    assert.equal(o.provider.precision, 'fp32');
    assert.equal(o.validation?.ok, false);
    const rejected = o.provider.fallbacks.find((f) => f.reason.startsWith('FP16 failed validation'))!;
    assert.equal(rejected.provider, 'cpu');
    assert.match(rejected.reason, /cls (labels agree|probabilities drift)|NaN\/Inf values/);
    assert.ok(logs.some((l) => /rejected by the validation gate/.test(l)));
    const out = await o.session.run(inputs.cls[0]!);
    assert.deepEqual(out.dims, [inputs.cls[0]!.dims[0], 2]);
    await o.session.dispose();
  });

  test('FP32 requested: no gate, plain plan', async () => {
    const o = await openStageSession({ stage: 'cls', modelPath: models.cls, preference: 'auto', precision: 'fp32', available, cacheDir: tmp });
    assert.equal(o.validation, undefined);
    assert.equal(o.provider.precision, 'fp32');
    assert.equal(o.session.provider, o.provider);
    await o.session.dispose();
  });

  test('rec with the argmax head: an FP16 candidate is validated on full probabilities, then reloaded with the head', async () => {
    const logs: string[] = [];
    const o = await openStageSession({
      stage: 'rec', modelPath: models.rec, preference: 'cpu', precision: 'fp16', available, cacheDir: tmp, cpuFp16Faster: true,
      validationInputs: inputs.rec, recHead: true, log: (m) => logs.push(m),
    });
    try {
      assert.equal(o.validation?.ok, true, o.validation?.reason);
      assert.equal(o.provider.precision, 'fp16');
      const out = await o.session.run({ data: new Float32Array(3 * 48 * 320), dims: [1, 3, 48, 320] });
      assert.deepEqual(out.dims, [1, 40, 3], 'the session in use has the head');
      assert.ok(logs.some((l) => /argmax head/.test(l)), logs.join('\n'));
    } finally {
      await o.session.dispose();
    }
  });

  test('rec with the argmax head in FP32: loaded with the head directly, no gate', async () => {
    const o = await openStageSession({ stage: 'rec', modelPath: models.rec, preference: 'cpu', precision: 'fp32', available, cacheDir: tmp, recHead: true });
    try {
      assert.equal(o.validation, undefined);
      const out = await o.session.run({ data: new Float32Array(3 * 48 * 320), dims: [1, 3, 48, 320] });
      assert.deepEqual(out.dims, [1, 40, 3]);
    } finally {
      await o.session.dispose();
    }
  });
});

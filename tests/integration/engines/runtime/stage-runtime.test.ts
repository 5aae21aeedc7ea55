import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectProviderAvailability, type ProviderAvailability } from '../../../../engines/runtime/execution-providers.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { openStageSession } from '../../../../engines/runtime/stage-runtime.js';
import { renderValidationInputs, type ValidationInputs } from '../../../../engines/runtime/validation-inputs.js';
import { VERDICTS_FILE } from '../../../../engines/runtime/validation-verdicts.js';

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

  describe('remembered verdicts', () => {
    const open = (cacheDir: string, logs: string[], extra: Record<string, unknown> = {}) =>
      openStageSession({
        stage: 'cls', modelPath: models.cls, preference: 'cpu', precision: 'fp16', available, cacheDir, cpuFp16Faster: true,
        validationInputs: inputs.cls, log: (m) => logs.push(m), ...extra,
      });

    test('a pass is stored and the next start skips the gate; other budgets check again', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rt-verdict-'));
      try {
        const logs1: string[] = [];
        const first = await open(dir, logs1);
        await first.session.dispose();
        assert.equal(first.validation?.ok, true);
        assert.ok(logs1.some((l) => /passed the validation gate$/.test(l)), logs1.join('\n'));
        const stored = JSON.parse(readFileSync(path.join(dir, VERDICTS_FILE), 'utf8'));
        assert.equal(stored.verdicts.length, 1);
        assert.equal(stored.verdicts[0].ok, true);

        const logs2: string[] = [];
        const second = await open(dir, logs2);
        await second.session.dispose();
        assert.equal(second.provider.precision, 'fp16');
        assert.equal(second.validation?.ok, true);
        assert.match(second.validation!.reason, /remembered from/);
        assert.ok(logs2.some((l) => /remembered; not checked again/.test(l)), logs2.join('\n'));
        assert.ok(!logs2.some((l) => /passed the validation gate$/.test(l)), 'the gate did not run again');

        // A different budget is a different question: the gate runs and a second verdict is stored.
        const logs3: string[] = [];
        const third = await open(dir, logs3, { budgets: { clsMaxProbDiff: 0.04 } });
        await third.session.dispose();
        assert.ok(logs3.some((l) => /passed the validation gate$/.test(l)), logs3.join('\n'));
        assert.equal(JSON.parse(readFileSync(path.join(dir, VERDICTS_FILE), 'utf8')).verdicts.length, 2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a failure is stored: the next start loads FP32 at once and says why', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rt-verdict-'));
      try {
        const bad = { fp16Options: { minPositiveVal: 0.5 } };
        const first = await open(dir, [], bad);
        await first.session.dispose();
        assert.equal(first.validation?.ok, false);
        const logs: string[] = [];
        const second = await open(dir, logs, bad);
        try {
          assert.equal(second.provider.precision, 'fp32');
          assert.equal(second.validation?.ok, false);
          const rejected = second.provider.fallbacks.find((f) => f.reason.startsWith('FP16 failed validation'))!;
          assert.match(rejected.reason, /remembered from/);
          assert.ok(logs.some((l) => /without converting or checking again/.test(l)), logs.join('\n'));
          const out = await second.session.run(inputs.cls[0]!);
          assert.deepEqual(out.dims, [inputs.cls[0]!.dims[0], 2]);
        } finally {
          await second.session.dispose();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a damaged verdicts file is ignored: the gate runs and the file is rewritten', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rt-verdict-'));
      try {
        writeFileSync(path.join(dir, VERDICTS_FILE), '{"version":1,"verdicts":[{"key":');
        const logs: string[] = [];
        const o = await open(dir, logs);
        await o.session.dispose();
        assert.equal(o.validation?.ok, true);
        assert.ok(logs.some((l) => /passed the validation gate$/.test(l)), logs.join('\n'));
        assert.equal(JSON.parse(readFileSync(path.join(dir, VERDICTS_FILE), 'utf8')).verdicts.length, 1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUDGETS } from '../../../../engines/runtime/validation-gate.js';
import { MAX_STORED_VERDICTS, readVerdict, tensorsSha256, verdictKey, writeVerdict, type VerdictKeyParts } from '../../../../engines/runtime/validation-verdicts.js';

const parts: VerdictKeyParts = {
  stage: 'rec', provider: 'cuda', precision: 'fp16', modelSha256: 'a'.repeat(64), conversionKey: 'b'.repeat(64),
  ortVersion: '1.29.0', gpu: 'NVIDIA H100 80GB HBM3 (compute 9.0, driver 580.159.04)', inputsSha256: 'c'.repeat(64), budgets: DEFAULT_BUDGETS,
};

test('every part of the key changes it; budget order does not', () => {
  const k = verdictKey(parts);
  assert.match(k, /^[0-9a-f]{24}$/);
  const changed: Partial<VerdictKeyParts>[] = [
    { stage: 'det' }, { provider: 'webgpu' }, { precision: 'fp32' }, { modelSha256: 'd'.repeat(64) }, { conversionKey: 'e'.repeat(64) },
    { ortVersion: '1.30.0' }, { gpu: 'NVIDIA H100 80GB HBM3 (compute 9.0, driver 580.160.00)' }, { gpu: null }, { inputsSha256: 'f'.repeat(64) },
    { budgets: { ...DEFAULT_BUDGETS, recCer: 0.02 } },
  ];
  for (const c of changed) assert.notEqual(verdictKey({ ...parts, ...c }), k, JSON.stringify(c));
  const reversed = Object.fromEntries(Object.entries(DEFAULT_BUDGETS).reverse()) as typeof DEFAULT_BUDGETS;
  assert.equal(verdictKey({ ...parts, budgets: reversed }), k);
});

test('tensorsSha256 sees dims and data', () => {
  const a = { dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) };
  assert.equal(tensorsSha256([a]), tensorsSha256([{ dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) }]));
  assert.notEqual(tensorsSha256([a]), tensorsSha256([{ dims: [2, 2], data: a.data }]));
  assert.notEqual(tensorsSha256([a]), tensorsSha256([{ dims: [1, 4], data: new Float32Array([1, 2, 3, 5]) }]));
});

test('write, read back, replace, and keep at most MAX_STORED_VERDICTS', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdicts-'));
  try {
    assert.equal(await readVerdict(dir, 'x'.repeat(24)), null);
    const v = { key: 'k0', ok: true, reason: 'agrees', metrics: { recCer: 0 }, checkedAt: '2026-11-22T00:00:00Z', label: 'rec cuda/fp16' };
    await writeVerdict(dir, v);
    assert.deepEqual(await readVerdict(dir, 'k0'), v);
    await writeVerdict(dir, { ...v, ok: false, reason: 'drifted' });
    assert.equal((await readVerdict(dir, 'k0'))?.reason, 'drifted');
    for (let i = 1; i <= MAX_STORED_VERDICTS; i++) await writeVerdict(dir, { ...v, key: `k${i}` });
    assert.equal(await readVerdict(dir, 'k0'), null, 'the oldest went');
    assert.ok(await readVerdict(dir, `k${MAX_STORED_VERDICTS}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

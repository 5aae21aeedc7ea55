// A damaged FP16 model in the engine cache (issue 5): a truncated file and a file of the right size with
// other bytes in its weights are detected (size, sha256) and rebuilt; a file that passes the checks yet
// cannot be loaded (an entry from before hashes were kept, garbage in its header) fails with a clear reason
// and the stage falls back to the next candidate (FP32), with the reason recorded: never a crash. Real
// conversion, real ORT CPU sessions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, writeSync, rmSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { OcrError } from '../../../../engines/errors.js';
import { EngineCache } from '../../../../engines/runtime/engine-cache.js';
import type { PlannedProvider } from '../../../../engines/runtime/execution-providers.js';
import { getFp16Model } from '../../../../engines/runtime/fp16.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { createSession } from '../../../../engines/runtime/session.js';

const models = resolveModelPaths();
let tmp = '';
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-fp16-damage-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

// The CPU EP runs FP16 models (slowly): enough to prove which file was loaded.
const FP16_ON_CPU: PlannedProvider = { provider: 'cpu', precision: 'fp16', model: 'fp16', notes: [] };
const FP32_ON_CPU: PlannedProvider = { provider: 'cpu', precision: 'fp32', model: 'original', notes: [] };

/** The stage loads FP16 on the CPU with no fallback: the damaged entry was rebuilt rather than given up on. */
async function assertServedByRebuiltFp16(cache: EngineCache, logs: string[]): Promise<void> {
  const session = await createSession(models.cls, { stage: 'cls', plan: [FP16_ON_CPU], cache, log: (m) => logs.push(m) });
  try {
    assert.equal(session.provider.precision, 'fp16');
    assert.deepEqual(session.provider.fallbacks, []);
  } finally {
    await session.dispose();
  }
}

describe('damaged FP16 cache entries', { timeout: 120_000 }, () => {
  test('a truncated cached FP16 model is dropped and rebuilt; the session loads the rebuilt one', async () => {
    const logs: string[] = [];
    const cacheDir = path.join(tmp, 'truncated');
    const cache = new EngineCache({ rootDir: cacheDir, log: (m) => logs.push(m) });
    const first = await getFp16Model(models.cls, { cache, stage: 'cls' });
    const fullBytes = statSync(first.path).size;
    truncateSync(first.path, Math.floor(fullBytes / 3)); // a copy cut short, a disk that filled up

    await assertServedByRebuiltFp16(cache, logs);
    assert.match(logs.join('\n'), /damaged \(model\.fp16\.onnx is \d+ bytes, expected \d+\); it will be rebuilt/);
    const again = await getFp16Model(models.cls, { cache, stage: 'cls' });
    assert.equal(again.cached, true, 'the rebuilt entry is cached again');
    assert.equal(statSync(again.path).size, fullBytes);
  });

  test('bytes flipped inside the weights (same size, still loadable) are caught by the sha256 check and the model is rebuilt', async () => {
    const logs: string[] = [];
    const cacheDir = path.join(tmp, 'flipped');
    const cache = new EngineCache({ rootDir: cacheDir, log: (m) => logs.push(m) });
    const first = await getFp16Model(models.cls, { cache, stage: 'cls' });
    const good = readFileSync(first.path);
    // Invert 64 bytes in the middle of the file: fp16 weight data in this model (most of its bytes).
    const at = Math.floor(good.length / 2);
    const fd = openSync(first.path, 'r+');
    writeSync(fd, Buffer.from(good.subarray(at, at + 64).map((b) => b ^ 0xff)), 0, 64, at);
    closeSync(fd);
    assert.equal(statSync(first.path).size, good.length, 'the size check cannot see it');
    // ONNX Runtime cannot see it either: the damaged model loads (it would compute with wrong weights).
    const silent = await ort.InferenceSession.create(first.path, { executionProviders: ['cpu'] });
    await silent.release();

    await assertServedByRebuiltFp16(cache, logs);
    assert.match(logs.join('\n'), /fp16-model entry [0-9a-f]{24} \(cls\) is damaged \(model\.fp16\.onnx has the right size but other content: sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\); it will be rebuilt/);
    const again = await getFp16Model(models.cls, { cache, stage: 'cls' });
    assert.equal(again.cached, true, 'the rebuilt entry is cached again');
    assert.ok(readFileSync(again.path).equals(good), 'the rebuilt file is the original conversion, byte for byte');
    const manifest = JSON.parse(readFileSync(path.join(cacheDir, 'manifest.json'), 'utf8'));
    const entry = manifest.entries.find((e: { id: string }) => e.id === again.entryId);
    assert.match(entry.rebuiltBecause, /model\.fp16\.onnx has the right size but other content/, 'the manifest says why it was rebuilt');
    assert.equal(entry.files[0].sha256, createHash('sha256').update(good).digest('hex'));
  });

  test('an entry from before hashes were kept, with a garbage header, fails to load with a reason, and the stage falls back to FP32', async () => {
    const logs: string[] = [];
    const cacheDir = path.join(tmp, 'garbage');
    const cache = new EngineCache({ rootDir: cacheDir, log: (m) => logs.push(m) });
    const entry = await getFp16Model(models.cls, { cache, stage: 'cls' });
    // As the previous version wrote it: sizes only, so only loading the model can find the damage.
    for (const file of [path.join(cacheDir, 'manifest.json'), path.join(path.dirname(entry.path), 'entry.json')]) {
      const j = JSON.parse(readFileSync(file, 'utf8'));
      for (const e of j.entries ?? [j]) for (const f of e.files) delete f.sha256;
      writeFileSync(file, JSON.stringify(j));
    }
    const size = statSync(entry.path).size;
    // Overwrite the start (ModelProto's header fields) in place: the size check cannot see it.
    const fd = openSync(entry.path, 'r+');
    writeSync(fd, Buffer.alloc(256, 0xff), 0, 256, 0);
    closeSync(fd);
    assert.equal(statSync(entry.path).size, size);

    const session = await createSession(models.cls, { stage: 'cls', plan: [FP16_ON_CPU, FP32_ON_CPU], cache, log: (m) => logs.push(m) });
    try {
      assert.equal(session.provider.precision, 'fp32', 'served by the next candidate');
      assert.equal(session.provider.fallbacks.length, 1);
      assert.equal(session.provider.fallbacks[0]!.provider, 'cpu');
      assert.match(session.provider.fallbacks[0]!.reason, /^failed to load: \S/);
      // It still works.
      const out = await session.run({ data: new Float32Array(1 * 3 * 48 * 192).fill(0.5), dims: [1, 3, 48, 192] });
      assert.deepEqual(out.dims, [1, 2], 'the 0°/180° scores of one crop');
    } finally {
      await session.dispose();
    }

    // With no other candidate: a typed error naming the stage, the model and the reason, not a crash.
    await assert.rejects(createSession(models.cls, { stage: 'cls', plan: [FP16_ON_CPU], cache }), (e: unknown) => {
      assert.ok(e instanceof OcrError);
      assert.equal(e.code, 'MODEL_LOAD_FAILED');
      assert.match(e.message, /Could not load the cls model \(.+\) with any execution provider: cpu: failed to load: \S/);
      return true;
    });
  });
});

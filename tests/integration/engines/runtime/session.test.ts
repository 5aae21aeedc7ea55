import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { detectProviderAvailability, planProviders, type PlannedProvider } from '../../../../engines/runtime/execution-providers.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import {
  OrtSession,
  RunQueue,
  ShapeRoutedSession,
  createCpuSession,
  createSession,
  placementProblem,
  summariseProfile,
  warmUp,
} from '../../../../engines/runtime/session.js';

const models = resolveModelPaths();
let tmp: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-session-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const cpu: PlannedProvider = { provider: 'cpu', precision: 'fp32', model: 'original', notes: [] };

describe('createSession on this machine (no GPU, no CUDA/TensorRT EP libraries)', () => {
  test('the real plan falls through to CPU and records why each GPU provider was not used', async () => {
    const available = await detectProviderAvailability();
    const plan = planProviders({ stage: 'cls', preference: 'auto', precision: 'fp32', available });
    // Force the GPU providers into the plan as well, so their real load failures are exercised.
    const forced = [
      { provider: 'cuda' as const, precision: 'fp32' as const, model: 'original' as const, notes: [] },
      { provider: 'webgpu' as const, precision: 'fp32' as const, model: 'original' as const, notes: [] },
      ...plan.candidates,
    ];
    const logs: string[] = [];
    const s = await createSession(models.cls, { stage: 'cls', plan: { ...plan, candidates: forced }, log: (m) => logs.push(m) });
    try {
      assert.equal(s.provider.provider, 'cpu');
      assert.equal(s.provider.precision, 'fp32');
      const reasons = Object.fromEntries(s.provider.fallbacks.map((f) => [f.provider, f.reason]));
      // From planning (facts about the machine):
      assert.equal(s.provider.fallbacks[0]!.reason, 'TensorRT EP library not installed (run setup on a connected machine)');
      assert.ok(s.provider.fallbacks.some((f) => f.reason === 'CUDA EP library not installed (run setup on a connected machine)'));
      // From really trying (what ORT said):
      const tried = s.provider.fallbacks.filter((f) => f.reason.startsWith('failed to load'));
      assert.match(tried.find((f) => f.provider === 'cuda')!.reason, /Failed to load shared library/);
      assert.match(tried.find((f) => f.provider === 'webgpu')!.reason, /WebGPU adapter|webgpu/i);
      assert.ok(reasons.webgpu);
      const out = await s.run({ data: new Float32Array(2 * 3 * 48 * 192), dims: [2, 3, 48, 192] });
      assert.deepEqual(out.dims, [2, 2]);
    } finally {
      await s.dispose();
    }
  });

  test('an FP16 candidate loads the cached FP16 conversion and runs on the CPU EP', async () => {
    const cache = path.join(tmp, 'cache');
    const fp16: PlannedProvider = { provider: 'cpu', precision: 'fp16', model: 'fp16', notes: [] };
    const s = (await createSession(models.cls, { stage: 'cls', plan: [fp16], cache })) as OrtSession;
    try {
      assert.equal(s.provider.precision, 'fp16');
      assert.match(s.loadedModelPath!, /entries\/[0-9a-f]{24}\/model\.fp16\.onnx$/);
      const out = await s.run({ data: new Float32Array(3 * 48 * 192).fill(0.25), dims: [1, 3, 48, 192] });
      assert.ok(out.data instanceof Float32Array, 'graph outputs stay float32 (keepIoTypes)');
      assert.ok(Math.abs(out.data[0]! + out.data[1]! - 1) < 1e-2, 'softmax still sums to 1');
    } finally {
      await s.dispose();
    }
    // A second session reuses the conversion.
    const s2 = (await createSession(models.cls, { stage: 'cls', plan: [fp16], cache })) as OrtSession;
    await s2.dispose();
    assert.equal(readdirSync(path.join(cache, 'entries')).length, 1);
  });

  test('every candidate failing is an OcrError naming each reason', async () => {
    await assert.rejects(
      createSession(models.cls, { stage: 'cls', plan: [{ provider: 'cuda', precision: 'fp32', model: 'original', notes: [] }] }),
      (e: unknown) => (e as { code?: string }).code === 'MODEL_LOAD_FAILED' && /cuda: failed to load/.test((e as Error).message),
    );
  });

  test('createCpuSession keeps working for existing callers', async () => {
    const s = await createCpuSession(models.cls, { stage: 'cls' });
    assert.equal(s.provider.provider, 'cpu');
    await s.dispose();
  });
});

describe('placement verification from ORT profiles', () => {
  test('a real CPU profile: counted per provider; a GPU EP with no node is a silent fallback', async () => {
    const prefix = path.join(tmp, 'prof');
    const sess = await ort.InferenceSession.create(models.cls, { executionProviders: ['cpu'], enableProfiling: true, profileFilePrefix: prefix });
    await sess.run({ x: new ort.Tensor('float32', new Float32Array(3 * 48 * 192), [1, 3, 48, 192]) });
    sess.endProfiling();
    await sess.release();
    const file = readdirSync(tmp).find((f) => f.startsWith('prof') && f.endsWith('.json'))!;
    const placement = summariseProfile(JSON.parse(readFileSync(path.join(tmp, file), 'utf8')));
    const cpuNodes = placement.nodesByProvider.CPUExecutionProvider!;
    assert.ok(cpuNodes > 50, `${cpuNodes} CPU kernels`);
    assert.equal(Object.keys(placement.nodesByProvider).length, 1);
    assert.ok(Math.abs(placement.timeShareByProvider.CPUExecutionProvider! - 1) < 1e-9);
    assert.equal(placementProblem('cpu', placement), null);
    assert.equal(placementProblem('cuda', placement), `ORT placed no node on cuda (it fell back without an error: ${cpuNodes} on CPUExecutionProvider)`);
    // A CUDA placement with shape ops left on the CPU is accepted.
    assert.equal(placementProblem('cuda', { nodesByProvider: { CUDAExecutionProvider: 230, CPUExecutionProvider: 12 } }), null);
  });
});

describe('warm-up, run serialisation, shape routing', () => {
  test('warmUp runs each bucket once and reports its time', async () => {
    const s = await createSession(models.cls, { stage: 'cls', plan: [cpu] });
    try {
      const r = await warmUp(s, [
        [1, 3, 48, 192],
        [6, 3, 48, 192],
      ]);
      assert.deepEqual(r.map((x) => x.shape), [
        [1, 3, 48, 192],
        [6, 3, 48, 192],
      ]);
      assert.ok(r.every((x) => x.ms > 0));
    } finally {
      await s.dispose();
    }
  });

  test('RunQueue never lets two runs overlap, in FIFO order, and survives a failed run', async () => {
    const q = new RunQueue();
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    const job = (i: number, fail = false) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      active--;
      if (fail) throw new Error(`job ${i}`);
      return i;
    };
    const results = await Promise.allSettled([q.run(job(1)), q.run(job(2, true)), q.run(job(3)), q.run(job(4))]);
    assert.equal(maxActive, 1);
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal(q.depth, 0);
  });

  test('ShapeRoutedSession sends in-profile shapes to their engine and the rest to the fallback (made once)', async () => {
    const narrow = (await createSession(models.cls, { stage: 'cls', plan: [cpu] })) as OrtSession;
    let made = 0;
    const routed = new ShapeRoutedSession(
      'cls',
      { stage: 'cls', provider: 'tensorrt', precision: 'fp16', fallbacks: [] },
      [{ profile: { name: 'cls-b1-4', input: 'x', min: [1, 3, 48, 192], opt: [4, 3, 48, 192], max: [4, 3, 48, 192] }, session: narrow }],
      async () => {
        made++;
        return createSession(models.cls, { stage: 'cls', plan: [cpu] });
      },
    );
    try {
      assert.equal(routed.route([2, 3, 48, 192]), narrow);
      assert.equal(routed.route([8, 3, 48, 192]), null);
      await routed.run({ data: new Float32Array(2 * 3 * 48 * 192), dims: [2, 3, 48, 192] });
      assert.equal(routed.fallbackRuns, 0);
      const big = await routed.run({ data: new Float32Array(8 * 3 * 48 * 192), dims: [8, 3, 48, 192] });
      await routed.run({ data: new Float32Array(6 * 3 * 48 * 192), dims: [6, 3, 48, 192] });
      assert.deepEqual(big.dims, [8, 2]);
      assert.equal(routed.fallbackRuns, 2);
      assert.equal(made, 1);
    } finally {
      await routed.dispose();
    }
    const noFallback = new ShapeRoutedSession('cls', { stage: 'cls', provider: 'tensorrt', precision: 'fp16', fallbacks: [] }, []);
    await assert.rejects(noFallback.run({ data: new Float32Array(3 * 48 * 192), dims: [1, 3, 48, 192] }), /No TensorRT engine covers input shape 1×3×48×192/);
  });
});

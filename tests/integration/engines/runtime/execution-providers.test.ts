import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { describePlan, detectProviderAvailability, planProviders } from '../../../../engines/runtime/execution-providers.js';

describe('detectProviderAvailability on the machine running the tests', () => {
  test('reports what this onnxruntime-node build and machine have, and plans from it', async () => {
    const a = await detectProviderAvailability();
    assert.equal(a.onnxruntimeVersion, '1.29.0');
    assert.deepEqual(a.ortBackends, ort.listSupportedBackends().map((b) => b.name));
    assert.ok(a.epLibraries.dir && existsSync(path.join(a.epLibraries.dir, 'onnxruntime_binding.node')));
    // The EP library flags mirror the files next to the binding.
    assert.equal(a.epLibraries.cuda, existsSync(path.join(a.epLibraries.dir!, 'libonnxruntime_providers_cuda.so')));
    assert.equal(a.epLibraries.tensorrt, existsSync(path.join(a.epLibraries.dir!, 'libonnxruntime_providers_tensorrt.so')));
    assert.ok(a.gpu, 'nvidia-smi was queried');
    if (a.gpu.gpus.length === 0) assert.ok(a.gpu.reason && a.gpu.reason.length > 0, 'no GPU comes with a reason');

    for (const stage of ['det', 'cls', 'rec'] as const) {
      const plan = planProviders({ stage, preference: 'auto', precision: 'fp16', available: a });
      assert.equal(plan.candidates.at(-1)!.provider, 'cpu');
      // Every provider of the platform order is either planned or skipped with a reason.
      const seen = new Set([...plan.candidates.map((c) => c.provider), ...plan.skipped.map((s) => s.provider)]);
      assert.ok(['tensorrt', 'cuda', 'webgpu', 'cpu'].every((p) => seen.has(p as never)) || process.platform !== 'linux');
      assert.ok(plan.skipped.every((s) => s.reason.length > 10));
      console.log(describePlan(plan));
    }
  });
});

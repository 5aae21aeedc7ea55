import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  describePlan,
  findSharedLibrary,
  parseTrtexecVersion,
  planProviders,
  platformOrder,
  type PlanRequest,
  type ProviderAvailability,
} from '../../../../engines/runtime/execution-providers.js';

/** A Linux x64 box with everything: NVIDIA GPU, CUDA/TensorRT EP libraries, TensorRT 10, trtexec. */
function fullLinux(): ProviderAvailability {
  return {
    platform: 'linux',
    arch: 'x64',
    onnxruntimeVersion: '1.29.0',
    ortBackends: ['cpu', 'webgpu', 'cuda', 'tensorrt'],
    epLibraries: { dir: '/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64', cuda: true, tensorrt: true, shared: true },
    gpu: { gpus: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', driverVersion: '580.65.06', memoryUsedMiB: 1, memoryTotalMiB: 81559, uuid: 'GPU-1' }], reason: null },
    nvinfer: { path: '/usr/lib/x86_64-linux-gnu/libnvinfer.so.10', version: '10.9.0' },
    cudnn: { path: '/usr/lib/x86_64-linux-gnu/libcudnn.so.9', version: '9.8.0' },
    trtexec: { path: '/usr/src/tensorrt/bin/trtexec', version: '10.9.0' },
  };
}

const readyTrt = {
  state: 'ready' as const,
  precision: 'fp16' as const,
  engines: [{ profile: { name: 'det-960', input: 'x', min: [1, 3, 32, 32], opt: [1, 3, 960, 736], max: [8, 3, 960, 960] }, wrapperPath: '/cache/entries/abc/model_ctx.onnx' }],
};

function plan(over: Partial<PlanRequest> & { available?: ProviderAvailability } = {}) {
  return planProviders({ stage: 'det', preference: 'auto', precision: 'fp32', available: fullLinux(), ...over });
}

const order = (p: ReturnType<typeof plan>) => p.candidates.map((c) => c.provider);
const reasonFor = (p: ReturnType<typeof plan>, ep: string) => p.skipped.find((s) => s.provider === ep)?.reason ?? '';

describe('platformOrder', () => {
  test('best first per platform, CPU last', () => {
    assert.deepEqual(platformOrder('linux', 'x64'), ['tensorrt', 'cuda', 'webgpu', 'cpu']);
    assert.deepEqual(platformOrder('win32', 'x64'), ['dml', 'webgpu', 'cpu']);
    assert.deepEqual(platformOrder('darwin', 'arm64'), ['coreml', 'webgpu', 'cpu']);
    assert.deepEqual(platformOrder('linux', 'arm64'), ['webgpu', 'cpu']);
    assert.deepEqual(platformOrder('freebsd', 'x64'), ['cpu']);
  });
});

describe('planProviders on Linux x64', () => {
  test('everything present and an engine ready: tensorrt, cuda, webgpu, cpu', () => {
    const p = plan({ trtEngine: readyTrt, precision: 'fp16' });
    assert.deepEqual(order(p), ['tensorrt', 'cuda', 'webgpu', 'cpu']);
    assert.equal(p.candidates[0]!.model, 'trt-engine');
    assert.equal(p.candidates[0]!.engines?.[0]?.wrapperPath, '/cache/entries/abc/model_ctx.onnx');
    assert.equal(p.candidates[1]!.model, 'original', 'CUDA runs det in FP32 (FP16 det measured slower; see the per-stage test)');
    assert.equal(p.candidates[3]!.precision, 'fp32', 'CPU stays FP32 by default');
    assert.match(p.candidates[3]!.notes.join(' '), /FP16 runs slower/);
  });

  test('no engine built yet: tensorrt skipped with the reason, CUDA leads', () => {
    const p = plan();
    assert.deepEqual(order(p), ['cuda', 'webgpu', 'cpu']);
    assert.match(reasonFor(p, 'tensorrt'), /no TensorRT engine built yet for det/);
  });

  test('engine building / rejected / failed give their own reasons', () => {
    assert.match(reasonFor(plan({ trtEngine: { state: 'building', fraction: 0.42 } }), 'tensorrt'), /being built \(42%\)/);
    assert.match(reasonFor(plan({ trtEngine: { state: 'rejected', reason: 'det map mean |Δ| 3e-2' } }), 'tensorrt'), /failed validation: det map mean/);
    assert.match(reasonFor(plan({ trtEngine: { state: 'failed', reason: 'OutOfMemory' } }), 'tensorrt'), /build failed: OutOfMemory/);
  });

  test('missing pieces each name what is missing', () => {
    const noLibs = fullLinux();
    noLibs.epLibraries = { dir: noLibs.epLibraries.dir, cuda: false, tensorrt: false, shared: false };
    const p1 = plan({ available: noLibs, trtEngine: readyTrt });
    assert.deepEqual(order(p1), ['webgpu', 'cpu']);
    assert.equal(reasonFor(p1, 'cuda'), 'CUDA EP library not installed (run setup on a connected machine)');
    assert.equal(reasonFor(p1, 'tensorrt'), 'TensorRT EP library not installed (run setup on a connected machine)');

    const noTrt = { ...fullLinux(), nvinfer: null };
    assert.equal(reasonFor(plan({ available: noTrt, trtEngine: readyTrt }), 'tensorrt'), 'libnvinfer.so.10 not found (TensorRT 10 is not installed)');

    const noTrtexec = { ...fullLinux(), trtexec: null };
    assert.match(reasonFor(plan({ available: noTrtexec, trtEngine: readyTrt }), 'tensorrt'), /^trtexec not found/);

    const noGpu = { ...fullLinux(), gpu: { gpus: [], reason: 'nvidia-smi not found (no NVIDIA driver installed)' } };
    const p2 = plan({ available: noGpu, trtEngine: readyTrt });
    assert.deepEqual(order(p2), ['webgpu', 'cpu']);
    assert.equal(reasonFor(p2, 'cuda'), 'no NVIDIA GPU found (nvidia-smi not found (no NVIDIA driver installed))');
  });

  test('missing cuDNN is a note, not a skip (it may live on a path we do not search)', () => {
    const p = plan({ available: { ...fullLinux(), cudnn: null } });
    const cuda = p.candidates.find((c) => c.provider === 'cuda')!;
    assert.match(cuda.notes.join(' '), /libcudnn\.so\.9/);
  });

  test('a backend missing from the onnxruntime-node build is skipped', () => {
    const p = plan({ available: { ...fullLinux(), ortBackends: ['cpu'] } });
    assert.deepEqual(order(p), ['cpu']);
    assert.match(reasonFor(p, 'webgpu'), /not part of this onnxruntime-node build/);
  });
});

describe('per-stage choice', () => {
  test("'auto' keeps WebGPU for det but not for rec and cls (measured slower than CPU)", () => {
    assert.ok(order(plan({ stage: 'det' })).includes('webgpu'));
    const rec = plan({ stage: 'rec' });
    assert.deepEqual(order(rec), ['cuda', 'cpu']);
    assert.match(reasonFor(rec, 'webgpu'), /slower than the CPU EP/);
    assert.ok(!order(plan({ stage: 'cls' })).includes('webgpu'));
  });

  test('an explicit per-stage preference wins and still ends on CPU', () => {
    const p = plan({ stage: 'rec', stagePreference: { rec: 'webgpu' } });
    assert.deepEqual(order(p), ['webgpu', 'tensorrt', 'cuda', 'cpu'].filter((e) => e !== 'tensorrt'));
    assert.equal(p.preference, 'webgpu');
    const det = plan({ stage: 'det', stagePreference: { rec: 'webgpu' }, preference: 'cuda' });
    assert.deepEqual(order(det), ['cuda', 'webgpu', 'cpu']);
  });

  test("preference 'cpu' gives exactly CPU", () => {
    assert.deepEqual(order(plan({ preference: 'cpu' })), ['cpu']);
  });

  test('WebGPU runs FP32 unless FP16 is allowed (FP16 failed validation there)', () => {
    const p = plan({ stage: 'det', precision: 'fp16' });
    const w = p.candidates.find((c) => c.provider === 'webgpu')!;
    assert.deepEqual([w.precision, w.model], ['fp32', 'original']);
    assert.match(w.notes.join(' '), /failed validation/);
    const w2 = plan({ stage: 'det', precision: 'fp16', webgpuFp16: true }).candidates.find((c) => c.provider === 'webgpu')!;
    assert.deepEqual([w2.precision, w2.model], ['fp16', 'fp16']);
  });

  test('FP16 on CUDA: det stays FP32 (measured slower), cls and rec run FP16; cudaDetFp16 lets det run FP16', () => {
    const cudaOf = (p: ReturnType<typeof plan>) => p.candidates.find((c) => c.provider === 'cuda')!;
    const det = cudaOf(plan({ stage: 'det', precision: 'fp16' }));
    assert.deepEqual([det.precision, det.model], ['fp32', 'original']);
    assert.match(det.notes.join(' '), /FP16 detection measured slower than FP32 on the CUDA EP/);
    for (const stage of ['cls', 'rec'] as const) {
      const c = cudaOf(plan({ stage, precision: 'fp16' }));
      assert.deepEqual([c.precision, c.model], ['fp16', 'fp16'], stage);
    }
    const allowed = cudaOf(plan({ stage: 'det', precision: 'fp16', cudaDetFp16: true }));
    assert.deepEqual([allowed.precision, allowed.model], ['fp16', 'fp16']);
    assert.deepEqual([cudaOf(plan({ stage: 'det', precision: 'fp32' })).precision], ['fp32']);
  });

  test('FP16 on CPU only when measured faster', () => {
    const p = plan({ preference: 'cpu', precision: 'fp16', cpuFp16Faster: true });
    assert.equal(p.candidates[0]!.precision, 'fp16');
    assert.equal(p.candidates[0]!.model, 'fp16');
  });
});

describe('planProviders on other platforms', () => {
  const winAvail: ProviderAvailability = {
    platform: 'win32',
    arch: 'x64',
    onnxruntimeVersion: '1.29.0',
    ortBackends: ['cpu', 'dml', 'webgpu'],
    epLibraries: { dir: null, cuda: false, tensorrt: false, shared: false },
    gpu: null,
    nvinfer: null,
    cudnn: null,
    trtexec: null,
  };

  test('Windows: dml, webgpu, cpu; CUDA asked for explicitly is skipped with the platform reason', () => {
    assert.deepEqual(order(planProviders({ stage: 'det', preference: 'auto', precision: 'fp16', available: winAvail })), ['dml', 'webgpu', 'cpu']);
    const p = planProviders({ stage: 'det', preference: 'cuda', precision: 'fp32', available: winAvail });
    assert.deepEqual(order(p), ['dml', 'webgpu', 'cpu']);
    assert.equal(reasonFor(p, 'cuda'), 'CUDA is only available in onnxruntime-node for Linux x64');
  });

  test('macOS: coreml, webgpu, cpu', () => {
    const mac = { ...winAvail, platform: 'darwin' as const, arch: 'arm64', ortBackends: ['cpu', 'coreml', 'webgpu'] };
    assert.deepEqual(order(planProviders({ stage: 'det', preference: 'auto', precision: 'fp32', available: mac })), ['coreml', 'webgpu', 'cpu']);
    const p = planProviders({ stage: 'det', preference: 'dml', precision: 'fp32', available: mac });
    assert.equal(reasonFor(p, 'dml'), 'DirectML exists only on Windows');
  });

  test('describePlan lists the order and every skip', () => {
    const text = describePlan(plan({ stage: 'rec' }));
    assert.match(text, /^rec: cuda\/fp32 → cpu\/fp32/);
    assert.match(text, /skip tensorrt: no TensorRT engine built yet/);
    assert.match(text, /skip webgpu:/);
  });
});

describe('detection helpers', () => {
  test('parseTrtexecVersion reads the banner of TensorRT 8 and 10', () => {
    assert.equal(parseTrtexecVersion('&&&& RUNNING TensorRT.trtexec [TensorRT v100900] [b34] # trtexec'), '10.9.0');
    assert.equal(parseTrtexecVersion('&&&& RUNNING TensorRT.trtexec [TensorRT v101602] [b10] #'), '10.16.2');
    assert.equal(parseTrtexecVersion('&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec'), '8.6.1');
    assert.equal(parseTrtexecVersion('no banner'), null);
  });

  test('findSharedLibrary finds the soname and reads the full version from its symlink target', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rt-lib-'));
    try {
      writeFileSync(path.join(dir, 'libnvinfer.so.10.9.0'), '');
      symlinkSync('libnvinfer.so.10.9.0', path.join(dir, 'libnvinfer.so.10'));
      assert.deepEqual(findSharedLibrary('libnvinfer.so.10', ['/nonexistent', dir]), { path: path.join(dir, 'libnvinfer.so.10'), version: '10.9.0' });
      assert.equal(findSharedLibrary('libcudnn.so.9', [dir]), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

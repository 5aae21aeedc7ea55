// TensorRT cannot run on the development machines, so trtexec is SIMULATED (fixtures/fake-trtexec.mjs)
// and the engine validator is injected where noted: these tests cover our orchestration (cache keys,
// background builds, wrappers, validation bookkeeping, planning), with a real engine cache on disk.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineCache } from '../../../../../engines/runtime/engine-cache.js';
import { planProviders, type ProviderAvailability } from '../../../../../engines/runtime/execution-providers.js';
import { resolveModelPaths } from '../../../../../engines/runtime/models.js';
import { createCpuSession } from '../../../../../engines/runtime/session.js';
import { parseEpContextModel } from '../../../../../engines/runtime/trt/ep-context.js';
import {
  TrtEngineManager,
  createTrtValidator,
  fitToProfile,
  trtEnvironmentFrom,
  type EngineValidator,
  type StageBuildProgress,
  type TrtEnvironment,
} from '../../../../../engines/runtime/trt/trt-engines.js';
import type { ShapeProfile } from '../../../../../engines/runtime/trt/trtexec-command.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const models = resolveModelPaths();
let tmp: string;
let trtexec: string;
const savedEnv = { ...process.env };
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-trt-'));
  trtexec = path.join(tmp, 'trtexec');
  copyFileSync(path.join(here, 'fixtures', 'fake-trtexec.mjs'), trtexec);
  chmodSync(trtexec, 0o755);
  process.env.FAKE_TRTEXEC_LAYER_MS = '5';
});
after(() => {
  process.env = savedEnv;
  rmSync(tmp, { recursive: true, force: true });
});

const env = (over: Partial<TrtEnvironment['gpu']> = {}): TrtEnvironment => ({
  trtexecPath: trtexec,
  trtVersion: '10.9.0',
  ortVersion: '1.29.0',
  gpu: { name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', driverVersion: '580.65.06', ...over },
});

const recProfiles: ShapeProfile[] = [
  { name: 'rec-a', input: 'x', min: [1, 3, 48, 320], opt: [4, 3, 48, 320], max: [8, 3, 48, 640] },
  { name: 'rec-b', input: 'x', min: [1, 3, 48, 672], opt: [2, 3, 48, 960], max: [4, 3, 48, 1280] },
];

/** Injected validator (the TensorRT EP cannot load an engine here): records calls, returns a verdict. */
function fakeValidator(ok: boolean, calls: string[]): EngineValidator {
  return async ({ profile, wrapperPath }) => {
    calls.push(`${profile.name} ${path.basename(path.dirname(wrapperPath))}`);
    return ok ? { ok: true, reason: 'within budgets', metrics: { cer: 0 } } : { ok: false, reason: 'rec CER between decodes 37.50% exceeds 1%', metrics: { cer: 0.375 } };
  };
}

describe('TrtEngineManager with a simulated trtexec (TensorRT cannot run here)', () => {
  test('builds each profile in the background, writes engine + EP-context wrapper, validates, then serves from cache', async () => {
    const countFile = path.join(tmp, 'count-1');
    process.env.FAKE_TRTEXEC_COUNT_FILE = countFile;
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache-1') });
    const calls: string[] = [];
    const progress: StageBuildProgress[] = [];
    const mgr = new TrtEngineManager({ cache, env: env(), validate: fakeValidator(true, calls), onProgress: (p) => progress.push(p) });
    const req = { stage: 'rec' as const, modelPath: models.rec, precision: 'fp16' as const, profiles: recProfiles };

    assert.equal((await mgr.status(req)).state, 'missing');
    const status = await mgr.ensure(req).promise;
    assert.equal(status.state, 'ready');
    assert.equal(status.engines?.length, 2);
    assert.deepEqual(calls.map((c) => c.split(' ')[0]), ['rec-a', 'rec-b']);
    assert.equal(readFileSync(countFile, 'utf8').trim().split('\n').length, 2);
    assert.deepEqual([...new Set(progress.map((p) => p.profileIndex))], [0, 1]);
    assert.ok(progress.every((p) => p.profileCount === 2 && p.stage === 'rec' && p.precision === 'fp16'));

    for (const e of status.engines!) {
      const dir = path.dirname(e.wrapperPath);
      assert.ok(existsSync(path.join(dir, 'model.engine')) && existsSync(path.join(dir, 'build.log')));
      const w = parseEpContextModel(readFileSync(e.wrapperPath));
      assert.equal(w.epCacheContext, 'model.engine');
      assert.equal(w.hardwareArchitecture, '90');
      assert.equal(w.epSdkVersion, '10.9.0');
    }
    const entries = await cache.list();
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.validation?.ok === true && e.key.kind === 'trt-engine' && e.key.driverVersion === '580.65.06'));
    assert.ok(existsSync(path.join(cache.timingCacheDir(), 'NVIDIA_H100_80GB_HBM3-sm90-trt10.9.0.timing')), 'one timing cache per GPU + TensorRT version');

    // Built once: a second ensure() neither builds nor re-validates.
    await mgr.ensure(req).promise;
    assert.equal(readFileSync(countFile, 'utf8').trim().split('\n').length, 2);
    assert.equal(calls.length, 2);

    // The plan now offers TensorRT first, with both engines.
    const available: ProviderAvailability = {
      ...(await fullAvail()),
      cudnn: { path: '/usr/lib/libcudnn.so.9', version: null },
      trtexec: { path: trtexec, version: '10.9.0' },
    };
    const plan = planProviders({ stage: 'rec', preference: 'auto', precision: 'fp16', available, trtEngine: status });
    assert.equal(plan.candidates[0]!.provider, 'tensorrt');
    assert.deepEqual(plan.candidates[0]!.engines!.map((e) => e.profile.name), ['rec-a', 'rec-b']);

    // A driver update changes the key: a miss, so the engines get rebuilt for the new driver.
    const mgr2 = new TrtEngineManager({ cache, env: env({ driverVersion: '590.10.01' }), validate: fakeValidator(true, calls) });
    assert.equal((await mgr2.status(req)).state, 'missing');
    assert.deepEqual(await cache.purgeStale({ driverVersion: '590.10.01' }), entries.map((e) => e.id));
  });

  test('a rejected engine is kept as rejected (no rebuild loop) until invalidated', async () => {
    const countFile = path.join(tmp, 'count-2');
    process.env.FAKE_TRTEXEC_COUNT_FILE = countFile;
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache-2') });
    const calls: string[] = [];
    const mgr = new TrtEngineManager({ cache, env: env(), validate: fakeValidator(false, calls) });
    const req = { stage: 'rec' as const, modelPath: models.rec, precision: 'fp16' as const, profiles: [recProfiles[0]!] };
    const s1 = await mgr.ensure(req).promise;
    assert.equal(s1.state, 'rejected');
    assert.equal(s1.reason, 'rec CER between decodes 37.50% exceeds 1%');
    await mgr.ensure(req).promise;
    assert.equal(readFileSync(countFile, 'utf8').trim().split('\n').length, 1);
    const plan = planProviders({ stage: 'rec', preference: 'tensorrt', precision: 'fp16', available: { ...(await fullAvail()), trtexec: { path: trtexec, version: '10.9.0' } }, trtEngine: s1 });
    assert.match(plan.skipped.find((s) => s.provider === 'tensorrt')!.reason, /failed validation: rec CER/);
    // The rebuild action.
    await cache.invalidateAll();
    await mgr.ensure(req).promise;
    assert.equal(readFileSync(countFile, 'utf8').trim().split('\n').length, 2);
  });

  test('a failed build leaves no cache entry and reports the cause', async () => {
    process.env.FAKE_TRTEXEC_MODE = 'fail';
    try {
      const cache = new EngineCache({ rootDir: path.join(tmp, 'cache-3') });
      const logs: string[] = [];
      const mgr = new TrtEngineManager({ cache, env: env(), validate: fakeValidator(true, []), log: (m) => logs.push(m) });
      const s = await mgr.ensure({ stage: 'det', modelPath: models.det, precision: 'fp32' }).promise;
      assert.equal(s.state, 'failed');
      assert.match(s.reason!, /OutOfMemory/);
      assert.deepEqual(await cache.list(), []);
    } finally {
      delete process.env.FAKE_TRTEXEC_MODE;
    }
  });

  test('cancel() stops the running build', async () => {
    process.env.FAKE_TRTEXEC_MODE = 'hang';
    try {
      const cache = new EngineCache({ rootDir: path.join(tmp, 'cache-4') });
      const mgr = new TrtEngineManager({ cache, env: env(), validate: fakeValidator(true, []) });
      const job = mgr.ensure({ stage: 'cls', modelPath: models.cls, precision: 'fp16' });
      setTimeout(() => job.cancel(), 500);
      const s = await job.promise;
      assert.equal(s.state, 'failed');
      assert.match(s.reason!, /cancelled/);
      assert.deepEqual(await cache.list(), []);
    } finally {
      delete process.env.FAKE_TRTEXEC_MODE;
    }
  });
});

async function fullAvail(): Promise<ProviderAvailability> {
  return {
    platform: 'linux',
    arch: 'x64',
    onnxruntimeVersion: '1.29.0',
    ortBackends: ['cpu', 'webgpu', 'cuda', 'tensorrt'],
    epLibraries: { dir: '/x', cuda: true, tensorrt: true, shared: true },
    gpu: { gpus: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', driverVersion: '580.65.06', memoryUsedMiB: 0, memoryTotalMiB: 81559, uuid: null }], reason: null },
    nvinfer: { path: '/usr/lib/libnvinfer.so.10', version: '10.9.0' },
    cudnn: null,
    trtexec: null,
  };
}

describe('on this machine, for real', () => {
  test('trtEnvironmentFrom explains why no engines can be built', async () => {
    const a = await fullAvail();
    assert.equal(trtEnvironmentFrom(a).reason, "trtexec not found (install TensorRT's tools, or put trtexec on PATH)");
    assert.equal(trtEnvironmentFrom({ ...a, nvinfer: null }).reason, 'libnvinfer.so.10 not found (TensorRT 10 is not installed)');
    assert.equal(trtEnvironmentFrom({ ...a, platform: 'win32' }).reason, 'TensorRT engines are only built on Linux x64');
    const ok = trtEnvironmentFrom({ ...a, trtexec: { path: '/usr/src/tensorrt/bin/trtexec', version: null } });
    assert.equal(ok.reason, null);
    assert.equal(ok.env?.trtVersion, '10.9.0');
  });

  test('the standard validator rejects an engine when the TensorRT EP cannot load (real ORT error)', async () => {
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache-5') });
    process.env.FAKE_TRTEXEC_COUNT_FILE = path.join(tmp, 'count-5');
    const reference = await createCpuSession(models.cls, { stage: 'cls' });
    const input = { data: new Float32Array(2 * 3 * 48 * 192), dims: [2, 3, 48, 192] };
    const validate = createTrtValidator({ references: { cls: reference }, inputs: { det: [], rec: [], cls: [input] } });
    const mgr = new TrtEngineManager({ cache, env: env(), validate });
    const s = await mgr.ensure({ stage: 'cls', modelPath: models.cls, precision: 'fp16' }).promise;
    await reference.dispose();
    assert.equal(s.state, 'rejected');
    assert.match(s.reason!, /^TensorRT EP could not load the engine: .*tensorrt: failed to load: .*Failed to load shared library/);
  });

  test('fitToProfile crops/pads validation tensors into a profile', () => {
    const t = { data: Float32Array.from({ length: 2 * 1 * 2 * 4 }, (_, i) => i + 1), dims: [2, 1, 2, 4] };
    const p: ShapeProfile = { name: 'p', input: 'x', min: [1, 1, 2, 6], opt: [1, 1, 2, 6], max: [1, 1, 2, 8] };
    const f = fitToProfile(t, p);
    assert.deepEqual(f.dims, [1, 1, 2, 6]);
    assert.deepEqual([...f.data], [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0]);
    assert.equal(fitToProfile(t, { ...p, min: [1, 1, 1, 1], max: [4, 4, 4, 4] }), t);
  });
});

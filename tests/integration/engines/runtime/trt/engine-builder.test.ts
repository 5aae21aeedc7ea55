// TensorRT cannot run on the development machines (no libnvinfer, no GPU), so trtexec is SIMULATED here by
// fixtures/fake-trtexec.mjs: these tests exercise our side for real (argv, child process, log parsing,
// progress, cancellation of the process group, error reporting), not TensorRT itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '../../../../../engines/runtime/fs-atomic.js';
import { EngineBuildError, startEngineBuild, type BuildProgress, type EngineBuildRequest } from '../../../../../engines/runtime/trt/engine-builder.js';
import { DEFAULT_TRT_PROFILES } from '../../../../../engines/runtime/trt/trtexec-command.js';
import { resolveModelPaths } from '../../../../../engines/runtime/models.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const models = resolveModelPaths();
let tmp: string;
let trtexec: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-build-'));
  trtexec = path.join(tmp, 'trtexec');
  copyFileSync(path.join(here, 'fixtures', 'fake-trtexec.mjs'), trtexec);
  chmodSync(trtexec, 0o755);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function request(name: string, env: Record<string, string>, over: Partial<EngineBuildRequest> = {}): EngineBuildRequest {
  return {
    trtexecPath: trtexec,
    stage: 'det',
    model: 'ch_PP-OCRv4_det_infer.onnx',
    onnxPath: models.det,
    enginePath: path.join(tmp, `${name}.engine`),
    precision: 'fp16',
    profiles: DEFAULT_TRT_PROFILES.det,
    timingCachePath: path.join(tmp, `${name}.timing`),
    verbose: true,
    heartbeatMs: 50,
    env: { ...process.env, ...env },
    ...over,
  };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('engine builder with a simulated trtexec (TensorRT cannot run here)', () => {
  test('a build streams phases in order with elapsed/remaining time, and writes the engine', async () => {
    const events: BuildProgress[] = [];
    const h = startEngineBuild(request('ok', { FAKE_TRTEXEC_LAYER_MS: '60', FAKE_TRTEXEC_LAYERS: '8' }, { estimatedTotalMs: 2000, onProgress: (p) => events.push(p) }));
    assert.ok(h.pid && h.pid > 0);
    const r = await h.promise;
    assert.equal(r.engineBytes, 64 * 1024);
    assert.match(readFileSync(r.enginePath, 'utf8').slice(0, 60), /^FAKE-TRT-ENGINE fp16 1x3x32x32\/1x3x1376x960\/8x3x1376x960/);
    assert.ok(existsSync(path.join(tmp, 'ok.timing')), 'the timing cache file was passed through');
    assert.equal(r.facts.trtVersion, '10.9.0');
    assert.equal(r.facts.layersCosted, 8);
    assert.equal(r.facts.passed, true);

    const phases = events.map((e) => e.phase).filter((p, i, a) => p !== a[i - 1]);
    assert.deepEqual(phases, ['starting', 'parsing', 'optimizing', 'tuning', 'finalizing', 'saving', 'done']);
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i]!.elapsedMs >= events[i - 1]!.elapsedMs);
      assert.ok((events[i]!.fraction ?? 0) >= (events[i - 1]!.fraction ?? 0) - 1e-9, `fraction fell at ${i}`);
    }
    const mid = events.find((e) => e.phase === 'tuning' && e.estimatedRemainingMs !== null)!;
    assert.ok(mid.estimatedRemainingMs! > 0 && mid.estimatedRemainingMs! < 2000, 'remaining time comes from the last build (2 s)');
    assert.equal(events.at(-1)!.phase, 'done');
    assert.equal(events.at(-1)!.estimatedRemainingMs, 0);
    assert.equal(events.at(-1)!.fraction, 1);
    assert.ok(events.some((e) => /Tuning layer 4\/8/.test(e.message)));
    assert.ok(events.at(-1)!.logTail.some((l) => l.startsWith('&&&& PASSED TensorRT.trtexec')));
    assert.equal(events[0]!.stage, 'det');
    assert.equal(events[0]!.profile, 'det-960');
  });

  test('cancel() kills trtexec and its helper processes (the whole group)', async () => {
    const pidFile = path.join(tmp, 'hang.pids');
    const h = startEngineBuild(request('hang', { FAKE_TRTEXEC_MODE: 'hang', FAKE_TRTEXEC_PIDFILE: pidFile }, { killGraceMs: 500 }));
    await waitFor(() => existsSync(pidFile) && statSync(pidFile).size > 0, 10_000);
    const [main, helper] = readFileSync(pidFile, 'utf8').split(' ').map(Number) as [number, number];
    assert.ok(isProcessAlive(main) && isProcessAlive(helper));
    h.cancel();
    await assert.rejects(h.promise, (e: unknown) => e instanceof EngineBuildError && e.details.cancelled && /was cancelled/.test(e.message));
    await waitFor(() => !isProcessAlive(main) && !isProcessAlive(helper), 5000);
    assert.ok(!existsSync(path.join(tmp, 'hang.engine')));
  });

  test('an AbortSignal cancels too', async () => {
    const ac = new AbortController();
    const h = startEngineBuild(request('abort', { FAKE_TRTEXEC_MODE: 'hang' }, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(h.promise, (e: unknown) => e instanceof EngineBuildError && e.details.cancelled);
  });

  test('a failing build rejects with the TensorRT error that names the cause', async () => {
    const events: BuildProgress[] = [];
    const h = startEngineBuild(request('fail', { FAKE_TRTEXEC_MODE: 'fail', FAKE_TRTEXEC_LAYER_MS: '5' }, { onProgress: (p) => events.push(p) }));
    await assert.rejects(h.promise, (e: unknown) => {
      assert.ok(e instanceof EngineBuildError);
      assert.match(e.message, /trtexec failed for det \(fp16\): .*Error Code 2: OutOfMemory/);
      assert.equal(e.details.exitCode, 1);
      assert.equal(e.details.phase, 'failed');
      assert.ok(e.details.logTail.some((l) => l.startsWith('&&&& FAILED')));
      return true;
    });
    assert.equal(events.at(-1)!.phase, 'failed');
  });

  test('exit 0 without an engine file, a crash, and a missing trtexec are all errors', async () => {
    await assert.rejects(startEngineBuild(request('noengine', { FAKE_TRTEXEC_MODE: 'noengine', FAKE_TRTEXEC_LAYER_MS: '1' })).promise, /wrote no engine/);
    await assert.rejects(startEngineBuild(request('crash', { FAKE_TRTEXEC_MODE: 'crash' })).promise, /killed by SIGSEGV/);
    await assert.rejects(startEngineBuild(request('missing', {}, { trtexecPath: path.join(tmp, 'no-such-trtexec') })).promise, /Could not start trtexec/);
  });
});

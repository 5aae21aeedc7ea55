// cuda-wait.ts against a stand-in CUDA driver: a small C library with the four driver entry points we call,
// built here with the system C compiler, holding one device's primary-context flags. The real driver is only
// on the GPU machine (where the bench measures what blocking waits change); this checks the FFI calls, the
// flag arithmetic and every error path.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { applyCudaWaitMode, resetCudaWaitForTest } from '../../../../engines/runtime/cuda-wait.js';

const STUB = String.raw`
static unsigned int ctx_flags = 0x08; /* CU_CTX_LMEM_RESIZE_TO_MAX: a non-scheduling flag that must survive */
static int ctx_active = 0, init_error = 0, set_error = 0, devices = 1, set_calls = 0;
int cuInit(unsigned int flags) { return flags ? 1 : init_error; }
int cuDeviceGet(int *dev, int ordinal) { if (ordinal < 0 || ordinal >= devices) return 101; *dev = ordinal; return 0; }
int cuDevicePrimaryCtxGetState(int dev, unsigned int *flags, int *active) { *flags = ctx_flags; *active = ctx_active; return 0; }
int cuDevicePrimaryCtxSetFlags_v2(int dev, unsigned int flags) { set_calls++; if (set_error) return set_error; ctx_flags = flags; return 0; }
void stub_set(int init, int set, int active, unsigned int flags) { init_error = init; set_error = set; ctx_active = active; ctx_flags = flags; }
int stub_set_calls(void) { return set_calls; }
`;

// Without a C compiler the stand-in cannot be built: those cases are skipped, saying why.
const noCompiler = spawnSync('cc', ['--version']).status === 0 ? false : 'no C compiler (cc) to build the stand-in CUDA driver';
let lib = '';
let stub: { set: (init: number, set: number, active: number, flags: number) => void; setCalls: () => number };
before(() => {
  if (noCompiler) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-cuda-stub-'));
  fs.writeFileSync(path.join(dir, 'stub.c'), STUB);
  lib = path.join(dir, 'libcuda-stub.so');
  execFileSync('cc', ['-shared', '-fPIC', '-o', lib, path.join(dir, 'stub.c')]);
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const l = koffi.load(lib);
  stub = { set: l.func('void stub_set(int, int, int, unsigned int)'), setCalls: l.func('int stub_set_calls(void)') };
});

test("block sets CU_CTX_SCHED_BLOCKING_SYNC and keeps the context's other flags; spin goes back to Auto", { skip: noCompiler }, () => {
  resetCudaWaitForTest();
  stub.set(0, 0, 0, 0x08);
  assert.deepEqual(applyCudaWaitMode('block', 0, lib), { mode: 'block', applied: true, flags: 0x0c, contextActive: false });
  // Remembered per thread: no second driver call.
  const calls = stub.setCalls();
  assert.deepEqual(applyCudaWaitMode('block', 0, lib).flags, 0x0c);
  assert.equal(stub.setCalls(), calls);
  assert.deepEqual(applyCudaWaitMode('spin', 0, lib), { mode: 'spin', applied: true, flags: 0x08, contextActive: false });
});

test('flags already right: nothing is set; an active context is reported', { skip: noCompiler }, () => {
  resetCudaWaitForTest();
  stub.set(0, 0, 1, 0x04);
  const calls = stub.setCalls();
  assert.deepEqual(applyCudaWaitMode('block', 0, lib), { mode: 'block', applied: true, flags: 0x04, contextActive: true });
  assert.equal(stub.setCalls(), calls);
});

test('driver errors come back as reasons, never as exceptions', { skip: noCompiler }, () => {
  resetCudaWaitForTest();
  stub.set(100, 0, 0, 0);
  assert.deepEqual(applyCudaWaitMode('block', 0, lib), { mode: 'block', applied: false, reason: 'cuInit returned CUDA error 100' });
  resetCudaWaitForTest();
  stub.set(0, 0, 0, 0);
  assert.deepEqual(applyCudaWaitMode('block', 3, lib), { mode: 'block', applied: false, reason: 'cuDeviceGet returned CUDA error 101' });
  resetCudaWaitForTest();
  stub.set(0, 708, 1, 0x02);
  assert.deepEqual(applyCudaWaitMode('block', 0, lib), { mode: 'block', applied: false, reason: 'cuDevicePrimaryCtxSetFlags returned CUDA error 708', flags: 0x02, contextActive: true });
});

test('no CUDA driver library: the reason names it', () => {
  resetCudaWaitForTest();
  const r = applyCudaWaitMode('block', 0, path.join(os.tmpdir(), 'no-such-dir', 'libcuda.so.1'));
  assert.equal(r.applied, false);
  assert.match(r.reason!, /^the CUDA driver library .*no-such-dir\/libcuda\.so\.1 could not be called \(.+\)$/);
});

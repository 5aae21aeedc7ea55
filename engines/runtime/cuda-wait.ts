/**
 * How a CPU thread waits for the GPU. ONNX Runtime's CUDA EP ends every run in cudaStreamSynchronize (to copy
 * outputs back), and CUDA's default scheduling for a process's primary context, cudaDeviceScheduleAuto, spins
 * in that wait whenever the host has more cores than the process has CUDA contexts: on any single-GPU machine.
 * A page thread waiting for its recognition run therefore burns a whole core doing nothing, and with 12 page
 * threads the spinning takes cores (and hyper-thread siblings) from the JavaScript stages of the other pages,
 * which are what bounds pages/s on the GPU machine.
 *
 * Stock onnxruntime-node exposes no such setting (it passes only deviceId to the CUDA EP), so we set the
 * primary context's flag ourselves through the CUDA driver API (libcuda, always installed with the driver),
 * before the EP creates the context: CU_CTX_SCHED_BLOCKING_SYNC, the driver-level cudaDeviceScheduleBlockingSync.
 * The waiting thread then sleeps until the GPU signals completion (tens of microseconds later than a spinning
 * thread would notice, against runs of milliseconds).
 *
 * The flag is per device and per process, so all page threads share it; setting it again from each thread is
 * harmless. Calls go through koffi (a C FFI with prebuilt binaries); if the library or driver is missing the
 * reason is returned and CUDA keeps its default.
 */
import { createRequire } from 'node:module';

/** 'block': sleep until the GPU is done (CU_CTX_SCHED_BLOCKING_SYNC); 'spin': CUDA's own default (Auto). */
export type CudaWaitMode = 'block' | 'spin';

/** What sessions use unless told otherwise. */
export const DEFAULT_CUDA_WAIT: CudaWaitMode = 'block';

/** cuda.h: CUcontext scheduling flags. */
const CU_CTX_SCHED_AUTO = 0x00;
const CU_CTX_SCHED_BLOCKING_SYNC = 0x04;
const CU_CTX_SCHED_MASK = 0x07;

export interface CudaWaitResult {
  mode: CudaWaitMode;
  /** Whether the primary context of the device now has the scheduling flag `mode` asks for. */
  applied: boolean;
  /** Why not, when not applied. */
  reason?: string;
  /** The device's primary-context flags afterwards (cuDevicePrimaryCtxGetState), when they could be read. */
  flags?: number;
  /** Whether the primary context already existed (another thread's CUDA session): the flag then applied earlier or late. */
  contextActive?: boolean;
}

interface CudaDriver {
  cuInit(flags: number): number;
  cuDeviceGet(out: number[], ordinal: number): number;
  cuDevicePrimaryCtxGetState(dev: number, flags: number[], active: number[]): number;
  cuDevicePrimaryCtxSetFlags(dev: number, flags: number): number;
}

/** The CUDA driver library's name, found the way the CUDA runtime finds it. */
export const CUDA_DRIVER_LIBRARY = process.platform === 'win32' ? 'nvcuda.dll' : 'libcuda.so.1';

const drivers = new Map<string, CudaDriver | { error: string }>();
const applied = new Map<string, CudaWaitResult>();
let last: CudaWaitResult | undefined;

/** What the last applyCudaWaitMode of this thread found (engine info reports it), or undefined before any. */
export function cudaWaitState(): CudaWaitResult | undefined {
  return last;
}

function loadDriver(library: string): CudaDriver | { error: string } {
  let driver = drivers.get(library);
  if (!driver) {
    driver = openDriver(library);
    drivers.set(library, driver);
  }
  return driver;
}

function openDriver(library: string): CudaDriver | { error: string } {
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load(library);
    // CUresult is an int; CUdevice is an int ordinal handle.
    return {
      cuInit: lib.func('int cuInit(unsigned int flags)'),
      cuDeviceGet: lib.func('int cuDeviceGet(_Out_ int *device, int ordinal)'),
      cuDevicePrimaryCtxGetState: lib.func('int cuDevicePrimaryCtxGetState(int dev, _Out_ unsigned int *flags, _Out_ int *active)'),
      // _v2: the flags may be set while the context is active (CUDA 11+ drivers).
      cuDevicePrimaryCtxSetFlags: lib.func('int cuDevicePrimaryCtxSetFlags_v2(int dev, unsigned int flags)'),
    } as CudaDriver;
  } catch (e) {
    return { error: `the CUDA driver library ${library} could not be called (${(e as Error).message.split('\n')[0]})` };
  }
}

/**
 * Sets how threads of this process wait for device `deviceId` (see the file comment). Call before the first
 * CUDA session of the process; idempotent. Never throws: what happened is in the result.
 */
export function applyCudaWaitMode(mode: CudaWaitMode, deviceId = 0, library = CUDA_DRIVER_LIBRARY): CudaWaitResult {
  const key = `${mode}:${deviceId}:${library}`;
  let result = applied.get(key);
  if (!result) {
    result = apply(mode, deviceId, library);
    applied.set(key, result);
  }
  last = result;
  return result;
}

function apply(mode: CudaWaitMode, deviceId: number, library: string): CudaWaitResult {
  const d = loadDriver(library);
  if ('error' in d) return { mode, applied: false, reason: d.error };
  const check = (what: string, code: number) => (code === 0 ? null : `${what} returned CUDA error ${code}`);
  let why = check('cuInit', d.cuInit(0));
  if (why) return { mode, applied: false, reason: why };
  const dev = [0];
  why = check('cuDeviceGet', d.cuDeviceGet(dev, deviceId));
  if (why) return { mode, applied: false, reason: why };
  const flags = [0], active = [0];
  why = check('cuDevicePrimaryCtxGetState', d.cuDevicePrimaryCtxGetState(dev[0]!, flags, active));
  if (why) return { mode, applied: false, reason: why };
  const want = (flags[0]! & ~CU_CTX_SCHED_MASK) | (mode === 'block' ? CU_CTX_SCHED_BLOCKING_SYNC : CU_CTX_SCHED_AUTO);
  if (flags[0] !== want) {
    why = check('cuDevicePrimaryCtxSetFlags', d.cuDevicePrimaryCtxSetFlags(dev[0]!, want));
    if (why) return { mode, applied: false, reason: why, flags: flags[0]!, contextActive: active[0] !== 0 };
    d.cuDevicePrimaryCtxGetState(dev[0]!, flags, active);
  }
  const ok = (flags[0]! & CU_CTX_SCHED_MASK) === (want & CU_CTX_SCHED_MASK);
  return { mode, applied: ok, ...(ok ? {} : { reason: `the flags read back as 0x${flags[0]!.toString(16)}` }), flags: flags[0]!, contextActive: active[0] !== 0 };
}

/** Test hook: forget what this thread applied (the driver state itself stays). */
export function resetCudaWaitForTest(): void {
  applied.clear();
  last = undefined;
}

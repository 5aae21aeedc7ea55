/**
 * Which execution provider runs each stage. Two halves:
 *  - detectProviderAvailability(): facts about this machine (what onnxruntime-node was built with, which
 *    EP libraries sit next to its binding, TensorRT/cuDNN libraries, trtexec, NVIDIA GPUs);
 *  - planProviders(): a pure function from those facts + the user's preference to an ordered plan,
 *    best first, CPU always last, with a human reason for every provider it skips.
 * session.ts then tries the plan in order and verifies what really loaded (ORT falls back silently).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { EpPreference, ExecutionProviderName, Precision } from '../types.js';
import { queryNvidiaGpus, type GpuQuery } from './gpu-info.js';
import type { ShapeProfile } from './trt/trtexec-command.js';

export type OrtStage = 'det' | 'cls' | 'rec';

export interface LibraryInfo {
  path: string;
  /** Full version from the file name (libnvinfer.so.10.9.0 → "10.9.0"), when it can be read. */
  version: string | null;
}

export interface ProviderAvailability {
  platform: NodeJS.Platform;
  arch: string;
  onnxruntimeVersion: string;
  /** Backends this onnxruntime-node build knows (ort.listSupportedBackends()). */
  ortBackends: string[];
  /** Provider libraries next to onnxruntime_binding.node (downloaded by onnxruntime-node's install step). */
  epLibraries: { dir: string | null; cuda: boolean; tensorrt: boolean; shared: boolean };
  /** nvidia-smi's answer; null when not queried. */
  gpu: GpuQuery | null;
  /** TensorRT 10 runtime (libnvinfer.so.10), needed by the TensorRT EP library. */
  nvinfer: LibraryInfo | null;
  /** cuDNN 9 (needed by the CUDA EP); a hint only: it may live on a path we do not search. */
  cudnn: LibraryInfo | null;
  /** TensorRT's trtexec, which builds our cached FP16/FP32 engines. */
  trtexec: LibraryInfo | null;
  /**
   * Linux: the Vulkan loader (libvulkan.so.1) that WebGPU's Dawn backend needs; null when absent,
   * undefined when not looked for (other platforms).
   */
  vulkan?: LibraryInfo | null;
}

/** One validated engine: its shape profile and the EP-context wrapper model to load. */
export interface TrtEngineRef {
  profile: ShapeProfile;
  wrapperPath: string;
}

/** State of a stage's cached TensorRT engines (trt/trt-engines.ts). */
export interface TrtEngineState {
  state: 'ready' | 'building' | 'missing' | 'failed' | 'rejected';
  /** Validated engines, one per shape profile, when ready. */
  engines?: TrtEngineRef[];
  precision?: Precision;
  reason?: string;
  /** 0..1 while building. */
  fraction?: number;
}

export interface PlanRequest {
  stage: OrtStage;
  preference: EpPreference;
  precision: Precision;
  available: ProviderAvailability;
  /** Overrides `available.platform/arch` (tests plan for other platforms). */
  platform?: NodeJS.Platform;
  arch?: string;
  /** Per-stage preference, e.g. { det: 'webgpu', rec: 'cuda' }; wins over `preference`. */
  stagePreference?: Partial<Record<OrtStage, EpPreference>>;
  /** This stage's TensorRT engine, when the engine manager has looked. */
  trtEngine?: TrtEngineState;
  /** FP16 on the CPU EP measured faster than FP32 on this machine (it was slower on ours). */
  cpuFp16Faster?: boolean;
  /**
   * Let WebGPU run the FP16 model. Off by default: on the H200 (Vulkan) the FP16 det map drifted by
   * mean |Δ| 1.2e-2 and rec decodes differed by 2.9% CER, both failing the validation gate.
   */
  webgpuFp16?: boolean;
  /**
   * Let the CUDA EP run the FP16 det model. Off by default: on the H100 (onnxruntime-node 1.29, folded
   * models) FP16 det was slower than FP32, 15.1 → 19.9 ms per 300-dpi A4 page in the pipeline and
   * 6.3 → 7.9 ms at 960×672, while FP16 rec was faster (100.8 → 81.5 ms per 100 lines). So an FP16
   * pipeline on CUDA runs det in FP32 and says so; cls and rec run FP16.
   */
  cudaDetFp16?: boolean;
}

export interface PlannedProvider {
  provider: ExecutionProviderName;
  precision: Precision;
  /** Which model file the session loads: the original, the FP16 conversion, or TensorRT wrappers. */
  model: 'original' | 'fp16' | 'trt-engine';
  /** For model 'trt-engine': the engines (one per shape profile) to load. */
  engines?: TrtEngineRef[];
  /** Caveats worth logging (missing cuDNN hint, precision downgrade). */
  notes: string[];
}

export interface ProviderPlan {
  stage: OrtStage;
  preference: EpPreference;
  candidates: PlannedProvider[];
  skipped: { provider: ExecutionProviderName; reason: string }[];
}

const EP_LABEL: Record<ExecutionProviderName, string> = {
  tensorrt: 'TensorRT',
  cuda: 'CUDA',
  webgpu: 'WebGPU',
  dml: 'DirectML',
  coreml: 'CoreML',
  cpu: 'CPU',
};

/** Best-first provider order per platform; CPU closes every list. */
export function platformOrder(platform: NodeJS.Platform, arch: string): ExecutionProviderName[] {
  if (platform === 'linux' && arch === 'x64') return ['tensorrt', 'cuda', 'webgpu', 'cpu'];
  if (platform === 'linux') return ['webgpu', 'cpu'];
  if (platform === 'win32') return ['dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cpu'];
}

/** Where an EP exists at all in onnxruntime-node's prebuilt packages. */
function platformSupports(ep: ExecutionProviderName, platform: NodeJS.Platform, arch: string): string | null {
  switch (ep) {
    case 'tensorrt':
    case 'cuda':
      return platform === 'linux' && arch === 'x64' ? null : `${EP_LABEL[ep]} is only available in onnxruntime-node for Linux x64`;
    case 'dml':
      return platform === 'win32' ? null : 'DirectML exists only on Windows';
    case 'coreml':
      return platform === 'darwin' ? null : 'CoreML exists only on macOS';
    default:
      return null;
  }
}

/**
 * WebGPU numbers from the project's GPU machine (H200, Vulkan, median of 20): det is close to CUDA, but
 * rec and cls are slower than even the CPU EP because some nodes fall back to the CPU. So 'auto' does not
 * pick WebGPU for them; an explicit preference still can.
 */
const WEBGPU_AUTO_SKIP: Partial<Record<OrtStage, string>> = {
  rec: 'WebGPU ran rec slower than the CPU EP on the measured GPU machine (553 ms vs 113 ms for 32×3×48×320; some nodes fall back to the CPU); choose webgpu explicitly to use it',
  cls: 'WebGPU ran cls slower than the CPU EP on the measured GPU machine (56 ms vs 7.7 ms for 32×3×48×192); choose webgpu explicitly to use it',
};

function gpuMissingReason(a: ProviderAvailability): string | null {
  if (!a.gpu) return null; // not queried: let session creation find out
  if (a.gpu.gpus.length > 0) return null;
  return `no NVIDIA GPU found (${a.gpu.reason ?? 'nvidia-smi listed none'})`;
}

/** Why `ep` cannot run this stage now, or null if it can be tried. */
function unavailableReason(ep: ExecutionProviderName, req: PlanRequest, platform: NodeJS.Platform, arch: string, explicit: boolean): string | null {
  const a = req.available;
  const plat = platformSupports(ep, platform, arch);
  if (plat) return plat;
  if (ep !== 'cpu' && !a.ortBackends.includes(ep)) return `${EP_LABEL[ep]} EP is not part of this onnxruntime-node build (${platform}/${arch})`;
  switch (ep) {
    case 'tensorrt': {
      if (!a.epLibraries.tensorrt || !a.epLibraries.shared) return 'TensorRT EP library not installed (run setup on a connected machine)';
      const gpu = gpuMissingReason(a);
      if (gpu) return gpu;
      if (!a.nvinfer) return 'libnvinfer.so.10 not found (TensorRT 10 is not installed)';
      if (!a.trtexec) {
        return 'trtexec not found: onnxruntime-node cannot turn on TensorRT\'s FP16 or engine cache, so cached engines are built with trtexec (install TensorRT\'s tools)';
      }
      const e = req.trtEngine;
      if (!e || e.state === 'missing') return `no TensorRT engine built yet for ${req.stage}`;
      if (e.state === 'building') {
        const pct = e.fraction !== undefined ? ` (${Math.round(e.fraction * 100)}%)` : '';
        return `TensorRT engine for ${req.stage} is being built${pct}; the next provider serves meanwhile`;
      }
      if (e.state === 'failed') return `TensorRT engine build failed: ${e.reason ?? 'unknown error'}`;
      if (e.state === 'rejected') return `TensorRT engine failed validation: ${e.reason ?? 'outputs differ'}`;
      if (!e.engines?.length) return 'TensorRT engine is ready but has no EP-context model';
      return null;
    }
    case 'cuda': {
      if (!a.epLibraries.cuda || !a.epLibraries.shared) return 'CUDA EP library not installed (run setup on a connected machine)';
      return gpuMissingReason(a);
    }
    case 'webgpu':
      // Without the loader Dawn finds no adapter (and prints a warning on every attempt).
      if (platform === 'linux' && req.available.vulkan === null) return 'WebGPU needs the Vulkan loader (libvulkan.so.1), which is not installed';
      return explicit ? null : (WEBGPU_AUTO_SKIP[req.stage] ?? null);
    default:
      return null;
  }
}

export function planProviders(req: PlanRequest): ProviderPlan {
  const platform = req.platform ?? req.available.platform;
  const arch = req.arch ?? req.available.arch;
  const preference = req.stagePreference?.[req.stage] ?? req.preference;
  const base = platformOrder(platform, arch);
  // An explicit 'cpu' means exactly the CPU; any other preference goes first, then the platform order.
  const order: ExecutionProviderName[] =
    preference === 'auto' ? [...base] : preference === 'cpu' ? ['cpu'] : [preference, ...base.filter((p) => p !== preference)];
  const ordered = [...order.filter((p) => p !== 'cpu'), 'cpu' as const];

  const candidates: PlannedProvider[] = [];
  const skipped: ProviderPlan['skipped'] = [];
  for (const ep of ordered) {
    const reason = unavailableReason(ep, req, platform, arch, preference === ep);
    if (reason) {
      skipped.push({ provider: ep, reason });
      continue;
    }
    const notes: string[] = [];
    let precision: Precision = req.precision;
    let model: PlannedProvider['model'] = precision === 'fp16' ? 'fp16' : 'original';
    let engines: TrtEngineRef[] | undefined;
    if (ep === 'tensorrt') {
      model = 'trt-engine';
      engines = req.trtEngine!.engines;
      precision = req.trtEngine!.precision ?? req.precision;
    } else if (ep === 'cpu' && precision === 'fp16' && !req.cpuFp16Faster) {
      precision = 'fp32';
      model = 'original';
      notes.push('FP16 runs slower than FP32 on the CPU EP (few fp16 kernels; ORT adds Casts), so CPU uses FP32');
    } else if (ep === 'webgpu' && precision === 'fp16' && !req.webgpuFp16) {
      precision = 'fp32';
      model = 'original';
      notes.push('FP16 on WebGPU failed validation on the measured GPU machine (det map Δ 1.2e-2, rec CER 2.9%), so WebGPU uses FP32');
    } else if (ep === 'cuda' && precision === 'fp16' && req.stage === 'det' && !req.cudaDetFp16) {
      precision = 'fp32';
      model = 'original';
      notes.push('FP16 detection measured slower than FP32 on the CUDA EP (H100: 19.9 vs 15.1 ms per A4 page), so det uses FP32; cls and rec use FP16');
    }
    if (ep === 'cuda' && !req.available.cudnn) notes.push('cuDNN 9 (libcudnn.so.9) was not found on the library path; the CUDA EP may fail to load');
    candidates.push({ provider: ep, precision, model, ...(engines ? { engines } : {}), notes });
  }
  return { stage: req.stage, preference, candidates, skipped };
}

/** One line per provider for logs and the diagnostics view. */
export function describePlan(plan: ProviderPlan): string {
  const used = plan.candidates.map((c) => `${c.provider}/${c.precision}${c.model === 'trt-engine' ? ' (engine)' : ''}`).join(' → ');
  const skipped = plan.skipped.map((s) => `  skip ${s.provider}: ${s.reason}`).join('\n');
  return `${plan.stage}: ${used}${skipped ? `\n${skipped}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// Detection

export interface DetectOptions {
  /** Query nvidia-smi (default true on Linux/Windows). */
  queryGpu?: boolean;
  /** Extra directories to search for libnvinfer/libcudnn and trtexec (e.g. a TensorRT tarball). */
  extraLibraryDirs?: string[];
  extraBinDirs?: string[];
  /** Read `trtexec`'s TensorRT version by running it (adds ~1 s; default false: the library version is used). */
  probeTrtexec?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Directory holding onnxruntime_binding.node for this platform (bin/napi-v*\/<platform>/<arch>). */
export function findOrtBindingDir(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const bin = path.join(pkgDir, 'bin');
    for (const napi of readdirSync(bin).filter((d) => d.startsWith('napi-v')).sort().reverse()) {
      const dir = path.join(bin, napi, platform, arch);
      if (existsSync(path.join(dir, 'onnxruntime_binding.node'))) return dir;
    }
  } catch {
    // not installed: planProviders will only offer the CPU
  }
  return null;
}

function libraryDirs(env: NodeJS.ProcessEnv, extra: string[]): string[] {
  const dirs = [
    ...extra,
    ...(env.LD_LIBRARY_PATH ?? '').split(path.delimiter),
    ...(env.TENSORRT_HOME ? [path.join(env.TENSORRT_HOME, 'lib')] : []),
    ...(env.CUDA_HOME ? [path.join(env.CUDA_HOME, 'lib64')] : []),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/local/lib',
    '/usr/local/cuda/lib64',
    '/usr/local/cuda/targets/x86_64-linux/lib',
    '/opt/tensorrt/lib',
    '/usr/local/tensorrt/lib',
  ];
  return [...new Set(dirs.filter(Boolean))];
}

/** Finds `soname` (e.g. libnvinfer.so.10) in `dirs`; the full version comes from the symlink target or a sibling. */
export function findSharedLibrary(soname: string, dirs: string[]): LibraryInfo | null {
  const stem = soname.replace(/\.\d+$/, ''); // libnvinfer.so
  const versionOf = (file: string) => (file.startsWith(`${stem}.`) && /^[\d.]+$/.test(file.slice(stem.length + 1)) ? file.slice(stem.length + 1) : null);
  for (const dir of dirs) {
    const p = path.join(dir, soname);
    if (!existsSync(p)) continue;
    let version: string | null = null;
    try {
      version = versionOf(path.basename(readlinkSync(p)));
    } catch {
      // not a symlink
    }
    if (!version || !version.includes('.')) {
      try {
        const longest = readdirSync(dir)
          .map(versionOf)
          .filter((v): v is string => !!v)
          .sort((a, b) => b.length - a.length)[0];
        version = longest ?? version;
      } catch {
        /* unreadable dir */
      }
    }
    return { path: p, version };
  }
  return null;
}

function findExecutable(name: string, env: NodeJS.ProcessEnv, extra: string[]): string | null {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  const dirs = [
    ...extra,
    ...(env.PATH ?? '').split(path.delimiter),
    ...(env.TENSORRT_HOME ? [path.join(env.TENSORRT_HOME, 'bin')] : []),
    '/usr/src/tensorrt/bin',
    '/opt/tensorrt/bin',
  ];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, exe);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** "TensorRT v100900" → "10.9.0" (trtexec's first output line). */
export function parseTrtexecVersion(text: string): string | null {
  const m = /TensorRT v(\d+)/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  // v8601 = 8.6.1 (4 digits, TRT 8); v100900 = 10.9.0 (6 digits, TRT 10+).
  if (m[1]!.length <= 4) return `${Math.floor(n / 1000)}.${Math.floor((n % 1000) / 100)}.${n % 100}`;
  return `${Math.floor(n / 10000)}.${Math.floor((n % 10000) / 100)}.${n % 100}`;
}

function runForText(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 4 << 20 }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
  });
}

export async function detectProviderAvailability(opts: DetectOptions = {}): Promise<ProviderAvailability> {
  const env = opts.env ?? process.env;
  const platform = process.platform;
  const arch = process.arch;
  let ortBackends: string[] = ['cpu'];
  try {
    ortBackends = ort.listSupportedBackends().map((b) => b.name);
  } catch {
    /* very old binding: CPU only */
  }
  const dir = findOrtBindingDir(platform, arch);
  const has = (f: string) => !!dir && existsSync(path.join(dir, f));
  const soExt = platform === 'win32' ? 'dll' : 'so';
  const pre = platform === 'win32' ? '' : 'lib';
  const epLibraries = {
    dir,
    cuda: has(`${pre}onnxruntime_providers_cuda.${soExt}`),
    tensorrt: has(`${pre}onnxruntime_providers_tensorrt.${soExt}`),
    shared: has(`${pre}onnxruntime_providers_shared.${soExt}`),
  };
  const libDirs = libraryDirs(env, opts.extraLibraryDirs ?? []);
  const isLinux = platform === 'linux';
  const nvinfer = isLinux ? findSharedLibrary('libnvinfer.so.10', libDirs) : null;
  const cudnn = isLinux ? findSharedLibrary('libcudnn.so.9', libDirs) : null;
  const vulkan = isLinux ? findSharedLibrary('libvulkan.so.1', libDirs) : undefined;
  const trtexecPath = findExecutable('trtexec', env, opts.extraBinDirs ?? []);
  let trtexec: LibraryInfo | null = null;
  if (trtexecPath) {
    const version = opts.probeTrtexec ? parseTrtexecVersion(await runForText(trtexecPath, ['--help'], 10_000)) : null;
    trtexec = { path: trtexecPath, version: version ?? nvinfer?.version ?? null };
  }
  const queryGpu = opts.queryGpu ?? platform !== 'darwin';
  const gpu = queryGpu ? await queryNvidiaGpus() : null;
  return {
    platform,
    arch,
    onnxruntimeVersion: ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
    ortBackends,
    epLibraries,
    gpu,
    nvinfer,
    cudnn,
    trtexec,
    ...(vulkan === undefined ? {} : { vulkan }),
  };
}

/** One provider as the settings screen shows it: usable here, or why not. */
export interface ProviderChoice {
  provider: ExecutionProviderName;
  available: boolean;
  reason?: string;
}

/**
 * Every provider this platform could offer, best first, each with the reason it cannot run here (asked as an
 * explicit choice, so auto-mode preferences such as "WebGPU is slower for rec" do not hide it).
 */
export function describeProviderChoices(available: ProviderAvailability): ProviderChoice[] {
  return platformOrder(available.platform, available.arch).map((provider) => {
    if (provider === 'cpu') return { provider, available: true };
    const plan = planProviders({ stage: 'det', preference: provider, precision: 'fp32', available });
    const skipped = plan.skipped.find((s) => s.provider === provider);
    return skipped ? { provider, available: false, reason: skipped.reason } : { provider, available: true };
  });
}

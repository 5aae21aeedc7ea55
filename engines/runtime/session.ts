import { DEFAULT_CUDA_WAIT, applyCudaWaitMode, type CudaWaitMode } from './cuda-wait.js';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { OcrError } from '../errors.js';
import type { OcrSession, TensorData } from '../stages.js';
import type { ExecutionProviderName, StageProvider } from '../types.js';
import type { EngineCache } from './engine-cache.js';
import type { PlannedProvider, ProviderPlan } from './execution-providers.js';
import { profileCovers, type ShapeProfile } from './trt/trtexec-command.js';
import type { Fp16Options } from './fp16.js';
import { DEFAULT_GPU_REC_BATCH_ROWS, GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX, gpuRecBatching, recPlanShapes } from '../rec/rec-preprocess.js';

export interface CreateSessionOptions {
  stage: 'det' | 'cls' | 'rec';
  /** ORT intra-op threads; default: ORT's own choice (all cores). */
  intraOpNumThreads?: number;
}

/**
 * CPU-only session (kept for callers that want exactly that); createSession() below runs the provider
 * plan (TensorRT → CUDA → WebGPU → CPU) behind the same OcrSession interface.
 */
export async function createCpuSession(modelPath: string | Uint8Array, opts: CreateSessionOptions): Promise<OcrSession> {
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // Dynamic OCR shapes make the CPU arena balloon (RapidOCR infer_optim.md); the speed gain is small.
      enableCpuMemArena: false,
      ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
    };
    session = typeof modelPath === 'string'
      ? await ort.InferenceSession.create(modelPath, options)
      : await ort.InferenceSession.create(modelPath, options);
  } catch (cause) {
    const name = typeof modelPath === 'string' ? modelPath : `<${opts.stage} model buffer>`;
    throw new OcrError('MODEL_LOAD_FAILED', `Could not load the ${opts.stage} model (${name}): ${(cause as Error).message}`, { cause });
  }
  const provider: StageProvider = { stage: opts.stage, provider: 'cpu', precision: 'fp32', fallbacks: [] };
  return new OrtSession(session, opts.stage, provider);
}

// ---------------------------------------------------------------------------------------------------
// Run serialisation

/**
 * A FIFO queue for runs that must not overlap. Concurrent Run() on two WebGPU sessions segfaults
 * (microsoft/onnxruntime#32561 on Linux/Vulkan, #27592/#31627 on macOS), so every WebGPU session shares
 * one queue. onnxruntime-node's run() is synchronous on the calling thread, so within one JS thread
 * runs cannot overlap anyway; the queue matters when runs are awaited from several async paths around
 * other awaits, and documents the rule. It cannot protect sessions in other worker threads: keep all
 * sessions in one thread (the engine worker).
 */
export class RunQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #depth = 0;
  get depth(): number {
    return this.#depth;
  }
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.#depth++;
    const next = this.#tail.then(fn, fn);
    this.#tail = next.then(
      () => {},
      () => {},
    );
    return next.finally(() => {
      this.#depth--;
    });
  }
}

/** The one queue all WebGPU sessions of this process share. */
export const webGpuRunQueue = new RunQueue();

// ---------------------------------------------------------------------------------------------------

/** Where ORT actually placed the graph's nodes, from a profiled probe run. */
export interface SessionPlacement {
  /** Executed kernels per ORT provider name (CPUExecutionProvider, CUDAExecutionProvider, …). */
  nodesByProvider: Record<string, number>;
  /** Share of kernel time per provider in the probe run, 0..1. */
  timeShareByProvider: Record<string, number>;
  /** Kernels per op type per provider: which ops a GPU EP left on the CPU. */
  opsByProvider: Record<string, Record<string, number>>;
  probeShape: number[];
  probeMs: number;
}

export interface OrtSessionOptions {
  /** Serialise runs through this queue (WebGPU sessions share webGpuRunQueue). */
  runQueue?: RunQueue;
  placement?: SessionPlacement;
  /** The model file this session loaded (the FP16 conversion or engine wrapper when used). */
  loadedModelPath?: string;
}

export class OrtSession implements OcrSession {
  readonly #session: ort.InferenceSession;
  readonly #inputName: string;
  readonly #outputName: string;
  readonly #runQueue: RunQueue | undefined;
  readonly placement: SessionPlacement | undefined;
  readonly loadedModelPath: string | undefined;
  readonly runQueue: RunQueue | undefined;

  constructor(
    session: ort.InferenceSession,
    readonly stage: 'det' | 'cls' | 'rec',
    readonly provider: StageProvider,
    opts: OrtSessionOptions = {},
  ) {
    this.#session = session;
    this.#inputName = session.inputNames[0]!;
    this.#outputName = session.outputNames[0]!;
    this.#runQueue = opts.runQueue;
    this.runQueue = opts.runQueue;
    this.placement = opts.placement;
    this.loadedModelPath = opts.loadedModelPath;
  }

  /** The underlying onnxruntime-node session (for re-wrapping with another StageProvider). */
  get rawSession(): ort.InferenceSession {
    return this.#session;
  }

  async run(input: TensorData): Promise<TensorData> {
    if (this.#runQueue) return this.#runQueue.run(() => this.#run(input));
    return this.#run(input);
  }

  async #run(input: TensorData): Promise<TensorData> {
    const tensor = new ort.Tensor('float32', input.data, input.dims as number[]);
    const out = await this.#session.run({ [this.#inputName]: tensor });
    const result = out[this.#outputName]!;
    const data = result.data as Float32Array;
    const dims = result.dims.slice();
    result.dispose?.();
    tensor.dispose?.();
    return { data, dims };
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

// ---------------------------------------------------------------------------------------------------
// Plan-driven sessions

/** The names ORT's profiler reports per EP. */
export const ORT_PROVIDER_NAMES: Record<ExecutionProviderName, string> = {
  tensorrt: 'TensorrtExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  dml: 'DmlExecutionProvider',
  coreml: 'CoreMLExecutionProvider',
  cpu: 'CPUExecutionProvider',
};

/** Probe shapes that every PP-OCR model accepts; small so the probe run costs little. */
export const DEFAULT_PROBE_SHAPES: Record<'det' | 'cls' | 'rec', number[]> = {
  det: [1, 3, 64, 64],
  cls: [1, 3, 48, 192],
  rec: [1, 3, 48, 320],
};

export interface CreatePlannedSessionOptions extends CreateSessionOptions {
  /** From planProviders(): tried in order. */
  plan: ProviderPlan | PlannedProvider[];
  /** Where FP16 conversions are cached (an EngineCache or its root directory). Without it they are made in memory. */
  cache?: EngineCache | string;
  fp16Options?: Fp16Options;
  /** GPU index for CUDA/TensorRT/DirectML. */
  deviceId?: number;
  /** CUDA/TensorRT: how threads wait for the GPU (cuda-wait.ts), set before the first session. Default DEFAULT_CUDA_WAIT. */
  cudaWait?: CudaWaitMode;
  /**
   * How to check what really runs: 'profile' (default) profiles one probe run and counts kernels per EP;
   * 'strict' also sets session.disable_cpu_ep_fallback so any CPU node fails the load; 'none' trusts ORT.
   * TensorRT engine wrappers are always loaded strictly (the whole graph is one EPContext node).
   */
  verify?: 'profile' | 'strict' | 'none';
  /** Shape of the probe run (default: the first warm-up shape, else DEFAULT_PROBE_SHAPES). */
  probeShape?: number[];
  /** Buckets to run once after loading (CUDA's first run per shape costs 0.7–1.7 s of cuDNN search). */
  warmUpShapes?: number[][];
  /** Extra WebGPU EP options (preferredLayout, validationMode, …). */
  webgpuOptions?: Record<string, unknown>;
  /**
   * rec only: load the model with the argmax head appended (rec-head.ts; output [N, T, 3] instead of
   * [N, T, classes]), on top of the FP16 conversion where that is the candidate. TensorRT engines keep
   * their own output (TextRecognizer decodes both). Default false.
   */
  recHead?: boolean;
  /**
   * CPU EP only: load this many single-threaded sessions behind one ConcurrentSession instead of one
   * session with intraOpNumThreads threads (see ConcurrentSession). Default 1.
   */
  cpuSessions?: number;
  log?: (message: string) => void;
}

function epOption(c: PlannedProvider, deviceId: number, webgpuOptions?: Record<string, unknown>): ort.InferenceSession.ExecutionProviderConfig {
  switch (c.provider) {
    case 'cpu':
      return 'cpu';
    case 'cuda':
      return { name: 'cuda', deviceId };
    case 'tensorrt':
      return { name: 'tensorrt', deviceId };
    case 'dml':
      return { name: 'dml', deviceId };
    case 'webgpu':
      return { name: 'webgpu', ...(webgpuOptions ?? {}) } as ort.InferenceSession.ExecutionProviderConfig;
    case 'coreml':
      return { name: 'coreml' };
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // ORT prefixes long source paths; keep the part a person can act on.
  const line = msg.split('\n').find((l) => l.trim()) ?? msg;
  return line
    .replace(/^.*onnxruntime_src\/[^ ]+ /, '')
    // "<C++ signature>::<lambda()> <condition> was false. <the actual reason>"
    .replace(/^.*\bwas false\.\s*/, '')
    .trim()
    .slice(0, 400);
}

/** Reads ORT's chrome-trace profile and tallies kernels per provider. */
export function summariseProfile(events: unknown): Pick<SessionPlacement, 'nodesByProvider' | 'timeShareByProvider' | 'opsByProvider'> {
  const nodesByProvider: Record<string, number> = {};
  const timeByProvider: Record<string, number> = {};
  const opsByProvider: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const ev of Array.isArray(events) ? events : []) {
    const e = ev as { cat?: string; dur?: number; args?: { provider?: string; op_name?: string } };
    if (e.cat !== 'Node' || !e.args?.provider) continue;
    const p = e.args.provider;
    nodesByProvider[p] = (nodesByProvider[p] ?? 0) + 1;
    const ops = (opsByProvider[p] ??= {});
    const op = e.args.op_name ?? '?';
    ops[op] = (ops[op] ?? 0) + 1;
    timeByProvider[p] = (timeByProvider[p] ?? 0) + (e.dur ?? 0);
    total += e.dur ?? 0;
  }
  const timeShareByProvider: Record<string, number> = {};
  for (const [p, t] of Object.entries(timeByProvider)) timeShareByProvider[p] = total > 0 ? t / total : 0;
  return { nodesByProvider, timeShareByProvider, opsByProvider };
}

function zeros(shape: number[]): TensorData {
  return { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), dims: shape };
}

async function resolveModel(
  modelPath: string,
  c: PlannedProvider,
  opts: CreatePlannedSessionOptions,
): Promise<{ source: string | Uint8Array; label: string }> {
  const base = await resolveBaseModel(modelPath, c, opts);
  if (!opts.recHead || opts.stage !== 'rec') return base;
  const { deriveRecHeadModel, getRecHeadModel } = await import('./rec-head.js');
  if (typeof base.source === 'string' && opts.cache) {
    const { EngineCache } = await import('./engine-cache.js');
    const cache = typeof opts.cache === 'string' ? new EngineCache({ rootDir: opts.cache, log: opts.log }) : opts.cache;
    const r = await getRecHeadModel(base.source, { cache, precision: c.model === 'fp16' ? 'fp16' : 'fp32' });
    return { source: r.path, label: `${r.path} (argmax head on ${base.label})` };
  }
  const bytes = typeof base.source === 'string' ? await readFile(base.source) : base.source;
  return { source: deriveRecHeadModel(bytes), label: `${base.label} + argmax head (in memory)` };
}

async function resolveBaseModel(
  modelPath: string,
  c: PlannedProvider,
  opts: CreatePlannedSessionOptions,
): Promise<{ source: string | Uint8Array; label: string }> {
  if (c.model === 'fp16') {
    // Loaded on first need: only FP16 candidates use the converter.
    const { convertModelToFp16, getFp16Model } = await import('./fp16.js');
    if (opts.cache) {
      const { EngineCache } = await import('./engine-cache.js');
      const cache = typeof opts.cache === 'string' ? new EngineCache({ rootDir: opts.cache, log: opts.log }) : opts.cache;
      const r = await getFp16Model(modelPath, { cache, options: opts.fp16Options, stage: opts.stage });
      return { source: r.path, label: r.path };
    }
    const { model } = convertModelToFp16(await readFile(modelPath), opts.fp16Options);
    return { source: model, label: `${modelPath} (FP16, in memory)` };
  }
  return { source: modelPath, label: modelPath };
}

/** Why a profiled placement does not count as running on `provider`, or null if it does. */
export function placementProblem(provider: ExecutionProviderName, placement: Pick<SessionPlacement, 'nodesByProvider'>): string | null {
  const mine = placement.nodesByProvider[ORT_PROVIDER_NAMES[provider]] ?? 0;
  if (mine > 0) return null;
  const where = Object.entries(placement.nodesByProvider)
    .map(([p, n]) => `${n} on ${p}`)
    .join(', ');
  return `ORT placed no node on ${provider} (it fell back without an error${where ? `: ${where}` : ''})`;
}

/**
 * ORT threading for one session. A GPU EP session leaves only shape arithmetic (a few Slice/Concat/Cast
 * nodes) on the CPU, yet by default each session still starts a pool of one thread per core that spins
 * after every run; with a pool of sessions per shape and several page-parallel pipelines that is thousands
 * of threads competing with our own pre/post-processing for the cores. So GPU sessions get one thread
 * that does not spin; the CPU EP keeps ORT's default or the caller's count. On the H100 with 8 page-parallel
 * pipelines this measured 6.44 pages/s (8.23 steady) against 5.97 (7.86) with ORT's default threads.
 */
export function threadOptions(
  provider: ExecutionProviderName,
  intraOpNumThreads: number | undefined,
): { intraOpNumThreads?: number; interOpNumThreads?: number; extra?: { session: Record<string, unknown> } } {
  if (provider === 'cpu') {
    return intraOpNumThreads ? { intraOpNumThreads } : {};
  }
  return {
    intraOpNumThreads: intraOpNumThreads ?? 1,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/** Creates one ORT session for one candidate and model source, verified as `verify` says. */
async function openVerified(
  source: string | Uint8Array,
  c: PlannedProvider,
  opts: CreatePlannedSessionOptions,
  probeShape: number[],
  strict: boolean,
): Promise<OrtSession> {
  const verify = opts.verify ?? 'profile';
  const profile = c.provider !== 'cpu' && verify !== 'none';
  let profileDir: string | undefined;
  let session: ort.InferenceSession | undefined;
  try {
    if (profile) profileDir = await mkdtemp(path.join(os.tmpdir(), 'lucid-ort-probe-'));
    const threads = threadOptions(c.provider, opts.intraOpNumThreads);
    if (c.provider === 'cuda' || c.provider === 'tensorrt') {
      const wait = applyCudaWaitMode(opts.cudaWait ?? DEFAULT_CUDA_WAIT, opts.deviceId ?? 0);
      if (!wait.applied) opts.log?.(`${opts.stage}: CUDA keeps its default wait (${wait.reason})`);
    }
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [epOption(c, opts.deviceId ?? 0, opts.webgpuOptions)],
      // An EP-context model is one node already; graph optimisation would only cost load time.
      graphOptimizationLevel: c.model === 'trt-engine' ? 'disabled' : 'all',
      enableCpuMemArena: false,
      ...threads,
      ...(strict && c.provider !== 'cpu' ? { extra: { session: { ...threads.extra?.session, disable_cpu_ep_fallback: '1' } } } : {}),
      ...(profile ? { enableProfiling: true, profileFilePrefix: path.join(profileDir!, 'probe') } : {}),
    };
    session = typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options);
    const runQueue = c.provider === 'webgpu' ? webGpuRunQueue : undefined;
    const provider: StageProvider = { stage: opts.stage, provider: c.provider, precision: c.precision, fallbacks: [] };
    let placement: SessionPlacement | undefined;
    if (profile) {
      const t0 = performance.now();
      await new OrtSession(session, opts.stage, provider, { runQueue }).run(zeros(probeShape));
      const probeMs = performance.now() - t0;
      // endProfiling writes the file and switches profiling off for the rest of the session's life.
      session.endProfiling();
      const files = (await readdir(profileDir!)).filter((f) => f.endsWith('.json'));
      const events = files.length ? JSON.parse(await readFile(path.join(profileDir!, files[0]!), 'utf8')) : [];
      placement = { ...summariseProfile(events), probeShape, probeMs };
      const problem = placementProblem(c.provider, placement);
      if (problem) throw new Error(problem);
    }
    return new OrtSession(session, opts.stage, provider, { runQueue, placement, loadedModelPath: typeof source === 'string' ? source : undefined });
  } catch (e) {
    await session?.release().catch(() => {});
    throw e;
  } finally {
    if (profileDir) await rm(profileDir, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Loads `modelPath` for `opts.stage` with the first provider of the plan that really works, and says
 * which one that is. For each GPU provider it (1) creates the session with only that EP listed (ORT still
 * adds the CPU EP for nodes the EP declines), (2) profiles one probe run and counts the kernels each EP
 * executed. A provider that failed to load, or that ORT silently gave no node, is recorded in
 * `provider.fallbacks` with the reason, and the next one is tried. Kernels left on the CPU next to a GPU
 * EP are normal (shape arithmetic) and are reported in `placement`.
 *
 * A TensorRT candidate loads one strict session per engine (shape profile) behind a ShapeRoutedSession;
 * shapes outside every profile go to the rest of the plan, loaded on first need.
 */
export async function createSession(modelPath: string, opts: CreatePlannedSessionOptions): Promise<OrtSession | ShapeRoutedSession | ShapePooledSession | ConcurrentSession> {
  const candidates = Array.isArray(opts.plan) ? opts.plan : opts.plan.candidates;
  const fallbacks: StageProvider['fallbacks'] = Array.isArray(opts.plan) ? [] : [...opts.plan.skipped];
  const probeShape = opts.probeShape ?? opts.warmUpShapes?.[0] ?? DEFAULT_PROBE_SHAPES[opts.stage];
  const log = opts.log ?? (() => {});

  for (const [idx, c] of candidates.entries()) {
    try {
      let result: OrtSession | ShapeRoutedSession | ShapePooledSession | ConcurrentSession;
      if (c.model === 'trt-engine') {
        if (!c.engines?.length) throw new Error('no TensorRT engine to load');
        const routes: { profile: ShapeProfile; session: OrtSession }[] = [];
        try {
          for (const e of c.engines) {
            // The profile's min shape is inside the engine by construction: probe with it.
            routes.push({ profile: e.profile, session: await openVerified(e.wrapperPath, c, opts, e.profile.min, true) });
          }
        } catch (err) {
          await Promise.all(routes.map((r) => r.session.dispose().catch(() => {})));
          throw err;
        }
        const rest = candidates.slice(idx + 1);
        const provider: StageProvider = { stage: opts.stage, provider: 'tensorrt', precision: c.precision, fallbacks };
        result = new ShapeRoutedSession(opts.stage, provider, routes, rest.length ? () => createSession(modelPath, { ...opts, plan: rest, warmUpShapes: undefined }) : undefined);
      } else {
        const { source, label } = await resolveModel(modelPath, c, opts);
        const cpuSessions = c.provider === 'cpu' ? Math.max(1, Math.floor(opts.cpuSessions ?? 1)) : 1;
        const threads = cpuSessions > 1 ? { ...opts, intraOpNumThreads: 1 } : opts;
        const s = await openVerified(source, c, threads, probeShape, opts.verify === 'strict');
        result = new OrtSession(s.rawSession, opts.stage, { stage: opts.stage, provider: c.provider, precision: c.precision, fallbacks }, {
          runQueue: s.runQueue,
          placement: s.placement,
          loadedModelPath: s.loadedModelPath,
        });
        log(`${opts.stage}: using ${c.provider}/${c.precision} (${label})${s.placement ? ` placement ${JSON.stringify(s.placement.nodesByProvider)}` : ''}`);
        if (c.provider === 'cuda') {
          // Same options, no probe: the first session already proved the placement.
          const open = async () => {
            const o = await openVerified(source, c, { ...opts, verify: 'none' }, probeShape, false);
            return new OrtSession(o.rawSession, opts.stage, result.provider, { runQueue: o.runQueue, loadedModelPath: o.loadedModelPath });
          };
          result = new ShapePooledSession(result as OrtSession, probeShape, open);
        }
        if (cpuSessions > 1) {
          const first = result as OrtSession;
          const more: OrtSession[] = [];
          try {
            for (let k = 1; k < cpuSessions; k++) {
              const o = await openVerified(source, c, { ...threads, verify: 'none' }, probeShape, false);
              more.push(new OrtSession(o.rawSession, opts.stage, first.provider, { runQueue: o.runQueue, loadedModelPath: o.loadedModelPath }));
            }
          } catch (err) {
            await Promise.allSettled([first, ...more].map((x) => x.dispose()));
            throw err;
          }
          result = new ConcurrentSession([first, ...more]);
          log(`${opts.stage}: ${cpuSessions} single-threaded CPU sessions run batches side by side`);
        }
      }
      for (const note of c.notes) log(`${opts.stage} on ${c.provider}: ${note}`);
      if (opts.warmUpShapes?.length) await warmUp(result, opts.warmUpShapes);
      return result;
    } catch (e) {
      const reason = `failed to load: ${firstLine(e)}`;
      fallbacks.push({ provider: c.provider, reason });
      log(`${opts.stage}: ${c.provider} ${reason}`);
    }
  }
  const why = fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ');
  throw new OcrError('MODEL_LOAD_FAILED', `Could not load the ${opts.stage} model (${modelPath}) with any execution provider: ${why}`);
}

/**
 * Several single-threaded CPU sessions of one model behind one OcrSession; run() takes an idle one, so up
 * to `parallelism` runs proceed side by side (onnxruntime-node runs each on its own native thread).
 * Why: rec runs are small (one 48-px line, or a few), and one session with two intra-op threads spends
 * much of each run in its threads' hand-offs, worst when the cores are shared. Measured on the 2-core
 * box (folded rec, [1, 3, 48, 960], load 3.5–4.4 from other work): one session with 2 threads 172–304
 * ms per line, 2 threads without spinning 92–175, two 1-thread sessions side by side 84–153.
 */
export class ConcurrentSession implements OcrSession {
  readonly stage: 'det' | 'cls' | 'rec';
  readonly provider: StageProvider;
  readonly parallelism: number;
  readonly #all: readonly OrtSession[];
  readonly #idle: OrtSession[];
  readonly #waiting: ((s: OrtSession) => void)[] = [];

  constructor(sessions: readonly OrtSession[]) {
    if (sessions.length === 0) throw new Error('ConcurrentSession needs at least one session');
    this.#all = sessions;
    this.#idle = [...sessions];
    this.stage = sessions[0]!.stage;
    this.provider = sessions[0]!.provider;
    this.parallelism = sessions.length;
  }

  /** The sessions behind this one (tests, diagnostics). */
  get sessions(): readonly OrtSession[] {
    return this.#all;
  }

  get loadedModelPath(): string | undefined {
    return this.#all[0]!.loadedModelPath;
  }

  async run(input: TensorData): Promise<TensorData> {
    const s = this.#idle.pop() ?? (await new Promise<OrtSession>((resolve) => this.#waiting.push(resolve)));
    try {
      return await s.run(input);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(s);
      else this.#idle.push(s);
    }
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.#all.map((s) => s.dispose()));
  }
}

/**
 * One stage served by several fixed-profile engines (TensorRT): each run goes to the engine whose
 * profile covers the input shape; other shapes go to the fallback session (created on first need),
 * because the TensorRT EP fails on out-of-profile shapes with EP-context models instead of rebuilding.
 */
export class ShapeRoutedSession implements OcrSession {
  #fallback: Promise<OcrSession> | undefined;
  /** How many runs went to the fallback, for diagnostics ("bucket your shapes"). */
  fallbackRuns = 0;

  constructor(
    readonly stage: 'det' | 'cls' | 'rec',
    readonly provider: StageProvider,
    readonly routes: { profile: ShapeProfile; session: OcrSession }[],
    private readonly fallbackFactory?: () => Promise<OcrSession>,
  ) {}

  route(dims: readonly number[]): OcrSession | null {
    return this.routes.find((r) => profileCovers(r.profile, dims))?.session ?? null;
  }

  async run(input: TensorData): Promise<TensorData> {
    const s = this.route(input.dims);
    if (s) return s.run(input);
    if (!this.fallbackFactory) {
      throw new OcrError('INTERNAL', `No TensorRT engine covers input shape ${input.dims.join('×')} and no fallback provider is configured`);
    }
    this.#fallback ??= this.fallbackFactory();
    this.fallbackRuns++;
    return (await this.#fallback).run(input);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.routes.map((r) => r.session.dispose()));
    if (this.#fallback) await (await this.#fallback).dispose();
  }
}

export interface WarmUpResult {
  shape: number[];
  ms: number;
}

/**
 * Runs zeros through each shape bucket once, so the first real page does not pay for the CUDA EP's
 * per-shape cuDNN search (0.7–1.7 s per new shape on the GPU machine) or WebGPU shader compilation.
 */
export async function warmUp(session: OcrSession, shapes: readonly (readonly number[])[]): Promise<WarmUpResult[]> {
  const out: WarmUpResult[] = [];
  for (const shape of shapes) {
    const t0 = performance.now();
    await session.run(zeros([...shape]));
    out.push({ shape: [...shape], ms: performance.now() - t0 });
  }
  return out;
}

/**
 * Pool slots beyond the planned shapes: shapes outside the plan (a probe shape, rec with chunking switched
 * off and lines past the last bucket) are rare and untuned, but they must not evict a planned shape.
 */
export const POOL_SPARE_SESSIONS = 4;

/**
 * Sessions one ShapePooledSession keeps at most (each holds its own CUDA workspace, ~0.3 GiB for rec):
 * every shape the largest stage's GPU plan can produce, counted for rec WITHOUT chunking (one per width
 * bucket of GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX, so recChunkWidthPx: null does not thrash the pool; with the
 * default chunking rec uses 7 of them and a pool only holds the shapes it has seen), the probe shape
 * createSession opens the pool with, and POOL_SPARE_SESSIONS, so a page never evicts a tuned shape.
 */
export const MAX_POOLED_SESSIONS = recPlanShapes(gpuRecBatching(DEFAULT_GPU_REC_BATCH_ROWS, GPU_UNCHUNKED_REC_WIDTH_BUCKETS_PX)).length + 1 + POOL_SPARE_SESSIONS;

/**
 * CUDA EP: one ORT session per input shape. On a single CUDA session every CHANGE of input shape costs
 * 0.3–0.9 s on an H200 — also back to a shape it has run before — because the convolution algorithm search
 * (cuDNN EXHAUSTIVE, which onnxruntime-node cannot switch off) is redone; a repeated shape runs in 3–50 ms.
 * Measured: alternating two rec shapes on one session 608–892 ms per run, on two sessions 10–28 ms. Stages
 * keep their shapes to a few buckets, so the pool stays small; beyond MAX_POOLED_SESSIONS the least recently
 * used session is released.
 */
export class ShapePooledSession implements OcrSession {
  readonly #pool = new Map<string, Promise<OrtSession>>();
  readonly #open: () => Promise<OrtSession>;
  readonly stage: 'det' | 'cls' | 'rec';
  readonly provider: StageProvider;

  /** Sessions kept at most (LRU beyond). */
  readonly maxSessions: number;

  constructor(first: OrtSession, firstShape: readonly number[], open: () => Promise<OrtSession>, maxSessions: number = MAX_POOLED_SESSIONS) {
    this.maxSessions = Math.max(1, Math.floor(maxSessions));
    this.stage = first.stage;
    this.provider = first.provider;
    this.#open = open;
    this.#pool.set(firstShape.join('x'), Promise.resolve(first));
  }

  /** Distinct input shapes with a session of their own. */
  get size(): number {
    return this.#pool.size;
  }

  async run(input: TensorData): Promise<TensorData> {
    const key = input.dims.join('x');
    let session = this.#pool.get(key);
    if (session) {
      // Most recently used last (Map keeps insertion order).
      this.#pool.delete(key);
      this.#pool.set(key, session);
    } else {
      if (this.#pool.size >= this.maxSessions) {
        const [oldKey, oldest] = this.#pool.entries().next().value as [string, Promise<OrtSession>];
        this.#pool.delete(oldKey);
        void oldest.then((s) => s.dispose()).catch(() => {});
      }
      session = this.#open();
      this.#pool.set(key, session);
      session.catch(() => this.#pool.delete(key));
    }
    return (await session).run(input);
  }

  async dispose(): Promise<void> {
    const all = [...this.#pool.values()];
    this.#pool.clear();
    await Promise.allSettled(all.map(async (s) => (await s).dispose()));
  }
}

/**
 * Cached TensorRT engines for the OCR stages, end to end:
 *   look up each (model, precision, shape profile) in the engine cache →
 *   on a miss, build it in the background with trtexec (CUDA/CPU keep serving meanwhile) →
 *   write the EP-context wrapper next to the engine → validate engine vs the FP32 reference
 *   through ONNX Runtime's TensorRT EP → record the verdict in the manifest.
 * The result is a TrtEngineState per stage that planProviders() turns into a 'tensorrt' candidate.
 * Where TensorRT, trtexec or an NVIDIA GPU is missing, availability() says why, and nothing is built.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Precision } from '../../types.js';
import { EngineCache, LockBusyError, type CacheKey, type ValidationRecord } from '../engine-cache.js';
import type { ProviderAvailability, TrtEngineRef, TrtEngineState } from '../execution-providers.js';
import type { GpuInfo } from '../gpu-info.js';
import { sha256File } from '../onnx-model.js';
import type { OcrSession, TensorData } from '../../stages.js';
import { createSession } from '../session.js';
import { validateCandidate, type ValidationBudgets, type ValidationResult } from '../validation-gate.js';
import { startEngineBuild, type BuildProgress, type EngineBuildHandle } from './engine-builder.js';
import { writeEpContextModel } from './ep-context.js';
import { DEFAULT_TRT_PROFILES, buildRecipe, profileKey, type ShapeProfile, type TrtStage } from './trtexec-command.js';

export const ENGINE_FILE = 'model.engine';
export const WRAPPER_FILE = 'model_ctx.onnx';
export const BUILD_LOG_FILE = 'build.log';

export interface TrtEnvironment {
  trtexecPath: string;
  trtVersion: string;
  ortVersion: string;
  gpu: Pick<GpuInfo, 'name' | 'computeCapability' | 'driverVersion'>;
  deviceId?: number;
}

/** Why cached TensorRT engines cannot be made on this machine, or the environment to make them with. */
export function trtEnvironmentFrom(a: ProviderAvailability, deviceId = 0): { env: TrtEnvironment | null; reason: string | null } {
  if (a.platform !== 'linux' || a.arch !== 'x64') return { env: null, reason: 'TensorRT engines are only built on Linux x64' };
  if (!a.epLibraries.tensorrt || !a.epLibraries.shared) return { env: null, reason: 'TensorRT EP library not installed (run setup on a connected machine)' };
  const gpu = a.gpu?.gpus[deviceId];
  if (!gpu) return { env: null, reason: `no NVIDIA GPU found (${a.gpu?.reason ?? 'nvidia-smi was not queried'})` };
  if (!a.nvinfer) return { env: null, reason: 'libnvinfer.so.10 not found (TensorRT 10 is not installed)' };
  if (!a.trtexec) return { env: null, reason: 'trtexec not found (install TensorRT\'s tools, or put trtexec on PATH)' };
  const trtVersion = a.trtexec.version ?? a.nvinfer.version;
  if (!trtVersion) return { env: null, reason: 'could not tell the TensorRT version (needed to key the engine cache)' };
  return {
    env: { trtexecPath: a.trtexec.path, trtVersion, ortVersion: a.onnxruntimeVersion, gpu, deviceId },
    reason: null,
  };
}

export interface StageEngineRequest {
  stage: TrtStage;
  modelPath: string;
  precision: Precision;
  /** Default DEFAULT_TRT_PROFILES[stage]; one engine per profile. */
  profiles?: ShapeProfile[];
}

export interface BuildSettings {
  builderOptimizationLevel?: number;
  workspaceMiB?: number;
  /** Verbose trtexec logs give a per-layer progress fraction (default true). */
  verbose?: boolean;
}

/** Validates one freshly built engine (loads the wrapper with the tensorrt EP and compares to FP32). */
export type EngineValidator = (args: {
  stage: TrtStage;
  precision: Precision;
  profile: ShapeProfile;
  wrapperPath: string;
  enginePath: string;
}) => Promise<ValidationResult>;

export interface StageBuildProgress extends BuildProgress {
  profileIndex: number;
  profileCount: number;
}

export interface ProfileState {
  profile: ShapeProfile;
  state: 'ready' | 'missing' | 'building' | 'rejected' | 'failed';
  entryId?: string;
  wrapperPath?: string;
  reason?: string;
}

export interface StageEngineStatus extends TrtEngineState {
  stage: TrtStage;
  precision: Precision;
  profiles: ProfileState[];
}

export interface StageBuildJob {
  readonly promise: Promise<StageEngineStatus>;
  cancel(): void;
}

export interface TrtEngineManagerOptions {
  cache: EngineCache;
  env: TrtEnvironment;
  validate: EngineValidator;
  build?: BuildSettings;
  onProgress?: (p: StageBuildProgress) => void;
  log?: (message: string) => void;
}

export class TrtEngineManager {
  readonly #o: TrtEngineManagerOptions;
  readonly #hashes = new Map<string, Promise<string>>();
  readonly #failures = new Map<string, string>();

  constructor(opts: TrtEngineManagerOptions) {
    this.#o = opts;
  }

  #modelHash(p: string): Promise<string> {
    let h = this.#hashes.get(p);
    if (!h) {
      h = sha256File(p);
      this.#hashes.set(p, h);
    }
    return h;
  }

  async keyFor(req: StageEngineRequest, profile: ShapeProfile): Promise<CacheKey> {
    const e = this.#o.env;
    const b = this.#o.build ?? {};
    return {
      kind: 'trt-engine',
      stage: req.stage,
      modelSha256: await this.#modelHash(req.modelPath),
      ortVersion: e.ortVersion,
      trtVersion: e.trtVersion,
      gpuName: e.gpu.name,
      computeCapability: e.gpu.computeCapability,
      driverVersion: e.gpu.driverVersion,
      precision: req.precision,
      shapeProfile: profileKey([profile]),
      recipe: buildRecipe({ precision: req.precision, builderOptimizationLevel: b.builderOptimizationLevel, workspaceMiB: b.workspaceMiB }),
    };
  }

  /** What the cache holds for this stage right now (no building). */
  async status(req: StageEngineRequest): Promise<StageEngineStatus> {
    const profiles = req.profiles ?? DEFAULT_TRT_PROFILES[req.stage];
    const states: ProfileState[] = [];
    for (const profile of profiles) {
      const key = await this.keyFor(req, profile);
      const hit = await this.#o.cache.lookup(key, { touch: false });
      const failure = this.#failures.get(JSON.stringify(key));
      if (hit?.validation?.ok) states.push({ profile, state: 'ready', entryId: hit.id, wrapperPath: path.join(hit.dir, WRAPPER_FILE) });
      else if (hit?.validation && !hit.validation.ok) states.push({ profile, state: 'rejected', entryId: hit.id, reason: hit.validation.reason });
      else if (await this.#o.cache.buildInProgress(key)) states.push({ profile, state: 'building' });
      else if (failure) states.push({ profile, state: 'failed', reason: failure });
      else states.push({ profile, state: 'missing' });
    }
    return summarise(req, states);
  }

  /**
   * Builds (in the background) and validates every missing engine of the stage, one profile after the
   * other. Resolves with the stage's final status; never rejects for a build or validation failure
   * (those become 'failed'/'rejected' states with reasons). cancel() stops the running trtexec.
   */
  ensure(req: StageEngineRequest): StageBuildJob {
    let cancelled = false;
    let current: EngineBuildHandle | undefined;
    const profiles = req.profiles ?? DEFAULT_TRT_PROFILES[req.stage];
    const log = this.#o.log ?? (() => {});
    const run = async (): Promise<StageEngineStatus> => {
      for (const [i, profile] of profiles.entries()) {
        if (cancelled) break;
        const key = await this.keyFor(req, profile);
        const hit = await this.#o.cache.lookup(key, { touch: false });
        if (hit?.validation) continue; // validated (ok or rejected): invalidate() to retry
        let entry = hit;
        if (!entry) {
          const estimatedTotalMs = await this.#o.cache.estimateBuildMs(key);
          try {
            entry = await this.#o.cache.put(key, async (dir) => {
              const enginePath = path.join(dir, ENGINE_FILE);
              const timingDir = this.#o.cache.timingCacheDir();
              await fs.mkdir(timingDir, { recursive: true });
              const b = this.#o.build ?? {};
              current = startEngineBuild({
                trtexecPath: this.#o.env.trtexecPath,
                stage: req.stage,
                model: path.basename(req.modelPath),
                onnxPath: req.modelPath,
                enginePath,
                precision: req.precision,
                profiles: [profile],
                // One timing cache per GPU model + TensorRT version: valid across models and rebuilds.
                timingCachePath: path.join(timingDir, `${sanitise(this.#o.env.gpu.name)}-sm${(this.#o.env.gpu.computeCapability ?? 'x').replace('.', '')}-trt${this.#o.env.trtVersion}.timing`),
                builderOptimizationLevel: b.builderOptimizationLevel,
                workspaceMiB: b.workspaceMiB,
                verbose: b.verbose ?? true,
                deviceId: this.#o.env.deviceId,
                estimatedTotalMs,
                onProgress: (p) => this.#o.onProgress?.({ ...p, profileIndex: i, profileCount: profiles.length }),
              });
              if (cancelled) current.cancel();
              const result = await current.promise;
              await fs.writeFile(path.join(dir, BUILD_LOG_FILE), result.logTail.join('\n'));
              await writeEpContextModel({
                originalModelPath: req.modelPath,
                wrapperPath: path.join(dir, WRAPPER_FILE),
                enginePath,
                computeCapability: this.#o.env.gpu.computeCapability ?? undefined,
                trtVersion: this.#o.env.trtVersion,
              });
              return { buildMs: result.buildMs, meta: { profile: profile.name, trtBuildSec: result.facts.engineBuildSec, engineSizeMiB: result.facts.engineSizeMiB } };
            });
          } catch (e) {
            if (e instanceof LockBusyError) {
              log(`TensorRT ${req.stage} ${profile.name}: another process is building it (${e.message})`);
              continue;
            }
            const reason = (e as Error).message;
            this.#failures.set(JSON.stringify(key), reason);
            log(`TensorRT ${req.stage} ${profile.name}: ${reason}`);
            if (cancelled) break;
            continue;
          } finally {
            current = undefined;
          }
        }
        // Validate through ONNX Runtime before anything serves with it.
        const wrapperPath = path.join(entry.dir, WRAPPER_FILE);
        let verdict: ValidationResult;
        try {
          verdict = await this.#o.validate({ stage: req.stage, precision: req.precision, profile, wrapperPath, enginePath: path.join(entry.dir, ENGINE_FILE) });
        } catch (e) {
          verdict = { ok: false, reason: `validation could not run: ${(e as Error).message}`, metrics: {} };
        }
        const record: ValidationRecord = { ...verdict, validatedAt: new Date().toISOString() };
        await this.#o.cache.setValidation(entry.id, record);
        log(`TensorRT ${req.stage} ${profile.name} (${req.precision}): ${verdict.ok ? 'validated' : `rejected: ${verdict.reason}`}`);
      }
      return this.status(req);
    };
    return {
      promise: run(),
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }
}

function sanitise(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function summarise(req: StageEngineRequest, states: ProfileState[]): StageEngineStatus {
  const ready = states.filter((s) => s.state === 'ready');
  const engines: TrtEngineRef[] = ready.map((s) => ({ profile: s.profile, wrapperPath: s.wrapperPath! }));
  let state: TrtEngineState['state'];
  let reason: string | undefined;
  if (ready.length > 0) state = 'ready'; // shapes outside the ready profiles fall back per run
  else if (states.some((s) => s.state === 'building')) state = 'building';
  else if (states.some((s) => s.state === 'rejected')) {
    state = 'rejected';
    reason = states.find((s) => s.state === 'rejected')!.reason;
  } else if (states.some((s) => s.state === 'failed')) {
    state = 'failed';
    reason = states.find((s) => s.state === 'failed')!.reason;
  } else state = 'missing';
  return { stage: req.stage, precision: req.precision, state, ...(engines.length ? { engines } : {}), ...(reason ? { reason } : {}), profiles: states };
}

// ---------------------------------------------------------------------------------------------------
// The standard validator: load the wrapper with the tensorrt EP, compare with the FP32 reference.

/** Crops/pads/slices a tensor so it fits a profile's min..max on every axis (pad value 0). */
export function fitToProfile(input: TensorData, profile: ShapeProfile): TensorData {
  const dims = input.dims.map((d, i) => Math.min(Math.max(d, profile.min[i] ?? d), profile.max[i] ?? d));
  if (dims.every((d, i) => d === input.dims[i])) return input;
  const out = new Float32Array(dims.reduce((a, b) => a * b, 1));
  const src = input.dims;
  // Generic N-d copy of the overlapping region (rank 4 here; written for any rank).
  const rank = dims.length;
  const srcStride = new Array<number>(rank).fill(1);
  const dstStride = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) {
    srcStride[i] = srcStride[i + 1]! * src[i + 1]!;
    dstStride[i] = dstStride[i + 1]! * dims[i + 1]!;
  }
  const overlap = dims.map((d, i) => Math.min(d, src[i]!));
  const idx = new Array<number>(rank).fill(0);
  const total = overlap.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    let rem = n;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = rem % overlap[i]!;
      rem = Math.floor(rem / overlap[i]!);
    }
    let s = 0;
    let d = 0;
    for (let i = 0; i < rank; i++) {
      s += idx[i]! * srcStride[i]!;
      d += idx[i]! * dstStride[i]!;
    }
    out[d] = input.data[s]!;
  }
  return { data: out, dims };
}

export function createTrtValidator(opts: {
  references: Partial<Record<TrtStage, OcrSession>>;
  inputs: Record<TrtStage, TensorData[]>;
  deviceId?: number;
  budgets?: Partial<ValidationBudgets>;
  log?: (message: string) => void;
}): EngineValidator {
  return async ({ stage, precision, profile, wrapperPath }) => {
    const reference = opts.references[stage];
    if (!reference) return { ok: false, reason: `no FP32 reference session for ${stage}`, metrics: {} };
    let candidate: OcrSession | undefined;
    try {
      candidate = await createSession(wrapperPath, {
        stage,
        deviceId: opts.deviceId,
        plan: [{ provider: 'tensorrt', precision, model: 'trt-engine', engines: [{ profile, wrapperPath }], notes: [] }],
        log: opts.log,
      });
      return await validateCandidate({ reference, candidate, inputs: opts.inputs[stage].map((t) => fitToProfile(t, profile)), budgets: opts.budgets });
    } catch (e) {
      return { ok: false, reason: `TensorRT EP could not load the engine: ${(e as Error).message}`, metrics: {} };
    } finally {
      await candidate?.dispose().catch(() => {});
    }
  };
}

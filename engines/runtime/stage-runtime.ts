/**
 * One call per stage for the pipeline: plan the providers, load the best one that really works, and,
 * when that means a lower-precision model (FP16 conversion or a TensorRT engine), pass it through the
 * validation gate against the FP32 model on the CPU first. A candidate that fails is discarded with its
 * reason (kept in provider.fallbacks) and the same plan is loaded again in FP32.
 */
import type { CudaWaitMode } from './cuda-wait.js';
import type { EpPreference, Precision, StageProvider } from '../types.js';
import type { OcrSession, TensorData } from '../stages.js';
import { planProviders, type OrtStage, type ProviderAvailability, type ProviderPlan, type TrtEngineState } from './execution-providers.js';
import { fp16OptionsKey, type Fp16Options } from './fp16.js';
import { sha256File } from './onnx-model.js';
import { createCpuSession, createSession, warmUp } from './session.js';
import { DEFAULT_BUDGETS, validateCandidate, type ValidationBudgets, type ValidationResult } from './validation-gate.js';
import { readVerdict, tensorsSha256, verdictKey, writeVerdict } from './validation-verdicts.js';
import { renderValidationInputs } from './validation-inputs.js';

export interface OpenStageOptions {
  stage: OrtStage;
  modelPath: string;
  preference: EpPreference;
  precision: Precision;
  available: ProviderAvailability;
  stagePreference?: Partial<Record<OrtStage, EpPreference>>;
  /** Engine cache root (FP16 conversions; TensorRT engines come in through trtEngine). */
  cacheDir: string;
  trtEngine?: TrtEngineState;
  deviceId?: number;
  /** CUDA/TensorRT: how threads wait for the GPU (cuda-wait.ts). */
  cudaWait?: CudaWaitMode;
  intraOpNumThreads?: number;
  warmUpShapes?: number[][];
  cpuFp16Faster?: boolean;
  webgpuFp16?: boolean;
  fp16Options?: Fp16Options;
  /** Validate lower-precision candidates (default true). */
  validate?: boolean;
  /** Inputs for the gate (default: the built-in rendered text for this stage). */
  validationInputs?: TensorData[];
  budgets?: Partial<ValidationBudgets>;
  /**
   * Reuse the gate's verdict stored in cacheDir for the same model, conversion, EP, GPU, inputs and budgets
   * (validation-verdicts.ts) instead of checking again at every start. Default true.
   */
  rememberVerdicts?: boolean;
  /** rec: load the argmax-head variant (see CreatePlannedSessionOptions.recHead). Default false. */
  recHead?: boolean;
  /**
   * Load the folded model (graph-fold.ts, cached in cacheDir) instead of the file as shipped; every later
   * step (FP16 conversion, argmax head, the gate's FP32 reference) starts from it. Default true.
   */
  foldGraph?: boolean;
  /** CPU EP: single-threaded sessions run side by side (CreatePlannedSessionOptions.cpuSessions). Default 1. */
  cpuSessions?: number;
  log?: (message: string) => void;
}

export interface OpenedStage {
  session: OcrSession;
  provider: StageProvider;
  plan: ProviderPlan;
  /** The gate's verdict when a lower-precision candidate was checked. */
  validation?: ValidationResult;
}

/** A lower-precision candidate (an FP16 conversion or a TensorRT engine): the gate checks it before use. */
function isLowered(p: { provider: string; precision: Precision }): boolean {
  return p.precision === 'fp16' || p.provider === 'tensorrt';
}

function toFp32(plan: ProviderPlan): ProviderPlan {
  return {
    ...plan,
    // TensorRT engines are built for one precision; without a validated engine, CUDA & co. take over.
    candidates: plan.candidates.filter((c) => c.model !== 'trt-engine').map((c) => ({ ...c, precision: 'fp32' as const, model: 'original' as const })),
  };
}

export async function openStageSession(opts: OpenStageOptions): Promise<OpenedStage> {
  const log = opts.log ?? (() => {});
  const o: OpenStageOptions = opts.foldGraph === false ? opts : { ...opts, modelPath: await foldedModelPath(opts, log) };
  const plan = planProviders({
    stage: o.stage,
    preference: o.preference,
    precision: o.precision,
    available: o.available,
    stagePreference: o.stagePreference,
    trtEngine: o.trtEngine,
    cpuFp16Faster: o.cpuFp16Faster,
    webgpuFp16: o.webgpuFp16,
  });
  const recHead = o.recHead === true && o.stage === 'rec';
  const common = { stage: o.stage, cache: o.cacheDir, deviceId: o.deviceId, cudaWait: o.cudaWait, intraOpNumThreads: o.intraOpNumThreads, cpuSessions: o.cpuSessions, fp16Options: o.fp16Options, log };
  // The gate compares full probabilities with the FP32 model's, so when the plan holds a candidate that
  // would need validating, rec loads without the argmax head first and again with it once it passes.
  const mayNeedGate = o.validate !== false && plan.candidates.some(isLowered);

  const loadFp32 = async (rejected: { provider: StageProvider['provider']; reason: string }, validation: ValidationResult): Promise<OpenedStage> => {
    const fp32 = await createSession(o.modelPath, { ...common, plan: toFp32(plan), warmUpShapes: o.warmUpShapes, recHead });
    // Planning skips, then the rejected candidate, then whatever the FP32 load itself fell through.
    const tried = fp32.provider.fallbacks.filter((f) => !plan.skipped.includes(f));
    fp32.provider.fallbacks.splice(0, fp32.provider.fallbacks.length, ...plan.skipped, rejected, ...tried);
    return { session: fp32, provider: fp32.provider, plan, validation };
  };

  // Inputs and the remembered verdict (FP16 models only: TensorRT engines are checked where they are built).
  let validation: ValidationResult = { ok: false, reason: 'not validated', metrics: {} };
  let inputs: TensorData[] | undefined = o.validationInputs;
  let memory: VerdictMemory | null = null;
  if (mayNeedGate) {
    if (!inputs) {
      try {
        inputs = (await renderValidationInputs())[o.stage];
      } catch (e) {
        // No gate inputs means an unchecked model: refuse it (below).
        validation = { ok: false, reason: `validation inputs could not be rendered (${(e as Error).message})`, metrics: {} };
      }
    }
    if (inputs && o.rememberVerdicts !== false) memory = await verdictMemory(o, inputs).catch(() => null);
    const first = plan.candidates.find(isLowered);
    const remembered = memory && first && first.model === 'fp16' ? await readVerdict(o.cacheDir, memory.key(first.provider, first.precision)) : null;
    if (first && remembered && !remembered.ok) {
      log(`${o.stage}: ${first.provider}/${first.precision} failed the validation gate on ${remembered.checkedAt} (${remembered.reason}); loading FP32 without converting or checking again`);
      const reason = `${first.precision.toUpperCase()} failed validation: ${remembered.reason} (remembered from ${remembered.checkedAt})`;
      return loadFp32({ provider: first.provider, reason }, { ok: false, reason, metrics: remembered.metrics });
    }
    if (first && remembered?.ok) {
      const session = await createSession(o.modelPath, { ...common, plan, recHead });
      const same = session.provider.provider === first.provider && session.provider.precision === first.precision;
      if (same || !isLowered(session.provider)) {
        if (same) log(`${o.stage}: ${first.provider}/${first.precision} passed the validation gate on ${remembered.checkedAt} (remembered; not checked again)`);
        if (o.warmUpShapes?.length) await warmAll(session, o.warmUpShapes);
        return same
          ? { session, provider: session.provider, plan, validation: { ok: true, reason: `${remembered.reason} (remembered from ${remembered.checkedAt})`, metrics: remembered.metrics } }
          : { session, provider: session.provider, plan };
      }
      // Another lowered candidate loaded instead: it has no verdict of its own yet, so check it below.
      await session.dispose();
    }
  }

  let session = await createSession(o.modelPath, { ...common, plan, recHead: recHead && !mayNeedGate });
  if (!isLowered(session.provider) || o.validate === false) {
    if (recHead && mayNeedGate) {
      // An FP32 candidate won after all: same plan, same order, now with the head.
      await session.dispose();
      session = await createSession(o.modelPath, { ...common, plan, recHead });
    }
    if (o.warmUpShapes?.length) await warmAll(session, o.warmUpShapes);
    return { session, provider: session.provider, plan };
  }
  if (inputs) {
    const reference = await createCpuSession(o.modelPath, { stage: o.stage, intraOpNumThreads: o.intraOpNumThreads });
    try {
      validation = await validateCandidate({ reference, candidate: session, inputs, budgets: o.budgets });
    } finally {
      await reference.dispose();
    }
    // An error while running is not a verdict on the model (it may be out of memory right now): not remembered.
    if (memory && session.provider.provider !== 'tensorrt' && !validation.errored) {
      const { provider, precision } = session.provider;
      await writeVerdict(o.cacheDir, { ...validation, key: memory.key(provider, precision), checkedAt: new Date().toISOString(), label: `${o.stage} ${provider}/${precision} ${memory.gpu ?? 'no GPU'}` }).catch(
        (e: Error) => log(`${o.stage}: could not remember the validation verdict (${e.message}); the gate will run again next start`),
      );
    }
  }
  if (validation.ok) {
    log(`${o.stage}: ${session.provider.provider}/${session.provider.precision} passed the validation gate`);
    if (recHead) {
      // Same plan, same order: the candidate that just passed loads again, now with the head.
      const validated = session.provider;
      await session.dispose();
      session = await createSession(o.modelPath, { ...common, plan, recHead });
      if (session.provider.provider !== validated.provider || session.provider.precision !== validated.precision) {
        log(`${o.stage}: reload with the argmax head landed on ${session.provider.provider}/${session.provider.precision}, not the validated ${validated.provider}/${validated.precision}`);
      }
    }
    if (o.warmUpShapes?.length) await warmAll(session, o.warmUpShapes);
    return { session, provider: session.provider, plan, validation };
  }
  log(`${o.stage}: ${session.provider.provider}/${session.provider.precision} rejected by the validation gate (${validation.reason}); loading FP32`);
  const rejected = { provider: session.provider.provider, reason: `${session.provider.precision.toUpperCase()} failed validation: ${validation.reason}` };
  await session.dispose();
  return loadFp32(rejected, validation);
}

/**
 * The folded model's path, or the source's when folding fails (an unwritable cache folder, a model the
 * folds do not understand): folding is a speed-up, never a reason not to start.
 */
async function foldedModelPath(o: OpenStageOptions, log: (message: string) => void): Promise<string> {
  try {
    const { EngineCache } = await import('./engine-cache.js');
    const { getFoldedModel } = await import('./graph-fold.js');
    const r = await getFoldedModel(o.modelPath, { cache: new EngineCache({ rootDir: o.cacheDir, log }), stage: o.stage });
    const what = r.report ? `${r.report.nodesBefore} → ${r.report.nodesAfter} nodes` : 'folded';
    log(`${o.stage}: graph folds ${what}${r.cached ? ' (cached)' : ''}${r.rebuiltBecause ? ` (made again: ${r.rebuiltBecause})` : ''}`);
    return r.path;
  } catch (e) {
    log(`${o.stage}: loading the model as shipped; folding it failed (${(e as Error).message})`);
    return o.modelPath;
  }
}

interface VerdictMemory {
  key(provider: string, precision: string): string;
  gpu: string | null;
}

/** Everything a verdict depends on except the candidate's provider and precision (see validation-verdicts.ts). */
async function verdictMemory(o: OpenStageOptions, inputs: TensorData[]): Promise<VerdictMemory> {
  const g = o.available.gpu?.gpus.find((x) => x.index === (o.deviceId ?? 0)) ?? o.available.gpu?.gpus[0];
  const gpu = g ? `${g.name} (compute ${g.computeCapability ?? '?'}, driver ${g.driverVersion})` : null;
  const base = {
    stage: o.stage,
    modelSha256: await sha256File(o.modelPath),
    conversionKey: fp16OptionsKey(o.fp16Options),
    ortVersion: o.available.onnxruntimeVersion,
    gpu,
    inputsSha256: tensorsSha256(inputs),
    budgets: { ...DEFAULT_BUDGETS, ...o.budgets },
  };
  return { key: (provider, precision) => verdictKey({ ...base, provider, precision }), gpu };
}

async function warmAll(session: OcrSession, shapes: number[][]): Promise<void> {
  await warmUp(session, shapes);
}

/**
 * One call per stage for the pipeline: plan the providers, load the best one that really works, and,
 * when that means a lower-precision model (FP16 conversion or a TensorRT engine), pass it through the
 * validation gate against the FP32 model on the CPU first. A candidate that fails is discarded with its
 * reason (kept in provider.fallbacks) and the same plan is loaded again in FP32.
 */
import type { EpPreference, Precision, StageProvider } from '../types.js';
import type { OcrSession, TensorData } from '../stages.js';
import { planProviders, type OrtStage, type ProviderAvailability, type ProviderPlan, type TrtEngineState } from './execution-providers.js';
import type { Fp16Options } from './fp16.js';
import { createCpuSession, createSession, warmUp } from './session.js';
import { validateCandidate, type ValidationBudgets, type ValidationResult } from './validation-gate.js';
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
  /** rec: load the argmax-head variant (see CreatePlannedSessionOptions.recHead). Default false. */
  recHead?: boolean;
  log?: (message: string) => void;
}

export interface OpenedStage {
  session: OcrSession;
  provider: StageProvider;
  plan: ProviderPlan;
  /** The gate's verdict when a lower-precision candidate was checked. */
  validation?: ValidationResult;
}

function toFp32(plan: ProviderPlan): ProviderPlan {
  return {
    ...plan,
    // TensorRT engines are built for one precision; without a validated engine, CUDA & co. take over.
    candidates: plan.candidates.filter((c) => c.model !== 'trt-engine').map((c) => ({ ...c, precision: 'fp32' as const, model: 'original' as const })),
  };
}

export async function openStageSession(o: OpenStageOptions): Promise<OpenedStage> {
  const log = o.log ?? (() => {});
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
  const common = { stage: o.stage, cache: o.cacheDir, deviceId: o.deviceId, intraOpNumThreads: o.intraOpNumThreads, fp16Options: o.fp16Options, log };
  // The gate compares full probabilities with the FP32 model's, so when the plan holds a candidate that
  // would need validating, rec loads without the argmax head first and again with it once it passes.
  const mayNeedGate = o.validate !== false && plan.candidates.some((c) => c.precision === 'fp16' || c.provider === 'tensorrt');
  let session = await createSession(o.modelPath, { ...common, plan, recHead: recHead && !mayNeedGate });
  const lowered = session.provider.precision === 'fp16' || session.provider.provider === 'tensorrt';
  if (!lowered || o.validate === false) {
    if (recHead && mayNeedGate) {
      // An FP32 candidate won after all: same plan, same order, now with the head.
      await session.dispose();
      session = await createSession(o.modelPath, { ...common, plan, recHead });
    }
    if (o.warmUpShapes?.length) await warmAll(session, o.warmUpShapes);
    return { session, provider: session.provider, plan };
  }
  let validation: ValidationResult = { ok: false, reason: 'not validated', metrics: {} };
  let inputs: TensorData[] | undefined = o.validationInputs;
  if (!inputs) {
    try {
      inputs = (await renderValidationInputs())[o.stage];
    } catch (e) {
      // No gate inputs (e.g. no fonts to render them on a headless box) means an unchecked model: refuse it.
      validation = { ok: false, reason: `validation inputs could not be rendered (${(e as Error).message})`, metrics: {} };
    }
  }
  if (inputs) {
    const reference = await createCpuSession(o.modelPath, { stage: o.stage, intraOpNumThreads: o.intraOpNumThreads });
    try {
      validation = await validateCandidate({ reference, candidate: session, inputs, budgets: o.budgets });
    } finally {
      await reference.dispose();
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
  const fp32 = await createSession(o.modelPath, { ...common, plan: toFp32(plan), warmUpShapes: o.warmUpShapes, recHead });
  // Planning skips, then the rejected candidate, then whatever the FP32 load itself fell through.
  const tried = fp32.provider.fallbacks.filter((f) => !plan.skipped.includes(f));
  fp32.provider.fallbacks.splice(0, fp32.provider.fallbacks.length, ...plan.skipped, rejected, ...tried);
  return { session: fp32, provider: fp32.provider, plan, validation };
}

async function warmAll(session: OcrSession, shapes: number[][]): Promise<void> {
  await warmUp(session, shapes);
}

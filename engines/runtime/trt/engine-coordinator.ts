/**
 * The app's side of cached TensorRT engines: decide whether they can be built here, build det → cls → rec
 * in the background (one trtexec child at a time, so CUDA/CPU keep their cores while serving), validate
 * them, and hand the pipeline the engine states to reopen with. The worker owns when to switch over;
 * this file never imports electron.
 */
import { readFileSync } from 'node:fs';
import type { EpPreference, Precision } from '../../types.js';
import type { OcrSession } from '../../stages.js';
import { EngineCache } from '../engine-cache.js';
import { detectProviderAvailability, type OrtStage, type ProviderAvailability, type TrtEngineState } from '../execution-providers.js';
import type { ModelPaths } from '../models.js';
import { createCpuSession } from '../session.js';
import { renderValidationInputs } from '../validation-inputs.js';
import {
  TrtEngineManager,
  createTrtValidator,
  trtEnvironmentFrom,
  type BuildSettings,
  type EngineValidator,
  type StageBuildJob,
  type StageBuildProgress,
  type StageEngineStatus,
} from './trt-engines.js';

export const TRT_BUILD_STAGES: readonly OrtStage[] = ['det', 'cls', 'rec'];

/**
 * Test-only injection point (TensorRT cannot run on the development machines): a JSON file
 * `{ "availability": Partial<ProviderAvailability>, "acceptEngines"?: boolean }` merged over the real
 * detection. `acceptEngines` replaces the validator with one that accepts every engine. Honoured only
 * when NODE_ENV is 'test', so a stray variable on a user's machine changes nothing.
 */
export const TEST_TRT_AVAILABILITY_ENV = 'LUCID_TEST_TRT_AVAILABILITY';

export interface EngineAvailability {
  available: ProviderAvailability;
  /** Test override: accept engines without validating them (see TEST_TRT_AVAILABILITY_ENV). */
  acceptEngines: boolean;
}

export async function detectEngineAvailability(env: NodeJS.ProcessEnv = process.env): Promise<EngineAvailability> {
  const file = env[TEST_TRT_AVAILABILITY_ENV];
  if (file && env.NODE_ENV === 'test') {
    const o = JSON.parse(readFileSync(file, 'utf8')) as { availability?: Partial<ProviderAvailability>; acceptEngines?: boolean };
    const real = await detectProviderAvailability({ queryGpu: false });
    return { available: { ...real, ...o.availability }, acceptEngines: o.acceptEngines === true };
  }
  return { available: await detectProviderAvailability(), acceptEngines: false };
}

/** TensorRT is only tried when the user left the provider on auto or asked for it. */
export function wantsTensorRt(preference: EpPreference | undefined): boolean {
  return (preference ?? 'auto') === 'auto' || preference === 'tensorrt';
}

export interface EngineBuildOutcome {
  cancelled: boolean;
  statuses: Partial<Record<OrtStage, StageEngineStatus>>;
  /** For createPipelineSessions({ trtEngines }). */
  trtEngines: Partial<Record<OrtStage, TrtEngineState>>;
  /** At least one stage has a validated engine to serve with. */
  usable: boolean;
  /** One line for the UI: what became of the builds. */
  summary: string;
}

export interface EngineCoordinatorOptions {
  paths: ModelPaths;
  precision: Precision;
  /** Engine cache root, the same one the FP16 conversions use. */
  cacheDir: string;
  available: ProviderAvailability;
  /** Default: load each wrapper with the TensorRT EP and compare with FP32 on the CPU. */
  validate?: EngineValidator;
  build?: BuildSettings;
  onProgress?: (p: StageBuildProgress) => void;
  log?: (message: string) => void;
}

export class TrtEngineCoordinator {
  readonly #o: EngineCoordinatorOptions;
  #job: StageBuildJob | undefined;
  #cancelled = false;
  #running = false;
  #done = false;

  /** Why engines cannot be built here, or null. */
  static unavailableReason(available: ProviderAvailability): string | null {
    return trtEnvironmentFrom(available).reason;
  }

  constructor(o: EngineCoordinatorOptions) {
    this.#o = o;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Stops the running trtexec and skips the stages not started (also before run()); false once finished. */
  cancel(): boolean {
    if (this.#done || this.#cancelled) return false;
    this.#cancelled = true;
    this.#job?.cancel();
    return true;
  }

  /** Builds and validates every missing engine, stage after stage. Never rejects for a build failure. */
  async run(): Promise<EngineBuildOutcome> {
    const { env, reason } = trtEnvironmentFrom(this.#o.available);
    if (!env) throw new Error(`TensorRT not available: ${reason}`);
    this.#running = true;
    const references: Partial<Record<OrtStage, OcrSession>> = {};
    const validate = this.#o.validate ?? this.#defaultValidator(references);
    const manager = new TrtEngineManager({
      cache: new EngineCache({ rootDir: this.#o.cacheDir, log: this.#o.log }),
      env,
      validate,
      build: this.#o.build,
      onProgress: this.#o.onProgress,
      log: this.#o.log,
    });
    const statuses: Partial<Record<OrtStage, StageEngineStatus>> = {};
    try {
      for (const stage of TRT_BUILD_STAGES) {
        if (this.#cancelled) break;
        this.#job = manager.ensure({ stage, modelPath: this.#o.paths[stage], precision: this.#o.precision });
        statuses[stage] = await this.#job.promise;
      }
    } finally {
      this.#job = undefined;
      this.#running = false;
      this.#done = true;
      await Promise.allSettled(Object.values(references).map((s) => s.dispose()));
    }
    const trtEngines: Partial<Record<OrtStage, TrtEngineState>> = {};
    for (const [stage, s] of Object.entries(statuses) as [OrtStage, StageEngineStatus][]) trtEngines[stage] = s;
    const ready = TRT_BUILD_STAGES.filter((s) => statuses[s]?.state === 'ready');
    const notReady = TRT_BUILD_STAGES.filter((s) => statuses[s] && statuses[s].state !== 'ready').map((s) => `${s}: ${statuses[s]!.state}${statuses[s]!.reason ? ` (${statuses[s]!.reason})` : ''}`);
    let summary: string;
    if (this.#cancelled) summary = `TensorRT engine build cancelled${ready.length ? ` (ready: ${ready.join(', ')})` : ''}`;
    else if (ready.length === TRT_BUILD_STAGES.length) summary = `TensorRT engines ready for ${ready.join(', ')} (${this.#o.precision.toUpperCase()})`;
    else summary = `TensorRT engines not usable for ${notReady.join('; ')}`;
    // After a cancel nothing switches: the user asked to stop, not for a partial engine set.
    return { cancelled: this.#cancelled, statuses, trtEngines, usable: !this.#cancelled && ready.length > 0, summary };
  }

  #defaultValidator(references: Partial<Record<OrtStage, OcrSession>>): EngineValidator {
    let inner: Promise<EngineValidator> | undefined;
    return async (args) => {
      inner ??= (async () => {
        const inputs = await renderValidationInputs();
        for (const stage of TRT_BUILD_STAGES) references[stage] = await createCpuSession(this.#o.paths[stage], { stage });
        return createTrtValidator({ references, inputs, deviceId: 0, log: this.#o.log });
      })();
      return (await inner)(args);
    };
  }
}

/** The rebuild action: drop every cached derived model (TensorRT engines, FP16 conversions, argmax-head rec models); build history stays for estimates. */
export async function invalidateEngineCaches(cacheDir: string): Promise<number> {
  return new EngineCache({ rootDir: cacheDir }).invalidateAll();
}

/** A validator that accepts every engine, for the test override only. */
export const acceptAllEngines: EngineValidator = async () => ({ ok: true, reason: 'accepted without validation (test override)', metrics: {} });

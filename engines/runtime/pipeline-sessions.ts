import os from 'node:os';
import path from 'node:path';
import type { OcrPipelineOptions } from '../api.js';
import type { OcrSession } from '../stages.js';
import type { StageProvider } from '../types.js';
import { detectProviderAvailability, type OrtStage, type ProviderAvailability, type TrtEngineState } from './execution-providers.js';
import type { ModelPaths } from './models.js';
import { openStageSession } from './stage-runtime.js';

export interface PipelineSessions {
  det: OcrSession;
  cls: OcrSession;
  rec: OcrSession;
  available: ProviderAvailability;
  /** Wall time to plan, load, verify (and validate FP16) the three sessions. */
  loadMs: number;
  dispose(): Promise<void>;
}

/**
 * What the worker adds to the pipeline options (they reach createPipelineSessions unchanged): the
 * availability it already detected (and, in tests, overrode) and the TensorRT engine state per stage from
 * trt/engine-coordinator.ts. Without them, availability is detected here and TensorRT is planned as
 * "no engine built yet".
 */
export interface PipelineSessionOptions extends OcrPipelineOptions {
  available?: ProviderAvailability;
  trtEngines?: Partial<Record<OrtStage, TrtEngineState>>;
}

/**
 * Where FP16 models and TensorRT engines are cached when the caller names no folder: the user's cache
 * directory (never the install folder, which is read-only in packaged apps).
 */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ||
    (process.platform === 'win32' ? process.env.LOCALAPPDATA : process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Caches') : path.join(os.homedir(), '.cache'));
  return path.join(base || os.tmpdir(), 'lucid-ocr');
}

/**
 * Loads the three models on the best execution provider that really works for each stage (verified after
 * load; every provider skipped carries its reason), through the FP16 validation gate when FP16 is asked
 * for. On any failure the sessions already created are released.
 */
export async function createPipelineSessions(paths: ModelPaths, options: PipelineSessionOptions): Promise<PipelineSessions> {
  const t0 = performance.now();
  const created: OcrSession[] = [];
  const dispose = async () => {
    await Promise.allSettled(created.map((s) => s.dispose()));
  };
  try {
    const available = options.available ?? (await detectProviderAvailability());
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const open = async (stage: 'det' | 'cls' | 'rec', modelPath: string) => {
      const opened = await openStageSession({
        stage,
        modelPath,
        preference: options.ep ?? 'auto',
        precision: options.precision ?? 'fp32',
        available,
        cacheDir,
        trtEngine: options.trtEngines?.[stage],
        intraOpNumThreads: options.intraOpNumThreads,
      });
      created.push(opened.session);
      return opened.session;
    };
    const det = await open('det', paths.det);
    const cls = await open('cls', paths.cls);
    const rec = await open('rec', paths.rec);
    return { det, cls, rec, available, loadMs: performance.now() - t0, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** true when the stage runs on a GPU provider (shapes there are worth warming up). */
export function isGpuProvider(p: StageProvider): boolean {
  return p.provider !== 'cpu';
}

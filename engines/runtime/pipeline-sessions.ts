import os from 'node:os';
import path from 'node:path';
import type { OcrPipelineOptions } from '../api.js';
import type { OcrSession } from '../stages.js';
import type { StageProvider } from '../types.js';
import { detectProviderAvailability, type OrtStage, type ProviderAvailability, type TrtEngineState } from './execution-providers.js';
import type { ModelPaths } from './models.js';
import type { PipelineWarmUp } from './pipeline-warm-up.js';
import { openStageSession } from './stage-runtime.js';

export interface PipelineSessions {
  det: OcrSession;
  cls: OcrSession;
  rec: OcrSession;
  available: ProviderAvailability;
  /** Wall time to plan, load, verify (and validate FP16) the three sessions. */
  loadMs: number;
  /**
   * Set by Pipeline.create after warming the GPU stages' shapes (pipeline-warm-up.ts), for EngineInfo;
   * absent when every stage is on the CPU EP.
   */
  warmUp?: PipelineWarmUp;
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
  /**
   * Load rec with the argmax head (engines/runtime/rec-head.ts): the session returns argmax + max
   * probability per time step instead of every class's probability. Default DEFAULT_REC_HEAD.
   */
  recHead?: boolean;
}

/**
 * The argmax head is on for every EP: same text, confidences and char extents as the full-probability
 * decode (tests/integration/engines/runtime/rec-head.test.ts), and cheaper on the CPU EP too. Measured
 * with tests/bench/gpu-shapes.ts --ep cpu --head-compare on a4-300dpi.png (25 lines, shared 2-core box,
 * best of 3, two sessions): rec post 768 / 906 ms → 3.8 / 3.2 ms per page, rec run 20.8 / 25.1 s →
 * 12.7 / 22.2 s (no [N, T, 6625] output to allocate and copy).
 */
export const DEFAULT_REC_HEAD = true;

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
        ...(options.cudaWait ? { cudaWait: options.cudaWait } : {}),
        foldGraph: options.foldGraphs,
        cpuSessions: stage === 'det' ? 1 : cpuStageSessions(options),
        recHead: stage === 'rec' && (options.recHead ?? DEFAULT_REC_HEAD),
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

/**
 * How many single-threaded cls and rec sessions run side by side on the CPU EP (session.ts
 * ConcurrentSession); 1 = one session with every core's thread (ORT's default). Default 1: measured on the
 * 2-core box with nothing else running, the five 300-dpi bench pages took rec 13.7 s with one 2-thread
 * session and 24.6 s with two 1-thread sessions (two pipelines alternating page by page); only while other work
 * loaded the cores (load 3.5–7) were two sessions faster (a4-300dpi.png rec 8.4–9.4 s → 6.0–6.4 s).
 * Detection always keeps one session.
 */
export function cpuStageSessions(options: Pick<OcrPipelineOptions, 'cpuSessions'>): number {
  return Math.max(1, Math.floor(options.cpuSessions ?? 1));
}

/** true when the stage runs on a GPU provider (shapes there are worth warming up). */
export function isGpuProvider(p: StageProvider): boolean {
  return p.provider !== 'cpu';
}

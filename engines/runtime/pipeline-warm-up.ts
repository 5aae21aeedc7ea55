/**
 * Start-up warm-up for GPU execution providers: every input shape the stages can produce runs once
 * before the first page, so no page pays the CUDA EP's per-shape cuDNN search (0.3–1.7 s a shape) or
 * WebGPU's shader compilation. The shape plan is small by design: det pads to one square
 * (TextDetector with padToShapeBuckets), cls pads every run to its batch size, rec packs its lines into
 * rows of one width (one shape; unpacked, GPU_REC_WIDTH_BUCKETS_PX with fixed batch rows: TextRecognizer.planShapes).
 * CPU stages warm nothing.
 */
import { CLS_IMG_H_PX, CLS_IMG_W_PX } from '../cls/cls-preprocess.js';
import type { TextClassifier } from '../cls/text-classifier.js';
import type { TextDetector } from '../det/text-detector.js';
import type { TextRecognizer } from '../rec/text-recognizer.js';
import type { OcrSession } from '../stages.js';
import { warmUp } from './session.js';

export interface PipelineWarmUp {
  /** Wall time of the whole warm-up. */
  warmUpMs: number;
  /** Shapes run per stage (empty for a stage on the CPU EP). */
  warmedShapes: { det: number[][]; cls: number[][]; rec: number[][] };
}

/** The shapes each GPU stage will run (nothing for CPU stages). */
export function pipelineShapePlan(
  sessions: { det: OcrSession; cls: OcrSession; rec: OcrSession },
  stages: { detector: TextDetector; classifier: TextClassifier; recognizer: TextRecognizer },
): PipelineWarmUp['warmedShapes'] {
  const gpu = (s: OcrSession) => s.provider.provider !== 'cpu';
  const { detector, classifier, recognizer } = stages;
  return {
    det: gpu(sessions.det) && detector.options.padToShapeBuckets ? detector.shapeBuckets.map(([h, w]) => [1, 3, h, w]) : [],
    cls: gpu(sessions.cls) && classifier.padRowsToBatchSize ? [[classifier.batchSize, 3, CLS_IMG_H_PX, CLS_IMG_W_PX]] : [],
    rec: gpu(sessions.rec) ? recognizer.planShapes() : [],
  };
}

/**
 * Runs every planned shape once. Returns undefined when no stage is on a GPU provider (the CPU EP has
 * nothing to tune: warming it would only cost start-up time).
 */
export async function warmUpPipeline(
  sessions: { det: OcrSession; cls: OcrSession; rec: OcrSession },
  stages: { detector: TextDetector; classifier: TextClassifier; recognizer: TextRecognizer },
  log?: (message: string) => void,
): Promise<PipelineWarmUp | undefined> {
  const plan = pipelineShapePlan(sessions, stages);
  if (plan.det.length + plan.cls.length + plan.rec.length === 0) return undefined;
  const t0 = performance.now();
  const det = await warmUp(sessions.det, plan.det);
  const cls = await warmUp(sessions.cls, plan.cls);
  const tRec = performance.now();
  await stages.recognizer.warmUp(plan.rec);
  const warmUpMs = performance.now() - t0;
  const ms = (rs: { ms: number }[]) => Math.round(rs.reduce((a, r) => a + r.ms, 0));
  log?.(`warm-up ${Math.round(warmUpMs)} ms: det ${plan.det.length} shapes ${ms(det)} ms, cls ${plan.cls.length} ${ms(cls)} ms, rec ${plan.rec.length} ${Math.round(performance.now() - tRec)} ms`);
  return { warmUpMs, warmedShapes: plan };
}

/**
 * Contracts between the pipeline and its stages. Every stage is pre → run → post and returns a typed
 * result with its timings (RapidOCR's `elapse`). Stage outputs are in page pixels where they carry
 * geometry.
 */
import type { Quad, RgbImage, StageProvider } from './types.js';

/** A float32 tensor as it crosses the session boundary. */
export interface TensorData {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * One loaded model. Implemented by engines/runtime/session.ts on top of onnxruntime-node; stages only
 * see this interface, so they can be unit-tested against any implementation.
 */
export interface OcrSession {
  readonly stage: 'det' | 'cls' | 'rec';
  /** What really executes this session (verified after load). */
  readonly provider: StageProvider;
  /** Runs the model on one float32 input; returns its single float32 output. */
  run(input: TensorData): Promise<TensorData>;
  /**
   * How many run() calls may usefully be in flight at once (several single-threaded CPU sessions behind
   * one OcrSession: runtime/session.ts ConcurrentSession). Absent = 1: callers await each run.
   */
  readonly parallelism?: number;
  dispose(): Promise<void>;
}

export interface DetBox {
  quad: Quad;
  /** DB box score (mean probability inside the shrunk box), 0..1. */
  score: number;
}

export interface DetTimings {
  preMs: number;
  runMs: number;
  postMs: number;
}

export interface DetResult {
  boxes: DetBox[];
  timings: DetTimings;
  /** Detector input sizes used (one per tile), for diagnostics and the benchmark. */
  inputSizes: { width: number; height: number }[];
}

/** A text-line crop, upright as the detector saw it (tall crops already turned 90° CCW). */
export interface LineCrop {
  image: RgbImage;
  /** The page-space quad the crop was taken from, points in crop order (crop's TL, TR, BR, BL). */
  quad: Quad;
  /** true when the crop was rotated 90° CCW because it was tall (h/w ≥ 1.5). */
  rotated90: boolean;
}

export interface ClsResult {
  /** 0 or 180: which way up the crop is. */
  angle: 0 | 180;
  score: number;
}

export interface ClsOutput {
  results: ClsResult[];
  timings: { preMs: number; runMs: number; postMs: number };
}

/** One recognised character with its horizontal extent as fractions of the crop's width (0..1). */
export interface RecChar {
  text: string;
  startFrac: number;
  endFrac: number;
  confidence: number;
}

export interface RecResult {
  text: string;
  /** PaddleOCR's score: mean of max-probabilities at the kept time steps (0 when nothing kept). */
  confidence: number;
  chars: RecChar[];
}

export interface RecOutput {
  results: RecResult[];
  timings: { preMs: number; runMs: number; postMs: number };
  /** Tensor shapes run, e.g. [[6,3,48,320], …], for the benchmark and bucket warm-up checks. */
  batchShapes: number[][];
}

/**
 * The exact trtexec command that builds one cached TensorRT engine. We build engines outside ONNX
 * Runtime because stock onnxruntime-node hands the TensorRT EP an options struct with only device_id,
 * after which the EP ignores every ORT_TENSORRT_* variable: no FP16, no engine cache, no profiles
 * (tensorrt_provider_factory.cc / tensorrt_execution_provider.cc). trtexec ships with TensorRT.
 *
 * Flag grammar checked against TensorRT's samples/common/sampleOptions.cpp (TensorRT 10):
 *  --minShapes/--optShapes/--maxShapes=name:AxBxC[,name2:…]  (all three or only opt)
 *  --profile=N followed by its own min/opt/max shapes for several profiles in one engine
 *  --memPoolSize=workspace:<size>M, --builderOptimizationLevel=0..5, --timingCacheFile=<path>
 *  --skipInference (build and save only), --noTF32, --fp16, --verbose
 */
import { createHash } from 'node:crypto';
import type { Precision } from '../../types.js';

export type TrtStage = 'det' | 'cls' | 'rec';

/** One optimisation profile for the model's single input. Dims are NCHW. */
export interface ShapeProfile {
  /** Label for logs and entry names, e.g. "rec-w320-960". */
  name: string;
  /** Input tensor name (all three PP-OCR models call it "x"). */
  input: string;
  min: number[];
  opt: number[];
  max: number[];
}

export interface TrtexecBuildOptions {
  onnxPath: string;
  enginePath: string;
  precision: Precision;
  /** One profile → plain --minShapes/…; several → --profile=i blocks in one engine. */
  profiles: ShapeProfile[];
  /** Shared per GPU model + TensorRT version; makes rebuilds several times faster. */
  timingCachePath?: string;
  /** TensorRT default is 3; lower builds faster with possibly slower engines. */
  builderOptimizationLevel?: number;
  /** Workspace pool limit in MiB (default: let TensorRT decide). */
  workspaceMiB?: number;
  /** Per-layer tactic logs: much more output, but it lets the progress parser count layers. */
  verbose?: boolean;
  deviceId?: number;
  /**
   * Disable TF32 for FP32 engines so they match ONNX Runtime's FP32 numerics (TensorRT enables TF32 by
   * default). Default: true for fp32, false for fp16.
   */
  noTF32?: boolean;
  extraArgs?: string[];
}

export function shapeSpec(input: string, dims: number[]): string {
  // Names with ':' or ',' must be quoted for trtexec's parser; PP-OCR's "x" never is.
  const name = /[:,]/.test(input) ? `'${input}'` : input;
  return `${name}:${dims.join('x')}`;
}

export function validateProfile(p: ShapeProfile): void {
  if (p.min.length !== p.opt.length || p.opt.length !== p.max.length) throw new Error(`profile ${p.name}: min/opt/max ranks differ`);
  for (let i = 0; i < p.min.length; i++) {
    const [a, b, c] = [p.min[i]!, p.opt[i]!, p.max[i]!];
    if (!(Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(c)) || a < 1 || a > b || b > c) {
      throw new Error(`profile ${p.name}: dimension ${i} needs 1 <= min <= opt <= max (got ${a}/${b}/${c})`);
    }
  }
}

/** The argument list (no shell involved: each element is one argv entry). */
export function trtexecArgs(o: TrtexecBuildOptions): string[] {
  if (o.profiles.length === 0) throw new Error('at least one shape profile is required');
  o.profiles.forEach(validateProfile);
  const args = [`--onnx=${o.onnxPath}`, `--saveEngine=${o.enginePath}`];
  if (o.precision === 'fp16') args.push('--fp16');
  if (o.noTF32 ?? o.precision === 'fp32') args.push('--noTF32');
  if (o.profiles.length === 1) {
    const p = o.profiles[0]!;
    args.push(`--minShapes=${shapeSpec(p.input, p.min)}`, `--optShapes=${shapeSpec(p.input, p.opt)}`, `--maxShapes=${shapeSpec(p.input, p.max)}`);
  } else {
    // trtexec binds the shape flags that directly follow each --profile=N to that profile.
    o.profiles.forEach((p, i) => {
      args.push(`--profile=${i}`, `--minShapes=${shapeSpec(p.input, p.min)}`, `--optShapes=${shapeSpec(p.input, p.opt)}`, `--maxShapes=${shapeSpec(p.input, p.max)}`);
    });
  }
  if (o.timingCachePath) args.push(`--timingCacheFile=${o.timingCachePath}`);
  if (o.builderOptimizationLevel !== undefined) {
    if (!Number.isInteger(o.builderOptimizationLevel) || o.builderOptimizationLevel < 0 || o.builderOptimizationLevel > 5) {
      throw new Error('builderOptimizationLevel must be 0..5');
    }
    args.push(`--builderOptimizationLevel=${o.builderOptimizationLevel}`);
  }
  if (o.workspaceMiB !== undefined) args.push(`--memPoolSize=workspace:${Math.round(o.workspaceMiB)}M`);
  if (o.deviceId !== undefined) args.push(`--device=${o.deviceId}`);
  // Build and save only: the engine is validated afterwards through ONNX Runtime on real inputs.
  args.push('--skipInference');
  if (o.verbose) args.push('--verbose');
  args.push(...(o.extraArgs ?? []));
  return args;
}

/** Canonical text of a profile set, part of the cache key. */
export function profileKey(profiles: ShapeProfile[]): string {
  return profiles.map((p) => `${p.input}:${p.min.join('x')}/${p.opt.join('x')}/${p.max.join('x')}`).join(';');
}

/** Hash of the flags that change the engine (not paths or verbosity), part of the cache key. */
export function buildRecipe(o: Pick<TrtexecBuildOptions, 'precision' | 'builderOptimizationLevel' | 'workspaceMiB' | 'noTF32' | 'extraArgs'>): string {
  const canonical = JSON.stringify({
    precision: o.precision,
    level: o.builderOptimizationLevel ?? null,
    ws: o.workspaceMiB ?? null,
    noTF32: o.noTF32 ?? o.precision === 'fp32',
    extra: o.extraArgs ?? [],
  });
  return `trtexec-${createHash('sha256').update(canonical).digest('hex').slice(0, 12)}`;
}

/** Does `dims` fall inside the profile (every axis within min..max)? */
export function profileCovers(p: ShapeProfile, dims: readonly number[]): boolean {
  return dims.length === p.min.length && dims.every((d, i) => d >= p.min[i]! && d <= p.max[i]!);
}

/**
 * Default profiles, one engine each (a narrow profile keeps tactics fast: TensorRT#1166). They cover
 * the pipeline's GPU shapes: det in its buckets (960² tiles and a small page padded to them, a portrait
 * A4/Letter page as one 1376 × 960 run: text-detector.ts detShapeBuckets) and PaddleOCR's own
 * 960-long-side inputs;
 * rec at height 48 with widths from 320 (PaddleOCR's minimum) in two width bands; cls at 48×192.
 * The pipeline's bucket choice should stay inside these; a shape outside every profile is served by
 * the fallback provider (the TensorRT EP fails on out-of-profile shapes with EP-context models).
 */
export const DEFAULT_TRT_PROFILES: Record<TrtStage, ShapeProfile[]> = {
  det: [{ name: 'det-960', input: 'x', min: [1, 3, 32, 32], opt: [1, 3, 1376, 960], max: [8, 3, 1376, 960] }],
  rec: [
    { name: 'rec-w320-960', input: 'x', min: [1, 3, 48, 320], opt: [16, 3, 48, 320], max: [32, 3, 48, 960] },
    { name: 'rec-w992-2560', input: 'x', min: [1, 3, 48, 992], opt: [4, 3, 48, 1280], max: [16, 3, 48, 2560] },
  ],
  cls: [{ name: 'cls-192', input: 'x', min: [1, 3, 48, 192], opt: [32, 3, 48, 192], max: [32, 3, 48, 192] }],
};

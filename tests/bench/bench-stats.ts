/** Small statistics helpers for the benchmark (not engine code). */
import type { StageTimings } from '../../engines/types.js';

/** The per-page stage timings, in the order the bench's tables print them. */
export const STAGE_KEYS: readonly (keyof StageTimings)[] = ['decodeMs', 'detPreMs', 'detRunMs', 'detPostMs', 'cropMs', 'clsMs', 'recPreMs', 'recRunMs', 'recPostMs', 'layoutMs', 'totalMs'];

/** Mean of each stage over `timings`. */
export function stageMeans(timings: readonly StageTimings[]): Record<keyof StageTimings, number> {
  return Object.fromEntries(STAGE_KEYS.map((k) => [k, mean(timings.map((t) => t[k]))])) as Record<keyof StageTimings, number>;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Nearest-rank percentile of `xs` (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export interface ErrorStats {
  maxAbs: number;
  meanAbs: number;
  medianAbs: number;
  /** Relative error |a−b| / max(|a|, relFloor): the floor keeps near-zero probabilities from dominating. */
  maxRel: number;
  meanRel: number;
  medianRel: number;
  relFloor: number;
  count: number;
}

/** Element-wise error of `b` against the reference `a` (same length). */
export function errorStats(a: Float32Array, b: Float32Array, relFloor = 1e-3): ErrorStats {
  const n = Math.min(a.length, b.length);
  const abs = new Float32Array(n);
  const rel = new Float32Array(n);
  let sumA = 0, sumR = 0, maxA = 0, maxR = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const r = d / Math.max(Math.abs(a[i]!), relFloor);
    abs[i] = d; rel[i] = r;
    sumA += d; sumR += r;
    if (d > maxA) maxA = d;
    if (r > maxR) maxR = r;
  }
  abs.sort(); rel.sort();
  return { maxAbs: maxA, meanAbs: sumA / n, medianAbs: abs[n >> 1] ?? NaN, maxRel: maxR, meanRel: sumR / n, medianRel: rel[n >> 1] ?? NaN, relFloor, count: n };
}

export function round(v: number, digits = 1): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

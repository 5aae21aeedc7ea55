/**
 * The validation gate: before an FP16 model or a TensorRT engine replaces the FP32 model, both run on
 * the same inputs and the candidate must stay within budgets that matter for OCR results:
 *  - det: mean |Δp| of the probability map, and agreement of the text boxes found at the DB threshold;
 *  - rec: character error rate between the two greedy CTC decodes (< 1 %);
 *  - cls: same 0/180 decision wherever the reference is decisive, small probability drift.
 * A candidate that fails is discarded by the caller with `reason`, and FP32 is used.
 */
import type { OcrSession, TensorData } from '../stages.js';

export interface ValidationBudgets {
  /** det: mean |p_ref − p_cand| over the whole map. */
  detMeanAbsDiff: number;
  /** det: F1 of boxes matched at IoU ≥ detBoxIou (boxes = connected regions above detThresh). */
  detBoxAgreement: number;
  detBoxIou: number;
  /** DB binarisation threshold (PaddleOCR det_db_thresh). */
  detThresh: number;
  /** rec: edit distance between decodes / reference length, over all lines. */
  recCer: number;
  /** cls: share of decisive samples with the same label. */
  clsAgreement: number;
  /** cls: max |p_ref − p_cand|. */
  clsMaxProbDiff: number;
}

/**
 * Budgets, set from the FP16 measurements on CPU (det mean Δ 5e-5, rec CER 0, cls Δp 2e-3) with a wide
 * margin for GPU kernels that really compute in half precision, and still far below what a broken model
 * produces (det mean Δ > 0.05, rec CER > 0.5).
 */
export const DEFAULT_BUDGETS: ValidationBudgets = {
  detMeanAbsDiff: 0.01,
  detBoxAgreement: 0.95,
  detBoxIou: 0.7,
  detThresh: 0.3,
  recCer: 0.01,
  clsAgreement: 1,
  clsMaxProbDiff: 0.05,
};

export interface ValidationResult {
  ok: boolean;
  reason: string;
  metrics: Record<string, number>;
  /** The candidate threw instead of answering (may be passing trouble, e.g. out of GPU memory): not a verdict on the model. */
  errored?: boolean;
}

export interface ValidateCandidateOptions {
  reference: OcrSession;
  candidate: OcrSession;
  inputs: TensorData[];
  budgets?: Partial<ValidationBudgets>;
}

// ---------------------------------------------------------------------------------------------------
// det: connected regions above the threshold (4-connectivity) → bounding boxes.

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
}

/** Bounding boxes of connected regions where map > thresh; regions under minArea pixels are noise. */
export function regionBoxes(map: Float32Array, width: number, height: number, thresh: number, minArea = 10): Box[] {
  const parent = new Int32Array(width * height).fill(-1);
  const find = (i: number): number => {
    let r = i;
    while (parent[r]! !== r) r = parent[r]!;
    while (parent[i]! !== r) {
      const n = parent[i]!;
      parent[i] = r;
      i = n;
    }
    return r;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!(map[i]! > thresh)) continue;
      parent[i] = i;
      if (x > 0 && parent[i - 1]! >= 0) parent[find(i)] = find(i - 1);
      if (y > 0 && parent[i - width]! >= 0) {
        const a = find(i);
        const b = find(i - width);
        if (a !== b) parent[a] = b;
      }
    }
  }
  const boxes = new Map<number, Box>();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (parent[i]! < 0) continue;
      const r = find(i);
      const b = boxes.get(r);
      if (!b) boxes.set(r, { x0: x, y0: y, x1: x, y1: y, area: 1 });
      else {
        if (x < b.x0) b.x0 = x;
        if (x > b.x1) b.x1 = x;
        if (y < b.y0) b.y0 = y;
        if (y > b.y1) b.y1 = y;
        b.area++;
      }
    }
  }
  return [...boxes.values()].filter((b) => b.area >= minArea);
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) + 1);
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) + 1);
  const inter = ix * iy;
  const area = (r: Box) => (r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1);
  return inter / (area(a) + area(b) - inter);
}

/** Greedy one-to-one matching by IoU; returns the matched pair count. */
export function matchBoxes(ref: Box[], cand: Box[], minIou: number): number {
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < ref.length; i++) for (let j = 0; j < cand.length; j++) {
    const v = iou(ref[i]!, cand[j]!);
    if (v >= minIou) pairs.push([v, i, j]);
  }
  pairs.sort((a, b) => b[0] - a[0]);
  const usedR = new Set<number>();
  const usedC = new Set<number>();
  let matched = 0;
  for (const [, i, j] of pairs) {
    if (usedR.has(i) || usedC.has(j)) continue;
    usedR.add(i);
    usedC.add(j);
    matched++;
  }
  return matched;
}

// ---------------------------------------------------------------------------------------------------
// rec: greedy CTC decode to class indices (PaddleOCR CTCLabelDecode: drop repeats, then blanks = 0).

export function ctcGreedy(probs: Float32Array, offset: number, steps: number, classes: number): { indices: number[]; argmax: Int32Array; maxProb: Float32Array } {
  const argmax = new Int32Array(steps);
  const maxProb = new Float32Array(steps);
  const indices: number[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base]!;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    argmax[t] = best;
    maxProb[t] = bestP;
    if (best !== prev && best !== 0) indices.push(best);
    prev = best;
  }
  return { indices, argmax, maxProb };
}

export function editDistance(a: readonly number[], b: readonly number[]): number {
  const row = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

// ---------------------------------------------------------------------------------------------------

function finiteCount(a: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) bad++;
  return bad;
}

/**
 * Runs both sessions on every input and compares the outputs with the stage's budgets. Never throws
 * for a bad candidate: a failing run, NaN output or shape mismatch is a rejection with its reason.
 */
export async function validateCandidate(opts: ValidateCandidateOptions): Promise<ValidationResult> {
  const b = { ...DEFAULT_BUDGETS, ...opts.budgets };
  const stage = opts.reference.stage;
  const metrics: Record<string, number> = { inputs: opts.inputs.length };
  if (opts.candidate.stage !== stage) return { ok: false, reason: `candidate is a ${opts.candidate.stage} model, reference is ${stage}`, metrics };
  if (opts.inputs.length === 0) return { ok: false, reason: 'no validation inputs', metrics };

  let absSum = 0;
  let count = 0;
  let maxAbs = 0;
  // det
  let refBoxes = 0;
  let candBoxes = 0;
  let matchedBoxes = 0;
  // rec
  let editSum = 0;
  let refChars = 0;
  let stepsSame = 0;
  let steps = 0;
  // cls
  let decisive = 0;
  let sameLabel = 0;

  for (const [k, input] of opts.inputs.entries()) {
    const ref = await opts.reference.run(input);
    let cand: TensorData;
    try {
      cand = await opts.candidate.run(input);
    } catch (e) {
      return { ok: false, reason: `candidate failed on input ${k} (${input.dims.join('×')}): ${(e as Error).message}`, metrics, errored: true };
    }
    if (ref.dims.join('x') !== cand.dims.join('x')) {
      return { ok: false, reason: `output shape ${cand.dims.join('×')} differs from the reference's ${ref.dims.join('×')}`, metrics };
    }
    const bad = finiteCount(cand.data);
    if (bad > 0) return { ok: false, reason: `candidate produced ${bad} NaN/Inf values on input ${k}`, metrics: { ...metrics, nonFinite: bad } };
    for (let i = 0; i < ref.data.length; i++) {
      const d = Math.abs(ref.data[i]! - cand.data[i]!);
      absSum += d;
      if (d > maxAbs) maxAbs = d;
    }
    count += ref.data.length;

    if (stage === 'det') {
      const [n, , h, w] = ref.dims as number[];
      const plane = h! * w!;
      for (let i = 0; i < n!; i++) {
        const rb = regionBoxes(ref.data.subarray(i * plane, (i + 1) * plane), w!, h!, b.detThresh);
        const cb = regionBoxes(cand.data.subarray(i * plane, (i + 1) * plane), w!, h!, b.detThresh);
        refBoxes += rb.length;
        candBoxes += cb.length;
        matchedBoxes += matchBoxes(rb, cb, b.detBoxIou);
      }
    } else if (stage === 'rec') {
      const [n, t, c] = ref.dims as number[];
      for (let i = 0; i < n!; i++) {
        const r = ctcGreedy(ref.data, i * t! * c!, t!, c!);
        const q = ctcGreedy(cand.data, i * t! * c!, t!, c!);
        editSum += editDistance(r.indices, q.indices);
        refChars += r.indices.length;
        for (let s = 0; s < t!; s++) if (r.argmax[s] === q.argmax[s]) stepsSame++;
        steps += t!;
      }
    } else {
      const [n, c] = ref.dims as number[];
      for (let i = 0; i < n!; i++) {
        let ra = 0;
        let qa = 0;
        for (let j = 1; j < c!; j++) {
          if (ref.data[i * c! + j]! > ref.data[i * c! + ra]!) ra = j;
          if (cand.data[i * c! + j]! > cand.data[i * c! + qa]!) qa = j;
        }
        // A reference near 50/50 has no "right" answer to keep.
        if (ref.data[i * c! + ra]! >= 0.6) {
          decisive++;
          if (ra === qa) sameLabel++;
        }
      }
    }
  }

  metrics.meanAbsDiff = absSum / Math.max(1, count);
  metrics.maxAbsDiff = maxAbs;
  const fail = (reason: string): ValidationResult => ({ ok: false, reason, metrics });
  if (stage === 'det') {
    metrics.refBoxes = refBoxes;
    metrics.candidateBoxes = candBoxes;
    metrics.boxAgreement = refBoxes + candBoxes === 0 ? 1 : (2 * matchedBoxes) / (refBoxes + candBoxes);
    if (metrics.meanAbsDiff > b.detMeanAbsDiff) return fail(`det map mean |Δ| ${metrics.meanAbsDiff.toExponential(2)} exceeds ${b.detMeanAbsDiff}`);
    if (metrics.boxAgreement < b.detBoxAgreement) {
      return fail(`det boxes agree ${(metrics.boxAgreement * 100).toFixed(1)}% (IoU ≥ ${b.detBoxIou}; ${refBoxes} vs ${candBoxes} boxes), below ${b.detBoxAgreement * 100}%`);
    }
  } else if (stage === 'rec') {
    metrics.refChars = refChars;
    metrics.cer = refChars === 0 ? (editSum === 0 ? 0 : 1) : editSum / refChars;
    metrics.argmaxAgreement = steps ? stepsSame / steps : 1;
    if (metrics.cer > b.recCer) return fail(`rec CER between decodes ${(metrics.cer * 100).toFixed(2)}% exceeds ${b.recCer * 100}%`);
  } else {
    metrics.decisive = decisive;
    metrics.labelAgreement = decisive ? sameLabel / decisive : 1;
    if (metrics.labelAgreement < b.clsAgreement) return fail(`cls labels agree on ${sameLabel}/${decisive} decisive crops`);
    if (maxAbs > b.clsMaxProbDiff) return fail(`cls probabilities drift by ${maxAbs.toFixed(3)} (budget ${b.clsMaxProbDiff})`);
  }
  return { ok: true, reason: 'within budgets', metrics };
}

/**
 * The gate as a decision: validates `candidate` against `reference` and returns the session to use.
 * A failing candidate is disposed and the reference (FP32) is returned with the reason; a passing one is
 * returned and, with `disposeReference` (default true), the reference is released.
 */
export async function gateCandidate(
  opts: ValidateCandidateOptions & { disposeReference?: boolean; log?: (message: string) => void },
): Promise<{ session: OcrSession; usedCandidate: boolean; result: ValidationResult }> {
  const result = await validateCandidate(opts);
  const label = `${opts.candidate.stage} ${opts.candidate.provider.provider}/${opts.candidate.provider.precision}`;
  if (!result.ok) {
    opts.log?.(`Validation gate rejected ${label}: ${result.reason}; using ${opts.reference.provider.provider}/${opts.reference.provider.precision}`);
    await opts.candidate.dispose().catch(() => {});
    return { session: opts.reference, usedCandidate: false, result };
  }
  opts.log?.(`Validation gate passed ${label} (${JSON.stringify(result.metrics)})`);
  if (opts.disposeReference ?? true) await opts.reference.dispose().catch(() => {});
  return { session: opts.candidate, usedCandidate: true, result };
}

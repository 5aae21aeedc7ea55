// Greedy CTC decode after PaddleOCR ppocr/postprocess/rec_postprocess.py (BaseRecLabelDecode.decode, CTCLabelDecode).
import type { RecChar, RecResult } from '../stages.js';
import { CTC_BLANK_INDEX } from './dictionary.js';

/**
 * Half a character's width, in time steps, assumed when a line has fewer than two non-space characters
 * to measure the pitch from: 3 steps = 24 px at 48 px height, half a CJK glyph, a little more than a
 * Latin one.
 */
const FALLBACK_HALF_PITCH_STEPS = 3;

/**
 * Channels per time step of the rec model's argmax head (engines/runtime/rec-head.ts): argmax class
 * index, its probability, the model's class count. Defined here so the recognizer needs no ONNX tooling.
 */
export const REC_HEAD_CHANNELS = 3;

/** One kept time-step run: the class emitted, where its run of identical argmaxes lies, its probability. */
interface KeptRun {
  classIndex: number;
  /** First time step of the run (the kept t). */
  start: number;
  /** One past the run's last time step. */
  end: number;
  prob: number;
}

/**
 * Decodes one row of softmax output [T, C] starting at `offset` (the head already applies softmax).
 *
 * Text and confidence are PaddleOCR's: argmax per time step; keep t when idx[t] ≠ idx[t−1] and idx ≠ blank;
 * confidence = mean max-probability of the kept steps (0 when nothing is kept). One deviation: spaces
 * at the start or end of the line are trimmed.
 *
 * `contentFrac` is the share of the tensor's width holding the crop's pixels (resized width / tensor
 * width); the rest is zero padding. Character extents are reported as fractions of that content, so
 * the pipeline can map them straight onto the crop's quad.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  offset: number,
  timeSteps: number,
  classCount: number,
  character: readonly string[],
  contentFrac: number,
): RecResult {
  const runs: KeptRun[] = [];
  let prevIdx = -1;
  for (let t = 0; t < timeSteps; t++) {
    const base = offset + t * classCount;
    let best = 0;
    let bestProb = probs[base]!;
    for (let c = 1; c < classCount; c++) {
      const p = probs[base + c]!;
      if (p > bestProb) {
        bestProb = p;
        best = c;
      }
    }
    keepStep(runs, t, best, bestProb, prevIdx);
    prevIdx = best;
  }

  return finishDecode(runs, character, timeSteps, contentFrac);
}

/**
 * The same decode as ctcGreedyDecode from the argmax head's output (engines/runtime/rec-head.ts): one
 * row of [T, channels] floats starting at `offset`, channel 0 = argmax class, 1 = its probability.
 * Text, confidence and char extents are identical to ctcGreedyDecode on the full probabilities, since
 * that decode reads nothing but the argmax and its probability per time step.
 */
export function ctcGreedyDecodeArgmax(
  head: Float32Array,
  offset: number,
  timeSteps: number,
  channels: number,
  character: readonly string[],
  contentFrac: number,
): RecResult {
  const runs: KeptRun[] = [];
  let prevIdx = -1;
  for (let t = 0; t < timeSteps; t++) {
    const base = offset + t * channels;
    const best = head[base]!;
    keepStep(runs, t, best, head[base + 1]!, prevIdx);
    prevIdx = best;
  }
  return finishDecode(runs, character, timeSteps, contentFrac);
}

/**
 * CTC's collapse rule for time step t whose argmax is `best` (probability `prob`): a repeat of the previous
 * step's class extends the previous run (collapsed, not kept again); a blank is dropped; anything else starts
 * a kept run.
 */
function keepStep(runs: KeptRun[], t: number, best: number, prob: number, prevIdx: number): void {
  if (best === prevIdx) {
    const last = runs[runs.length - 1];
    if (last && last.end === t) last.end = t + 1;
  } else if (best !== CTC_BLANK_INDEX) {
    runs.push({ classIndex: best, start: t, end: t + 1, prob });
  }
}

/** Confidence, char extents and edge-space trimming shared by both decodes. */
function finishDecode(runs: KeptRun[], character: readonly string[], timeSteps: number, contentFrac: number): RecResult {
  let probSum = 0;
  for (const r of runs) probSum += r.prob;
  const confidence = runs.length > 0 ? probSum / runs.length : 0;
  // Spaces at either end carry no text (the model emits them on a crop's margin now and then, e.g.
  // " All rights reserved."): they are dropped from text and chars; the confidence stays Paddle's mean
  // over every kept step, so drop_score filtering behaves as in PaddleOCR.
  const chars = charExtents(runs, character, timeSteps * clampFrac(contentFrac));
  let first = 0;
  let last = chars.length;
  while (first < last && chars[first]!.text.trim() === '') first++;
  while (last > first && chars[last - 1]!.text.trim() === '') last--;
  const kept = first === 0 && last === chars.length ? chars : chars.slice(first, last);
  let text = '';
  for (const c of kept) text += c.text;
  return { text, confidence, chars: kept };
}

function clampFrac(v: number): number {
  return v > 1 ? 1 : v > 0 ? v : 0;
}

/**
 * Horizontal extent of each kept character, in fractions of the content width (`contentSteps` time steps).
 *
 * CTC fires a character on a narrow peak near its centre, not across its glyph, so the peak runs alone
 * would make word boxes too narrow. Instead: neighbouring characters of one word meet halfway between
 * their peaks; a character at a word's edge (line end or next to a space) reaches half the line's
 * character pitch (median distance between neighbouring peaks) beyond its peak centre, never past the
 * midpoint to the next word's character; a space fills the gap between the words it separates. The
 * result is monotone (each start ≥ the previous end) and clamped to [0, 1], so time steps that fell
 * in the padding land on the content's right edge.
 */
function charExtents(runs: readonly KeptRun[], character: readonly string[], contentSteps: number): RecChar[] {
  const n = runs.length;
  if (n === 0) return [];
  const isSpace = runs.map((r) => (character[r.classIndex] ?? '').trim() === '');
  const centre = runs.map((r) => (r.start + r.end) / 2);

  const gaps: number[] = [];
  for (let k = 1; k < n; k++) if (!isSpace[k] && !isSpace[k - 1]) gaps.push(centre[k]! - centre[k - 1]!);
  gaps.sort((a, b) => a - b);
  const halfPitch = gaps.length > 0 ? gaps[gaps.length >> 1]! / 2 : FALLBACK_HALF_PITCH_STEPS;

  const start = new Array<number>(n);
  const end = new Array<number>(n);
  let prevSolid = -1; // index of the previous non-space character
  for (let k = 0; k < n; k++) {
    if (isSpace[k]) continue;
    if (k > 0 && !isSpace[k - 1]) {
      start[k] = (runs[k - 1]!.end + runs[k]!.start) / 2;
    } else {
      const floor = prevSolid >= 0 ? (centre[prevSolid]! + centre[k]!) / 2 : 0;
      start[k] = Math.max(floor, centre[k]! - halfPitch);
    }
    prevSolid = k;
  }
  let nextSolid = -1;
  for (let k = n - 1; k >= 0; k--) {
    if (isSpace[k]) continue;
    if (k < n - 1 && !isSpace[k + 1]) {
      end[k] = start[k + 1]!;
    } else {
      const ceil = nextSolid >= 0 ? (centre[k]! + centre[nextSolid]!) / 2 : Math.max(contentSteps, centre[k]!);
      end[k] = Math.min(ceil, centre[k]! + halfPitch);
    }
    nextSolid = k;
  }
  // Spaces share the gap between the characters around them (a run of several splits it evenly).
  for (let k = 0; k < n; k++) {
    if (!isSpace[k]) continue;
    let j = k;
    while (j < n && isSpace[j]) j++;
    const from = k > 0 ? end[k - 1]! : 0;
    const to = j < n ? start[j]! : Math.max(from, contentSteps);
    const share = (to - from) / (j - k);
    for (let s = k; s < j; s++) {
      start[s] = from + share * (s - k);
      end[s] = from + share * (s - k + 1);
    }
    k = j - 1;
  }

  const toFrac = (steps: number): number => (contentSteps > 0 ? clampFrac(steps / contentSteps) : 0);
  const chars: RecChar[] = [];
  let lastEnd = 0;
  for (let k = 0; k < n; k++) {
    const s = Math.max(lastEnd, toFrac(start[k]!));
    const e = Math.max(s, toFrac(end[k]!));
    chars.push({ text: character[runs[k]!.classIndex] ?? '', startFrac: s, endFrac: e, confidence: runs[k]!.prob });
    lastEnd = e;
  }
  return chars;
}

/**
 * Decodes the first `contentFracs.length` rows of a [N, T, C] output (rows beyond are blank batch padding).
 */
export function ctcGreedyDecodeBatch(
  probs: Float32Array,
  dims: readonly number[],
  character: readonly string[],
  contentFracs: readonly number[],
): RecResult[] {
  const timeSteps = dims[1]!;
  const classCount = dims[2]!;
  return contentFracs.map((frac, row) => ctcGreedyDecode(probs, row * timeSteps * classCount, timeSteps, classCount, character, frac));
}

/** ctcGreedyDecodeBatch for the argmax head's [N, T, channels] output. */
export function ctcGreedyDecodeArgmaxBatch(
  head: Float32Array,
  dims: readonly number[],
  character: readonly string[],
  contentFracs: readonly number[],
): RecResult[] {
  const timeSteps = dims[1]!;
  const channels = dims[2]!;
  return contentFracs.map((frac, row) => ctcGreedyDecodeArgmax(head, row * timeSteps * channels, timeSteps, channels, character, frac));
}

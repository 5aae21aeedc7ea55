// Word boxes from CTC character extents: each word's quad is the slice of its line's quad between the word's
// fractional extents along the reading direction (RapidOCR's word_results idea, on our RecChar extents).
import type { Point, Quad, Word } from '../types.js';
import type { RecChar } from '../stages.js';

/**
 * Characters that make up one "word" each. CJK text has no spaces, so a space-delimited run can be a whole
 * sentence; search hits and highlights would then cover the line. One character per word keeps highlights
 * tight, and exporters join adjacent CJK words without a space (see needsSpaceBetween), so the extracted
 * text is unchanged. Hangul is excluded: Korean separates words with spaces.
 */
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\u3000-\u303f\u30fb\u30fc\uff00-\uffef]/u;

export function isCjkChar(ch: string): boolean {
  return CJK_CHAR.test(ch);
}

/**
 * Whether plain text should put a space between two adjacent words of a line: yes, unless both sides of the
 * join are CJK (Chinese and Japanese are written without spaces).
 */
export function needsSpaceBetween(previousWord: string, nextWord: string): boolean {
  const last = Array.from(previousWord).at(-1) ?? '';
  const first = Array.from(nextWord)[0] ?? '';
  return !(isCjkChar(last) && isCjkChar(first));
}

function lerp(a: Point, b: Point, t: number): Point {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

/**
 * The part of a line quad between fractions `startFrac` and `endFrac` of its length, interpolated along the top
 * (p0→p1) and bottom (p3→p2) edges. Corner order (reading order) is kept.
 */
export function subQuad(lineQuad: Quad, startFrac: number, endFrac: number): Quad {
  const [p0, p1, p2, p3] = lineQuad;
  return [lerp(p0, p1, startFrac), lerp(p0, p1, endFrac), lerp(p3, p2, endFrac), lerp(p3, p2, startFrac)];
}

export interface BuildWordsOptions {
  /** One word per CJK character (default true); false keeps CJK runs whole, split only at spaces. */
  cjkPerCharacter?: boolean;
}

interface Span {
  text: string;
  start: number;
  end: number;
  confidenceSum: number;
  count: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Words of one recognised line. `chars` come from CTC decoding (startFrac/endFrac over the crop's width, in
 * reading order); `lineQuad` is the line's quad in reading order (point 0 where the text starts), which is the
 * crop's frame, so fractions map straight onto it.
 *
 * - Words split at whitespace characters; with cjkPerCharacter each CJK character is its own word.
 * - Extents: first character's start to last character's end, padded on both sides by half the typical gap
 *   between neighbouring characters (pitch − width; 0 when the decoder already makes extents touch), clamped
 *   to the line and to the midpoint of the space between two words so boxes never overlap.
 * - A line that is one word gets the whole line quad: the detector box is the best extent we have.
 * - confidence = mean of the word's character confidences.
 */
export function buildWords(chars: readonly RecChar[], lineQuad: Quad, options: BuildWordsOptions = {}): Word[] {
  const cjkPerCharacter = options.cjkPerCharacter ?? true;
  const spans: Span[] = [];
  const solid: RecChar[] = [];
  // A span stays open for the next character only while it is a run of non-CJK characters.
  let open: Span | undefined;
  for (const c of chars) {
    if (c.text.trim() === '') {
      open = undefined;
      continue;
    }
    solid.push(c);
    const cjk = cjkPerCharacter && isCjkChar(c.text);
    if (open && !cjk) {
      open.text += c.text;
      open.end = Math.max(open.end, c.endFrac);
      open.confidenceSum += c.confidence;
      open.count++;
      continue;
    }
    const span = { text: c.text, start: c.startFrac, end: c.endFrac, confidenceSum: c.confidence, count: 1 };
    spans.push(span);
    open = cjk ? undefined : span;
  }
  if (spans.length === 0) return [];
  if (spans.length === 1) {
    const s = spans[0]!;
    return [{ text: s.text, quad: lineQuad.map((p) => [p[0], p[1]]) as Quad, confidence: s.confidenceSum / s.count }];
  }

  // Half the typical inter-character gap, from consecutive non-space characters.
  const pitches: number[] = [];
  const widths: number[] = [];
  for (let i = 0; i < solid.length; i++) {
    widths.push(Math.max(0, solid[i]!.endFrac - solid[i]!.startFrac));
    if (i > 0) pitches.push(solid[i]!.startFrac - solid[i - 1]!.startFrac);
  }
  const pad = Math.max(0, median(pitches) - median(widths)) / 2;

  const starts = spans.map((s) => s.start - pad);
  const ends = spans.map((s) => s.end + pad);
  starts[0] = Math.max(0, starts[0]!);
  ends[ends.length - 1] = Math.min(1, ends[ends.length - 1]!);
  for (let i = 1; i < spans.length; i++) {
    if (ends[i - 1]! > starts[i]!) {
      const mid = (spans[i - 1]!.end + spans[i]!.start) / 2;
      ends[i - 1] = Math.max(spans[i - 1]!.end, Math.min(ends[i - 1]!, mid));
      starts[i] = Math.min(spans[i]!.start, Math.max(starts[i]!, mid));
    }
  }
  return spans.map((s, i) => ({
    text: s.text,
    quad: subQuad(lineQuad, Math.min(1, Math.max(0, starts[i]!)), Math.min(1, Math.max(0, ends[i]!))),
    confidence: s.confidenceSum / s.count,
  }));
}

/** Rough advance of one character in ems, for splitting a line quad when no character extents exist. */
function advanceEm(ch: string): number {
  if (isCjkChar(ch)) return 1;
  if (ch.trim() === '') return 0.3;
  if (/[il.,:;'|!]/.test(ch)) return 0.3;
  if (/[mwMW@]/.test(ch)) return 0.85;
  return 0.55;
}

/**
 * Words for a line known only by its text and quad (text-layer lines without word boxes, merged pieces from
 * elsewhere): the quad is split in proportion to estimated character advances. Every word gets the line's
 * confidence.
 */
export function buildWordsFromText(text: string, lineQuad: Quad, confidence: number, options: BuildWordsOptions = {}): Word[] {
  const chars = Array.from(text);
  const total = chars.reduce((s, c) => s + advanceEm(c), 0);
  if (total <= 0) return [];
  let at = 0;
  const recChars: RecChar[] = chars.map((c) => {
    const w = advanceEm(c) / total;
    const r = { text: c, startFrac: at, endFrac: at + w, confidence };
    at += w;
    return r;
  });
  return buildWords(recChars, lineQuad, options);
}

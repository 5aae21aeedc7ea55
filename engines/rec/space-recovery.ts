// Word-space recovery from the crop's ink gaps. PP-OCRv4's Chinese recogniser often drops the spaces of
// small Latin text ("Theharbourmaster…"); the CTC time steps still say where each character is, and the
// crop's pixels say whether a word-sized gap of paper lies between two of them.
import type { RecChar, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';

export interface SpaceRecoveryOptions {
  /** A blank gap at least this many text heights wide is a word space (default 0.24). */
  minGapToHeight?: number;
  /** …and at least this many times the line's typical gap between letters (default 2.2). */
  minGapToLetterGap?: number;
}

const DEFAULT_MIN_GAP_TO_HEIGHT = 0.24;
const DEFAULT_MIN_GAP_TO_LETTER_GAP = 2.2;

/** A space may follow a letter, a digit, closing punctuation or a quote… */
const MAY_END_WORD = /^[\p{L}\p{N},.;:!?)\]'"\u2019\u201d]$/u;
/** …and precede a letter, a digit, an opening bracket or a quote ("plot 'file’ thru", "print $0, "$1""). */
const MAY_START_WORD = /^[\p{L}\p{N}(\['"\u2018\u201c]$/u;
const DIGIT = /^\p{N}$/u;
/** CJK needs no spaces between characters. */
const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/u;

/**
 * Latin lines whose "words" average more letters than this have lost their spaces. English averages
 * about 5 letters a word; a line of correct text rarely passes 9. Code and URLs, whose gaps mean
 * nothing, stay below it, so only glued lines are touched.
 */
export const GLUED_LETTERS_PER_WORD = 9;
/** Lines shorter than this (in letters) are never considered glued. */
const MIN_GLUED_LETTERS = 12;

/** true when the text looks like Latin words run together ("Theharbourmasteropened"). */
export function looksGlued(text: string): boolean {
  let letters = 0;
  for (const ch of text) if (/\p{L}/u.test(ch) && !CJK.test(ch)) letters++;
  if (letters < MIN_GLUED_LETTERS) return false;
  const words = text.split(/\s+/u).filter((w) => /\p{L}/u.test(w)).length;
  return letters / Math.max(1, words) > GLUED_LETTERS_PER_WORD;
}

export interface InkProfile {
  /** Per column: true when no ink pixel falls in it. */
  blank: Uint8Array;
  /** Height of the inked rows (text height incl. ascenders/descenders), px. */
  textHeightPx: number;
}

/**
 * Column ink profile of a text-line crop. Ink is whichever of the two Otsu classes is the minority, so
 * light text on a dark band works as well as dark on light.
 */
export function inkProfile(image: RgbImage): InkProfile {
  const { width, height, data } = image;
  const n = width * height;
  const gray = new Uint8Array(n);
  const hist = new Uint32Array(256);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    // Integer BT.601 luma.
    const y = (data[j]! * 77 + data[j + 1]! * 150 + data[j + 2]! * 29) >> 8;
    gray[i] = y;
    hist[y]!++;
  }
  const threshold = otsuThreshold(hist, n);
  let dark = 0;
  for (let v = 0; v <= threshold; v++) dark += hist[v]!;
  const inkIsDark = dark <= n - dark;
  const colInk = new Uint32Array(width);
  const rowInk = new Uint32Array(height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = gray[row + x]!;
      if (inkIsDark ? v <= threshold : v > threshold) {
        colInk[x]!++;
        rowInk[y]!++;
      }
    }
  }
  // Rows count as text when they carry a little ink (a speck of noise does not make a row).
  const rowMin = Math.max(1, Math.round(width * 0.01));
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    if (rowInk[y]! >= rowMin) {
      if (top < 0) top = y;
      bottom = y;
    }
  }
  const textHeightPx = top < 0 ? 0 : bottom - top + 1;
  // A column is blank when it holds at most a pixel or two of noise.
  const colMax = Math.max(0, Math.floor(textHeightPx * 0.04));
  const blank = new Uint8Array(width);
  for (let x = 0; x < width; x++) blank[x] = colInk[x]! <= colMax ? 1 : 0;
  return { blank, textHeightPx };
}

function otsuThreshold(hist: Uint32Array, total: number): number {
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * hist[v]!;
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestVar = -1;
  for (let v = 0; v < 256; v++) {
    wB += hist[v]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += v * hist[v]!;
    const mB = sumB / wB;
    const mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > bestVar) {
      bestVar = between;
      best = v;
    }
  }
  return best;
}

/** Longest run of blank columns within [fromPx, toPx). */
function longestBlankRun(blank: Uint8Array, fromPx: number, toPx: number): number {
  let best = 0;
  let run = 0;
  const a = Math.max(0, Math.floor(fromPx));
  const b = Math.min(blank.length, Math.ceil(toPx));
  for (let x = a; x < b; x++) {
    if (blank[x]) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/**
 * Tokens at least this long (letters, digits, punctuation) with this many letters may hide a lost space:
 * two short words run together ("darkrye", "knowyour") are 7–8 letters; the ink gap still has to be a
 * word space, so real words of that length stay whole.
 */
export const LONG_TOKEN_CHARS = 7;
const LONG_TOKEN_LETTERS = 5;

/** eligible[i]: a space may be inserted between chars i and i+1. */
function eligiblePairs(chars: readonly RecChar[], glued: boolean): boolean[] {
  const eligible = new Array<boolean>(chars.length).fill(glued);
  if (glued) return eligible;
  let start = 0;
  for (let i = 0; i <= chars.length; i++) {
    if (i < chars.length && chars[i]!.text !== ' ') continue;
    const token = chars.slice(start, i).map((c) => c.text);
    const letters = token.filter((t) => /\p{L}/u.test(t) && !CJK.test(t)).length;
    if (token.length >= LONG_TOKEN_CHARS && letters >= LONG_TOKEN_LETTERS) for (let k = start; k < i - 1; k++) eligible[k] = true;
    start = i + 1;
  }
  // In prose a comma or semicolon before a letter, and a full stop before a capital, end a word; so may a
  // change between letters and digits ("and100", "500g": "500 g", while "5kg" and "A4" keep letter gaps).
  for (let k = 0; k + 1 < chars.length; k++) {
    const a = chars[k]!.text;
    const b = chars[k + 1]!.text;
    if ((/^[,;]$/u.test(a) && /^\p{L}$/u.test(b)) || (a === '.' && /^\p{Lu}$/u.test(b))) eligible[k] = true;
    if ((/^\p{L}$/u.test(a) && /^\p{Nd}$/u.test(b)) || (/^\p{Nd}$/u.test(a) && /^\p{L}$/u.test(b))) {
      if (!CJK.test(a) && !CJK.test(b)) eligible[k] = true;
    }
  }
  return eligible;
}

/**
 * Inserts the word spaces the recogniser dropped. `image` is the crop exactly as recognised (upright);
 * character extents are fractions of its width. Returns the result unchanged when nothing is missing.
 */
export function recoverSpaces(image: RgbImage, result: RecResult, options: SpaceRecoveryOptions = {}): RecResult {
  const chars = result.chars;
  if (chars.length < 2) return result;
  // Where to look: everywhere on a glued line, else only inside suspiciously long tokens.
  const eligible = eligiblePairs(chars, looksGlued(result.text));
  if (!eligible.some(Boolean)) return result;
  const profile = inkProfile(image);
  if (profile.textHeightPx < 4) return result;
  const minToHeight = options.minGapToHeight ?? DEFAULT_MIN_GAP_TO_HEIGHT;
  const minToLetter = options.minGapToLetterGap ?? DEFAULT_MIN_GAP_TO_LETTER_GAP;
  const w = image.width;
  const centre = (c: RecChar) => ((c.startFrac + c.endFrac) / 2) * w;

  // 1. The widest blank run between each pair of neighbouring non-space characters.
  const gaps: { index: number; gapPx: number }[] = [];
  for (let i = 0; i + 1 < chars.length; i++) {
    const a = chars[i]!;
    const b = chars[i + 1]!;
    if (a.text === ' ' || b.text === ' ') continue;
    gaps.push({ index: i, gapPx: longestBlankRun(profile.blank, centre(a), centre(b)) });
  }
  if (gaps.length === 0) return result;

  // 2. Letters' own spacing: the median gap, since most neighbours sit inside one word.
  const sorted = gaps.map((g) => g.gapPx).sort((x, y) => x - y);
  const letterGapPx = sorted[sorted.length >> 1]!;
  const minGapPx = Math.max(minToHeight * profile.textHeightPx, minToLetter * Math.max(letterGapPx, 1));

  // 3. Insert a space after every character followed by a word-sized gap.
  const insertAfter = new Set<number>();
  for (const g of gaps) {
    const a = chars[g.index]!.text;
    const b = chars[g.index + 1]!.text;
    if (!eligible[g.index] || !MAY_END_WORD.test(a) || !MAY_START_WORD.test(b) || (DIGIT.test(a) && DIGIT.test(b))) continue;
    // "gnuplot.info", "e.g.": a full stop before a small letter is not a sentence end.
    if (a === '.' && /^\p{Ll}$/u.test(b)) continue;
    // A straight quote opens a word only when a word follows it: in "f(args)'," it closes one.
    if ((b === "'" || b === '"') && !/^[\p{L}\p{N}$\-]$/u.test(chars[g.index + 2]?.text ?? '')) continue;
    if (g.gapPx >= minGapPx) insertAfter.add(g.index);
  }
  if (insertAfter.size === 0) return result;
  const out: RecChar[] = [];
  chars.forEach((c, i) => {
    out.push(c);
    if (insertAfter.has(i)) {
      const next = chars[i + 1]!;
      out.push({ text: ' ', startFrac: c.endFrac, endFrac: next.startFrac, confidence: Math.min(c.confidence, next.confidence) });
    }
  });
  return { ...result, text: out.map((c) => c.text).join(''), chars: out };
}

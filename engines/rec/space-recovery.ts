// Word-space recovery from the crop's ink. PP-OCRv4's Chinese recogniser often drops the spaces of small
// Latin text ("Theharbourmaster…") and of code; the CTC time steps still say where each character is, and the
// crop's pixels say whether a word-sized gap of paper lies between two of them. A monospaced line (code) is
// read by its character grid instead: there an empty cell is a space, whatever the paper around narrow glyphs.
import type { RecChar, RecResult } from '../stages.js';
import type { RgbImage } from '../types.js';
import { inkCounts } from '../image/ink.js';
import { fullwidthToAscii } from './latin-punctuation.js';

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
/**
 * …and precede a letter, a digit, an opening bracket, a quote ("plot 'file’ thru", "print $0, "$1"") or a
 * degree sign ("220 °C", where the style puts a space; "45°" has no gap to find).
 */
const MAY_START_WORD = /^[\p{L}\p{N}(\['"\u2018\u201c°]$/u;
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
  const { width, height } = image;
  const { column: colInk, row: rowInk } = inkCounts(image);
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
function eligiblePairs(texts: readonly string[], glued: boolean): boolean[] {
  const eligible = new Array<boolean>(texts.length).fill(glued);
  if (glued) return eligible;
  let start = 0;
  for (let i = 0; i <= texts.length; i++) {
    if (i < texts.length && texts[i] !== ' ') continue;
    const token = texts.slice(start, i);
    const letters = token.filter((t) => /\p{L}/u.test(t) && !CJK.test(t)).length;
    if (token.length >= LONG_TOKEN_CHARS && letters >= LONG_TOKEN_LETTERS) for (let k = start; k < i - 1; k++) eligible[k] = true;
    start = i + 1;
  }
  // In prose a comma or semicolon before a letter, and a full stop before a capital, end a word; so may a
  // change between letters and digits ("and100", "500g": "500 g", while "5kg" and "A4" keep letter gaps).
  for (let k = 0; k + 1 < texts.length; k++) {
    const a = texts[k]!;
    const b = texts[k + 1]!;
    if ((/^[,;]$/u.test(a) && /^\p{L}$/u.test(b)) || (a === '.' && /^\p{Lu}$/u.test(b))) eligible[k] = true;
    if ((/^\p{L}$/u.test(a) && /^\p{Nd}$/u.test(b)) || (/^\p{Nd}$/u.test(a) && /^\p{L}$/u.test(b))) {
      if (!CJK.test(a) && !CJK.test(b)) eligible[k] = true;
    }
  }
  return eligible;
}

/** A line needs this many word spaces of its own before their gaps calibrate what a word gap is… */
const MIN_CALIBRATION_SPACES = 3;
/** …measured at this quantile of their gaps (the narrower spaces: justified lines stretch some)… */
const CALIBRATION_QUANTILE = 0.25;
/** …of which a missing space's gap must reach this share. */
const CALIBRATED_WORD_GAP_SHARE = 0.8;

/** Fewer blobs of ink than this cannot tell a monospaced line from a proportional one. */
const MIN_GRID_BLOBS = 10;
/** A blob sits on the grid when its centre is within this share of the pitch of a cell's centre… */
const GRID_TOLERANCE = 0.15;
/**
 * …and a line is monospaced when this share of its blobs do, with an RMS offset of at most MAX_GRID_RMS
 * pitches; a line of fewer than GRID_FULL_TRUST_BLOBS blobs must fit proportionally tighter, since a short
 * run of proportional letters can land near a lattice by chance ("deprecated.": 11 blobs, 0.06).
 */
const MIN_GRID_SHARE = 0.85;
const MAX_GRID_RMS = 0.1;
const GRID_FULL_TRUST_BLOBS = 25;
/** Pitch of monospaced fonts, in text heights (ink rows incl. ascenders and descenders): about 0.6–0.85. */
const MIN_PITCH_TO_HEIGHT = 0.35;
const MAX_PITCH_TO_HEIGHT = 1.1;

/** The character grid of a monospaced line: cell k is centred at originPx + k × pitchPx. */
export interface CharGrid {
  originPx: number;
  pitchPx: number;
  /** Grid cell of each blob of ink, left to right (two blobs of one glyph, as in '"', share a cell). */
  blobCells: number[];
}

/** Runs of inked columns, left to right: [start, end) pairs. */
function inkRuns(blank: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let x = 0; x < blank.length; ) {
    if (blank[x]) {
      x++;
      continue;
    }
    let end = x;
    while (end < blank.length && !blank[end]) end++;
    runs.push([x, end]);
    x = end;
  }
  return runs;
}

/** A least-squares character grid through a line's blobs of ink, and how well the blobs sit on it. */
export interface GridFit extends CharGrid {
  /** Blobs after joining those of one cell. */
  blobCount: number;
  /** Share of blobs within GRID_TOLERANCE pitches of their cell's centre. */
  onGridShare: number;
  /** RMS distance of blob centres from their cells' centres, in pitches. */
  rmsOffset: number;
}

/**
 * Fits a character grid to the blobs of ink of a line (see monospaceGrid): the median step between
 * neighbouring blobs is the first estimate of the pitch (most neighbours share a word), each blob's cell
 * follows from the steps, blobs of one cell (the two strokes of '"') are joined, and a least-squares line
 * through (cell, centre) gives origin and pitch. Undefined with fewer than MIN_GRID_BLOBS blobs.
 */
export function fitCharGrid(blank: Uint8Array): GridFit | undefined {
  const runs = inkRuns(blank);
  if (runs.length < MIN_GRID_BLOBS) return undefined;
  const steps: number[] = [];
  for (let j = 1; j < runs.length; j++) steps.push((runs[j]![0] + runs[j]![1] - runs[j - 1]![0] - runs[j - 1]![1]) / 2);
  const sorted = [...steps].sort((a, b) => a - b);
  const step = sorted[sorted.length >> 1]!;
  if (!(step > 0)) return undefined;
  // Cells from the steps; runs less than half a step apart are one glyph.
  const x: number[] = [];
  const cells: number[] = [];
  let from = runs[0]![0];
  let to = runs[0]![1];
  let cell = 0;
  for (let j = 1; j <= runs.length; j++) {
    const advance = j < runs.length ? Math.round(steps[j - 1]! / step) : 1;
    if (advance === 0) {
      to = runs[j]![1];
      continue;
    }
    x.push((from + to - 1) / 2);
    cells.push(cell);
    if (j === runs.length) break;
    cell += advance;
    from = runs[j]![0];
    to = runs[j]![1];
  }
  const n = x.length;
  if (n < MIN_GRID_BLOBS) return undefined;
  // Least squares: x = origin + pitch × cell.
  let sk = 0, sx = 0, skk = 0, skx = 0;
  for (let j = 0; j < n; j++) {
    sk += cells[j]!;
    sx += x[j]!;
    skk += cells[j]! * cells[j]!;
    skx += cells[j]! * x[j]!;
  }
  const det = n * skk - sk * sk;
  if (det <= 0) return undefined;
  const pitchPx = (n * skx - sk * sx) / det;
  if (!(pitchPx > 0)) return undefined;
  const originPx = (sx - pitchPx * sk) / n;
  let onGrid = 0;
  let squares = 0;
  for (let j = 0; j < n; j++) {
    const off = Math.abs(x[j]! - originPx - pitchPx * cells[j]!) / pitchPx;
    if (off < GRID_TOLERANCE) onGrid++;
    squares += off * off;
  }
  return { originPx, pitchPx, blobCells: cells, blobCount: n, onGridShare: onGrid / n, rmsOffset: Math.sqrt(squares / n) };
}

/**
 * The grid of a monospaced line, or undefined for proportional text. Every glyph of a monospaced font is
 * centred in a cell of one advance width, so the centres of its blobs of ink fall on a lattice; proportional
 * text leaves many of its blobs off any lattice. Measured on the eval fixtures' lines (code in DejaVu Sans
 * Mono and Courier, commands in tables, prose in serif and sans fonts): of 25 blobs or more, monospaced lines
 * have an RMS offset of at most 0.10 pitch, proportional ones at least 0.15; of 10–24 blobs, monospaced lines
 * at most 0.04 (one at 0.07), proportional ones at least 0.06.
 */
export function monospaceGrid(profile: InkProfile): CharGrid | undefined {
  const fit = fitCharGrid(profile.blank);
  if (!fit) return undefined;
  if (!(fit.pitchPx >= MIN_PITCH_TO_HEIGHT * profile.textHeightPx && fit.pitchPx <= MAX_PITCH_TO_HEIGHT * profile.textHeightPx)) return undefined;
  const maxRms = MAX_GRID_RMS * Math.min(1, fit.blobCount / GRID_FULL_TRUST_BLOBS);
  if (fit.onGridShare < MIN_GRID_SHARE || fit.rmsOffset > maxRms) return undefined;
  return { originPx: fit.originPx, pitchPx: fit.pitchPx, blobCells: fit.blobCells };
}

/**
 * Spaces of a monospaced line from its grid: two neighbouring characters with an empty cell between them are
 * separate words, whatever they are ("(path, limit", ") {", "?? []"), and neighbours in adjacent cells are
 * not, however wide the paper between narrow glyphs ("'node:fs"). Characters take the occupied cells in order
 * when their counts agree (the usual case), else the cell nearest their CTC position.
 */
function gridSpaces(chars: readonly RecChar[], texts: readonly string[], grid: CharGrid, widthPx: number): Set<number> {
  const solid: number[] = [];
  texts.forEach((t, i) => {
    if (t !== ' ') solid.push(i);
  });
  const occupied = [...new Set(grid.blobCells)];
  let cellOf: number[];
  if (occupied.length === solid.length) cellOf = occupied;
  else {
    cellOf = [];
    for (const i of solid) {
      const c = chars[i]!;
      const cell = Math.round((((c.startFrac + c.endFrac) / 2) * widthPx - grid.originPx) / grid.pitchPx);
      cellOf.push(cellOf.length > 0 ? Math.max(cell, cellOf[cellOf.length - 1]! + 1) : cell);
    }
  }
  const inked = new Set(grid.blobCells);
  const insertAfter = new Set<number>();
  for (let s = 0; s + 1 < solid.length; s++) {
    const i = solid[s]!;
    // The model's own space stays; a missing one goes in where a cell between the two is blank (a cell with
    // ink holds a glyph the model skipped, such as a backtick: no space for it).
    if (solid[s + 1] !== i + 1) continue;
    for (let cell = cellOf[s]! + 1; cell < cellOf[s + 1]!; cell++) {
      if (!inked.has(cell)) {
        insertAfter.add(i);
        break;
      }
    }
  }
  return insertAfter;
}

/** `result` with a space after each character in `insertAfter`, spanning the gap to the next character. */
function withSpaces(result: RecResult, insertAfter: ReadonlySet<number>): RecResult {
  if (insertAfter.size === 0) return result;
  const chars = result.chars;
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

/**
 * Inserts the word spaces the recogniser dropped. `image` is the crop exactly as recognised (upright);
 * character extents are fractions of its width. Returns the result unchanged when nothing is missing.
 */
export function recoverSpaces(image: RgbImage, result: RecResult, options: SpaceRecoveryOptions = {}): RecResult {
  const chars = result.chars;
  if (chars.length < 2) return result;
  // Characters as Latin text will show them: the model writes fullwidth ，（） in Latin text too
  // (normalizeLatinPunctuation maps them to ASCII afterwards), and "path，limit" lost a space all the same.
  const texts = fullwidthToAscii(result).chars.map((c) => c.text);
  let profile: InkProfile | undefined;
  // 1. Monospaced lines (code, terminals): the character grid says where every space is.
  let solidCount = 0;
  for (const t of texts) if (t !== ' ') solidCount++;
  if (solidCount >= MIN_GRID_BLOBS && !texts.some((t) => CJK.test(t))) {
    profile = inkProfile(image);
    const grid = profile.textHeightPx >= 4 ? monospaceGrid(profile) : undefined;
    if (grid) return withSpaces(result, gridSpaces(chars, texts, grid, image.width));
  }
  // 2. Proportional text: word-sized gaps of paper. Where to look: everywhere on a glued line, else inside
  //    suspiciously long tokens, and anywhere the line's own word spaces say (below).
  const eligible = eligiblePairs(texts, looksGlued(result.text));
  const calibrate = texts.filter((t) => t === ' ').length >= MIN_CALIBRATION_SPACES;
  if (!calibrate && !eligible.some(Boolean)) return result;
  profile ??= inkProfile(image);
  if (profile.textHeightPx < 4) return result;
  const minToHeight = options.minGapToHeight ?? DEFAULT_MIN_GAP_TO_HEIGHT;
  const minToLetter = options.minGapToLetterGap ?? DEFAULT_MIN_GAP_TO_LETTER_GAP;
  const w = image.width;
  const centre = (c: RecChar) => ((c.startFrac + c.endFrac) / 2) * w;

  // 1. The widest blank run between each pair of neighbouring non-space characters.
  const gaps: { index: number; gapPx: number }[] = [];
  for (let i = 0; i + 1 < chars.length; i++) {
    if (texts[i] === ' ' || texts[i + 1] === ' ') continue;
    gaps.push({ index: i, gapPx: longestBlankRun(profile.blank, centre(chars[i]!), centre(chars[i + 1]!)) });
  }
  if (gaps.length === 0) return result;

  // 2. Letters' own spacing: the median gap, since most neighbours sit inside one word.
  const sorted = gaps.map((g) => g.gapPx).sort((x, y) => x - y);
  const letterGapPx = sorted[sorted.length >> 1]!;
  const minGapPx = Math.max(minToHeight * profile.textHeightPx, minToLetter * Math.max(letterGapPx, 1));
  // The word spaces the model did write show this line's word gap: a gap as wide as the narrower of them is a
  // space even between short words ("atsix"), where a token's length gives no hint.
  let wordGapPx = Infinity;
  if (calibrate) {
    const spaced: number[] = [];
    for (let i = 1; i + 1 < chars.length; i++) {
      if (texts[i] === ' ' && texts[i - 1] !== ' ' && texts[i + 1] !== ' ') spaced.push(longestBlankRun(profile.blank, centre(chars[i - 1]!), centre(chars[i + 1]!)));
    }
    spaced.sort((x, y) => x - y);
    if (spaced.length >= MIN_CALIBRATION_SPACES) wordGapPx = Math.max(minGapPx, CALIBRATED_WORD_GAP_SHARE * spaced[Math.floor(spaced.length * CALIBRATION_QUANTILE)]!);
  }

  // 3. Insert a space after every character followed by a word-sized gap.
  const insertAfter = new Set<number>();
  for (const g of gaps) {
    const a = texts[g.index]!;
    const b = texts[g.index + 1]!;
    if (!(eligible[g.index] || g.gapPx >= wordGapPx) || !MAY_END_WORD.test(a) || !MAY_START_WORD.test(b) || (DIGIT.test(a) && DIGIT.test(b))) continue;
    // "gnuplot.info", "e.g.": a full stop before a small letter is not a sentence end.
    if (a === '.' && /^\p{Ll}$/u.test(b)) continue;
    // A straight quote opens a word only when a word follows it: in "f(args)'," it closes one.
    if ((b === "'" || b === '"') && !/^[\p{L}\p{N}$\-]$/u.test(texts[g.index + 2] ?? '')) continue;
    if (g.gapPx >= minGapPx) insertAfter.add(g.index);
  }
  return withSpaces(result, insertAfter);
}

// PP-OCRv4's Chinese recogniser writes fullwidth punctuation (，（）：；) even inside Latin text, where a
// reader (and a search) expects ASCII. Fullwidth forms stay where a CJK character stands beside them.
// Then a few general repairs of what it misreads in Latin text (see fixLatinMisreads).
import type { RecChar, RecResult } from '../stages.js';

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
/** U+FF01..U+FF5E are the fullwidth twins of ASCII 0x21..0x7E. */
const FULLWIDTH_FIRST = 0xff01;
const FULLWIDTH_LAST = 0xff5e;
const FULLWIDTH_OFFSET = 0xff01 - 0x21;

function isFullwidthAscii(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return c >= FULLWIDTH_FIRST && c <= FULLWIDTH_LAST;
}

/** Fullwidth forms to ASCII in Latin text, then fixLatinMisreads. */
export function normalizeLatinPunctuation(result: RecResult): RecResult {
  return fixLatinMisreads(fullwidthToAscii(result));
}

/** Nearest non-space, non-fullwidth neighbour on each side decides: CJK keeps the fullwidth form. */
export function fullwidthToAscii(result: RecResult): RecResult {
  const chars = result.chars;
  if (!chars.some((c) => isFullwidthAscii(c.text))) return result;
  const texts = chars.map((c) => c.text);
  const neighbourIsCjk = (i: number, step: number): boolean => {
    for (let j = i + step; j >= 0 && j < texts.length; j += step) {
      const t = texts[j]!;
      if (t === ' ' || isFullwidthAscii(t)) continue;
      return CJK.test(t);
    }
    return false;
  };
  let changed = false;
  const out = chars.map((c, i) => {
    if (!isFullwidthAscii(c.text) || neighbourIsCjk(i, -1) || neighbourIsCjk(i, 1)) return c;
    changed = true;
    return { ...c, text: String.fromCodePoint(c.text.codePointAt(0)! - FULLWIDTH_OFFSET) };
  });
  if (!changed) return result;
  return { ...result, text: out.map((c) => c.text).join(''), chars: out };
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const GREEK = /\p{Script=Greek}/u;
const LATIN = /\p{Script=Latin}/u;
/** Zero as monospaced and some sans fonts draw it (slashed or dotted): read as theta or a slashed O. */
const ZERO_LOOKALIKES = new Set(['θ', 'Θ', 'Ø', 'ø']);
/** Digits, brackets and code punctuation: beside one of these a lone θ or Ø, or an unsure lone o, is a zero. */
const ZERO_NEIGHBOUR = /^[\p{Nd}()[\]{},;=+\-*/<>]$/u;
/**
 * Below this confidence a lone o or O was a coin toss for the model: a dotted or slashed zero reads "o" at
 * 0.30 with θ and 0 close behind (".slice(o, limit)"); a letter O the model sees clearly scores above 0.9.
 */
const UNSURE_ZERO_CONFIDENCE = 0.5;
/** Arithmetic, assignment and sigils: next to one of these a lone O is a number. */
const NUMERIC_CONTEXT = /^[=+\-*/<>%^&|$#]$/u;
const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;
/** Between the digits of a number: thousands and decimal separators, and the colon of a time. */
const NUMBER_SEPARATOR = /^[,.:]$/u;
/** The dictionary's one-character degree units and how Latin text writes them. */
const DEGREE_UNITS = new Map([['\u2103', '°C'], ['\u2109', '°F']]);
/** URL schemes whose "://" the recogniser splits as ": //". */
const URL_SCHEME = /(?:https?|ftp|file|sftp|wss?)$/iu;

/**
 * General repairs of PP-OCRv4 misreads in Latin text (each one a pattern of the model, not of a page):
 * - "http: //host" → "http://host", and inside a URL a space before "." or "/" is dropped ("www .gnu.org");
 * - a closing ASCII quote after an opening curly one is curly too: ‘word' → ‘word’, “word" → “word”;
 * - θ, Θ, Ø, ø standing alone (no letter beside them) in a line with no other Greek are the digit 0 of fonts
 *   that slash or dot their zeros: "slice(θ, n)"; so is a lone o or O the model was unsure of (confidence
 *   below 0.5) beside a digit, a bracket or code punctuation: "slice(o, n)";
 * - a capital O with no other letter in its word, after a digit or beside an operator or sigil, is the digit
 *   0: "1O", "$O", "N = O;" (but "H2O", "O2", "O'Neill", "type O blood" stay);
 * - o and O inside a number (a word of digits, o/O and the separators , . : that starts with a digit and holds
 *   no other letter) are zeros: "2,4oo" → "2,400", "1o.5" → "10.5" (but "2 of", "1oz", "O2" stay);
 * - ℃ and ℉, one character in the Chinese dictionary, are written °C and °F in Latin text, and a degree sign
 *   the model read twice ("220 °℃") is dropped.
 * Characters keep their CTC positions; removed characters drop their RecChar, and a character written as two
 * (℃ → °C) shares its extent between them.
 */
export function fixLatinMisreads(result: RecResult): RecResult {
  const chars = result.chars;
  if (chars.length === 0 || CJK.test(result.text) || !LATIN.test(result.text)) return result;
  const texts = chars.map((c) => c.text);
  const drop = new Uint8Array(texts.length);
  const isLetter = (i: number) => i >= 0 && i < texts.length && LETTER.test(texts[i]!);
  /** Nearest non-space neighbour's index in direction `step`, or -1. */
  const near = (i: number, step: number): number => {
    for (let j = i + step; j >= 0 && j < texts.length; j += step) if (texts[j] !== ' ') return j;
    return -1;
  };
  let changed = false;
  const set = (i: number, t: string) => {
    if (texts[i] !== t) {
      texts[i] = t;
      changed = true;
    }
  };

  // URLs: "scheme: //" and, inside the URL, " ." / " /" before a letter or digit.
  for (let i = 0; i + 2 < texts.length; i++) {
    if (texts[i] !== ':' || texts[i + 1] !== ' ' || texts[i + 2] !== '/') continue;
    if (!URL_SCHEME.test(texts.slice(Math.max(0, i - 5), i).join(''))) continue;
    drop[i + 1] = 1;
    // Walk the URL: it ends at the first space not followed by "." or "/" + letter/digit.
    for (let j = i + 2; j + 2 < texts.length; j++) {
      if (texts[j] !== ' ') continue;
      if ((texts[j + 1] === '.' || texts[j + 1] === '/') && /^[\p{L}\p{N}]$/u.test(texts[j + 2]!)) drop[j] = 1;
      else break;
    }
  }

  // Curly quotes: a straight quote closes the curly one opened before it on the line.
  const pairs: [string, string, string][] = [['\u2018', "'", '\u2019'], ['\u201c', '"', '\u201d']];
  for (const [open, straight, close] of pairs) {
    let openAt = -1;
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i]!;
      if (t === open) openAt = i;
      else if (t === close) openAt = -1;
      // An apostrophe inside a word ("don't") is not a closing quote.
      else if (t === straight && openAt >= 0 && !(isLetter(i - 1) && isLetter(i + 1))) {
        set(i, close);
        openAt = -1;
      }
    }
  }

  const hasGreek = texts.some((t) => GREEK.test(t) && !ZERO_LOOKALIKES.has(t));
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]!;
    if (isLetter(i - 1) || isLetter(i + 1)) continue;
    const touchesNumber = (j: number) => ZERO_NEIGHBOUR.test(texts[j] ?? '');
    if (ZERO_LOOKALIKES.has(t) && !hasGreek) {
      // θ is never a Latin letter; Ø is also a Danish word, so it needs a digit or code punctuation beside it.
      if (t === 'θ' || t === 'Θ' || touchesNumber(i - 1) || touchesNumber(i + 1)) set(i, '0');
    } else if ((t === 'o' || t === 'O') && chars[i]!.confidence < UNSURE_ZERO_CONFIDENCE && (touchesNumber(i - 1) || touchesNumber(i + 1))) {
      // A lone round glyph the model could not place, between digits or code punctuation: a zero with a dot or
      // slash inside ("slice(0, n)"), which the model reads as o, θ or 0 by turns.
      set(i, '0');
    } else if (t === 'O') {
      // Beside it (skipping spaces): a digit, or an operator; an apostrophe after it is a name (O'Neill).
      if (texts[i + 1] === "'" || texts[i + 1] === '\u2019') continue;
      // A formula's letter ("H2O", "O2") is not: the O's token must hold no other letter.
      let a = i;
      let b = i;
      while (a > 0 && texts[a - 1] !== ' ') a--;
      while (b + 1 < texts.length && texts[b + 1] !== ' ') b++;
      let otherLetter = false;
      for (let k = a; k <= b; k++) if (k !== i && LETTER.test(texts[k]!)) otherLetter = true;
      if (otherLetter) continue;
      const l = near(i, -1);
      const r = near(i, 1);
      const numeric = (j: number) => j >= 0 && (DIGIT.test(texts[j]!) || NUMERIC_CONTEXT.test(texts[j]!));
      // After a digit ("1O", "2O5") or beside an operator or sigil ("$O", "= O;", "O + 1"). Not before a digit
      // alone: "O2" is oxygen.
      if (DIGIT.test(texts[i - 1] ?? '') || numeric(l) || (r >= 0 && NUMERIC_CONTEXT.test(texts[r]!))) set(i, '0');
    }
  }

  // Numbers: the model reads the zeros of a number as o or O now and then ("2,4oo kg"). A word is a number when,
  // without the punctuation around it, it starts with a digit and holds only digits, o/O and , . : between them.
  for (let a = 0; a < texts.length; ) {
    if (texts[a] === ' ') {
      a++;
      continue;
    }
    let b = a;
    while (b + 1 < texts.length && texts[b + 1] !== ' ') b++;
    let from = a;
    let to = b;
    while (from <= to && !LETTER_OR_DIGIT.test(texts[from]!)) from++;
    while (to >= from && !LETTER_OR_DIGIT.test(texts[to]!)) to--;
    if (from <= to && DIGIT.test(texts[from]!)) {
      let hasO = false;
      let number = true;
      for (let k = from; k <= to && number; k++) {
        const t = texts[k]!;
        if (t === 'o' || t === 'O') hasO = true;
        else if (!DIGIT.test(t) && !NUMBER_SEPARATOR.test(t)) number = false;
      }
      if (number && hasO) for (let k = from; k <= to; k++) if (texts[k] === 'o' || texts[k] === 'O') set(k, '0');
    }
    a = b + 1;
  }

  // Degrees: ℃/℉ → °C/°F outside CJK text (this line has none), one degree sign only.
  for (let i = 0; i < texts.length; i++) {
    const unit = DEGREE_UNITS.get(texts[i]!);
    if (unit === undefined) continue;
    set(i, unit);
    if (texts[i - 1] === '°') drop[i - 1] = 1;
  }

  if (!changed && !drop.some(Boolean)) return result;
  const out: RecChar[] = [];
  chars.forEach((c, i) => {
    if (drop[i]) return;
    if (texts[i] === c.text) {
      out.push(c);
      return;
    }
    // One RecChar per code point: a character written as several shares its extent evenly.
    const parts = Array.from(texts[i]!);
    const step = (c.endFrac - c.startFrac) / parts.length;
    parts.forEach((t, k) => out.push({ ...c, text: t, startFrac: c.startFrac + step * k, endFrac: k === parts.length - 1 ? c.endFrac : c.startFrac + step * (k + 1) }));
  });
  return { ...result, text: out.map((c) => c.text).join(''), chars: out };
}

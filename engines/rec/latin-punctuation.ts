// PP-OCRv4's Chinese recogniser writes fullwidth punctuation (，（）：；) even inside Latin text, where a
// reader (and a search) expects ASCII. Fullwidth forms stay where a CJK character stands beside them.
import type { RecResult } from '../stages.js';

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
/** U+FF01..U+FF5E are the fullwidth twins of ASCII 0x21..0x7E. */
const FULLWIDTH_FIRST = 0xff01;
const FULLWIDTH_LAST = 0xff5e;
const FULLWIDTH_OFFSET = 0xff01 - 0x21;

function isFullwidthAscii(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return c >= FULLWIDTH_FIRST && c <= FULLWIDTH_LAST;
}

/** Nearest non-space, non-fullwidth neighbour on each side decides: CJK keeps the fullwidth form. */
export function normalizeLatinPunctuation(result: RecResult): RecResult {
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

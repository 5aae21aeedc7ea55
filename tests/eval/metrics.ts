// Character and word error rates (Levenshtein distance over the reference length), the usual OCR metrics.

/** Normalises text for scoring: Unicode NFKC, all whitespace runs → one space, trimmed. */
export function normalizeForScoring(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** Edit distance between two sequences (insertions, deletions, substitutions all cost 1). O(n·m) time, O(m) memory. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (ai === b[j - 1] ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

export interface ErrorRate {
  /** errors / reference length; can exceed 1 when the hypothesis is much longer. */
  rate: number;
  errors: number;
  referenceLength: number;
}

/** Character error rate over code points (so a CJK character counts once). */
export function cer(reference: string, hypothesis: string): ErrorRate {
  const ref = Array.from(normalizeForScoring(reference));
  const hyp = Array.from(normalizeForScoring(hypothesis));
  const errors = editDistance(ref, hyp);
  return { rate: ref.length ? errors / ref.length : hyp.length ? 1 : 0, errors, referenceLength: ref.length };
}

/**
 * Word error rate over whitespace-separated tokens. CJK text has no spaces, so each CJK character
 * counts as a word there (the common convention for Chinese WER).
 */
export function wer(reference: string, hypothesis: string): ErrorRate {
  const ref = tokenize(reference);
  const hyp = tokenize(hypothesis);
  const errors = editDistance(ref, hyp);
  return { rate: ref.length ? errors / ref.length : hyp.length ? 1 : 0, errors, referenceLength: ref.length };
}

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/u;

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of normalizeForScoring(text).split(' ')) {
    if (!word) continue;
    if (!CJK.test(word)) {
      out.push(word);
      continue;
    }
    let latin = '';
    for (const ch of word) {
      if (CJK.test(ch)) {
        if (latin) out.push(latin), (latin = '');
        out.push(ch);
      } else latin += ch;
    }
    if (latin) out.push(latin);
  }
  return out;
}

/** Sums errors and reference lengths over many pages (a micro-average, so long pages weigh more). */
export function pooled(rates: ErrorRate[]): ErrorRate {
  const errors = rates.reduce((s, r) => s + r.errors, 0);
  const referenceLength = rates.reduce((s, r) => s + r.referenceLength, 0);
  return { rate: referenceLength ? errors / referenceLength : 0, errors, referenceLength };
}

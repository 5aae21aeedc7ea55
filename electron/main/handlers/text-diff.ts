/**
 * Word-level diff of two texts (ocr:compare shows where fp16 and fp32 recognition differ). Whitespace
 * runs are tokens too, so concatenating the ops' text of one side gives that side back exactly.
 */
import type { TextDiffOp } from '../../common/ipc-contract.js';

/** Above this many DP cells (tokens × tokens after trimming) we diff line by line instead. */
const MAX_DP_CELLS = 8_000_000;

function tokenize(text: string): string[] {
  return text.split(/(\s+)/).filter((t) => t.length > 0);
}

function push(ops: TextDiffOp[], op: TextDiffOp['op'], text: string): void {
  const last = ops.at(-1);
  if (last && last.op === op) last.text += text;
  else ops.push({ op, text });
}

/** LCS diff of token arrays; common prefix and suffix are trimmed first (fp16 vs fp32 texts are nearly equal). */
function diffTokens(a: string[], b: string[]): TextDiffOp[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: TextDiffOp[] = [];
  if (start > 0) push(ops, 'equal', a.slice(0, start).join(''));
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) {
    if (n > 0) push(ops, 'delete', a.slice(start, endA).join(''));
    if (m > 0) push(ops, 'insert', b.slice(start, endB).join(''));
  } else if ((n + 1) * (m + 1) > MAX_DP_CELLS) {
    push(ops, 'delete', a.slice(start, endA).join(''));
    push(ops, 'insert', b.slice(start, endB).join(''));
  } else {
    // lcs[i][j] = LCS length of a[start+i..endA) and b[start+j..endB)
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[start + i] === b[start + j]) {
        push(ops, 'equal', a[start + i]!);
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) {
        push(ops, 'delete', a[start + i++]!);
      } else {
        push(ops, 'insert', b[start + j++]!);
      }
    }
    while (i < n) push(ops, 'delete', a[start + i++]!);
    while (j < m) push(ops, 'insert', b[start + j++]!);
  }
  if (endA < a.length) push(ops, 'equal', a.slice(endA).join(''));
  return ops;
}

export function diffWords(before: string, after: string): { ops: TextDiffOp[]; changedWordCount: number } {
  const ops = diffTokens(tokenize(before), tokenize(after));
  let changedWordCount = 0;
  for (const op of ops) if (op.op !== 'equal') changedWordCount += tokenize(op.text).filter((t) => t.trim()).length;
  return { ops, changedWordCount };
}

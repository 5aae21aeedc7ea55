import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { documentText, pageText } from '../../../../engines/layout/page-text.js';
import type { Block, Page, PageFailure } from '../../../../engines/types.js';

function block(id: string, ...lines: string[]): Block {
  return {
    id,
    bbox: { x: 0, y: 0, width: 1, height: 1 },
    lines: lines.map((text, i) => ({ id: `${id}-l${i}`, text, confidence: 1, quad: [[0, 0], [1, 0], [1, 1], [0, 1]], words: [] })),
  };
}

function page(index: number, blocks: Block[]): Pick<Page, 'index' | 'blocks'> {
  return { index, blocks };
}

const failure = (index: number, code: 'CORRUPT_FILE' | 'PAGE_OUT_OF_RANGE' = 'CORRUPT_FILE'): PageFailure => ({
  index,
  error: { name: 'OcrError', code, message: 'x', isInputError: true },
});

describe('pageText', () => {
  test('lines by newline, blocks by a blank line, no trailing newline', () => {
    assert.equal(pageText([block('a', 'one', 'two'), block('b', 'three')]), 'one\ntwo\n\nthree');
    assert.equal(pageText([]), '');
    assert.equal(pageText([block('a'), block('b', 'x')]), 'x');
  });

  test('table rows: cells by tab, rows by one newline, paragraphs around them by a blank line', () => {
    const row = (id: string, ...cells: string[]) => ({ ...block(id, ...cells), kind: 'table-row' as const });
    assert.equal(pageText([block('a', 'intro'), row('r1', 'A', 'B'), row('r2', 'C', 'D'), block('b', 'outro')]), 'intro\n\nA\tB\nC\tD\n\noutro');
  });
});

describe('documentText', () => {
  test('pages separated by a form feed on its own line, ending with a newline', () => {
    const doc = { pages: [page(0, [block('a', 'p1')]), page(1, [block('b', 'p2a'), block('c', 'p2b')])] as Page[], failures: [] };
    const text = documentText(doc);
    assert.equal(text, 'p1\n\fp2a\n\np2b\n');
    assert.deepEqual(text.split('\f').map((t) => t.trim()), ['p1', 'p2a\n\np2b']);
  });

  test('a failed page keeps its place as an empty page; out-of-range failures do not', () => {
    const doc = { pages: [page(0, [block('a', 'one')]), page(2, [block('b', 'three')])] as Page[], failures: [failure(1), failure(9, 'PAGE_OUT_OF_RANGE')] };
    assert.deepEqual(documentText(doc).split('\f').map((t) => t.trim()), ['one', '', 'three']);
  });

  test('custom separator; empty document', () => {
    const doc = { pages: [page(1, [block('b', 'B')]), page(0, [block('a', 'A')])] as Page[], failures: [] };
    assert.equal(documentText(doc, { pageSeparator: '\n\n---\n\n' }), 'A\n\n---\n\nB\n');
    assert.equal(documentText({ pages: [], failures: [] }), '');
  });
});

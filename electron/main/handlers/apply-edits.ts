/**
 * The user's corrections applied to a result before export: a line's text is replaced, its word boxes are
 * re-split from the new text along the line's quad, and page text is rebuilt. The stored OCR result is
 * never modified (a copy is returned).
 */
import { pageText } from '../../../engines/layout/page-text.js';
import { buildWordsFromText } from '../../../engines/layout/words.js';
import type { OcrDocument, Page } from '../../../engines/types.js';
import type { LineId } from '../../common/ipc-contract.js';

export function applyEdits(doc: OcrDocument, edits: Record<LineId, string> | undefined): OcrDocument {
  if (!edits || Object.keys(edits).length === 0) return doc;
  // Line ids are `p{page}-l{index}`; look them up by id, so an edit for a line that no longer exists
  // (the page was re-recognised) is simply ignored.
  return { ...doc, pages: doc.pages.map((p) => applyPageEdits(p, edits)) };
}

function applyPageEdits(page: Page, edits: Record<LineId, string>): Page {
  let touched = false;
  const blocks = page.blocks.map((b) => {
    let blockTouched = false;
    const lines = b.lines.map((l) => {
      const text = Object.hasOwn(edits, l.id) ? edits[l.id]! : undefined;
      if (text === undefined || text === l.text) return l;
      blockTouched = true;
      // An edited line is the user's text: full confidence, words re-split along the same quad.
      return { ...l, text, confidence: 1, words: buildWordsFromText(text, l.quad, 1) };
    });
    if (!blockTouched) return b;
    touched = true;
    return { ...b, lines };
  });
  if (!touched) return page;
  return { ...page, blocks, text: pageText(blocks) };
}

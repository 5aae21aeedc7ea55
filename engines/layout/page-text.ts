// Plain text of pages and documents, in reading order.
import type { Block, OcrDocument } from '../types.js';

/**
 * A page's text: lines joined by '\n', blocks (paragraphs) by a blank line. Table rows are tab-separated values:
 * a row's cells joined by '\t', consecutive rows by a single '\n', so a table pasted into a spreadsheet keeps its
 * columns. No trailing newline.
 */
export function pageText(blocks: readonly Block[]): string {
  let out = '';
  let previous: Block | undefined;
  for (const b of blocks) {
    const text = b.lines.map((l) => l.text).join(b.kind === 'table-row' ? '\t' : '\n');
    if (text.length === 0) continue;
    if (previous) out += previous.kind === 'table-row' && b.kind === 'table-row' ? '\n' : '\n\n';
    out += text;
    previous = b;
  }
  return out;
}

export interface DocumentTextOptions {
  /**
   * Written between two pages. Default '\n\f': a form feed on a line of its own, which is what pdftotext and
   * Tesseract write between pages, so `split('\f')` gives the pages back and tools that page by form feed
   * (pr, less, editors' page-break display) work. Single-page documents therefore contain no control character.
   */
  pageSeparator?: string;
}

/**
 * The document's text: each page's text, pages separated by `pageSeparator`, ending with one '\n' (empty
 * string for a document without pages). Pages appear in index order. A page that failed (doc.failures) is
 * written as an empty page, so in a whole-document run the n-th form-feed-delimited chunk is page n; failures
 * for pages that do not exist (PAGE_OUT_OF_RANGE) are skipped. Page text is rebuilt from the blocks, so edits
 * to lines show up without recomputing Page.text.
 */
export function documentText(doc: Pick<OcrDocument, 'pages' | 'failures'>, options: DocumentTextOptions = {}): string {
  const separator = options.pageSeparator ?? '\n\f';
  const texts = new Map<number, string>();
  for (const f of doc.failures) if (f.error.code !== 'PAGE_OUT_OF_RANGE') texts.set(f.index, '');
  for (const p of doc.pages) texts.set(p.index, pageText(p.blocks));
  if (texts.size === 0) return '';
  const indices = [...texts.keys()].sort((a, b) => a - b);
  return indices.map((i) => texts.get(i)!).join(separator) + '\n';
}

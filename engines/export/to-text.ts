// Plain-text export: the document's text in reading order (see layout/page-text.ts for the page conventions).
import { documentText, type DocumentTextOptions } from '../layout/page-text.js';
import type { OcrDocument } from '../types.js';

export type TextExportOptions = DocumentTextOptions;

/**
 * UTF-8 text of the document: lines by '\n', paragraphs by a blank line, pages separated by a form feed on a
 * line of its own ('\n\f', as pdftotext and Tesseract write; options.pageSeparator overrides), ending with '\n'.
 */
export function toText(doc: OcrDocument, options: TextExportOptions = {}): string {
  return documentText(doc, options);
}

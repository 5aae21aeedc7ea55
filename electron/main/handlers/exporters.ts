/**
 * One entry point for every export format (engines/export/*), shared by export:save, export:render and
 * the CLI.
 */
import { toAlto } from '../../../engines/export/to-alto.js';
import { toHocr } from '../../../engines/export/to-hocr.js';
import { toJson } from '../../../engines/export/to-json.js';
import { toSearchablePdf } from '../../../engines/export/to-searchable-pdf.js';
import { toText } from '../../../engines/export/to-text.js';
import { OcrError } from '../../../engines/errors.js';
import type { OcrDocument } from '../../../engines/types.js';
import type { ExportFormat } from '../../common/ipc-contract.js';

export interface RenderedExport {
  mimeType: string;
  /** Without the dot: `txt`, `json`, `pdf`, `hocr`, `xml`. */
  extension: string;
  bytes: Uint8Array;
}

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = {
  txt: 'txt',
  json: 'json',
  pdf: 'pdf',
  hocr: 'hocr',
  alto: 'xml',
};

/** The page image a searchable PDF draws under its text (the worker renders it: same pixels as the OCR). */
export type PageImageSource = (pageIndex: number, dpi: number | undefined) => Promise<{ bytes: Uint8Array; width: number; height: number }>;

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Renders `doc` (edits already applied) in `format`. `pageImage` is needed for 'pdf' only. */
export async function renderExport(doc: OcrDocument, format: ExportFormat, pageImage?: PageImageSource): Promise<RenderedExport> {
  switch (format) {
    case 'txt':
      return { mimeType: 'text/plain; charset=utf-8', extension: 'txt', bytes: utf8(toText(doc)) };
    case 'json':
      return { mimeType: 'application/json', extension: 'json', bytes: utf8(toJson(doc)) };
    case 'hocr':
      return { mimeType: 'text/html; charset=utf-8', extension: 'hocr', bytes: utf8(toHocr(doc)) };
    case 'alto':
      return { mimeType: 'application/xml', extension: 'xml', bytes: utf8(toAlto(doc)) };
    case 'pdf': {
      if (!pageImage) throw new OcrError('INTERNAL', 'A searchable PDF needs the page images.', { file: doc.source.name });
      const bytes = await toSearchablePdf(doc, async (page) => {
        const img = await pageImage(page.index, page.dpi);
        // pdf-lib's JPEG embedder reads `bytes.buffer` from offset 0 (it ignores byteOffset), and bytes that
        // crossed the worker channel are usually a view into a larger buffer: hand it a buffer of its own.
        const bytes = img.bytes.byteOffset === 0 && img.bytes.byteLength === img.bytes.buffer.byteLength ? img.bytes : img.bytes.slice();
        return { pageIndex: page.index, bytes, widthPx: img.width, heightPx: img.height };
      });
      return { mimeType: 'application/pdf', extension: 'pdf', bytes };
    }
  }
}

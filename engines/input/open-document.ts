/**
 * The one way into a document: a path or dropped bytes → a DocumentReader that decodes/renders one page
 * at a time. Everything wrong with the input surfaces here or in renderPage as an OcrError with a stable
 * code, the display name of the file and (where it applies) the 0-based page.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DocumentInput } from '../api.js';
import { OcrError, isOcrError, toOcrError } from '../errors.js';
import type { DocumentSourceInfo } from '../types.js';
import { openImage, type OpenedImage } from './image-reader.js';
import { openPdf, type OpenedPdf } from './pdf-reader.js';
import { sniffOrThrow } from './sniff.js';
import {
  DEFAULT_MAX_INPUT_PIXELS,
  DEFAULT_MAX_PAGES,
  DEFAULT_MAX_PIXELS,
  type DocumentReader,
  type OpenDocumentOptions,
  type PageImage,
  type RenderOptions,
  type TextLayerPage,
} from './types.js';

/** Node cannot read a file over 2 GiB into one buffer; no page image we accept comes near that. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

async function readInput(input: DocumentInput): Promise<{ bytes: Uint8Array; name: string; path?: string }> {
  if (typeof input !== 'string') {
    if (!input || !(input.bytes instanceof Uint8Array) || typeof input.name !== 'string') {
      throw new OcrError('INVALID_ARGUMENT', 'openDocument needs a file path or { name, bytes: Uint8Array }.');
    }
    return { bytes: input.bytes, name: input.name || 'untitled' };
  }
  const full = path.resolve(input);
  const name = path.basename(full);
  let stat;
  try {
    stat = await fs.stat(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new OcrError('NOT_FOUND', `${input} does not exist.`, { file: name, cause: e });
    throw new OcrError('NOT_FOUND', `${input} cannot be opened (${code ?? (e as Error).message}).`, { file: name, cause: e });
  }
  if (stat.isDirectory()) {
    throw new OcrError('INVALID_ARGUMENT', `${input} is a folder; open the files inside it (listInputFiles expands folders).`, { file: name });
  }
  if (stat.size > MAX_FILE_BYTES) {
    throw new OcrError('INVALID_ARGUMENT', `${name} is ${(stat.size / 2 ** 30).toFixed(1)} GiB; Lucid OCR reads files up to 2 GiB.`, { file: name });
  }
  try {
    const buf = await fs.readFile(full);
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), name, path: full };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OcrError('NOT_FOUND', `${input} cannot be read (${code ?? (e as Error).message}).`, { file: name, cause: e });
  }
}

export async function openDocument(input: DocumentInput, opts: OpenDocumentOptions = {}): Promise<DocumentReader> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxInputPixels = opts.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const { bytes, name, path: filePath } = await readInput(input);
  try {
    const sniffed = sniffOrThrow(bytes, name);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const info = (pageCount: number): DocumentSourceInfo => ({
      ...(filePath ? { path: filePath } : {}),
      name,
      sha256,
      mimeType: sniffed.mimeType,
      byteLength: bytes.byteLength,
      pageCount,
    });
    // Warnings about the file as a whole ride on the first page rendered (whichever the caller picks).
    const fileWarnings = [...sniffed.warnings];
    const takeFileWarnings = (): string[] => fileWarnings.splice(0);

    if (sniffed.type === 'pdf') {
      const pdf = await openPdf(bytes, name, { maxPages, maxPixels });
      return pdfReader(pdf, info(pdf.pageCount), takeFileWarnings);
    }
    const image = await openImage(bytes, name, sniffed.type, { maxPixels, maxInputPixels });
    fileWarnings.push(...image.warnings);
    return imageReader(image, info(image.pageCount), name, takeFileWarnings);
  } catch (e) {
    throw isOcrError(e) ? e.withContext({ file: name }) : toOcrError(e, { file: name });
  }
}

function withWarnings(page: PageImage, extra: string[]): PageImage {
  return extra.length ? { ...page, warnings: [...extra, ...page.warnings] } : page;
}

function pdfReader(pdf: OpenedPdf, info: DocumentSourceInfo, fileWarnings: () => string[]): DocumentReader {
  return {
    info,
    kind: 'pdf',
    pageCount: pdf.pageCount,
    renderPage: async (index: number, opts?: RenderOptions) => withWarnings(await pdf.renderPage(index, opts?.dpi), fileWarnings()),
    textLayer: (index: number, opts?: RenderOptions): Promise<TextLayerPage | null> => pdf.textLayer(index, opts?.dpi),
    close: () => pdf.close(),
  };
}

function imageReader(image: OpenedImage, info: DocumentSourceInfo, name: string, fileWarnings: () => string[]): DocumentReader {
  let closed = false;
  // One decode at a time, like PDFs: a multi-page TIFF never has two pages decoded at once.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    info,
    kind: 'image',
    pageCount: image.pageCount,
    renderPage: (index: number) => {
      const run = queue.then(async () => {
        if (closed) throw new OcrError('INVALID_ARGUMENT', `${name} is already closed.`, { file: name, page: index });
        if (!Number.isInteger(index) || index < 0 || index >= image.pageCount) {
          throw new OcrError('PAGE_OUT_OF_RANGE', `${name} has ${image.pageCount} page${image.pageCount === 1 ? '' : 's'}; page ${index + 1} does not exist.`, { file: name, page: index });
        }
        try {
          return withWarnings(await image.readPage(index), fileWarnings());
        } catch (e) {
          throw isOcrError(e) ? e.withContext({ file: name, page: index }) : toOcrError(e, { file: name, page: index });
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
    textLayer: async () => null,
    close: async () => {
      closed = true;
    },
  };
}

// The page limit at its edge (issue 5): a 10 000-page PDF (DEFAULT_MAX_PAGES) opens without rendering its
// pages, a late page renders and is recognised by the real pipeline with memory bounded by one page, and
// 10 001 pages are refused with PDF_TOO_MANY_PAGES naming the limit. The PDFs are written directly (see
// bigPdf): blank pages sharing one empty content stream, and one page with a line of text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OcrError } from '../../../../engines/errors.js';
import { openDocument } from '../../../../engines/input/open-document.js';
import { DEFAULT_MAX_PAGES } from '../../../../engines/input/types.js';
import { createOcrPipeline } from '../../../../engines/pipeline.js';

const LATE_PAGE_INDEX = 9998; // page 9999
const LATE_TEXT = 'Late Page Nine';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lucid-page-limit-'));
let limitPdf = '';
let overPdf = '';

/**
 * `pageCount` 300×80 pt pages sharing one empty content stream, one with a line of Helvetica on
 * `textIndex`. Written directly (a flat page tree, one xref table): pdf-lib's addPage is O(pages) per call,
 * which makes 10 000 pages take tens of seconds on this machine; this takes milliseconds.
 */
function bigPdf(pageCount: number, textIndex: number): Buffer {
  const firstPage = 6;
  const text = `BT /F1 24 Tf 16 30 Td (${LATE_TEXT}) Tj ET`;
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count ${pageCount} /Kids [${Array.from({ length: pageCount }, (_, i) => `${firstPage + i} 0 R`).join(' ')}] >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Length 0 >>\nstream\n\nendstream',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
  ];
  for (let i = 0; i < pageCount; i++) {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 80] /Resources << /Font << /F1 3 0 R >> >> /Contents ${i === textIndex ? 5 : 4} 0 R >>`);
  }
  const parts: string[] = ['%PDF-1.4\n'];
  const offsets: number[] = [];
  let at = parts[0]!.length;
  objects.forEach((body, i) => {
    const obj = `${i + 1} 0 obj\n${body}\nendobj\n`;
    offsets.push(at);
    parts.push(obj);
    at += obj.length; // ASCII only: characters = bytes
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(xref, `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`);
  return Buffer.from(parts.join(''), 'latin1');
}

before(async () => {
  const t0 = performance.now();
  limitPdf = path.join(tmp, 'ten-thousand.pdf');
  writeFileSync(limitPdf, bigPdf(DEFAULT_MAX_PAGES, LATE_PAGE_INDEX));
  overPdf = path.join(tmp, 'ten-thousand-and-one.pdf');
  writeFileSync(overPdf, bigPdf(DEFAULT_MAX_PAGES + 1, -1));
  console.log(`# built the 10000- and 10001-page PDFs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe(`a PDF at the ${DEFAULT_MAX_PAGES}-page limit`, { timeout: 120_000 }, () => {
  test('opens without rendering its pages and renders a late page; memory stays bounded', async () => {
    // Baseline with pdfjs (and its canvas, fonts, wasm) already loaded, by a 1-page PDF of the same kind.
    const warm = await openDocument({ name: 'one.pdf', bytes: new Uint8Array(bigPdf(1, 0)) });
    await warm.renderPage(0, { dpi: 150 });
    await warm.close();
    const rssBefore = process.memoryUsage().rss;
    const reader = await openDocument(limitPdf);
    try {
      assert.equal(reader.kind, 'pdf');
      assert.equal(reader.pageCount, DEFAULT_MAX_PAGES);
      const rssOpen = process.memoryUsage().rss;
      const page = await reader.renderPage(LATE_PAGE_INDEX, { dpi: 150 });
      // 300×80 pt at 150 dpi.
      assert.equal(page.image.width, 625);
      assert.equal(page.image.height, 167);
      // Ink where the text is, so the late page really rendered (not a blank fallback).
      let dark = 0;
      for (let i = 0; i < page.image.data.length; i += 3) if (page.image.data[i]! < 128) dark++;
      assert.ok(dark > 500, `page ${LATE_PAGE_INDEX + 1} has text pixels (${dark})`);
      const rssAfter = process.memoryUsage().rss;
      const growthMb = (rssAfter - rssBefore) / 1048576;
      console.log(`# RSS: ${(rssBefore / 1048576).toFixed(0)} MB before, ${(rssOpen / 1048576).toFixed(0)} MB opened, ${(rssAfter / 1048576).toFixed(0)} MB after rendering page ${LATE_PAGE_INDEX + 1} (+${growthMb.toFixed(0)} MB)`);
      // All 10 000 pages at 150 dpi would be ~3 GB of RGB; one page plus pdfjs's xref is a few tens of MB.
      assert.ok(growthMb < 150, `RSS grew ${growthMb.toFixed(0)} MB opening a 10000-page PDF and rendering one page`);
    } finally {
      await reader.close();
    }
  });

  test(`page ${LATE_PAGE_INDEX + 1} is recognised by the pipeline (only that page)`, async () => {
    const pipeline = await createOcrPipeline({ ep: 'cpu' });
    try {
      const doc = await pipeline.recognizeFile(limitPdf, { pages: [LATE_PAGE_INDEX], pdfMode: 'ocr', dpi: 150 });
      assert.equal(doc.source.pageCount, DEFAULT_MAX_PAGES);
      assert.deepEqual(
        doc.pages.map((p) => p.index),
        [LATE_PAGE_INDEX],
      );
      assert.equal(doc.failures.length, 0);
      assert.match(doc.pages[0]!.text, /Late\s*Page\s*Nine/i);
    } finally {
      await pipeline.dispose();
    }
  });
});

test(`${DEFAULT_MAX_PAGES + 1} pages are refused with PDF_TOO_MANY_PAGES naming the limit`, { timeout: 60_000 }, async () => {
  await assert.rejects(openDocument(overPdf), (e: unknown) => {
    assert.ok(e instanceof OcrError);
    assert.equal(e.code, 'PDF_TOO_MANY_PAGES');
    assert.match(e.message, new RegExp(`has ${DEFAULT_MAX_PAGES + 1} pages; Lucid OCR opens PDFs of up to ${DEFAULT_MAX_PAGES} pages`));
    assert.equal(e.isInputError, true);
    return true;
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts, degrees, rgb } from 'pdf-lib';
import { OcrError } from '../../../../engines/errors.js';
import { openPdf, pdfjsAssetDirs, type OpenedPdf } from '../../../../engines/input/pdf-reader.js';
import type { Quad, RgbImage } from '../../../../engines/types.js';

const PDF_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pdf');
const BAD_DIR = path.resolve(PDF_DIR, '../bad');
const load = (dir: string, name: string) => new Uint8Array(readFileSync(path.join(dir, name)));

/** Fraction of dark pixels inside the axis-aligned box around a quad. */
function darkInside(img: RgbImage, q: Quad): number {
  const x0 = Math.max(0, Math.floor(Math.min(...q.map((p) => p[0]))));
  const x1 = Math.min(img.width, Math.ceil(Math.max(...q.map((p) => p[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...q.map((p) => p[1]))));
  const y1 = Math.min(img.height, Math.ceil(Math.max(...q.map((p) => p[1]))));
  let dark = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 3;
      if (img.data[i]! + img.data[i + 1]! + img.data[i + 2]! < 3 * 128) dark++;
      n++;
    }
  }
  return n ? dark / n : 0;
}

function darkFraction(img: RgbImage): number {
  return darkInside(img, [[0, 0], [img.width, 0], [img.width, img.height], [0, img.height]]);
}

describe('pdf-reader: rendering', () => {
  let prose: OpenedPdf;
  before(async () => {
    prose = await openPdf(load(PDF_DIR, 'gnuplot-p22-prose.pdf'), 'gnuplot-p22-prose.pdf');
  });
  after(() => prose.close());

  test('asset directories exist and end with a separator (pdfjs requires it)', () => {
    for (const dir of Object.values(pdfjsAssetDirs())) {
      assert.ok(dir.endsWith(path.sep), dir);
      assert.ok(readFileSync(path.join(dir, '..', 'package.json')).length > 0);
    }
    assert.ok(readFileSync(path.join(pdfjsAssetDirs().standardFontDataUrl, 'FoxitSerif.pfb')).length > 1000);
  });

  for (const [dpi, w, h] of [
    [150, 1275, 1650],
    [300, 2550, 3300],
  ] as const) {
    test(`US Letter page at ${dpi} dpi is ${w} × ${h} px, white paper, dark text where pdfjs puts text`, async () => {
      const page = await prose.renderPage(0, dpi);
      assert.deepEqual([page.image.width, page.image.height], [w, h]);
      assert.equal(page.image.data.length, w * h * 3);
      assert.equal(page.dpi, dpi);
      assert.deepEqual(page.sizePt, { width: 612, height: 792 });
      assert.deepEqual(page.warnings, []);
      assert.deepEqual(Array.from(page.image.data.subarray(0, 3)), [255, 255, 255], 'margin is white');
      const f = darkFraction(page.image);
      assert.ok(f > 0.02 && f < 0.2, `dark fraction ${f}`);

      // Every text line pdfjs reports has ink under it; the space between lines has little.
      const layer = await prose.textLayer(0, dpi);
      assert.equal(layer.width, w);
      assert.equal(layer.height, h);
      for (const line of layer.lines) {
        const d = darkInside(page.image, line.quad);
        assert.ok(d > 0.08, `line "${line.text.slice(0, 30)}" has ${(d * 100).toFixed(1)}% dark pixels`);
      }
      console.log(`render ${dpi} dpi: ${page.decodeMs.toFixed(0)} ms`);
    });
  }

  test('a /Rotate 90 page renders landscape', async () => {
    const pdf = await openPdf(load(PDF_DIR, 'gnuplot-p22-rot90.pdf'), 'rot90.pdf');
    try {
      const page = await pdf.renderPage(0, 100);
      assert.deepEqual([page.image.width, page.image.height], [1100, 850]);
      assert.deepEqual(page.sizePt, { width: 792, height: 612 });
      // Lines now run down the page: the ink of the first text line is a tall, narrow strip.
      const layer = await pdf.textLayer(0, 100);
      const body = layer.lines.find((l) => l.text.startsWith('include interactive'))!;
      const xs = body.quad.map((p) => p[0]);
      const ys = body.quad.map((p) => p[1]);
      assert.ok(Math.max(...ys) - Math.min(...ys) > 5 * (Math.max(...xs) - Math.min(...xs)));
      assert.ok(darkInside(page.image, body.quad) > 0.08);
    } finally {
      await pdf.close();
    }
  });

  test('image-only page renders its scan', async () => {
    const pdf = await openPdf(load(PDF_DIR, 'gnuplot-p22-scan.pdf'), 'scan.pdf');
    try {
      const page = await pdf.renderPage(0, 100);
      assert.deepEqual([page.image.width, page.image.height], [850, 1100]);
      // The scan was made from the same page: the renders nearly agree.
      const original = await prose.renderPage(0, 100);
      let diff = 0;
      for (let i = 0; i < page.image.data.length; i++) diff += Math.abs(page.image.data[i]! - original.image.data[i]!);
      const mean = diff / page.image.data.length;
      assert.ok(mean < 12, `mean difference from the born-digital render ${mean.toFixed(2)}`);
    } finally {
      await pdf.close();
    }
  });

  test('a Node Buffer opens like a Uint8Array and stays the caller\'s (pdf.js refuses Buffers and may detach what it gets)', async () => {
    const file = readFileSync(path.join(PDF_DIR, 'gnuplot-p22-scan.pdf'));
    const before = Buffer.from(file);
    const pdf = await openPdf(file, 'buffer.pdf');
    try {
      assert.equal(pdf.pageCount, 1);
      assert.deepEqual([(await pdf.renderPage(0, 50)).image.width], [425]);
    } finally {
      await pdf.close();
    }
    assert.ok(file.equals(before), 'the caller\'s bytes are untouched');
  });

  test('maxPixels lowers the resolution, with a warning', async () => {
    const pdf = await openPdf(load(PDF_DIR, 'gnuplot-p22-prose.pdf'), 'p.pdf', { maxPixels: 1_000_000 });
    try {
      const page = await pdf.renderPage(0, 300);
      assert.ok(page.image.width * page.image.height <= 1_000_000);
      assert.ok(page.dpi! < 300 && page.dpi! > 100, `dpi ${page.dpi}`);
      assert.equal(page.image.width, Math.round((612 * page.dpi!) / 72));
      assert.match(page.warnings[0]!, /p\.pdf, page 1: at 300 dpi the page would be 2550 × 3300 pixels.*rendered at [\d.]+ dpi/);
    } finally {
      await pdf.close();
    }
  });

  test('renders are serialised: concurrent calls give the same pixels as sequential ones', async () => {
    const [a, b] = await Promise.all([prose.renderPage(0, 72), prose.renderPage(0, 72)]);
    assert.deepEqual(a.image.data, b.image.data);
  });

  test('bad arguments', async () => {
    await assert.rejects(prose.renderPage(1), (e: unknown) => e instanceof OcrError && e.code === 'PAGE_OUT_OF_RANGE' && e.page === 1);
    await assert.rejects(prose.renderPage(-1), { code: 'PAGE_OUT_OF_RANGE' });
    await assert.rejects(prose.renderPage(0, 5000), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(prose.renderPage(0, Number.NaN), { code: 'INVALID_ARGUMENT' });
  });
});

describe('pdf-reader: fonts', () => {
  test('non-embedded standard fonts render from pdfjs-dist/standard_fonts (offline)', async () => {
    // pdf-lib's standard fonts are referenced by name only: without standardFontDataUrl nothing would be drawn.
    const doc = await PDFDocument.create({ updateMetadata: false });
    const page = doc.addPage([400, 200]);
    for (const [i, name] of [StandardFonts.Helvetica, StandardFonts.TimesRoman, StandardFonts.Courier].entries()) {
      page.drawText(`Standard fonts render offline ${i + 1}`, { x: 20, y: 160 - i * 50, size: 18, font: await doc.embedFont(name) });
    }
    const pdf = await openPdf(await doc.save(), 'standard-fonts.pdf');
    try {
      const img = (await pdf.renderPage(0, 144)).image;
      const layer = await pdf.textLayer(0, 144);
      assert.equal(layer.lines.length, 3);
      for (const line of layer.lines) {
        const d = darkInside(img, line.quad);
        assert.ok(d > 0.1, `"${line.text}" has ${(d * 100).toFixed(1)}% dark pixels`);
      }
    } finally {
      await pdf.close();
    }
  });
});

describe('pdf-reader: documents', () => {
  test('multi-page PDF: page count and each page renders', async () => {
    const pdf = await openPdf(load(PDF_DIR, 'multipage-3.pdf'), 'multipage-3.pdf');
    try {
      assert.equal(pdf.pageCount, 3);
      for (let i = 0; i < 3; i++) assert.equal((await pdf.renderPage(i, 72)).image.width, 612);
    } finally {
      await pdf.close();
    }
  });

  test('a page canvas reused by the next page of its size gives the pixels of a fresh one', async () => {
    // Pages of two sizes, each with content that leaves transforms, clips and colours behind if not undone.
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (const [i, size] of ([[300, 200], [300, 200], [200, 300], [300, 200]] as [number, number][]).entries()) {
      const page = doc.addPage(size);
      page.drawRectangle({ x: 10 + 20 * i, y: 10, width: 80, height: 40, color: rgb(0.2 * i, 0.5, 0.1), rotate: degrees(15 * i), opacity: 0.5 });
      page.drawText(`Page ${i + 1}`, { x: 30, y: 120, size: 24, font, rotate: degrees(10 * i) });
    }
    const bytes = await doc.save();
    const reused = await openPdf(bytes, 'reuse.pdf', { scanImageFastPath: false });
    try {
      for (let i = 0; i < 4; i++) {
        const fresh = await openPdf(bytes, 'fresh.pdf', { scanImageFastPath: false });
        try {
          const a = (await reused.renderPage(i, 96)).image;
          const b = (await fresh.renderPage(i, 96)).image;
          assert.deepEqual([a.width, a.height], [b.width, b.height]);
          assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `page ${i + 1}: same pixels as a fresh canvas`);
        } finally {
          await fresh.close();
        }
      }
      // The same page again on the same canvas: identical.
      const first = (await reused.renderPage(0, 96)).image;
      const again = (await reused.renderPage(0, 96)).image;
      assert.ok(Buffer.from(first.data).equals(Buffer.from(again.data)));
      assert.notEqual(first.data.buffer, again.data.buffer, 'every page gets its own pixel buffer');
    } finally {
      await reused.close();
    }
  });

  test('more pages than maxPages → PDF_TOO_MANY_PAGES naming both counts', async () => {
    await assert.rejects(openPdf(load(PDF_DIR, 'multipage-3.pdf'), 'multipage-3.pdf', { maxPages: 2 }), (e: unknown) => {
      assert.ok(e instanceof OcrError);
      assert.equal(e.code, 'PDF_TOO_MANY_PAGES');
      assert.match(e.message, /multipage-3\.pdf has 3 pages.*up to 2 pages/);
      return true;
    });
  });

  test('password-protected → PDF_ENCRYPTED', async () => {
    await assert.rejects(openPdf(load(BAD_DIR, 'encrypted.pdf'), 'encrypted.pdf'), (e: unknown) => {
      assert.ok(e instanceof OcrError);
      assert.equal(e.code, 'PDF_ENCRYPTED');
      assert.equal(e.file, 'encrypted.pdf');
      assert.match(e.message, /encrypted\.pdf is password-protected/);
      return true;
    });
  });

  test('malformed → CORRUPT_FILE', async () => {
    await assert.rejects(openPdf(load(BAD_DIR, 'malformed.pdf'), 'malformed.pdf'), { code: 'CORRUPT_FILE' });
  });

  test('a PDF cut in half → CORRUPT_FILE or pages that still render, never a crash', async () => {
    const whole = load(PDF_DIR, 'multipage-3.pdf');
    const half = whole.subarray(0, Math.floor(whole.length / 2));
    try {
      const pdf = await openPdf(half, 'half.pdf');
      for (let i = 0; i < pdf.pageCount; i++) {
        await pdf.renderPage(i, 36).catch((e: unknown) => assert.ok(e instanceof OcrError && e.code === 'CORRUPT_FILE' && e.page === i));
      }
      await pdf.close();
    } catch (e) {
      assert.ok(e instanceof OcrError && e.code === 'CORRUPT_FILE', String(e));
    }
  });

  test('closed documents refuse work', async () => {
    const pdf = await openPdf(load(PDF_DIR, 'gnuplot-p30-code.pdf'), 'c.pdf');
    await pdf.close();
    await pdf.close();
    await assert.rejects(pdf.renderPage(0), { code: 'INVALID_ARGUMENT' });
  });
});

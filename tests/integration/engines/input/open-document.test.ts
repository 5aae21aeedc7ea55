import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OcrError, describeError } from '../../../../engines/errors.js';
import { openDocument } from '../../../../engines/input/open-document.js';
import type { OcrErrorCode } from '../../../../engines/types.js';
import { buildGreyPng } from '../../../fixtures/png-bytes.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const bad = (name: string) => path.join(FIXTURES, 'bad', name);

async function expectCode(p: Promise<unknown>, code: OcrErrorCode, file: string, page?: number): Promise<OcrError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OcrError, `expected OcrError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.file, file);
    assert.ok(e.message.includes(file), `"${e.message}" should name ${file}`);
    if (page !== undefined) assert.equal(e.page, page);
    assert.equal(e.isInputError, true);
    // One line for the CLI.
    assert.ok(!describeError(e).includes('\n'));
    return e;
  }
  assert.fail(`expected ${code} for ${file}`);
}

describe('bad inputs give typed errors naming the file', () => {
  const atOpen: [string, OcrErrorCode][] = [
    ['zero-byte.png', 'EMPTY_FILE'],
    ['text-named.png', 'UNSUPPORTED_TYPE'],
    ['unknown.xyz', 'UNSUPPORTED_TYPE'],
    ['garbage.jpg', 'CORRUPT_FILE'],
    ['truncated-header.jpg', 'TRUNCATED_FILE'],
    ['malformed.pdf', 'CORRUPT_FILE'],
    ['encrypted.pdf', 'PDF_ENCRYPTED'],
    ['bomb.png', 'IMAGE_TOO_LARGE'],
  ];
  for (const [file, code] of atOpen) {
    test(`${file} → ${code}`, async () => {
      await expectCode(openDocument(bad(file)), code, file);
    });
  }

  test('truncated.png opens (its header is intact) and fails on the page with TRUNCATED_FILE', async () => {
    const doc = await openDocument(bad('truncated.png'));
    await expectCode(doc.renderPage(0), 'TRUNCATED_FILE', 'truncated.png', 0);
  });

  test('truncated.jpg decodes with a warning', async () => {
    const doc = await openDocument(bad('truncated.jpg'));
    const page = await doc.renderPage(0);
    assert.equal(page.image.width, 400);
    assert.match(page.warnings.join(' '), /truncated\.jpg is truncated/);
  });

  test('the bomb fails from its header: fast, without allocating its pixels', async () => {
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const e = await expectCode(openDocument(bad('bomb.png')), 'IMAGE_TOO_LARGE', 'bomb.png');
    const ms = performance.now() - t0;
    assert.match(e.message, /100000 × 100000/);
    // 10 gigapixels would need 30 GB as RGB; we must not even have started.
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024);
    console.log(`bomb refused in ${ms.toFixed(1)} ms`);
  });

  test('30000 × 30000 from bytes: IMAGE_TOO_LARGE with the limit in the message', async () => {
    const e = await expectCode(openDocument({ name: 'mural.png', bytes: buildGreyPng({ width: 30_000, height: 30_000, storedRows: 4 }) }), 'IMAGE_TOO_LARGE', 'mural.png');
    assert.match(e.message, /30000 × 30000.*268 megapixels/);
  });

  test('missing file → NOT_FOUND', async () => {
    await expectCode(openDocument(path.join(FIXTURES, 'no-such-file.png')), 'NOT_FOUND', 'no-such-file.png');
  });

  test('a folder → INVALID_ARGUMENT', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lucid-open-'));
    try {
      await expectCode(openDocument(dir), 'INVALID_ARGUMENT', path.basename(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('page index out of range → PAGE_OUT_OF_RANGE with the page', async () => {
    const doc = await openDocument(path.join(FIXTURES, 'formats', 'text.png'));
    await expectCode(doc.renderPage(3), 'PAGE_OUT_OF_RANGE', 'text.png', 3);
  });
});

describe('document info and readers', () => {
  test('image from a path: info, kind, no text layer', async () => {
    const file = path.join(FIXTURES, 'formats', 'three-pages.tif');
    const bytes = readFileSync(file);
    const doc = await openDocument(file);
    assert.equal(doc.kind, 'image');
    assert.equal(doc.pageCount, 3);
    assert.deepEqual(doc.info, {
      path: file,
      name: 'three-pages.tif',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      mimeType: 'image/tiff',
      byteLength: bytes.length,
      pageCount: 3,
    });
    assert.equal(await doc.textLayer(0), null);
    const page = await doc.renderPage(2);
    assert.equal(page.image.width, 640);
    assert.ok(page.decodeMs >= 0);
    await doc.close();
    await assert.rejects(doc.renderPage(0), { code: 'INVALID_ARGUMENT' });
  });

  test('PDF from bytes: info without a path, render and text layer agree on size', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, 'pdf', 'multipage-3.pdf')));
    const copy = bytes.slice();
    const doc = await openDocument({ name: 'upload.pdf', bytes });
    try {
      assert.equal(doc.kind, 'pdf');
      assert.equal(doc.pageCount, 3);
      assert.equal(doc.info.path, undefined);
      assert.equal(doc.info.name, 'upload.pdf');
      assert.equal(doc.info.mimeType, 'application/pdf');
      assert.equal(doc.info.sha256, createHash('sha256').update(copy).digest('hex'));
      const page = await doc.renderPage(1, { dpi: 96 });
      const layer = (await doc.textLayer(1, { dpi: 96 }))!;
      assert.deepEqual([page.image.width, page.image.height], [816, 1056]);
      assert.deepEqual([layer.width, layer.height], [816, 1056]);
      assert.equal(page.dpi, 96);
      assert.deepEqual(page.sizePt, { width: 612, height: 792 });
      // The caller's buffer is untouched (pdfjs would otherwise detach it).
      assert.deepEqual(bytes, copy);
    } finally {
      await doc.close();
    }
  });

  test('a JPEG named .png opens as JPEG; the warning rides on the first page rendered', async () => {
    const doc = await openDocument(path.join(FIXTURES, 'formats', 'jpeg-named-as.png'));
    assert.equal(doc.info.mimeType, 'image/jpeg');
    const first = await doc.renderPage(0);
    assert.match(first.warnings.join(' '), /named like a PNG image but is a JPEG image/);
    const again = await doc.renderPage(0);
    assert.deepEqual(again.warnings, []);
  });

  test('the content decides, not the name: a PDF saved without extension', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lucid-open-'));
    try {
      const file = path.join(dir, 'download');
      writeFileSync(file, readFileSync(path.join(FIXTURES, 'pdf', 'gnuplot-p30-code.pdf')));
      const doc = await openDocument(file);
      assert.equal(doc.kind, 'pdf');
      assert.equal((await doc.textLayer(0))!.usable, true);
      await doc.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('limits are passed through: maxPages', async () => {
    await expectCode(openDocument(path.join(FIXTURES, 'pdf', 'multipage-3.pdf'), { maxPages: 1 }), 'PDF_TOO_MANY_PAGES', 'multipage-3.pdf');
  });

  test('limits are passed through: maxPixels downscales images', async () => {
    const doc = await openDocument(path.join(FIXTURES, 'synthetic', 'a4-300dpi.png'), { maxPixels: 2_000_000 });
    const page = await doc.renderPage(0);
    assert.ok(page.image.width * page.image.height <= 2_000_000);
    assert.match(page.warnings.join(' '), /a4-300dpi\.png is 2480 × 3508 pixels/);
  });

  test('invalid input object → INVALID_ARGUMENT', async () => {
    await assert.rejects(openDocument({ name: 'x.png', bytes: 'nope' as unknown as Uint8Array }), { code: 'INVALID_ARGUMENT' });
  });
});

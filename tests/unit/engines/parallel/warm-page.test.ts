// The built-in warm-up document: A4 pages at 300 dpi, scans made from the shipped validation line images and a born-digital page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARM_DOCUMENT_DPI, WARM_DOCUMENT_KINDS, WARM_DOCUMENT_PAGES, WARM_PAGE_HEIGHT_PX, WARM_PAGE_WIDTH_PX, buildWarmDocument, buildWarmPage } from '../../../../engines/parallel/warm-page.js';

test('warm page: 300-dpi A4, white margins, ~50 rows of dark text, some joined to ~1800 px', async () => {
  const page = await buildWarmPage();
  assert.deepEqual([page.width, page.height, page.data.length], [WARM_PAGE_WIDTH_PX, WARM_PAGE_HEIGHT_PX, WARM_PAGE_WIDTH_PX * WARM_PAGE_HEIGHT_PX * 3]);
  const dark = (x: number, y: number) => page.data[(y * page.width + x) * 3]! < 128;
  // Rows that hold ink, as runs of consecutive inked pixel rows; and the widest inked extent of a row.
  let rows = 0, inRow = false, widest = 0, inkLeft = page.width, inkTop = page.height;
  for (let y = 0; y < page.height; y++) {
    let first = -1, last = -1;
    for (let x = 0; x < page.width; x++) if (dark(x, y)) ((first < 0 ? (first = x) : 0), (last = x));
    if (first >= 0) {
      if (!inRow) rows++;
      widest = Math.max(widest, last - first);
      inkLeft = Math.min(inkLeft, first);
      inkTop = Math.min(inkTop, y);
    }
    inRow = first >= 0;
  }
  assert.ok(rows >= 45 && rows <= 55, `${rows} text rows`);
  assert.ok(widest > 1500 && widest < WARM_PAGE_WIDTH_PX - 2 * inkLeft, `widest row ${widest} px`);
  assert.ok(inkLeft > 100 && inkTop > 100, `margins ${inkLeft} × ${inkTop} px`);
});

test('warm document: A4 pages at 300 dpi; scans take the scanned-image fast path (Flate exact, JPEG close), the born-digital page is drawn by pdf.js in colour', async () => {
  const { openDocument } = await import('../../../../engines/input/open-document.js');
  const bytes = await buildWarmDocument();
  const reader = await openDocument({ name: 'warm-up.pdf', bytes });
  try {
    assert.equal(reader.pageCount, WARM_DOCUMENT_PAGES);
    assert.equal(WARM_DOCUMENT_KINDS.length, WARM_DOCUMENT_PAGES);
    const firstRows: number[] = [];
    for (const [i, kind] of WARM_DOCUMENT_KINDS.entries()) {
      const { image, renderPath, renderPathReason } = await reader.renderPage(i, { dpi: WARM_DOCUMENT_DPI });
      assert.deepEqual([image.width, image.height], [WARM_PAGE_WIDTH_PX, WARM_PAGE_HEIGHT_PX], `page ${i + 1}`);
      let colour = 0;
      for (let k = 0; k < image.data.length; k += 3) if (image.data[k] !== image.data[k + 1] || image.data[k] !== image.data[k + 2]) colour++;
      if (kind === 'born-digital') {
        assert.equal(renderPath, 'render', `page ${i + 1}`);
        assert.ok(colour > 100_000, `page ${i + 1}: ${colour} coloured pixels`);
        const layer = await reader.textLayer(i, { dpi: WARM_DOCUMENT_DPI });
        assert.ok(layer && layer.charCount > 2000, `page ${i + 1}: text layer of ${layer?.charCount} characters`);
        continue;
      }
      assert.equal(renderPath, 'image', `page ${i + 1}: ${renderPathReason}`);
      assert.equal(colour, 0, `page ${i + 1}`);
      const expected = await buildWarmPage(i);
      let maxDiff = 0, sumDiff = 0;
      for (let k = 0; k < expected.data.length; k++) {
        const d = Math.abs(expected.data[k]! - image.data[k]!);
        sumDiff += d;
        if (d > maxDiff) maxDiff = d;
      }
      if (kind === 'scan-flate') assert.equal(maxDiff, 0, `page ${i + 1} (Flate)`);
      else assert.ok(maxDiff > 0 && sumDiff / expected.data.length < 2, `page ${i + 1} (JPEG): max ${maxDiff}, mean ${sumDiff / expected.data.length}`);
      // A pixel row through the first text line (the top margin is 220 px): another line image on every scan.
      const row = 240 * WARM_PAGE_WIDTH_PX * 3;
      firstRows.push(image.data.subarray(row, row + WARM_PAGE_WIDTH_PX * 3).reduce((a, v) => a + v, 0));
    }
    assert.equal(new Set(firstRows).size, firstRows.length, 'every scan has its own first row');
  } finally {
    await reader.close();
  }
});

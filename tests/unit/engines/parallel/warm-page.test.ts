// The built-in warm page: an A4 page at 300 dpi with text lines from the shipped validation images on white.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARM_PAGE_HEIGHT_PX, WARM_PAGE_WIDTH_PX, buildWarmPage } from '../../../../engines/parallel/warm-page.js';

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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extendLineEnds } from '../../../../engines/image/line-ends.js';
import type { Quad, RgbImage } from '../../../../engines/types.js';

/** A white page with black rectangles [x0, y0, x1, y1) (exclusive ends), or a dark page with light ones. */
function page(width: number, height: number, rects: [number, number, number, number][], dark = false): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(dark ? 20 : 255);
  for (const [x0, y0, x1, y1] of rects) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.fill(dark ? 240 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { width, height, data };
}
const box = (x0: number, y0: number, x1: number, y1: number): Quad => [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
// A "line": glyph blocks 12 px wide with 6 px gaps from x 20 to ~200, rows 40-80 (box height 40 at y 30-70 → 50).
const glyphs = (until: number): [number, number, number, number][] => {
  const out: [number, number, number, number][] = [];
  for (let x = 20; x + 12 <= until; x += 18) out.push([x, 40, x + 12, 70]);
  return out;
};

test('a box that stops on a trailing dot is lengthened past it with a margin', () => {
  const rects = [...glyphs(200), [203, 62, 207, 67] as [number, number, number, number]];
  const img = page(400, 120, rects);
  // The detector's box ends at x 205, inside the dot (x 203–206).
  const out = extendLineEnds(img, box(15, 30, 205, 75));
  const right = out[1][0];
  assert.ok(right >= 208 && right <= 215, `right edge ${right} covers the dot and a margin`);
  assert.equal(out[0][0], 15, 'the left end stays');
  assert.equal(out[1][1], 30);
  assert.equal(out[2][1], 75);
});

test('a box that already has paper after its last glyph is left alone', () => {
  const img = page(400, 120, glyphs(200));
  const q = box(15, 30, 205, 75); // last glyph ends at 194
  assert.deepEqual(extendLineEnds(img, q), q);
});

test('a wide glyph past the end (a neighbouring column) does not pull the box over', () => {
  const rects = [...glyphs(200), [199, 40, 260, 70] as [number, number, number, number]];
  const img = page(400, 120, rects);
  const q = box(15, 30, 200, 75);
  assert.deepEqual(extendLineEnds(img, q), q);
});

test('dark paper, tall boxes and degenerate boxes are left alone', () => {
  const dark = page(400, 120, [...glyphs(200), [203, 62, 207, 67]], true);
  const q = box(15, 30, 205, 75);
  assert.deepEqual(extendLineEnds(dark, q), q);
  const tall = box(100, 5, 130, 110);
  assert.deepEqual(extendLineEnds(page(400, 120, [[100, 5, 130, 110]]), tall), tall);
  const flat = box(10, 10, 200, 12);
  assert.deepEqual(extendLineEnds(page(400, 120, []), flat), flat);
});

test('never past the page edge', () => {
  const rects = [...glyphs(200), [200, 40, 210, 70] as [number, number, number, number]];
  const img = page(210, 120, rects);
  const out = extendLineEnds(img, box(15, 30, 205, 75));
  assert.ok(out[1][0] <= 209 && out[2][0] <= 209);
});

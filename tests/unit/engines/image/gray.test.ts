import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_PAPER_SPAN_PX, isMarkedGray, markGray, paperSpans, scanGrayRegion } from '../../../../engines/image/gray.js';
import type { RgbImage } from '../../../../engines/types.js';
import { mulberry32 as rng } from '../../../fixtures/seeded-random.js';

/** scanGrayRegion's answer alone (no paper spans recorded). */
const isGrayRegion = (img: RgbImage, x0: number, y0: number, x1: number, y1: number) => scanGrayRegion(img, x0, y0, x1, y1, undefined);

/**
 * A gray page of paper (255) with dark blobs, its pixels starting `byteOffset` bytes into their buffer (so every
 * word alignment is exercised).
 */
function grayPage(width: number, height: number, byteOffset: number, random: () => number): RgbImage {
  const data = new Uint8Array(byteOffset + width * height * 3).subarray(byteOffset);
  for (let i = 0; i < width * height; i++) {
    const v = random() < 0.25 ? Math.floor(random() * 255) : 255;
    data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = v;
  }
  return { width, height, data };
}

function naiveGray(img: RgbImage, x0: number, y0: number, x1: number, y1: number): boolean {
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const p = (y * img.width + x) * 3;
      if (img.data[p] !== img.data[p + 1] || img.data[p] !== img.data[p + 2]) return false;
    }
  }
  return true;
}

describe('scanGrayRegion (gray check)', () => {
  test('agrees with a pixel-by-pixel check at every byte alignment, with and without one coloured pixel', () => {
    const random = rng(1);
    for (let trial = 0; trial < 400; trial++) {
      const w = 1 + Math.floor(random() * 37), h = 1 + Math.floor(random() * 4);
      const img = grayPage(w, h, trial % 4, random);
      if (random() < 0.7) {
        const i = Math.floor(random() * w * h * 3);
        img.data[i] = (img.data[i]! + 1) & 255;
      }
      const xa = Math.floor(random() * w), xb = xa + Math.floor(random() * (w - xa + 1));
      const ya = Math.floor(random() * h), yb = ya + Math.floor(random() * (h - ya + 1));
      assert.equal(isGrayRegion(img, xa, ya, xb, yb), naiveGray(img, xa, ya, xb, yb), `trial ${trial}`);
    }
  });

  test('clamps the rectangle to the image', () => {
    const img = grayPage(5, 3, 0, rng(2));
    assert.equal(isGrayRegion(img, -4, -4, 50, 50), true);
    img.data[img.data.length - 1] = 7;
    assert.equal(isGrayRegion(img, -4, -4, 50, 50), false);
    assert.equal(isGrayRegion(img, 0, 0, 4, 3), true);
  });
});

describe('markGray / paperSpans', () => {
  test('marks belong to buffers: a copy of a marked image is not marked', () => {
    const img = grayPage(4, 4, 0, rng(3));
    assert.equal(isMarkedGray(img), false);
    markGray(img.data);
    assert.equal(isMarkedGray(img), true);
    assert.equal(isMarkedGray({ ...img, data: img.data.slice() }), false);
  });

  test('only for marked images; spans hold nothing but paper and find most of the long runs', () => {
    const random = rng(4);
    for (let trial = 0; trial < 60; trial++) {
      const w = 8 + Math.floor(random() * 120), h = 1 + Math.floor(random() * 6);
      const img = grayPage(w, h, trial % 4, random);
      // Long blank stretches, as between words.
      for (let y = 0; y < h; y++) {
        const a = Math.floor(random() * w), b = Math.min(w, a + Math.floor(random() * 60));
        for (let x = a; x < b; x++) img.data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
      }
      assert.equal(paperSpans(img), undefined);
      markGray(img.data);
      const spans = paperSpans(img)!;
      assert.equal(spans.rowStart.length, h + 1);
      for (let y = 0; y < h; y++) {
        const white = (x: number) => img.data[(y * w + x) * 3] === 255;
        const covered = new Uint8Array(w);
        for (let k = spans.rowStart[y]!; k < spans.rowStart[y + 1]!; k++) {
          const a = spans.pairs[2 * k]!, b = spans.pairs[2 * k + 1]!;
          assert.ok(b - a >= MIN_PAPER_SPAN_PX && a >= 0 && b <= w, `trial ${trial} row ${y}: span ${a}…${b}`);
          for (let x = a; x < b; x++) {
            assert.ok(white(x), `trial ${trial} row ${y}: ${x} in a span is not paper`);
            covered[x] = 1;
          }
        }
        // Runs are found four pixels at a time: a run of paper misses at most 3 + 3 pixels at its ends.
        for (let x = 0; x < w; ) {
          if (!white(x)) {
            x++;
            continue;
          }
          let e = x;
          while (e < w && white(e)) e++;
          if (e - x >= MIN_PAPER_SPAN_PX + 6) {
            let n = 0;
            for (let k = x; k < e; k++) n += covered[k]!;
            assert.ok(n >= e - x - 6, `trial ${trial} row ${y}: run ${x}…${e} covered ${n}`);
          }
          x = e;
        }
      }
      // Found once, then kept.
      assert.equal(paperSpans(img), spans);
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REC_PACK_GAP_PX, planRecPacking, recPackedShape, type RecPackedBatch } from '../../../../engines/rec/rec-packing.js';
import { REC_IMG_H_PX, ResizeScratch, writeRecBatch, writeRecPackedBatch, type RecBatchPlan } from '../../../../engines/rec/rec-preprocess.js';
import type { RgbImage } from '../../../../engines/types.js';

/** Sizes at 48 px height with the given widths (their resized width is the width itself). */
const sizes = (widths: number[]) => widths.map((width) => ({ width, height: REC_IMG_H_PX }));

/** Every segment, with its run and row. */
const segmentsOf = (batches: RecPackedBatch[]) =>
  batches.flatMap((b, run) => b.segments.flatMap((row, r) => row.map((seg, k) => ({ ...seg, run, row: r, k, rowLen: row.length }))));

describe('planRecPacking', () => {
  const opts = { rowWidthPx: 960, rows: 4, gapPx: 48 };

  test('every non-empty unit is placed exactly once; rows never overflow; neighbours keep the gap', () => {
    const widths = [900, 17, 320, 640, 960, 100, 250, 501, 33, 700, 260, 8, 480, 400];
    const batches = planRecPacking(sizes(widths), opts);
    const segs = segmentsOf(batches);
    assert.deepEqual(segs.map((s) => s.unit).sort((a, b) => a - b), widths.map((_, i) => i));
    for (const s of segs) {
      assert.equal(s.widthPx, widths[s.unit], 'never squeezed');
      assert.equal(s.x0Px % 8, 0, 'starts on a time step');
      assert.ok(s.x0Px + s.widthPx <= 960);
    }
    for (const b of batches) {
      for (const row of b.segments) {
        for (let k = 1; k < row.length; k++) {
          assert.ok(row[k]!.x0Px >= row[k - 1]!.x0Px + row[k - 1]!.widthPx + 48, 'gap between neighbours');
          assert.equal(row[k - 1]!.toPx, row[k]!.x0Px, 'a line is decoded up to the next one');
        }
        assert.equal(row.at(-1)!.toPx, 960, "the row's last line is decoded to the row's end");
      }
    }
  });

  test('first-fit decreasing: widest first, shorter lines fill the rest of earlier rows', () => {
    // 600 + 48 + 300 = 948 fits; 600 + 48 + 320 does not.
    const batches = planRecPacking(sizes([300, 600, 320, 600, 300]), opts);
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0]!.segments.map((row) => row.map((s) => s.unit)), [[1, 0], [3, 4], [2]]);
    assert.deepEqual(batches[0]!.segments[0]!.map((s) => s.x0Px), [0, 648]);
  });

  test('rows go into runs of `rows`, every run that many tensor rows (the last padded with blank rows)', () => {
    const batches = planRecPacking(sizes(Array.from({ length: 9 }, () => 900)), opts);
    assert.deepEqual(batches.map((b) => [b.rows, b.segments.length, b.imgWPx]), [[4, 4, 960], [4, 4, 960], [4, 1, 960]]);
    assert.deepEqual(recPackedShape(opts), [4, 3, 48, 960]);
  });

  test('zero-size units are left out; wider-than-row units are squeezed to the row; widths follow w/h at 48 px', () => {
    const batches = planRecPacking([{ width: 0, height: 10 }, { width: 200, height: 24 }, { width: 3000, height: 48 }], opts);
    const segs = segmentsOf(batches);
    assert.deepEqual(segs.map((s) => [s.unit, s.widthPx]).sort((a, b) => a[0]! - b[0]!), [[1, 400], [2, 960]]);
  });

  test('gaps round up to a time step; a bad row width is refused', () => {
    const batches = planRecPacking(sizes([100, 100]), { ...opts, gapPx: 5 });
    assert.deepEqual(batches[0]!.segments[0]!.map((s) => s.x0Px), [0, 112]);
    assert.throws(() => planRecPacking(sizes([100]), { ...opts, rowWidthPx: 4 }), RangeError);
    assert.equal(DEFAULT_REC_PACK_GAP_PX % 8, 0);
  });
});

describe('writeRecPackedBatch', () => {
  /** A crop with a different value in every column and row (so a misplaced or misscaled column shows). */
  function gradient(width: number, height: number, seed: number): RgbImage {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + seed) % 256;
    return { width, height, data };
  }

  test("each line's columns hold exactly what an unpacked row of that width holds; every other column is 0", () => {
    const crops = [gradient(300, 40, 1), gradient(500, 60, 2), gradient(90, 30, 3), gradient(700, 48, 4)];
    const opts = { rowWidthPx: 960, rows: 3, gapPx: 48 };
    const [batch] = planRecPacking(crops, opts);
    assert.ok(batch && batch.segments.some((row) => row.length > 1), 'some row holds several lines');
    const W = batch.imgWPx, plane = REC_IMG_H_PX * W, item = 3 * plane;
    const out = new Float32Array(batch.rows * item).fill(NaN); // stale contents must not survive
    writeRecPackedBatch(crops, batch, out, new ResizeScratch());
    const covered = new Uint8Array(out.length);
    batch.segments.forEach((row, r) => {
      for (const seg of row) {
        const single: RecBatchPlan = { cropIndices: [seg.unit], rows: 1, paddleImgWPx: W, imgWPx: W, resizedWidthsPx: [seg.widthPx] };
        const alone = new Float32Array(item);
        writeRecBatch(crops, single, alone, new ResizeScratch());
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < REC_IMG_H_PX; y++) {
            for (let x = 0; x < seg.widthPx; x++) {
              const at = r * item + c * plane + y * W + seg.x0Px + x;
              assert.equal(out[at], alone[c * plane + y * W + x], `row ${r} line ${seg.unit} c${c} y${y} x${x}`);
              covered[at] = 1;
            }
          }
        }
      }
    });
    for (let i = 0; i < out.length; i++) if (!covered[i]) assert.equal(out[i], 0, `uncovered float ${i}`);
  });
});

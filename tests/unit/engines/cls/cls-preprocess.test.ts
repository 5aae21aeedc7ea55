import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLS_IMG_H_PX,
  CLS_IMG_W_PX,
  clsResizedWidth,
  clsViews,
  planClsBatches,
  writeClsBatch,
} from '../../../../engines/cls/cls-preprocess.js';
import { ResizeScratch } from '../../../../engines/rec/rec-preprocess.js';
import type { RgbImage } from '../../../../engines/types.js';

function solid(width: number, height: number, v: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(v) };
}

describe('cls width rule (predict_cls.py resize_norm_img)', () => {
  test('w\' = min(ceil(48·w/h), 192)', () => {
    assert.equal(clsResizedWidth(1), 48);
    assert.equal(clsResizedWidth(2.01), 97);
    assert.equal(clsResizedWidth(4), 192);
    assert.equal(clsResizedWidth(30), 192);
    assert.equal(clsResizedWidth(0), 0);
  });
});

describe('clsViews', () => {
  test('a short line is one view of the whole crop', () => {
    assert.deepEqual(clsViews({ width: 200, height: 40 }, 3, 3), [{ cropIndex: 3, srcX0: 0, srcWidth: 200 }]);
  });

  test('maxWindows = 1 is PaddleOCR: the whole line squeezed into one view', () => {
    assert.deepEqual(clsViews({ width: 2000, height: 40 }, 0, 1), [{ cropIndex: 0, srcX0: 0, srcWidth: 2000 }]);
  });

  test('a long line gives windows 4 heights wide, first at the start, last at the end, evenly spread', () => {
    const v = clsViews({ width: 2000, height: 40 }, 1, 3);
    assert.deepEqual(v.map((w) => [w.srcX0, w.srcWidth]), [[0, 160], [920, 160], [1840, 160]]);
  });

  test('no more windows than it takes to cover the line', () => {
    assert.equal(clsViews({ width: 250, height: 40 }, 0, 8).length, 2);
  });
});

describe('planClsBatches', () => {
  const crops = [{ width: 400, height: 40 }, { width: 40, height: 40 }, { width: 120, height: 40 }];
  const views = crops.flatMap((c, i) => clsViews(c, i, 1));

  test('sorted by w/h ascending, runs of batchSize', () => {
    const plans = planClsBatches(crops, views, 2, false);
    assert.deepEqual(plans.map((p) => p.views.map((v) => v.cropIndex)), [[1, 2], [0]]);
    assert.deepEqual(plans.map((p) => p.rows), [2, 1]);
    assert.deepEqual(plans[0]!.resizedWidthsPx, [48, 144]);
  });

  test('GPU mode pads every run to batchSize (one shape)', () => {
    const plans = planClsBatches(crops, views, 6, true);
    assert.equal(plans.length, 1);
    assert.equal(plans[0]!.rows, 6);
  });
});

describe('writeClsBatch', () => {
  test('[rows, 3, 48, 192]: normalised crop, zero padding right, blank rows zero', () => {
    const crops = [solid(96, 48, 255)];
    const plan = planClsBatches(crops, clsViews(crops[0]!, 0, 3), 2, true)[0]!;
    const item = 3 * CLS_IMG_H_PX * CLS_IMG_W_PX;
    const out = new Float32Array(2 * item).fill(3);
    writeClsBatch(crops, plan, out, new ResizeScratch());
    assert.equal(out[0], 1);
    assert.equal(out[95], 1);
    assert.equal(out[96], 0);
    assert.equal(out[CLS_IMG_W_PX * 47 + 191], 0);
    assert.ok(out.subarray(item).every((v) => v === 0));
  });
});

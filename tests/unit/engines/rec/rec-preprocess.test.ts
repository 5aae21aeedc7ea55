import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_GPU_REC_BATCH_ROWS,
  GPU_REC_WIDTH_BUCKETS_PX,
  gpuRecBatching,
  recPlanShapes,
  DEFAULT_REC_MAX_BATCH_WIDTH_PX,
  DEFAULT_REC_WIDTH_BUCKETS_PX,
  ResizeScratch,
  TensorArena,
  bucketBatchSize,
  bucketImgWidth,
  geometricWidthBuckets,
  paddleImgWidth,
  planRecBatches,
  recResizedWidth,
  resizeNormalizeInto,
  writeRecBatch,
  type RecBatchingOptions,
} from '../../../../engines/rec/rec-preprocess.js';
import { markGray } from '../../../../engines/image/gray.js';
import type { RgbImage } from '../../../../engines/types.js';

const PADDLE: RecBatchingOptions = { batchSize: 6, widthBucketsPx: null, batchSizeBuckets: null };
const BUCKETED: RecBatchingOptions = { batchSize: 6, widthBucketsPx: DEFAULT_REC_WIDTH_BUCKETS_PX, batchSizeBuckets: null };

/** Crop sizes at height 48 with the given w/h ratios. */
const sizes = (ratios: number[]) => ratios.map((r) => ({ width: Math.round(r * 48), height: 48 }));

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

describe('Paddle width rule', () => {
  test('imgW = int(48 × max(320/48, max w/h)); at least 320', () => {
    assert.equal(paddleImgWidth(1), 320);
    assert.equal(paddleImgWidth(320 / 48), 320);
    assert.equal(paddleImgWidth(10), 480);
    assert.equal(paddleImgWidth(10.51), 504); // 504.48 → 504
  });

  test('each crop gets min(ceil(48·w/h), imgW)', () => {
    assert.equal(recResizedWidth(2.01, 320), 97); // ceil(96.48)
    assert.equal(recResizedWidth(10.51, 504), 504); // ceil would be 505: clamped like Paddle
    assert.equal(recResizedWidth(0, 320), 0);
  });
});

describe('planRecBatches, PaddleOCR mode (no buckets)', () => {
  const ratios = [12, 2, 30, 5, 2, 8, 1, 20];
  const plans = planRecBatches(sizes(ratios), PADDLE);

  test('sorts by w/h ascending (stable) and cuts runs of batchSize', () => {
    assert.deepEqual(plans.map((p) => p.cropIndices), [[6, 1, 4, 3, 5, 0], [7, 2]]);
  });

  test('every crop appears exactly once, so results can be put back in input order', () => {
    assert.deepEqual(plans.flatMap((p) => p.cropIndices).sort((a, b) => a - b), ratios.map((_, i) => i));
  });

  test('batch width from its widest crop; narrower crops keep their own width', () => {
    assert.equal(plans[0]!.imgWPx, paddleImgWidth(12));
    assert.deepEqual(plans[0]!.resizedWidthsPx, [48, 96, 96, 240, 384, 576]);
    assert.equal(plans[1]!.imgWPx, 1440);
    assert.equal(plans[1]!.rows, 2);
  });
});

describe('width buckets', () => {
  test('geometric list: 320, 384, 448, 544, …, multiples of 32, growth ≤ 1.24', () => {
    const b = geometricWidthBuckets(3000);
    assert.deepEqual(b.slice(0, 6), [320, 384, 448, 544, 672, 800]);
    for (let i = 1; i < b.length; i++) {
      assert.equal(b[i]! % 32, 0);
      assert.ok(b[i]! / b[i - 1]! > 1.1 && b[i]! / b[i - 1]! < 1.24, `${b[i - 1]} → ${b[i]}`);
    }
    assert.ok(DEFAULT_REC_WIDTH_BUCKETS_PX.length <= 20);
  });

  test('a width maps to the largest bucket at or below it; below the first, to the first', () => {
    assert.equal(bucketImgWidth(100, DEFAULT_REC_WIDTH_BUCKETS_PX), 320);
    assert.equal(bucketImgWidth(383, DEFAULT_REC_WIDTH_BUCKETS_PX), 320);
    assert.equal(bucketImgWidth(384, DEFAULT_REC_WIDTH_BUCKETS_PX), 384);
    assert.equal(bucketImgWidth(1000, DEFAULT_REC_WIDTH_BUCKETS_PX), 960);
  });

  test('past the last bucket the series carries on geometrically (squeeze stays ≥ 1/1.25)', () => {
    const last = DEFAULT_REC_WIDTH_BUCKETS_PX[DEFAULT_REC_WIDTH_BUCKETS_PX.length - 1]!;
    for (const w of [last + 1, last * 1.5, last * 3, 40000]) {
      const b = bucketImgWidth(w, DEFAULT_REC_WIDTH_BUCKETS_PX);
      assert.ok(b <= w && b / w >= 0.8, `${w} → ${b}`);
      assert.equal(b % 32, 0);
    }
  });

  test('crops group by bucket; each fills its bucket; short crops pad to 320 as in Paddle', () => {
    // Paddle widths: 96 → 320, 320, 400 → 384, 460 → 448, 470 → 448, 1000 → 960.
    const ratios = [2, 320 / 48, 400 / 48, 460 / 48, 470 / 48, 1000 / 48];
    const plans = planRecBatches(sizes(ratios), BUCKETED);
    assert.deepEqual(plans.map((p) => [p.imgWPx, p.cropIndices]), [
      [320, [0, 1]],
      [384, [2]],
      [448, [3, 4]],
      [960, [5]],
    ]);
    assert.deepEqual(plans[0]!.resizedWidthsPx, [96, 320]);
    assert.deepEqual(plans[2]!.resizedWidthsPx, [448, 448]);
    // Squeeze never below 1/1.25 of Paddle's own width.
    for (const p of plans) p.cropIndices.forEach((i, k) => {
      const own = paddleImgWidth(ratios[i]!);
      if (own > 320) assert.ok(p.resizedWidthsPx[k]! / own >= 0.8);
    });
  });

  test('a bucket holding more crops than batchSize is cut into several runs', () => {
    const plans = planRecBatches(sizes(Array.from({ length: 14 }, () => 3)), BUCKETED);
    assert.deepEqual(plans.map((p) => p.cropIndices.length), [6, 6, 2]);
    assert.ok(plans.every((p) => p.imgWPx === 320));
  });

  test('a crop\'s tensor row is the same whatever its batch mates (bucketed mode)', () => {
    const a = planRecBatches(sizes([9.5, 9.9]), BUCKETED);
    const b = planRecBatches(sizes([9.5]), BUCKETED);
    assert.equal(a[0]!.imgWPx, b[0]!.imgWPx);
    assert.equal(a[0]!.resizedWidthsPx[0], b[0]!.resizedWidthsPx[0]);
  });
});

describe('batch-size buckets and the rows × width cap', () => {
  test('short runs are padded with blank rows up to the next bucket', () => {
    assert.equal(bucketBatchSize(5, [1, 2, 8, 32]), 8);
    assert.equal(bucketBatchSize(5, null), 5);
    const plans = planRecBatches(sizes([3, 3, 3]), { ...BUCKETED, batchSize: 32, batchSizeBuckets: [1, 2, 8, 32] });
    assert.equal(plans[0]!.rows, 8);
    assert.equal(plans[0]!.cropIndices.length, 3);
  });

  test('GPU style [batchSize]: one row count per width, fewer rows for wide buckets', () => {
    const ratios = [3, 3, 2848 / 48, 2848 / 48, 7104 / 48];
    const plans = planRecBatches(sizes(ratios), { ...BUCKETED, batchSize: 24, batchSizeBuckets: [24] });
    assert.deepEqual(plans.map((p) => [p.imgWPx, p.rows, p.cropIndices.length]), [
      [320, 24, 2],
      [2848, Math.floor(DEFAULT_REC_MAX_BATCH_WIDTH_PX / 2848), 2],
      [7104, Math.floor(DEFAULT_REC_MAX_BATCH_WIDTH_PX / 7104), 1],
    ]);
    for (const p of plans) assert.ok(p.rows * p.imgWPx <= DEFAULT_REC_MAX_BATCH_WIDTH_PX);
  });

  test('the cap splits a wide bucket into several runs but never below one row', () => {
    const plans = planRecBatches(sizes([60, 60, 60, 60]), { ...BUCKETED, batchSize: 6, maxBatchWidthPx: 5000 });
    assert.deepEqual(plans.map((p) => p.cropIndices.length), [1, 1, 1, 1]); // 60·48 = 2880 → bucket 2848
    const one = planRecBatches(sizes([400]), { ...BUCKETED, maxBatchWidthPx: 100 });
    assert.equal(one[0]!.rows, 1);
  });
});

describe('resizeNormalizeInto', () => {
  test('same size: BGR planes of (x/255 − 0.5)/0.5', () => {
    const img = solid(2, 1, [255, 0, 51]);
    const out = new Float32Array(6).fill(9);
    resizeNormalizeInto(img, 2, 1, out, 0, 2, 2, new ResizeScratch());
    assert.deepEqual([...out], [51 / 127.5 - 1, 51 / 127.5 - 1, -1, -1, 1, 1].map((v) => Math.fround(v)));
  });

  test('bilinear with half-pixel centres and edge clamp, like cv2 INTER_LINEAR', () => {
    // [0, 255] → 4 px: cv2.resize gives [0, 64, 191, 255].
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 255, 255, 255]) };
    const out = new Float32Array(12);
    resizeNormalizeInto(img, 4, 1, out, 0, 4, 4, new ResizeScratch());
    const bytes = [...out.subarray(0, 4)].map((v) => Math.round((v + 1) * 127.5));
    assert.deepEqual(bytes, [0, 64, 191, 255]);
  });

  test('the rest of each row is zero padding (mid-grey in normalised space)', () => {
    const out = new Float32Array(3 * 2 * 5).fill(7);
    resizeNormalizeInto(solid(4, 4, [255, 255, 255]), 3, 2, out, 0, 5, 10, new ResizeScratch());
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 2; y++) {
        assert.deepEqual([...out.subarray(c * 10 + y * 5, c * 10 + y * 5 + 5)], [1, 1, 1, 0, 0]);
      }
    }
  });

  test('a column window reads only its columns', () => {
    const img: RgbImage = { width: 4, height: 1, data: new Uint8Array([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]) };
    const out = new Float32Array(6);
    resizeNormalizeInto(img, 2, 1, out, 0, 2, 2, new ResizeScratch(), 2, 2);
    assert.deepEqual([...out.subarray(0, 2)], [1, 1]);
  });
});

/**
 * resizeNormalizeInto as first written, one output pixel at a time: the reference that its row cache, one-channel
 * gray path and blank-paper fills must match float for float.
 */
function referenceResize(src: RgbImage, dstW: number, dstH: number, out: Float32Array, offset: number, rowStride: number, planeStride: number, srcX0 = 0, srcW = src.width - srcX0): void {
  const wx = new Float32Array(dstW);
  const xs0 = new Int32Array(dstW), xs1 = new Int32Array(dstW);
  for (let x = 0; x < dstW; x++) {
    let fx = (x + 0.5) * (srcW / dstW) - 0.5;
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) [sx, fx] = [0, 0];
    if (sx >= srcW - 1) [sx, fx] = [srcW - 1, 0];
    xs0[x] = (srcX0 + sx) * 3;
    xs1[x] = (srcX0 + Math.min(sx + 1, srcW - 1)) * 3;
    wx[x] = fx;
  }
  const d = src.data, rowBytes = src.width * 3;
  for (let y = 0; y < dstH; y++) {
    let fy = (y + 0.5) * (src.height / dstH) - 0.5;
    let sy = Math.floor(fy);
    fy -= sy;
    if (sy < 0) [sy, fy] = [0, 0];
    if (sy >= src.height - 1) [sy, fy] = [src.height - 1, 0];
    const r0 = sy * rowBytes, r1 = Math.min(sy + 1, src.height - 1) * rowBytes;
    for (let x = 0; x < rowStride; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        if (x < dstW) {
          const f = wx[x]!, g = 1 - f;
          const byte = Math.floor((d[r0 + xs0[x]! + c]! * g + d[r0 + xs1[x]! + c]! * f) * (1 - fy) + (d[r1 + xs0[x]! + c]! * g + d[r1 + xs1[x]! + c]! * f) * fy + 0.5);
          v = byte / 127.5 - 1;
        }
        // Channel c (R, G, B) goes to plane 2 − c (BGR).
        out[offset + (2 - c) * planeStride + y * rowStride + x] = v;
      }
    }
  }
}

/** A text-line crop: paper with dark strokes; gray (R = G = B), or with coloured ink. */
function lineCrop(width: number, height: number, gray: boolean, seed: number): RgbImage {
  let a = seed;
  const random = () => ((a = (a * 1103515245 + 12345) >>> 0) / 4294967296);
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let k = 0; k < (width * height) / 30; k++) {
    const x = Math.floor(random() * width), y = Math.floor(height * (0.2 + 0.6 * random())), len = 1 + Math.floor(random() * 5);
    const v = Math.floor(random() * 230);
    for (let d = 0; d < len && x + d < width; d++) data.set(gray ? [v, v, v] : [v, 255 - v, (v * 7) & 255], (y * width + x + d) * 3);
  }
  return { width, height, data };
}

describe('resizeNormalizeInto matches the per-pixel formula', () => {
  const cases: [number, number, number, number, number?, number?][] = [
    // crop w, h → dst w, h (down, up, same, squeezed), and a column window
    [300, 50, 288, 48],
    [200, 40, 240, 48],
    [96, 48, 96, 48],
    [700, 52, 560, 48],
    [37, 61, 29, 48],
    [400, 50, 192, 48, 120, 200],
    [5, 3, 7, 48],
  ];
  for (const gray of [true, false]) {
    test(`${gray ? 'gray-marked' : 'colour'} crops, float for float (rows past dstW zero)`, () => {
      const scratch = new ResizeScratch();
      cases.forEach(([w, h, dw, dh, x0, sw], i) => {
        const crop = lineCrop(w, h, gray, 100 + i);
        if (gray) markGray(crop.data);
        const rowStride = dw + 13, planeStride = rowStride * dh + 5;
        const got = new Float32Array(3 * planeStride + 20).fill(9);
        const want = new Float32Array(3 * planeStride + 20).fill(9);
        resizeNormalizeInto(crop, dw, dh, got, 7, rowStride, planeStride, scratch, x0, sw);
        referenceResize(crop, dw, dh, want, 7, rowStride, planeStride, x0, sw);
        assert.deepEqual(got, want, `case ${i}`);
      });
    });
  }
});

describe('writeRecBatch', () => {
  test('rows in plan order, each padded; blank batch rows all zero', () => {
    const crops = [solid(96, 48, [255, 255, 255]), solid(48, 48, [0, 0, 0])];
    const plans = planRecBatches(crops, { ...PADDLE, batchSize: 4, batchSizeBuckets: [4] });
    const plan = plans[0]!;
    assert.deepEqual(plan.cropIndices, [1, 0]);
    const arena = new TensorArena();
    const out = arena.view(plan.rows * 3 * 48 * plan.imgWPx).fill(5);
    writeRecBatch(crops, plan, out, new ResizeScratch());
    const W = plan.imgWPx;
    const item = 3 * 48 * W;
    assert.equal(out[0], -1); // row 0 = the black crop
    assert.equal(out[48], 0); // … padded from x = 48
    assert.equal(out[item], 1); // row 1 = the white crop
    assert.equal(out[item + 95], 1);
    assert.equal(out[item + 96], 0);
    assert.ok(out.subarray(2 * item).every((v) => v === 0), 'blank rows are zero');
  });

  test('the arena reuses one buffer for every batch that fits', () => {
    const arena = new TensorArena();
    const a = arena.view(1000);
    const b = arena.view(500);
    assert.equal(a.buffer, b.buffer);
    assert.equal(b.length, 500);
  });
});

describe('GPU shape plan', () => {
  test('GPU buckets: ascending multiples of 32, growth ≤ 1.5', () => {
    GPU_REC_WIDTH_BUCKETS_PX.forEach((w, i) => {
      assert.equal(w % 32, 0);
      if (i > 0) assert.ok(w > GPU_REC_WIDTH_BUCKETS_PX[i - 1]! && w / GPU_REC_WIDTH_BUCKETS_PX[i - 1]! <= 1.5);
    });
  });

  test('recPlanShapes: one shape per width bucket with fixed rows, and every run of any page is one of them', () => {
    const opts = gpuRecBatching();
    const shapes = recPlanShapes(opts);
    assert.deepEqual(shapes, GPU_REC_WIDTH_BUCKETS_PX.map((w) => [DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, w]));
    const allowed = new Set(shapes.map((d) => d.join('x')));
    // Pseudo-random pages of up to 120 lines, w/h from 0.5 to just below the bucket after the last (lines that
    // still squeeze into the last bucket; TextRecognizer reads wider ones in pieces of the last bucket's width).
    const widest = GPU_REC_WIDTH_BUCKETS_PX[GPU_REC_WIDTH_BUCKETS_PX.length - 1]! * 1.2 - 1;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let page = 0; page < 50; page++) {
      const sizes = Array.from({ length: 1 + Math.floor(rnd() * 120) }, () => ({ width: Math.round(20 + rnd() * (widest - 20)), height: 48 }));
      for (const p of planRecBatches(sizes, opts)) assert.ok(allowed.has([p.rows, 3, 48, p.imgWPx].join('x')), `${p.rows}x${p.imgWPx}`);
    }
  });

  test('rows are an option: 32 rows → 32-row shapes; several batch-size buckets → a shape per (rows, width)', () => {
    assert.ok(recPlanShapes(gpuRecBatching(32)).every(([n]) => n === 32));
    const two = recPlanShapes({ batchSize: 8, widthBucketsPx: [320, 640], batchSizeBuckets: [4, 8] });
    assert.deepEqual(two.map((d) => d.join('x')).sort(), ['4x3x48x320', '4x3x48x640', '8x3x48x320', '8x3x48x640']);
    assert.deepEqual(recPlanShapes({ batchSize: 4, widthBucketsPx: null, batchSizeBuckets: null }), []);
  });
});

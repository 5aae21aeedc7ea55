import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DET_MEAN_BGR,
  DET_STD_BGR,
  DET_WHITE_BGR,
  detPreprocess,
  normalizeToTensor,
  planDetResize,
  roundHalfEven,
  roundToMultiple,
} from '../../../../engines/det/det-preprocess.js';
import type { RgbImage } from '../../../../engines/types.js';

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

describe('planDetResize (resize_image_type0)', () => {
  test('A4 at 300 dpi with limit 960 max: 672 × 960, ratios per side', () => {
    const p = planDetResize(2480, 3508, 960, 'max');
    assert.deepEqual([p.resizeW, p.resizeH], [672, 960]);
    assert.equal(p.ratioW, 672 / 2480);
    assert.equal(p.ratioH, 960 / 3508);
  });

  test("'max' never upsamples; sides round to the nearest 32 with a floor of 32", () => {
    assert.deepEqual(planDetResize(100, 50, 960, 'max'), { srcW: 100, srcH: 50, resizeW: 96, resizeH: 64, ratioH: 64 / 50, ratioW: 96 / 100 });
    assert.equal(planDetResize(20, 10, 960, 'max').resizeH, 32);
  });

  test('halves round to even like numpy (80 / 32 = 2.5 → 64, 112 / 32 = 3.5 → 128)', () => {
    assert.equal(planDetResize(80, 112, 960, 'max').resizeW, 64);
    assert.equal(planDetResize(80, 112, 960, 'max').resizeH, 128);
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(3.5), 4);
    assert.equal(roundHalfEven(-2.5), -2);
    assert.equal(roundToMultiple(15), 32);
  });

  test("'min' upsamples the short side to L and never downsamples; 'resize_long' always scales", () => {
    const p = planDetResize(400, 300, 736, 'min');
    assert.equal(p.resizeH, 736);
    assert.equal(p.resizeW, roundToMultiple(Math.trunc(400 * (736 / 300))));
    assert.deepEqual([planDetResize(2000, 1000, 736, 'min').resizeW, planDetResize(2000, 1000, 736, 'min').resizeH], [1984, 992]);
    assert.equal(planDetResize(320, 200, 960, 'resize_long').resizeW, 960);
  });
});

describe('normalizeToTensor', () => {
  test('BGR planes with ImageNet mean/std applied per BGR index (plane 0 = blue, 0.485/0.229)', () => {
    const img = solid(2, 1, [255, 0, 0]);
    const { data, dims } = normalizeToTensor(img, { x: 0, y: 0, width: 2, height: 1 }, 2, 1);
    assert.deepEqual(dims, [1, 3, 1, 2]);
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`);
    close(data[0]!, (0 - DET_MEAN_BGR[0]) / DET_STD_BGR[0]); // B of pure red
    close(data[2]!, (0 - DET_MEAN_BGR[1]) / DET_STD_BGR[1]); // G
    close(data[4]!, (1 - DET_MEAN_BGR[2]) / DET_STD_BGR[2]); // R
  });

  test('pads right and bottom with the value of white, or zero', () => {
    const img = solid(3, 2, [10, 20, 30]);
    const t = normalizeToTensor(img, { x: 0, y: 0, width: 3, height: 2 }, 4, 3);
    const plane = 12;
    for (let c = 0; c < 3; c++) {
      assert.equal(t.data[c * plane + 3], DET_WHITE_BGR[c]); // right of row 0
      assert.equal(t.data[c * plane + 2 * 4 + 1], DET_WHITE_BGR[c]); // bottom row
      assert.notEqual(t.data[c * plane + 0], DET_WHITE_BGR[c]);
    }
    const z = normalizeToTensor(img, { x: 0, y: 0, width: 3, height: 2 }, 4, 3, undefined, 'zero');
    assert.equal(z.data[3], 0);
    assert.equal(z.data[11], 0);
  });

  test('reads a region and reuses the buffer it is given', () => {
    const img: RgbImage = { width: 4, height: 4, data: new Uint8Array(48) };
    for (let i = 0; i < 16; i++) img.data.set([i * 10, i * 10, i * 10], i * 3);
    const buf = new Float32Array(100);
    const t = normalizeToTensor(img, { x: 1, y: 2, width: 2, height: 2 }, 2, 2, buf);
    assert.equal(t.data.buffer, buf.buffer);
    const whiteish = (v: number) => (v / 255 - DET_MEAN_BGR[0]) / DET_STD_BGR[0];
    assert.ok(Math.abs(t.data[0]! - whiteish(90)) < 1e-5); // pixel (1, 2) = index 9
    assert.ok(Math.abs(t.data[3]! - whiteish(140)) < 1e-5); // pixel (2, 3) = index 14
  });
});

describe('normalizeToTensor on paper', () => {
  test('runs of white filled at any byte alignment equal the per-pixel lookup', () => {
    let a = 5;
    const random = () => ((a = (a * 1103515245 + 12345) >>> 0) / 4294967296);
    const luts = [0, 1, 2].map((plane) => Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(Math.fround(v * Math.fround(1 / 255)) - Math.fround(DET_MEAN_BGR[plane]!)) / Math.fround(DET_STD_BGR[plane]!))));
    for (let trial = 0; trial < 40; trial++) {
      const w = 5 + Math.floor(random() * 60), h = 1 + Math.floor(random() * 6);
      // Pixels start 0–3 bytes into their buffer; paper with dark or coloured marks.
      const data = new Uint8Array((trial % 4) + w * h * 3).fill(255).subarray(trial % 4);
      for (let i = 0; i < (w * h) / 6; i++) data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
      const img: RgbImage = { width: w, height: h, data };
      const region = { x: Math.floor(random() * 4), y: Math.floor(random() * Math.min(2, h)), width: 0, height: 0 };
      region.width = w - region.x - Math.floor(random() * 3);
      region.height = h - region.y;
      const tw = region.width + Math.floor(random() * 4), th = region.height + 1;
      const t = normalizeToTensor(img, region, tw, th);
      const plane = tw * th;
      for (let y = 0; y < region.height; y++) {
        for (let x = 0; x < region.width; x++) {
          const p = ((region.y + y) * w + region.x + x) * 3;
          for (let c = 0; c < 3; c++) assert.equal(t.data[c * plane + y * tw + x], luts[c]![data[p + 2 - c]!], `trial ${trial} (${x}, ${y}) plane ${c}`);
        }
      }
    }
  });
});

describe('detPreprocess', () => {
  test('A4 page → 1×3×960×672 tensor and the plan to map boxes back', () => {
    const { tensor, plan } = detPreprocess(solid(2480, 3508, [255, 255, 255]), { limitSideLenPx: 960, limitType: 'max' });
    assert.deepEqual(tensor.dims, [1, 3, 960, 672]);
    assert.equal(plan.srcW, 2480);
    assert.equal(tensor.data[0], DET_WHITE_BGR[0]);
  });

  test('tiny images are padded, not stretched', () => {
    const { tensor, plan } = detPreprocess(solid(20, 10, [0, 0, 0]), { limitSideLenPx: 960, limitType: 'max' });
    assert.deepEqual(tensor.dims, [1, 3, 32, 32]);
    assert.deepEqual([plan.resizeW, plan.resizeH, plan.ratioW, plan.ratioH], [20, 10, 1, 1]);
    assert.notEqual(tensor.data[0], DET_WHITE_BGR[0]); // the black image
    assert.equal(tensor.data[31], DET_WHITE_BGR[0]); // the padding
  });

  test('tensorSize pads the resized image up to a bucket', () => {
    const { tensor, plan } = detPreprocess(solid(500, 300, [255, 255, 255]), {
      limitSideLenPx: 960,
      limitType: 'max',
      tensorSize: () => ({ width: 640, height: 640 }),
    });
    assert.deepEqual(tensor.dims, [1, 3, 640, 640]);
    assert.deepEqual([plan.resizeW, plan.resizeH], [512, 288]);
  });
});

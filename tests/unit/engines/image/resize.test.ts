import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeBilinear, resizeWithSharp, rotateImage } from '../../../../engines/image/resize.js';
import { rotatePoint, rotatedSize } from '../../../../engines/image/geometry.js';
import type { RgbImage, Rotation } from '../../../../engines/types.js';

function image(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { width, height, data };
}

const at = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('resizeBilinear (cv2 INTER_LINEAR)', () => {
  test('same size is a copy; output dimensions are as asked', () => {
    const img = image(5, 4, (x, y) => [x, y, x + y]);
    assert.deepEqual(resizeBilinear(img, 5, 4).data, img.data);
    const r = resizeBilinear(img, 13, 7);
    assert.deepEqual([r.width, r.height, r.data.length], [13, 7, 13 * 7 * 3]);
  });

  test('halving averages each 2×2 block (pixel centres fall between source pixels)', () => {
    const img = image(8, 6, (x, y) => [x * 20, y * 30, (x * 7 + y * 11) % 256]);
    const r = resizeBilinear(img, 4, 3);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          const block = [at(img, 2 * x, 2 * y), at(img, 2 * x + 1, 2 * y), at(img, 2 * x, 2 * y + 1), at(img, 2 * x + 1, 2 * y + 1)];
          const mean = block.reduce((s, p) => s + p[c]!, 0) / 4;
          assert.ok(Math.abs(at(r, x, y)[c]! - mean) <= 0.5 + 1e-9, `(${x},${y}) c${c}: ${at(r, x, y)[c]} vs ${mean}`);
        }
      }
    }
  });

  test('downscaling samples, it does not average the whole footprint (cv2, not libvips)', () => {
    // Vertical stripes one pixel wide: a 4× shrink lands between columns 1/2 of each group of 4.
    const img = image(16, 4, (x) => (x % 4 === 0 ? [255, 255, 255] : [0, 0, 0]));
    const r = resizeBilinear(img, 4, 1);
    // Output x samples source x = 4x + 1.5: columns 4x+1 and 4x+2 are both black.
    for (let x = 0; x < 4; x++) assert.deepEqual(at(r, x, 0), [0, 0, 0]);
  });

  test('upscaling a linear ramp stays linear inside and clamps at the borders', () => {
    const img = image(4, 1, (x) => [x * 80, 0, 0]);
    const r = resizeBilinear(img, 8, 1);
    // Output x maps to source (x + 0.5)/2 − 0.5.
    const expected = [0, 20, 60, 100, 140, 180, 220, 240].map((v) => Math.min(v, 240));
    assert.deepEqual(Array.from({ length: 8 }, (_, x) => at(r, x, 0)[0]), expected);
  });
});

describe('resizeWithSharp', () => {
  test('asked size, flat colour kept, a ramp stays monotonic', async () => {
    const flat = await resizeWithSharp(image(40, 30, () => [200, 100, 50]), 17, 11);
    assert.deepEqual([flat.width, flat.height, flat.data.length], [17, 11, 17 * 11 * 3]);
    for (let i = 0; i < flat.data.length; i += 3) assert.deepEqual(Array.from(flat.data.subarray(i, i + 3)), [200, 100, 50]);
    const ramp = await resizeWithSharp(image(100, 4, (x) => [x * 2, 0, 0]), 40, 2);
    for (let x = 1; x < 40; x++) assert.ok(at(ramp, x, 0)[0]! >= at(ramp, x - 1, 0)[0]!);
  });
});

describe('rotateImage', () => {
  test('agrees with rotatePoint for every quarter turn', async () => {
    const W = 6, H = 4;
    const img = image(W, H, (x, y) => [x * 40, y * 60, 7]);
    for (const r of [0, 90, 180, 270] as Rotation[]) {
      const out = await rotateImage(img, r);
      assert.deepEqual({ width: out.width, height: out.height }, rotatedSize(W, H, r));
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const [u, v] = rotatePoint([x, y], r, W, H);
          assert.deepEqual(at(out, u, v), at(img, x, y), `rotation ${r}, pixel (${x},${y})`);
        }
      }
    }
  });
});

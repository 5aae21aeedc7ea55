import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cropQuad, getPerspectiveTransform, warpPerspectiveCubic } from '../../../../engines/image/crop.js';
import type { Quad, RgbImage } from '../../../../engines/types.js';

/** A page whose pixel (x, y) is (x mod 256, y mod 256, (x + 2y) mod 256): every pixel is identifiable. */
function patternPage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = x & 255;
      data[o + 1] = y & 255;
      data[o + 2] = (x + 2 * y) & 255;
    }
  }
  return { width, height, data };
}

function px(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
}

function apply(h: Float64Array, x: number, y: number): [number, number] {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

describe('getPerspectiveTransform', () => {
  test('maps each source corner onto its destination corner (projective case)', () => {
    const from: Quad = [[10, 12], [90, 20], [95, 70], [5, 60]];
    const to: Quad = [[0, 0], [80, 0], [80, 50], [0, 50]];
    const h = getPerspectiveTransform(from, to);
    from.forEach((p, i) => {
      const [u, v] = apply(h, p[0], p[1]);
      assert.ok(Math.abs(u - to[i]![0]) < 1e-9 && Math.abs(v - to[i]![1]) < 1e-9);
    });
  });
});

describe('cropQuad', () => {
  const page = patternPage(300, 200);

  test('axis-aligned integer quad copies the region exactly; size = int(max side lengths)', () => {
    const quad: Quad = [[10, 20], [50, 20], [50, 40], [10, 40]];
    const crop = cropQuad(page, quad);
    assert.equal(crop.rotated90, false);
    assert.equal(crop.image.width, 40);
    assert.equal(crop.image.height, 20);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) assert.deepEqual(px(crop.image, x, y), px(page, 10 + x, 20 + y));
    assert.deepEqual(crop.quad, quad);
  });

  test('half-pixel shift on a smooth ramp interpolates between neighbours (bicubic)', () => {
    const ramp: RgbImage = { width: 64, height: 16, data: new Uint8Array(64 * 16 * 3) };
    for (let y = 0; y < 16; y++) for (let x = 0; x < 64; x++) ramp.data.fill(x * 4, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const crop = cropQuad(ramp, [[10.5, 4], [30.5, 4], [30.5, 10], [10.5, 10]]);
    // Pixel k samples x = 10.5 + k: exactly halfway between 4(10+k) and 4(11+k) on a linear ramp.
    for (let k = 0; k < crop.image.width; k++) assert.equal(px(crop.image, k, 2)[0], 4 * (10 + k) + 2);
  });

  test('tall crops turn 90° CCW: equal to warping upright then np.rot90', () => {
    const quad: Quad = [[100, 20], [130, 20], [130, 120], [100, 120]];
    const crop = cropQuad(page, quad);
    assert.equal(crop.rotated90, true);
    assert.equal(crop.image.width, 100);
    assert.equal(crop.image.height, 30);
    const upright = warpPerspectiveCubic(page, getPerspectiveTransform([[0, 0], [30, 0], [30, 100], [0, 100]], quad), 30, 100);
    // np.rot90: new[i][j] = old[j][W − 1 − i]
    for (let i = 0; i < 30; i++) for (let j = 0; j < 100; j++) assert.deepEqual(px(crop.image, j, i), px(upright, 29 - i, j));
    // The crop's top-left is the quad's top-right corner, and so on round.
    assert.deepEqual(crop.quad, [quad[1], quad[2], quad[3], quad[0]]);
    // Top-left of the rotated crop shows the page's top-right of the box.
    assert.deepEqual(px(crop.image, 0, 0), px(page, 129, 20));
  });

  test('rotated quad: the crop runs along the slanted text direction', () => {
    // A 60×12 box rotated by 30° whose p0→p1 edge follows the text.
    const a = Math.PI / 6, c = Math.cos(a), s = Math.sin(a);
    const p0: [number, number] = [120, 60];
    const quad: Quad = [p0, [p0[0] + 60 * c, p0[1] + 60 * s], [p0[0] + 60 * c - 12 * s, p0[1] + 60 * s + 12 * c], [p0[0] - 12 * s, p0[1] + 12 * c]];
    const crop = cropQuad(page, quad);
    assert.equal(crop.image.width, 60);
    assert.equal(crop.image.height, 12);
    // Crop pixel (k, 0) samples page point p0 + k·(cos, sin): its red channel (= page x) follows that line.
    for (const k of [5, 20, 40, 55]) {
      const expectX = p0[0] + k * c;
      assert.ok(Math.abs(px(crop.image, k, 0)[0]! - expectX) <= 1.01, `k=${k}`);
      const expectY = p0[1] + k * s;
      assert.ok(Math.abs(px(crop.image, k, 0)[1]! - expectY) <= 1.01, `k=${k}`);
    }
  });

  test('quads reaching outside the page replicate the border', () => {
    const small = patternPage(20, 10);
    const crop = cropQuad(small, [[-5, -3], [25, -3], [25, 13], [-5, 13]]);
    assert.equal(crop.image.width, 30);
    assert.equal(crop.image.height, 16);
    assert.deepEqual(px(crop.image, 0, 0), px(small, 0, 0));
    assert.deepEqual(px(crop.image, 29, 15), px(small, 19, 9));
  });
});

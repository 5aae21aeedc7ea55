import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cropQuad, getPerspectiveTransform, warpPerspectiveCubic } from '../../../../engines/image/crop.js';
import { isMarkedGray, paperSpans } from '../../../../engines/image/gray.js';
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

/**
 * The warp as first written, one pixel at a time (cv2.warpPerspective INTER_CUBIC + BORDER_REPLICATE on the 1/32
 * grid): the reference that the fast paths of cropQuad (row copies, one-channel gray, blank paper) must match
 * byte for byte.
 */
function referenceWarp(src: RgbImage, m: Float64Array, warpW: number, warpH: number, transposeCcw: boolean): Uint8Array {
  const cubic = (x: number) => {
    const A = -0.75;
    const c0 = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
    const c1 = ((A + 2) * x - (A + 3)) * x * x + 1;
    const c2 = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
    return [c0, c1, c2, 1 - c0 - c1 - c2].map(Math.fround);
  };
  const tab = new Int32Array(32 * 32 * 16);
  for (let i = 0; i < 32; i++) {
    for (let j = 0; j < 32; j++) {
      const wy = cubic(i / 32), wx = cubic(j / 32);
      const base = (i * 32 + j) * 16;
      let sum = 0;
      for (let k1 = 0; k1 < 4; k1++) for (let k2 = 0; k2 < 4; k2++) sum += tab[base + k1 * 4 + k2] = Math.round(Math.fround(wy[k1]! * wx[k2]!) * 32768);
      const diff = sum - 32768;
      if (diff !== 0) {
        let min = base + 5, max = base + 5;
        for (let k1 = 1; k1 < 3; k1++) for (let k2 = 1; k2 < 3; k2++) {
          const at = base + k1 * 4 + k2;
          if (tab[at]! < tab[min]!) min = at;
          else if (tab[at]! > tab[max]!) max = at;
        }
        if (diff < 0) tab[max] = tab[max]! - diff;
        else tab[min] = tab[min]! - diff;
      }
    }
  }
  const outW = transposeCcw ? warpH : warpW, outH = transposeCcw ? warpW : warpH;
  const out = new Uint8Array(outW * outH * 3);
  for (let i = 0, o = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++, o += 3) {
      const x = transposeCcw ? warpW - 1 - i : j, y = transposeCcw ? j : i;
      let w = m[6]! * x + m[7]! * y + m[8]!;
      w = w ? 32 / w : 0;
      const fxq = Math.round((m[0]! * x + m[1]! * y + m[2]!) * w), fyq = Math.round((m[3]! * x + m[4]! * y + m[5]!) * w);
      const sx = fxq >> 5, sy = fyq >> 5, t = ((fyq & 31) * 32 + (fxq & 31)) * 16;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k1 = 0; k1 < 4; k1++) {
          const yy = Math.min(Math.max(sy - 1 + k1, 0), src.height - 1);
          for (let k2 = 0; k2 < 4; k2++) {
            const xx = Math.min(Math.max(sx - 1 + k2, 0), src.width - 1);
            v += src.data[(yy * src.width + xx) * 3 + c]! * tab[t + k1 * 4 + k2]!;
          }
        }
        out[o + c] = Math.min(255, Math.max(0, (v + 16384) >> 15));
      }
    }
  }
  return out;
}

/** A text-like page: paper with dark strokes; gray (R = G = B) or with coloured ink. */
function textPage(width: number, height: number, gray: boolean, seed: number): RgbImage {
  let a = seed;
  const random = () => ((a = (a * 1103515245 + 12345) >>> 0) / 4294967296);
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let k = 0; k < (width * height) / 40; k++) {
    const x = Math.floor(random() * width), y = Math.floor(random() * height), len = 1 + Math.floor(random() * 6);
    const v = Math.floor(random() * 200);
    for (let d = 0; d < len && x + d < width; d++) {
      const o = (y * width + x + d) * 3;
      data[o] = v;
      data[o + 1] = gray ? v : (v + 40) & 255;
      data[o + 2] = gray ? v : 255 - v;
    }
  }
  return { width, height, data };
}

describe('cropQuad fast paths match the per-pixel warp', () => {
  const quads = (w: number, h: number): Quad[] => {
    const out: Quad[] = [];
    let a = 7;
    const random = () => ((a = (a * 1103515245 + 12345) >>> 0) / 4294967296);
    for (let k = 0; k < 40; k++) {
      const x = 2 + Math.floor(random() * (w - 80)), y = 2 + Math.floor(random() * (h - 40));
      const bw = 8 + Math.floor(random() * 70), bh = 4 + Math.floor(random() * 30);
      const kind = k % 5;
      if (kind === 0) out.push([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]]); // axis-aligned, integer
      else if (kind === 1) out.push([[x, y], [x + 12, y], [x + 12, y + 40], [x, y + 40]]); // tall: turned 90°
      else if (kind === 2) out.push([[x, y], [x + bw, y + 2], [x + bw - 1, y + bh + 2], [x - 1, y + bh]]); // slightly rotated
      else if (kind === 3) out.push([[x + 0.5, y + 0.25], [x + bw + 0.5, y + 0.25], [x + bw + 0.5, y + bh], [x + 0.5, y + bh]]); // fractional
      else out.push([[x, y], [x + bw, y + 3], [x + bw + 2, y + bh + 1], [x + 1, y + bh - 2]]); // perspective
    }
    // At and beyond the borders: replicated edges.
    out.push([[0, 0], [w, 0], [w, 10], [0, 10]], [[-3, h - 8], [30, h - 6], [30, h + 4], [-3, h + 2]], [[w - 20, 5], [w + 5, 6], [w + 5, 20], [w - 20, 19]]);
    return out;
  };
  for (const gray of [true, false]) {
    test(`${gray ? 'gray' : 'colour'} page: every crop byte for byte`, () => {
      const page = textPage(180, 120, gray, gray ? 11 : 12);
      for (const quad of quads(page.width, page.height)) {
        const crop = cropQuad(page, quad);
        const w = Math.max(1, Math.trunc(Math.max(Math.hypot(quad[1][0] - quad[0][0], quad[1][1] - quad[0][1]), Math.hypot(quad[2][0] - quad[3][0], quad[2][1] - quad[3][1]))));
        const h = Math.max(1, Math.trunc(Math.max(Math.hypot(quad[3][0] - quad[0][0], quad[3][1] - quad[0][1]), Math.hypot(quad[2][0] - quad[1][0], quad[2][1] - quad[1][1]))));
        const m = getPerspectiveTransform([[0, 0], [w, 0], [w, h], [0, h]], quad);
        const expected = referenceWarp(page, m, w, h, crop.rotated90);
        assert.deepEqual(crop.image.data, expected, `quad ${JSON.stringify(quad)}`);
      }
    });
  }

  test('crops of a gray page are marked gray (with their paper); crops of colour ink are not', () => {
    const g = cropQuad(textPage(180, 120, true, 3), [[10, 10], [90, 12], [89, 40], [9, 38]]);
    assert.equal(isMarkedGray(g.image), true);
    assert.ok(paperSpans(g.image));
    const c = cropQuad(textPage(180, 120, false, 3), [[10, 10], [90, 12], [89, 40], [9, 38]]);
    assert.equal(isMarkedGray(c.image), false);
    const axis = cropQuad(textPage(180, 120, true, 5), [[10, 10], [90, 10], [90, 40], [10, 40]]);
    assert.equal(isMarkedGray(axis.image), true);
  });

  test('the paper spans a crop records hold only white pixels and cover most of its paper', () => {
    // Sparse ink: long stretches of paper, as in a text line.
    const page = textPage(400, 200, true, 9);
    for (let i = 0; i < page.data.length; i += 3) if (i % 7 !== 0) page.data.fill(255, i, i + 3);
    for (const quad of [[[10, 10], [300, 10], [300, 40], [10, 40]], [[12, 60], [310, 63], [309, 95], [11, 92]], [[100, 100], [125, 100], [125, 190], [100, 190]]] as Quad[]) {
      const { image } = cropQuad(page, quad);
      const spans = paperSpans(image)!;
      let white = 0, covered = 0;
      for (let i = 0; i < image.data.length; i += 3) if (image.data[i] === 255) white++;
      for (let y = 0; y < image.height; y++) {
        for (let k = spans.rowStart[y]!; k < spans.rowStart[y + 1]!; k++) {
          for (let x = spans.pairs[2 * k]!; x < spans.pairs[2 * k + 1]!; x++) {
            const o = (y * image.width + x) * 3;
            assert.deepEqual([...image.data.subarray(o, o + 3)], [255, 255, 255], `quad ${JSON.stringify(quad)} (${x}, ${y})`);
            covered++;
          }
        }
      }
      assert.ok(covered > 0.3 * white, `quad ${JSON.stringify(quad)}: ${covered} of ${white} white pixels in spans`);
    }
  });
});

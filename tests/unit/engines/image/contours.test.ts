import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findComponents, findComponentsAbove, RunScratch } from '../../../../engines/image/contours.js';
import { convexHull, polygonArea } from '../../../../engines/image/geometry.js';

function maskFrom(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const height = rows.length, width = rows[0]!.length;
  const mask = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask[y * width + x] = c === '#' ? 1 : 0)));
  return { mask, width, height };
}

/** Reference: 8-connected flood fill, components in raster order of their first pixel. */
function floodFill(mask: Uint8Array, width: number, height: number): { pixels: number[] }[] {
  const seen = new Uint8Array(mask.length);
  const out: { pixels: number[] }[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || seen[i]) continue;
    const pixels: number[] = [];
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % width, y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (mask[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    out.push({ pixels });
  }
  return out;
}

describe('findComponents', () => {
  test('separate blobs, in raster order of their first pixel, with bounds and pixel counts', () => {
    const { mask, width, height } = maskFrom([
      '..........',
      '.###...##.',
      '.###...##.',
      '.......##.',
      '..#.......',
    ]);
    const comps = findComponents(mask, width, height);
    assert.equal(comps.length, 3);
    assert.deepEqual(comps.map((c) => [c.minX, c.minY, c.maxX, c.maxY, c.pixelCount]), [
      [1, 1, 3, 2, 6],
      [7, 1, 8, 3, 6],
      [2, 4, 2, 4, 1],
    ]);
  });

  test('diagonal neighbours join (8-connectivity); a U joins at its bottom', () => {
    const diag = maskFrom(['#...', '.#..', '..#.', '...#']);
    assert.equal(findComponents(diag.mask, diag.width, diag.height).length, 1);
    const u = maskFrom(['#...#', '#...#', '#...#', '#####']);
    const comps = findComponents(u.mask, u.width, u.height);
    assert.equal(comps.length, 1);
    assert.equal(comps[0]!.pixelCount, 11);
    // Hull of the U is its full bounding square (pixel centres 0..4 × 0..3).
    assert.equal(polygonArea(pointsOf(comps[0]!.hull)), 12);
  });

  test('a ring is one component (holes are not reported)', () => {
    const ring = maskFrom(['#####', '#...#', '#...#', '#####']);
    assert.equal(findComponents(ring.mask, ring.width, ring.height).length, 1);
  });

  test('matches a flood fill on random masks, and hulls contain every pixel', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const scratch = new RunScratch();
    for (let trial = 0; trial < 20; trial++) {
      const width = 37 + trial, height = 23 + (trial % 5);
      const mask = new Uint8Array(width * height);
      for (let i = 0; i < mask.length; i++) mask[i] = rand() < 0.35 ? 1 : 0;
      const ours = findComponents(mask, width, height, {}, scratch);
      const ref = floodFill(mask, width, height);
      assert.equal(ours.length, ref.length);
      ref.forEach((r, k) => {
        const c = ours[k]!;
        assert.equal(c.pixelCount, r.pixels.length);
        const flat = r.pixels.flatMap((p) => [p % width, Math.floor(p / width)]);
        assert.equal(polygonArea(pointsOf(c.hull)), polygonArea(pointsOf(convexHull(flat))));
      });
    }
  });

  test('maxComponents keeps the first ones', () => {
    const { mask, width, height } = maskFrom(['#.#.#.#', '.......', '#.#.#.#']);
    const comps = findComponents(mask, width, height, { maxComponents: 3 });
    assert.deepEqual(comps.map((c) => [c.minX, c.minY]), [[0, 0], [2, 0], [4, 0]]);
  });
});

describe('findComponentsAbove', () => {
  test('is strict (> thresh) and reads only the valid part of a strided map', () => {
    const stride = 8, width = 5, height = 3;
    const map = new Float32Array(stride * height);
    map[0 * stride + 1] = 0.3; // equal to thresh: background
    map[1 * stride + 2] = 0.31;
    map[1 * stride + 6] = 0.9; // beyond the valid width: ignored
    const comps = findComponentsAbove(map, stride, width, height, 0.3);
    assert.equal(comps.length, 1);
    assert.deepEqual([comps[0]!.minX, comps[0]!.minY], [2, 1]);
  });
});

function pointsOf(flat: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

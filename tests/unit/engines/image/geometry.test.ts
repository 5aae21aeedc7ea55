import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clipQuad,
  convexHull,
  convexIntersectionArea,
  getMiniBoxes,
  minAreaRect,
  orderMiniBox,
  orderPointsClockwise,
  polygonArea,
  polygonPerimeter,
  quadHeight,
  quadWidth,
  rotatePoint,
  rotateQuad,
  rotatedSize,
  scaleQuad,
  translateQuad,
  unrotateQuad,
} from '../../../../engines/image/geometry.js';
import type { Point, Quad, Rotation } from '../../../../engines/types.js';

function close(actual: number, expected: number, tol = 1e-6, msg?: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected} ± ${tol}, got ${actual}`);
}

function pointsOf(flat: number[]): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** Pixel centres of a w×h rectangle rotated by `angle` around (cx, cy), rounded to the grid. */
function rotatedRectPixels(cx: number, cy: number, w: number, h: number, angle: number): number[] {
  const out: number[] = [];
  const c = Math.cos(angle), s = Math.sin(angle);
  const r = Math.ceil(Math.hypot(w, h));
  for (let y = Math.floor(cy - r); y <= cy + r; y++) {
    for (let x = Math.floor(cx - r); x <= cx + r; x++) {
      const u = (x - cx) * c + (y - cy) * s;
      const v = -(x - cx) * s + (y - cy) * c;
      if (Math.abs(u) <= w / 2 && Math.abs(v) <= h / 2) out.push(x, y);
    }
  }
  return out;
}

describe('convexHull', () => {
  test('keeps only the corners of a filled square', () => {
    const flat: number[] = [];
    for (let y = 0; y <= 4; y++) for (let x = 0; x <= 4; x++) flat.push(x, y);
    const hull = pointsOf(convexHull(flat));
    assert.equal(hull.length, 4);
    const key = (p: Point) => `${p[0]},${p[1]}`;
    assert.deepEqual(new Set(hull.map(key)), new Set(['0,0', '4,0', '4,4', '0,4']));
  });

  test('degenerate inputs: one point, repeated points, collinear points', () => {
    assert.deepEqual(convexHull([3, 4]), [3, 4]);
    assert.deepEqual(convexHull([3, 4, 3, 4]), [3, 4]);
    const line = pointsOf(convexHull([0, 0, 1, 1, 2, 2, 3, 3]));
    assert.equal(line.length, 2);
    assert.equal(polygonArea(line), 0);
  });

  test('hull area equals the area of a random point cloud hull computed by brute force', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const flat: number[] = [];
    for (let i = 0; i < 200; i++) flat.push(Math.round(rand() * 100), Math.round(rand() * 60));
    const hull = pointsOf(convexHull(flat));
    // Every input point lies inside or on the hull (cross products never negative for a CCW-or-CW hull).
    const sign = Math.sign(hull.reduce((s, a, i) => {
      const b = hull[(i + 1) % hull.length]!;
      return s + a[0] * b[1] - b[0] * a[1];
    }, 0));
    for (let i = 0; i < flat.length; i += 2) {
      for (let k = 0; k < hull.length; k++) {
        const a = hull[k]!, b = hull[(k + 1) % hull.length]!;
        const cross = (b[0] - a[0]) * (flat[i + 1]! - a[1]) - (b[1] - a[1]) * (flat[i]! - a[0]);
        assert.ok(cross * sign >= -1e-9, 'point outside hull');
      }
    }
  });
});

describe('minAreaRect / getMiniBoxes', () => {
  test('axis-aligned pixel block: sides are (cols − 1) × (rows − 1), as cv2 on pixel centres', () => {
    const flat: number[] = [];
    for (let y = 10; y < 20; y++) for (let x = 20; x < 80; x++) flat.push(x, y);
    const { quad, sside } = getMiniBoxes(convexHull(flat));
    assert.equal(sside, 9);
    assert.deepEqual(quad.map((p) => p.map((v) => Math.round(v * 1e6) / 1e6)), [[20, 10], [79, 10], [79, 19], [20, 19]]);
  });

  test('rotated rectangle: finds its angle and size', () => {
    const angle = 0.35;
    const rect = minAreaRect(convexHull(rotatedRectPixels(100, 80, 120, 24, angle)));
    const long = Math.max(rect.width, rect.height), short = Math.min(rect.width, rect.height);
    close(long, 120, 2.5, 'long side');
    close(short, 24, 2.5, 'short side');
    const { quad } = getMiniBoxes(convexHull(rotatedRectPixels(100, 80, 120, 24, angle)));
    const found = Math.atan2(quad[1][1] - quad[0][1], quad[1][0] - quad[0][0]);
    close(found, angle, 0.03, 'angle of p0→p1');
    // TL is left of TR and above BL.
    assert.ok(quad[0][0] < quad[1][0] && quad[0][1] < quad[3][1]);
  });

  test('minimum area beats the axis-aligned box for a slanted segment cloud', () => {
    const flat = rotatedRectPixels(50, 50, 80, 6, Math.PI / 5);
    const hull = convexHull(flat);
    const rect = minAreaRect(hull);
    const xs = flat.filter((_, i) => i % 2 === 0), ys = flat.filter((_, i) => i % 2 === 1);
    const aabb = (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
    assert.ok(rect.width * rect.height < aabb / 3);
  });

  test('single point and segment give zero short side', () => {
    assert.equal(getMiniBoxes([5, 5]).sside, 0);
    assert.equal(getMiniBoxes([0, 0, 10, 0]).sside, 0);
  });

  test('orderMiniBox: x-sorted pairs, smaller y first', () => {
    assert.deepEqual(orderMiniBox([[10, 5], [0, 5], [0, 0], [10, 0]]), [[0, 0], [10, 0], [10, 5], [0, 5]]);
  });
});

describe('orderPointsClockwise', () => {
  test('restores TL, TR, BR, BL from any order', () => {
    const q: Quad = [[0, 0], [100, 10], [98, 40], [-2, 30]];
    for (const perm of [[0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0], [1, 3, 0, 2]]) {
      assert.deepEqual(orderPointsClockwise(perm.map((i) => q[i]!) as Quad), q);
    }
  });
});

describe('polygon metrics and quad helpers', () => {
  const rect: Quad = [[0, 0], [40, 0], [40, 10], [0, 10]];
  test('area and perimeter', () => {
    assert.equal(polygonArea(rect), 400);
    assert.equal(polygonPerimeter(rect), 100);
  });
  test('quadWidth / quadHeight truncate the longer opposite side', () => {
    const q: Quad = [[0, 0], [30.9, 0], [30, 10.7], [0, 10]];
    assert.equal(quadWidth(q), 30);
    assert.equal(quadHeight(q), 10);
  });
  test('clip, scale, translate', () => {
    assert.deepEqual(clipQuad([[-5, 3], [120, -1], [120, 60], [-1, 60]], 99, 49), [[0, 3], [99, 0], [99, 49], [0, 49]]);
    assert.deepEqual(scaleQuad(rect, 2, 0.5), [[0, 0], [80, 0], [80, 5], [0, 5]]);
    assert.deepEqual(translateQuad(rect, 1, 2), [[1, 2], [41, 2], [41, 12], [1, 12]]);
  });
  test('convexIntersectionArea', () => {
    const a: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    assert.equal(convexIntersectionArea(a, [[5, 5], [15, 5], [15, 15], [5, 15]]), 25);
    assert.equal(convexIntersectionArea(a, [[5, 15], [15, 15], [15, 5], [5, 5]]), 25); // either winding
    assert.equal(convexIntersectionArea(a, [[20, 20], [30, 20], [30, 30], [20, 30]]), 0);
    close(convexIntersectionArea(a, [[5, -5], [15, 5], [5, 15], [-5, 5]]), 100);
  });
});

describe('page rotations', () => {
  const W = 7, H = 4;
  test('pixel (0,0) lands where a clockwise rotation puts it', () => {
    assert.deepEqual(rotatePoint([0, 0], 90, W, H), [H - 1, 0]);
    assert.deepEqual(rotatePoint([0, 0], 180, W, H), [W - 1, H - 1]);
    assert.deepEqual(rotatePoint([0, 0], 270, W, H), [0, W - 1]);
    assert.deepEqual(rotatedSize(W, H, 90), { width: H, height: W });
    assert.deepEqual(rotatedSize(W, H, 180), { width: W, height: H });
  });
  test('every pixel stays inside the rotated image and unrotateQuad inverts rotateQuad', () => {
    for (const r of [0, 90, 180, 270] as Rotation[]) {
      const size = rotatedSize(W, H, r);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const [u, v] = rotatePoint([x, y], r, W, H);
          assert.ok(u >= 0 && u < size.width && v >= 0 && v < size.height);
        }
      }
      const q: Quad = [[1, 1], [5, 1.5], [5, 3], [1, 2.5]];
      assert.deepEqual(unrotateQuad(rotateQuad(q, r, W, H), r, size.width, size.height), q);
    }
  });
  test('corner order is kept (point 0 stays where the text starts)', () => {
    const q: Quad = [[1, 1], [5, 1], [5, 3], [1, 3]];
    const r = rotateQuad(q, 90, W, H);
    // After a 90° CW turn the text runs downwards: p0 → p1 goes +y.
    assert.ok(r[1][1] > r[0][1]);
    assert.equal(r[1][0], r[0][0]);
  });
});

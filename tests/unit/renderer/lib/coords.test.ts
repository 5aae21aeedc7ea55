import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Point, Quad } from '../../../../engines/types.js';
import {
  clampZoom,
  fitPage,
  fitWidth,
  formatSvgPoints,
  FIT_MARGIN_PX,
  MAX_ZOOM,
  MIN_ZOOM,
  pageToViewport,
  panBy,
  parseSvgPoints,
  quadBounds,
  quadToPage,
  quadToViewport,
  revealRect,
  viewportToPage,
  zoomAt,
  type ViewTransform,
} from '../../../../renderer/lib/coords.js';

const EPS = 1e-9;
function near(a: Point, b: Point, eps = EPS): void {
  assert.ok(Math.abs(a[0] - b[0]) <= eps && Math.abs(a[1] - b[1]) <= eps, `${a} vs ${b}`);
}

const transforms: ViewTransform[] = [
  { zoom: 1, panX: 0, panY: 0 },
  { zoom: 0.37, panX: 12.5, panY: -40 },
  { zoom: 2.5, panX: -1300, panY: 77.25 },
  { zoom: 0.05, panX: 500, panY: 500 },
];
const points: Point[] = [[0, 0], [1, 1], [812.4, 1033.9], [-5, 3000]];

describe('pageToViewport / viewportToPage', () => {
  test('round-trips page → viewport → page under zoom and pan', () => {
    for (const t of transforms) for (const p of points) near(viewportToPage(pageToViewport(p, t), t), p, 1e-9);
  });
  test('round-trips viewport → page → viewport', () => {
    for (const t of transforms) for (const v of points) near(pageToViewport(viewportToPage(v, t), t), v, 1e-9);
  });
  test('applies zoom then pan', () => {
    assert.deepEqual(pageToViewport([10, 20], { zoom: 2, panX: 5, panY: -5 }), [25, 35]);
  });
  test('quads map corner by corner and back', () => {
    const q: Quad = [[10, 10], [110, 12], [108, 40], [9, 38]];
    const t = transforms[2]!;
    const v = quadToViewport(q, t);
    near(v[1], pageToViewport(q[1], t));
    quadToPage(v, t).forEach((p, i) => near(p, q[i]!, 1e-9));
  });
});

describe('SVG points', () => {
  test('format and parse agree to 0.01 px', () => {
    const q: Point[] = [[1.234567, 2], [300.005, 4.999], [-3.333, 0], [0, 1e3]];
    parseSvgPoints(formatSvgPoints(q)).forEach((p, i) => near(p, q[i]!, 0.006));
  });
  test('parse rejects garbage', () => {
    assert.throws(() => parseSvgPoints('1,2 3'), /bad SVG point/);
    assert.throws(() => parseSvgPoints('a,b'), /bad SVG point/);
  });
});

describe('fit', () => {
  test('fitPage shows the whole page, centred, with a margin', () => {
    const t = fitPage({ width: 1000, height: 2000 }, { width: 800, height: 600 });
    assert.equal(t.zoom, (600 - 2 * FIT_MARGIN_PX) / 2000);
    const [x0, y0] = pageToViewport([0, 0], t);
    const [x1, y1] = pageToViewport([1000, 2000], t);
    assert.ok(Math.abs(y0 - FIT_MARGIN_PX) < 1e-9 && Math.abs(600 - y1 - FIT_MARGIN_PX) < 1e-9);
    assert.ok(Math.abs(x0 - (800 - x1)) < 1e-9, 'centred horizontally');
  });
  test('fitWidth fills the width', () => {
    const t = fitWidth({ width: 500, height: 5000 }, { width: 1032, height: 400 });
    assert.equal(t.zoom, 2);
    assert.equal(pageToViewport([0, 0], t)[0], FIT_MARGIN_PX);
  });
  test('degenerate sizes give the identity', () => {
    assert.deepEqual(fitPage({ width: 0, height: 10 }, { width: 100, height: 100 }), { zoom: 1, panX: 0, panY: 0 });
  });
});

describe('zoomAt / panBy / clampZoom', () => {
  test('zooming keeps the anchor over the same page point', () => {
    for (const t of transforms) {
      const anchor: Point = [321, 123];
      const before = viewportToPage(anchor, t);
      for (const z of [0.1, 1, 3.7]) {
        const t2 = zoomAt(t, anchor, z);
        assert.equal(t2.zoom, z);
        near(viewportToPage(anchor, t2), before, 1e-9);
      }
    }
  });
  test('zoom is clamped', () => {
    assert.equal(clampZoom(1e6), MAX_ZOOM);
    assert.equal(clampZoom(0), MIN_ZOOM);
    assert.equal(clampZoom(Number.NaN), 1);
    assert.equal(zoomAt(transforms[0]!, [0, 0], 1000).zoom, MAX_ZOOM);
  });
  test('panBy moves the page in viewport pixels at any zoom', () => {
    const t = panBy(transforms[1]!, 10, -4);
    const a = pageToViewport([50, 50], transforms[1]!);
    near(pageToViewport([50, 50], t), [a[0] + 10, a[1] - 4]);
  });
});

describe('revealRect', () => {
  const vp = { width: 400, height: 300 };
  test('leaves a visible rect alone', () => {
    const t = { zoom: 1, panX: 0, panY: 0 };
    assert.equal(revealRect(t, { x: 50, y: 50, width: 10, height: 10 }, vp), t);
  });
  test('scrolls a rect below the viewport into view with the margin', () => {
    const t = { zoom: 2, panX: 0, panY: 0 };
    const r = { x: 10, y: 500, width: 20, height: 10 };
    const t2 = revealRect(t, r, vp, 24);
    const [, yBottom] = pageToViewport([r.x, r.y + r.height], t2);
    assert.ok(Math.abs(yBottom - (300 - 24)) < 1e-9);
    assert.equal(t2.zoom, 2);
  });
  test('centres a rect too big to fit', () => {
    const t2 = revealRect({ zoom: 1, panX: 0, panY: 0 }, { x: 0, y: 0, width: 1000, height: 10 }, vp);
    const [x0] = pageToViewport([0, 0], t2);
    const [x1] = pageToViewport([1000, 0], t2);
    assert.ok(Math.abs((x0 + x1) / 2 - 200) < 1e-9);
  });
});

test('quadBounds', () => {
  assert.deepEqual(quadBounds([[5, 1], [9, 2], [8, 7], [4, 6]]), { x: 4, y: 1, width: 5, height: 6 });
});

// Box geometry for PP-OCR: Andrew's monotone-chain convex hull, cv2.minAreaRect by rotating calipers, and
// PaddleOCR's get_mini_boxes / order_points_clockwise (ppocr/postprocess/db_postprocess.py, tools/infer/predict_det.py).
import type { Point, Quad, Rotation } from '../types.js';

/**
 * Convex hull of points given as a flat [x0, y0, x1, y1, …] list, counter-clockwise in a y-down frame read
 * as y-up (the orientation does not matter to callers). Collinear points are dropped. Input need not be sorted.
 * Returns a flat list too.
 */
export function convexHull(flatPoints: ArrayLike<number>): number[] {
  const n = flatPoints.length >> 1;
  if (n === 0) return [];
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (flatPoints[2 * a]! - flatPoints[2 * b]!) || (flatPoints[2 * a + 1]! - flatPoints[2 * b + 1]!));
  return convexHullOfSorted(flatPoints, order);
}

/**
 * Hull of points already in lexicographic order (by x then y, or by y then x: Andrew's chain works with
 * either axis first). `order` lists point indices; omit it when the flat list itself is sorted.
 */
export function convexHullOfSorted(flatPoints: ArrayLike<number>, order?: ArrayLike<number>): number[] {
  const n = order ? order.length : flatPoints.length >> 1;
  if (n === 0) return [];
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = order ? order[i]! : i;
    xs[i] = flatPoints[2 * k]!;
    ys[i] = flatPoints[2 * k + 1]!;
  }
  if (n === 1) return [xs[0]!, ys[0]!];
  // Chain indices; lower chain then upper chain, each popping right turns (cross ≤ 0 drops collinear points).
  const chain = new Int32Array(2 * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    while (k >= 2 && cross(xs, ys, chain[k - 2]!, chain[k - 1]!, i) <= 0) k--;
    chain[k++] = i;
  }
  const lowerEnd = k + 1;
  for (let i = n - 2; i >= 0; i--) {
    while (k >= lowerEnd && cross(xs, ys, chain[k - 2]!, chain[k - 1]!, i) <= 0) k--;
    chain[k++] = i;
  }
  k--; // last point repeats the first
  const out = new Array<number>(2 * k);
  for (let i = 0; i < k; i++) {
    out[2 * i] = xs[chain[i]!]!;
    out[2 * i + 1] = ys[chain[i]!]!;
  }
  // Two identical points collapse to one.
  if (k === 2 && out[0] === out[2] && out[1] === out[3]) return [out[0]!, out[1]!];
  return out;
}

function cross(xs: Float64Array, ys: Float64Array, o: number, a: number, b: number): number {
  return (xs[a]! - xs[o]!) * (ys[b]! - ys[o]!) - (ys[a]! - ys[o]!) * (xs[b]! - xs[o]!);
}

/** A rotated rectangle: its four corners (in boundary order) and side lengths along them. */
export interface MinAreaRect {
  /** Corners in boundary order (either winding); corner i→i+1 has length `width` for even i. */
  corners: Quad;
  /** Length of side corners[0]→corners[1]. */
  width: number;
  /** Length of side corners[1]→corners[2]. */
  height: number;
}

/**
 * Smallest-area enclosing rectangle of a point set (flat list), as cv2.minAreaRect: one side of the optimum lies
 * on an edge of the convex hull, so every hull edge direction is tried (rotating calipers, O(h²) here because
 * text-blob hulls have few vertices). 1 point → 0×0 rectangle; 2 points → segment × 0.
 */
export function minAreaRect(points: ArrayLike<number>): MinAreaRect {
  const hull = convexHull(points);
  const n = hull.length >> 1;
  if (n === 0) return { corners: [[0, 0], [0, 0], [0, 0], [0, 0]], width: 0, height: 0 };
  if (n === 1) {
    const p: Point = [hull[0]!, hull[1]!];
    return { corners: [[...p], [...p], [...p], [...p]], width: 0, height: 0 };
  }
  let bestArea = Infinity;
  let best: MinAreaRect | undefined;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    let ux = hull[2 * j]! - hull[2 * i]!;
    let uy = hull[2 * j + 1]! - hull[2 * i + 1]!;
    const len = Math.hypot(ux, uy);
    if (len === 0) continue;
    ux /= len;
    uy /= len;
    // Project every hull point on the edge direction u and its normal v = (−uy, ux).
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (let k = 0; k < n; k++) {
      const x = hull[2 * k]!, y = hull[2 * k + 1]!;
      const pu = x * ux + y * uy;
      const pv = -x * uy + y * ux;
      if (pu < minU) minU = pu;
      if (pu > maxU) maxU = pu;
      if (pv < minV) minV = pv;
      if (pv > maxV) maxV = pv;
    }
    const w = maxU - minU;
    const h = maxV - minV;
    const area = w * h;
    // For segments (all areas 0) the first edge wins, which is the segment itself.
    if (area < bestArea - 1e-9 || best === undefined) {
      bestArea = area;
      const at = (pu: number, pv: number): Point => [pu * ux - pv * uy, pu * uy + pv * ux];
      best = { corners: [at(minU, minV), at(maxU, minV), at(maxU, maxV), at(minU, maxV)], width: w, height: h };
    }
  }
  return best ?? { corners: [[hull[0]!, hull[1]!], [hull[0]!, hull[1]!], [hull[0]!, hull[1]!], [hull[0]!, hull[1]!]], width: 0, height: 0 };
}

/**
 * PaddleOCR get_mini_boxes: the minimum-area rectangle of the points (any order), ordered TL, TR, BR, BL by sorting the
 * corners by x and taking, within the left pair and the right pair, the smaller y first. `sside` is the
 * rectangle's shorter side, which the DB post-process compares with min_size.
 */
export function getMiniBoxes(points: ArrayLike<number>): { quad: Quad; sside: number } {
  const rect = minAreaRect(points);
  return { quad: orderMiniBox(rect.corners), sside: Math.min(rect.width, rect.height) };
}

/** get_mini_boxes' corner ordering of a rectangle's corners (stable sort by x, then y within each pair). */
export function orderMiniBox(corners: Quad): Quad {
  const pts = corners.slice().sort((a, b) => a[0] - b[0]);
  const [p0, p1, p2, p3] = pts as [Point, Point, Point, Point];
  const [tl, bl] = p1[1] > p0[1] ? [p0, p1] : [p1, p0];
  const [tr, br] = p3[1] > p2[1] ? [p2, p3] : [p3, p2];
  return [[tl[0], tl[1]], [tr[0], tr[1]], [br[0], br[1]], [bl[0], bl[1]]];
}

/**
 * PaddleOCR order_points_clockwise, the imutils x-sort version used by PaddleOCR ≤ 2.7 and RapidOCR: the two
 * leftmost points (by x) give TL/BL by y, the two rightmost give TR/BR by y. (Newer PaddleOCR uses a
 * sum/diff rule that differs only for boxes near 45°.)
 */
export function orderPointsClockwise(quad: Quad): Quad {
  const byX = quad.slice().sort((a, b) => a[0] - b[0]);
  const left = byX.slice(0, 2).sort((a, b) => a[1] - b[1]);
  const right = byX.slice(2).sort((a, b) => a[1] - b[1]);
  return [[left[0]![0], left[0]![1]], [right[0]![0], right[0]![1]], [right[1]![0], right[1]![1]], [left[1]![0], left[1]![1]]];
}

/** Shoelace area (absolute) of a polygon given as points. */
export function polygonArea(points: readonly Point[]): number {
  let s = 0;
  for (let i = 0, n = points.length; i < n; i++) {
    const a = points[i]!, b = points[(i + 1) % n]!;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

/** Perimeter of a closed polygon. */
export function polygonPerimeter(points: readonly Point[]): number {
  let s = 0;
  for (let i = 0, n = points.length; i < n; i++) {
    const a = points[i]!, b = points[(i + 1) % n]!;
    s += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return s;
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** get_rotate_crop_image's crop width: int(max(|p0−p1|, |p2−p3|)). */
export function quadWidth(q: Quad): number {
  return Math.trunc(Math.max(distance(q[0], q[1]), distance(q[2], q[3])));
}

/** get_rotate_crop_image's crop height: int(max(|p0−p3|, |p1−p2|)). */
export function quadHeight(q: Quad): number {
  return Math.trunc(Math.max(distance(q[0], q[3]), distance(q[1], q[2])));
}

/** Clips every point into [0, maxX] × [0, maxY] (predict_det clip_det_res uses maxX = width − 1). */
export function clipQuad(q: Quad, maxX: number, maxY: number): Quad {
  return q.map(([x, y]) => [Math.min(Math.max(x, 0), maxX), Math.min(Math.max(y, 0), maxY)]) as Quad;
}

export function scaleQuad(q: Quad, sx: number, sy: number = sx): Quad {
  return q.map(([x, y]) => [x * sx, y * sy]) as Quad;
}

export function translateQuad(q: Quad, dx: number, dy: number): Quad {
  return q.map(([x, y]) => [x + dx, y + dy]) as Quad;
}

/** Axis-aligned bounds of a quad. */
export function quadBounds(q: Quad): { minX: number; minY: number; maxX: number; maxY: number } {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of q) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

/** Size of an image of `width` × `height` after a clockwise rotation. */
export function rotatedSize(width: number, height: number, rotation: Rotation): { width: number; height: number } {
  return rotation === 90 || rotation === 270 ? { width: height, height: width } : { width, height };
}

/**
 * Where a pixel-centre point of an image of `width` × `height` lands after the image is rotated clockwise by
 * `rotation` (pixel centres map to pixel centres, so pixel (0,0) of the source becomes (height−1, 0) at 90°).
 */
export function rotatePoint(p: Point, rotation: Rotation, width: number, height: number): Point {
  const [x, y] = p;
  switch (rotation) {
    case 0: return [x, y];
    case 90: return [height - 1 - y, x];
    case 180: return [width - 1 - x, height - 1 - y];
    case 270: return [y, width - 1 - x];
  }
}

/** rotatePoint for each corner; the corner order (the text's reading order) is kept. */
export function rotateQuad(q: Quad, rotation: Rotation, width: number, height: number): Quad {
  return q.map((p) => rotatePoint(p, rotation, width, height)) as Quad;
}

/**
 * Maps a quad found in a copy of the page that was rotated clockwise by `rotation` (size rotatedWidth ×
 * rotatedHeight) back to the unrotated page's pixels. Corner order is kept, so point 0 stays where the text
 * starts: this is how page-orientation results keep "quads in the page as given".
 */
export function unrotateQuad(q: Quad, rotation: Rotation, rotatedWidth: number, rotatedHeight: number): Quad {
  const inverse = ((360 - rotation) % 360) as Rotation;
  return rotateQuad(q, inverse, rotatedWidth, rotatedHeight);
}

/**
 * Area of the intersection of two convex polygons (Sutherland–Hodgman clipping of `a` by each edge of `b`).
 * Used to tell duplicate detections from neighbouring lines where axis-aligned boxes would not (slanted text).
 */
export function convexIntersectionArea(a: readonly Point[], b: readonly Point[]): number {
  let subject: Point[] = signedArea(a) < 0 ? a.slice().reverse() : a.slice();
  const clip = signedArea(b) < 0 ? b.slice().reverse() : b.slice();
  for (let i = 0; i < clip.length && subject.length > 0; i++) {
    const [cx0, cy0] = clip[i]!;
    const [cx1, cy1] = clip[(i + 1) % clip.length]!;
    // Inside = left of the directed edge for counter-clockwise (in y-up terms) polygons: cross ≥ 0.
    const side = (p: Point): number => (cx1 - cx0) * (p[1] - cy0) - (cy1 - cy0) * (p[0] - cx0);
    const input = subject;
    subject = [];
    for (let j = 0; j < input.length; j++) {
      const cur = input[j]!;
      const prev = input[(j + input.length - 1) % input.length]!;
      const sc = side(cur), sp = side(prev);
      if (sc >= 0) {
        if (sp < 0) subject.push(intersect(prev, cur, sp, sc));
        subject.push(cur);
      } else if (sp >= 0) {
        subject.push(intersect(prev, cur, sp, sc));
      }
    }
  }
  return subject.length >= 3 ? polygonArea(subject) : 0;
}

function signedArea(points: readonly Point[]): number {
  let s = 0;
  for (let i = 0, n = points.length; i < n; i++) {
    const a = points[i]!, b = points[(i + 1) % n]!;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return s / 2;
}

function intersect(p: Point, q: Point, sp: number, sq: number): Point {
  const t = sp / (sp - sq);
  return [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
}

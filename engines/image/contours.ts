// Connected components of a binary mask by run-length union-find (8-connectivity, the connectivity of the outer
// borders cv2.findContours traces), each reduced to the convex hull that cv2.minAreaRect would see.
import { convexHullOfSorted } from './geometry.js';

/** One 8-connected foreground component. */
export interface MaskComponent {
  /**
   * Convex hull of the component's pixel centres, flat [x0, y0, x1, y1, …]. Equal to the hull of the contour
   * cv2.findContours returns, because a contour is the component's border and shares its hull.
   */
  hull: number[];
  /** Number of foreground pixels. */
  pixelCount: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface FindComponentsOptions {
  /** Stop after this many components, in raster order of their first pixel (PaddleOCR max_candidates). */
  maxComponents?: number;
}

/**
 * Growable run buffers, kept between calls so a detector running page after page does not reallocate.
 * One instance per caller; not shared between concurrent calls.
 */
export class RunScratch {
  x0 = new Int32Array(4096);
  x1 = new Int32Array(4096);
  y = new Int32Array(4096);
  parent = new Int32Array(4096);
  rowStart = new Int32Array(1025);
  count = 0;

  reset(height: number): void {
    this.count = 0;
    if (this.rowStart.length < height + 1) this.rowStart = new Int32Array(height + 1);
  }

  push(x0: number, x1: number, y: number): void {
    if (this.count === this.x0.length) this.#grow();
    const i = this.count++;
    this.x0[i] = x0;
    this.x1[i] = x1;
    this.y[i] = y;
  }

  #grow(): void {
    const n = this.x0.length * 2;
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.x0 = grow(this.x0);
    this.x1 = grow(this.x1);
    this.y = grow(this.y);
    this.parent = new Int32Array(n);
  }
}

/** Components of `mask` (non-zero = foreground), row-major `width` × `height`. */
export function findComponents(
  mask: Uint8Array,
  width: number,
  height: number,
  opts: FindComponentsOptions = {},
  scratch: RunScratch = new RunScratch(),
): MaskComponent[] {
  scratch.reset(height);
  // 1. Runs of foreground pixels, row by row.
  for (let y = 0; y < height; y++) {
    scratch.rowStart[y] = scratch.count;
    const row = y * width;
    let x = 0;
    while (x < width) {
      while (x < width && mask[row + x] === 0) x++;
      if (x >= width) break;
      const start = x;
      while (x < width && mask[row + x] !== 0) x++;
      scratch.push(start, x - 1, y);
    }
  }
  scratch.rowStart[height] = scratch.count;
  return componentsFromRuns(scratch, height, opts);
}

/**
 * Components of the mask `map > thresh` (strict, as DBPostProcess), read straight from a probability map
 * without materialising the mask. `stride` is the map's row length when only its top-left `width` × `height`
 * part is valid (a detector input padded to a shape bucket).
 */
export function findComponentsAbove(
  map: Float32Array,
  stride: number,
  width: number,
  height: number,
  thresh: number,
  opts: FindComponentsOptions = {},
  scratch: RunScratch = new RunScratch(),
): MaskComponent[] {
  scratch.reset(height);
  // numpy compares a float32 map with a Python float in float32 (pred > 0.3 is false for float32(0.3)).
  const t = Math.fround(thresh);
  for (let y = 0; y < height; y++) {
    scratch.rowStart[y] = scratch.count;
    const row = y * stride;
    let x = 0;
    while (x < width) {
      while (x < width && !(map[row + x]! > t)) x++;
      if (x >= width) break;
      const start = x;
      while (x < width && map[row + x]! > t) x++;
      scratch.push(start, x - 1, y);
    }
  }
  scratch.rowStart[height] = scratch.count;
  return componentsFromRuns(scratch, height, opts);
}

/** Root of run i's set (path halving). */
export function findRoot(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!; // path halving
    i = parent[i]!;
  }
  return i;
}

/**
 * Unions the runs of `s` (rows 0 … height − 1, rowStart filled) into 8-connected sets in s.parent: each run
 * with the runs of the row above that touch it, diagonals included. The smaller run index stays root, so a
 * root is its component's first run in raster order (and holds the component's first pixel).
 */
export function unionRuns(s: RunScratch, height: number): void {
  const n = s.count;
  const { x0, x1, rowStart, parent } = s;
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let y = 1; y < height; y++) {
    let i = rowStart[y - 1]!;
    const prevEnd = rowStart[y]!;
    const curEnd = rowStart[y + 1]!;
    for (let j = prevEnd; j < curEnd; j++) {
      const cx0 = x0[j]!, cx1 = x1[j]!;
      while (i < prevEnd && x1[i]! + 1 < cx0) i++;
      for (let k = i; k < prevEnd && x0[k]! <= cx1 + 1; k++) {
        const a = findRoot(parent, k), b = findRoot(parent, j);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }
  }
}

function componentsFromRuns(s: RunScratch, height: number, opts: FindComponentsOptions): MaskComponent[] {
  const n = s.count;
  const { x0, x1, parent } = s;
  // 2. Union each run with the runs of the row above that touch it, diagonals included (8-connectivity).
  unionRuns(s, height);

  // 3. Number the components in raster order of their first run, counting runs per component.
  const compOf = new Int32Array(n);
  const compIndexOfRoot = new Int32Array(n).fill(-1);
  const runsPerComp: number[] = [];
  let comps = 0;
  for (let i = 0; i < n; i++) {
    const r = findRoot(parent, i);
    let c = compIndexOfRoot[r]!;
    if (c < 0) {
      c = comps++;
      compIndexOfRoot[r] = c;
      runsPerComp.push(0);
    }
    compOf[i] = c;
    runsPerComp[c]!++;
  }
  const limit = Math.min(comps, opts.maxComponents ?? Infinity);

  // 4. Bucket run end points per component (raster order is kept, so each bucket is sorted by y then x).
  const offset = new Int32Array(limit + 1);
  for (let c = 0; c < limit; c++) offset[c + 1] = offset[c]! + 2 * runsPerComp[c]!;
  const pts = new Float64Array(2 * offset[limit]!);
  const fill = offset.slice(0, limit);
  const stats = new Array<MaskComponent>(limit);
  for (let c = 0; c < limit; c++) {
    stats[c] = { hull: [], pixelCount: 0, minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  }
  for (let i = 0; i < n; i++) {
    const c = compOf[i]!;
    if (c >= limit) continue;
    const a = x0[i]!, b = x1[i]!, y = s.y[i]!;
    const st = stats[c]!;
    st.pixelCount += b - a + 1;
    if (a < st.minX) st.minX = a;
    if (b > st.maxX) st.maxX = b;
    if (y < st.minY) st.minY = y;
    if (y > st.maxY) st.maxY = y;
    let f = fill[c]!;
    pts[2 * f] = a;
    pts[2 * f + 1] = y;
    f++;
    if (b !== a) {
      pts[2 * f] = b;
      pts[2 * f + 1] = y;
      f++;
    }
    fill[c] = f;
  }

  // 5. Hull per component; the points are in (y, x) lexicographic order, which Andrew's chain accepts.
  for (let c = 0; c < limit; c++) {
    stats[c]!.hull = convexHullOfSorted(pts.subarray(2 * offset[c]!, 2 * fill[c]!));
  }
  return stats;
}

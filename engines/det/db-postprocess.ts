// DB post-processing after PaddleOCR ppocr/postprocess/db_postprocess.py (DBPostProcess.boxes_from_bitmap, 'fast'
// score, quad boxes) and tools/infer/predict_det.py (filter_tag_det_res), which refer to DBNet.pytorch.
import { ClipperOffset, EndType, JoinType, type Path64, type Paths64 } from '@countertype/clipper2-ts';
import type { DetBox } from '../stages.js';
import type { Point, Quad } from '../types.js';
import { findComponentsAbove, RunScratch } from '../image/contours.js';
import { roundHalfEven } from './det-preprocess.js';
import { distance, getMiniBoxes, orderPointsClockwise, polygonArea, polygonPerimeter } from '../image/geometry.js';

export interface DbPostProcessOptions {
  /** Binarisation threshold, strict `>` (det_db_thresh 0.3). */
  thresh: number;
  /** Boxes whose mean probability is below this are dropped; equal is kept (det_db_box_thresh 0.6). */
  boxThresh: number;
  /** Offset distance = area × unclipRatio / perimeter (det_db_unclip_ratio 1.5). */
  unclipRatio: number;
  /** At most this many components are examined (max_candidates 1000). */
  maxCandidates: number;
  /** Shorter side below which a box is dropped, in map pixels (min_size 3; +2 after unclip). */
  minSize: number;
}

export const DEFAULT_DB_POSTPROCESS_OPTIONS: Readonly<DbPostProcessOptions> = {
  thresh: 0.3,
  boxThresh: 0.6,
  unclipRatio: 1.5,
  maxCandidates: 1000,
  minSize: 3,
};

/** The detector's output map; only its top-left `validWidth` × `validHeight` part covers the image. */
export interface ProbabilityMap {
  data: Float32Array;
  /** Row length of `data` (the tensor width). */
  width: number;
  height: number;
  /** Part of the map that corresponds to the resized image (the rest is bucket padding); default all. */
  validWidth?: number;
  validHeight?: number;
}

/** Clipper1's default ArcTolerance (pyclipper), so round joins get about as many vertices as Paddle's. */
const ARC_TOLERANCE = 0.25;

/**
 * Where map pixels land in the destination image: dest = round((x + offsetX) · scaleX), clamped to
 * [0, maxX] (and likewise for y). Paddle's mapping is offset 0, scale = destWidth / mapWidth, max = destWidth.
 */
export interface MapToDest {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  maxX: number;
  maxY: number;
}

/**
 * boxes_from_bitmap: components of `map > thresh` → minimum-area boxes → fast score → unclip → boxes in
 * destination pixels, clipped to [0, maxX] × [0, maxY] (inclusive, as Paddle). Points are TL, TR, BR, BL
 * (get_mini_boxes). `toDest` defaults to Paddle's: the valid map area stands for `destWidth` × `destHeight`.
 */
export function boxesFromBitmap(
  map: ProbabilityMap,
  toDest: MapToDest,
  options: Partial<DbPostProcessOptions> = {},
  scratch?: RunScratch,
): DetBox[] {
  const opts = { ...DEFAULT_DB_POSTPROCESS_OPTIONS, ...options };
  const width = map.validWidth ?? map.width;
  const height = map.validHeight ?? map.height;
  // 1. Segmentation (pred > thresh) and its 8-connected components, in raster order, capped at maxCandidates.
  const components = findComponentsAbove(map.data, map.width, width, height, opts.thresh, { maxComponents: opts.maxCandidates }, scratch);
  const boxes: DetBox[] = [];
  for (const comp of components) {
    // 2. Minimum-area rectangle; slivers cannot hold text.
    const mini = getMiniBoxes(comp.hull);
    if (mini.sside < opts.minSize) continue;
    // 3. Mean probability inside the box ('fast' mode); weak blobs are noise.
    const score = boxScoreFast(map, width, height, mini.quad);
    if (opts.boxThresh > score) continue;
    // 4. DB predicts a shrunk text kernel: grow it back by the offset the training labels were shrunk with.
    const expanded = unclip(mini.quad, opts.unclipRatio);
    if (expanded === null) continue;
    const flat: number[] = [];
    for (const p of expanded) flat.push(p.x, p.y);
    const grown = getMiniBoxes(flat);
    if (grown.sside < opts.minSize + 2) continue;
    // 5. Map to destination pixels (with Paddle's mapping this also undoes the ×32 rounding of each side).
    const quad = grown.quad.map(([x, y]): Point => [
      clamp(roundHalfEven((x + toDest.offsetX) * toDest.scaleX), 0, toDest.maxX),
      clamp(roundHalfEven((y + toDest.offsetY) * toDest.scaleY), 0, toDest.maxY),
    ]) as Quad;
    boxes.push({ quad, score });
  }
  return boxes;
}

/** Paddle's map → source mapping: the valid map area stands for an image of `destWidth` × `destHeight`. */
export function paddleMapToDest(map: ProbabilityMap, destWidth: number, destHeight: number): MapToDest {
  const width = map.validWidth ?? map.width;
  const height = map.validHeight ?? map.height;
  return { scaleX: destWidth / width, scaleY: destHeight / height, offsetX: 0, offsetY: 0, maxX: destWidth, maxY: destHeight };
}

/**
 * box_score_fast: mean of the map over the quad (corners truncated to integers, filled like cv2.fillPoly,
 * boundary included) within its bounding box clipped to the valid map.
 */
export function boxScoreFast(map: ProbabilityMap, validWidth: number, validHeight: number, quad: Quad): number {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const [x, y] of quad) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const xmin = clamp(Math.floor(minX), 0, validWidth - 1);
  const xmax = clamp(Math.ceil(maxX), 0, validWidth - 1);
  const ymin = clamp(Math.floor(minY), 0, validHeight - 1);
  const ymax = clamp(Math.ceil(maxY), 0, validHeight - 1);
  // fillPoly gets int32 corners relative to the crop.
  const px = quad.map((p) => Math.trunc(p[0] - xmin));
  const py = quad.map((p) => Math.trunc(p[1] - ymin));
  let sum = 0;
  let count = 0;
  const w = xmax - xmin + 1;
  for (let ry = 0; ry <= ymax - ymin; ry++) {
    // The quad is convex: its intersection with this row is one span, found from the edges that cross it.
    let lo = Infinity, hi = -Infinity;
    for (let e = 0; e < 4; e++) {
      const x0 = px[e]!, y0 = py[e]!, x1 = px[(e + 1) & 3]!, y1 = py[(e + 1) & 3]!;
      if (ry < Math.min(y0, y1) || ry > Math.max(y0, y1)) continue;
      if (y0 === y1) {
        lo = Math.min(lo, x0, x1);
        hi = Math.max(hi, x0, x1);
      } else {
        const x = x0 + ((ry - y0) * (x1 - x0)) / (y1 - y0);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    if (lo > hi) continue;
    const a = Math.max(0, Math.round(lo)), b = Math.min(w - 1, Math.round(hi));
    const row = (ymin + ry) * map.width + xmin;
    for (let x = a; x <= b; x++) sum += map.data[row + x]!;
    count += Math.max(0, b - a + 1);
  }
  return count > 0 ? sum / count : 0;
}

/**
 * Vatti offset of the box by area × ratio / perimeter with round joins (pyclipper JT_ROUND, ET_CLOSEDPOLYGON;
 * Clipper2 here). Coordinates go in truncated to integers like pyclipper's. Null when the offset does not
 * give exactly one polygon (PaddleOCR skips those).
 */
export function unclip(quad: Quad, unclipRatio: number): { x: number; y: number }[] | null {
  const perimeter = polygonPerimeter(quad);
  if (perimeter === 0) return null;
  const dist = (polygonArea(quad) * unclipRatio) / perimeter;
  const path: Path64 = quad.map(([x, y]) => ({ x: Math.trunc(x), y: Math.trunc(y) }));
  // Clipper1 caps the arc tolerance at a quarter of the offset; Clipper2 does not, so do it here.
  const offset = new ClipperOffset(2, Math.min(ARC_TOLERANCE, 0.25 * dist));
  offset.addPath(path, JoinType.Round, EndType.Polygon);
  const solution: Paths64 = [];
  offset.execute(dist, solution);
  if (solution.length !== 1) return null;
  return solution[0]!;
}

/**
 * filter_tag_det_res: corners re-ordered clockwise from the top-left, clipped to [0, w−1] × [0, h−1], and boxes
 * whose int side lengths are ≤ 3 px dropped.
 */
export function filterTagDetRes(boxes: DetBox[], imageWidth: number, imageHeight: number): DetBox[] {
  const out: DetBox[] = [];
  for (const box of boxes) {
    const ordered = orderPointsClockwise(box.quad);
    const quad = ordered.map(([x, y]): Point => [clamp(Math.trunc(x), 0, imageWidth - 1), clamp(Math.trunc(y), 0, imageHeight - 1)]) as Quad;
    const rectWidth = Math.trunc(distance(quad[0], quad[1]));
    const rectHeight = Math.trunc(distance(quad[0], quad[3]));
    if (rectWidth <= 3 || rectHeight <= 3) continue;
    out.push({ quad, score: box.score });
  }
  return out;
}

/**
 * DBPostProcess + filter_tag_det_res for one map whose valid part stands for an image of `destWidth` ×
 * `destHeight`: DetBox quads in that image's pixels.
 */
export function dbPostProcess(
  map: ProbabilityMap,
  destWidth: number,
  destHeight: number,
  options: Partial<DbPostProcessOptions> = {},
  scratch?: RunScratch,
): DetBox[] {
  return filterTagDetRes(boxesFromBitmap(map, paddleMapToDest(map, destWidth, destHeight), options, scratch), destWidth, destHeight);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

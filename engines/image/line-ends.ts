// Line-end extension before cropping (ours; measured on the eval fixtures: 531 -> 515 errors over 29 pages).
// DB's shrunk kernel often stops short of a lone trailing glyph (the full stop of "…for rye.", "…weather."), so
// the unclipped box ends on or before it and the recogniser never sees it. Before cropping, the quad is
// lengthened along its reading direction so the last glyph near its end, plus a margin, is inside.
import type { Quad, RgbImage } from '../types.js';

/** Search for ink from this many box heights inside an end… */
const INSIDE_H = 0.3;
/** …to gaps of at most this many heights beyond the last glyph found… */
const MAX_GAP_H = 0.35;
/** …where a glyph beyond the end may be at most this wide (wider: a neighbouring column's word, left alone)… */
const MAX_GLYPH_H = 0.6;
/** …and the box then ends this far (≥ 2 px) past the last inked column. */
const MARGIN_H = 0.15;
/** A box whose last ink is this close to its end (px) is cut tight: the glyph may go on past it. */
const TOUCH_PX = 1;
/** Never more than this many heights beyond the end (a row of leader dots stops here). */
const MAX_REACH_H = 1.5;
/** Crops at least this much taller than wide hold vertical text (crop.ts TALL_CROP_RATIO); left alone. */
const TALL_RATIO = 1.5;

/**
 * `quad` (TL, TR, BR, BL in page pixels) lengthened at its right end (and left end with `bothEnds`) to cover
 * a trailing glyph the detector left out and a margin after the line's last ink. Unchanged when the end
 * already has its margin, for vertical crops, and on dark paper.
 */
export function extendLineEnds(page: RgbImage, quad: Quad, bothEnds = false): Quad {
  const [p0, p1, p2, p3] = quad;
  const w = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
  const h = Math.hypot(p3[0] - p0[0], p3[1] - p0[1]);
  if (!(w > 0 && h >= 4) || h / w >= TALL_RATIO) return quad;
  const u: [number, number] = [(p1[0] - p0[0]) / w, (p1[1] - p0[1]) / w];
  const right = endExtensionPx(page, p1, p2, u, h);
  const left = bothEnds ? endExtensionPx(page, p0, p3, [-u[0], -u[1]], h) : 0;
  if (right === 0 && left === 0) return quad;
  const clampX = (v: number) => Math.min(page.width - 1, Math.max(0, v));
  const clampY = (v: number) => Math.min(page.height - 1, Math.max(0, v));
  const move = (p: readonly number[], d: number): [number, number] => [clampX(p[0]! + u[0] * d), clampY(p[1]! + u[1] * d)];
  return [move(p0, -left), move(p1, right), move(p2, right), move(p3, -left)];
}

/**
 * Pixels to add beyond the end edge top→bottom (moving along `dir`): columns are sampled across the box
 * (nearest pixel, inner rows only) at whole-pixel offsets from the edge.
 */
function endExtensionPx(page: RgbImage, top: readonly number[], bottom: readonly number[], dir: readonly [number, number], h: number): number {
  const rows = Math.max(1, Math.floor(h) - 2);
  const luma = (x: number, y: number): number => {
    const xi = Math.round(x), yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= page.width || yi >= page.height) return -1;
    const i = (yi * page.width + xi) * 3;
    return (page.data[i]! * 77 + page.data[i + 1]! * 150 + page.data[i + 2]! * 29) >> 8;
  };
  /** Luma of inner row r (1…rows) of the column `offset` px beyond the edge; −1 off the page. */
  const at = (offset: number, r: number): number => {
    const t = r / (rows + 1);
    return luma(top[0]! + (bottom[0]! - top[0]!) * t + dir[0] * offset, top[1]! + (bottom[1]! - top[1]!) * t + dir[1] * offset);
  };
  /**
   * Whether the column at `offset` px beyond the edge holds dark ink; undefined when any of its rows is off the
   * page. A sample's pixel moves monotonically down the column (a linear position, rounded), so the column is on
   * the page when its first and last rows are, and the first dark pixel answers.
   */
  const inked = (offset: number): boolean | undefined => {
    if (at(offset, 1) < 0 || at(offset, rows) < 0) return undefined;
    for (let r = 1; r <= rows; r++) if (at(offset, r) < 128) return true;
    return false;
  };
  // Dark paper (light text): the fixed threshold does not apply; leave the box. Paper is the majority of the
  // box's end: the median sample (index length >> 1 of the sorted samples) is light, i.e. at most length >> 1 of
  // them are dark (counted, not sorted).
  const inside = Math.round(INSIDE_H * h);
  let sampled = 0, dark = 0;
  for (let o = -inside; o <= 0; o++) {
    for (let r = 1; r <= rows; r++) {
      const v = at(o, r);
      if (v >= 0) {
        sampled++;
        if (v < 128) dark++;
      }
    }
  }
  if (sampled === 0 || dark > sampled >> 1) return 0;
  const maxReach = Math.round(MAX_REACH_H * h);
  const maxGap = Math.max(2, Math.round(MAX_GAP_H * h));
  const maxGlyph = Math.round(MAX_GLYPH_H * h);
  let last = -Infinity;
  let gap = 0;
  let runStart = 0;
  for (let o = -inside; o <= maxReach; o++) {
    const ink = inked(o);
    if (ink === undefined) break;
    if (ink) {
      if (gap > 0 || last === -Infinity) runStart = o;
      // A glyph reaching this far past the end is a word of its own (a neighbouring column): no change.
      if (o > 0 && o - Math.max(runStart, 0) > maxGlyph) return 0;
      last = o;
      gap = 0;
    } else if (++gap > maxGap && o > 0) break;
  }
  // Only a box that ends on ink or before it needs more: the line's ink reaches its last TOUCH_PX columns.
  if (last < -TOUCH_PX) return 0;
  return last + Math.max(2, Math.round(MARGIN_H * h));
}

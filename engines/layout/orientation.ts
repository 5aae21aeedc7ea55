// Page orientation (0/90/180/270) from detector box shapes and 180° classifier votes, and the maps between the
// page image as given and its upright frame. The two-step idea (sideways from box shapes, then up/down from
// line-classifier votes) follows PaddleOCR's per-line tall-crop rule and cls, lifted to page level.
import { distance } from '../image/geometry.js';
import type { Block, Point, Quad, Rect, Rotation, Word } from '../types.js';

/** A crop whose long side is at least this many times its short side has a clear text direction (PaddleOCR's tall-crop ratio). */
export const DIRECTION_ASPECT_RATIO = 1.5;

/** One detected box as the orientation decision sees it. */
export interface OrientationEvidence {
  /**
   * The page-space quad in CROP order (crop's TL, TR, BR, BL): LineCrop.quad. For crops turned 90° CCW this is
   * the page quad shifted by one corner, so quad[0]→quad[1] always runs along the crop's width.
   */
  quad: Quad;
  /** true when the crop was turned 90° CCW because it was tall (LineCrop.rotated90). Derived from `quad` when absent. */
  rotated90?: boolean;
  /** Direction classifier verdict on the crop as cut (after the tall-crop turn); absent when cls did not run. */
  angle?: 0 | 180;
  /** Classifier probability of `angle`, 0.5..1; below 0.5 (e.g. 0 when cls did not run) counts as no vote. */
  score?: number;
  /** Crop width in pixels (unused beyond sanity; length comes from the quad). */
  width?: number;
  /** Characters recognised on the line, when known; else the quad's length/thickness ratio stands in. */
  textLength?: number;
}

export interface OrientationOptions {
  /** Share of directional box area that must be tall for the page to count as sideways (default 0.5: "most"). */
  sidewaysMinShare?: number;
  /** Page-level flips override single lines' classifier votes only at or above this confidence (default 0.75). */
  overrideMinConfidence?: number;
  /** Otherwise a line is flipped when the classifier says 180 with more than this score (PaddleOCR cls_thresh, 0.9). */
  clsThresh?: number;
}

export interface OrientationDecision {
  /** Clockwise rotation the page content has (Page.rotation). */
  rotation: Rotation;
  /**
   * 0..1: product of the two sub-decisions' winning shares (axis from box shapes, up/down from classifier votes),
   * each 0.5..1; 0 when there was no evidence at all.
   */
  confidence: number;
  /** Whether crops of the page's text direction must be turned 180° to read upright (rotation 180 or 270). */
  flipAll: boolean;
  /**
   * Per evidence item: whether to turn that crop 180° before recognition. Crops along the page's text axis follow
   * `flipAll` when `confidence` ≥ overrideMinConfidence; every other crop keeps its own classifier verdict, taken
   * as PaddleOCR does (180 with score > clsThresh).
   */
  flips: boolean[];
  /** Tall share of the directional box area, 0..1 (> sidewaysMinShare → sideways). */
  tallShare: number;
  /** Weighted share of the classifier evidence that says "upside down" among crops along the text axis, 0..1. */
  flipShare: number;
}

type Shape = 'wide' | 'tall' | 'square';

function shapeOf(e: OrientationEvidence): { shape: Shape; length: number; thickness: number } {
  const q = e.quad;
  const length = (distance(q[0], q[1]) + distance(q[3], q[2])) / 2;
  const thickness = (distance(q[0], q[3]) + distance(q[1], q[2])) / 2;
  if (e.rotated90 !== undefined) {
    if (e.rotated90) return { shape: 'tall', length, thickness };
    return { shape: length >= DIRECTION_ASPECT_RATIO * thickness ? 'wide' : 'square', length, thickness };
  }
  // No crop flag: decide from the page-space geometry of the crop's width direction.
  const long = Math.max(length, thickness);
  const short = Math.min(length, thickness);
  if (long < DIRECTION_ASPECT_RATIO * short) return { shape: 'square', length, thickness };
  const dx = (q[1][0] - q[0][0] + q[2][0] - q[3][0]) / 2;
  const dy = (q[1][1] - q[0][1] + q[2][1] - q[3][1]) / 2;
  const alongIsVertical = Math.abs(dy) > Math.abs(dx);
  const longIsAlong = length >= thickness;
  return { shape: alongIsVertical === longIsAlong ? 'tall' : 'wide', length, thickness };
}

/**
 * Decides the page's clockwise content rotation.
 *
 * 1. Axis, from box shapes: among boxes with a clear direction (long side ≥ 1.5× short side), if the tall ones
 *    hold most of the area, the page is sideways (90 or 270). Area weighting lets a few long lines outvote many
 *    stray one-character boxes.
 * 2. Up or down, from the 180° classifier on crops along that axis: each vote is P(upside down) weighted by the
 *    line's length in characters (textLength, else length/thickness ≈ characters at CJK pitch). Tall crops were
 *    turned 90° CCW before cls, so "upright" there means the content runs top-to-bottom (rotation 90) and
 *    "upside down" means bottom-to-top (rotation 270).
 * With no classifier votes, 90 is assumed for sideways pages (up/down share 0.5).
 */
export function decideOrientation(evidence: readonly OrientationEvidence[], options: OrientationOptions = {}): OrientationDecision {
  const sidewaysMinShare = options.sidewaysMinShare ?? 0.5;
  const overrideMinConfidence = options.overrideMinConfidence ?? 0.75;
  const clsThresh = options.clsThresh ?? 0.9;
  const shapes = evidence.map(shapeOf);

  let tallArea = 0;
  let wideArea = 0;
  for (const s of shapes) {
    const area = s.length * s.thickness;
    if (s.shape === 'tall') tallArea += area;
    else if (s.shape === 'wide') wideArea += area;
  }
  const directional = tallArea + wideArea;
  const tallShare = directional > 0 ? tallArea / directional : 0;
  const sideways = directional > 0 && tallShare > sidewaysMinShare;
  const axisConfidence = directional > 0 ? Math.max(tallShare, 1 - tallShare) : 0;

  // Crops along the page's text axis: tall ones on a sideways page; wide and square ones otherwise (square
  // crops are not turned, so on an upright page their classifier verdict is still meaningful, if weak).
  const onAxis = shapes.map((s) => (sideways ? s.shape === 'tall' : s.shape !== 'tall'));
  let upWeight = 0;
  let downWeight = 0;
  evidence.forEach((e, i) => {
    // The classifier reports the probability of its winning class, so a real score is ≥ 0.5; anything lower
    // (callers fill 0 when cls did not run) is no vote at all.
    if (!onAxis[i] || e.angle === undefined || e.score === undefined || !(e.score >= 0.5)) return;
    const s = shapes[i]!;
    const weight = e.textLength ?? (s.thickness > 0 ? Math.max(1, s.length / s.thickness) : 1);
    const score = Math.min(1, e.score);
    const pDown = e.angle === 180 ? score : 1 - score;
    downWeight += weight * pDown;
    upWeight += weight * (1 - pDown);
  });
  const voted = upWeight + downWeight;
  const flipShare = voted > 0 ? downWeight / voted : 0.5;
  const flipAll = flipShare > 0.5;
  const flipConfidence = Math.max(flipShare, 1 - flipShare);

  const rotation: Rotation = sideways ? (flipAll ? 270 : 90) : flipAll ? 180 : 0;
  const confidence = evidence.length === 0 || directional === 0 ? (voted > 0 ? 0.5 * flipConfidence : 0) : axisConfidence * flipConfidence;
  const override = confidence >= overrideMinConfidence;
  const flips = evidence.map((e, i) => (override && onAxis[i] ? flipAll : e.angle === 180 && (e.score ?? 0) > clsThresh));
  return { rotation, confidence, flipAll, flips, tallShare, flipShare };
}

// ---------------------------------------------------------------------------------------------------------
// Frames. The page image as given is W × H; its content is rotated `rotation` degrees clockwise. The UPRIGHT
// frame is that image turned `rotation` degrees counter-clockwise, so the text reads normally there; it is
// H × W for 90 and 270. Coordinates are continuous page pixels (an edge at x = W maps to an edge, not W − 1),
// so a box that covers the whole page still covers it after the turn. The corner order of a quad is kept by
// every map: point 0 stays where the text starts (see Quad in types.ts).
// NOTE: engines/image/geometry.ts `rotateQuad` turns an image clockwise in pixel-centre coordinates; these
// functions are named differently on purpose.

/** Size of the upright frame of a W × H page whose content is rotated `rotation` clockwise. */
export function uprightSize(pageWidth: number, pageHeight: number, rotation: Rotation): { width: number; height: number } {
  return rotation === 90 || rotation === 270 ? { width: pageHeight, height: pageWidth } : { width: pageWidth, height: pageHeight };
}

/** Page point (W × H page as given) → upright frame. */
export function toUprightPoint(p: Point, rotation: Rotation, pageWidth: number, pageHeight: number): Point {
  const [x, y] = p;
  switch (rotation) {
    case 0: return [x, y];
    case 90: return [y, pageWidth - x];
    case 180: return [pageWidth - x, pageHeight - y];
    case 270: return [pageHeight - y, x];
  }
}

/** Upright-frame point → page as given. `pageWidth`/`pageHeight` are the page AS GIVEN (not the upright frame). */
export function fromUprightPoint(p: Point, rotation: Rotation, pageWidth: number, pageHeight: number): Point {
  const [u, v] = p;
  switch (rotation) {
    case 0: return [u, v];
    case 90: return [pageWidth - v, u];
    case 180: return [pageWidth - u, pageHeight - v];
    case 270: return [v, pageHeight - u];
  }
}

/** Quad in the page as given → upright frame; corner order kept. */
export function toUprightQuad(quad: Quad, rotation: Rotation, pageWidth: number, pageHeight: number): Quad {
  return quad.map((p) => toUprightPoint(p, rotation, pageWidth, pageHeight)) as Quad;
}

/** Upright-frame quad → page as given (inverse of toUprightQuad; sizes are the page as given). */
export function fromUprightQuad(quad: Quad, rotation: Rotation, pageWidth: number, pageHeight: number): Quad {
  return quad.map((p) => fromUprightPoint(p, rotation, pageWidth, pageHeight)) as Quad;
}

/** Axis-aligned bounds of a set of quads (0-size rect at the origin for none). */
export function boundingRect(quads: readonly Quad[]): Rect {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const q of quads) {
    for (const [x, y] of q) {
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (minX === Infinity) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** Anything with a quad and optional words (LineCandidate, Line). */
interface HasQuad {
  quad: Quad;
  words?: Word[];
}

/** Maps the quads (and word quads) of line candidates from the page as given into the upright frame. */
export function toUpright<T extends HasQuad>(items: readonly T[], rotation: Rotation, pageWidth: number, pageHeight: number): T[] {
  if (rotation === 0) return items.slice();
  return items.map((it) => ({
    ...it,
    quad: toUprightQuad(it.quad, rotation, pageWidth, pageHeight),
    ...(it.words ? { words: it.words.map((w) => ({ ...w, quad: toUprightQuad(w.quad, rotation, pageWidth, pageHeight) })) } : {}),
  }));
}

/** Maps blocks laid out in the upright frame back to the page as given; block bboxes are recomputed there. */
export function fromUpright(blocks: readonly Block[], rotation: Rotation, pageWidth: number, pageHeight: number): Block[] {
  if (rotation === 0) return blocks.slice();
  return blocks.map((b) => {
    const lines = b.lines.map((l) => ({
      ...l,
      quad: fromUprightQuad(l.quad, rotation, pageWidth, pageHeight),
      words: l.words.map((w) => ({ ...w, quad: fromUprightQuad(w.quad, rotation, pageWidth, pageHeight) })),
    }));
    return { ...b, bbox: boundingRect(lines.map((l) => l.quad)), lines };
  });
}

/**
 * A quad in page order (TL, TR, BR, BL of the page-space rectangle, as DB post-processing returns it) put in
 * the reading order of text whose content is rotated `rotation` clockwise: a cyclic shift by rotation/90.
 */
export function quadInReadingOrder(pageOrderQuad: Quad, rotation: Rotation): Quad {
  const k = rotation / 90;
  const q = pageOrderQuad;
  return [q[k % 4]!, q[(k + 1) % 4]!, q[(k + 2) % 4]!, q[(k + 3) % 4]!];
}

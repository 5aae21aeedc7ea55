/**
 * Page-pixel ↔ viewport mapping for the document viewer.
 *
 * The viewer draws the page image scaled by `zoom` and shifted by `(panX, panY)` inside a viewport
 * element; the box overlay is an SVG the size of the viewport whose polygon points are viewport pixels.
 * Every conversion in the renderer goes through these functions so the image, the overlay and the
 * e2e tests agree on one transform:  viewport = page * zoom + pan.
 */
import type { Point, Quad } from '../../engines/types.js';

export interface ViewTransform {
  /** Viewport pixels per page pixel. */
  zoom: number;
  /** Viewport position of the page's top-left corner. */
  panX: number;
  panY: number;
}

export interface Size {
  width: number;
  height: number;
}

export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 16;
/** Space left around the page when fitting, in viewport pixels. */
export const FIT_MARGIN_PX = 16;

export const IDENTITY_TRANSFORM: ViewTransform = { zoom: 1, panX: 0, panY: 0 };

export function clampZoom(zoom: number): number {
  if (!Number.isFinite(zoom)) return 1;
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
}

export function pageToViewport(p: Point, t: ViewTransform): Point {
  return [p[0] * t.zoom + t.panX, p[1] * t.zoom + t.panY];
}

export function viewportToPage(v: Point, t: ViewTransform): Point {
  return [(v[0] - t.panX) / t.zoom, (v[1] - t.panY) / t.zoom];
}

export function quadToViewport(q: Quad, t: ViewTransform): Quad {
  return [pageToViewport(q[0], t), pageToViewport(q[1], t), pageToViewport(q[2], t), pageToViewport(q[3], t)];
}

export function quadToPage(q: Quad, t: ViewTransform): Quad {
  return [viewportToPage(q[0], t), viewportToPage(q[1], t), viewportToPage(q[2], t), viewportToPage(q[3], t)];
}

/** SVG `points` attribute for a quad already in viewport pixels. Two decimals: sub-pixel, short strings. */
export function formatSvgPoints(q: readonly Point[]): string {
  return q.map(([x, y]) => `${round2(x)},${round2(y)}`).join(' ');
}

/** Inverse of formatSvgPoints; throws on malformed input (the e2e tests read the DOM with it). */
export function parseSvgPoints(points: string): Point[] {
  const out: Point[] = [];
  for (const pair of points.trim().split(/\s+/)) {
    const [xs, ys] = pair.split(',');
    const x = Number(xs);
    const y = Number(ys);
    if (xs === undefined || ys === undefined || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new Error(`bad SVG point "${pair}"`);
    }
    out.push([x, y]);
  }
  return out;
}

/** Whole page visible and centred, with FIT_MARGIN_PX around it. */
export function fitPage(page: Size, viewport: Size): ViewTransform {
  if (page.width <= 0 || page.height <= 0 || viewport.width <= 0 || viewport.height <= 0) {
    return IDENTITY_TRANSFORM;
  }
  const availW = Math.max(1, viewport.width - 2 * FIT_MARGIN_PX);
  const availH = Math.max(1, viewport.height - 2 * FIT_MARGIN_PX);
  const zoom = clampZoom(Math.min(availW / page.width, availH / page.height));
  return centre(page, viewport, zoom);
}

/** Page width fills the viewport; top of the page at the top margin. */
export function fitWidth(page: Size, viewport: Size): ViewTransform {
  if (page.width <= 0 || viewport.width <= 0) return IDENTITY_TRANSFORM;
  const zoom = clampZoom(Math.max(1, viewport.width - 2 * FIT_MARGIN_PX) / page.width);
  return { zoom, panX: (viewport.width - page.width * zoom) / 2, panY: FIT_MARGIN_PX };
}

function centre(page: Size, viewport: Size, zoom: number): ViewTransform {
  return {
    zoom,
    panX: (viewport.width - page.width * zoom) / 2,
    panY: (viewport.height - page.height * zoom) / 2,
  };
}

/**
 * New transform at `zoom` that keeps the page point under `anchor` (a viewport point, e.g. the cursor)
 * where it is. Zooming with the wheel then feels anchored to the pointer.
 */
export function zoomAt(t: ViewTransform, anchor: Point, zoom: number): ViewTransform {
  const z = clampZoom(zoom);
  const [px, py] = viewportToPage(anchor, t);
  return { zoom: z, panX: anchor[0] - px * z, panY: anchor[1] - py * z };
}

export function panBy(t: ViewTransform, dxPx: number, dyPx: number): ViewTransform {
  return { zoom: t.zoom, panX: t.panX + dxPx, panY: t.panY + dyPx };
}

/**
 * Smallest pan change that brings the page rectangle `r` (page pixels) fully into the viewport,
 * with `marginPx` to spare where it fits. Used to scroll a selected line or search hit into view.
 */
export function revealRect(
  t: ViewTransform,
  r: { x: number; y: number; width: number; height: number },
  viewport: Size,
  marginPx = 24,
): ViewTransform {
  const [x0, y0] = pageToViewport([r.x, r.y], t);
  const [x1, y1] = pageToViewport([r.x + r.width, r.y + r.height], t);
  const dx = shiftInto(x0, x1, viewport.width, marginPx);
  const dy = shiftInto(y0, y1, viewport.height, marginPx);
  return dx === 0 && dy === 0 ? t : panBy(t, dx, dy);
}

function shiftInto(lo: number, hi: number, extent: number, margin: number): number {
  if (hi - lo > extent - 2 * margin) return extent / 2 - (lo + hi) / 2; // too big: centre it
  if (lo < margin) return margin - lo;
  if (hi > extent - margin) return extent - margin - hi;
  return 0;
}

/** Axis-aligned bounds of a quad (or any point list). */
export function quadBounds(q: readonly Point[]): { x: number; y: number; width: number; height: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of q) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

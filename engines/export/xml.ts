// Shared by the XML exporters (hOCR, ALTO): escaping and integer pixel boxes.
import type { Quad, Rect } from '../types.js';

/** Everything XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe inside XML character data and double- or single-quoted attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An integer pixel box that contains the quad, clipped to the page: [x0, y0, x1, y1], x1/y1 exclusive. */
export function pixelBox(quad: Quad, pageWidth: number, pageHeight: number): [number, number, number, number] {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const clampX = (v: number) => Math.min(Math.max(v, 0), Math.ceil(pageWidth));
  const clampY = (v: number) => Math.min(Math.max(v, 0), Math.ceil(pageHeight));
  const x0 = clampX(Math.floor(Math.min(...xs)));
  const y0 = clampY(Math.floor(Math.min(...ys)));
  return [x0, y0, Math.max(x0, clampX(Math.ceil(Math.max(...xs)))), Math.max(y0, clampY(Math.ceil(Math.max(...ys))))];
}

export function rectQuad(r: Rect): Quad {
  return [[r.x, r.y], [r.x + r.width, r.y], [r.x + r.width, r.y + r.height], [r.x, r.y + r.height]];
}

/**
 * The text's reading direction in quarter turns counter-clockwise (0: left to right, 1: bottom to top, 2: upside
 * down, 3: top to bottom), from the quad's top and bottom edges, and the exact angle in degrees (CCW, y up).
 */
export function readingAngle(quad: Quad): { quarterTurns: 0 | 1 | 2 | 3; degrees: number } {
  const dx = quad[1][0] - quad[0][0] + quad[2][0] - quad[3][0];
  const dy = quad[1][1] - quad[0][1] + quad[2][1] - quad[3][1];
  const degrees = dx === 0 && dy === 0 ? 0 : (Math.atan2(-dy, dx) * 180) / Math.PI;
  const q = (((Math.round(degrees / 90) % 4) + 4) % 4) as 0 | 1 | 2 | 3;
  return { quarterTurns: q, degrees };
}

/** Text height of a quad: mean length of its left and right edges. */
export function quadThickness(quad: Quad): number {
  return (Math.hypot(quad[3][0] - quad[0][0], quad[3][1] - quad[0][1]) + Math.hypot(quad[2][0] - quad[1][0], quad[2][1] - quad[1][1])) / 2;
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createCpuSession } from '../../../../engines/runtime/session.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { planTiles, TextDetector } from '../../../../engines/det/text-detector.js';
import { quadBounds } from '../../../../engines/image/geometry.js';
import type { DetectionOptions } from '../../../../engines/api.js';
import type { DetBox, OcrSession } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';

interface Placed {
  text: string;
  /** Ink box in page pixels, x1/y1 exclusive. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Renders one line with pango and returns its RGBA pixels and ink box (alpha > 96). */
async function renderLine(text: string, font: string) {
  const { data, info } = await sharp({ text: { text: `<span foreground="#111111">${text}</span>`, font, dpi: 72, rgba: true } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let x0 = info.width, y0 = info.height, x1 = 0, y1 = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[(y * info.width + x) * 4 + 3]! > 96) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  return { data, width: info.width, height: info.height, ink: { x0, y0, x1, y1 } };
}

/** A white page with lines drawn at (left, top) positions; returns the page and each line's ink box. */
async function renderPage(width: number, height: number, lines: { text: string; font: string; left: number; top: number }[]) {
  const placed: Placed[] = [];
  const composites: sharp.OverlayOptions[] = [];
  for (const l of lines) {
    const r = await renderLine(l.text, l.font);
    composites.push({ input: r.data, raw: { width: r.width, height: r.height, channels: 4 }, left: l.left, top: l.top });
    placed.push({ text: l.text, x0: l.left + r.ink.x0, y0: l.top + r.ink.y0, x1: l.left + r.ink.x1, y1: l.top + r.ink.y1 });
  }
  const buf = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(composites).removeAlpha().raw().toBuffer();
  const image: RgbImage = { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  return { image, placed };
}

function boxRect(b: DetBox) {
  const r = quadBounds(b.quad);
  return { x0: r.minX, y0: r.minY, x1: r.maxX + 1, y1: r.maxY + 1 };
}

function iou(a: { x0: number; y0: number; x1: number; y1: number }, b: { x0: number; y0: number; x1: number; y1: number }): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

/** Each line must match exactly one box with IoU ≥ 0.5, and every box must match a line. */
function assertOneBoxPerLine(placed: Placed[], boxes: DetBox[]): void {
  for (const line of placed) {
    const matches = boxes.filter((b) => iou(line, boxRect(b)) >= 0.5);
    assert.equal(matches.length, 1, `line "${line.text}" at ${line.x0},${line.y0}: ${matches.length} boxes with IoU ≥ 0.5 (boxes: ${JSON.stringify(boxes.map(boxRect))})`);
  }
  for (const b of boxes) {
    assert.ok(placed.some((l) => iou(l, boxRect(b)) >= 0.3), `extra box ${JSON.stringify(boxRect(b))} on blank background`);
  }
}

describe('TextDetector on the real PP-OCRv4 det model (ORT CPU)', () => {
  let session: OcrSession;
  before(async () => {
    session = await createCpuSession(resolveModelPaths().det, { stage: 'det' });
  });
  after(async () => {
    await session?.dispose();
  });

  const lines = [
    { text: 'Invoice number 2024-0117', font: 'DejaVu Sans 28', left: 60, top: 50 },
    { text: 'The quick brown fox jumps over the lazy dog', font: 'Liberation Serif 24', left: 60, top: 140 },
    { text: 'Total amount due: 1,234.56 EUR', font: 'Liberation Sans Bold 26', left: 60, top: 230 },
    { text: 'Payment within 30 days', font: 'DejaVu Serif 20', left: 700, top: 330 },
    { text: 'Thank you for your order', font: 'DejaVu Sans Mono 22', left: 60, top: 520 },
  ];

  test('default options: every line found once, no boxes on the blank background, page pixels', async () => {
    const { image, placed } = await renderPage(1280, 720, lines);
    const det = await TextDetector.create(session);
    const result = await det.run(image);
    assertOneBoxPerLine(placed, result.boxes);
    for (const b of result.boxes) {
      assert.ok(b.score >= 0.6 && b.score <= 1);
      for (const [x, y] of b.quad) assert.ok(x >= 0 && x <= 1279 && y >= 0 && y <= 719);
    }
    assert.ok(result.inputSizes.length >= 1);
    for (const s of result.inputSizes) assert.ok(s.width % 32 === 0 && s.height % 32 === 0);
    assert.ok(result.timings.runMs > 0 && result.timings.preMs >= 0 && result.timings.postMs >= 0);
  });

  test("'paddle' mode: one pass at limit 960, same lines, boxes mapped back from the 960×544 map", async () => {
    const { image, placed } = await renderPage(1280, 720, lines);
    const det = await TextDetector.create(session, { tiling: 'off' });
    const result = await det.run(image);
    assert.deepEqual(result.inputSizes, [{ width: 960, height: 544 }]);
    assertOneBoxPerLine(placed, result.boxes);
  });

  test('tiles at native scale: lines across tile seams and inside overlaps are found once, whole', async () => {
    // 1400 × 1800 at scale 1 in tiles of ≤ 960 px sharing ≥ 160 px: 2 columns × 3 rows.
    const tiles = planTiles(1400, 1800, 960, 160);
    assert.equal(tiles.length, 6);
    const rowStarts = [...new Set(tiles.map((t) => t.y))];
    const tileH = tiles[0]!.height, tileW = tiles[0]!.width;
    const colSeamX = tiles[1]!.x; // the right column starts here; the left one ends at tileW
    assert.ok(colSeamX < 700 && tileW > 700);
    const seamLines = [
      // Runs through both columns (no tile holds it whole): two fragments joined.
      { text: 'A long line that runs across the vertical seam between the two tile columns of this page', font: 'DejaVu Sans 22', left: 40, top: 100 },
      // Straddles the bottom edge of the first tile row; whole in the second row.
      { text: 'Straddling the first horizontal seam', font: 'Liberation Serif 26', left: 500, top: tileH - 12 },
      // Inside the overlap of rows 1 and 2: seen whole twice, kept once.
      { text: 'Inside the overlap of two tile rows', font: 'DejaVu Sans 20', left: 60, top: rowStarts[1]! + 40 },
      // Across the column seam inside the overlap of rows 2 and 3.
      { text: 'Across the column seam where rows two and three overlap as well', font: 'Liberation Sans 24', left: 120, top: rowStarts[2]! + 60 },
      { text: 'Near the bottom of the page', font: 'DejaVu Serif 22', left: 900, top: 1700 },
    ];
    const { image, placed } = await renderPage(1400, 1800, seamLines);
    const det = await TextDetector.create(session, { scale: 1 });
    const result = await det.run(image);
    assert.equal(result.inputSizes.length, 6);
    assertOneBoxPerLine(placed, result.boxes);
  });

  test('padding inputs up to the GPU shape buckets (white) finds the same boxes', async () => {
    const { image, placed } = await renderPage(1280, 720, lines);
    const plain = await (await TextDetector.create(session)).run(image);
    const bucketed = await TextDetector.create(session, { padToShapeBuckets: true });
    const padded = await bucketed.run(image);
    const allowed = new Set(bucketed.shapeBuckets.map(([h, w]) => `${w}x${h}`));
    for (const s of padded.inputSizes) assert.ok(allowed.has(`${s.width}x${s.height}`), `input ${s.width}x${s.height}`);
    assertOneBoxPerLine(placed, padded.boxes);
    assert.equal(padded.boxes.length, plain.boxes.length);
    for (const b of padded.boxes) {
      const twin = plain.boxes.find((p) => iou(boxRect(p), boxRect(b)) > 0.9);
      assert.ok(twin, `no twin for ${JSON.stringify(b.quad)}`);
    }
  });
});

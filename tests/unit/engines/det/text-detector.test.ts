import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUTO_SHORT_SIDE_PX,
  autoScale,
  axisTiles,
  DET_SHAPE_BUCKETS,
  detShapeBuckets,
  MAX_DET_PIXELS,
  mergeTileBoxes,
  planTiles,
  resolveDetectionOptions,
  TextDetector,
} from '../../../../engines/det/text-detector.js';
import { OcrError } from '../../../../engines/errors.js';
import type { DetBox, OcrSession, TensorData } from '../../../../engines/stages.js';
import type { Quad } from '../../../../engines/types.js';

const rect = (x0: number, y0: number, x1: number, y1: number): Quad => [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
const box = (x0: number, y0: number, x1: number, y1: number, score = 0.9): DetBox => ({ quad: rect(x0, y0, x1, y1), score });

describe('tile planning', () => {
  test('one tile when the image fits', () => {
    assert.deepEqual(axisTiles(900, 960, 160), { starts: [0], size: 900 });
  });

  test('balanced tiles: equal sizes (multiples of 32), neighbours overlap by at least the overlap, ends flush', () => {
    for (const length of [961, 1152, 1632, 2480, 3508, 10000]) {
      const { starts, size } = axisTiles(length, 960, 160);
      assert.ok(size <= 960 && size % 32 === 0, `size ${size}`);
      assert.equal(starts[0], 0);
      assert.equal(starts[starts.length - 1]! + size, length);
      for (let i = 1; i < starts.length; i++) assert.ok(starts[i - 1]! + size - starts[i]! >= 160, `overlap at ${length}`);
      // The fewest tiles of 960 that keep the overlap.
      assert.equal(starts.length, Math.ceil((length - 160) / (960 - 160)));
    }
    assert.deepEqual(axisTiles(1152, 960, 160).size, 672);
  });

  test('fixed tiles (shape buckets) are always the full tile size', () => {
    const { starts, size } = axisTiles(2480, 960, 160, true);
    assert.equal(size, 960);
    assert.equal(starts[starts.length - 1]! + 960, 2480);
  });

  test('planTiles covers every pixel', () => {
    const tiles = planTiles(2000, 1500, 960, 160);
    const covered = new Uint8Array(2000 * 1500);
    for (const t of tiles) for (let y = t.y; y < t.y + t.height; y++) covered.fill(1, y * 2000 + t.x, y * 2000 + t.x + t.width);
    assert.ok(covered.every((v) => v === 1));
  });

  test('shape buckets: the square of maxSideLen (rounded up to 32), then one portrait page of it', () => {
    assert.deepEqual(DET_SHAPE_BUCKETS, [[960, 960], [1376, 960]]);
    assert.deepEqual(detShapeBuckets(1000), [[1024, 1024], [1472, 1024]]);
  });
});

describe('autoScale', () => {
  test('A4 at 300 dpi: shorter side to 960 px (1.4× PaddleOCR’s 960-long-side scale)', () => {
    const s = autoScale(2480, 3508);
    assert.equal(s, AUTO_SHORT_SIDE_PX / 2480);
    assert.ok(s > 960 / 3508);
  });
  test('small pages are never enlarged; long receipts and tall screenshots keep nearly native pixels', () => {
    assert.equal(autoScale(800, 600), 1);
    assert.equal(autoScale(1000, 8000), 0.96);
    assert.equal(autoScale(1200, 10000), AUTO_SHORT_SIDE_PX / 1200);
  });
  test('the pixel budget caps huge pages', () => {
    const s = autoScale(1200, 60000);
    assert.ok(1200 * 60000 * s * s <= MAX_DET_PIXELS * 1.0001);
  });
});

describe('mergeTileBoxes', () => {
  // Two tiles side by side in page pixels: [0, 1000) and [800, 1800), seam overlap 800…1000.
  const left = { pageRect: { x0: 0, y0: 0, x1: 1000, y1: 500 }, innerEdges: { left: false, top: false, right: true, bottom: false } };
  const right = { pageRect: { x0: 800, y0: 0, x1: 1800, y1: 500 }, innerEdges: { left: true, top: false, right: false, bottom: false } };

  test('a line seen whole by both tiles is kept once', () => {
    const out = mergeTileBoxes([{ ...left, boxes: [box(850, 100, 950, 120)] }, { ...right, boxes: [box(851, 101, 950, 121)] }], 2);
    assert.equal(out.length, 1);
  });

  test('a piece cut by the seam gives way to the whole line from the other tile', () => {
    const out = mergeTileBoxes([{ ...left, boxes: [box(100, 100, 950, 120)] }, { ...right, boxes: [box(805, 100, 950, 120)] }], 2);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.quad, rect(100, 100, 950, 120));
  });

  test('a line longer than the overlap is joined from its two fragments', () => {
    const out = mergeTileBoxes([{ ...left, boxes: [box(100, 100, 999, 122)] }, { ...right, boxes: [box(800, 101, 1500, 121)] }], 2);
    assert.equal(out.length, 1);
    const xs = out[0]!.quad.map((p) => p[0]), ys = out[0]!.quad.map((p) => p[1]);
    assert.deepEqual([Math.min(...xs), Math.max(...xs)], [100, 1500]);
    assert.ok(Math.min(...ys) >= 99 && Math.max(...ys) <= 123);
  });

  test('fragments of two different lines (one above the other) are not joined', () => {
    const out = mergeTileBoxes(
      [
        { ...left, boxes: [box(100, 100, 999, 122), box(100, 130, 999, 152)] },
        { ...right, boxes: [box(800, 100, 1500, 122), box(800, 130, 1500, 152)] },
      ],
      2,
    );
    assert.equal(out.length, 2);
  });

  test('neighbouring lines of one tile never suppress each other', () => {
    const out = mergeTileBoxes([{ ...left, boxes: [box(100, 100, 500, 122), box(100, 118, 500, 140)] }, { ...right, boxes: [] }], 2);
    assert.equal(out.length, 2);
  });
});

describe('options', () => {
  test('defaults and validation', () => {
    const o = resolveDetectionOptions();
    assert.deepEqual([o.thresh, o.boxThresh, o.unclipRatio, o.maxSideLen, o.tiling, o.scale, o.padToShapeBuckets], [0.3, 0.6, 1.5, 960, 'auto', undefined, false]);
    assert.throws(() => resolveDetectionOptions({ thresh: 1.5 }), (e) => e instanceof OcrError && e.code === 'INVALID_ARGUMENT');
    assert.throws(() => resolveDetectionOptions({ scale: 0 }), OcrError);
    assert.throws(() => resolveDetectionOptions({ tileOverlapPx: 600 }), OcrError);
  });
});

/** A stand-in model that records its input shapes and answers "no text". */
class ShapeRecorder implements OcrSession {
  readonly stage = 'det' as const;
  readonly provider = { stage: 'det' as const, provider: 'cpu' as const, precision: 'fp32' as const, fallbacks: [] };
  shapes: number[][] = [];
  async run(input: TensorData): Promise<TensorData> {
    this.shapes.push([...input.dims]);
    const [, , h, w] = input.dims as [number, number, number, number];
    return { data: new Float32Array(h * w), dims: [1, 1, h, w] };
  }
  async dispose(): Promise<void> {}
}

describe('TextDetector input shapes', () => {
  const page = (width: number, height: number) => ({ width, height, data: new Uint8Array(width * height * 3).fill(255) });

  test("tiling 'off' is PaddleOCR's single 960-long-side pass", async () => {
    const rec = new ShapeRecorder();
    const det = await TextDetector.create(rec, { tiling: 'off' });
    await det.run(page(2480, 3508));
    assert.deepEqual(rec.shapes, [[1, 3, 960, 672]]);
  });

  test('padToShapeBuckets: a portrait A4 or Letter page is one run of the portrait bucket; landscape takes square tiles', async () => {
    const rec = new ShapeRecorder();
    const det = await TextDetector.create(rec, { padToShapeBuckets: true });
    await det.run(page(2480, 3508)); // A4, 300 dpi: 960 × 1358 at the automatic scale
    await det.run(page(2550, 3300)); // US Letter, 300 dpi: 960 × 1242
    assert.deepEqual(rec.shapes, [[1, 3, 1376, 960], [1, 3, 1376, 960]]);
    const land = new ShapeRecorder();
    await (await TextDetector.create(land, { padToShapeBuckets: true })).run(page(3508, 2480));
    assert.deepEqual(land.shapes, [[1, 3, 960, 960], [1, 3, 960, 960]]);
  });

  test('padToShapeBuckets: every input is one of the advertised buckets', async () => {
    const rec = new ShapeRecorder();
    const det = await TextDetector.create(rec, { padToShapeBuckets: true });
    for (const [w, h] of [[2480, 3508], [1000, 8000], [640, 480], [300, 200], [1200, 900], [3000, 500]] as const) await det.run(page(w, h));
    const allowed = new Set(det.shapeBuckets.map(([h, w]) => `${h}x${w}`));
    for (const s of rec.shapes) assert.ok(allowed.has(`${s[2]}x${s[3]}`), `shape ${s.join('x')}`);
    const off = new ShapeRecorder();
    const paddle = await TextDetector.create(off, { padToShapeBuckets: true, tiling: 'off' });
    await paddle.run(page(1234, 567));
    assert.ok(allowed.has(`${off.shapes[0]![2]}x${off.shapes[0]![3]}`));
  });
});

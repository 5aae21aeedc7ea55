import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boxesFromBitmap,
  boxScoreFast,
  dbPostProcess,
  filterTagDetRes,
  paddleMapToDest,
  unclip,
  type ProbabilityMap,
} from '../../../../engines/det/db-postprocess.js';
import { distance, getMiniBoxes } from '../../../../engines/image/geometry.js';
import type { Quad } from '../../../../engines/types.js';

/** A probability map of `width` × `height` at `background`, with helpers to paint blobs. */
function makeMap(width: number, height: number, background = 0.02) {
  const data = new Float32Array(width * height).fill(background);
  return {
    map: { data, width, height } as ProbabilityMap,
    rect(x0: number, y0: number, w: number, h: number, p: number) {
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * width + x] = p;
    },
    rotated(cx: number, cy: number, w: number, h: number, angle: number, p: number) {
      const c = Math.cos(angle), s = Math.sin(angle);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const u = (x - cx) * c + (y - cy) * s, v = -(x - cx) * s + (y - cy) * c;
          if (Math.abs(u) <= w / 2 && Math.abs(v) <= h / 2) data[y * width + x] = p;
        }
      }
    },
  };
}

/** Expected side lengths after unclip for a blob of w×h pixels: the mini box is (w−1)×(h−1), offset d each side. */
function expectedUnclipped(w: number, h: number, ratio = 1.5): [number, number] {
  const bw = w - 1, bh = h - 1;
  const d = (bw * bh * ratio) / (2 * (bw + bh));
  return [bw + 2 * d, bh + 2 * d];
}

const sides = (q: Quad): [number, number] => [distance(q[0], q[1]), distance(q[0], q[3])];

describe('dbPostProcess', () => {
  test('two separated rectangles → two boxes of the expected unclipped size, TL/TR/BR/BL', () => {
    const m = makeMap(200, 100);
    m.rect(20, 10, 60, 10, 0.9);
    m.rect(110, 50, 70, 14, 0.8);
    const boxes = dbPostProcess(m.map, 200, 100);
    assert.equal(boxes.length, 2);
    boxes.sort((a, b) => a.quad[0][0] - b.quad[0][0]);
    const [e1w, e1h] = expectedUnclipped(60, 10);
    const [w1, h1] = sides(boxes[0]!.quad);
    assert.ok(Math.abs(w1 - e1w) <= 2 && Math.abs(h1 - e1h) <= 2, `box 1 ${w1}×${h1} vs ${e1w}×${e1h}`);
    const [e2w, e2h] = expectedUnclipped(70, 14);
    const [w2, h2] = sides(boxes[1]!.quad);
    assert.ok(Math.abs(w2 - e2w) <= 2 && Math.abs(h2 - e2h) <= 2, `box 2 ${w2}×${h2} vs ${e2w}×${e2h}`);
    // Centred on the blob (pixel centres 20..79, 10..19 → centre 49.5, 14.5).
    const cx = boxes[0]!.quad.reduce((s, p) => s + p[0], 0) / 4, cy = boxes[0]!.quad.reduce((s, p) => s + p[1], 0) / 4;
    assert.ok(Math.abs(cx - 49.5) <= 1 && Math.abs(cy - 14.5) <= 1);
    // Order: TL, TR, BR, BL.
    const q = boxes[0]!.quad;
    assert.ok(q[0][0] < q[1][0] && q[1][1] < q[2][1] && q[3][0] < q[2][0] && q[0][1] < q[3][1]);
    assert.ok(Math.abs(boxes[0]!.score - 0.9) < 1e-6);
  });

  test('a blob above thresh but below boxThresh is dropped; lowering boxThresh keeps it', () => {
    const m = makeMap(100, 60);
    m.rect(10, 10, 50, 12, 0.5);
    assert.equal(dbPostProcess(m.map, 100, 60).length, 0);
    assert.equal(dbPostProcess(m.map, 100, 60, { boxThresh: 0.45 }).length, 1);
  });

  test('thresh is strict and compares in float32 like numpy (a map at exactly 0.3 is background)', () => {
    const m = makeMap(100, 60);
    m.rect(10, 10, 50, 12, 0.3);
    assert.equal(dbPostProcess(m.map, 100, 60, { boxThresh: 0 }).length, 0);
  });

  test('a tiny blob is dropped by min_size (short side < 3)', () => {
    const m = makeMap(100, 60);
    m.rect(10, 10, 40, 3, 0.95); // pixel-centre extent 39 × 2
    m.rect(10, 30, 40, 4, 0.95); // 39 × 3: kept
    const boxes = dbPostProcess(m.map, 100, 60);
    assert.equal(boxes.length, 1);
    assert.ok(boxes[0]!.quad[0][1] > 20);
  });

  test('a rotated rectangle → a rotated quad along its direction', () => {
    const m = makeMap(200, 160);
    const angle = 0.4;
    m.rotated(100, 80, 120, 16, angle, 0.9);
    const boxes = dbPostProcess(m.map, 200, 160);
    assert.equal(boxes.length, 1);
    const q = boxes[0]!.quad;
    const found = Math.atan2(q[1][1] - q[0][1], q[1][0] - q[0][0]);
    assert.ok(Math.abs(found - angle) < 0.05, `angle ${found}`);
    const [w, h] = sides(q);
    const [ew, eh] = expectedUnclipped(121, 17);
    assert.ok(Math.abs(w - ew) <= 4 && Math.abs(h - eh) <= 4, `${w}×${h} vs ${ew}×${eh}`);
  });

  test('maps back to a source of a different size through map/source ratios', () => {
    const m = makeMap(100, 50);
    m.rect(20, 10, 40, 8, 0.9);
    const small = dbPostProcess(m.map, 100, 50)[0]!.quad;
    const big = dbPostProcess(m.map, 400, 300)[0]!.quad;
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(big[i]![0] - small[i]![0] * 4) <= 4);
      assert.ok(Math.abs(big[i]![1] - small[i]![1] * 6) <= 6);
    }
  });

  test('only the valid part of a padded map is read, and it stands for the whole source', () => {
    const m = makeMap(128, 64);
    m.rect(10, 10, 40, 10, 0.9);
    m.rect(100, 10, 20, 10, 0.9); // in the padding beyond validWidth = 96
    const map = { ...m.map, validWidth: 96, validHeight: 64 };
    const boxes = boxesFromBitmap(map, paddleMapToDest(map, 192, 128));
    assert.equal(boxes.length, 1);
    assert.ok(boxes[0]!.quad[1][0] < 120); // ≈ 2 × (49 + d)
  });

  test('boxes reaching the map edge clip to the source size, inclusive, then to w − 1 in filter_tag_det_res', () => {
    const m = makeMap(100, 40);
    m.rect(0, 0, 100, 10, 0.9);
    const raw = boxesFromBitmap(m.map, paddleMapToDest(m.map, 100, 40));
    assert.equal(Math.max(...raw[0]!.quad.map((p) => p[0])), 100);
    assert.equal(Math.min(...raw[0]!.quad.map((p) => p[0])), 0);
    const final = filterTagDetRes(raw, 100, 40);
    assert.equal(Math.max(...final[0]!.quad.map((p) => p[0])), 99);
  });

  test('maxCandidates limits the components examined', () => {
    const m = makeMap(200, 40);
    for (let i = 0; i < 5; i++) m.rect(5 + i * 38, 10, 30, 10, 0.9);
    assert.equal(dbPostProcess(m.map, 200, 40).length, 5);
    assert.equal(dbPostProcess(m.map, 200, 40, { maxCandidates: 2 }).length, 2);
  });
});

describe('DB pieces', () => {
  test('boxScoreFast averages over the filled quad only', () => {
    const m = makeMap(20, 20, 0);
    m.rect(5, 5, 5, 5, 1);
    assert.equal(boxScoreFast(m.map, 20, 20, [[5, 5], [9, 5], [9, 9], [5, 9]]), 1);
    const half = boxScoreFast(m.map, 20, 20, [[5, 5], [14, 5], [14, 9], [5, 9]]);
    assert.equal(half, 0.5);
  });

  test('unclip grows a box by area × ratio / perimeter on each side with round corners', () => {
    const poly = unclip([[0, 0], [100, 0], [100, 20], [0, 20]], 1.5)!;
    assert.ok(poly.length > 8); // round joins add arc vertices
    const d = (100 * 20 * 1.5) / 240;
    const { quad, sside } = getMiniBoxes(poly.flatMap((p) => [p.x, p.y]));
    assert.ok(Math.abs(sside - (20 + 2 * d)) <= 1.5);
    assert.ok(Math.abs(distance(quad[0], quad[1]) - (100 + 2 * d)) <= 1.5);
  });

  test('filterTagDetRes orders clockwise, clips, and drops boxes with a side ≤ 3', () => {
    const out = filterTagDetRes(
      [
        { quad: [[50, 30], [10, 30], [10, 10], [50, 10]], score: 0.9 },
        { quad: [[0, 0], [3, 0], [3, 20], [0, 20]], score: 0.9 },
        { quad: [[-4, 5], [70, 5], [70, 50], [-4, 50]], score: 0.8 },
      ],
      60,
      40,
    );
    assert.equal(out.length, 2);
    assert.deepEqual(out[0]!.quad, [[10, 10], [50, 10], [50, 30], [10, 30]]);
    assert.deepEqual(out[1]!.quad, [[0, 5], [59, 5], [59, 39], [0, 39]]);
  });
});

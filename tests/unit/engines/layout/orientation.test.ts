import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  decideOrientation,
  fromUpright,
  fromUprightQuad,
  quadInReadingOrder,
  toUpright,
  toUprightQuad,
  uprightSize,
  type OrientationEvidence,
} from '../../../../engines/layout/orientation.js';
import type { Block, Quad, Rotation } from '../../../../engines/types.js';

const ROTATIONS: Rotation[] = [0, 90, 180, 270];

function near(a: Quad, b: Quad, tol = 1e-9): boolean {
  return a.every((p, i) => Math.abs(p[0] - b[i]![0]) <= tol && Math.abs(p[1] - b[i]![1]) <= tol);
}

describe('upright frame maps', () => {
  const W = 800;
  const H = 600;

  test('round trips for every rotation on a non-square page', () => {
    let s = 1;
    const rnd = (m: number) => ((s = (s * 16807) % 2147483647) / 2147483647) * m;
    for (const r of ROTATIONS) {
      for (let k = 0; k < 50; k++) {
        const q: Quad = [[rnd(W), rnd(H)], [rnd(W), rnd(H)], [rnd(W), rnd(H)], [rnd(W), rnd(H)]];
        const up = toUprightQuad(q, r, W, H);
        const size = uprightSize(W, H, r);
        for (const [x, y] of up) assert.ok(x >= 0 && x <= size.width && y >= 0 && y <= size.height, `r=${r} ${x},${y} in ${size.width}x${size.height}`);
        assert.ok(near(fromUprightQuad(up, r, W, H), q), `r=${r}`);
        assert.ok(near(toUprightQuad(fromUprightQuad(q.map(([x, y]) => [x * (size.width / W), y * (size.height / H)]) as Quad, r, W, H), r, W, H), q.map(([x, y]) => [x * (size.width / W), y * (size.height / H)]) as Quad, 1e-6));
      }
    }
  });

  test('the whole page maps onto the whole upright frame (continuous coordinates)', () => {
    for (const r of ROTATIONS) {
      const { width, height } = uprightSize(W, H, r);
      const page: Quad = [[0, 0], [W, 0], [W, H], [0, H]];
      const xs = toUprightQuad(page, r, W, H).map((p) => p[0]).sort((a, b) => a - b);
      const ys = toUprightQuad(page, r, W, H).map((p) => p[1]).sort((a, b) => a - b);
      assert.deepEqual([xs[0], xs[3], ys[0], ys[3]], [0, width, 0, height]);
    }
  });

  test('reading-order corners: text rotated with the page has point 0 at its top-left once upright', () => {
    // An upright line, then the same line as it appears on a page whose content is rotated r clockwise.
    const uprightLine: Quad = [[50, 40], [350, 40], [350, 70], [50, 70]];
    for (const r of ROTATIONS) {
      const onPage = fromUprightQuad(uprightLine, r, W, H);
      const back = toUprightQuad(onPage, r, W, H);
      assert.ok(near(back, uprightLine));
      // Point 0 is the minimum x and y once upright.
      assert.equal(back[0][0], Math.min(...back.map((p) => p[0])));
      assert.equal(back[0][1], Math.min(...back.map((p) => p[1])));
    }
  });

  test('matches a real clockwise rotation of pixels (sharp): content rotated r clockwise is where fromUpright says', async () => {
    // A 120 × 80 upright image with one black 20 × 10 rectangle at (10, 5).
    const uw = 120, uh = 80;
    const raw = Buffer.alloc(uw * uh, 255);
    for (let y = 5; y < 15; y++) for (let x = 10; x < 30; x++) raw[y * uw + x] = 0;
    for (const r of ROTATIONS) {
      // The page as given is the upright content turned r degrees clockwise.
      const { data, info } = await sharp(raw, { raw: { width: uw, height: uh, channels: 1 } }).rotate(r).raw().toBuffer({ resolveWithObject: true });
      const W2 = info.width, H2 = info.height, ch = info.channels;
      assert.deepEqual(uprightSize(W2, H2, r), { width: uw, height: uh });
      const rect: Quad = [[10, 5], [30, 5], [30, 15], [10, 15]];
      const onPage = fromUprightQuad(rect, r, W2, H2);
      const x0 = Math.min(...onPage.map((p) => p[0])), x1 = Math.max(...onPage.map((p) => p[0]));
      const y0 = Math.min(...onPage.map((p) => p[1])), y1 = Math.max(...onPage.map((p) => p[1]));
      let black = 0, inside = 0;
      for (let y = 0; y < H2; y++) {
        for (let x = 0; x < W2; x++) {
          if (data[(y * W2 + x) * ch]! >= 128) continue;
          black++;
          if (x >= x0 && x < x1 && y >= y0 && y < y1) inside++;
        }
      }
      assert.equal(black, 200, `r=${r}`);
      assert.equal(inside, 200, `r=${r}: rect predicted at ${x0},${y0}–${x1},${y1}`);
    }
  });

  test('toUpright / fromUpright move line, word and block geometry together', () => {
    const line = { quad: [[700, 500], [400, 500], [400, 470], [700, 470]] as Quad, text: 'ab', confidence: 1, words: [{ text: 'ab', quad: [[700, 500], [400, 500], [400, 470], [700, 470]] as Quad, confidence: 1 }] };
    const [up] = toUpright([line], 180, W, H);
    assert.deepEqual(up!.quad, [[100, 100], [400, 100], [400, 130], [100, 130]]);
    assert.deepEqual(up!.words![0]!.quad, up!.quad);
    const blocks: Block[] = [{ id: 'p0-b0', bbox: { x: 100, y: 100, width: 300, height: 30 }, lines: [{ id: 'p0-l0', text: 'ab', confidence: 1, quad: up!.quad, words: up!.words! }] }];
    const back = fromUpright(blocks, 180, W, H);
    assert.deepEqual(back[0]!.lines[0]!.quad, line.quad);
    assert.deepEqual(back[0]!.lines[0]!.words[0]!.quad, line.quad);
    assert.deepEqual(back[0]!.bbox, { x: 400, y: 470, width: 300, height: 30 });
    // Inputs are not mutated.
    assert.deepEqual(blocks[0]!.lines[0]!.quad, [[100, 100], [400, 100], [400, 130], [100, 130]]);
  });

  test('quadInReadingOrder shifts page-order corners by rotation/90', () => {
    const q: Quad = [[0, 0], [10, 0], [10, 40], [0, 40]];
    assert.deepEqual(quadInReadingOrder(q, 0), q);
    assert.deepEqual(quadInReadingOrder(q, 90), [[10, 0], [10, 40], [0, 40], [0, 0]]);
    assert.deepEqual(quadInReadingOrder(q, 180), [[10, 40], [0, 40], [0, 0], [10, 0]]);
    assert.deepEqual(quadInReadingOrder(q, 270), [[0, 40], [0, 0], [10, 0], [10, 40]]);
  });
});

describe('decideOrientation', () => {
  /** A horizontal line box (crop order = page order). */
  const wide = (x: number, y: number, len: number, h = 20): Quad => [[x, y], [x + len, y], [x + len, y + h], [x, y + h]];
  /** A vertical line box in crop order after the 90° CCW turn (crop TL = page TR). */
  const tall = (x: number, y: number, len: number, w = 20): Quad => [[x + w, y], [x + w, y + len], [x, y + len], [x, y]];

  test('upright page: wide boxes, classifier says upright → 0', () => {
    const ev: OrientationEvidence[] = [0, 1, 2, 3].map((i) => ({ quad: wide(10, 10 + 30 * i, 300), rotated90: false, angle: 0 as const, score: 0.95 }));
    const d = decideOrientation(ev);
    assert.equal(d.rotation, 0);
    assert.ok(d.confidence > 0.9);
    assert.deepEqual(d.flips, [false, false, false, false]);
  });

  test('upside-down page: the weighted majority of votes wins over a few confident short dissenters', () => {
    const ev: OrientationEvidence[] = [
      { quad: wide(10, 10, 600), angle: 180, score: 0.9 },
      { quad: wide(10, 40, 500), angle: 180, score: 0.8 },
      { quad: wide(10, 70, 40), angle: 0, score: 0.99 },
      { quad: wide(10, 100, 45), angle: 0, score: 0.99 },
      { quad: wide(10, 130, 45), angle: 0, score: 0.99 },
    ];
    const d = decideOrientation(ev);
    assert.equal(d.rotation, 180);
    assert.equal(d.flipAll, true);
    assert.ok(d.flipShare > 0.7, `flipShare ${d.flipShare}`);
    // Confident page decision: every line is flipped, even the dissenters.
    assert.deepEqual(d.flips, [true, true, true, true, true]);
  });

  test('sideways page: tall crops read upright after the 90° CCW turn → 90; upside down → 270', () => {
    const ev = (angle: 0 | 180): OrientationEvidence[] => [0, 1, 2].map((i) => ({ quad: tall(10 + 30 * i, 10, 400), rotated90: true, angle, score: 0.97 }));
    assert.equal(decideOrientation(ev(0)).rotation, 90);
    assert.equal(decideOrientation(ev(180)).rotation, 270);
    assert.equal(decideOrientation(ev(180)).flipAll, true);
  });

  test('shape votes are by area: many small stray boxes do not outvote long lines', () => {
    const ev: OrientationEvidence[] = [
      ...[0, 1, 2].map((i) => ({ quad: wide(10, 10 + 30 * i, 800), angle: 0 as const, score: 0.9 })),
      ...Array.from({ length: 10 }, (_, i) => ({ quad: tall(10 + 30 * i, 200, 40, 20), rotated90: true, angle: 0 as const, score: 0.9 })),
    ];
    const d = decideOrientation(ev);
    assert.equal(d.rotation, 0);
    assert.ok(d.tallShare < 0.3);
    // Off-axis crops keep their own vote.
    assert.equal(d.flips.length, 13);
  });

  test('shape from geometry when rotated90 is not given; square boxes do not vote on the axis', () => {
    const pageTall: Quad = [[10, 10], [30, 10], [30, 300], [10, 300]]; // page order, long side vertical
    const square: Quad = [[0, 0], [20, 0], [20, 20], [0, 20]];
    const d = decideOrientation([{ quad: pageTall }, { quad: square }, { quad: square }]);
    assert.equal(d.tallShare, 1);
    assert.equal(d.rotation, 90);
    assert.ok(d.confidence <= 0.5, 'no votes: up/down is a coin flip');
  });

  test('no evidence → 0 with zero confidence; low confidence never overrides line votes', () => {
    assert.deepEqual(decideOrientation([]), { rotation: 0, confidence: 0, flipAll: false, flips: [], tallShare: 0, flipShare: 0.5 });
    const d = decideOrientation([
      { quad: wide(0, 0, 300), angle: 180, score: 0.95 },
      { quad: wide(0, 30, 300), angle: 0, score: 0.9 },
      { quad: wide(0, 60, 300), angle: 180, score: 0.6 },
    ]);
    assert.ok(d.confidence < 0.75);
    // Each line keeps its own verdict, flipped only above PaddleOCR's cls_thresh (0.9).
    assert.deepEqual(d.flips, [true, false, false]);
  });

  test('scores below 0.5 are no votes (callers pass angle 0, score 0 when cls did not run)', () => {
    const ev: OrientationEvidence[] = [0, 1, 2].map((i) => ({ quad: wide(0, 30 * i, 300), rotated90: false, angle: 0 as const, score: 0 }));
    const d = decideOrientation(ev);
    assert.equal(d.rotation, 0);
    assert.equal(d.flipShare, 0.5);
    assert.deepEqual(d.flips, [false, false, false]);
  });
});

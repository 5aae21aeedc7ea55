import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OcrSession, TensorData } from '../../../../engines/stages.js';
import { ctcGreedy, editDistance, iou, matchBoxes, regionBoxes, validateCandidate } from '../../../../engines/runtime/validation-gate.js';

/** A session whose output is computed by `fn` from the input (pure comparison logic under test). */
function session(stage: 'det' | 'cls' | 'rec', fn: (x: TensorData) => TensorData): OcrSession {
  return { stage, provider: { stage, provider: 'cpu', precision: 'fp32', fallbacks: [] }, run: async (x) => fn(x), dispose: async () => {} };
}

describe('det helpers', () => {
  test('regionBoxes finds 4-connected regions above the threshold and drops specks', () => {
    const w = 20;
    const h = 10;
    const map = new Float32Array(w * h);
    const paint = (x0: number, y0: number, x1: number, y1: number, p: number) => {
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) map[y * w + x] = p;
    };
    paint(1, 1, 8, 3, 0.9); // a text line
    paint(12, 5, 18, 8, 0.8); // another
    paint(0, 9, 1, 9, 0.9); // a 2-pixel speck
    paint(10, 1, 10, 1, 0.3); // exactly at the threshold: not text (strict >)
    const boxes = regionBoxes(map, w, h, 0.3);
    assert.deepEqual(boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]).sort(), [
      [1, 1, 8, 3],
      [12, 5, 18, 8],
    ]);
  });

  test('iou and one-to-one matching', () => {
    const a = { x0: 0, y0: 0, x1: 9, y1: 9, area: 100 };
    const b = { x0: 5, y0: 0, x1: 14, y1: 9, area: 100 };
    assert.equal(iou(a, a), 1);
    assert.ok(Math.abs(iou(a, b) - 50 / 150) < 1e-12);
    assert.equal(matchBoxes([a, b], [a], 0.7), 1);
    assert.equal(matchBoxes([a], [b], 0.7), 0);
  });
});

describe('rec helpers', () => {
  test('greedy CTC drops repeats, then blanks (PaddleOCR order)', () => {
    // T=6, C=4: argmax sequence 1,1,0,1,2,2 → [1,1,2]
    const seq = [1, 1, 0, 1, 2, 2];
    const probs = new Float32Array(6 * 4);
    seq.forEach((c, t) => (probs[t * 4 + c] = 0.9));
    assert.deepEqual(ctcGreedy(probs, 0, 6, 4).indices, [1, 1, 2]);
  });

  test('edit distance', () => {
    assert.equal(editDistance([1, 2, 3], [1, 2, 3]), 0);
    assert.equal(editDistance([1, 2, 3], [1, 3]), 1);
    assert.equal(editDistance([], [4, 5]), 2);
    assert.equal(editDistance([1, 2, 3, 4], [2, 1, 3, 5]), 3);
  });
});

describe('validateCandidate', () => {
  const detIn: TensorData = { data: new Float32Array(3 * 32 * 64), dims: [1, 3, 32, 64] };
  const detMap = (shift: number, noise: number) => (): TensorData => {
    const m = new Float32Array(32 * 64);
    for (let y = 8; y < 16; y++) for (let x = 4 + shift; x < 40 + shift; x++) m[y * 64 + x] = 0.9;
    for (let i = 0; i < m.length; i++) m[i] = Math.min(1, m[i]! + noise);
    return { data: m, dims: [1, 1, 32, 64] };
  };

  test('det: a close map passes; a shifted box or a noisy map is rejected with the reason', async () => {
    const ref = session('det', detMap(0, 0));
    const ok = await validateCandidate({ reference: ref, candidate: session('det', detMap(0, 0.001)), inputs: [detIn] });
    assert.equal(ok.ok, true, ok.reason);
    assert.equal(ok.metrics.boxAgreement, 1);
    const shifted = await validateCandidate({ reference: ref, candidate: session('det', detMap(20, 0)), inputs: [detIn] });
    assert.equal(shifted.ok, false);
    assert.match(shifted.reason, /det map mean|det boxes agree/);
    const noisy = await validateCandidate({ reference: ref, candidate: session('det', detMap(0, 0.05)), inputs: [detIn] });
    assert.match(noisy.reason, /det map mean \|Δ\| .* exceeds 0\.01/);
  });

  test('rec: a different decode fails on CER; NaN output and shape mismatch are rejections, not throws', async () => {
    const recOut = (seq: number[]) => (): TensorData => {
      const d = new Float32Array(seq.length * 5);
      seq.forEach((c, t) => (d[t * 5 + c] = 1));
      return { data: d, dims: [1, seq.length, 5] };
    };
    const input: TensorData = { data: new Float32Array(3 * 48 * 320), dims: [1, 3, 48, 320] };
    const ref = session('rec', recOut([1, 0, 2, 3, 0, 4, 4, 1]));
    assert.equal((await validateCandidate({ reference: ref, candidate: session('rec', recOut([1, 1, 2, 3, 0, 4, 0, 1])), inputs: [input] })).ok, true);
    const bad = await validateCandidate({ reference: ref, candidate: session('rec', recOut([1, 0, 2, 2, 0, 4, 4, 1])), inputs: [input] });
    assert.equal(bad.ok, false);
    assert.match(bad.reason, /rec CER between decodes 20\.00% exceeds 1%/);
    const nan = await validateCandidate({ reference: ref, candidate: session('rec', () => ({ data: new Float32Array(40).fill(NaN), dims: [1, 8, 5] })), inputs: [input] });
    assert.match(nan.reason, /40 NaN\/Inf values/);
    const shape = await validateCandidate({ reference: ref, candidate: session('rec', () => ({ data: new Float32Array(45), dims: [1, 9, 5] })), inputs: [input] });
    assert.match(shape.reason, /output shape 1×9×5 differs/);
    const thrower = await validateCandidate({
      reference: ref,
      candidate: session('rec', () => {
        throw new Error('TensorRT EP: shape out of profile');
      }),
      inputs: [input],
    });
    assert.match(thrower.reason, /candidate failed on input 0 .*out of profile/);
  });

  test('cls: a flipped decisive label fails; undecided references do not count', async () => {
    const input: TensorData = { data: new Float32Array(3 * 48 * 192 * 3), dims: [3, 3, 48, 192] };
    const ref = session('cls', () => ({ data: Float32Array.from([0.99, 0.01, 0.02, 0.98, 0.51, 0.49]), dims: [3, 2] }));
    const same = await validateCandidate({ reference: ref, candidate: session('cls', () => ({ data: Float32Array.from([0.98, 0.02, 0.03, 0.97, 0.49, 0.51]), dims: [3, 2] })), inputs: [input] });
    assert.equal(same.ok, true, same.reason);
    assert.equal(same.metrics.decisive, 2);
    const flipped = await validateCandidate({ reference: ref, candidate: session('cls', () => ({ data: Float32Array.from([0.01, 0.99, 0.02, 0.98, 0.51, 0.49]), dims: [3, 2] })), inputs: [input] });
    assert.match(flipped.reason, /cls labels agree on 1\/2 decisive crops/);
  });
});

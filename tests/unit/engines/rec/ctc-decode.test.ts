import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REC_HEAD_CHANNELS, ctcGreedyDecode, ctcGreedyDecodeArgmax, ctcGreedyDecodeArgmaxBatch, ctcGreedyDecodeBatch } from '../../../../engines/rec/ctc-decode.js';

// A tiny character table in PaddleOCR's layout: 0 = blank, then the keys, then ' ' last.
const CHARS = ['blank', 'h', 'e', 'l', 'o', 'w', 'r', 'd', ' '];
const C = CHARS.length;
const idx = (ch: string): number => (ch === '_' ? 0 : CHARS.indexOf(ch));

/**
 * Softmax-like rows [T, C]: step t puts `peak[t]` on the class spelled by seq[t] ('_' = blank) and
 * spreads the rest evenly over the other classes.
 */
function probs(seq: string[], peak: number[] = seq.map(() => 0.9)): Float32Array {
  const out = new Float32Array(seq.length * C);
  seq.forEach((ch, t) => {
    const k = idx(ch);
    assert.ok(k >= 0, `unknown symbol ${ch}`);
    for (let c = 0; c < C; c++) out[t * C + c] = c === k ? peak[t]! : (1 - peak[t]!) / (C - 1);
  });
  return out;
}

function decode(seq: string[], peak?: number[], contentFrac = 1) {
  return ctcGreedyDecode(probs(seq, peak), 0, seq.length, C, CHARS, contentFrac);
}

describe('ctcGreedyDecode', () => {
  test('collapses repeats and drops blanks', () => {
    assert.equal(decode(['h', 'h', 'e', '_', '_', 'l', 'o', 'o']).text, 'helo');
  });

  test('a blank between two equal labels keeps both (the "ll" in hello)', () => {
    assert.equal(decode(['h', 'e', 'l', '_', 'l', 'o']).text, 'hello');
    assert.equal(decode(['h', 'e', 'l', 'l', 'o']).text, 'helo');
  });

  test('the first step counts when it is not blank', () => {
    assert.equal(decode(['h', '_', 'e']).text, 'he');
  });

  test('spaces inside a line are characters; spaces at either end are trimmed', () => {
    const r = decode(['_', ' ', 'h', 'e', '_', ' ', '_', 'w', 'o', ' ']);
    assert.equal(r.text, 'he wo');
    assert.deepEqual(r.chars.map((c) => c.text), ['h', 'e', ' ', 'w', 'o']);
  });

  test('nothing kept: empty text, confidence 0, no chars', () => {
    const r = decode(['_', '_', '_', '_']);
    assert.equal(r.text, '');
    assert.equal(r.confidence, 0);
    assert.deepEqual(r.chars, []);
  });

  test('confidence is the mean max-probability of the kept steps (repeats are not kept)', () => {
    const r = decode(['h', 'h', '_', 'e', 'l'], [0.6, 0.99, 0.95, 0.8, 0.7]);
    assert.equal(r.text, 'hel');
    assert.ok(Math.abs(r.confidence - (0.6 + 0.8 + 0.7) / 3) < 1e-6, String(r.confidence));
    assert.deepEqual(r.chars.map((c) => Number(c.confidence.toFixed(4))), [0.6, 0.8, 0.7]);
  });

  test('edge spaces still count in the confidence, as in PaddleOCR', () => {
    const r = decode([' ', 'h', 'e'], [0.5, 0.9, 0.9]);
    assert.equal(r.text, 'he');
    assert.ok(Math.abs(r.confidence - (0.5 + 0.9 + 0.9) / 3) < 1e-6);
  });

  test('character extents are monotone, within [0, 1], and follow the peaks', () => {
    const seq = ['_', 'h', '_', 'e', '_', 'l', '_', 'l', '_', 'o', '_', '_', ' ', '_', '_', 'w', '_', 'o', '_', 'r', '_', 'l', '_', 'd', '_'];
    const r = decode(seq);
    assert.equal(r.text, 'hello world');
    let prevEnd = 0;
    for (const c of r.chars) {
      assert.ok(c.startFrac >= 0 && c.endFrac <= 1, JSON.stringify(c));
      assert.ok(c.startFrac >= prevEnd - 1e-12, `start ${c.startFrac} before previous end ${prevEnd}`);
      assert.ok(c.endFrac >= c.startFrac);
      prevEnd = c.endFrac;
    }
    // Each character's extent contains its peak's centre (step t covers [t, t+1) of 25 steps).
    const peaks = seq.map((s, t) => (s !== '_' ? t : -1)).filter((t) => t >= 0);
    r.chars.forEach((c, k) => {
      const centre = (peaks[k]! + 0.5) / seq.length;
      assert.ok(c.startFrac <= centre && centre <= c.endFrac, `${c.text}: ${c.startFrac}..${c.endFrac} vs ${centre}`);
    });
    // The space spans the gap between "hello" and "world".
    const space = r.chars[5]!;
    assert.equal(space.text, ' ');
    assert.equal(space.startFrac, r.chars[4]!.endFrac);
    assert.equal(space.endFrac, r.chars[6]!.startFrac);
    // Word edges reach half the character pitch (pitch = 2 steps here) beyond the outer peak centres.
    assert.ok(Math.abs(r.chars[0]!.startFrac - 0.5 / 25) < 1e-9, String(r.chars[0]!.startFrac));
    assert.ok(Math.abs(r.chars[4]!.endFrac - 10.5 / 25) < 1e-9, String(r.chars[4]!.endFrac));
  });

  test('extents are fractions of the real content, not of the padded tensor', () => {
    // 20 steps, content covers the first half (contentFrac 0.5): peaks at steps 1, 5 and 8.
    const seq = ['_', 'h', '_', '_', '_', 'e', '_', '_', 'l', '_', '_', '_', '_', '_', '_', '_', '_', '_', '_', '_'];
    const padded = decode(seq, undefined, 0.5);
    assert.equal(padded.text, 'hel');
    // Step 5's centre (5.5 of 20 tensor steps) is 55 % into the 10 content steps.
    const e = padded.chars[1]!;
    assert.ok(e.startFrac < 0.55 && e.endFrac > 0.55, JSON.stringify(e));
    // The same peaks without padding land at half those fractions.
    const unpadded = decode(seq, undefined, 1);
    padded.chars.forEach((c, k) => {
      assert.ok(Math.abs(Math.min(1, unpadded.chars[k]!.startFrac * 2) - c.startFrac) < 1e-9);
    });
    assert.ok(padded.chars[2]!.endFrac <= 1);
  });

  test('a character that fires inside the padding is clamped to the content edge', () => {
    const seq = ['_', 'h', '_', '_', '_', '_', '_', '_', 'd', '_'];
    const r = decode(seq, undefined, 0.5);
    assert.equal(r.chars[1]!.startFrac, 1);
    assert.equal(r.chars[1]!.endFrac, 1);
  });
});

describe('ctcGreedyDecodeBatch', () => {
  test('decodes each row from its own offset and ignores blank padding rows', () => {
    const a = probs(['h', '_', 'e']);
    const b = probs(['w', 'o', '_']);
    const pad = probs(['d', 'd', 'd']);
    const all = new Float32Array(a.length * 3);
    all.set(a, 0);
    all.set(b, a.length);
    all.set(pad, a.length * 2);
    const out = ctcGreedyDecodeBatch(all, [3, 3, C], CHARS, [1, 1]);
    assert.deepEqual(out.map((r) => r.text), ['he', 'wo']);
  });
});

/** What the argmax head (engines/runtime/rec-head.ts) computes from [rows·T, C] probabilities: (argmax, max, C). */
function headOf(p: Float32Array, steps: number): Float32Array {
  const out = new Float32Array(steps * REC_HEAD_CHANNELS);
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[t * C + c]! > p[t * C + best]!) best = c;
    out.set([best, p[t * C + best]!, C], t * REC_HEAD_CHANNELS);
  }
  return out;
}

describe('ctcGreedyDecodeArgmax (argmax head output)', () => {
  test('identical to the full-probability decode: text, confidence, extents, edge spaces, repeats', () => {
    // Deterministic pseudo-random sequences over the whole table, blank-heavy like real CTC output.
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 200; trial++) {
      const steps = 1 + Math.floor(rnd() * 40);
      const seq = Array.from({ length: steps }, () => (rnd() < 0.5 ? '_' : CHARS[1 + Math.floor(rnd() * (C - 1))]!));
      const peak = seq.map(() => 0.3 + rnd() * 0.7);
      const p = probs(seq, peak);
      const frac = 0.2 + rnd() * 0.8;
      const want = ctcGreedyDecode(p, 0, steps, C, CHARS, frac);
      const got = ctcGreedyDecodeArgmax(headOf(p, steps), 0, steps, REC_HEAD_CHANNELS, CHARS, frac);
      assert.deepEqual(got, want, `trial ${trial}: ${seq.join('')}`);
    }
  });

  test('batch form decodes each row at its offset and ignores padding rows', () => {
    const a = headOf(probs(['h', 'e', '_']), 3);
    const b = headOf(probs(['w', 'o', 'o']), 3);
    const all = new Float32Array(3 * 3 * REC_HEAD_CHANNELS);
    all.set(a, 0);
    all.set(b, a.length);
    const out = ctcGreedyDecodeArgmaxBatch(all, [3, 3, REC_HEAD_CHANNELS], CHARS, [1, 1]);
    assert.deepEqual(out.map((r) => r.text), ['he', 'wo']);
  });
});

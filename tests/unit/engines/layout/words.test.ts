import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildWords, buildWordsFromText, isCjkChar, needsSpaceBetween, subQuad } from '../../../../engines/layout/words.js';
import type { RecChar } from '../../../../engines/stages.js';
import type { Quad } from '../../../../engines/types.js';

/** Characters laid out on a fixed pitch, each `fill` of the pitch wide, starting at `offset` (fractions). */
function chars(text: string, { pitch, offset = 0, fill = 1, conf = (i: number) => 0.9 + (i % 3) * 0.03 }: { pitch: number; offset?: number; fill?: number; conf?: (i: number) => number }): RecChar[] {
  return Array.from(text).map((t, i) => ({ text: t, startFrac: offset + i * pitch, endFrac: offset + i * pitch + pitch * fill, confidence: conf(i) }));
}

const round = (q: Quad, d = 6) => q.map(([x, y]) => [Number(x.toFixed(d)), Number(y.toFixed(d))]);

describe('buildWords', () => {
  const line: Quad = [[100, 50], [1100, 50], [1100, 80], [100, 80]];

  test('splits at spaces; quads are the line between the word extents; confidence is the mean', () => {
    // "Hello world" on a 1/11 pitch: touching extents (as the CTC decoder produces).
    const cs = chars('Hello world', { pitch: 1 / 11 });
    const words = buildWords(cs, line);
    assert.deepEqual(words.map((w) => w.text), ['Hello', 'world']);
    assert.deepEqual(round(words[0]!.quad, 3), [[100, 50], [554.545, 50], [554.545, 80], [100, 80]]);
    assert.deepEqual(round(words[1]!.quad, 3), [[645.455, 50], [1100, 50], [1100, 80], [645.455, 80]]);
    const mean = cs.slice(0, 5).reduce((s, c) => s + c.confidence, 0) / 5;
    assert.ok(Math.abs(words[0]!.confidence - mean) < 1e-12);
  });

  test('narrow CTC extents get half the inter-character gap of padding, never overlapping the next word', () => {
    // Characters only 40 % of the pitch wide: gap = 60 % of pitch, pad = 30 % of pitch.
    const pitch = 0.05;
    const cs = chars('ab cd', { pitch, offset: 0.1, fill: 0.4 });
    const words = buildWords(cs, [[0, 0], [1000, 0], [1000, 20], [0, 20]]);
    const x = (w: number, i: number) => words[w]!.quad[i]![0];
    assert.ok(Math.abs(x(0, 0) - (0.1 - 0.3 * pitch) * 1000) < 1e-6);
    assert.ok(Math.abs(x(0, 1) - (0.1 + pitch + 0.4 * pitch + 0.3 * pitch) * 1000) < 1e-6);
    assert.ok(x(0, 1) <= x(1, 0));
  });

  test('words never overlap even when the padding would make them', () => {
    const cs: RecChar[] = [
      { text: 'a', startFrac: 0.1, endFrac: 0.12, confidence: 1 },
      { text: 'b', startFrac: 0.3, endFrac: 0.32, confidence: 1 },
      { text: ' ', startFrac: 0.32, endFrac: 0.33, confidence: 1 },
      { text: 'c', startFrac: 0.34, endFrac: 0.36, confidence: 1 },
    ];
    const words = buildWords(cs, [[0, 0], [100, 0], [100, 10], [0, 10]]);
    assert.ok(words[0]!.quad[1][0] <= words[1]!.quad[0][0] + 1e-9);
  });

  test('CJK: one word per character; Latin runs inside CJK stay whole', () => {
    const cs = chars('第3章 abc你好', { pitch: 0.1 });
    const words = buildWords(cs, line);
    assert.deepEqual(words.map((w) => w.text), ['第', '3', '章', 'abc', '你', '好']);
    assert.deepEqual(buildWords(cs, line, { cjkPerCharacter: false }).map((w) => w.text), ['第3章', 'abc你好']);
  });

  test('a line that is a single word gets the whole line quad', () => {
    const words = buildWords(chars('Total', { pitch: 0.1, offset: 0.2, fill: 0.5 }), line);
    assert.equal(words.length, 1);
    assert.deepEqual(words[0]!.quad, line);
  });

  test('upside-down line (reading-order quad with point 0 at the bottom right): words run right to left on the page', () => {
    const flipped: Quad = [[1100, 80], [100, 80], [100, 50], [1100, 50]];
    const words = buildWords(chars('ab cd', { pitch: 0.2 }), flipped);
    assert.deepEqual(words.map((w) => w.text), ['ab', 'cd']);
    // The first word starts at the page's right edge, and point 0 stays where its text starts.
    assert.deepEqual(round(words[0]!.quad), [[1100, 80], [700, 80], [700, 50], [1100, 50]]);
    assert.ok(words[1]!.quad[0][0] < words[0]!.quad[1][0] + 1e-9);
  });

  test('spaces only or nothing → no words', () => {
    assert.deepEqual(buildWords([], line), []);
    assert.deepEqual(buildWords(chars('   ', { pitch: 0.1 }), line), []);
  });
});

describe('helpers', () => {
  test('subQuad interpolates along top and bottom edges of a slanted quad', () => {
    const q: Quad = [[0, 0], [100, 10], [95, 40], [-5, 30]];
    assert.deepEqual(subQuad(q, 0.5, 1), [[50, 5], [100, 10], [95, 40], [45, 35]]);
  });

  test('buildWordsFromText splits by estimated advances and keeps order and confidence', () => {
    const words = buildWordsFromText('Hi there 你好', [[0, 0], [1000, 0], [1000, 20], [0, 20]], 0.7);
    assert.deepEqual(words.map((w) => w.text), ['Hi', 'there', '你', '好']);
    for (let i = 1; i < words.length; i++) assert.ok(words[i]!.quad[0][0] >= words[i - 1]!.quad[1][0] - 1e-9);
    assert.ok(words.every((w) => w.confidence === 0.7));
    assert.equal(words.at(-1)!.quad[1][0], 1000);
  });

  test('isCjkChar and needsSpaceBetween', () => {
    assert.ok(isCjkChar('你') && isCjkChar('カ') && isCjkChar('。') && isCjkChar('，'));
    assert.ok(!isCjkChar('a') && !isCjkChar('한'));
    assert.equal(needsSpaceBetween('你', '好'), false);
    assert.equal(needsSpaceBetween('abc', '你'), true);
    assert.equal(needsSpaceBetween('hello', 'world'), true);
  });
});

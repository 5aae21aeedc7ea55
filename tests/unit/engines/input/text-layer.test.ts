import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Quad } from '../../../../engines/types.js';
import { MIN_USABLE_CHARS, buildTextLayer, isUsableTextLayer, multiply, type Affine, type TextItemLike, type TextStyleLike } from '../../../../engines/input/text-layer.js';

const STYLES: Record<string, TextStyleLike> = {
  f1: { ascent: 0.8, descent: -0.2, vertical: false, fontFamily: 'sans-serif' },
  f2: { ascent: 0.8, descent: -0.2, vertical: false, fontFamily: 'serif' },
  mono: { ascent: 0.8, descent: -0.2, vertical: false, fontFamily: 'monospace' },
};

/** US Letter at 144 dpi, no rotation: x·2, (792 − y)·2. */
const UPRIGHT: Affine = [2, 0, 0, -2, 0, 1584];
/** The same page with /Rotate 90 (displayed 1584 × 1224): x_px = y·2, y_px = x·2. */
const ROTATE_90: Affine = [0, 2, 2, 0, 0, 0];
const SIZE = { width: 1224, height: 1584, dpi: 144 };

function item(str: string, x: number, y: number, width: number, opts: Partial<TextItemLike> & { size?: number } = {}): TextItemLike {
  const s = opts.size ?? 10;
  return { str, transform: opts.transform ?? [s, 0, 0, s, x, y], width, height: s, fontName: opts.fontName ?? 'f1', hasEOL: opts.hasEOL ?? false };
}

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);
function assertQuad(q: Quad, expected: [number, number][], tol = 1e-6) {
  q.forEach((p, i) => {
    close(p[0], expected[i]![0], tol);
    close(p[1], expected[i]![1], tol);
  });
}

describe('buildTextLayer geometry', () => {
  test('one item: quad from baseline, ascent and descent, in page pixels', () => {
    const page = buildTextLayer([item('Hello', 72, 700, 50)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.lines.length, 1);
    // baseline y_px = (792 − 700)·2 = 184; ascent 0.8·10·2 = 16 up, descent 0.2·10·2 = 4 down.
    assertQuad(page.lines[0]!.quad, [[144, 168], [244, 168], [244, 188], [144, 188]]);
    assert.deepEqual(page.lines[0]!.words.map((w) => w.text), ['Hello']);
    assertQuad(page.lines[0]!.words[0]!.quad, [[144, 168], [244, 168], [244, 188], [144, 188]]);
  });

  test('/Rotate 90: lines run down the page, first corner at the top right', () => {
    const page = buildTextLayer([item('Hello', 72, 700, 50)], STYLES, ROTATE_90, { width: 1584, height: 1224, dpi: 144 });
    const q = page.lines[0]!.quad;
    // Baseline origin (1400, 144); text runs +y for 100 px; "up" is +x.
    assertQuad(q, [[1416, 144], [1416, 244], [1396, 244], [1396, 144]]);
  });

  test('text rotated inside the page (Tm at 90° counter-clockwise) reads bottom to top', () => {
    const t = [0, 10, -10, 0, 300, 100]; // glyph x axis along +y in PDF space
    const page = buildTextLayer([item('Up', 300, 100, 20, { transform: t })], STYLES, UPRIGHT, SIZE);
    const q = page.lines[0]!.quad;
    // Origin (600, 1384); the run goes up the image (−y) 40 px; ascent points to −x.
    assertQuad(q, [[584, 1384], [584, 1344], [604, 1344], [604, 1384]]);
  });

  test('quads scale with the dpi', () => {
    const at144 = buildTextLayer([item('Scale', 100, 500, 40)], STYLES, UPRIGHT, SIZE);
    const at72 = buildTextLayer([item('Scale', 100, 500, 40)], STYLES, multiply([0.5, 0, 0, 0.5, 0, 0], UPRIGHT), { width: 612, height: 792, dpi: 72 });
    at72.lines[0]!.quad.forEach((p, i) => {
      close(p[0] * 2, at144.lines[0]!.quad[i]![0]);
      close(p[1] * 2, at144.lines[0]!.quad[i]![1]);
    });
  });
});

describe('buildTextLayer lines and words', () => {
  test('words inside one item are placed by glyph widths and stay inside the item', () => {
    const page = buildTextLayer([item('ab cd', 72, 700, 60)], STYLES, UPRIGHT, SIZE);
    const [w1, w2] = page.lines[0]!.words;
    assert.deepEqual([w1!.text, w2!.text], ['ab', 'cd']);
    assert.ok(w1!.quad[1][0] < w2!.quad[0][0], 'words do not overlap');
    close(w1!.quad[0][0], 144);
    close(w2!.quad[1][0], 264); // end of the item
  });

  test('monospace splits evenly', () => {
    const page = buildTextLayer([item('ab cd', 72, 700, 30, { fontName: 'mono' })], STYLES, UPRIGHT, SIZE);
    const [w1, w2] = page.lines[0]!.words;
    close(w1!.quad[1][0] - w1!.quad[0][0], 24); // 2 of 5 cells of 12 px
    close(w2!.quad[0][0], 144 + 36);
  });

  test('a word split across fonts (bold part, kerning) stays one word; a space item separates', () => {
    const items = [item('gnu', 72, 700, 15), item('plot', 87, 700, 20, { fontName: 'f2' }), item(' ', 107, 700, 3), item('is', 110, 700, 8)];
    const page = buildTextLayer(items, STYLES, UPRIGHT, SIZE);
    assert.equal(page.lines.length, 1);
    assert.equal(page.lines[0]!.text, 'gnuplot is');
    assert.deepEqual(page.lines[0]!.words.map((w) => w.text), ['gnuplot', 'is']);
  });

  test('a visible gap without a space item still separates words', () => {
    const page = buildTextLayer([item('one', 72, 700, 15), item('two', 92, 700, 15)], STYLES, UPRIGHT, SIZE);
    assert.deepEqual(page.lines[0]!.words.map((w) => w.text), ['one', 'two']);
  });

  test('new line on hasEOL, on a baseline change, and at a column-wide gap', () => {
    const items = [
      item('first line', 72, 700, 50, { hasEOL: true }),
      item('second', 72, 686, 30),
      item('line', 105, 686, 20),
      item('far column', 300, 686, 50), // 175 pt gap = 17.5 em
      item('third', 72, 672, 25),
    ];
    const page = buildTextLayer(items, STYLES, UPRIGHT, SIZE);
    assert.deepEqual(page.lines.map((l) => l.text), ['first line', 'second line', 'far column', 'third']);
  });

  test('superscripts stay on their line', () => {
    const page = buildTextLayer([item('x', 72, 700, 6), item('2', 78, 703, 4, { size: 7 }), item(' + 1', 82, 700, 20)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.lines.length, 1);
    assert.equal(page.lines[0]!.text, 'x2 + 1');
  });

  test('text stepping backwards starts a new line (overprinted or reordered content)', () => {
    const page = buildTextLayer([item('later text', 300, 700, 50), item('earlier', 72, 700, 35)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.lines.length, 2);
  });

  test('empty and whitespace-only items make no words', () => {
    const page = buildTextLayer([item('', 72, 700, 0, { hasEOL: true }), item('   ', 72, 690, 10)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.lines.length, 0);
    assert.equal(page.charCount, 0);
    assert.equal(page.usable, false);
  });

  test('CJK runs are one word per run', () => {
    const page = buildTextLayer([item('城市图书馆', 72, 700, 50)], STYLES, UPRIGHT, SIZE);
    assert.deepEqual(page.lines[0]!.words.map((w) => w.text), ['城市图书馆']);
    assert.equal(page.charCount, 5);
  });
});

describe('usable text layer', () => {
  const lineOf = (n: number, ch = 'a') => ch.repeat(n);
  test('a lone header is not a text layer', () => {
    const page = buildTextLayer([item('Page 3', 72, 750, 30)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.charCount, 5);
    assert.equal(page.usable, false);
  });
  test('enough real text is', () => {
    const page = buildTextLayer([item(lineOf(MIN_USABLE_CHARS), 72, 700, 400)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.usable, true);
  });
  test('private-use garbage from fonts without ToUnicode is not', () => {
    const page = buildTextLayer([item(lineOf(80, '\uE001'), 72, 700, 400)], STYLES, UPRIGHT, SIZE);
    assert.equal(page.charCount, 80);
    assert.equal(page.usable, false);
  });
  test('isUsableTextLayer thresholds', () => {
    assert.equal(isUsableTextLayer(MIN_USABLE_CHARS - 1, 0), false);
    assert.equal(isUsableTextLayer(100, 10), true);
    assert.equal(isUsableTextLayer(100, 11), false);
  });
});

describe('vertical writing', () => {
  test('a vertical CJK run goes down the page, centred on its origin', () => {
    const styles = { v: { ascent: 0.88, descent: -0.12, vertical: true, fontFamily: 'sans-serif' } };
    const page = buildTextLayer([{ str: '縦書き', transform: [10, 0, 0, 10, 300, 700], width: 10, height: 30, fontName: 'v', hasEOL: false }], styles, UPRIGHT, SIZE);
    const q = page.lines[0]!.quad;
    // origin (600, 184); 30 pt advance = 60 px down; 10 pt = 20 px wide column.
    assertQuad(q, [[610, 184], [610, 244], [590, 244], [590, 184]]);
    assert.equal(page.lines[0]!.text, '縦書き');
  });
});

describe('broken metrics', () => {
  test('NaN ascent/descent (non-embedded standard fonts) and NaN widths still give finite quads', () => {
    const styles = { bad: { ascent: Number.NaN, descent: Number.NaN, vertical: false, fontFamily: 'serif' } };
    const page = buildTextLayer([item('Times Roman text', 72, 700, Number.NaN, { fontName: 'bad' })], styles, UPRIGHT, SIZE);
    const quads = [page.lines[0]!.quad, ...page.lines[0]!.words.map((w) => w.quad)];
    for (const q of quads) for (const [x, y] of q) assert.ok(Number.isFinite(x) && Number.isFinite(y));
    // Falls back to ascent 0.8 / descent −0.2 and a width estimated from the glyphs.
    assertQuad([page.lines[0]!.quad[0], page.lines[0]!.quad[0], page.lines[0]!.quad[3], page.lines[0]!.quad[3]], [[144, 168], [144, 168], [144, 188], [144, 188]]);
    assert.ok(page.lines[0]!.quad[1][0] > 144 + 100);
  });
});

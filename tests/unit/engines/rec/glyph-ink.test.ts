import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixGlyphsByInk, inkBlobs, quoteShape } from '../../../../engines/rec/glyph-ink.js';
import type { RecChar, RecResult } from '../../../../engines/stages.js';
import type { Quad, RgbImage } from '../../../../engines/types.js';
import { renderLine } from '../../../integration/engines/rec/render-line.js';

const DOUBLE_MARKS = new Set(['"', '\u201c', '\u201d']);

/**
 * `ink` rendered in `font`, read as `read` (same length: what the model wrote for each character of `ink`), with
 * CTC-like extents: each glyph's columns (blobs that overlap horizontally are one glyph, as the dot of an i),
 * widened to meet its neighbours halfway. `confidence` gives the model's probability per character (default 1).
 */
async function readLine(ink: string, read: string, font: string, confidence: (i: number) => number = () => 1): Promise<{ image: RgbImage; result: RecResult }> {
  const inkChars = Array.from(ink);
  const readChars = Array.from(read);
  assert.equal(readChars.length, inkChars.length, 'one reading per glyph');
  const image = await renderLine(ink, { font, sizePx: 40 });
  const blobs = inkBlobs(image);
  const columns: [number, number][] = [];
  const order = Array.from({ length: blobs.count }, (_, b) => b).sort((a, b) => blobs.x0[a]! - blobs.x0[b]!);
  for (const b of order) {
    const last = columns[columns.length - 1];
    if (last && blobs.x0[b]! <= last[1]) last[1] = Math.max(last[1], blobs.x1[b]! + 1);
    else columns.push([blobs.x0[b]!, blobs.x1[b]! + 1]);
  }
  // A double quote mark is two strokes side by side: its glyph takes two columns.
  for (let k = 0, i = 0; i < inkChars.length; i++) {
    if (inkChars[i] === ' ') continue;
    if (DOUBLE_MARKS.has(inkChars[i]!) && columns[k + 1]) columns.splice(k, 2, [columns[k]![0], columns[k + 1]![1]]);
    k++;
  }
  const solid = inkChars.map((c, i) => (c === ' ' ? -1 : i)).filter((i) => i >= 0);
  assert.equal(columns.length, solid.length, `one ink column per glyph of ${JSON.stringify(ink)}`);
  const start = new Array<number>(inkChars.length);
  const end = new Array<number>(inkChars.length);
  solid.forEach((i, k) => {
    start[i] = k === 0 ? 0 : (columns[k - 1]![1] + columns[k]![0]) / 2;
    end[i] = k === solid.length - 1 ? image.width : (columns[k]![1] + columns[k + 1]![0]) / 2;
  });
  // A space spans the paper between its neighbours' glyphs.
  inkChars.forEach((c, i) => {
    if (c !== ' ') return;
    start[i] = columns[solid.filter((j) => j < i).length - 1]![1];
    end[i] = columns[solid.filter((j) => j < i).length]![0];
  });
  const chars: RecChar[] = readChars.map((text, i) => ({ text, startFrac: start[i]! / image.width, endFrac: end[i]! / image.width, confidence: confidence(i) }));
  return { image, result: { text: read, confidence: 0.9, chars } };
}

/** The shape quoteShape gives the one mark of `mark` rendered alone. */
async function shapeOf(mark: string, font: string, sizePx: number): Promise<string | undefined> {
  const image = await renderLine(mark, { font, sizePx });
  const blobs = inkBlobs(image);
  let biggest = 0;
  for (let b = 1; b < blobs.count; b++) if (blobs.pixels[b]! > blobs.pixels[biggest]!) biggest = b;
  return quoteShape(blobs, biggest);
}

describe('inkBlobs', () => {
  test('finds each glyph as one blob with its box, and dark-on-light or light-on-dark alike', async () => {
    const image = await renderLine('o l', { font: 'DejaVu Sans', sizePx: 40 });
    const blobs = inkBlobs(image);
    assert.equal(blobs.count, 2);
    const [o, l] = blobs.x0[0]! < blobs.x0[1]! ? [0, 1] : [1, 0];
    assert.ok(blobs.y0[l]! < blobs.y0[o]!, 'the l rises above the o');
    assert.equal(blobs.y1[l], blobs.y1[o], 'both sit on the baseline');
    const inverted: RgbImage = { ...image, data: image.data.map((v) => 255 - v) };
    const again = inkBlobs(inverted);
    assert.equal(again.count, 2);
    assert.deepEqual([...again.x0].sort(), [...blobs.x0].sort());
    assert.deepEqual([...again.y0].sort(), [...blobs.y0].sort());
  });
});

describe('inkBlobs on gray crops', () => {
  test('a gray crop read through its paper spans gives the blobs of the same pixels read one by one', async () => {
    const { cropQuad } = await import('../../../../engines/image/crop.js');
    const { markGray, paperSpans } = await import('../../../../engines/image/gray.js');
    const { inkCounts } = await import('../../../../engines/image/ink.js');
    const line = await renderLine('Quote \u2018it\u2019, (l) and "so" on.', { font: 'DejaVu Serif', sizePx: 36 });
    // A gray page holding the line; a slanted box (the warp's path) and an upright one (the row copy's).
    const page: RgbImage = { width: line.width + 80, height: line.height + 60, data: new Uint8Array((line.width + 80) * (line.height + 60) * 3).fill(255) };
    for (let y = 0; y < line.height; y++) {
      for (let x = 0; x < line.width; x++) {
        const s = (y * line.width + x) * 3;
        const v = (line.data[s]! * 77 + line.data[s + 1]! * 150 + line.data[s + 2]! * 29) >> 8;
        page.data.fill(v, ((y + 30) * page.width + x + 40) * 3, ((y + 30) * page.width + x + 40) * 3 + 3);
      }
    }
    const w = page.width, h = page.height;
    for (const quad of [[[20, 14], [w - 20, 18], [w - 20.5, h - 12], [19.5, h - 16]], [[20, 10], [w - 20, 10], [w - 20, h - 10], [20, h - 10]]] as Quad[]) {
      const crop = cropQuad(page, quad).image;
      assert.ok(paperSpans(crop) !== undefined, 'the crop records its paper');
      const plain: RgbImage = { ...crop, data: new Uint8Array(crop.data) };
      assert.deepEqual(inkBlobs(crop), inkBlobs(plain));
      assert.deepEqual({ ...inkCounts(crop) }, { ...inkCounts(plain) });
      // Light text on dark paper: the spans (of value 255) are then the ink.
      const inverted: RgbImage = { ...crop, data: crop.data.map((v) => 255 - v) };
      const invertedPlain: RgbImage = { ...inverted, data: new Uint8Array(inverted.data) };
      markGray(inverted.data);
      assert.ok(paperSpans(inverted)!.pairs.length > 0);
      const blobs = inkBlobs(inverted);
      assert.deepEqual(blobs, inkBlobs(invertedPlain));
      assert.ok(blobs.count >= 10, `${blobs.count} blobs`);
      assert.deepEqual({ ...inkCounts(inverted) }, { ...inkCounts(invertedPlain) });
    }
  });
});

describe('quoteShape', () => {
  // Sans and monospaced fonts slant their curly quotes like "/"; serif fonts curve them like ")" and "(".
  test('reads clear curly quotes by their slant or curve, and a straight quote as straight', async () => {
    const clear: [string, number][] = [['DejaVu Sans', 45], ['DejaVu Sans', 60], ['DejaVu Sans Mono', 45], ['DejaVu Sans Mono', 60], ['Liberation Mono', 30], ['Liberation Mono', 45], ['Liberation Serif', 30], ['Liberation Serif', 45], ['Liberation Serif', 60], ['DejaVu Serif', 45]];
    for (const [font, sizePx] of clear) {
      assert.equal(await shapeOf('\u2019', font, sizePx), '\u2019', `${font} ${sizePx} px ’`);
      assert.equal(await shapeOf('\u2018', font, sizePx), '\u2018', `${font} ${sizePx} px ‘`);
      assert.equal(await shapeOf("'", font, sizePx), "'", `${font} ${sizePx} px '`);
    }
  });

  test('never calls a straight quote curly, and in strict mode never names the wrong curl', async () => {
    for (const font of ['DejaVu Sans', 'DejaVu Sans Mono', 'DejaVu Serif', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono']) {
      for (const sizePx of [18, 24, 30, 36, 52]) {
        const straight = await shapeOf("'", font, sizePx);
        assert.ok(straight === "'" || straight === undefined, `${font} ${sizePx} px ' read ${straight}`);
        for (const [mark, other] of [['\u2019', '\u2018'], ['\u2018', '\u2019']] as const) {
          const image = await renderLine(mark, { font, sizePx });
          const blobs = inkBlobs(image);
          let biggest = 0;
          for (let b = 1; b < blobs.count; b++) if (blobs.pixels[b]! > blobs.pixels[biggest]!) biggest = b;
          assert.notEqual(quoteShape(blobs, biggest, true), other, `${font} ${sizePx} px ${mark}`);
        }
      }
    }
  });
});

describe('fixGlyphsByInk', () => {
  test('an unsure size twin takes the case its top says: cap height or x-height', async () => {
    const w = 'async topWords(path)'.indexOf('W');
    const { image, result } = await readLine('async topWords(path)', 'async topwords(path)', 'DejaVu Sans Mono', (i) => (i === w ? 0.57 : 1));
    assert.equal(fixGlyphsByInk(image, result).text, 'async topWords(path)');
    // And the other way: a small w read as a capital.
    const lower = await readLine('async topwords(path)', 'async topWords(path)', 'DejaVu Sans Mono', (i) => (i === w ? 0.6 : 1));
    assert.equal(fixGlyphsByInk(lower.image, lower.result).text, 'async topwords(path)');
  });

  test('a confident reading keeps its case, and a twin the model read right stays', async () => {
    const w = 'async topWords(path)'.indexOf('W');
    const sure = await readLine('async topWords(path)', 'async topwords(path)', 'DejaVu Sans Mono', (i) => (i === w ? 0.995 : 1));
    assert.equal(fixGlyphsByInk(sure.image, sure.result), sure.result);
    const right = await readLine('sort by cost', 'sort by cost', 'DejaVu Serif', () => 0.6);
    assert.equal(fixGlyphsByInk(right.image, right.result).text, 'sort by cost');
  });

  test('a lone l whose stroke reaches below the baseline is a vertical bar; a real l stays', async () => {
    const bar = await readLine('a bar (|) here', 'a bar (l) here', 'Liberation Serif');
    assert.equal(fixGlyphsByInk(bar.image, bar.result).text, 'a bar (|) here');
    const ell = await readLine('a bar (l) here', 'a bar (l) here', 'Liberation Serif');
    assert.equal(fixGlyphsByInk(ell.image, ell.result), ell.result);
    const one = await readLine('see b[1] gap', 'see b[1] gap', 'DejaVu Sans Mono');
    assert.equal(fixGlyphsByInk(one.image, one.result), one.result);
  });

  test('straight readings of curly quotes become curly; straight quotes stay straight', async () => {
    for (const font of ['Liberation Serif', 'DejaVu Sans Mono', 'DejaVu Sans']) {
      const curly = await readLine('hit \u2019h\u2019 and \u2018b\u2019 now', "hit 'h' and 'b' now", font);
      assert.equal(fixGlyphsByInk(curly.image, curly.result).text, 'hit \u2019h\u2019 and \u2018b\u2019 now', font);
      const straight = await readLine("plot 'data' now", "plot 'data' now", font);
      assert.equal(fixGlyphsByInk(straight.image, straight.result), straight.result, font);
    }
  });

  test('a prime or a one-blob double mark the model wrote for a single curly quote is that quote', async () => {
    const { image, result } = await readLine('call \u2018script\u2019 now', 'call \u201cscript\u2032 now', 'Liberation Serif');
    assert.equal(fixGlyphsByInk(image, result).text, 'call \u2018script\u2019 now');
    // A real double mark has two blobs and stays.
    const double = await readLine('say \u201chi\u201d now', 'say \u201chi\u201d now', 'Liberation Serif');
    assert.equal(fixGlyphsByInk(double.image, double.result), double.result);
  });

  test('lines with nothing to check, and CJK lines, come back as they were', async () => {
    const plain = await readLine('nothing here', 'nothing here', 'DejaVu Sans');
    assert.equal(fixGlyphsByInk(plain.image, plain.result), plain.result);
    const cjk: RecResult = { text: "中文 'a'", confidence: 0.9, chars: Array.from("中文 'a'").map((t, i) => ({ text: t, startFrac: i / 6, endFrac: (i + 1) / 6, confidence: 1 })) };
    assert.equal(fixGlyphsByInk(plain.image, cjk), cjk);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCharGrid, inkProfile, looksGlued, monospaceGrid, recoverSpaces } from '../../../../engines/rec/space-recovery.js';
import { normalizeLatinPunctuation } from '../../../../engines/rec/latin-punctuation.js';
import type { RecChar, RecResult } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';
import { renderLine } from '../../../integration/engines/rec/render-line.js';

/**
 * A white crop 40 px high with one black 8-px-wide "glyph" per character of `layout`; '_' is a word gap
 * (16 px of paper), and letters are 2 px apart. Returns the crop and CTC-like character extents.
 */
function fakeLine(layout: string): { image: RgbImage; chars: RecChar[]; glued: string } {
  const glyphW = 8;
  const letterGap = 2;
  const wordGap = 16;
  const xs: { ch: string; x: number }[] = [];
  let x = 4;
  for (const ch of layout) {
    if (ch === '_') {
      x += wordGap - letterGap;
      continue;
    }
    xs.push({ ch, x });
    x += glyphW + letterGap;
  }
  const width = x + 4;
  const height = 40;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (const g of xs) {
    for (let yy = 10; yy < 30; yy++) for (let xx = g.x; xx < g.x + glyphW; xx++) data.fill(0, (yy * width + xx) * 3, (yy * width + xx) * 3 + 3);
  }
  const chars = xs.map((g) => ({ text: g.ch, startFrac: g.x / width, endFrac: (g.x + glyphW) / width, confidence: 0.9 }));
  return { image: { width, height, data }, chars, glued: xs.map((g) => g.ch).join('') };
}

function result(chars: RecChar[]): RecResult {
  return { text: chars.map((c) => c.text).join(''), confidence: 0.9, chars };
}

test('inkProfile finds the blank columns and the text height', () => {
  const { image } = fakeLine('ab_c');
  const p = inkProfile(image);
  assert.equal(p.textHeightPx, 20);
  assert.equal(p.blank[0], 1);
  assert.equal(p.blank[5], 0);
});

test('looksGlued tells run-together Latin from normal text', () => {
  assert.equal(looksGlued('Theharbourmasteropenedtheshutters at'), true);
  assert.equal(looksGlued('The harbour master opened the shutters at'), false);
  assert.equal(looksGlued('中文文本没有空格也很正常的一行字'), false);
  assert.equal(looksGlued('short'), false);
});

test('recoverSpaces puts back the spaces at word-sized gaps only', () => {
  const { image, chars } = fakeLine('theharbour_master_opened_the');
  // The recogniser saw no spaces at all:
  const r = recoverSpaces(image, result(chars));
  assert.equal(r.text, 'theharbour master opened the');
  assert.equal(r.chars.length, chars.length + 3);
  assert.ok(r.chars.every((c, i) => i === 0 || c.startFrac >= r.chars[i - 1]!.startFrac));
});

test('recoverSpaces leaves text with its spaces alone', () => {
  const { image, chars } = fakeLine('the_harbour_master_opened');
  const withSpaces: RecChar[] = [];
  const words = ['the', 'harbour', 'master', 'opened'];
  let k = 0;
  for (const [wi, w] of words.entries()) {
    for (let j = 0; j < w.length; j++) withSpaces.push(chars[k++]!);
    if (wi < words.length - 1) withSpaces.push({ text: ' ', startFrac: chars[k - 1]!.endFrac, endFrac: chars[k]!.startFrac, confidence: 0.9 });
  }
  const r = recoverSpaces(image, result(withSpaces));
  assert.equal(r.text, 'the harbour master opened');
});

test('recoverSpaces never splits digits from digits', () => {
  const { image, chars } = fakeLine('abcdefghijklm12_34');
  const r = recoverSpaces(image, result(chars));
  assert.equal(r.text, 'abcdefghijklm1234');
});

test('normalizeLatinPunctuation maps fullwidth forms in Latin text, keeps them beside CJK', () => {
  const mk = (t: string) => result(Array.from(t, (ch, i) => ({ text: ch, startFrac: i / t.length, endFrac: (i + 1) / t.length, confidence: 1 })));
  assert.equal(normalizeLatinPunctuation(mk('readFile（path，limit）')).text, 'readFile(path,limit)');
  assert.equal(normalizeLatinPunctuation(mk('你好，世界')).text, '你好，世界');
});

test('recoverSpaces looks inside long tokens of an otherwise spaced line', () => {
  const { image, chars } = fakeLine('beyond_the_breakwater_for');
  // The recogniser kept the first space only: "beyond thebreakwaterfor".
  const seen: RecChar[] = [...chars.slice(0, 6), { text: ' ', startFrac: chars[5]!.endFrac, endFrac: chars[6]!.startFrac, confidence: 0.9 }, ...chars.slice(6)];
  const r = recoverSpaces(image, result(seen));
  assert.equal(r.text, 'beyond the breakwater for');
});

test('recoverSpaces does not split a long word that has no gap', () => {
  const { image, chars } = fakeLine('a_replacement');
  const seen: RecChar[] = [chars[0]!, { text: ' ', startFrac: chars[0]!.endFrac, endFrac: chars[1]!.startFrac, confidence: 0.9 }, ...chars.slice(1)];
  assert.equal(recoverSpaces(image, result(seen)).text, 'a replacement');
});

test('recoverSpaces keeps domain names together', () => {
  const { image, chars } = fakeLine('www._gnuplot._info');
  // Wide gaps after each full stop, as in a proportional font; "www.gnuplot.info" must stay one word.
  assert.equal(recoverSpaces(image, result(chars)).text, 'www.gnuplot.info');
});

test('a quote ends or starts a word at a word-sized gap; an apostrophe inside a word stays glued', () => {
  // "plot 'file’ thru x" read as one long token "'file’thru"; "don’t" keeps its letter-sized gaps.
  const { image, chars } = fakeLine("'file’_thru_don’tlongwordhere");
  const r = recoverSpaces(image, result(chars));
  assert.equal(r.text, "'file’ thru don’tlongwordhere");
});

test('short run-together words and letter/digit changes get their space back only at word-sized gaps', () => {
  // "Mix 500 g of dark rye": tokens of 7 characters and a number glued to its unit.
  const { image, chars } = fakeLine('Mix_500_g_of_dark_rye');
  const r = recoverSpaces(image, result(chars.filter((c) => c.text !== ' ')));
  assert.equal(r.text, 'Mix 500 g of dark rye');
  // A unit printed against its number ("5kg") and "A4" keep their letter gaps; only the word gap before x opens.
  const tight = fakeLine('5kg_A4_x');
  const r2 = recoverSpaces(tight.image, result(tight.chars));
  assert.equal(r2.text, '5kgA4 x');
});

test('a straight quote after a closing bracket closes its word: no space before it', () => {
  // "‘func(args)'," with a wide gap before the quote (as a bracket's side bearing gives in some fonts).
  const { image, chars } = fakeLine("(func(args)_',_'next'_more");
  const r = recoverSpaces(image, result(chars));
  assert.equal(r.text, "(func(args)', 'next' more");
});

/** Evenly spread extents for `text` (positions do not matter where the grid maps characters in order). */
function evenChars(text: string): RecChar[] {
  const cps = Array.from(text);
  return cps.map((t, i) => ({ text: t, startFrac: i / cps.length, endFrac: (i + 1) / cps.length, confidence: 0.9 }));
}

const CODE = "import { readFile } from 'node:fs/promises';";
const CODE2 = 'counts.set(word, (counts.get(word) ?? 0) + 1);';

test('monospaceGrid finds the character grid of monospaced fonts and none in proportional ones', async () => {
  for (const font of ['DejaVu Sans Mono', 'Liberation Mono']) {
    for (const text of [CODE, CODE2, 'The harbour master opened the shutters at six']) {
      const profile = inkProfile(await renderLine(text, { font, sizePx: 24 }));
      const grid = monospaceGrid(profile);
      assert.ok(grid, `${font}: ${text}`);
      // One cell per character, spaces included: the last glyph sits in the last cell.
      assert.equal(grid.blobCells.at(-1), Array.from(text).length - 1, `${font}: ${text}`);
    }
  }
  for (const font of ['DejaVu Sans', 'DejaVu Serif', 'Liberation Serif', 'Liberation Sans']) {
    for (const text of [CODE, CODE2, 'The harbour master opened the shutters at six']) {
      const profile = inkProfile(await renderLine(text, { font, sizePx: 24 }));
      assert.equal(monospaceGrid(profile), undefined, `${font}: ${text}`);
      // The fit exists, it just leaves many blobs off the lattice.
      const fit = fitCharGrid(profile.blank);
      assert.ok(fit && fit.rmsOffset > 0.15, `${font}: ${text}`);
    }
  }
});

test('in a monospaced line every empty cell is a space, and narrow glyphs stay together', async () => {
  for (const text of [CODE, CODE2]) {
    const image = await renderLine(text, { font: 'DejaVu Sans Mono', sizePx: 24 });
    // The recogniser lost every space: "from'node:fs" has wide paper around the narrow ' and :, which the
    // proportional rule would take for word gaps.
    const r = recoverSpaces(image, result(evenChars(text.replace(/ /g, ''))));
    assert.equal(r.text, text);
    assert.equal(r.chars.length, Array.from(text).length);
  }
});

test('a glyph the recogniser skipped keeps its cell in a monospaced line: no space for it', async () => {
  const text = 'console.log(`${word.padEnd(12)} ${n}`);';
  const image = await renderLine(text, { font: 'DejaVu Sans Mono', sizePx: 24 });
  const grid = monospaceGrid(inkProfile(image))!;
  assert.ok(grid);
  // CTC positions at each glyph's cell, without the two backticks the model did not read.
  const chars: RecChar[] = [];
  Array.from(text).forEach((t, cell) => {
    if (t === '`' || t === ' ') return;
    const centre = (grid.originPx + cell * grid.pitchPx) / image.width;
    const half = grid.pitchPx / 2 / image.width;
    chars.push({ text: t, startFrac: centre - half, endFrac: centre + half, confidence: 0.9 });
  });
  assert.equal(recoverSpaces(image, result(chars)).text, 'console.log(${word.padEnd(12)} ${n});');
});

test('fullwidth punctuation in Latin text ends a word like its ASCII twin', () => {
  // "(path，limit": the model writes a fullwidth comma and drops the space after it.
  const { image, chars } = fakeLine('readFile(path，_limit)');
  assert.equal(recoverSpaces(image, result(chars)).text, 'readFile(path， limit)');
  assert.equal(normalizeLatinPunctuation(recoverSpaces(image, result(chars))).text, 'readFile(path, limit)');
  // Without the gap it stays glued.
  const tight = fakeLine('readFile(path，limit)');
  assert.equal(recoverSpaces(tight.image, result(tight.chars)).text, 'readFile(path，limit)');
});

test("a line's own word spaces calibrate the gap that splits short words", () => {
  // "shutters atsix and": 5 letters, too short to look glued; the gap is as wide as the spaces the model wrote.
  const { image, chars } = fakeLine('the_shutters_at_six_and_more');
  const seen: RecChar[] = [];
  const spaceAfter = new Set([2, 10, 15, 18]); // after "the", "shutters", "six", "and"
  chars.forEach((c, i) => {
    seen.push(c);
    if (spaceAfter.has(i)) seen.push({ text: ' ', startFrac: c.endFrac, endFrac: chars[i + 1]!.startFrac, confidence: 0.9 });
  });
  assert.equal(result(seen).text, 'the shutters atsix and more');
  assert.equal(recoverSpaces(image, result(seen)).text, 'the shutters at six and more');
  // With fewer than three spaces of its own the line has no calibration: short tokens stay as read.
  const few = fakeLine('at_six');
  assert.equal(recoverSpaces(few.image, result(few.chars)).text, 'atsix');
});

test('a degree sign starts a word at a word-sized gap only', () => {
  const spaced = fakeLine('bake_at_220_°C_for_an_hour');
  const seen = spaced.chars.flatMap((c, i, all) => {
    const next = all[i + 1];
    return ['e', 't', 'r', 'n'].includes(c.text) && next && next.startFrac - c.endFrac > 0.02 ? [c, { text: ' ', startFrac: c.endFrac, endFrac: next.startFrac, confidence: 0.9 }] : [c];
  });
  assert.equal(recoverSpaces(spaced.image, result(seen)).text, 'bake at 220 °C for an hour');
  const tight = fakeLine('bake_at_45°_for_an_hour');
  const seenTight = tight.chars.flatMap((c, i, all) => {
    const next = all[i + 1];
    return next && next.startFrac - c.endFrac > 0.02 ? [c, { text: ' ', startFrac: c.endFrac, endFrac: next.startFrac, confidence: 0.9 }] : [c];
  });
  assert.equal(recoverSpaces(tight.image, result(seenTight)).text, 'bake at 45° for an hour');
});

test('inkProfile on a gray crop with recorded paper runs equals the per-pixel profile of the same pixels', async () => {
  const { cropQuad } = await import('../../../../engines/image/crop.js');
  const { paperSpans } = await import('../../../../engines/image/gray.js');
  const line = await renderLine('Paper runs: 1,234 words in 56 lines.', { font: 'DejaVu Sans', sizePx: 40 });
  // A gray page with the line on it, margins of white paper around it; crop a box with paper on both ends.
  const page: RgbImage = { width: line.width + 80, height: line.height + 40, data: new Uint8Array((line.width + 80) * (line.height + 40) * 3).fill(255) };
  for (let y = 0; y < line.height; y++) {
    for (let x = 0; x < line.width; x++) {
      const s = (y * line.width + x) * 3;
      const v = (line.data[s]! * 77 + line.data[s + 1]! * 150 + line.data[s + 2]! * 29) >> 8;
      page.data.fill(v, ((y + 20) * page.width + x + 40) * 3, ((y + 20) * page.width + x + 40) * 3 + 3);
    }
  }
  const crop = cropQuad(page, [[20, 10], [page.width - 20, 10], [page.width - 20, page.height - 10], [20, page.height - 10]]).image;
  assert.ok(paperSpans(crop) !== undefined, 'the crop of a gray page records its paper runs');
  const plain: RgbImage = { width: crop.width, height: crop.height, data: new Uint8Array(crop.data) };
  assert.equal(paperSpans(plain), undefined);
  const fast = inkProfile(crop);
  const slow = inkProfile(plain);
  assert.equal(fast.textHeightPx, slow.textHeightPx);
  assert.deepEqual([...fast.blank], [...slow.blank]);
  assert.ok(slow.blank.includes(0) && slow.blank.includes(1));
});

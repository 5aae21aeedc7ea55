import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markGray } from '../../../../engines/image/gray.js';
import {
  chunkWindowWidthPx,
  columnInk,
  emptiestColumn,
  mergeRecPieces,
  needsRecChunks,
  planRecPieces,
  type RecPiece,
} from '../../../../engines/rec/rec-chunks.js';
import { DEFAULT_REC_WIDTH_BUCKETS_PX, GPU_REC_WIDTH_BUCKETS_PX, paddleImgWidth, planRecBatches } from '../../../../engines/rec/rec-preprocess.js';
import type { RecResult } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';

/** A white crop of `height` rows with dark boxes ("glyphs") at the given [start, end) columns, rows 25 %–75 %. */
function syntheticLine(width: number, height: number, glyphs: readonly [number, number][], ink = 20, paper = 235): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(paper);
  for (const [s, e] of glyphs) {
    for (let y = Math.floor(height * 0.25); y < Math.ceil(height * 0.75); y++) data.fill(ink, (y * width + s) * 3, (y * width + e) * 3);
  }
  return { width, height, data };
}

/**
 * A line of "words" of `letters` glyphs each: glyphs `glyphPx` wide, `letterGapPx` apart, words `wordGapPx` apart,
 * starting at `marginPx`. Returns the glyph columns and the crop width (margin on both sides).
 */
function wordsLayout(words: number, letters: number, glyphPx: number, letterGapPx: number, wordGapPx: number, marginPx: number) {
  const glyphs: [number, number][] = [];
  const wordGaps: [number, number][] = [];
  let x = marginPx;
  for (let w = 0; w < words; w++) {
    for (let l = 0; l < letters; l++) {
      glyphs.push([x, x + glyphPx]);
      x += glyphPx + (l < letters - 1 ? letterGapPx : 0);
    }
    if (w < words - 1) {
      wordGaps.push([x, x + wordGapPx]);
      x += wordGapPx;
    }
  }
  return { glyphs, wordGaps, width: x + marginPx };
}

describe('columnInk', () => {
  test('counts the dark pixels of each column, for RGB and for gray-marked crops alike', () => {
    const img = syntheticLine(40, 20, [[5, 8], [20, 21]]);
    const ink = columnInk(img);
    assert.equal(ink.length, 40);
    assert.deepEqual([...ink.slice(4, 9)], [0, 10, 10, 10, 0]);
    assert.equal(ink[20], 10);
    assert.equal(ink[30], 0);
    const gray = { ...img, data: img.data.slice() };
    markGray(gray.data);
    assert.deepEqual([...columnInk(gray)], [...ink]);
  });

  test('light text on a dark band: the minority class is the ink', () => {
    const img = syntheticLine(40, 20, [[10, 12]], 250, 30);
    const ink = columnInk(img);
    assert.equal(ink[11], 10);
    assert.equal(ink[0], 0);
  });
});

describe('emptiestColumn', () => {
  test('the middle of the widest blank run: a word gap beats a letter gap', () => {
    const ink = new Uint32Array(100).fill(9);
    ink.fill(0, 20, 23); // letter gap
    ink.fill(0, 50, 61); // word gap
    ink.fill(1, 80, 82); // a near-blank speck run, shorter
    assert.equal(emptiestColumn(ink, 0, 100, 1), 55);
  });

  test('without a blank column, the least-inked run (an underline under touching glyphs)', () => {
    const ink = new Uint32Array(60).fill(12);
    ink.fill(2, 30, 34);
    assert.equal(emptiestColumn(ink, 10, 60, 0), 32);
  });

  test('stays inside the window', () => {
    const ink = new Uint32Array(100).fill(5);
    ink.fill(0, 0, 40);
    const c = emptiestColumn(ink, 50, 70, 0);
    assert.ok(c >= 50 && c < 70, String(c));
  });
});

describe('needsRecChunks and chunkWindowWidthPx', () => {
  test('a window of chunkWindowWidthPx columns has exactly the chunk width as its Paddle width and bucket', () => {
    for (const h of [17, 32, 41, 48, 63, 100]) {
      const w = chunkWindowWidthPx(h, 960);
      assert.ok(paddleImgWidth(w / h) >= 960, `h ${h}`);
      assert.ok(paddleImgWidth((w - 1) / h) < 960, `h ${h}: ${w} is the smallest`);
      const [plan] = planRecBatches([{ width: w, height: h }], { batchSize: 8, widthBucketsPx: GPU_REC_WIDTH_BUCKETS_PX, batchSizeBuckets: [8] });
      assert.equal(plan!.imgWPx, 960);
      assert.equal(plan!.resizedWidthsPx[0], 960);
    }
  });

  test('only crops whose bucket would be wider than the chunk are chunked (those squeezed into it are not)', () => {
    const h = 48;
    assert.equal(needsRecChunks({ width: 960, height: h }, 960, DEFAULT_REC_WIDTH_BUCKETS_PX), false);
    assert.equal(needsRecChunks({ width: 1151, height: h }, 960, DEFAULT_REC_WIDTH_BUCKETS_PX), false); // squeezed into 960
    assert.equal(needsRecChunks({ width: 1152, height: h }, 960, DEFAULT_REC_WIDTH_BUCKETS_PX), true);
    assert.equal(needsRecChunks({ width: 1100, height: h }, 960, GPU_REC_WIDTH_BUCKETS_PX), false);
    assert.equal(needsRecChunks({ width: 961, height: h }, 960, null), true); // Paddle's exact widths
    assert.equal(needsRecChunks({ width: 0, height: 0 }, 960, null), false);
  });
});

describe('planRecPieces', () => {
  const h = 40;
  const layout = wordsLayout(40, 5, 14, 4, 24, 20); // ~3.9k px: w/h ≈ 97
  const img = syntheticLine(layout.width, h, layout.glyphs);
  const win = chunkWindowWidthPx(h, 960); // 800 px
  const pieces = planRecPieces(columnInk(img), h, win);

  test('pieces are one window wide, cover the line, and their kept ranges tile it', () => {
    assert.ok(pieces.length >= 5 && pieces.length <= 7, String(pieces.length));
    assert.equal(pieces[0]!.x0Px, 0);
    assert.equal(pieces[0]!.keepFromPx, 0);
    assert.equal(pieces.at(-1)!.x0Px + pieces.at(-1)!.widthPx, img.width);
    assert.equal(pieces.at(-1)!.keepToPx, img.width);
    for (const [k, p] of pieces.entries()) {
      assert.equal(p.widthPx, win, `piece ${k} width`);
      assert.ok(p.x0Px >= 0 && p.x0Px + p.widthPx <= img.width);
      if (k > 0) assert.equal(p.keepFromPx, pieces[k - 1]!.keepToPx, `piece ${k} starts where ${k - 1} stops`);
      assert.ok(p.keepToPx > p.keepFromPx);
    }
  });

  test('every cut lies in a word gap, with at least one crop height of context on both sides', () => {
    for (let k = 1; k < pieces.length; k++) {
      const cut = pieces[k]!.keepFromPx;
      const gap = layout.wordGaps.find(([s, e]) => cut >= s && cut < e);
      assert.ok(gap, `cut ${cut} is in a word gap`);
      // Near the middle of that gap.
      assert.ok(Math.abs(cut - (gap[0] + gap[1]) / 2) <= 1, `cut ${cut} centred in ${gap}`);
      const left = pieces[k - 1]!, right = pieces[k]!;
      assert.ok(left.x0Px + left.widthPx - cut >= h, `left piece reaches ${left.x0Px + left.widthPx - cut} px past cut ${cut}`);
      assert.ok(cut - right.x0Px >= h, `right piece starts ${cut - right.x0Px} px before cut ${cut}`);
    }
  });

  test('with no word gap in reach, the cut falls between letters, never through a glyph', () => {
    const dense = wordsLayout(1, 200, 14, 4, 0, 10);
    const denseImg = syntheticLine(dense.width, h, dense.glyphs);
    const ps = planRecPieces(columnInk(denseImg), h, win);
    assert.ok(ps.length >= 4);
    for (let k = 1; k < ps.length; k++) {
      const cut = ps[k]!.keepFromPx;
      assert.ok(!dense.glyphs.some(([s, e]) => cut >= s && cut < e), `cut ${cut} is not inside a glyph`);
    }
  });

  test('a crop no wider than a window is one piece', () => {
    assert.deepEqual(planRecPieces(new Uint32Array(500), h, 800), [{ x0Px: 0, widthPx: 500, keepFromPx: 0, keepToPx: 500 }]);
  });

  test('lastWindowsPx: the last piece takes the narrowest window that holds its rest with context; the others are unchanged', () => {
    const buckets = [320, 384, 448, 544, 672, 800];
    const lastWindowsPx = buckets.map((b) => chunkWindowWidthPx(h, b));
    const narrow = planRecPieces(columnInk(img), h, win, { lastWindowsPx });
    assert.equal(narrow.length, pieces.length);
    assert.deepEqual(narrow.slice(0, -1), pieces.slice(0, -1));
    const last = narrow.at(-1)!, before = narrow.at(-2)!;
    assert.equal(last.keepFromPx, pieces.at(-1)!.keepFromPx);
    assert.equal(last.x0Px + last.widthPx, img.width);
    assert.equal(last.keepToPx, img.width);
    // Context past its cut, as every other piece has, and the narrowest allowed window that gives it.
    const restPx = img.width - (before.keepToPx - h);
    assert.ok(last.keepFromPx - last.x0Px >= h, `last piece starts ${last.keepFromPx - last.x0Px} px before its cut`);
    const fitting = lastWindowsPx.filter((c) => c >= restPx);
    assert.equal(last.widthPx, fitting.length ? Math.min(...fitting) : win);
    assert.ok(last.widthPx <= win);
    // This line's rest is short enough for a smaller window (otherwise the test would prove nothing).
    assert.ok(last.widthPx < win, `rest ${restPx} px took a whole window`);
  });

  test('lastWindowFitsRest: the last piece is exactly its rest plus context, whatever lastWindowsPx says', () => {
    const fit = planRecPieces(columnInk(img), h, win, { lastWindowFitsRest: true, lastWindowsPx: [win - 1] });
    assert.deepEqual(fit.slice(0, -1), pieces.slice(0, -1));
    const last = fit.at(-1)!, before = fit.at(-2)!;
    // It starts exactly one context (a crop height) before the last cut and ends at the crop's edge.
    assert.equal(last.x0Px, before.keepToPx - h);
    assert.equal(last.x0Px + last.widthPx, img.width);
    assert.equal(last.keepFromPx, before.keepToPx);
    assert.ok(last.widthPx < pieces.at(-1)!.widthPx, 'narrower than the whole window it replaces');
  });

  test('lastWindowsPx wider than the window, or too narrow for the rest, are not taken', () => {
    const narrow = planRecPieces(columnInk(img), h, win, { lastWindowsPx: [10, win + 400] });
    assert.deepEqual(narrow, pieces);
  });
});

/** A true char of a line in crop pixels. */
interface TrueChar {
  text: string;
  s: number;
  e: number;
}

/**
 * What a piece's decode would report for `truth`: the chars whose centre (+ `shift(i, piece)` px) lies inside the
 * window, fractions of the window, spaces at the ends trimmed (as ctcGreedyDecode does).
 */
function readPiece(truth: readonly TrueChar[], piece: RecPiece, shift: (i: number, k: number) => number, k: number): RecResult {
  const chars = truth
    .map((c, i) => ({ c, d: shift(i, k) }))
    .filter(({ c, d }) => (c.s + c.e) / 2 + d >= piece.x0Px && (c.s + c.e) / 2 + d < piece.x0Px + piece.widthPx)
    .map(({ c, d }) => ({
      text: c.text,
      startFrac: Math.max(0, (c.s + d - piece.x0Px) / piece.widthPx),
      endFrac: Math.min(1, (c.e + d - piece.x0Px) / piece.widthPx),
      confidence: 0.9,
    }));
  while (chars.length && chars[0]!.text === ' ') chars.shift();
  while (chars.length && chars.at(-1)!.text === ' ') chars.pop();
  return { text: chars.map((c) => c.text).join(''), confidence: 0.9, chars };
}

/** True chars for `text` laid out at `pitch` px per char (spaces one pitch wide) from x = `marginPx`. */
function layoutText(text: string, pitch: number, marginPx: number): TrueChar[] {
  return [...text].map((t, i) => ({ text: t, s: marginPx + i * pitch, e: marginPx + (i + 1) * pitch }));
}

describe('mergeRecPieces', () => {
  const text = 'The harbour master opened the gates at dawn and all the boats sailed out to sea, full of hope and nets.';
  const pitch = 20;
  const width = text.length * pitch + 40;
  const truth = layoutText(text, pitch, 20);
  const centreOf = (i: number) => (truth[i]!.s + truth[i]!.e) / 2;
  // Pieces of 600 px with cuts at chosen char boundaries or inside a space (context 60 px each side).
  const cutsAt = (cuts: number[]): RecPiece[] => {
    const bounds = [0, ...cuts, width];
    return bounds.slice(0, -1).map((from, k) => {
      const to = bounds[k + 1]!;
      const x0 = Math.max(0, from - 60);
      const x1 = Math.min(width, to + 60);
      return { x0Px: x0, widthPx: x1 - x0, keepFromPx: from, keepToPx: to };
    });
  };
  const spaceIdx = [...text].map((t, i) => (t === ' ' ? i : -1)).filter((i) => i >= 0);
  // Cuts in the middle of the 4th, 9th and 15th spaces.
  const spaceCuts = [spaceIdx[3]!, spaceIdx[8]!, spaceIdx[14]!].map(centreOf);

  test('exact readings: the text once, fractions of the whole crop, confidence the kept chars\' mean', () => {
    const pieces = cutsAt(spaceCuts.map((c) => c + 3));
    const results = pieces.map((p, k) => readPiece(truth, p, () => 0, k));
    const merged = mergeRecPieces(pieces, results, width);
    assert.equal(merged.text, text);
    assert.equal(merged.chars.length, truth.length);
    merged.chars.forEach((c, i) => {
      assert.ok(Math.abs(c.startFrac * width - truth[i]!.s) < 1e-6, `char ${i} start ${c.startFrac * width} vs ${truth[i]!.s}`);
      assert.ok(Math.abs(c.endFrac * width - truth[i]!.e) < 1e-6, `char ${i} end`);
    });
    assert.ok(Math.abs(merged.confidence - 0.9) < 1e-9);
  });

  test('a space exactly on the cut, read by both pieces on the far side of it (dropped by both), comes back once', () => {
    const pieces = cutsAt(spaceCuts);
    // Each piece sees the seam's space centre just beyond its own cut.
    const shift = (i: number, k: number) => {
      const c = centreOf(i);
      const p = pieces[k]!;
      if (truth[i]!.text !== ' ') return 0;
      if (Math.abs(c - p.keepToPx) < 1) return +2; // left piece: past its right cut
      if (Math.abs(c - p.keepFromPx) < 1) return -2; // right piece: before its left cut
      return 0;
    };
    const merged = mergeRecPieces(pieces, pieces.map((p, k) => readPiece(truth, p, shift, k)), width);
    assert.equal(merged.text, text);
    assert.ok(!merged.text.includes('  '));
  });

  test('a space on the cut kept by both pieces is kept once', () => {
    const pieces = cutsAt(spaceCuts);
    const shift = (i: number, k: number) => {
      const c = centreOf(i);
      const p = pieces[k]!;
      if (truth[i]!.text !== ' ') return 0;
      if (Math.abs(c - p.keepToPx) < 1) return -2;
      if (Math.abs(c - p.keepFromPx) < 1) return +2;
      return 0;
    };
    const merged = mergeRecPieces(pieces, pieces.map((p, k) => readPiece(truth, p, shift, k)), width);
    assert.equal(merged.text, text);
  });

  test('a space read by only one of the two pieces is kept (one space, spanning the gap)', () => {
    const pieces = cutsAt(spaceCuts);
    const seam = spaceIdx[3]!;
    for (const reader of [0, 1]) {
      const results = pieces.map((p, k) => {
        const r = readPiece(truth, p, () => 0, k);
        // Piece `reader` of the first seam reads the space; the other does not (its chars stay put).
        if (k === 1 - reader) r.chars = r.chars.filter((c) => !(c.text === ' ' && Math.abs(p.x0Px + ((c.startFrac + c.endFrac) / 2) * p.widthPx - centreOf(seam)) < 1));
        return r;
      });
      const merged = mergeRecPieces(pieces, results, width);
      assert.equal(merged.text, text, `space read by piece ${reader}`);
      const sp = merged.chars[seam]!;
      assert.equal(sp.text, ' ');
      assert.ok(Math.abs(sp.startFrac * width - truth[seam]!.s) < 1e-6 && Math.abs(sp.endFrac * width - truth[seam]!.e) < 1e-6);
    }
  });

  test('a glyph whose centre each piece puts on its own side of a cut between letters is kept once', () => {
    // Cut between two letters of "harbour" ("harb|our") and of "master" ("mas|ter").
    const hb = text.indexOf('harbour') + 4, ms = text.indexOf('master') + 3;
    const pieces = cutsAt([truth[hb]!.s, truth[ms]!.s, spaceCuts[2]!]);
    // Glyph hb-1 ('b') and ms-1 ('s'): the right piece sees them 12 px to the right, past the cut.
    const shift = (i: number, k: number) => ((i === hb - 1 || i === ms - 1) && k >= 1 && pieces[k]!.keepFromPx === truth[i + 1]!.s ? 12 : 0);
    const merged = mergeRecPieces(pieces, pieces.map((p, k) => readPiece(truth, p, shift, k)), width);
    assert.equal(merged.text, text);
  });

  test('a glyph each piece puts on the other side of the cut is taken back', () => {
    const hb = text.indexOf('harbour') + 4;
    const pieces = cutsAt([truth[hb]!.s, spaceCuts[1]!, spaceCuts[2]!]);
    // Glyph hb ('o', just right of the cut): the left piece sees it right of the cut (kept by neither if the right
    // piece sees it left of the cut).
    const shift = (i: number, k: number) => (i === hb && k === 1 ? -12 : 0);
    const merged = mergeRecPieces(pieces, pieces.map((p, k) => readPiece(truth, p, shift, k)), width);
    assert.equal(merged.text, text);
    const c = merged.chars[hb]!;
    assert.equal(c.text, 'o');
  });

  test('double letters at a seam stay double ("ll" cut between the two l)', () => {
    const ll = text.indexOf('all') + 1;
    const pieces = cutsAt([spaceCuts[0]!, truth[ll + 1]!.s, spaceCuts[2]!]);
    const merged = mergeRecPieces(pieces, pieces.map((p, k) => readPiece(truth, p, () => 0, k)), width);
    assert.equal(merged.text, text);
  });

  test('merged fractions are monotone and within [0, 1] even where the pieces\' extents overlap', () => {
    const pieces = cutsAt(spaceCuts.map((c) => c + 3));
    // Every char of the right pieces reads 5 px wider on both sides.
    const results = pieces.map((p, k) => {
      const r = readPiece(truth, p, () => 0, k);
      if (k > 0) r.chars = r.chars.map((c) => ({ ...c, startFrac: Math.max(0, c.startFrac - 5 / p.widthPx), endFrac: Math.min(1, c.endFrac + 5 / p.widthPx) }));
      return r;
    });
    const merged = mergeRecPieces(pieces, results, width);
    assert.equal(merged.text, text);
    let last = 0;
    for (const c of merged.chars) {
      assert.ok(c.startFrac >= last - 1e-12 && c.endFrac >= c.startFrac && c.endFrac <= 1);
      last = c.endFrac;
    }
  });

  test('one piece is passed through unchanged', () => {
    const r: RecResult = { text: 'ab', confidence: 0.5, chars: [] };
    assert.equal(mergeRecPieces([{ x0Px: 0, widthPx: 10, keepFromPx: 0, keepToPx: 10 }], [r], 10), r);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeReadingOrder, orderLines, paddleSortedOrder, type LineCandidate } from '../../../../engines/layout/reading-order.js';
import { pageText } from '../../../../engines/layout/page-text.js';
import type { Quad } from '../../../../engines/types.js';

/** An axis-aligned line box, as DB would return it for horizontal text. */
function box(x0: number, y0: number, x1: number, y1: number, text: string, extra: Partial<LineCandidate> = {}): LineCandidate {
  const quad: Quad = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
  return { quad, text, confidence: 0.9, ...extra };
}

/** Shuffles deterministically, so the detector's output order never helps. */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const a = items.slice();
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function texts(candidates: LineCandidate[]): string[] {
  return orderLines(candidates, 0).flatMap((b) => b.lines.map((l) => l.text));
}

/**
 * A 1000 × 1400 px page, text 20 px high at a 30 px pitch (10 px between boxes):
 *   heading across both columns; left column x 60–480, right column x 520–940 (40 px = 2 h gutter);
 *   both columns with the SAME baselines (as typeset two-column pages have) and a paragraph break at the SAME y,
 *   so every row is a horizontal whitespace band of its own; one left line split by the detector into two
 *   pieces 8 px apart; a centred page-number footer.
 */
function twoColumnPage(): { candidates: LineCandidate[]; expected: string[] } {
  const c: LineCandidate[] = [];
  const expected: string[] = [];
  c.push(box(200, 50, 800, 80, 'A Heading Across Both Columns'));
  expected.push('A Heading Across Both Columns');
  const rowsY = [120, 150, 180, 210, /* paragraph gap */ 270, 300, 330];
  const left: string[] = [];
  const right: string[] = [];
  rowsY.forEach((y, r) => {
    const short = r === 3 || r === 6; // last line of a paragraph
    if (r === 1) {
      // Detector split this line into two pieces on one baseline.
      c.push(box(60, y, 250, y + 20, 'left r1 first-half'));
      c.push(box(258, y, 480, y + 20, 'second-half'));
      left.push('left r1 first-half second-half');
    } else {
      c.push(box(60, y, short ? 300 : 480, y + 20, `left r${r}`));
      left.push(`left r${r}`);
    }
    c.push(box(520, y, short ? 700 : 940, y + 20, `right r${r}`));
    right.push(`right r${r}`);
  });
  expected.push(...left, ...right);
  c.push(box(470, 1340, 530, 1360, '- 3 -'));
  expected.push('- 3 -');
  return { candidates: shuffled(c), expected };
}

describe('orderLines: columns', () => {
  test('two columns with aligned baselines, a spanning heading and a footer read column by column', () => {
    const { candidates, expected } = twoColumnPage();
    assert.deepEqual(texts(candidates), expected);
  });

  test('PaddleOCR sorted_boxes interleaves the same columns (what we beat)', () => {
    const { candidates, expected } = twoColumnPage();
    const paddle = paddleSortedOrder(candidates.map((c) => c.quad)).map((i) => candidates[i]!.text);
    assert.notDeepEqual(paddle, expected);
    // It reads row by row across the gutter: the first body row comes out as left, right.
    assert.deepEqual(paddle.slice(1, 3), ['left r0', 'right r0']);
  });

  test('blocks: heading, paragraphs per column, footer; pieces merge but never across the gutter', () => {
    const { candidates } = twoColumnPage();
    const result = analyzeReadingOrder(candidates, 3);
    const blocks = result.blocks.map((b) => b.lines.map((l) => l.text));
    assert.deepEqual(blocks, [
      ['A Heading Across Both Columns'],
      ['left r0', 'left r1 first-half second-half', 'left r2', 'left r3'],
      ['left r4', 'left r5', 'left r6'],
      ['right r0', 'right r1', 'right r2', 'right r3'],
      ['right r4', 'right r5', 'right r6'],
      ['- 3 -'],
    ]);
    assert.equal(result.blocks[0]!.id, 'p3-b0');
    assert.deepEqual(result.blocks.flatMap((b) => b.lines.map((l) => l.id)), Array.from({ length: 16 }, (_, i) => `p3-l${i}`));
    // The merged line is one quad from the first piece's start to the second piece's end.
    const merged = result.blocks[1]!.lines[1]!;
    assert.deepEqual(merged.quad, [[60, 150], [480, 150], [480, 170], [60, 170]]);
    assert.equal(result.regions.length, 1);
    assert.equal(result.regions[0]!.mode, 'columns');
    // No line holds text from both columns.
    for (const b of result.blocks) for (const l of b.lines) assert.ok(!(l.text.includes('left') && l.text.includes('right')));
  });

  test('pieces further apart than the gutter threshold on one row stay separate lines', () => {
    // A single row: "Name" … "Date" 60 px apart (3 h) is two lines, read left to right.
    const result = orderLines(shuffled([box(100, 100, 200, 120, 'Name'), box(260, 100, 360, 120, 'Date')]), 0);
    assert.deepEqual(result.flatMap((b) => b.lines.map((l) => l.text)), ['Name', 'Date']);
  });

  test('columns with unaligned baselines and different lengths; a running header above reads first', () => {
    const c: LineCandidate[] = [box(60, 20, 200, 36, 'Journal'), box(860, 20, 940, 36, '17')];
    const expected = ['Journal', '17'];
    for (let i = 0; i < 12; i++) c.push(box(60, 100 + i * 30, 470, 120 + i * 30, `L${i}`));
    for (let i = 0; i < 7; i++) c.push(box(530, 113 + i * 30, 940, 133 + i * 30, `R${i}`));
    expected.push(...Array.from({ length: 12 }, (_, i) => `L${i}`), ...Array.from({ length: 7 }, (_, i) => `R${i}`));
    assert.deepEqual(texts(shuffled(c)), expected);
  });

  test('three columns under a heading, then a full-width paragraph, then two columns', () => {
    const c: LineCandidate[] = [box(100, 20, 900, 50, 'Title')];
    const expected = ['Title'];
    const cols3 = [[40, 320], [360, 640], [680, 960]] as const;
    cols3.forEach(([x0, x1], k) => {
      for (let i = 0; i < 5; i++) {
        c.push(box(x0, 80 + i * 30, x1, 100 + i * 30, `c3-${k}-${i}`));
        expected.push(`c3-${k}-${i}`);
      }
    });
    for (let i = 0; i < 2; i++) {
      c.push(box(40, 260 + i * 30, 960, 280 + i * 30, `wide-${i}`));
      expected.push(`wide-${i}`);
    }
    const cols2 = [[40, 480], [520, 960]] as const;
    cols2.forEach(([x0, x1], k) => {
      for (let i = 0; i < 4; i++) {
        c.push(box(x0, 360 + i * 30, x1, 380 + i * 30, `c2-${k}-${i}`));
        expected.push(`c2-${k}-${i}`);
      }
    });
    assert.deepEqual(texts(shuffled(c)), expected);
  });

  test('thresholds scale with text height: the same layout at 4× resolution reads the same', () => {
    const { candidates, expected } = twoColumnPage();
    const scaled = candidates.map((c) => ({ ...c, quad: c.quad.map(([x, y]) => [x * 4, y * 4]) as Quad }));
    assert.deepEqual(texts(scaled), expected);
  });

  test('a skewed page (3°) still reads column by column', () => {
    const { candidates, expected } = twoColumnPage();
    const a = (3 * Math.PI) / 180;
    const rotated = candidates.map((c) => ({
      ...c,
      quad: c.quad.map(([x, y]) => [x * Math.cos(a) - y * Math.sin(a) + 100, x * Math.sin(a) + y * Math.cos(a)]) as Quad,
    }));
    const result = analyzeReadingOrder(rotated, 0);
    assert.ok(Math.abs(result.skewDeg - 3) < 0.01, `skew ${result.skewDeg}`);
    assert.deepEqual(result.blocks.flatMap((b) => b.lines.map((l) => l.text)), expected);
  });
});

describe('orderLines: tables', () => {
  /** A 4-row × 3-column grid of short cells (text 20 px, cells left-aligned in each column). */
  function grid(): LineCandidate[] {
    const cells = [
      ['Item', 'Qty', 'Price'],
      ['Apples', '3', '1.20'],
      ['Pears', '12', '0.80'],
      ['Plums (dark)', '7', '2.05'],
    ];
    const colX = [100, 400, 600];
    const c: LineCandidate[] = [];
    cells.forEach((row, r) =>
      row.forEach((text, k) => c.push(box(colX[k]!, 200 + r * 40, colX[k]! + text.length * 11, 220 + r * 40, text))),
    );
    return c;
  }

  test('a grid of short cells aligned in rows is read row by row, one block per row', () => {
    const result = analyzeReadingOrder(shuffled(grid()), 0);
    assert.deepEqual(
      result.blocks.map((b) => b.lines.map((l) => l.text)),
      [['Item', 'Qty', 'Price'], ['Apples', '3', '1.20'], ['Pears', '12', '0.80'], ['Plums (dark)', '7', '2.05']],
    );
    assert.equal(result.regions[0]!.mode, 'table');
    assert.ok(result.blocks.every((b) => b.kind === 'table-row'));
    // Plain text is tab-separated, one row per line: it pastes into a spreadsheet as a table.
    assert.equal(pageText(result.blocks), 'Item\tQty\tPrice\nApples\t3\t1.20\nPears\t12\t0.80\nPlums (dark)\t7\t2.05');
  });

  test('a table inside the left text column reads row by row within that column', () => {
    const c: LineCandidate[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      c.push(box(60, 100 + i * 30, 470, 120 + i * 30, `L${i}`));
      expected.push(`L${i}`);
    }
    const table = [['a1', 'b1'], ['a2', 'b2'], ['a3', 'b3']];
    table.forEach((row, r) => {
      c.push(box(80, 220 + r * 30, 140, 240 + r * 30, row[0]!));
      c.push(box(300, 220 + r * 30, 360, 240 + r * 30, row[1]!));
      expected.push(...row);
    });
    for (let i = 0; i < 3; i++) {
      c.push(box(60, 340 + i * 30, 470, 360 + i * 30, `L${i + 3}`));
      expected.push(`L${i + 3}`);
    }
    for (let i = 0; i < 15; i++) {
      c.push(box(530, 100 + i * 30, 940, 120 + i * 30, `R${i}`));
      expected.push(`R${i}`);
    }
    const result = analyzeReadingOrder(shuffled(c), 0);
    assert.deepEqual(result.blocks.flatMap((b) => b.lines.map((l) => l.text)), expected);
    assert.deepEqual(result.regions.map((r) => r.mode), ['columns', 'table']);
  });

  test('pieces beside some rows of one column (a code comment, a running head) are read with their rows', () => {
    // Running head "30 … gnuplot 5.4" over a code listing; one code line has a comment after a wide gap, in
    // line with the head's title, so a gutter runs down the page between them.
    const c: LineCandidate[] = [box(60, 40, 90, 60, '30'), box(560, 40, 700, 60, 'gnuplot 5.4')];
    const code = ['set data linespoints', "plot 'file' thru f(x)", 'plot 1 2 4', 'update', 'set style increment user', 'set fontpath'];
    code.forEach((t, i) => c.push(box(120, 90 + i * 30, 120 + t.length * 12, 110 + i * 30, t)));
    c.push(box(520, 150, 800, 170, '# horizontal line at y=1'));
    const expected = ['30', 'gnuplot 5.4', code[0]!, code[1]!, code[2]!, '# horizontal line at y=1', ...code.slice(3)];
    const result = analyzeReadingOrder(shuffled(c), 0);
    assert.deepEqual(result.blocks.flatMap((b) => b.lines.map((l) => l.text)), expected);
    assert.deepEqual(result.regions.map((r) => r.mode), ['rows']);
    // No table rows: the listing stays running text.
    assert.ok(result.blocks.every((b) => b.kind !== 'table-row'));
  });

  test('a second text column that ends early (all its rows beside the first) is still a column', () => {
    const c: LineCandidate[] = [];
    for (let i = 0; i < 8; i++) c.push(box(60, 100 + i * 30, 480, 120 + i * 30, `left ${i}`));
    for (let i = 0; i < 3; i++) c.push(box(520, 100 + i * 30, 940, 120 + i * 30, `right ${i}`));
    const result = analyzeReadingOrder(shuffled(c), 0);
    assert.deepEqual(result.regions.map((r) => r.mode), ['columns']);
    assert.deepEqual(texts(c), [...Array.from({ length: 8 }, (_, i) => `left ${i}`), 'right 0', 'right 1', 'right 2']);
  });

  test('an indented code line above a closing brace further left is a staircase, not two columns', () => {
    // do for [N=1:5] {  /  ····plot func(N, x)  /  ····pause -1  /  }   (boxes 5 px apart, 45 px high)
    const c = [
      box(406, 2359, 765, 2405, 'do for [N=1:5] {'),
      box(483, 2410, 824, 2455, 'plot func(N, x)'),
      box(488, 2461, 675, 2505, 'pause -1'),
      box(404, 2511, 436, 2551, '}'),
    ];
    const result = analyzeReadingOrder(shuffled(c), 0);
    assert.deepEqual(result.blocks.flatMap((b) => b.lines.map((l) => l.text)), c.map((x) => x.text));
    assert.deepEqual(result.regions, []);
  });

  test('a table whose first column holds one-word names (8 text heights wide) still reads row by row', () => {
    // Debian Reference's package table: name | popcon | size | description, one row missing its name cell,
    // and a caption under the table that spans the numeric columns.
    const rows = [
      ['package', 'popcon', 'size', 'description'],
      ['doc-debian', '1:853', '166', 'Debian Project documentation and other documents'],
      ['debian-policy', '1:21', '4379', 'Debian Policy Manual and related documents'],
      [null, null, '2051', 'Guidelines and information for Debian developers'],
      ['debmake-doc', '1:0', '11992', 'Guide for Debian Maintainers'],
      ['debian-history', '1:0', '4302', 'History of the Debian Project'],
    ] as const;
    const xs = [[270, 630], [700, 800], [980, 1070], [1145, 2270]] as const;
    const c: LineCandidate[] = [];
    const expected: string[] = [];
    rows.forEach((row, r) => {
      row.forEach((t, k) => {
        if (t === null) return;
        const [x0, x1] = xs[k]!;
        c.push(box(x0, 340 + r * 50, k === 3 ? x0 + t.length * 20 : (k === 0 ? x0 + t.length * 26 : x1), 384 + r * 50, t));
        expected.push(t);
      });
    });
    c.push(box(700, 680, 1700, 724, 'Table 1.2: List of informative documentation packages'));
    expected.push('Table 1.2: List of informative documentation packages');
    assert.deepEqual(texts(shuffled(c)), expected);
  });

  test('two text columns whose lines align in rows are NOT a table', () => {
    const { candidates } = twoColumnPage();
    const result = analyzeReadingOrder(candidates, 0);
    const region = result.regions[0]!;
    assert.ok(region.alignedShare > 0.9, `aligned ${region.alignedShare}`);
    assert.equal(region.proseColumns, 2);
    assert.equal(region.mode, 'columns');
  });
});

describe('orderLines: paragraphs and lines', () => {
  test('indented first lines start paragraphs; gaps of the column’s usual size do not', () => {
    const c: LineCandidate[] = [];
    const lines = [
      [100, 'Para one starts indented'], [60, 'and continues flush'], [60, 'to the end.'],
      [100, 'Para two starts indented'], [60, 'and ends here.'],
    ] as const;
    lines.forEach(([x, t], i) => c.push(box(x, 100 + i * 30, 600, 120 + i * 30, t)));
    const blocks = orderLines(shuffled(c), 0).map((b) => b.lines.map((l) => l.text));
    assert.deepEqual(blocks, [
      ['Para one starts indented', 'and continues flush', 'to the end.'],
      ['Para two starts indented', 'and ends here.'],
    ]);
  });

  test('double-spaced text is one paragraph; a larger gap splits it', () => {
    const ys = [100, 140, 180, 220, 300, 340]; // 20 px gaps (1 h) between lines, 60 px before line 5
    const c = ys.map((y, i) => box(60, y, 600, y + 20, `d${i}`));
    const blocks = orderLines(shuffled(c), 0).map((b) => b.lines.map((l) => l.text));
    assert.deepEqual(blocks, [['d0', 'd1', 'd2', 'd3'], ['d4', 'd5']]);
  });

  test('centred lines of a title stay one block; ascender/descender height changes do not split', () => {
    const c = [box(200, 100, 800, 130, 'A centred title that'), box(300, 136, 700, 166, 'wraps in two'), box(60, 220, 940, 244, 'Body'), box(60, 250, 940, 268, 'xxxx'), box(60, 274, 940, 300, 'typy')];
    assert.deepEqual(orderLines(c, 0).map((b) => b.lines.map((l) => l.text)), [['A centred title that', 'wraps in two'], ['Body', 'xxxx', 'typy']]);
  });

  test('a heading in larger type is its own block even when close to the text', () => {
    const c = [box(60, 100, 500, 140, 'Big heading'), box(60, 146, 600, 166, 'body 1'), box(60, 170, 600, 190, 'body 2')];
    assert.deepEqual(orderLines(c, 0).map((b) => b.lines.map((l) => l.text)), [['Big heading'], ['body 1', 'body 2']]);
  });

  test('merged pieces combine words, confidence (by length) and flags', () => {
    const a = box(60, 100, 200, 120, 'Hello', { confidence: 1, detScore: 0.8, flipped: false, words: [{ text: 'Hello', quad: [[60, 100], [200, 100], [200, 120], [60, 120]], confidence: 1 }] });
    const b = box(205, 101, 400, 121, 'wonderful world', { confidence: 0.5, detScore: 0.6 });
    const [block] = orderLines([b, a], 0);
    const line = block!.lines[0]!;
    assert.equal(line.text, 'Hello wonderful world');
    assert.deepEqual(line.words.map((w) => w.text), ['Hello', 'wonderful', 'world']);
    assert.ok(Math.abs(line.confidence - (1 * 5 + 0.5 * 15) / 20) < 1e-9);
    assert.ok(Math.abs(line.detScore! - (0.8 * 5 + 0.6 * 15) / 20) < 1e-9);
    assert.equal(line.flipped, false);
    assert.deepEqual(line.quad.map((p) => p.map((v) => Math.round(v))), [[60, 100], [400, 100], [400, 121], [60, 121]]);
  });

  test('pieces on different baselines (superscript-like offset) are not merged', () => {
    const c = [box(60, 100, 200, 120, 'x'), box(205, 90, 260, 104, 'sup')];
    assert.deepEqual(texts(c), ['sup', 'x']);
  });

  test('upside-down pieces of one line merge in their reading order (right to left on the page)', () => {
    // Reading-order quads of upside-down text start at the bottom-right of their page rectangle.
    const flipped = (x0: number, x1: number, text: string): LineCandidate => ({ quad: [[x1, 120], [x0, 120], [x0, 100], [x1, 100]], text, confidence: 0.9 });
    const line = orderLines([flipped(60, 200, 'world'), flipped(205, 300, 'Hello')], 0)[0]!.lines;
    assert.deepEqual(line.map((l) => l.text), ['Hello world']);
    // The merged quad still starts where reading starts: the bottom-right.
    assert.deepEqual(line[0]!.quad.map((p) => p.map(Math.round)), [[300, 120], [60, 120], [60, 100], [300, 100]]);
  });

  test('vertical writing (top to bottom lines) reads columns right to left', () => {
    // Tategaki: each line is a tall box read downwards; reading-order quads start at the page top-right corner.
    const column = (x: number, y0: number, y1: number, text: string): LineCandidate => ({ quad: [[x + 30, y0], [x + 30, y1], [x, y1], [x, y0]], text, confidence: 0.9 });
    const c = [column(800, 50, 600, '一'), column(760, 50, 500, '二'), column(720, 50, 600, '三'), column(600, 50, 300, '四'), column(560, 50, 600, '五')];
    const result = analyzeReadingOrder(shuffled(c), 0);
    assert.equal(result.vertical, true);
    assert.deepEqual(result.blocks.flatMap((b) => b.lines.map((l) => l.text)), ['一', '二', '三', '四', '五']);
  });

  test('empty candidates are skipped; no candidates gives no blocks', () => {
    assert.deepEqual(orderLines([], 0), []);
    const blocks = orderLines([box(0, 0, 10, 10, '  '), box(0, 20, 100, 40, 'kept')], 1);
    assert.deepEqual(blocks.map((b) => b.lines.map((l) => [l.id, l.text])), [[['p1-l0', 'kept']]]);
    assert.deepEqual(blocks[0]!.bbox, { x: 0, y: 20, width: 100, height: 20 });
  });
});

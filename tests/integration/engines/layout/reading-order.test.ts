// Reading order on REAL detector output: a two-column page with a running header, a title, paragraphs with
// first-line indents, a table and a footer, rendered by sharp and detected by PP-OCRv4 DB on ONNX Runtime (CPU).
// Each box is labelled with the rendered line it covers, so the order can be checked without recognition.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createCpuSession } from '../../../../engines/runtime/session.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { TextDetector } from '../../../../engines/det/text-detector.js';
import { analyzeReadingOrder, paddleSortedOrder, type LineCandidate, type ReadingOrderResult } from '../../../../engines/layout/reading-order.js';
import { pageText } from '../../../../engines/layout/page-text.js';

/** Letter page at 150 dpi; body text 21 px (10 pt). */
const W = 1275;
const H = 1650;
const FS = 21;
const LEADING = Math.round(FS * 1.35);

interface RenderedLine {
  id: string;
  x0: number;
  x1: number;
  baseline: number;
  size: number;
  text: string;
}

function layout(): { lines: RenderedLine[]; expected: string[]; paragraphs: string[][] } {
  const vocabulary = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat'.split(' ');
  let w = 0;
  // Ragged-right lines filled to a character budget that fits the column at this size.
  const fill = (budget: number) => {
    let out = vocabulary[w++ % vocabulary.length]!;
    while ((out + ' ' + vocabulary[w % vocabulary.length]).length <= budget) out += ' ' + vocabulary[w++ % vocabulary.length];
    return out;
  };
  const lines: RenderedLine[] = [
    { id: 'hdr-left', x0: 90, x1: 450, baseline: 68, size: FS * 0.8, text: 'Journal of Synthetic Layouts' },
    { id: 'hdr-right', x0: 1110, x1: 1185, baseline: 68, size: FS * 0.8, text: 'Vol. 17' },
    { id: 'title', x0: 225, x1: 1050, baseline: 150, size: FS * 1.6, text: 'A Study of Reading Order Across Columns' },
  ];
  const expected = ['hdr-left', 'hdr-right', 'title'];
  const paragraphs: string[][] = [];
  const columns = [[90, 615], [660, 1185]] as const;
  const full = Math.floor((columns[0][1] - columns[0][0] - 10) / (FS * 0.6));
  columns.forEach(([x0, x1], c) => {
    let y = 225;
    [[7, 9, 6], [8, 5, 9]][c]!.forEach((count, p) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = `c${c}p${p}l${i}`;
        lines.push({ id, x0: x0 + (i === 0 ? FS * 1.5 : 0), x1, baseline: y, size: FS, text: fill(i === count - 1 ? full / 2 : full) });
        ids.push(id);
        y += LEADING;
      }
      expected.push(...ids);
      paragraphs.push(ids);
    });
  });
  const tableTop = 225 + 23 * LEADING + 60;
  const cells = [['Sample', 'Count', 'Mean', 'Error'], ['alpha', '12', '3.41', '0.02'], ['beta', '7', '2.90', '0.11'], ['gamma', '31', '4.05', '0.07']];
  const cellX = [90, 450, 750, 1010];
  cells.forEach((row, r) =>
    row.forEach((text, k) => {
      lines.push({ id: `t${r}${k}`, x0: cellX[k]!, x1: cellX[k]! + 150, baseline: tableTop + r * LEADING * 1.3, size: FS, text });
      expected.push(`t${r}${k}`);
    }),
  );
  lines.push({ id: 'footer', x0: 615, x1: 660, baseline: 1590, size: FS * 0.8, text: '- 17 -' });
  expected.push('footer');
  return { lines, expected, paragraphs };
}

/** Share of consecutive expected pairs that come out consecutive. */
function pairScore(got: string[], expected: string[]): number {
  let ok = 0;
  for (let i = 1; i < expected.length; i++) {
    const a = got.indexOf(expected[i - 1]!);
    if (a >= 0 && got[a + 1] === expected[i]) ok++;
  }
  return ok / (expected.length - 1);
}

describe('orderLines on PP-OCRv4 DB boxes of a two-column page', () => {
  const { lines, expected, paragraphs } = layout();
  let candidates: LineCandidate[];
  let result: ReadingOrderResult;

  before(async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>${lines
      .map((l) => `<text x="${l.x0}" y="${l.baseline}" font-family="DejaVu Serif" font-size="${l.size}">${l.text}</text>`)
      .join('')}</svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const session = await createCpuSession(resolveModelPaths().det, { stage: 'det' });
    try {
      const detector = await TextDetector.create(session);
      const det = await detector.run({ width: info.width, height: info.height, data: new Uint8Array(data) });
      // Label each box with the rendered line it sits on: same baseline band, overlapping x-range.
      candidates = det.boxes.map((b) => {
        const xs = b.quad.map((p) => p[0]);
        const ys = b.quad.map((p) => p[1]);
        const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
        let best = lines[0]!;
        let bestScore = Infinity;
        for (const l of lines) {
          const overlap = Math.min(Math.max(...xs), l.x1) - Math.max(Math.min(...xs), l.x0);
          const score = Math.abs(cy - (l.baseline - 0.35 * l.size)) + (overlap > 0 ? 0 : 1e4);
          if (score < bestScore) [best, bestScore] = [l, score];
        }
        return { quad: b.quad, text: best.id, confidence: 0.9, detScore: b.score };
      });
    } finally {
      await session.dispose();
    }
    result = analyzeReadingOrder(candidates, 0);
  });

  // A line the detector split in pieces comes out once (merged) or as neighbours: collapse repeats.
  const collapse = (ids: string[]) => ids.map((t) => t.split(' ')[0]!).filter((t, i, all) => i === 0 || all[i - 1] !== t);

  test('every rendered line was detected', () => {
    assert.deepEqual([...new Set(candidates.map((c) => c.text))].sort(), [...expected].sort());
  });

  test('reading order: header, title, left column, right column, table row by row, footer', () => {
    const ours = collapse(result.blocks.flatMap((b) => b.lines.map((l) => l.text)));
    assert.deepEqual(ours, expected);
  });

  test('PaddleOCR sorted_boxes on the same boxes interleaves the columns', () => {
    const paddle = collapse(paddleSortedOrder(candidates.map((c) => c.quad)).map((i) => candidates[i]!.text));
    const score = pairScore(paddle, expected);
    assert.ok(score < 0.5, `sorted_boxes kept ${(score * 100).toFixed(0)} % of consecutive pairs`);
  });

  test('blocks: paragraphs split at first-line indents, one block per table row', () => {
    const blocks = result.blocks.map((b) => collapse(b.lines.map((l) => l.text)));
    assert.deepEqual(blocks.slice(2, 8), paragraphs);
    assert.deepEqual(blocks.slice(8, 12), [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((k) => `t${r}${k}`)));
    assert.ok(result.blocks.slice(8, 12).every((b) => b.kind === 'table-row'));
    assert.deepEqual(blocks.at(-1), ['footer']);
    assert.match(pageText(result.blocks), /\n\nt00\tt01\tt02\tt03\nt10\tt11\tt12\tt13\n/);
  });
});

// The whole pipeline on real documents: what only shows when det, cls, rec and layout run together.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOcrPipeline } from '../../../engines/pipeline.js';
import type { OcrPipeline } from '../../../engines/api.js';
import { cer } from '../../eval/metrics.js';

const PDF_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/pdf');

describe('pipeline on a sideways PDF page', () => {
  let pipeline: OcrPipeline;
  before(async () => {
    pipeline = await createOcrPipeline();
  });
  after(async () => {
    await pipeline?.dispose();
  });

  // gnuplot.pdf page 22 with /Rotate 90 (displayed landscape, lines running top to bottom), OCR'd rather than
  // read from its text layer. Detected as given, DB merged neighbouring vertical lines into boxes 4–5 lines
  // thick (27 lines found of 45, 27% CER); the page is now turned upright and detected again. 100 dpi keeps
  // the test short and puts the lines as close together at the detector's scale as a 300-dpi render does.
  test('every printed line is found and read in order (/Rotate 90, OCR mode)', async () => {
    const file = path.join(PDF_DIR, 'gnuplot-p22-rot90.pdf');
    const truth = JSON.parse(await readFile(file.replace(/\.pdf$/, '.truth.json'), 'utf8')) as { pages: { lines: string[] }[] };
    const truthLines = truth.pages[0]!.lines;
    const doc = await pipeline.recognizeFile(file, { pdfMode: 'ocr', dpi: 100 });
    const page = doc.pages[0]!;
    assert.equal(page.source, 'pdf-render');
    assert.equal(page.rotation, 90);
    const lines = page.blocks.flatMap((b) => b.lines);
    // The page number "22" and the running head "gnuplot 5.4" share a printed line; allow a split either way.
    assert.ok(Math.abs(lines.length - truthLines.length) <= 2, `${lines.length} lines found, ${truthLines.length} printed`);
    const rate = cer(truthLines.join('\n'), page.text).rate;
    assert.ok(rate < 0.02, `CER ${(rate * 100).toFixed(2)}%`);
    // Quads stay in the page as given (landscape): every line is a tall box whose text starts at its top.
    for (const l of lines.filter((x) => x.text.length > 20)) {
      const [p0, p1] = l.quad;
      assert.ok(p1[1] - p0[1] > Math.abs(p1[0] - p0[0]) * 5, `"${l.text.slice(0, 30)}" runs down the page: ${JSON.stringify(l.quad)}`);
      for (const [x, y] of l.quad) assert.ok(x >= 0 && x <= page.width && y >= 0 && y <= page.height);
    }
  });
});

describe('pipeline options', () => {
  // Rows per GPU rec run (bench --rec-rows): a bad value is refused before any model loads, with its range.
  for (const rows of [0, 2.5, 65, Number.NaN]) {
    test(`recBatchRows ${rows} is refused as INVALID_ARGUMENT`, async () => {
      await assert.rejects(createOcrPipeline({ ep: 'cpu', recBatchRows: rows }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'INVALID_ARGUMENT');
        assert.match(e.message, /recBatchRows must be an integer from 1 to 64/);
        return true;
      });
    });
  }
});

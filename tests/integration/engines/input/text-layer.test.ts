import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPdf, type OpenedPdf } from '../../../../engines/input/pdf-reader.js';
import type { TextLayerPage } from '../../../../engines/input/types.js';
import type { Quad, RgbImage } from '../../../../engines/types.js';

const PDF_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pdf');

interface PdfTruth {
  pages: { lines: string[]; textLayer: boolean; sizePt: { width: number; height: number } }[];
}

const truthOf = (file: string): PdfTruth => JSON.parse(readFileSync(path.join(PDF_DIR, file.replace(/\.pdf$/, '.truth.json')), 'utf8'));
const open = (file: string) => openPdf(new Uint8Array(readFileSync(path.join(PDF_DIR, file))), file);

/** Text without whitespace, ligatures unfolded (pdfjs and poppler both emit "fi" for the ﬁ glyph, but be safe). */
const squash = (s: string) => s.normalize('NFKC').replace(/\s+/g, '');
const layerText = (p: TextLayerPage) => p.lines.map((l) => l.text).join('\n');
const sortedChars = (s: string) => Array.from(s).sort().join('');

function inkUnder(img: RgbImage, q: Quad): number {
  const xs = q.map((p) => p[0]);
  const ys = q.map((p) => p[1]);
  let dark = 0;
  for (let y = Math.max(0, Math.floor(Math.min(...ys))); y < Math.min(img.height, Math.ceil(Math.max(...ys))); y++) {
    for (let x = Math.max(0, Math.floor(Math.min(...xs))); x < Math.min(img.width, Math.ceil(Math.max(...xs))); x++) {
      const i = (y * img.width + x) * 3;
      if (img.data[i]! + img.data[i + 1]! + img.data[i + 2]! < 3 * 128) dark++;
    }
  }
  return dark;
}

describe('text layer equals pdftotext (modulo whitespace)', () => {
  // Single-column pages: same characters in the same order.
  for (const file of ['gnuplot-p22-prose.pdf', 'gnuplot-p30-code.pdf', 'debref-p33-table.pdf', 'zsh-p40-operators.pdf', 'gnuplot-p22-rot90.pdf', 'multipage-3.pdf']) {
    test(file, async () => {
      const truth = truthOf(file);
      const pdf = await open(file);
      try {
        assert.equal(pdf.pageCount, truth.pages.length);
        for (let i = 0; i < pdf.pageCount; i++) {
          const layer = await pdf.textLayer(i, 72);
          assert.equal(squash(layerText(layer)), squash(truth.pages[i]!.lines.join('\n')), `page ${i + 1}`);
          assert.equal(layer.usable, true);
          assert.equal(layer.charCount, squash(layerText(layer)).length);
        }
      } finally {
        await pdf.close();
      }
    });
  }

  test('two-column reference card: the same characters (pdftotext reads rows across columns)', async () => {
    const file = 'asy-refcard-p1-columns.pdf';
    const pdf = await open(file);
    try {
      const layer = await pdf.textLayer(0, 72);
      assert.equal(sortedChars(squash(layerText(layer))), sortedChars(squash(truthOf(file).pages[0]!.lines.join('\n'))));
      // Table cells that share a baseline but sit a column apart are separate lines, as a detector sees them.
      assert.ok(layer.lines.some((l) => l.text === 'import module'), 'right-hand cell is its own line');
      assert.ok(layer.lines.some((l) => l.text === 'Asymptote Reference Card'));
    } finally {
      await pdf.close();
    }
  });
});

describe('text layer geometry against the render', () => {
  let pdf: OpenedPdf;
  before(async () => {
    pdf = await open('gnuplot-p22-prose.pdf');
  });
  after(() => pdf.close());

  test('every word quad lies inside the page and over ink; line quads follow their words', async () => {
    const dpi = 150;
    const [layer, page] = [await pdf.textLayer(0, dpi), await pdf.renderPage(0, dpi)];
    assert.deepEqual([layer.width, layer.height, layer.dpi], [page.image.width, page.image.height, dpi]);
    const words = layer.lines.flatMap((l) => l.words);
    assert.ok(words.length > 500);
    let overInk = 0;
    for (const w of words) {
      for (const [x, y] of w.quad) {
        assert.ok(x >= 0 && x <= layer.width && y >= 0 && y <= layer.height, `"${w.text}" at ${x},${y} is off the page`);
      }
      // Even punctuation covers a few dark pixels at 150 dpi.
      if (inkUnder(page.image, w.quad) >= 3) overInk++;
    }
    assert.ok(overInk / words.length > 0.98, `${overInk}/${words.length} word quads over ink`);
    for (const l of layer.lines) {
      const lx0 = Math.min(...l.quad.map((p) => p[0]));
      const lx1 = Math.max(...l.quad.map((p) => p[0]));
      for (const w of l.words) for (const [x] of w.quad) assert.ok(x >= lx0 - 0.01 && x <= lx1 + 0.01);
      assert.equal(l.text, l.words.map((w) => w.text).join(' '));
    }
    // Consecutive body lines get separate, non-overlapping boxes.
    const body = layer.lines.filter((l) => l.text.startsWith('include') || l.text.startsWith('embedded'));
    assert.equal(body.length, 2);
    const gapTop = Math.max(...body[0]!.quad.map((p) => p[1]));
    const gapBottom = Math.min(...body[1]!.quad.map((p) => p[1]));
    assert.ok(gapBottom > gapTop, 'consecutive lines do not overlap');
  });

  test('quads scale with the dpi (same page, 100 vs 200 dpi)', async () => {
    const a = await pdf.textLayer(0, 100);
    const b = await pdf.textLayer(0, 200);
    assert.equal(a.lines.length, b.lines.length);
    for (let i = 0; i < a.lines.length; i++) {
      a.lines[i]!.quad.forEach((p, k) => {
        assert.ok(Math.abs(p[0] * 2 - b.lines[i]!.quad[k]![0]) < 0.05);
        assert.ok(Math.abs(p[1] * 2 - b.lines[i]!.quad[k]![1]) < 0.05);
      });
    }
  });

  test('rotated page: reading-order corners start at the top right of each line', async () => {
    const rot = await open('gnuplot-p22-rot90.pdf');
    try {
      const layer = await rot.textLayer(0, 72);
      assert.deepEqual([layer.width, layer.height], [792, 612]);
      for (const l of layer.lines) {
        const [tl, tr, br] = l.quad;
        assert.ok(tr[1] > tl[1], 'text runs down the page');
        assert.ok(tl[0] > br[0], 'tops of the glyphs face right');
      }
    } finally {
      await rot.close();
    }
  });
});

describe('pages without a text layer', () => {
  for (const file of ['gnuplot-p22-scan.pdf', 'debref-p33-scan.pdf']) {
    test(`${file} has none`, async () => {
      const pdf = await open(file);
      try {
        const layer = await pdf.textLayer(0);
        assert.equal(layer.charCount, 0);
        assert.equal(layer.lines.length, 0);
        assert.equal(layer.usable, false);
      } finally {
        await pdf.close();
      }
    });
  }

  test("mixed PDF: page 1 has a usable text layer, page 2 needs OCR (pdfMode 'auto')", async () => {
    const truth = truthOf('mixed-text-and-scan.pdf');
    const pdf = await open('mixed-text-and-scan.pdf');
    try {
      const usable = [await pdf.textLayer(0), await pdf.textLayer(1)].map((l) => l.usable);
      assert.deepEqual(usable, truth.pages.map((p) => p.textLayer));
      assert.deepEqual(usable, [true, false]);
    } finally {
      await pdf.close();
    }
  });
});

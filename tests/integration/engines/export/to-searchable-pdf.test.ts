// Searchable PDF against real readers: poppler's pdftotext extracts the invisible text layer (words, order,
// boxes), pdftoppm renders the page back to compare with the source image.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { toSearchablePdf, type PageImage } from '../../../../engines/export/to-searchable-pdf.js';
import { toUprightQuad } from '../../../../engines/layout/orientation.js';
import { isOcrError } from '../../../../engines/errors.js';
import type { Line, OcrDocument, Page, Quad, Rotation, Word } from '../../../../engines/types.js';

const run = promisify(execFile);

/** 4 × 2 inch at 150 dpi, rendered by sharp (librsvg) with installed fonts. */
const W = 600;
const H = 300;
const DPI = 150;
const PT = 72 / DPI;

interface PopplerWord {
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

interface PopplerPage {
  width: number;
  height: number;
  words: PopplerWord[];
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

async function pdftotextBoxes(pdf: Uint8Array, dir: string): Promise<PopplerPage[]> {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(file, pdf);
  const { stdout } = await run('pdftotext', ['-bbox-layout', file, '-']);
  const pages: PopplerPage[] = [];
  for (const m of stdout.matchAll(/<page width="([\d.]+)" height="([\d.]+)">([\s\S]*?)<\/page>/g)) {
    const words = [...m[3]!.matchAll(/<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<\/word>/g)].map((w) => ({
      text: unescapeXml(w[5]!),
      xMin: Number(w[1]),
      yMin: Number(w[2]),
      xMax: Number(w[3]),
      yMax: Number(w[4]),
    }));
    pages.push({ width: Number(m[1]), height: Number(m[2]), words });
  }
  return pages;
}

/** Grey pixels of an SVG drawing, W × H. */
async function render(svgBody: string): Promise<{ jpeg: Buffer; grey: Uint8Array }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>${svgBody}</svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  const jpeg = await sharp(png).jpeg({ quality: 90 }).toBuffer();
  const grey = new Uint8Array(await sharp(png).greyscale().raw().toBuffer());
  return { jpeg, grey };
}

/**
 * Ink of one line band, as the recogniser would report it: x-runs of dark columns split where the gap is wider
 * than `minGapPx`, all sharing the band's inked top and bottom. Left to right on the page.
 */
function inkRuns(grey: Uint8Array, y0: number, y1: number, minGapPx: number): { x0: number; x1: number; top: number; bottom: number }[] {
  let top = Infinity;
  let bottom = -Infinity;
  const dark = new Uint8Array(W);
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < W; x++) {
      if (grey[y * W + x]! < 128) {
        dark[x] = 1;
        top = Math.min(top, y);
        bottom = Math.max(bottom, y + 1);
      }
    }
  }
  const runs: { x0: number; x1: number }[] = [];
  for (let x = 0; x < W; x++) {
    if (!dark[x]) continue;
    const last = runs.at(-1);
    if (last && x - last.x1 <= minGapPx) last.x1 = x + 1;
    else runs.push({ x0: x, x1: x + 1 });
  }
  return runs.map((r) => ({ ...r, top, bottom }));
}

const rectQuad = (x0: number, x1: number, top: number, bottom: number): Quad => [[x0, top], [x1, top], [x1, bottom], [x0, bottom]];
/** The same rectangle holding upside-down text: reading order starts at its bottom-right. */
const flippedQuad = (x0: number, x1: number, top: number, bottom: number): Quad => [[x1, bottom], [x0, bottom], [x0, top], [x1, top]];

function line(id: string, words: Word[], sep = ' '): Line {
  const xs = words.flatMap((w) => w.quad.map((p) => p[0]));
  const ys = words.flatMap((w) => w.quad.map((p) => p[1]));
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const flipped = words[0]!.quad[0][1] > words[0]!.quad[3][1];
  return { id, text: words.map((w) => w.text).join(sep), confidence: 0.95, quad: flipped ? flippedQuad(x0, x1, y0, y1) : rectQuad(x0, x1, y0, y1), words };
}

function page(index: number, lines: Line[], extra: Partial<Page> = {}): Page {
  return {
    index,
    width: W,
    height: H,
    rotation: 0,
    rotationConfidence: 1,
    source: 'image',
    dpi: DPI,
    blocks: [{ id: `p${index}-b0`, bbox: { x: 0, y: 0, width: W, height: H }, lines }],
    text: lines.map((l) => l.text).join('\n'),
    timings: { decodeMs: 0, detPreMs: 0, detRunMs: 0, detPostMs: 0, cropMs: 0, clsMs: 0, recPreMs: 0, recRunMs: 0, recPostMs: 0, layoutMs: 0, totalMs: 0 },
    providers: [],
    warnings: [],
    ...extra,
  };
}

function documentOf(pages: Page[]): OcrDocument {
  return {
    $schema: 'https://lucid-ocr.dev/schema/document/v1',
    schemaVersion: 1,
    source: { name: 'synthetic.png', sha256: 'a'.repeat(64), mimeType: 'image/png', byteLength: 1, pageCount: pages.length },
    pages,
    failures: [],
    engine: { name: 'lucid-ocr', version: '0.0.0-test', onnxruntimeVersion: '1.29.0', models: { det: 'det', cls: 'cls', rec: 'rec', dict: 'dict' }, precision: 'fp32', providers: [] },
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

/** Expected poppler box of a quad: its axis-aligned bounds in points (optionally in the displayed, rotated frame). */
function expectedBox(quad: Quad, rotation: Rotation = 0): [number, number, number, number] {
  const q = toUprightQuad(quad, rotation, W, H);
  const xs = q.map((p) => p[0] * PT);
  const ys = q.map((p) => p[1] * PT);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function assertBox(actual: PopplerWord, expected: [number, number, number, number], tolPt = 0.5): void {
  const got = [actual.xMin, actual.yMin, actual.xMax, actual.yMax];
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tolPt, `${actual.text}: box ${got.map((n) => n.toFixed(2))} vs quad ${expected.map((n) => n.toFixed(2))}`));
}

describe('toSearchablePdf (pdftotext, pdftoppm)', () => {
  let dir: string;
  let latin: { doc: OcrDocument; images: PageImage[]; words: Word[] };
  let latinImage: Uint8Array;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lucid-pdf-'));
    // Page 0: a Latin line, and an upside-down line (drawn rotated 180°) on the same upright page.
    const { jpeg, grey } = await render(
      '<text x="40" y="80" font-family="DejaVu Sans" font-size="40">Hello, searchable world!</text>' +
        '<text x="560" y="200" font-family="DejaVu Sans" font-size="40" transform="rotate(180 560 200)">Upside down</text>',
    );
    latinImage = grey;
    const upright = inkRuns(grey, 30, 100, 12);
    assert.equal(upright.length, 3, 'three inked words on the first line');
    const words1 = ['Hello,', 'searchable', 'world!'].map((text, i) => {
      const r = upright[i]!;
      return { text, quad: rectQuad(r.x0, r.x1, r.top, r.bottom), confidence: 0.9 };
    });
    const upside = inkRuns(grey, 180, 260, 12);
    assert.equal(upside.length, 2, 'two inked words on the upside-down line');
    // Reading order of an upside-down line runs right to left on the page.
    const words2 = ['Upside', 'down'].map((text, i) => {
      const r = upside[upside.length - 1 - i]!;
      return { text, quad: flippedQuad(r.x0, r.x1, r.top, r.bottom), confidence: 0.9 };
    });
    latin = {
      doc: documentOf([page(0, [line('p0-l0', words1), line('p0-l1', words2)])]),
      images: [{ pageIndex: 0, bytes: jpeg, widthPx: W, heightPx: H }],
      words: [...words1, ...words2],
    };
  });

  after(() => rm(dir, { recursive: true, force: true }));

  test('Latin and upside-down words come back in order, with boxes on their quads', async () => {
    const pdf = await toSearchablePdf(latin.doc, latin.images);
    const [p] = await pdftotextBoxes(pdf, dir);
    assert.ok(p);
    assert.ok(Math.abs(p.width - W * PT) < 0.01 && Math.abs(p.height - H * PT) < 0.01, `page ${p.width}×${p.height} pt`);
    assert.deepEqual(p.words.map((w) => w.text), ['Hello,', 'searchable', 'world!', 'Upside', 'down']);
    p.words.forEach((w, i) => assertBox(w, expectedBox(latin.words[i]!.quad)));
    await writeFile(join(dir, 'plain.pdf'), pdf);
    const { stdout } = await run('pdftotext', [join(dir, 'plain.pdf'), '-']);
    assert.match(stdout, /Hello, searchable world!\s+Upside down/);
  });

  test('structurally valid (qpdf --check); pdf.js (Firefox) extracts the same lines', async () => {
    const pdf = await toSearchablePdf(latin.doc, latin.images);
    const file = join(dir, 'check.pdf');
    await writeFile(file, pdf);
    const { stdout } = await run('qpdf', ['--check', file]);
    assert.match(stdout, /No syntax or stream encoding errors found/);
    const fonts = (await run('pdffonts', [file])).stdout;
    assert.match(fonts, /GlyphLessFont\s+CID TrueType\s+Identity-H\s+yes\s+no\s+yes/, 'embedded, with ToUnicode');
    const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0 }).promise;
    const content = await (await doc.getPage(1)).getTextContent();
    const text = content.items.map((it) => ('str' in it ? it.str : '')).filter((t) => t.trim()).join('|');
    assert.equal(text, 'Hello, searchable world!|Upside down');
    await doc.destroy();
  });

  test('characters outside WinAnsi and the BMP extract intact', async () => {
    const words = ['naïve', '€5', 'Ωmega', '𠀋𠀀', '😀'].map((text, i) => ({ text, quad: rectQuad(40 + i * 110, 130 + i * 110, 20, 50), confidence: 0.9 }));
    const doc = documentOf([page(0, [line('p0-l0', words)])]);
    const [p] = await pdftotextBoxes(await toSearchablePdf(doc, latin.images), dir);
    assert.deepEqual(p!.words.map((w) => w.text), ['naïve', '€5', 'Ωmega', '𠀋𠀀', '😀']);
    p!.words.forEach((w, i) => assertBox(w, expectedBox(words[i]!.quad)));
  });

  test('the page image fills the page at its physical size and the text layer draws nothing', async () => {
    const pdf = await toSearchablePdf(latin.doc, latin.images);
    const file = join(dir, 'render.pdf');
    await writeFile(file, pdf);
    // Rendered back at the page's own dpi, the PDF is the source image again (JPEG noise aside).
    await run('pdftoppm', ['-r', String(DPI), '-gray', '-png', '-singlefile', file, join(dir, 'render')]);
    const back = await sharp(await readFile(join(dir, 'render.png'))).greyscale().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([back.info.width, back.info.height], [W, H]);
    let diff = 0;
    for (let i = 0; i < W * H; i++) diff += Math.abs(back.data[i]! - latinImage[i]!);
    assert.ok(diff / (W * H) < 3, `mean abs difference ${(diff / (W * H)).toFixed(2)} grey levels`);
  });

  test('Chinese: per-character words are extractable, joined into one searchable run, boxes aligned', async () => {
    const { jpeg, grey } = await render(
      '<text x="40" y="100" font-family="Noto Sans CJK SC" font-size="48">你好世界</text>' +
        '<text x="256" y="100" font-family="DejaVu Sans" font-size="40">OCR</text>' +
        '<text x="370" y="100" font-family="Noto Sans CJK SC" font-size="48">测试</text>',
    );
    const runs = inkRuns(grey, 30, 130, 14);
    assert.equal(runs.length, 3);
    // CJK runs split evenly per character (full-width glyphs), one word each, as buildWords makes them.
    const perChar = (text: string, r: (typeof runs)[number]): Word[] =>
      Array.from(text).map((ch, i, all) => {
        const step = (r.x1 - r.x0) / all.length;
        return { text: ch, quad: rectQuad(r.x0 + i * step, r.x0 + (i + 1) * step, r.top, r.bottom), confidence: 0.9 };
      });
    const words = [...perChar('你好世界', runs[0]!), { text: 'OCR', quad: rectQuad(runs[1]!.x0, runs[1]!.x1, runs[1]!.top, runs[1]!.bottom), confidence: 0.9 }, ...perChar('测试', runs[2]!)];
    const doc = documentOf([page(0, [{ ...line('p0-l0', words, ''), text: '你好世界 OCR 测试' }], { sizePt: { width: W * PT, height: H * PT } })]);
    const pdf = await toSearchablePdf(doc, [{ pageIndex: 0, bytes: jpeg, widthPx: W, heightPx: H }]);
    const [p] = await pdftotextBoxes(pdf, dir);
    assert.deepEqual(p!.words.map((w) => w.text), ['你好世界', 'OCR', '测试']);
    assertBox(p!.words[0]!, [...expectedBox(words[0]!.quad).slice(0, 2), ...expectedBox(words[3]!.quad).slice(2)] as [number, number, number, number]);
    assertBox(p!.words[1]!, expectedBox(words[4]!.quad));
    assertBox(p!.words[2]!, [...expectedBox(words[5]!.quad).slice(0, 2), ...expectedBox(words[6]!.quad).slice(2)] as [number, number, number, number]);
    const file = join(dir, 'cjk.pdf');
    await writeFile(file, pdf);
    const { stdout } = await run('pdftotext', [file, '-']);
    assert.equal(stdout.trim(), '你好世界 OCR 测试');
  });

  test('a page found rotated 180° is shown upright (/Rotate); its words are where the upright page has them', async () => {
    // A page whose content is all upside down: only the upside-down line, rotation 180.
    const upside = latin.doc.pages[0]!.blocks[0]!.lines[1]!;
    const rotatedDoc = documentOf([{ ...latin.doc.pages[0]!, rotation: 180, blocks: [{ id: 'p0-b0', bbox: { x: 0, y: 0, width: W, height: H }, lines: [upside] }] }]);
    const [p] = await pdftotextBoxes(await toSearchablePdf(rotatedDoc, latin.images), dir);
    assert.deepEqual(p!.words.map((w) => w.text), ['Upside', 'down']);
    // Displayed upright, poppler reports the words in the upright frame, left to right.
    p!.words.forEach((w, i) => assertBox(w, expectedBox(upside.words[i]!.quad, 180)));
    assert.ok(p!.words[0]!.xMin < p!.words[1]!.xMin);
    const [plain] = await pdftotextBoxes(await toSearchablePdf(rotatedDoc, latin.images, { rotatePages: false }), dir);
    plain!.words.forEach((w, i) => assertBox(w, expectedBox(upside.words[i]!.quad)));
  });

  test('several pages: sizes from sizePt or dpi, images looked up by index, on demand', async () => {
    const { jpeg } = await render('<text x="40" y="80" font-size="40">x</text>');
    const small = await sharp(jpeg).resize(W / 2, H / 2).jpeg().toBuffer();
    const doc = documentOf([
      page(1, [line('p1-l0', [{ text: 'second', quad: rectQuad(10, 100, 10, 40), confidence: 1 }])], { sizePt: { width: 595, height: 297.5 } }),
      page(0, [line('p0-l0', [{ text: 'first', quad: rectQuad(10, 100, 10, 40), confidence: 1 }])], { dpi: undefined }),
    ]);
    const asked: number[] = [];
    const pdf = await toSearchablePdf(doc, async (pg) => {
      asked.push(pg.index);
      return { pageIndex: pg.index, bytes: small, widthPx: W / 2, heightPx: H / 2 };
    });
    assert.deepEqual(asked, [0, 1]);
    const pages = await pdftotextBoxes(pdf, dir);
    assert.deepEqual(pages.map((p) => p.words.map((w) => w.text)), [['first'], ['second']]);
    // Page 0 has no dpi: 300 dpi assumed. Page 1 keeps its PDF size.
    assert.deepEqual(pages.map((p) => [p.width, p.height]), [[144, 72], [595, 297.5]]);
    assertBox(pages[1]!.words[0]!, [10 * (595 / W), 10 * (297.5 / H), 100 * (595 / W), 40 * (297.5 / H)]);
  });

  test('missing or misshapen images are refused with INVALID_ARGUMENT', async () => {
    await assert.rejects(toSearchablePdf(latin.doc, []), (e) => isOcrError(e) && e.code === 'INVALID_ARGUMENT');
    await assert.rejects(
      toSearchablePdf(latin.doc, [{ ...latin.images[0]!, widthPx: W, heightPx: W }]),
      (e) => isOcrError(e) && e.code === 'INVALID_ARGUMENT',
    );
    await assert.rejects(
      toSearchablePdf(latin.doc, [{ ...latin.images[0]!, bytes: new Uint8Array([1, 2, 3, 4]) }]),
      (e) => isOcrError(e) && e.code === 'INVALID_ARGUMENT',
    );
  });
});

/**
 * The scanned-page fast path against the real thing: every PDF is built here with pdf-lib (or is a scan
 * fixture), rendered once through the fast path and once by pdf.js with the fast path off, and the two page
 * images must have the same size and nearly the same pixels. Pages the fast path must not take are checked
 * to fall back (with their reason) and to give pdf.js's pixels exactly.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import sharp from 'sharp';
import {
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  StandardFonts,
  TextRenderingMode,
  beginText,
  clip,
  concatTransformationMatrix,
  degrees,
  drawObject,
  endPath,
  endText,
  moveText,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFontAndSize,
  setTextRenderingMode,
  showText,
  type PDFDict,
  type PDFPage,
  type PDFRef,
} from 'pdf-lib';
import { openPdf } from '../../../../engines/input/pdf-reader.js';
import type { PageImage } from '../../../../engines/input/types.js';
import type { RgbImage } from '../../../../engines/types.js';

const PDF_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pdf');

/**
 * Bounds on the mean absolute difference per channel (0–255) from pdf.js's render. Resampled images differ
 * from pdf.js's canvas smoothing by under a grey level on text; pdf.js decodes JPEG with its own decoder
 * (about one level from libjpeg); a scan placed 1:1 instead of stretched by ≤ 1 px drifts up to a pixel.
 * A wrong orientation, offset or colour gives 20–80.
 */
const MAX_MEAN_DIFF = 2;
const MAX_MEAN_DIFF_JPEG = 3;
const MAX_MEAN_DIFF_ONE_TO_ONE = 3;

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height], 'same page size');
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

/**
 * A page-like test image: a coloured block top-left, text lines, a grey ramp at the bottom and a mark at the
 * right edge, so a wrong orientation, shift, crop or colour shows in the difference.
 */
async function scanPixels(w: number, h: number, channels: 1 | 3): Promise<Buffer> {
  const lines = Array.from({ length: 9 }, (_, i) => {
    const y = Math.round(h * (0.2 + i * 0.07));
    return `<text x="${Math.round(w * 0.08)}" y="${y}" font-family="DejaVu Sans" font-size="${Math.round(h * 0.035)}" fill="${i % 3 === 1 && channels === 3 ? '#1040a0' : '#111'}">Line ${i + 1}: the quick brown fox 0123</text>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient></defs>
    <rect width="${w}" height="${h}" fill="#fdfdf8"/>
    <rect x="${Math.round(w * 0.05)}" y="${Math.round(h * 0.04)}" width="${Math.round(w * 0.25)}" height="${Math.round(h * 0.08)}" fill="${channels === 3 ? '#c03020' : '#202020'}"/>
    <rect x="${Math.round(w * 0.93)}" y="${Math.round(h * 0.5)}" width="${Math.round(w * 0.05)}" height="${Math.round(h * 0.2)}" fill="#404040"/>
    ${lines}
    <rect x="${Math.round(w * 0.05)}" y="${Math.round(h * 0.9)}" width="${Math.round(w * 0.9)}" height="${Math.round(h * 0.05)}" fill="url(#g)"/>
  </svg>`;
  const img = sharp(Buffer.from(svg)).flatten({ background: '#ffffff' });
  return channels === 1 ? img.toColourspace('b-w').extractChannel(0).raw().toBuffer() : img.removeAlpha().raw().toBuffer();
}

const rawOpts = (w: number, h: number, channels: 1 | 3) => ({ raw: { width: w, height: h, channels } });
/** sharp of raw pixels; one channel stays grey in the encoded file (sharp writes sRGB unless told). */
const encoder = (px: Buffer, w: number, h: number, channels: 1 | 3) => {
  const s = sharp(px, rawOpts(w, h, channels));
  return channels === 1 ? s.toColourspace('b-w') : s;
};

/** The IDAT payload of a PNG: zlib data of PNG-filtered rows, which is what Flate + PNG predictor holds. */
function pngIdat(png: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  return Buffer.concat(parts);
}

/** Registers an image XObject with our own dictionary and (already encoded) data. */
function rawImage(doc: PDFDocument, data: Uint8Array, dict: Record<string, unknown>): PDFRef {
  return doc.context.register(PDFRawStream.of(doc.context.obj(dict as never) as unknown as PDFDict, data));
}

/** Draws XObject `ref` on `page` with matrix `cm` (default: stretched over the whole page). */
function drawXObject(page: PDFPage, ref: PDFRef, cm?: number[], name = 'Scan'): void {
  const { width, height } = page.getSize();
  page.node.setXObject(PDFName.of(name), ref);
  const [a, b, c, d, e, f] = cm ?? [width, 0, 0, height, 0, 0];
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(a!, b!, c!, d!, e!, f!), drawObject(name), popGraphicsState());
}

async function invisibleText(doc: PDFDocument, page: PDFPage, text: string): Promise<void> {
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const key = page.node.newFontDictionary('F0', font.ref);
  page.pushOperators(beginText(), setFontAndSize(key, 11), setTextRenderingMode(TextRenderingMode.Invisible), moveText(40, page.getHeight() - 80), showText(font.encodeText(text)), endText());
}

/** Renders page `index` through the fast path and through pdf.js at `dpi`. */
async function renderBoth(bytes: Uint8Array, dpi: number, index = 0): Promise<{ fast: PageImage; pdfjs: PageImage; mean: number }> {
  const fastDoc = await openPdf(bytes, 'fast.pdf');
  const pdfjsDoc = await openPdf(bytes, 'pdfjs.pdf', { scanImageFastPath: false });
  try {
    const fast = await fastDoc.renderPage(index, dpi);
    const pdfjs = await pdfjsDoc.renderPage(index, dpi);
    assert.equal(pdfjs.renderPath, 'render');
    assert.deepEqual([fast.image.width, fast.image.height], [pdfjs.image.width, pdfjs.image.height], 'same page size as pdf.js');
    assert.equal(fast.dpi, pdfjs.dpi);
    assert.deepEqual(fast.sizePt, pdfjs.sizePt);
    return { fast, pdfjs, mean: meanAbsDiff(fast.image, pdfjs.image) };
  } finally {
    await fastDoc.close();
    await pdfjsDoc.close();
  }
}

async function expectFastPath(bytes: Uint8Array, dpi: number, bound: number, index = 0): Promise<number> {
  const { fast, mean } = await renderBoth(bytes, dpi, index);
  assert.equal(fast.renderPath, 'image', `fast path not taken: ${fast.renderPathReason}`);
  assert.ok(mean < bound, `mean |Δ| from pdf.js ${mean.toFixed(3)} ≥ ${bound}`);
  console.log(`fast path at ${dpi} dpi: ${fast.image.width} × ${fast.image.height}, mean |Δ| from pdf.js ${mean.toFixed(3)} (bound ${bound})`);
  return mean;
}

async function expectFallback(bytes: Uint8Array, dpi: number, reason: RegExp): Promise<void> {
  const { fast, mean } = await renderBoth(bytes, dpi);
  assert.equal(fast.renderPath, 'render');
  assert.match(fast.renderPathReason ?? '', reason);
  assert.equal(mean, 0, 'a fallen-back page is pdf.js’s render');
}

// 6 × 8 in pages with 100 dpi images keep pdf.js quick; 72 dpi shrinks (smoothed), 150 dpi enlarges (nearest).
const PAGE: [number, number] = [432, 576];
const IMG_W = 600;
const IMG_H = 800;

async function singleImagePdf(makeImage: (doc: PDFDocument) => Promise<PDFRef>, setup?: (doc: PDFDocument, page: PDFPage, ref: PDFRef) => Promise<void> | void): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage(PAGE);
  const ref = await makeImage(doc);
  if (setup) await setup(doc, page, ref);
  else drawXObject(page, ref);
  return doc.save();
}

describe('pdf scan fast path: images it decodes', () => {
  test('RGB JPEG (embedJpg), shrunk and enlarged', async () => {
    const jpg = await sharp(await scanPixels(IMG_W, IMG_H, 3), rawOpts(IMG_W, IMG_H, 3)).jpeg({ quality: 90 }).toBuffer();
    const bytes = await singleImagePdf(async (doc) => (await doc.embedJpg(jpg)).ref);
    await expectFastPath(bytes, 72, MAX_MEAN_DIFF_JPEG);
    await expectFastPath(bytes, 150, MAX_MEAN_DIFF_JPEG);
  });

  test('grey JPEG (embedJpg)', async () => {
    const jpg = await encoder(await scanPixels(IMG_W, IMG_H, 1), IMG_W, IMG_H, 1).jpeg({ quality: 85 }).toBuffer();
    assert.equal((await sharp(jpg).metadata()).channels, 1, 'a one-component JPEG (DeviceGray)');
    const bytes = await singleImagePdf(async (doc) => (await doc.embedJpg(jpg)).ref);
    await expectFastPath(bytes, 72, MAX_MEAN_DIFF_JPEG);
  });

  test('PNG, grey and RGB (embedPng: Flate, DeviceRGB)', async () => {
    for (const channels of [1, 3] as const) {
      const png = await encoder(await scanPixels(IMG_W, IMG_H, channels), IMG_W, IMG_H, channels).png().toBuffer();
      const bytes = await singleImagePdf(async (doc) => (await doc.embedPng(png)).ref);
      await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
    }
  });

  test('Flate DeviceGray without predictor, as the scan fixtures are made; 1:1 and resampled', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const bytes = await singleImagePdf(async (doc) =>
      doc.context.register(doc.context.flateStream(px, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceGray', BitsPerComponent: 8 })),
    );
    assert.equal(await expectFastPath(bytes, 100, 0.01), 0, '1:1 at the image’s own resolution: identical pixels');
    await expectFastPath(bytes, 99, MAX_MEAN_DIFF_ONE_TO_ONE);
    await expectFastPath(bytes, 80, MAX_MEAN_DIFF);
    // Enlarged 1.5× and 1.4×: pdf.js draws nearest neighbour there, and we pick the same source pixels.
    await expectFastPath(bytes, 150, 0.05);
    await expectFastPath(bytes, 140, 0.05);
  });

  test('Flate with PNG predictors (grey and RGB) and with the TIFF predictor', async () => {
    for (const channels of [1, 3] as const) {
      const px = await scanPixels(IMG_W, IMG_H, channels);
      const png = await encoder(px, IMG_W, IMG_H, channels).png({ adaptiveFiltering: true }).toBuffer();
      assert.equal((await sharp(png).metadata()).channels, channels);
      const bytes = await singleImagePdf(async (doc) =>
        rawImage(doc, pngIdat(png), {
          Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: channels === 1 ? 'DeviceGray' : 'DeviceRGB', BitsPerComponent: 8,
          Filter: 'FlateDecode', DecodeParms: { Predictor: 15, Colors: channels, BitsPerComponent: 8, Columns: IMG_W },
        }),
      );
      await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
      // TIFF predictor 2: each sample minus its left neighbour.
      const diff = Buffer.from(px);
      for (let r = 0; r < IMG_H; r++) {
        for (let i = IMG_W * channels - 1; i >= channels; i--) {
          const at = r * IMG_W * channels + i;
          diff[at] = (px[at]! - px[at - channels]!) & 255;
        }
      }
      const tiff = await singleImagePdf(async (doc) =>
        rawImage(doc, zlib.deflateSync(diff), {
          Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: channels === 1 ? 'DeviceGray' : 'DeviceRGB', BitsPerComponent: 8,
          Filter: 'FlateDecode', DecodeParms: { Predictor: 2, Colors: channels, BitsPerComponent: 8, Columns: IMG_W },
        }),
      );
      await expectFastPath(tiff, 72, MAX_MEAN_DIFF);
    }
  });

  test('1-bit grey (Flate, with and without PNG predictor) and uncompressed 8-bit grey', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const rowBytes = Math.ceil(IMG_W / 8);
    const bits = new Uint8Array(rowBytes * IMG_H);
    for (let y = 0; y < IMG_H; y++) for (let x = 0; x < IMG_W; x++) if (px[y * IMG_W + x]! >= 128) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    const oneBit = await singleImagePdf(async (doc) =>
      doc.context.register(doc.context.flateStream(bits, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceGray', BitsPerComponent: 1 })),
    );
    await expectFastPath(oneBit, 72, MAX_MEAN_DIFF);
    // The same bits behind a PNG predictor (every row prefixed with filter type 0, "None").
    const rows = Buffer.alloc((rowBytes + 1) * IMG_H);
    for (let y = 0; y < IMG_H; y++) rows.set(bits.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
    const oneBitPng = await singleImagePdf(async (doc) =>
      rawImage(doc, zlib.deflateSync(rows), {
        Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceGray', BitsPerComponent: 1,
        Filter: 'FlateDecode', DecodeParms: { Predictor: 10, Colors: 1, BitsPerComponent: 1, Columns: IMG_W },
      }),
    );
    await expectFastPath(oneBitPng, 72, MAX_MEAN_DIFF);
    const plain = await singleImagePdf(async (doc) =>
      rawImage(doc, px, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceGray', BitsPerComponent: 8 }),
    );
    await expectFastPath(plain, 72, MAX_MEAN_DIFF);
  });

  test('ICCBased RGB with a real (Display P3) profile: pdf.js in Node draws it unconverted, and so do we', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 3);
    const icc = (await sharp(px, rawOpts(IMG_W, IMG_H, 3)).withIccProfile('p3').png().toBuffer().then((b) => sharp(b).metadata())).icc!;
    const bytes = await singleImagePdf(async (doc) => {
      const profile = doc.context.register(doc.context.flateStream(icc, { N: 3 }));
      return doc.context.register(doc.context.flateStream(px, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: [PDFName.of('ICCBased'), profile], BitsPerComponent: 8 }));
    });
    await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
  });
});

describe('pdf scan fast path: geometry', () => {
  const flatGray = (doc: PDFDocument, w: number, h: number, px: Buffer) =>
    doc.context.register(doc.context.flateStream(px, { Type: 'XObject', Subtype: 'Image', Width: w, Height: h, ColorSpace: 'DeviceGray', BitsPerComponent: 8 }));

  test('/Rotate 90 and 270 pages come out landscape, like pdf.js', async () => {
    for (const rotation of [90, 270]) {
      const px = await scanPixels(IMG_W, IMG_H, 1);
      const bytes = await singleImagePdf(
        async (doc) => flatGray(doc, IMG_W, IMG_H, px),
        (_doc, page, ref) => {
          page.setRotation(degrees(rotation));
          drawXObject(page, ref);
        },
      );
      const { fast } = await renderBoth(bytes, 72);
      assert.deepEqual([fast.image.width, fast.image.height], [576, 432]);
      await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
    }
  });

  test('all eight mirrorings and quarter turns of the image matrix', async () => {
    const [W, H] = PAGE;
    const upright = await scanPixels(IMG_W, IMG_H, 1);
    const sideways = await scanPixels(IMG_H, IMG_W, 1);
    // [a b c d e f] mapping the unit square onto the page; the swapped ones draw the image's x along page y.
    const cases: [string, number[], boolean][] = [
      ['upright', [W, 0, 0, H, 0, 0], false],
      ['mirrored left-right', [-W, 0, 0, H, W, 0], false],
      ['upside down (mirrored top-bottom)', [W, 0, 0, -H, 0, H], false],
      ['turned 180°', [-W, 0, 0, -H, W, H], false],
      ['turned 90° anticlockwise', [0, H, -W, 0, W, 0], true],
      ['turned 90° clockwise', [0, -H, W, 0, 0, H], true],
      ['transposed', [0, H, W, 0, 0, 0], true],
      ['anti-transposed', [0, -H, -W, 0, W, H], true],
    ];
    for (const [label, cm, swapped] of cases) {
      const bytes = await singleImagePdf(
        async (doc) => (swapped ? flatGray(doc, IMG_H, IMG_W, sideways) : flatGray(doc, IMG_W, IMG_H, upright)),
        (_doc, page, ref) => drawXObject(page, ref, cm),
      );
      const { fast, pdfjs, mean } = await renderBoth(bytes, 72);
      assert.equal(fast.renderPath, 'image', `${label}: ${fast.renderPathReason}`);
      assert.ok(mean < MAX_MEAN_DIFF, `${label}: mean |Δ| ${mean.toFixed(3)}`);
      // The comparison can tell orientations apart: the same page mirrored is far off.
      const mirrored = await sharp(pdfjs.image.data, rawOpts(pdfjs.image.width, pdfjs.image.height, 3)).flop().raw().toBuffer();
      const off = meanAbsDiff(fast.image, { ...pdfjs.image, data: mirrored });
      assert.ok(off > 10 * MAX_MEAN_DIFF, `${label}: mirrored page only ${off.toFixed(2)} off`);
    }
  });

  test('crop box inside the media box: the scan is cropped like pdf.js crops it', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const bytes = await singleImagePdf(
      async (doc) => flatGray(doc, IMG_W, IMG_H, px),
      (_doc, page, ref) => {
        drawXObject(page, ref);
        page.setCropBox(10, 14, PAGE[0] - 25, PAGE[1] - 30);
      },
    );
    await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
  });

  test('an image a little short of the page leaves white paper, as in pdf.js', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const bytes = await singleImagePdf(
      async (doc) => flatGray(doc, IMG_W, IMG_H, px),
      (_doc, page, ref) => drawXObject(page, ref, [PAGE[0] - 6, 0, 0, PAGE[1] - 8, 3, 8]),
    );
    const { fast } = await renderBoth(bytes, 72);
    assert.deepEqual(Array.from(fast.image.data.subarray(0, 3)), [255, 255, 255], 'top-left corner is paper');
    await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
  });

  test('placed 1:1 with paper on two sides and the image cut on the others: pdf.js’s pixels exactly (grey, RGB, 1-bit)', async () => {
    // At 100 dpi the 600 × 800 image is page-sized; moved 10 px right and 20 px down (whole pixels), its right
    // and bottom edges fall off the page. pdf.js copies the pixels there, so any difference is a placement bug.
    const cm = [PAGE[0], 0, 0, PAGE[1], 7.2, -14.4];
    const gray = await scanPixels(IMG_W, IMG_H, 1);
    const rgb = await scanPixels(IMG_W, IMG_H, 3);
    const rowBytes = Math.ceil(IMG_W / 8);
    const bits = new Uint8Array(rowBytes * IMG_H);
    for (let y = 0; y < IMG_H; y++) for (let x = 0; x < IMG_W; x++) if (gray[y * IMG_W + x]! >= 128) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    const images: [string, (doc: PDFDocument) => PDFRef][] = [
      ['grey', (doc) => flatGray(doc, IMG_W, IMG_H, gray)],
      ['RGB', (doc) => doc.context.register(doc.context.flateStream(rgb, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceRGB', BitsPerComponent: 8 }))],
      ['1-bit', (doc) => doc.context.register(doc.context.flateStream(bits, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceGray', BitsPerComponent: 1 }))],
    ];
    for (const [label, image] of images) {
      const bytes = await singleImagePdf(async (doc) => image(doc), (_doc, page, ref) => drawXObject(page, ref, cm));
      const { fast, mean } = await renderBoth(bytes, 100);
      assert.equal(fast.renderPath, 'image', `${label}: ${fast.renderPathReason}`);
      assert.deepEqual(Array.from(fast.image.data.subarray(0, 3)), [255, 255, 255], `${label}: top-left corner is paper`);
      assert.equal(mean, 0, `${label}: mean |Δ| from pdf.js`);
    }
  });

  test('a page-sized clip rectangle and a Form XObject (pdf-lib embedPdf) are followed', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const inner = await singleImagePdf(
      async (doc) => flatGray(doc, IMG_W, IMG_H, px),
      (_doc, page, ref) => {
        page.pushOperators(rectangle(0, 0, PAGE[0], PAGE[1]), clip(), endPath());
        drawXObject(page, ref);
      },
    );
    await expectFastPath(inner, 72, MAX_MEAN_DIFF);
    const outer = await PDFDocument.create({ updateMetadata: false });
    const [embedded] = await outer.embedPdf(inner, [0]);
    const page = outer.addPage([embedded!.width, embedded!.height]);
    page.drawPage(embedded!, { x: 0, y: 0, width: embedded!.width, height: embedded!.height });
    await expectFastPath(await outer.save(), 72, MAX_MEAN_DIFF);
  });

  test('an invisible text layer over the scan (render mode 3) does not stop the fast path', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const bytes = await singleImagePdf(
      async (doc) => flatGray(doc, IMG_W, IMG_H, px),
      async (doc, page, ref) => {
        drawXObject(page, ref);
        await invisibleText(doc, page, 'Line 1: the quick brown fox 0123');
      },
    );
    await expectFastPath(bytes, 72, MAX_MEAN_DIFF);
    // Clips only matter for the image: a small clip around the text, or one set after the image, is fine.
    const clippedText = await singleImagePdf(
      async (doc) => flatGray(doc, IMG_W, IMG_H, px),
      async (doc, page, ref) => {
        drawXObject(page, ref);
        page.pushOperators(pushGraphicsState(), rectangle(30, 400, 200, 100), clip(), endPath());
        await invisibleText(doc, page, 'clipped invisible words');
        page.pushOperators(popGraphicsState());
      },
    );
    await expectFastPath(clippedText, 72, MAX_MEAN_DIFF);
    const pdf = await openPdf(bytes, 'ocr-layer.pdf');
    try {
      assert.match((await pdf.textLayer(0, 72)).lines.map((l) => l.text).join(' '), /quick brown fox/, 'the text layer is still there');
    } finally {
      await pdf.close();
    }
  });
});

describe('pdf scan fast path: pages left to pdf.js', () => {
  const grayImage = async (doc: PDFDocument) => {
    const png = await encoder(await scanPixels(IMG_W, IMG_H, 1), IMG_W, IMG_H, 1).png().toBuffer();
    return (await doc.embedPng(png)).ref;
  };

  test('a born-digital text page', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const page = doc.addPage(PAGE);
    page.drawText('Born-digital text, drawn by pdf.js', { x: 40, y: 500, size: 14, font: await doc.embedFont(StandardFonts.Helvetica) });
    await expectFallback(await doc.save(), 72, /visible text/);
  });

  test('a scan with visible text on top', async () => {
    const bytes = await singleImagePdf(grayImage, async (doc, page, ref) => {
      drawXObject(page, ref);
      page.drawText('Stamp', { x: 40, y: 40, size: 20, font: await doc.embedFont(StandardFonts.Helvetica) });
    });
    await expectFallback(bytes, 72, /visible text/);
  });

  test('CMYK JPEG and an Indexed image', async () => {
    const px = await scanPixels(IMG_W, IMG_H, 3);
    const cmyk = await sharp(px, rawOpts(IMG_W, IMG_H, 3)).toColourspace('cmyk').jpeg({ quality: 85 }).toBuffer();
    await expectFallback(await singleImagePdf(async (doc) => (await doc.embedJpg(cmyk)).ref), 72, /DeviceCMYK colour space/);
    const indices = Buffer.alloc(IMG_W * IMG_H);
    for (let i = 0; i < indices.length; i++) indices[i] = px[i * 3]! < 128 ? 0 : 1;
    const indexed = await singleImagePdf(async (doc) => {
      const lookup = doc.context.obj([PDFName.of('Indexed'), PDFName.of('DeviceRGB'), 1, PDFHexString.of('000000ffffff')]);
      return doc.context.register(doc.context.flateStream(indices, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: lookup, BitsPerComponent: 8 }));
    });
    await expectFallback(indexed, 72, /Indexed colour space/);
  });

  test('a JPEG stored as RGB (component ids R G B), where decoders disagree on the colour transform', async () => {
    const jpg = await sharp(await scanPixels(IMG_W, IMG_H, 3), rawOpts(IMG_W, IMG_H, 3)).jpeg({ quality: 90 }).toBuffer();
    const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
    assert.ok(sof > 0 && jpg[sof + 9] === 3, 'baseline frame header with three components');
    for (let i = 0; i < 3; i++) jpg[sof + 10 + 3 * i] = 'RGB'.charCodeAt(i);
    await expectFallback(await singleImagePdf(async (doc) => (await doc.embedJpg(jpg)).ref), 72, /JPEG stored as RGB/);
  });

  test('an image with transparency (embedPng with alpha → SMask) and an image with a /Decode array', async () => {
    const rgba = await sharp(await scanPixels(IMG_W, IMG_H, 3), rawOpts(IMG_W, IMG_H, 3)).ensureAlpha(0.5).png().toBuffer();
    await expectFallback(await singleImagePdf(async (doc) => (await doc.embedPng(rgba)).ref), 72, /mask/);
    const px = await scanPixels(IMG_W, IMG_H, 1);
    const inverted = await singleImagePdf(async (doc) =>
      doc.context.register(doc.context.flateStream(px, { Type: 'XObject', Subtype: 'Image', Width: IMG_W, Height: IMG_H, ColorSpace: 'DeviceGray', BitsPerComponent: 8, Decode: [1, 0] })),
    );
    await expectFallback(inverted, 72, /Decode/);
  });

  test('two images, and an image covering only part of the page', async () => {
    const two = await singleImagePdf(grayImage, (_doc, page, ref) => {
      drawXObject(page, ref, [PAGE[0], 0, 0, PAGE[1] / 2, 0, 0], 'A');
      drawXObject(page, ref, [PAGE[0], 0, 0, PAGE[1] / 2, 0, PAGE[1] / 2], 'B');
    });
    await expectFallback(two, 72, /images|image/);
    const figure = await singleImagePdf(grayImage, (_doc, page, ref) => drawXObject(page, ref, [PAGE[0] / 2, 0, 0, PAGE[1] / 2, 50, 50]));
    await expectFallback(figure, 72, /covers 25 % of the page/);
  });

  test('a clip smaller than the page and an image drawn at an angle', async () => {
    const clipped = await singleImagePdf(grayImage, (_doc, page, ref) => {
      page.pushOperators(rectangle(20, 20, PAGE[0] - 40, PAGE[1] - 40), clip(), endPath());
      drawXObject(page, ref);
    });
    await expectFallback(clipped, 72, /clip smaller than the page/);
    const c = Math.cos(0.05);
    const s = Math.sin(0.05);
    const tilted = await singleImagePdf(grayImage, (_doc, page, ref) => drawXObject(page, ref, [PAGE[0] * c, PAGE[0] * s, -PAGE[1] * s, PAGE[1] * c, 10, 0]));
    await expectFallback(tilted, 72, /angle/);
  });
});

describe('pdf scan fast path: the scan fixtures', () => {
  const scans = readdirSync(PDF_DIR).filter((f) => f.endsWith('-scan.pdf'));

  test('there are scan fixtures to test', () => {
    assert.ok(scans.length >= 4, scans.join(', '));
  });

  for (const file of scans) {
    test(`${file}: every scanned page takes the fast path at 200 dpi and matches pdf.js`, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(PDF_DIR, file)));
      const pdf = await openPdf(bytes, file);
      const pageCount = pdf.pageCount;
      try {
        if (file === 'mixed-text-and-scan.pdf') assert.equal((await pdf.renderPage(0, 36)).renderPath, 'render', 'the born-digital page is drawn by pdf.js');
      } finally {
        await pdf.close();
      }
      for (let i = file === 'mixed-text-and-scan.pdf' ? 1 : 0; i < pageCount; i++) {
        const { fast, pdfjs, mean } = await renderBoth(bytes, 200, i);
        assert.equal(fast.renderPath, 'image', `page ${i + 1}: ${fast.renderPathReason}`);
        assert.ok(mean < MAX_MEAN_DIFF, `page ${i + 1}: mean |Δ| ${mean.toFixed(3)}`);
        console.log(`${file} p${i + 1} 200 dpi: fast ${fast.decodeMs.toFixed(0)} ms, pdf.js ${pdfjs.decodeMs.toFixed(0)} ms, mean |Δ| ${mean.toFixed(3)}`);
      }
    });
  }

  test('a scan wrapped in a Form XObject by pdf-lib embedPdf (how the benchmark builds its PDFs)', async () => {
    const src = await PDFDocument.load(readFileSync(path.join(PDF_DIR, 'zsh-p40-scan.pdf')));
    const out = await PDFDocument.create({ updateMetadata: false });
    const [e] = await out.embedPdf(src, [0]);
    for (let i = 0; i < 2; i++) out.addPage([e!.width, e!.height]).drawPage(e!, { x: 0, y: 0, width: e!.width, height: e!.height });
    const bytes = await out.save();
    await expectFastPath(bytes, 100, MAX_MEAN_DIFF);
    // The second page draws the same form and image: no state carries over between pages.
    await expectFastPath(bytes, 100, MAX_MEAN_DIFF, 1);
  });
});

/**
 * The scan-page check on its own: real pdf-lib documents read with our object reader, page geometry given
 * directly (72 dpi, no rotation), no pdf.js. The comparison with pdf.js renders lives in
 * tests/integration/engines/input/pdf-scan-image.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import sharp from 'sharp';
import {
  PDFDocument,
  PDFName,
  PDFOperator,
  PDFRawStream,
  StandardFonts,
  TextRenderingMode,
  beginText,
  clip,
  concatTransformationMatrix,
  drawObject,
  endPath,
  endText,
  moveText,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFontAndSize,
  setGraphicsState,
  setTextRenderingMode,
  showText,
  type PDFDict,
  type PDFPage,
  type PDFRef,
} from 'pdf-lib';
import { PdfObjectReader, PdfRef } from '../../../../engines/input/pdf-objects.js';
import { analyseScanPage, orientationOps, type ScanImagePlan } from '../../../../engines/input/pdf-scan-image.js';

const W = 400;
const H = 500;

interface Build {
  /** Content drawn after the image is registered as /Scan; `draw()` pushes `q W 0 0 H 0 0 cm /Scan Do Q`. */
  ops?: (ctx: { doc: PDFDocument; page: PDFPage; ref: PDFRef; draw: (cm?: number[]) => PDFOperator[] }) => Promise<PDFOperator[]> | PDFOperator[];
  image?: Record<string, unknown>;
}

async function analyse({ ops, image }: Build): Promise<ScanImagePlan | { reason: string }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([W, H]);
  const dict = { Type: 'XObject', Subtype: 'Image', Width: 40, Height: 50, ColorSpace: 'DeviceGray', BitsPerComponent: 8, Filter: 'FlateDecode', ...image };
  const ref = doc.context.register(PDFRawStream.of(doc.context.obj(dict as never) as unknown as PDFDict, zlib.deflateSync(new Uint8Array(40 * 50).fill(200))));
  page.node.setXObject(PDFName.of('Scan'), ref);
  const draw = (cm = [W, 0, 0, H, 0, 0]) => [pushGraphicsState(), concatTransformationMatrix(cm[0]!, cm[1]!, cm[2]!, cm[3]!, cm[4]!, cm[5]!), drawObject('Scan'), popGraphicsState()];
  page.pushOperators(...(ops ? await ops({ doc, page, ref, draw }) : draw()));
  const bytes = await doc.save();
  const reader = PdfObjectReader.open(bytes);
  const root = reader.get(reader.trailer, 'Root');
  const pages = reader.get(root as never, 'Pages');
  const kid = (reader.get(pages as never, 'Kids') as PdfRef[])[0]!;
  return analyseScanPage(reader, kid, { view: [0, 0, W, H], rotate: 0, pageToPixel: [1, 0, 0, -1, 0, H], widthPx: W, heightPx: H });
}

const reasonOf = (r: ScanImagePlan | { reason: string }) => ('reason' in r ? r.reason : 'fast path');

async function invisible(doc: PDFDocument, page: PDFPage, mode: TextRenderingMode): Promise<PDFOperator[]> {
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const key = page.node.newFontDictionary('F0', font.ref);
  return [beginText(), setFontAndSize(key, 10), setTextRenderingMode(mode), moveText(20, 20), showText(font.encodeText('words')), endText()];
}

function extGState(page: PDFPage, doc: PDFDocument, dict: Record<string, unknown>): PDFOperator {
  const gs = doc.context.register(doc.context.obj(dict as never));
  const resources = page.node.normalizedEntries().Resources;
  resources.set(PDFName.of('ExtGState'), doc.context.obj({ G0: gs }));
  return setGraphicsState('G0');
}

describe('pdf-scan-image: what counts as a scanned page', () => {
  test('one image over the page: planned with the right placement', async () => {
    const r = await analyse({});
    assert.ok(!('reason' in r), reasonOf(r));
    assert.equal(r.encoding, 'flate');
    assert.deepEqual([r.widthPx, r.heightPx, r.components, r.bitsPerComponent], [40, 50, 1, 8]);
    // Image pixel (0, 0) is the page's top-left pixel; (40, 50) its bottom-right.
    const [a, b, c, d, e, f] = r.imageToPixel;
    assert.deepEqual([a * 0 + c * 0 + e, b * 0 + d * 0 + f], [0, 0]);
    assert.deepEqual([a * 40 + c * 50 + e, b * 40 + d * 50 + f].map((v) => Math.round(v * 1e6) / 1e6), [W, H]);
  });

  test('invisible text (render mode 3) passes; fill, clip-only and fill+clip modes do not', async () => {
    assert.equal(reasonOf(await analyse({ ops: async ({ doc, page, draw }) => [...draw(), ...(await invisible(doc, page, TextRenderingMode.Invisible))] })), 'fast path');
    for (const mode of [TextRenderingMode.Fill, TextRenderingMode.Outline, TextRenderingMode.Clip, TextRenderingMode.FillAndClip]) {
      assert.equal(reasonOf(await analyse({ ops: async ({ doc, page, draw }) => [...(await invisible(doc, page, mode)), ...draw()] })), 'visible text', `mode ${mode}`);
    }
  });

  test('coverage: 96 % of the page passes, 94 % is a figure', async () => {
    const side = (share: number) => Math.sqrt(share);
    const at = (share: number) => [W * side(share), 0, 0, H * side(share), 0, 0];
    assert.equal(reasonOf(await analyse({ ops: ({ draw }) => draw(at(0.96)) })), 'fast path');
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => draw(at(0.94)) })), /image covers 94 % of the page/);
  });

  test('clips: a page-sized one passes, a smaller one before the image does not', async () => {
    assert.equal(reasonOf(await analyse({ ops: ({ draw }) => [rectangle(-5, -5, W + 10, H + 10), clip(), endPath(), ...draw()] })), 'fast path');
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [rectangle(0, 0, W - 10, H), clip(), endPath(), ...draw()] })), /clip smaller than the page/);
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [clip(), endPath(), ...draw()] })), /empty clip/);
  });

  test('graphics states: opaque normal blending passes; transparency, soft masks and blend modes do not', async () => {
    const with_ = (dict: Record<string, unknown>) => analyse({ ops: ({ doc, page, draw }) => [extGState(page, doc, dict), ...draw()] });
    assert.equal(reasonOf(await with_({ Type: 'ExtGState', LW: 2, CA: 1, ca: 1, BM: 'Normal', SMask: 'None' })), 'fast path');
    assert.match(reasonOf(await with_({ ca: 0.5 })), /ExtGState \/ca/);
    assert.match(reasonOf(await with_({ BM: 'Multiply' })), /ExtGState \/BM/);
    assert.match(reasonOf(await with_({ SMask: { S: 'Luminosity' } })), /ExtGState \/SMask/);
  });

  test('image dictionaries we do not decode exactly like pdf.js', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ColorSpace: 'DeviceCMYK' }, /DeviceCMYK colour space/],
      [{ ColorSpace: 'CalGray' }, /CalGray colour space/],
      [{ BitsPerComponent: 4 }, /4-bit image/],
      [{ Decode: [1, 0] }, /Decode array/],
      [{ ImageMask: true }, /image mask/],
      [{ Filter: 'JBIG2Decode' }, /JBIG2Decode image/],
      [{ Filter: 'CCITTFaxDecode' }, /CCITTFaxDecode image/],
      [{ Filter: 'JPXDecode' }, /JPXDecode image/],
      [{ Filter: ['ASCII85Decode', 'FlateDecode'] }, /filter chain/],
      [{ DecodeParms: { Predictor: 15, Colors: 3, Columns: 40 } }, /predictor parameters do not match/],
    ];
    for (const [image, reason] of cases) assert.match(reasonOf(await analyse({ image })), reason, JSON.stringify(image));
    assert.equal(reasonOf(await analyse({ image: { Decode: [0, 1] } })), 'fast path', 'the default /Decode is fine');
  });

  test('other content: vector paint, two images, an angle, optional content, shadings', async () => {
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [...draw(), rectangle(10, 10, 20, 20), endPath(), rectangle(0, 0, 5, 5), clip(), endPath()] })), /fast path/);
    // Any operator text, written as is (pdf-lib prints the name verbatim).
    const raw = (s: string) => PDFOperator.of(s as never);
    const fill = raw('f');
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [...draw(), rectangle(10, 10, 20, 20), fill] })), /vector drawing/);
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [...draw(), ...draw()] })), /more than one image/);
    const t = 0.01;
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => draw([W * Math.cos(t), W * Math.sin(t), -H * Math.sin(t), H * Math.cos(t), 5, 0]) })), /angle/);
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [raw('/OC /L0 BDC'), ...draw(), raw('EMC')] })), /optional content/);
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [...draw(), raw('/Sh0 sh')] })), /shading/);
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [...draw(), raw('BI /W 1 /H 1 /BPC 8 /CS /G ID x EI')] })), /inline image/);
    assert.match(reasonOf(await analyse({ ops: ({ draw }) => [...draw(), raw('1 0 0 1 0 0 xyz')] })), /operator xyz/);
  });
});

describe('pdf-scan-image: orientationOps against sharp', () => {
  // A 3 × 2 image with distinct pixels; page x = a·u + c·v, page y = b·u + d·v about the centre.
  const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const signedPermutations: [number, number, number, number][] = [
    [1, 0, 0, 1], [-1, 0, 0, 1], [1, 0, 0, -1], [-1, 0, 0, -1],
    [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, -1, 0], [0, -1, -1, 0],
  ];
  for (const p of signedPermutations) {
    test(`orientation [${p.join(' ')}]`, async () => {
      const { flip, rotate } = orientationOps(p);
      let img = sharp(src, { raw: { width: 3, height: 2, channels: 1 } });
      if (flip) img = img.flip();
      if (rotate) img = img.rotate(rotate);
      const { data, info } = await img.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      const swapped = p[0] === 0;
      assert.deepEqual([info.width, info.height], swapped ? [2, 3] : [3, 2]);
      // Expected: source pixel (u, v) lands where p sends it, in centred coordinates.
      for (let v = 0; v < 2; v++) {
        for (let u = 0; u < 3; u++) {
          const cu = u - 1;
          const cv = v - 0.5;
          const x = p[0] * cu + p[2] * cv + (info.width - 1) / 2;
          const y = p[1] * cu + p[3] * cv + (info.height - 1) / 2;
          assert.equal(data[y * info.width + x], src[v * 3 + u], `pixel (${u}, ${v})`);
        }
      }
    });
  }
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { OcrError } from '../../../../engines/errors.js';
import { fitToPixels, openImage, type ImageType } from '../../../../engines/input/image-reader.js';
import { sniffType } from '../../../../engines/input/sniff.js';
import type { RgbImage } from '../../../../engines/types.js';
import { buildGreyPng } from '../../../fixtures/png-bytes.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const formats = (name: string) => path.join(FIXTURES, 'formats', name);
const truth = JSON.parse(readFileSync(formats('truth.json'), 'utf8')) as {
  files: Record<string, { width: number; height: number; pages?: number }>;
};

async function decode(file: string, limits = {}) {
  const bytes = new Uint8Array(readFileSync(file));
  const type = sniffType(bytes)!.type as ImageType;
  const img = await openImage(bytes, path.basename(file), type, limits);
  return { img, pages: await Promise.all(Array.from({ length: img.pageCount }, (_, i) => img.readPage(i))) };
}

/** Mean absolute difference of the grey levels of two same-sized images. */
function meanGreyDiff(a: RgbImage, b: RgbImage): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 3) {
    const ga = (a.data[i]! + a.data[i + 1]! + a.data[i + 2]!) / 3;
    const gb = (b.data[i]! + b.data[i + 1]! + b.data[i + 2]!) / 3;
    sum += Math.abs(ga - gb);
  }
  return sum / (a.width * a.height);
}

function darkFraction(img: RgbImage): number {
  let dark = 0;
  for (let i = 0; i < img.data.length; i += 3) if (img.data[i]! + img.data[i + 1]! + img.data[i + 2]! < 3 * 100) dark++;
  return dark / (img.width * img.height);
}

describe('image formats decode upright to 8-bit RGB', async () => {
  const reference = (await decode(formats('text.png'))).pages[0]!.image;

  test('reference PNG: size, dark text on white', () => {
    assert.equal(reference.width, 640);
    assert.equal(reference.height, 150);
    assert.equal(reference.data.length, 640 * 150 * 3);
    const f = darkFraction(reference);
    assert.ok(f > 0.02 && f < 0.15, `dark fraction ${f}`);
    assert.deepEqual(Array.from(reference.data.subarray(0, 3)), [255, 255, 255]);
  });

  // [file, largest mean grey difference from the PNG that the format's own loss explains]
  const cases: [string, number][] = [
    ['exif-orientation-6.jpg', 4],
    ['text.webp', 4],
    ['text.gif', 4],
    ['gray16.png', 1],
    ['cmyk.jpg', 6],
    ['rgba-transparent.png', 2],
    ['jpeg-named-as.png', 4],
    ['text-24bit.bmp', 0.5],
    ['text-8bit-rle.bmp', 4],
    ['text-4bit.bmp', 6],
    ['text-32bit-alpha.bmp', 2],
  ];
  for (const [file, tolerance] of cases) {
    test(file, async () => {
      const { pages } = await decode(formats(file));
      assert.equal(pages.length, 1);
      const { image } = pages[0]!;
      assert.equal(image.data.length, image.width * image.height * 3, 'packed RGB');
      assert.equal(image.width, truth.files[file]!.width);
      assert.equal(image.height, truth.files[file]!.height);
      // Same pixels as the PNG: a missed EXIF turn, a black transparent background or a bad CMYK
      // conversion would each be far off.
      const diff = meanGreyDiff(image, reference);
      assert.ok(diff <= tolerance, `${file}: mean grey difference ${diff.toFixed(2)} > ${tolerance}`);
    });
  }

  test('EXIF orientation 6: the stored image is portrait, the decoded one landscape', async () => {
    const meta = await sharp(readFileSync(formats('exif-orientation-6.jpg'))).metadata();
    assert.equal(meta.orientation, 6);
    assert.deepEqual([meta.width, meta.height], [150, 640]);
  });

  test('transparent PNG: text is dark on white after flattening', async () => {
    const { image } = (await decode(formats('rgba-transparent.png'))).pages[0]!;
    assert.deepEqual(Array.from(image.data.subarray(0, 3)), [255, 255, 255], 'transparent corner is paper white');
    const f = darkFraction(image);
    assert.ok(f > 0.02 && f < 0.15, `dark fraction ${f}`);
  });

  test('16-bit and CMYK sources come out as 8-bit, 3 channels', async () => {
    for (const f of ['gray16.png', 'cmyk.jpg']) {
      const { image } = (await decode(formats(f))).pages[0]!;
      assert.ok(image.data instanceof Uint8Array);
      assert.equal(image.data.length, image.width * image.height * 3);
    }
  });

  test('TIFF: every page', async () => {
    const { img, pages } = await decode(formats('three-pages.tif'));
    assert.equal(img.pageCount, 3);
    assert.equal(pages.length, 3);
    for (const p of pages) {
      assert.deepEqual([p.image.width, p.image.height], [640, 100]);
      const f = darkFraction(p.image);
      assert.ok(f > 0.01 && f < 0.2, `dark fraction ${f}`);
    }
    // Three different lines of text, not one page three times.
    assert.ok(meanGreyDiff(pages[0]!.image, pages[1]!.image) > 1);
    assert.ok(meanGreyDiff(pages[1]!.image, pages[2]!.image) > 1);
  });
});

describe('animations', () => {
  test('animated GIF: one page (the first frame) and a warning saying so', async () => {
    const frame = (shade: number) => sharp({ create: { width: 40, height: 20, channels: 3, background: { r: shade, g: shade, b: shade } } }).png().toBuffer();
    const gif = await sharp([await frame(20), await frame(230)], { join: { animated: true } }).gif().toBuffer();
    const img = await openImage(new Uint8Array(gif), 'anim.gif', 'gif');
    assert.equal(img.pageCount, 1);
    assert.match(img.warnings[0]!, /anim\.gif is an animated GIF image with 2 frames; only the first frame is read/);
    const page = await img.readPage(0);
    assert.deepEqual([page.image.width, page.image.height], [40, 20]);
    assert.ok(page.image.data[0]! < 60, 'first (dark) frame');
  });
});

describe('limits', () => {
  test('fitToPixels keeps the aspect and the budget', () => {
    assert.deepEqual(fitToPixels(100, 50, 10_000), { width: 100, height: 50, scale: 1 });
    const t = fitToPixels(30_000, 20_000, 6_000_000);
    assert.ok(t.width * t.height <= 6_000_000);
    assert.ok(Math.abs(t.width / t.height - 1.5) < 0.01);
  });

  test('30000 × 30000: IMAGE_TOO_LARGE from the header, with both sizes in the message', async () => {
    const bytes = buildGreyPng({ width: 30_000, height: 30_000, storedRows: 8 });
    const t0 = performance.now();
    await assert.rejects(openImage(bytes, 'poster.png', 'png'), (e: unknown) => {
      assert.ok(e instanceof OcrError);
      assert.equal(e.code, 'IMAGE_TOO_LARGE');
      assert.equal(e.file, 'poster.png');
      assert.match(e.message, /poster\.png is 30000 × 30000 pixels \(900 megapixels\)/);
      assert.match(e.message, /up to 268 megapixels/);
      return true;
    });
    console.log(`30000 × 30000 refused in ${(performance.now() - t0).toFixed(1)} ms`);
  });

  test('above maxPixels: downscaled to fit, with a warning naming both sizes', async () => {
    const png = await sharp(readFileSync(formats('text.png'))).resize(2560, 600).png().toBuffer();
    const img = await openImage(new Uint8Array(png), 'wide.png', 'png', { maxPixels: 400_000 });
    const page = await img.readPage(0);
    assert.ok(page.image.width * page.image.height <= 400_000);
    assert.ok(Math.abs(page.image.width / page.image.height - 2560 / 600) < 0.02);
    assert.equal(page.warnings.length, 1);
    assert.match(page.warnings[0]!, /wide\.png is 2560 × 600 pixels.*scaled down to \d+ × \d+/);
  });

  test('BMP above maxPixels is downscaled too', async () => {
    const img = await openImage(new Uint8Array(readFileSync(formats('text-24bit.bmp'))), 'text-24bit.bmp', 'bmp', { maxPixels: 24_000 });
    const page = await img.readPage(0);
    assert.ok(page.image.width * page.image.height <= 24_000);
    assert.match(page.warnings[0]!, /scaled down/);
  });

  test('maxInputPixels applies to BMP headers', async () => {
    await assert.rejects(openImage(new Uint8Array(readFileSync(formats('text-24bit.bmp'))), 'x.bmp', 'bmp', { maxInputPixels: 1000 }), { code: 'IMAGE_TOO_LARGE' });
  });
});

describe('damaged files', () => {
  const bad = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, 'bad', name)));

  test('truncated JPEG decodes what is there, with a warning', async () => {
    const img = await openImage(bad('truncated.jpg'), 'truncated.jpg', 'jpeg');
    const page = await img.readPage(0);
    assert.deepEqual([page.image.width, page.image.height], [400, 300]);
    assert.equal(page.warnings.length, 1);
    assert.match(page.warnings[0]!, /truncated\.jpg is truncated/);
  });

  test('half a PNG → TRUNCATED_FILE', async () => {
    const img = await openImage(bad('truncated.png'), 'truncated.png', 'png');
    await assert.rejects(img.readPage(0), (e: unknown) => e instanceof OcrError && e.code === 'TRUNCATED_FILE' && e.page === 0 && /truncated\.png/.test(e.message));
  });

  test('JPEG cut inside its header → TRUNCATED_FILE', async () => {
    await assert.rejects(openImage(bad('truncated-header.jpg'), 'truncated-header.jpg', 'jpeg'), { code: 'TRUNCATED_FILE' });
  });

  test('JPEG signature then garbage → CORRUPT_FILE', async () => {
    await assert.rejects(openImage(bad('garbage.jpg'), 'garbage.jpg', 'jpeg'), (e: unknown) => e instanceof OcrError && e.code === 'CORRUPT_FILE' && e.message.startsWith('garbage.jpg'));
  });
});

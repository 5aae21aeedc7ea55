import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OcrError } from '../../../../engines/errors.js';
import { decodeBmp, readBmpHeader } from '../../../../engines/input/bmp-decoder.js';

/** Minimal BMP writer for the tests: header fields as given, pixel bytes as given. */
function bmp(opts: {
  width: number;
  height: number; // negative = top-down
  bpp: number;
  compression?: number;
  dibSize?: number;
  palette?: [number, number, number][]; // RGB
  masks?: number[]; // after a 40-byte header, or inside a V4 header
  pixels: number[];
  pelsPerMeter?: number;
}): Uint8Array {
  const dibSize = opts.dibSize ?? 40;
  const extraMasks = dibSize === 40 && opts.masks ? opts.masks.length * 4 : 0;
  const paletteBytes = (opts.palette?.length ?? 0) * 4;
  const pixelOffset = 14 + dibSize + extraMasks + paletteBytes;
  const out = new Uint8Array(pixelOffset + opts.pixels.length);
  const v = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  v.setUint32(2, out.length, true);
  v.setUint32(10, pixelOffset, true);
  v.setUint32(14, dibSize, true);
  v.setInt32(18, opts.width, true);
  v.setInt32(22, opts.height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, opts.bpp, true);
  v.setUint32(30, opts.compression ?? 0, true);
  v.setInt32(38, opts.pelsPerMeter ?? 0, true);
  v.setInt32(42, opts.pelsPerMeter ?? 0, true);
  v.setUint32(46, opts.palette?.length ?? 0, true);
  if (opts.masks) opts.masks.forEach((m, i) => v.setUint32(14 + 40 + i * 4, m >>> 0, true));
  opts.palette?.forEach(([r, g, b], i) => out.set([b, g, r, 0], 14 + dibSize + extraMasks + i * 4));
  out.set(opts.pixels, pixelOffset);
  return out;
}

const px = (img: { data: Uint8Array; width: number }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('decodeBmp', () => {
  test('24-bit bottom-up with row padding', () => {
    // 3 × 2; rows are 9 bytes + 3 padding. File row 0 is the bottom row.
    const bottom = [0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0]; // red, green, blue (BGR order)
    const top = [255, 255, 255, 0, 0, 0, 128, 128, 128, 0, 0, 0];
    const img = decodeBmp(bmp({ width: 3, height: 2, bpp: 24, pixels: [...bottom, ...top], pelsPerMeter: 11811 }), 't.bmp');
    assert.equal(img.width, 3);
    assert.equal(img.height, 2);
    assert.deepEqual(px(img, 0, 0), [255, 255, 255]);
    assert.deepEqual(px(img, 1, 0), [0, 0, 0]);
    assert.deepEqual(px(img, 0, 1), [255, 0, 0]);
    assert.deepEqual(px(img, 1, 1), [0, 255, 0]);
    assert.deepEqual(px(img, 2, 1), [0, 0, 255]);
    assert.equal(img.densityDpi, 300);
    assert.equal(img.truncated, false);
  });

  test('24-bit top-down (negative height)', () => {
    const img = decodeBmp(bmp({ width: 1, height: -2, bpp: 24, pixels: [0, 0, 255, 0, 0, 255, 0, 0] }), 't.bmp');
    assert.deepEqual(px(img, 0, 0), [255, 0, 0]);
    assert.deepEqual(px(img, 0, 1), [0, 255, 0]);
  });

  test('8-bit palette with a short colour table', () => {
    const palette: [number, number, number][] = [[255, 255, 255], [10, 20, 30], [200, 100, 50]];
    const img = decodeBmp(bmp({ width: 3, height: 1, bpp: 8, palette, pixels: [2, 1, 0, 0] }), 'p.bmp');
    assert.deepEqual([px(img, 0, 0), px(img, 1, 0), px(img, 2, 0)], [[200, 100, 50], [10, 20, 30], [255, 255, 255]]);
  });

  test('1-bit and 4-bit palettes unpack high bits first', () => {
    const one = decodeBmp(bmp({ width: 10, height: 1, bpp: 1, palette: [[0, 0, 0], [255, 255, 255]], pixels: [0b10100000, 0b01000000, 0, 0] }), 'm.bmp');
    assert.deepEqual(Array.from({ length: 10 }, (_, x) => px(one, x, 0)[0]), [255, 0, 255, 0, 0, 0, 0, 0, 0, 255]);
    const pal4: [number, number, number][] = Array.from({ length: 16 }, (_, i) => [i * 16, i * 16, i * 16]);
    const four = decodeBmp(bmp({ width: 3, height: 1, bpp: 4, palette: pal4, pixels: [0x1f, 0x30, 0, 0] }), 'n.bmp');
    assert.deepEqual([px(four, 0, 0)[0], px(four, 1, 0)[0], px(four, 2, 0)[0]], [16, 240, 48]);
  });

  test('16-bit RGB565 bitfields', () => {
    // Pure red 0xF800 and pure blue 0x001F, little-endian.
    const img = decodeBmp(bmp({ width: 2, height: 1, bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], pixels: [0x00, 0xf8, 0x1f, 0x00] }), 'h.bmp');
    assert.deepEqual(px(img, 0, 0), [255, 0, 0]);
    assert.deepEqual(px(img, 1, 0), [0, 0, 255]);
  });

  test('16-bit default is 5-5-5', () => {
    const img = decodeBmp(bmp({ width: 1, height: 1, bpp: 16, pixels: [0xe0, 0x03, 0, 0] }), 'h.bmp'); // 0x03E0 = green
    assert.deepEqual(px(img, 0, 0), [0, 255, 0]);
  });

  test('32-bit with alpha is flattened on white', () => {
    const masks = [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000];
    // opaque black, transparent black, half-transparent black
    const img = decodeBmp(bmp({ width: 3, height: 1, bpp: 32, compression: 3, dibSize: 108, masks, pixels: [0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128] }), 'a.bmp');
    assert.deepEqual(px(img, 0, 0), [0, 0, 0]);
    assert.deepEqual(px(img, 1, 0), [255, 255, 255]);
    assert.deepEqual(px(img, 2, 0), [127, 127, 127]);
  });

  test('32-bit whose alpha bytes are all zero is opaque', () => {
    const masks = [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000];
    const img = decodeBmp(bmp({ width: 2, height: 1, bpp: 32, compression: 3, dibSize: 108, masks, pixels: [0, 0, 0, 0, 50, 60, 70, 0] }), 'z.bmp');
    assert.deepEqual(px(img, 0, 0), [0, 0, 0]);
    assert.deepEqual(px(img, 1, 0), [70, 60, 50]);
  });

  test('RLE8: runs, absolute mode, end of line, delta, end of bitmap', () => {
    const palette: [number, number, number][] = [[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 0, 255]];
    const pixels = [
      3, 1, // 3 × black on the bottom row
      0, 0, // end of line
      0, 3, 2, 3, 2, 0, // absolute: red, blue, red (+1 pad byte)
      0, 2, 1, 1, // delta: right 1, up 1 → row 2, x 4
      1, 3, // one blue pixel
      0, 1, // end of bitmap
    ];
    const img = decodeBmp(bmp({ width: 5, height: 3, bpp: 8, compression: 1, palette, pixels }), 'r.bmp');
    // image row 2 is file row 0 (bottom)
    assert.deepEqual([0, 1, 2, 3].map((x) => px(img, x, 2)), [[0, 0, 0], [0, 0, 0], [0, 0, 0], [255, 255, 255]]);
    assert.deepEqual([0, 1, 2].map((x) => px(img, x, 1)), [[255, 0, 0], [0, 0, 255], [255, 0, 0]]);
    assert.deepEqual(px(img, 4, 0), [0, 0, 255]);
    assert.deepEqual(px(img, 0, 0), [255, 255, 255]);
    assert.equal(img.truncated, false);
  });

  test('missing rows are white and flagged', () => {
    const full = bmp({ width: 1, height: 2, bpp: 24, pixels: [0, 0, 0, 0, 0, 0, 0, 0] });
    const img = decodeBmp(full.subarray(0, full.length - 4), 't.bmp'); // the top row is gone
    assert.equal(img.truncated, true);
    assert.deepEqual(px(img, 0, 1), [0, 0, 0]);
    assert.deepEqual(px(img, 0, 0), [255, 255, 255]);
  });

  test('header-only reading for limits', () => {
    const h = readBmpHeader(bmp({ width: 40000, height: -30000, bpp: 24, pixels: [] }), 'big.bmp');
    assert.deepEqual([h.width, h.height, h.topDown], [40000, 30000, true]);
  });

  const failures: [string, Uint8Array, string][] = [
    ['JPEG inside BMP', bmp({ width: 1, height: 1, bpp: 24, compression: 4, pixels: [0, 0, 0, 0] }), 'UNSUPPORTED_TYPE'],
    ['impossible depth', bmp({ width: 1, height: 1, bpp: 7, pixels: [0, 0, 0, 0] }), 'CORRUPT_FILE'],
    ['zero width', bmp({ width: 0, height: 1, bpp: 24, pixels: [0, 0, 0, 0] }), 'CORRUPT_FILE'],
    ['header cut short', bmp({ width: 1, height: 1, bpp: 24, pixels: [] }).subarray(0, 20), 'TRUNCATED_FILE'],
    ['no pixel data at all', bmp({ width: 1, height: 1, bpp: 24, pixels: [] }), 'TRUNCATED_FILE'],
  ];
  for (const [name, data, code] of failures) {
    test(`${name} → ${code}`, () => {
      assert.throws(
        () => decodeBmp(data, 'bad.bmp'),
        (e: unknown) => e instanceof OcrError && e.code === code && e.file === 'bad.bmp' && e.message.includes('bad.bmp'),
      );
    });
  }
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OcrError } from '../../../../engines/errors.js';
import { describeContent, extensionOf, sniffOrThrow, sniffType, typeFromName } from '../../../../engines/input/sniff.js';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

function bmpHeader(dibSize: number): Uint8Array {
  const b = new Uint8Array(64);
  b[0] = 0x42;
  b[1] = 0x4d;
  new DataView(b.buffer).setUint32(14, dibSize, true);
  return b;
}

function expectOcrError(fn: () => unknown, code: string, ...inMessage: (string | RegExp)[]): OcrError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OcrError, `expected OcrError, got ${e}`);
    assert.equal(e.code, code, e.message);
    for (const m of inMessage) {
      if (typeof m === 'string') assert.ok(e.message.includes(m), `"${e.message}" should mention "${m}"`);
      else assert.match(e.message, m);
    }
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('sniffType', () => {
  const cases: [string, Uint8Array, string | null][] = [
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'png'],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'jpeg'],
    ['webp', bytes('RIFF', [0x10, 0, 0, 0], 'WEBPVP8 '), 'webp'],
    ['tiff little-endian', bytes([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'tiff'],
    ['tiff big-endian', bytes([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), 'tiff'],
    ['bigtiff', bytes([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0]), 'tiff'],
    ['gif87a', bytes('GIF87a', [1, 0, 1, 0]), 'gif'],
    ['gif89a', bytes('GIF89a', [1, 0, 1, 0]), 'gif'],
    ['bmp (BITMAPINFOHEADER)', bmpHeader(40), 'bmp'],
    ['bmp (V5 header)', bmpHeader(124), 'bmp'],
    ['bmp (OS/2 core header)', bmpHeader(12), 'bmp'],
    ['pdf', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), 'pdf'],
    // Readers accept junk before the header (mail gateways prepend it).
    ['pdf after junk', bytes('X'.repeat(300), '%PDF-1.4\n'), 'pdf'],
    ['pdf header too late', bytes('X'.repeat(2000), '%PDF-1.4\n'), null],
    ['text starting with BM', bytes('BMW drivers, please park at the back of the building.'), null],
    ['RIFF that is not WebP', bytes('RIFF', [0x10, 0, 0, 0], 'WAVEfmt '), null],
    ['empty', new Uint8Array(0), null],
  ];
  for (const [name, data, expected] of cases) {
    test(name, () => assert.equal(sniffType(data)?.type ?? null, expected));
  }

  test('mime types', () => {
    assert.equal(sniffType(bytes([0xff, 0xd8, 0xff, 0xdb]))?.mimeType, 'image/jpeg');
    assert.equal(sniffType(bytes('%PDF-1.4'))?.mimeType, 'application/pdf');
  });
});

describe('describeContent', () => {
  test('plain text quotes its first line', () => {
    assert.equal(describeContent(bytes('Meeting notes, Tuesday\nsecond line')), 'plain text (it starts "Meeting notes, Tuesday")');
  });
  test('UTF-8 text with a BOM and non-ASCII letters is still text', () => {
    const enc = new TextEncoder().encode('\uFEFFKöln, 3. März — Protokoll');
    assert.match(describeContent(enc), /^plain text \(it starts "Köln, 3\. März — Protokoll"\)$/);
  });
  test('recognised formats we do not read', () => {
    assert.match(describeContent(bytes([0x50, 0x4b, 0x03, 0x04, 20, 0])), /ZIP archive/);
    assert.match(describeContent(bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0])), /HEIC/);
    assert.match(describeContent(bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0])), /AVIF/);
    assert.match(describeContent(bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')), /SVG/);
    assert.match(describeContent(bytes('<!DOCTYPE html><html><body>hi</body></html>')), /HTML/);
    assert.match(describeContent(bytes('%!PS-Adobe-3.0\n')), /PostScript/);
  });
  test('unknown binary shows its first bytes', () => {
    assert.equal(describeContent(bytes([0x00, 0x13, 0x37, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03])), 'unrecognised binary data (first bytes 00 13 37 BE EF 00 01 02)');
  });
  test('a long first line is cut', () => {
    assert.match(describeContent(bytes('a'.repeat(100))), /"a{40}…"/);
  });
});

describe('names', () => {
  test('extensionOf', () => {
    assert.equal(extensionOf('/a/b/Scan 01.JPEG'), 'jpeg');
    assert.equal(extensionOf('C:\\docs\\report.final.PDF'), 'pdf');
    assert.equal(extensionOf('.hidden'), '');
    assert.equal(extensionOf('README'), '');
  });
  test('typeFromName', () => {
    assert.equal(typeFromName('x.jpg'), 'jpeg');
    assert.equal(typeFromName('x.TIF'), 'tiff');
    assert.equal(typeFromName('x.dib'), 'bmp');
    assert.equal(typeFromName('x.docx'), null);
  });
});

describe('sniffOrThrow', () => {
  test('empty → EMPTY_FILE naming the file', () => {
    const e = expectOcrError(() => sniffOrThrow(new Uint8Array(0), 'scan.png'), 'EMPTY_FILE', 'scan.png', '0 bytes');
    assert.equal(e.file, 'scan.png');
  });
  test('text named .png → UNSUPPORTED_TYPE saying it is text', () => {
    expectOcrError(() => sniffOrThrow(bytes('hello there\n'), 'photo.png'), 'UNSUPPORTED_TYPE', 'photo.png', 'plain text', 'Supported: PNG');
  });
  test('a ZIP named .pdf → UNSUPPORTED_TYPE saying ZIP', () => {
    expectOcrError(() => sniffOrThrow(bytes([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]), 'contract.pdf'), 'UNSUPPORTED_TYPE', 'contract.pdf', 'ZIP');
  });
  test('unrecognisable binary named .jpg → CORRUPT_FILE', () => {
    expectOcrError(() => sniffOrThrow(bytes([0x00, 0x01, 0xfe, 0x80, 0x00, 0x99, 0x00, 0x42]), 'holiday.jpg'), 'CORRUPT_FILE', 'holiday.jpg', 'not a valid JPEG image', 'damaged');
  });
  test('unrecognisable binary with an unknown name → UNSUPPORTED_TYPE', () => {
    expectOcrError(() => sniffOrThrow(bytes([0x00, 0x01, 0xfe, 0x80, 0x00, 0x99, 0x00, 0x42]), 'data.bin'), 'UNSUPPORTED_TYPE', 'data.bin');
  });
  test('content wins over the extension, with a warning', () => {
    const r = sniffOrThrow(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'scan.png');
    assert.equal(r.type, 'jpeg');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /scan\.png is named like a PNG image but is a JPEG image/);
  });
  test('matching extension: no warning', () => {
    assert.deepEqual(sniffOrThrow(bytes('%PDF-1.4\n'), 'a.pdf').warnings, []);
  });
  test('unknown extension but real content: no warning', () => {
    assert.deepEqual(sniffOrThrow(bytes('%PDF-1.4\n'), 'download').warnings, []);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { PDFDocument, PDFName, PDFRawStream, type PDFDict as LibDict } from 'pdf-lib';
import {
  PdfDict,
  PdfKeyword,
  PdfLexer,
  PdfName,
  PdfObjectReader,
  PdfRef,
  PdfStream,
  PdfString,
  PdfUnsupported,
  decodeStreamSync,
  parseObject,
  pngUnfilter,
  tiffUnpredict,
} from '../../../../engines/input/pdf-objects.js';

const BAD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/bad');
const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('pdf-objects: lexer and object syntax', () => {
  test('numbers, names with #xx, nested literal strings, hex strings, arrays, dictionaries, references', () => {
    const lex = new PdfLexer(enc('<< /Type /Page /A#20B 12 /N [-3.5 .5 +7] /S (a (nested\\) one) end) /H <48 65> /R 12 0 R /T true /Z null >> % comment\n tail'));
    const d = parseObject(lex, true);
    assert.ok(d instanceof PdfDict);
    assert.equal((d.getRaw('Type') as PdfName).name, 'Page');
    assert.ok(d.has('A B'), 'name with #20 escape');
    assert.deepEqual(d.getRaw('N'), [-3.5, 0.5, 7]);
    assert.equal(text((d.getRaw('S') as PdfString).bytes), 'a (nested\\) one) end');
    assert.equal(text((d.getRaw('H') as PdfString).bytes), '48 65');
    assert.deepEqual(d.getRaw('R'), new PdfRef(12, 0));
    assert.equal(d.getRaw('T'), true);
    assert.equal(d.getRaw('Z'), null);
    const t = lex.next();
    assert.ok(t instanceof PdfKeyword && t.word === 'tail', 'comment skipped');
    assert.equal(lex.next(), null);
  });

  test('without reference parsing, "1 0 0 1 0 0 cm" stays numbers and an operator', () => {
    const lex = new PdfLexer(enc('1 0 0 1 0 0 cm'));
    const ops: unknown[] = [];
    for (let t = lex.next(); t !== null; t = lex.next()) ops.push(t instanceof PdfKeyword ? t.word : parseObject(lex, false, t));
    assert.deepEqual(ops, [1, 0, 0, 1, 0, 0, 'cm']);
  });

  test('malformed input is PdfUnsupported, not a crash', () => {
    for (const bad of ['<< /A 1', '(unterminated', '<< 1 2 >>', '>', ')']) {
      assert.throws(() => parseObject(new PdfLexer(enc(bad)), true), PdfUnsupported, bad);
    }
  });
});

/** A small document with a known stream, saved both ways pdf-lib can (object/xref streams or a classic table). */
async function sample(useObjectStreams: boolean): Promise<{ bytes: Uint8Array; payload: Uint8Array }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (let i = 0; i < 3; i++) doc.addPage([200 + i, 300]);
  const payload = enc('raw bytes, not decoded: \x00\x01\xff endstream-lookalike');
  const ref = doc.context.register(PDFRawStream.of(doc.context.obj({ Marker: 'Yes' }) as unknown as LibDict, payload));
  doc.catalog.set(PDFName.of('TestStream'), ref);
  return { bytes: await doc.save({ useObjectStreams }), payload };
}

function pageBoxes(reader: PdfObjectReader): number[][] {
  const catalog = reader.get(reader.trailer, 'Root') as PdfDict;
  const pages = reader.get(catalog, 'Pages') as PdfDict;
  return (reader.get(pages, 'Kids') as PdfRef[]).map((k) => reader.get(reader.resolve(k) as PdfDict, 'MediaBox') as number[]);
}

describe('pdf-objects: reading files', () => {
  for (const useObjectStreams of [true, false]) {
    test(`pdf-lib file with ${useObjectStreams ? 'an xref stream and object streams' : 'a classic xref table'}: pages and a raw stream`, async () => {
      const { bytes, payload } = await sample(useObjectStreams);
      assert.equal(text(bytes).includes('/ObjStm'), useObjectStreams);
      const reader = PdfObjectReader.open(bytes);
      assert.deepEqual(pageBoxes(reader), [
        [0, 0, 200, 300],
        [0, 0, 201, 300],
        [0, 0, 202, 300],
      ]);
      const catalog = reader.get(reader.trailer, 'Root') as PdfDict;
      const s = reader.get(catalog, 'TestStream');
      assert.ok(s instanceof PdfStream);
      assert.deepEqual(s.raw, payload);
      assert.equal(s.raw.buffer, bytes.buffer, 'a view into the file, not a copy');
      assert.equal(reader.resolve(new PdfRef(9999, 0)), null, 'a missing object is null');
    });
  }

  test('an incremental update: the newest version of an object wins, and a deleted object is gone', async () => {
    const { bytes } = await sample(false);
    const reader0 = PdfObjectReader.open(bytes);
    const catalogRef = reader0.trailer.getRaw('Root') as PdfRef;
    const streamRef = (reader0.get(reader0.trailer, 'Root') as PdfDict).getRaw('TestStream') as PdfRef;
    const startxref = Number(/startxref\s+(\d+)/.exec(text(bytes).slice(-64))![1]);
    const size = reader0.get(reader0.trailer, 'Size') as number;
    // Append: a new catalog object 'size' (pointing to the old pages), and the test stream marked free.
    const pagesRef = (reader0.get(reader0.trailer, 'Root') as PdfDict).getRaw('Pages') as PdfRef;
    const body = `\n${size} 0 obj\n<< /Type /Catalog /Pages ${pagesRef.num} ${pagesRef.gen} R /Updated true >>\nendobj\n`;
    const objOffset = bytes.length + 1;
    const xrefOffset = bytes.length + body.length;
    const entry = (n: number) => String(n).padStart(10, '0');
    const xref =
      `xref\n${streamRef.num} 1\n${entry(0)} 00001 f \n${size} 1\n${entry(objOffset)} 00000 n \n` +
      `trailer\n<< /Size ${size + 1} /Root ${size} 0 R /Prev ${startxref} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
    const updated = new Uint8Array([...bytes, ...enc(body + xref)]);
    const reader = PdfObjectReader.open(updated);
    const catalog = reader.get(reader.trailer, 'Root') as PdfDict;
    assert.equal(catalog.getRaw('Updated'), true);
    assert.notEqual(size, catalogRef.num);
    assert.equal(reader.resolve(streamRef), null, 'freed in the update');
    assert.equal((reader.get(reader.resolve(catalogRef) as PdfDict, 'Type') as PdfName).name, 'Catalog', 'the old catalog is still readable');
    assert.equal(pageBoxes(reader).length, 3);
  });

  test('encrypted files are refused', () => {
    assert.throws(() => PdfObjectReader.open(new Uint8Array(readFileSync(path.join(BAD_DIR, 'encrypted.pdf')))), /encrypted/);
  });

  test('offsets that point at the wrong object, a wrong /Length and a missing startxref are refused, never guessed', async () => {
    const { bytes } = await sample(false);
    // The xref entries of objects 1 and 2 swapped: each offset now finds the other object's header.
    const table = /xref\n0 \d+\n\d{10} 65535 f \n(\d{10}) 00000 n \n(\d{10}) 00000 n \n/.exec(text(bytes))!;
    const swapped = enc(text(bytes).replace(table[0], table[0].replace(`${table[1]} 00000 n \n${table[2]}`, `${table[2]} 00000 n \n${table[1]}`)));
    const reader = PdfObjectReader.open(swapped);
    assert.throws(() => reader.resolve(new PdfRef(1, 0)), /xref points object 1 at object 2/);

    // The test stream's /Length off by two (same number of digits, so every offset stays right).
    const src = text(bytes);
    const at = src.indexOf('/Marker /Yes');
    const dictStart = src.lastIndexOf('<<', at);
    const dict = src.slice(dictStart, src.indexOf('>>', at) + 2);
    const length = Number(/\/Length (\d+)/.exec(dict)![1]);
    const badLength = enc(src.slice(0, dictStart) + dict.replace(`/Length ${length}`, `/Length ${length - 2}`) + src.slice(dictStart + dict.length));
    const r2 = PdfObjectReader.open(badLength);
    assert.throws(() => r2.get(r2.get(r2.trailer, 'Root') as PdfDict, 'TestStream'), /Length does not end at endstream/);

    assert.throws(() => PdfObjectReader.open(bytes.subarray(0, bytes.length - 40)), PdfUnsupported, 'no startxref in a truncated file');
  });
});

describe('pdf-objects: stream decoding', () => {
  const px = async (channels: 1 | 3) => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="61" height="23"><rect width="61" height="23" fill="#fff"/><text x="2" y="18" font-size="18" fill="#a03">Ag0</text></svg>`;
    const s = sharp(Buffer.from(svg)).removeAlpha();
    return (channels === 1 ? s.toColourspace('b-w') : s).raw().toBuffer();
  };

  for (const channels of [1, 3] as const) {
    test(`PNG row filters undone exactly (${channels} channel${channels > 1 ? 's' : ''}, all five filter types)`, async () => {
      const raw = await px(channels);
      const png = await sharp(raw, { raw: { width: 61, height: 23, channels } })
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .png({ adaptiveFiltering: true, compressionLevel: 9 })
        .toBuffer();
      const idat: Buffer[] = [];
      for (let at = 8; at < png.length; ) {
        const len = png.readUInt32BE(at);
        if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
        at += 12 + len;
      }
      const filtered = zlib.inflateSync(Buffer.concat(idat));
      assert.equal(filtered.length, 23 * (61 * channels + 1));
      assert.deepEqual(Buffer.from(pngUnfilter(filtered, channels, 61)), raw);
    });
  }

  test('TIFF predictor 2 and Flate through decodeStreamSync', async () => {
    const raw = await px(3);
    const diff = Buffer.from(raw);
    for (let r = 0; r < 23; r++) for (let i = 61 * 3 - 1; i >= 3; i--) diff[r * 183 + i] = (raw[r * 183 + i]! - raw[r * 183 + i - 3]!) & 255;
    assert.deepEqual(Buffer.from(tiffUnpredict(diff, 3, 61)), raw);

    const doc = await PDFDocument.create();
    doc.catalog.set(PDFName.of('S'), doc.context.register(PDFRawStream.of(doc.context.obj({ Filter: 'FlateDecode', DecodeParms: { Predictor: 2, Colors: 3, Columns: 61 } }) as unknown as LibDict, zlib.deflateSync(diff))));
    const reader = PdfObjectReader.open(await doc.save());
    const s = reader.get(reader.get(reader.trailer, 'Root') as PdfDict, 'S') as PdfStream;
    assert.deepEqual(Buffer.from(decodeStreamSync(s, reader)), raw);
  });
});

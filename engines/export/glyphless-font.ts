// A minimal TrueType font whose glyphs draw nothing, for invisible PDF text layers: the idea of Tesseract's
// GlyphLessFont (src/api/pdfrenderer.cpp, doc/pdf.md), built here table by table from the OpenType spec.
// Every CID maps to glyph 1 (empty, 500/1000 em wide); text stays extractable through a ToUnicode CMap.

/** Advance width of every glyph, font units (unitsPerEm 1000): the PDF's /DW. */
export const GLYPHLESS_ADVANCE = 500;
export const GLYPHLESS_UNITS_PER_EM = 1000;

class Writer {
  readonly bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  i16(v: number): this {
    return this.u16(v < 0 ? v + 0x10000 : v);
  }
  u32(v: number): this {
    return this.u16(Math.floor(v / 0x10000) & 0xffff).u16(v & 0xffff);
  }
  tag(t: string): this {
    for (let i = 0; i < 4; i++) this.u8(t.charCodeAt(i));
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.u8(0);
    return this;
  }
}

function checksum(data: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) {
    sum = (sum + ((data[i]! << 24) >>> 0) + ((data[i + 1] ?? 0) << 16) + ((data[i + 2] ?? 0) << 8) + (data[i + 3] ?? 0)) >>> 0;
  }
  return sum;
}

function nameTable(): number[] {
  const family = 'GlyphLessFont';
  const records: [number, string][] = [[1, family], [2, 'Regular'], [3, `Lucid OCR ${family}`], [4, family], [5, 'Version 1.0'], [6, family]];
  const storage = new Writer();
  const w = new Writer().u16(0).u16(records.length).u16(6 + 12 * records.length);
  for (const [id, text] of records) {
    const offset = storage.bytes.length;
    for (const ch of text) storage.u16(ch.charCodeAt(0));
    // Windows platform, Unicode BMP encoding, US English.
    w.u16(3).u16(1).u16(0x409).u16(id).u16(text.length * 2).u16(offset);
  }
  return [...w.bytes, ...storage.bytes];
}

let cached: Uint8Array | undefined;

/** The font program (FontFile2), ~700 bytes. */
export function glyphlessTrueType(): Uint8Array {
  if (cached) return cached;
  const A = GLYPHLESS_ADVANCE;
  const EM = GLYPHLESS_UNITS_PER_EM;

  // glyf: .notdef is a plain rectangle (never drawn: every CID maps to glyph 1), glyph 1 is empty.
  const glyf = new Writer().i16(1).i16(50).i16(0).i16(450).i16(750).u16(3).u16(0).u8(1).u8(1).u8(1).u8(1)
    .i16(50).i16(400).i16(0).i16(-400) // x deltas
    .i16(0).i16(0).i16(750).i16(0); // y deltas
  while (glyf.bytes.length % 4) glyf.u8(0);
  const glyfLength = glyf.bytes.length;

  const tables: Record<string, number[]> = {
    'OS/2': new Writer()
      .u16(4).i16(A).u16(400).u16(5).u16(0)
      .i16(500).i16(500).i16(0).i16(250).i16(500).i16(500).i16(0).i16(500)
      .i16(50).i16(300).i16(0).zeros(10).zeros(16).tag('NONE')
      .u16(0x40).u16(0xffff).u16(0xffff)
      .i16(EM).i16(0).i16(0).u16(EM).u16(0)
      .u32(0).u32(0).i16(500).i16(EM).u16(0).u16(0x20).u16(0).bytes,
    // cmap: one (3,1) format-4 subtable with only the final 0xFFFF segment: no character maps to a glyph.
    cmap: new Writer().u16(0).u16(1).u16(3).u16(1).u32(12)
      .u16(4).u16(24).u16(0).u16(2).u16(2).u16(0).u16(0)
      .u16(0xffff).u16(0).u16(0xffff).i16(1).u16(0).bytes,
    glyf: glyf.bytes,
    head: new Writer()
      .u32(0x00010000).u32(0x00010000).u32(0).u32(0x5f0f3cf5)
      .u16(0x000b).u16(EM).zeros(16)
      .i16(0).i16(0).i16(A).i16(EM)
      .u16(0).u16(8).i16(2).i16(1).i16(0).bytes,
    hhea: new Writer()
      .u32(0x00010000).i16(EM).i16(0).i16(0).u16(A)
      .i16(0).i16(0).i16(A).i16(1).i16(0).i16(0)
      .zeros(8).i16(0).u16(2).bytes,
    hmtx: new Writer().u16(A).i16(50).u16(A).i16(0).bytes,
    loca: new Writer().u32(0).u32(glyfLength).u32(glyfLength).bytes,
    maxp: new Writer().u32(0x00010000).u16(2).u16(4).u16(1).u16(0).u16(0).u16(2).zeros(16).bytes,
    name: nameTable(),
    post: new Writer().u32(0x00030000).u32(0).i16(-100).i16(50).u32(1).zeros(16).bytes,
  };

  const tags = Object.keys(tables).sort();
  const n = tags.length;
  const entrySelector = Math.floor(Math.log2(n));
  const searchRange = 16 * 2 ** entrySelector;
  const out = new Writer().u32(0x00010000).u16(n).u16(searchRange).u16(entrySelector).u16(n * 16 - searchRange);
  let offset = 12 + 16 * n;
  const body: number[] = [];
  let headOffset = 0;
  for (const tag of tags) {
    const data = tables[tag]!;
    out.tag(tag).u32(checksum(data)).u32(offset).u32(data.length);
    if (tag === 'head') headOffset = offset;
    body.push(...data);
    while (body.length % 4) body.push(0);
    offset = 12 + 16 * n + body.length;
  }
  const font = [...out.bytes, ...body];
  // head.checkSumAdjustment makes the whole font sum to 0xB1B0AFBA.
  const adjustment = (0xb1b0afba - checksum(font)) >>> 0;
  const adj = new Writer().u32(adjustment).bytes;
  for (let i = 0; i < 4; i++) font[headOffset + 8 + i] = adj[i]!;
  cached = Uint8Array.from(font);
  return cached;
}

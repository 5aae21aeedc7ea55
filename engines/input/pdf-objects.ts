// Object syntax and file structure after ISO 32000-1:2008 §7.2–7.5 (lexer, xref tables and streams, object streams).
/**
 * A small, lazy PDF object reader for the scanned-page fast path (pdf-scan-image.ts). pdf.js keeps its parsed
 * objects and raw streams to itself, so we read the few objects a page needs ourselves: the cross-reference
 * data once, then each object on demand, with streams as views into the file's bytes (nothing is copied).
 *
 * It is deliberately strict: anything it does not fully understand (encryption, damaged xref, a stream whose
 * Length does not land on `endstream`, filters other than Flate) throws PdfUnsupported, and the caller renders
 * the page with pdf.js instead, which knows how to repair such files.
 */
import zlib from 'node:zlib';

export class PdfName {
  constructor(readonly name: string) {}
}
export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}
export class PdfString {
  constructor(readonly bytes: Uint8Array) {}
}
export class PdfDict {
  constructor(readonly map: Map<string, PdfObject> = new Map()) {}
  /** The raw value (a PdfRef stays a ref). */
  getRaw(key: string): PdfObject | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    /** Encoded bytes: a view into the file, never a copy. */
    readonly raw: Uint8Array,
  ) {}
}
/** A content-stream operator (or any bare keyword). */
export class PdfKeyword {
  constructor(readonly word: string) {}
}
export type PdfObject = null | boolean | number | PdfName | PdfString | PdfRef | PdfObject[] | PdfDict | PdfStream;

/** "This file or page is outside what the fast path handles": the caller falls back to pdf.js. */
export class PdfUnsupported extends Error {
  override name = 'PdfUnsupported';
}

const unsupported = (why: string): never => {
  throw new PdfUnsupported(why);
};

// §7.2.2 character classes.
const WS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;
const isRegular = (c: number) => !WS[c] && !DELIM[c];

const hexValue = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

/** Tokens: numbers, names, strings, keywords and the structural delimiters. */
type Token = number | PdfName | PdfString | PdfKeyword | '[' | ']' | '<<' | '>>' | '{' | '}';

export class PdfLexer {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    pos = 0,
    readonly end = bytes.length,
  ) {
    this.pos = pos;
  }

  skipWhitespace(): void {
    const b = this.bytes;
    while (this.pos < this.end) {
      const c = b[this.pos]!;
      if (WS[c]) this.pos++;
      else if (c === 37 /* % */) {
        while (this.pos < this.end && b[this.pos] !== 10 && b[this.pos] !== 13) this.pos++;
      } else break;
    }
  }

  /** Next token, or null at the end. */
  next(): Token | null {
    this.skipWhitespace();
    const b = this.bytes;
    if (this.pos >= this.end) return null;
    const c = b[this.pos]!;
    switch (c) {
      case 91: // [
        this.pos++;
        return '[';
      case 93:
        this.pos++;
        return ']';
      case 123:
        this.pos++;
        return '{';
      case 125:
        this.pos++;
        return '}';
      case 60: // <
        if (b[this.pos + 1] === 60) {
          this.pos += 2;
          return '<<';
        }
        return this.hexString();
      case 62: // >
        if (b[this.pos + 1] === 62) {
          this.pos += 2;
          return '>>';
        }
        return unsupported(`stray ">" at byte ${this.pos}`);
      case 40: // (
        return this.literalString();
      case 47: // /
        return this.name();
      case 41:
        return unsupported(`stray ")" at byte ${this.pos}`);
    }
    const start = this.pos;
    while (this.pos < this.end && isRegular(b[this.pos]!)) this.pos++;
    // Numbers: [+-] digits [. digits] (§7.3.3); anything else made of regular characters is a keyword.
    let i = start;
    if (b[i] === 43 || b[i] === 45) i++;
    let digits = 0;
    let dots = 0;
    for (; i < this.pos; i++) {
      const d = b[i]!;
      if (d >= 48 && d <= 57) digits++;
      else if (d === 46) dots++;
      else break;
    }
    const text = latin1(b, start, this.pos);
    if (i === this.pos && digits > 0 && dots <= 1) return Number(text);
    return new PdfKeyword(text);
  }

  private name(): PdfName {
    const b = this.bytes;
    this.pos++;
    let out = '';
    while (this.pos < this.end && isRegular(b[this.pos]!)) {
      const c = b[this.pos]!;
      if (c === 35 /* # */ && hexValue(b[this.pos + 1] ?? 0) >= 0 && hexValue(b[this.pos + 2] ?? 0) >= 0) {
        out += String.fromCharCode(hexValue(b[this.pos + 1]!) * 16 + hexValue(b[this.pos + 2]!));
        this.pos += 3;
      } else {
        out += String.fromCharCode(c);
        this.pos++;
      }
    }
    return new PdfName(out);
  }

  private literalString(): PdfString {
    // The bytes are kept raw (escapes unresolved): nothing on the fast path reads a string's text.
    const b = this.bytes;
    const start = ++this.pos;
    let depth = 1;
    while (this.pos < this.end) {
      const c = b[this.pos++]!;
      if (c === 92 /* \ */) this.pos++;
      else if (c === 40) depth++;
      else if (c === 41 && --depth === 0) return new PdfString(b.subarray(start, this.pos - 1));
    }
    return unsupported('unterminated string');
  }

  private hexString(): PdfString {
    const b = this.bytes;
    const start = ++this.pos;
    while (this.pos < this.end && b[this.pos] !== 62) this.pos++;
    if (this.pos >= this.end) unsupported('unterminated hex string');
    return new PdfString(b.subarray(start, this.pos++));
  }
}

export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const isKeyword = (t: Token | null, word: string): boolean => t instanceof PdfKeyword && t.word === word;

/**
 * One direct object starting at the lexer's position. `refs`: read `n g R` as a reference (off in content
 * streams, where it cannot occur and the look-ahead would cost time).
 */
export function parseObject(lex: PdfLexer, refs: boolean, first: Token | null = lex.next(), depth = 0): PdfObject {
  if (depth > 64) unsupported('objects nested too deep');
  const t = first;
  if (t === null) return unsupported('unexpected end of data');
  if (typeof t === 'number') {
    if (refs && Number.isInteger(t) && t >= 0) {
      const save = lex.pos;
      const gen = lex.next();
      if (typeof gen === 'number' && Number.isInteger(gen) && gen >= 0) {
        const r = lex.next();
        if (isKeyword(r, 'R')) return new PdfRef(t, gen);
      }
      lex.pos = save;
    }
    return t;
  }
  if (t instanceof PdfName || t instanceof PdfString) return t;
  if (t === '[') {
    const arr: PdfObject[] = [];
    for (;;) {
      const n = lex.next();
      if (n === ']') return arr;
      arr.push(parseObject(lex, refs, n, depth + 1));
    }
  }
  if (t === '<<') {
    const dict = new PdfDict();
    for (;;) {
      const k = lex.next();
      if (k === '>>') return dict;
      if (!(k instanceof PdfName)) return unsupported('dictionary key is not a name');
      dict.map.set(k.name, parseObject(lex, refs, lex.next(), depth + 1));
    }
  }
  if (t instanceof PdfKeyword) {
    if (t.word === 'true') return true;
    if (t.word === 'false') return false;
    if (t.word === 'null') return null;
  }
  return unsupported(`unexpected token ${t instanceof PdfKeyword ? t.word : String(t)}`);
}

type XrefEntry = { type: 0 } | { type: 1; offset: number; gen: number } | { type: 2; stream: number; index: number };

/** Object streams decoded most recently (all of a page's small objects usually share one or two). */
const OBJSTM_CACHE = 4;

export class PdfObjectReader {
  readonly trailer: PdfDict;
  readonly #bytes: Uint8Array;
  readonly #xref = new Map<number, XrefEntry>();
  readonly #objStms = new Map<number, { offsets: Map<number, number>; data: Uint8Array; first: number }>();

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.trailer = this.#readXref();
    if (this.trailer.has('Encrypt')) unsupported('the file is encrypted');
  }

  /** Reads the cross-reference data (not the objects). Throws PdfUnsupported for anything it cannot follow. */
  static open(bytes: Uint8Array): PdfObjectReader {
    return new PdfObjectReader(bytes);
  }

  #readXref(): PdfDict {
    const b = this.#bytes;
    // §7.5.5: "startxref", the offset and %%EOF close the file; look in the last 1 KiB for the last startxref.
    const tail = latin1(b, Math.max(0, b.length - 1024), b.length);
    const at = tail.lastIndexOf('startxref');
    if (at < 0) unsupported('no startxref');
    const lex = new PdfLexer(b, Math.max(0, b.length - 1024) + at + 9);
    let offset = lex.next();
    let trailer: PdfDict | null = null;
    const seen = new Set<number>();
    while (typeof offset === 'number') {
      if (!Number.isInteger(offset) || offset < 0 || offset >= b.length || seen.has(offset)) unsupported('bad xref offset');
      seen.add(offset);
      const section = this.#readXrefSection(offset);
      trailer ??= section;
      const prev = section.getRaw('Prev');
      offset = typeof prev === 'number' ? prev : null;
    }
    if (!trailer) return unsupported('no trailer');
    return trailer;
  }

  /** One xref section (table or stream) → its trailer dictionary; entries already known from newer sections win. */
  #readXrefSection(offset: number): PdfDict {
    const lex = new PdfLexer(this.#bytes, offset);
    const first = lex.next();
    if (isKeyword(first, 'xref')) {
      const fresh = new Map<number, XrefEntry>();
      for (;;) {
        const t = lex.next();
        if (isKeyword(t, 'trailer')) break;
        const count = lex.next();
        if (typeof t !== 'number' || typeof count !== 'number' || !Number.isInteger(t) || !Number.isInteger(count) || count < 0) {
          return unsupported('malformed xref table');
        }
        for (let i = 0; i < count; i++) {
          const off = lex.next();
          const gen = lex.next();
          const kind = lex.next();
          if (typeof off !== 'number' || typeof gen !== 'number' || !(kind instanceof PdfKeyword)) return unsupported('malformed xref entry');
          if (kind.word === 'n') fresh.set(t + i, { type: 1, offset: off, gen });
          else if (kind.word === 'f') fresh.set(t + i, { type: 0 });
          else return unsupported('malformed xref entry');
        }
      }
      const trailer = parseObject(lex, true);
      if (!(trailer instanceof PdfDict)) return unsupported('malformed trailer');
      // Hybrid files (§7.5.8.4): objects in object streams are listed in XRefStm and free (or absent) here.
      const stm = trailer.getRaw('XRefStm');
      const hidden = typeof stm === 'number' ? this.#xrefStreamEntries(stm) : null;
      for (const [num, e] of fresh) {
        if (e.type === 0 && hidden?.has(num)) continue;
        if (!this.#xref.has(num)) this.#xref.set(num, e);
      }
      if (hidden) for (const [num, e] of hidden) if (!this.#xref.has(num)) this.#xref.set(num, e);
      return trailer;
    }
    lex.pos = offset;
    const { dict, entries } = this.#readXrefStream(offset);
    for (const [num, e] of entries) if (!this.#xref.has(num)) this.#xref.set(num, e);
    return dict;
  }

  #xrefStreamEntries(offset: number): Map<number, XrefEntry> {
    return this.#readXrefStream(offset).entries;
  }

  /** §7.5.8 cross-reference stream at `offset`. */
  #readXrefStream(offset: number): { dict: PdfDict; entries: Map<number, XrefEntry> } {
    const obj = this.#parseIndirectAt(offset, null);
    if (!(obj instanceof PdfStream) || nameOf(obj.dict.getRaw('Type')) !== 'XRef') return unsupported('xref offset does not point at an xref');
    const w = obj.dict.getRaw('W');
    if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 8)) {
      return unsupported('bad xref stream /W');
    }
    const [w0, w1, w2] = w as number[];
    const size = obj.dict.getRaw('Size');
    const index = obj.dict.getRaw('Index') ?? [0, typeof size === 'number' ? size : 0];
    if (!Array.isArray(index) || index.length % 2 || !index.every((x) => typeof x === 'number')) return unsupported('bad xref stream /Index');
    const data = decodeStreamSync(obj, this);
    const rowLen = w0! + w1! + w2!;
    const entries = new Map<number, XrefEntry>();
    let p = 0;
    const field = (n: number, dflt: number): number => {
      if (n === 0) return dflt;
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + data[p++]!;
      return v;
    };
    for (let s = 0; s < index.length; s += 2) {
      const start = index[s] as number;
      const count = index[s + 1] as number;
      for (let i = 0; i < count; i++) {
        if (p + rowLen > data.length) return unsupported('xref stream shorter than its /Index');
        const type = field(w0!, 1);
        const f2 = field(w1!, 0);
        const f3 = field(w2!, 0);
        if (type === 0) entries.set(start + i, { type: 0 });
        else if (type === 1) entries.set(start + i, { type: 1, offset: f2, gen: f3 });
        else if (type === 2) entries.set(start + i, { type: 2, stream: f2, index: f3 });
        // Other types are reserved and mean "null object" (§7.5.8.3): leave unset.
      }
    }
    return { dict: obj.dict, entries };
  }

  /** `num gen obj … endobj` at `offset`; checks the header names the object we asked for. */
  #parseIndirectAt(offset: number, want: PdfRef | null): PdfObject {
    const b = this.#bytes;
    if (offset < 0 || offset >= b.length) unsupported('object offset outside the file');
    const lex = new PdfLexer(b, offset);
    const num = lex.next();
    const gen = lex.next();
    const kw = lex.next();
    if (typeof num !== 'number' || typeof gen !== 'number' || !isKeyword(kw, 'obj')) return unsupported(`no object at byte ${offset}`);
    if (want && (num !== want.num || gen !== want.gen)) return unsupported(`xref points object ${want.num} at object ${num}`);
    const value = parseObject(lex, true);
    const save = lex.pos;
    const t = lex.next();
    if (value instanceof PdfDict && isKeyword(t, 'stream')) {
      // §7.3.8.1: the keyword is followed by CRLF or LF (a lone CR is tolerated, as most readers do).
      let start = lex.pos;
      if (b[start] === 13) start++;
      if (b[start] === 10) start++;
      const lengthRaw = value.getRaw('Length');
      const length = lengthRaw instanceof PdfRef ? this.resolve(lengthRaw) : lengthRaw;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || start + length > b.length) {
        return unsupported('stream without a usable /Length');
      }
      const after = new PdfLexer(b, start + length);
      if (!isKeyword(after.next(), 'endstream')) return unsupported('stream /Length does not end at endstream');
      return new PdfStream(value, b.subarray(start, start + length));
    }
    lex.pos = save;
    return value;
  }

  /** The object a reference points to (PdfUnsupported if it cannot be found for sure). Direct objects pass through. */
  resolve(obj: PdfObject | undefined, depth = 0): PdfObject {
    if (!(obj instanceof PdfRef)) return obj ?? null;
    if (depth > 16) unsupported('reference chain too long');
    const e = this.#xref.get(obj.num);
    if (!e || e.type === 0) return null; // §7.3.10: a reference to a missing object is null.
    if (e.type === 1) {
      if (e.gen !== obj.gen) return null;
      return this.resolve(this.#parseIndirectAt(e.offset, obj), depth + 1);
    }
    if (obj.gen !== 0) return null;
    return this.resolve(this.#fromObjectStream(e.stream, e.index, obj.num), depth + 1);
  }

  #fromObjectStream(stmNum: number, index: number, num: number): PdfObject {
    let stm = this.#objStms.get(stmNum);
    if (!stm) {
      const e = this.#xref.get(stmNum);
      if (!e || e.type !== 1) return unsupported('object stream not found');
      const s = this.#parseIndirectAt(e.offset, new PdfRef(stmNum, e.gen));
      if (!(s instanceof PdfStream) || nameOf(s.dict.getRaw('Type')) !== 'ObjStm') return unsupported('not an object stream');
      const n = s.dict.getRaw('N');
      const first = s.dict.getRaw('First');
      if (typeof n !== 'number' || typeof first !== 'number') return unsupported('object stream without /N or /First');
      const data = decodeStreamSync(s, this);
      const lex = new PdfLexer(data, 0, Math.min(first, data.length));
      const offsets = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const on = lex.next();
        const off = lex.next();
        if (typeof on !== 'number' || typeof off !== 'number') return unsupported('malformed object stream header');
        offsets.set(on, off);
      }
      stm = { offsets, data, first };
      if (this.#objStms.size >= OBJSTM_CACHE) this.#objStms.delete(this.#objStms.keys().next().value!);
      this.#objStms.set(stmNum, stm);
    }
    const off = stm.offsets.get(num);
    if (off === undefined) return unsupported(`object ${num} missing from its object stream`);
    void index; // the header's order is authoritative; /Index in the xref is only a hint
    return parseObject(new PdfLexer(stm.data, stm.first + off), true);
  }

  /** dict[key], references resolved. */
  get(dict: PdfDict, key: string): PdfObject {
    return this.resolve(dict.getRaw(key));
  }
}

export function nameOf(obj: PdfObject | undefined): string | null {
  return obj instanceof PdfName ? obj.name : null;
}

/** A stream's /Filter as a list of names (DecodeParms ignored here); null if it is malformed. */
export function filtersOf(stream: PdfStream, reader: PdfObjectReader): { names: string[]; parms: (PdfDict | null)[] } | null {
  const f = reader.resolve(stream.dict.getRaw('Filter') ?? stream.dict.getRaw('F'));
  const p = reader.resolve(stream.dict.getRaw('DecodeParms') ?? stream.dict.getRaw('DP'));
  const list = f === null ? [] : Array.isArray(f) ? f.map((x) => reader.resolve(x)) : [f];
  const names: string[] = [];
  for (const x of list) {
    const n = nameOf(x);
    if (n === null) return null;
    names.push(n);
  }
  const plist = p === null ? [] : Array.isArray(p) ? p.map((x) => reader.resolve(x)) : [p];
  const parms = names.map((_, i) => {
    const d = plist[i];
    return d instanceof PdfDict ? d : null;
  });
  return { names, parms };
}

/**
 * A small stream (content, xref, object stream) decoded: no filter, or Flate with an optional PNG/TIFF
 * predictor. Anything else is unsupported here. Output is bounded so a bomb cannot exhaust memory.
 */
export function decodeStreamSync(stream: PdfStream, reader: PdfObjectReader, maxBytes = 64 * 2 ** 20): Uint8Array {
  const f = filtersOf(stream, reader);
  if (!f) return unsupported('malformed /Filter');
  if (f.names.length === 0) return stream.raw;
  if (f.names.length !== 1 || (f.names[0] !== 'FlateDecode' && f.names[0] !== 'Fl')) return unsupported(`stream filter ${f.names.join(' ')}`);
  let out: Buffer;
  try {
    out = zlib.inflateSync(stream.raw, { maxOutputLength: maxBytes });
  } catch (e) {
    return unsupported(`Flate data does not decode (${(e as Error).message})`);
  }
  const data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  return applyPredictor(data, f.parms[0] ?? null, reader);
}

/** Reads /Predictor, /Colors, /BitsPerComponent, /Columns (§7.4.4.4) with their defaults. */
export function predictorParams(parms: PdfDict | null, reader: PdfObjectReader): { predictor: number; colors: number; bpc: number; columns: number } {
  const num = (k: string, d: number) => {
    const v = parms ? reader.get(parms, k) : null;
    return typeof v === 'number' ? v : d;
  };
  return { predictor: num('Predictor', 1), colors: num('Colors', 1), bpc: num('BitsPerComponent', 8), columns: num('Columns', 1) };
}

function applyPredictor(data: Uint8Array, parms: PdfDict | null, reader: PdfObjectReader): Uint8Array {
  const { predictor, colors, bpc, columns } = predictorParams(parms, reader);
  if (predictor === 1) return data;
  if (bpc !== 8) return unsupported(`predictor with ${bpc} bits per component`);
  if (predictor === 2) return tiffUnpredict(data, colors, columns);
  if (predictor >= 10 && predictor <= 15) return pngUnfilter(data, colors, columns);
  return unsupported(`predictor ${predictor}`);
}

/** TIFF predictor 2, 8-bit samples: each sample is stored as the difference to its left neighbour. */
export function tiffUnpredict(data: Uint8Array, colors: number, columns: number): Uint8Array {
  const rowLen = colors * columns;
  const out = new Uint8Array(data);
  for (let r = 0; r + rowLen <= out.length; r += rowLen) {
    for (let i = r + colors; i < r + rowLen; i++) out[i] = (out[i]! + out[i - colors]!) & 255;
  }
  return out;
}

/** PNG row filters (predictors 10–15): every row starts with its filter type byte (RFC 2083 §6). */
export function pngUnfilter(data: Uint8Array, colors: number, columns: number): Uint8Array {
  const bpp = colors;
  const rowLen = colors * columns;
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = new Uint8Array(rows * rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)]!;
    const src = r * (rowLen + 1) + 1;
    const dst = r * rowLen;
    const up = dst - rowLen;
    for (let i = 0; i < rowLen; i++) {
      const x = data[src + i]!;
      const a = i >= bpp ? out[dst + i - bpp]! : 0;
      const b = r > 0 ? out[up + i]! : 0;
      let v: number;
      switch (type) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const c = i >= bpp && r > 0 ? out[up + i - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          return unsupported(`PNG filter type ${type}`);
      }
      out[dst + i] = v & 255;
    }
  }
  return out;
}

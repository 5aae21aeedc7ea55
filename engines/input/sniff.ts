/**
 * What a file really is, from its first bytes. The extension is only used to word messages: a JPEG
 * named .png is read as the JPEG it is (with a warning), a text file named .png is refused with a line
 * that says it is text.
 */
import { OcrError } from '../errors.js';
import type { SniffedType } from './types.js';

export interface SniffResult {
  type: SniffedType;
  mimeType: string;
  /** Human name for messages ("PNG image"). */
  label: string;
}

const TYPES: Record<SniffedType, { mimeType: string; label: string; extensions: string[] }> = {
  png: { mimeType: 'image/png', label: 'PNG image', extensions: ['png'] },
  jpeg: { mimeType: 'image/jpeg', label: 'JPEG image', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'] },
  webp: { mimeType: 'image/webp', label: 'WebP image', extensions: ['webp'] },
  tiff: { mimeType: 'image/tiff', label: 'TIFF image', extensions: ['tif', 'tiff'] },
  bmp: { mimeType: 'image/bmp', label: 'BMP image', extensions: ['bmp', 'dib'] },
  gif: { mimeType: 'image/gif', label: 'GIF image', extensions: ['gif'] },
  pdf: { mimeType: 'application/pdf', label: 'PDF document', extensions: ['pdf'] },
};

export const SUPPORTED_TYPES_LINE = 'PNG, JPEG, WebP, TIFF, BMP, GIF and PDF';

/** Lower-case extensions (no dot) we pick up from folders. */
export const SUPPORTED_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(TYPES).flatMap((t) => t.extensions));

export function typeInfo(type: SniffedType): SniffResult {
  return { type, mimeType: TYPES[type].mimeType, label: TYPES[type].label };
}

export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The type a file name claims, or null for extensions we do not read. */
export function typeFromName(name: string): SniffedType | null {
  const ext = extensionOf(name);
  for (const [type, t] of Object.entries(TYPES) as [SniffedType, (typeof TYPES)[SniffedType]][]) {
    if (t.extensions.includes(ext)) return type;
  }
  return null;
}

function startsWith(bytes: Uint8Array, sig: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[offset + i] !== sig[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/** BITMAPINFOHEADER sizes a real BMP carries right after the 14-byte file header. */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/** PDF readers accept junk before the header within the first 1024 bytes (PDF 32000-1 annex H.3). */
const PDF_HEADER_SEARCH_BYTES = 1024;

/** The real type of `bytes`, or null when it is none we read. */
export function sniffType(bytes: Uint8Array): SniffResult | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return typeInfo('png');
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return typeInfo('jpeg');
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return typeInfo('webp');
  // Classic TIFF (42) and BigTIFF (43), both byte orders; libtiff reads all four.
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return typeInfo('tiff');
  }
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return typeInfo('gif');
  // "BM" alone is too weak (a text file may start with it): also require a known DIB header size.
  if (bytes.length >= 18 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const dibSize = bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24);
    if (BMP_DIB_HEADER_SIZES.has(dibSize)) return typeInfo('bmp');
  }
  if (findAscii(bytes, '%PDF-', PDF_HEADER_SEARCH_BYTES) >= 0) return typeInfo('pdf');
  return null;
}

function findAscii(bytes: Uint8Array, needle: string, limit: number): number {
  const end = Math.min(bytes.length, limit) - needle.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** Formats we recognise but do not read, so the message can say what the file is. */
function recogniseOther(bytes: Uint8Array): string | null {
  const head = ascii(bytes, 0, 16);
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (/^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(brand)) return 'a HEIC/HEIF image (not supported: export it as JPEG or PNG)';
    if (/^avi[fs]$/.test(brand)) return 'an AVIF image (not supported: export it as JPEG or PNG)';
    return 'an MP4/QuickTime media file';
  }
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    return 'a ZIP archive (Word, Excel, OpenDocument and EPUB files are ZIP archives too)';
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) {
    return 'a JPEG 2000 image (not supported)';
  }
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) {
    return 'a JPEG XL image (not supported)';
  }
  if (head.startsWith('AT&TFORM')) return 'a DjVu document (not supported)';
  if (head.startsWith('8BPS')) return 'a Photoshop PSD file (not supported)';
  if (head.startsWith('%!PS')) return 'a PostScript file (not supported: convert it to PDF)';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'a gzip-compressed file';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'a Windows icon (not supported)';
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) return 'an old-style Microsoft Office document';
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46]) || startsWith(bytes, [0x4d, 0x5a])) return 'a program (executable)';
  const text = decodeTextPrefix(bytes);
  if (text !== null) {
    const trimmed = text.trimStart().toLowerCase();
    if (trimmed.startsWith('<svg') || (trimmed.startsWith('<?xml') && trimmed.includes('<svg'))) {
      return 'an SVG drawing (not supported: export it as PNG)';
    }
    if (trimmed.startsWith('<!doctype html') || trimmed.startsWith('<html')) return 'an HTML web page';
    if (trimmed.startsWith('{\\rtf')) return 'an RTF document';
    if (trimmed.startsWith('<?xml')) return 'an XML file';
    const firstLine = text.trim().split(/\r?\n/, 1)[0] ?? '';
    const shown = firstLine.length > 40 ? `${firstLine.slice(0, 40)}…` : firstLine;
    return shown ? `plain text (it starts "${shown}")` : 'plain text (only whitespace)';
  }
  return null;
}

/** The first 512 bytes as text when they look like text (valid UTF-8, no NUL, few control characters). */
function decodeTextPrefix(bytes: Uint8Array): string | null {
  // Cut at 512 bytes, then back off a partial UTF-8 sequence so the decoder does not reject it.
  let end = Math.min(bytes.length, 512);
  if (end < bytes.length) {
    let back = 0;
    while (back < 3 && end - back > 0 && (bytes[end - back - 1]! & 0xc0) === 0x80) back++;
    if (end - back > 0 && bytes[end - back - 1]! >= 0xc0) end = end - back - 1;
  }
  const prefix = bytes.subarray(0, end);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(prefix);
  } catch {
    return null;
  }
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return null;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  return control <= text.length * 0.02 ? text.replace(/^\uFEFF/, '') : null;
}

/** "plain text (…)", "a ZIP archive", or "unrecognised binary data (first bytes 4D 5A …)". */
export function describeContent(bytes: Uint8Array): string {
  const known = sniffType(bytes);
  if (known) return `a ${known.label}`;
  const other = recogniseOther(bytes);
  if (other) return other;
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
  return `unrecognised binary data (first bytes ${hex})`;
}

/**
 * The type to read `bytes` as, or a typed OcrError: EMPTY_FILE for 0 bytes; UNSUPPORTED_TYPE when the
 * content is something else (text, ZIP, HEIC…); CORRUPT_FILE when the name claims a type we read but
 * the content is unrecognisable (a damaged or mislabelled file).
 */
export function sniffOrThrow(bytes: Uint8Array, name: string): SniffResult & { warnings: string[] } {
  if (bytes.length === 0) {
    throw new OcrError('EMPTY_FILE', `${name} is empty (0 bytes).`, { file: name });
  }
  const found = sniffType(bytes);
  const claimed = typeFromName(name);
  if (found) {
    const warnings =
      claimed && claimed !== found.type
        ? [`${name} is named like a ${TYPES[claimed].label} but is a ${found.label}; reading it as a ${found.label}.`]
        : [];
    return { ...found, warnings };
  }
  const other = recogniseOther(bytes);
  if (claimed && other === null) {
    throw new OcrError(
      'CORRUPT_FILE',
      `${name} is not a valid ${TYPES[claimed].label}: its content is ${describeContent(bytes)}. The file may be damaged.`,
      { file: name },
    );
  }
  throw new OcrError(
    'UNSUPPORTED_TYPE',
    `${name} is not an image or PDF that Lucid OCR can read: it is ${describeContent(bytes)}. ` +
      `Supported: ${SUPPORTED_TYPES_LINE}.`,
    { file: name },
  );
}

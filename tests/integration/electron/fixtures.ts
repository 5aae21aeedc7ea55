/** Synthetic inputs with known text for the process-layer integration tests (made at test time, no files). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import sharp from 'sharp';

/** One line of black DejaVu Sans text on white, as PNG. */
export async function textImagePng(text: string, opts: { width?: number; height?: number; fontSize?: number } = {}): Promise<Uint8Array> {
  const width = opts.width ?? 900;
  const height = opts.height ?? 200;
  const fontSize = opts.fontSize ?? 48;
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/><text x="40" y="${Math.round(height / 2 + fontSize / 3)}" font-family="DejaVu Sans" font-size="${fontSize}" fill="black">${escaped}</text></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A PDF with one short line of Helvetica per page; small pages so OCR of each is quick on CPU. */
export async function multiPagePdf(lines: readonly string[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const line of lines) {
    const page = pdf.addPage([360, 100]);
    page.drawText(line, { x: 20, y: 40, size: 28, font, color: rgb(0, 0, 0) });
  }
  return pdf.save();
}

/** Distinct words, one per page, that PP-OCR reads reliably. */
export const PAGE_WORDS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Hotel', 'India'] as const;

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `lucid-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

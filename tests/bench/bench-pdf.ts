/**
 * The benchmark's many-page PDF: the first page of each scanned fixture PDF, embedded once and drawn again and
 * again (cycling) for `pages` pages, so the file stays small however many pages it has. Written to `file`.
 */
import fs from 'node:fs';
import { PDFDocument } from 'pdf-lib';

export async function writeScanPdf(scanPdfs: readonly string[], pages: number, file: string): Promise<string> {
  const out = await PDFDocument.create();
  const embedded = [];
  for (const s of scanPdfs) embedded.push(...(await out.embedPdf(await PDFDocument.load(fs.readFileSync(s)), [0])));
  for (let i = 0; i < pages; i++) {
    const e = embedded[i % embedded.length]!;
    out.addPage([e.width, e.height]).drawPage(e, { x: 0, y: 0, width: e.width, height: e.height });
  }
  fs.writeFileSync(file, await out.save());
  return file;
}

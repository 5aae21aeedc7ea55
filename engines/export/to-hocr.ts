// hOCR 1.2 export (http://kba.github.io/hocr-spec/1.2/): XHTML with ocr_page / ocr_carea / ocr_par / ocr_line /
// ocrx_word, bbox and x_wconf, laid out like Tesseract's hOCR renderer so tools built for it (hocr-tools,
// OCRmyPDF's hocrtransform, gImageReader) read ours.
import type { Line, OcrDocument, Page, Word } from '../types.js';
import { needsSpaceBetween } from '../layout/words.js';
import { escapeXml, pixelBox, quadThickness, readingAngle, rectQuad } from './xml.js';

export interface HocrOptions {
  /** BCP 47 language of the text, written as lang/xml:lang on <html>; omitted by default (unknown). */
  lang?: string;
}

function bbox(box: [number, number, number, number]): string {
  return `bbox ${box.join(' ')}`;
}

/** hOCR properties of a line: bbox, then baseline (left-to-right lines) or textangle (rotated ones), x_size. */
function lineTitle(line: Line, page: Page): string {
  const box = pixelBox(line.quad, page.width, page.height);
  const parts = [bbox(box)];
  const { quarterTurns } = readingAngle(line.quad);
  if (quarterTurns === 0) {
    // Baseline from the quad's bottom edge (the box bottom: PP-OCR gives no separate baseline), as slope and
    // offset from the bbox's bottom-left corner.
    const [, , p2, p3] = line.quad;
    const slope = p2[0] !== p3[0] ? (p2[1] - p3[1]) / (p2[0] - p3[0]) : 0;
    const yAtLeft = p3[1] + slope * (box[0] - p3[0]);
    parts.push(`baseline ${Number(slope.toFixed(3))} ${Math.round(yAtLeft - box[3])}`);
  } else {
    // Degrees counter-clockwise by which the text is rotated relative to its bbox.
    parts.push(`textangle ${quarterTurns * 90}`);
  }
  parts.push(`x_size ${Number(quadThickness(line.quad).toFixed(1))}`);
  return parts.join('; ');
}

function wordSpan(word: Word, id: string, page: Page): string {
  const conf = Math.round(Math.min(1, Math.max(0, word.confidence)) * 100);
  return `<span class="ocrx_word" id="${id}" title="${bbox(pixelBox(word.quad, page.width, page.height))}; x_wconf ${conf}">${escapeXml(word.text)}</span>`;
}

function lineElement(line: Line, page: Page, indent: string): string {
  const words: Word[] = line.words.length ? line.words : [{ text: line.text, quad: line.quad, confidence: line.confidence }];
  let body = '';
  words.forEach((w, k) => {
    const span = wordSpan(w, `${line.id}-w${k}`, page);
    // Whitespace between word elements is a word break to hOCR readers; adjacent CJK characters get none.
    if (k === 0) body += `\n${indent} ${span}`;
    else body += needsSpaceBetween(words[k - 1]!.text, w.text) ? `\n${indent} ${span}` : span;
  });
  return `${indent}<span class="ocr_line" id="${line.id}" title="${escapeXml(lineTitle(line, page))}">${body}\n${indent}</span>`;
}

function pageElement(page: Page, imageName: string): string {
  const props = [`image "${imageName.replace(/["\\]/g, '\\$&')}"`, `bbox 0 0 ${Math.round(page.width)} ${Math.round(page.height)}`, `ppageno ${page.index}`];
  if (page.dpi) props.push(`scan_res ${Math.round(page.dpi)} ${Math.round(page.dpi)}`);
  const out: string[] = [`  <div class="ocr_page" id="page_${page.index + 1}" title="${escapeXml(props.join('; '))}">`];
  for (const block of page.blocks) {
    const box = bbox(pixelBox(rectQuad(block.bbox), page.width, page.height));
    out.push(`   <div class="ocr_carea" id="${block.id}" title="${box}">`);
    out.push(`    <p class="ocr_par" id="${block.id}-par" title="${box}">`);
    for (const line of block.lines) out.push(lineElement(line, page, '     '));
    out.push('    </p>', '   </div>');
  }
  out.push('  </div>');
  return out.join('\n');
}

/**
 * hOCR 1.2 of the recognised pages (failed pages are left out; ppageno keeps each page's index). One ocr_carea
 * with one ocr_par per block; ids are the JSON's block and line ids (words: `{lineId}-w{k}`). Boxes are integer
 * page pixels around each quad; rotated lines carry textangle (counter-clockwise), others a baseline.
 */
export function toHocr(doc: OcrDocument, options: HocrOptions = {}): string {
  const lang = options.lang ? ` xml:lang="${escapeXml(options.lang)}" lang="${escapeXml(options.lang)}"` : '';
  const head = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"',
    '    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    `<html xmlns="http://www.w3.org/1999/xhtml"${lang}>`,
    ' <head>',
    `  <title>${escapeXml(doc.source.name)}</title>`,
    '  <meta http-equiv="Content-Type" content="text/html;charset=utf-8" />',
    `  <meta name="ocr-system" content="${escapeXml(`${doc.engine.name} ${doc.engine.version}`)}" />`,
    '  <meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf" />',
    `  <meta name="ocr-number-of-pages" content="${doc.source.pageCount}" />`,
    ' </head>',
    ' <body>',
  ];
  const pages = doc.pages.slice().sort((a, b) => a.index - b.index).map((p) => pageElement(p, doc.source.name));
  return [...head, ...pages, ' </body>', '</html>', ''].join('\n');
}

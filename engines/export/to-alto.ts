// ALTO v4 export (https://www.loc.gov/standards/alto/, schema alto-4-2.xsd): Description, then
// Layout/Page/PrintSpace/TextBlock/TextLine/String with SP between words, in pixels.
import type { Line, OcrDocument, Page, Word } from '../types.js';
import { needsSpaceBetween } from '../layout/words.js';
import { escapeXml, pixelBox, readingAngle, rectQuad } from './xml.js';

const ALTO_NS = 'http://www.loc.gov/standards/alto/ns-v4#';
const ALTO_XSD = 'http://www.loc.gov/alto/v4/alto-4-2.xsd';

function pos(box: [number, number, number, number]): string {
  return `HPOS="${box[0]}" VPOS="${box[1]}" WIDTH="${box[2] - box[0]}" HEIGHT="${box[3] - box[1]}"`;
}

/** WC / PC: confidence 0..1 with 3 decimals (ALTO's WCType and PCType are 0..1 floats). */
function conf(c: number): string {
  return String(Number(Math.min(1, Math.max(0, c)).toFixed(3)));
}

function textLine(line: Line, page: Page, indent: string): string {
  const lineBox = pixelBox(line.quad, page.width, page.height);
  const words: Word[] = line.words.length ? line.words : [{ text: line.text, quad: line.quad, confidence: line.confidence }];
  const parts: string[] = [];
  words.forEach((w, k) => {
    const box = pixelBox(w.quad, page.width, page.height);
    if (k > 0 && needsSpaceBetween(words[k - 1]!.text, w.text)) {
      // SP covers the whitespace between the two word boxes along x, whichever way the line runs on the page.
      const prev = pixelBox(words[k - 1]!.quad, page.width, page.height);
      const [spLeft, spRight] = box[0] >= prev[2] ? [prev[2], box[0]] : prev[0] >= box[2] ? [box[2], prev[0]] : [Math.min(prev[2], box[2]), Math.min(prev[2], box[2])];
      parts.push(`${indent}  <SP HPOS="${spLeft}" VPOS="${lineBox[1]}" WIDTH="${spRight - spLeft}"/>`);
    }
    parts.push(`${indent}  <String ID="${line.id}-w${k}" ${pos(box)} CONTENT="${escapeXml(w.text)}" WC="${conf(w.confidence)}"/>`);
  });
  return [`${indent}<TextLine ID="${line.id}" ${pos(lineBox)}>`, ...parts, `${indent}</TextLine>`].join('\n');
}

function pageElement(page: Page, physicalNumber: number): string {
  const W = Math.round(page.width);
  const H = Math.round(page.height);
  const lineConfs = page.blocks.flatMap((b) => b.lines.map((l) => l.confidence));
  const pc = lineConfs.length ? ` PC="${conf(lineConfs.reduce((a, b) => a + b, 0) / lineConfs.length)}"` : '';
  const out: string[] = [
    `    <Page ID="page_${page.index + 1}" PHYSICAL_IMG_NR="${physicalNumber}" WIDTH="${W}" HEIGHT="${H}"${pc}>`,
    `      <PrintSpace ID="page_${page.index + 1}-ps" HPOS="0" VPOS="0" WIDTH="${W}" HEIGHT="${H}">`,
  ];
  for (const block of page.blocks) {
    if (block.lines.length === 0) continue;
    const box = pixelBox(rectQuad(block.bbox), page.width, page.height);
    // ROTATION: degrees counter-clockwise of the block's text, for rotated text only (as its first line reads).
    const turns = readingAngle(block.lines[0]!.quad).quarterTurns;
    const rotation = turns ? ` ROTATION="${turns * 90}"` : '';
    out.push(`        <TextBlock ID="${block.id}" ${pos(box)}${rotation}>`);
    for (const line of block.lines) out.push(textLine(line, page, '          '));
    out.push('        </TextBlock>');
  }
  out.push('      </PrintSpace>', '    </Page>');
  return out.join('\n');
}

/**
 * ALTO v4 XML of the recognised pages (failed pages are left out), MeasurementUnit pixel. Each block is a
 * TextBlock, each line a TextLine, each word a String with WC (0..1) and an SP between words (none between
 * adjacent CJK characters). IDs are the JSON's ids; PHYSICAL_IMG_NR is the 1-based page number.
 */
export function toAlto(doc: OcrDocument): string {
  const e = doc.engine;
  const description = [
    '  <Description>',
    '    <MeasurementUnit>pixel</MeasurementUnit>',
    '    <sourceImageInformation>',
    `      <fileName>${escapeXml(doc.source.path ?? doc.source.name)}</fileName>`,
    '    </sourceImageInformation>',
    '    <Processing ID="OCR_0">',
    `      <processingDateTime>${escapeXml(doc.createdAt)}</processingDateTime>`,
    '      <processingSoftware>',
    `        <softwareName>${escapeXml(e.name)}</softwareName>`,
    `        <softwareVersion>${escapeXml(e.version)}</softwareVersion>`,
    `        <applicationDescription>${escapeXml(`PaddleOCR PP-OCR models on ONNX Runtime ${e.onnxruntimeVersion} (${e.precision}): det ${e.models.det}, cls ${e.models.cls}, rec ${e.models.rec}`)}</applicationDescription>`,
    '      </processingSoftware>',
    '    </Processing>',
    '  </Description>',
  ];
  const pages = doc.pages.slice().sort((a, b) => a.index - b.index).map((p) => pageElement(p, p.index + 1));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alto xmlns="${ALTO_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${ALTO_NS} ${ALTO_XSD}">`,
    ...description,
    '  <Layout>',
    ...pages,
    '  </Layout>',
    '</alto>',
    '',
  ].join('\n');
}

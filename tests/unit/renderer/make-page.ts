/** Builds small but complete `Page` objects for renderer unit tests (words laid out left to right). */
import type { Line, Page, Quad, Word } from '../../../engines/types.js';

const CHAR_W = 10;
const LINE_H = 20;

function rectQuad(x: number, y: number, w: number, h: number): Quad {
  return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
}

/** `blocks` is a list of blocks, each a list of lines, each line the words' texts. */
export function makePage(index: number, blocks: string[][][], confidence = 0.9): Page {
  let lineNo = 0;
  let y = 10;
  const outBlocks = blocks.map((lines, b) => {
    const top = y;
    const outLines: Line[] = lines.map((wordTexts) => {
      let x = 10;
      const words: Word[] = wordTexts.map((text) => {
        const w: Word = { text, quad: rectQuad(x, y, text.length * CHAR_W, LINE_H), confidence };
        x += (text.length + 1) * CHAR_W;
        return w;
      });
      const line: Line = {
        id: `p${index}-l${lineNo++}`,
        text: wordTexts.join(' '),
        confidence,
        quad: rectQuad(10, y, Math.max(CHAR_W, x - 10 - CHAR_W), LINE_H),
        words,
      };
      y += LINE_H + 5;
      return line;
    });
    y += 15;
    return { id: `p${index}-b${b}`, bbox: { x: 10, y: top, width: 500, height: y - top }, lines: outLines };
  });
  return {
    index,
    width: 600,
    height: Math.max(100, y + 10),
    rotation: 0,
    rotationConfidence: 1,
    source: 'image',
    blocks: outBlocks,
    text: outBlocks.map((b) => b.lines.map((l) => l.text).join('\n')).join('\n\n'),
    timings: {
      decodeMs: 1, detPreMs: 1, detRunMs: 1, detPostMs: 1, cropMs: 1, clsMs: 1,
      recPreMs: 1, recRunMs: 1, recPostMs: 1, layoutMs: 1, totalMs: 10,
    },
    providers: [],
    warnings: [],
  };
}

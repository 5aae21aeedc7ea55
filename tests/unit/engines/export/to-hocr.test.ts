import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toHocr } from '../../../../engines/export/to-hocr.js';
import { findAll, parseXml, type XmlElement } from './mini-xml.js';
import { sampleDocument } from './sample-document.js';

const byClass = (root: XmlElement, cls: string) => findAll(root, (e) => e.attrs.class === cls);
const prop = (e: XmlElement, name: string) => new RegExp(`(?:^|; )${name} ([^;]*)`).exec(e.attrs.title ?? '')?.[1];

describe('toHocr', () => {
  const doc = sampleDocument();
  const hocr = toHocr(doc);
  const root = parseXml(hocr);

  test('well-formed XHTML with the hOCR metadata', () => {
    assert.equal(root.name, 'html');
    assert.equal(root.attrs.xmlns, 'http://www.w3.org/1999/xhtml');
    const meta = Object.fromEntries(findAll(root, (e) => e.name === 'meta' && !!e.attrs.name).map((m) => [m.attrs.name, m.attrs.content]));
    assert.equal(meta['ocr-system'], 'lucid-ocr 0.1.0');
    assert.deepEqual(meta['ocr-capabilities']!.split(' ').sort(), ['ocr_carea', 'ocr_line', 'ocr_page', 'ocr_par', 'ocrp_wconf', 'ocrx_word']);
    const ids = findAll(root, (e) => !!e.attrs.id).map((e) => e.attrs.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  });

  test('pages → carea → par → line → word, with bbox, ppageno, scan_res and x_wconf', () => {
    const pages = byClass(root, 'ocr_page');
    assert.deepEqual(pages.map((p) => prop(p, 'ppageno')), ['0', '1', '3']);
    assert.equal(prop(pages[0]!, 'bbox'), '0 0 1000 700');
    assert.equal(prop(pages[0]!, 'scan_res'), '300 300');
    assert.equal(prop(pages[0]!, 'image'), '"scan & notes.pdf"');
    for (const carea of byClass(root, 'ocr_carea')) {
      assert.deepEqual(carea.children.map((c) => c.attrs.class), ['ocr_par']);
      for (const line of carea.children[0]!.children) {
        assert.equal(line.attrs.class, 'ocr_line');
        assert.ok(line.children.every((w) => w.attrs.class === 'ocrx_word'));
      }
    }
    // Reading order and text survive: the page's lines, word by word.
    const page0Lines = byClass(pages[0]!, 'ocr_line').map((l) => l.children.map((w) => w.text).join(' '));
    assert.deepEqual(page0Lines, doc.pages[0]!.blocks.flatMap((b) => b.lines.map((l) => l.text)));
    const word = byClass(pages[0]!, 'ocrx_word')[0]!;
    assert.equal(word.text, 'Results');
    assert.equal(prop(word, 'bbox'), '200 40 345 80');
    assert.equal(prop(word, 'x_wconf'), String(Math.round(doc.pages[0]!.blocks[0]!.lines[0]!.words[0]!.confidence * 100)));
  });

  test('special characters are escaped and come back intact', () => {
    const words = byClass(root, 'ocrx_word').map((w) => w.text);
    assert.ok(words.includes('<Discussion>'));
    assert.ok(words.includes('"2024"'));
    assert.ok(words.includes("'quoted'"));
    assert.ok(hocr.includes('&lt;Discussion&gt;'));
  });

  test('adjacent CJK word spans have no whitespace between them; Latin words do', () => {
    const cjkLine = byClass(root, 'ocr_line').find((l) => l.attrs.id === 'p1-l0')!;
    assert.deepEqual(cjkLine.children.map((w) => w.text), ['你', '好', '世', '界', 'OCR', '测', '试']);
    // texts[k] is what precedes word k: nothing between CJK characters, whitespace around the Latin word.
    assert.deepEqual(cjkLine.texts.slice(1, 7).map((t) => (t.trim() === '' && t.length > 0 ? 'ws' : t)), ['', '', '', 'ws', 'ws', '']);
  });

  test('left-to-right lines carry a baseline; upside-down lines carry textangle 180 instead', () => {
    const lines = byClass(root, 'ocr_line');
    const upright = lines.find((l) => l.attrs.id === 'p0-l0')!;
    assert.equal(prop(upright, 'baseline'), '0 0');
    assert.equal(prop(upright, 'x_size'), '40');
    const flipped = lines.filter((l) => l.attrs.id!.startsWith('p3-'));
    assert.ok(flipped.length === 2);
    for (const l of flipped) {
      assert.equal(prop(l, 'textangle'), '180');
      assert.equal(prop(l, 'baseline'), undefined);
    }
  });

  test('characters XML cannot carry are dropped rather than breaking the file', () => {
    const d = sampleDocument();
    d.pages[0]!.blocks[0]!.lines[0]!.words[0]!.text = 'bad\u0001\uFFFEchar\uD800';
    const parsed = parseXml(toHocr(d));
    assert.equal(byClass(parsed, 'ocrx_word')[0]!.text, 'badchar');
  });
});

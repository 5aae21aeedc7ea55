import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toAlto } from '../../../../engines/export/to-alto.js';
import { findAll, parseXml, type XmlElement } from './mini-xml.js';
import { sampleDocument } from './sample-document.js';

const named = (root: XmlElement, name: string) => findAll(root, (e) => e.name === name);
const num = (e: XmlElement, a: string) => Number(e.attrs[a]);

describe('toAlto', () => {
  const doc = sampleDocument();
  const root = parseXml(toAlto(doc));

  test('ALTO v4 root and Description in schema order', () => {
    assert.equal(root.name, 'alto');
    assert.equal(root.attrs.xmlns, 'http://www.loc.gov/standards/alto/ns-v4#');
    assert.match(root.attrs['xsi:schemaLocation']!, /^http:\/\/www\.loc\.gov\/standards\/alto\/ns-v4# http:\/\/www\.loc\.gov\/alto\/v4\/alto-4-2\.xsd$/);
    assert.deepEqual(root.children.map((c) => c.name), ['Description', 'Layout']);
    const description = root.children[0]!;
    assert.deepEqual(description.children.map((c) => c.name), ['MeasurementUnit', 'sourceImageInformation', 'Processing']);
    assert.equal(description.children[0]!.text, 'pixel');
    const software = named(description, 'processingSoftware')[0]!;
    assert.deepEqual(software.children.map((c) => c.name), ['softwareName', 'softwareVersion', 'applicationDescription']);
    const ids = findAll(root, (e) => !!e.attrs.ID).map((e) => e.attrs.ID!);
    assert.equal(new Set(ids).size, ids.length, 'IDs are unique');
    assert.ok(ids.every((id) => /^[A-Za-z_][\w.-]*$/.test(id)), 'IDs are NCNames');
  });

  test('Page/PrintSpace/TextBlock/TextLine/String with integer pixel positions and WC in 0..1', () => {
    const pages = named(root, 'Page');
    assert.deepEqual(pages.map((p) => p.attrs.PHYSICAL_IMG_NR), ['1', '2', '4']);
    assert.deepEqual([pages[0]!.attrs.WIDTH, pages[0]!.attrs.HEIGHT], ['1000', '700']);
    for (const p of pages) {
      assert.deepEqual(p.children.map((c) => c.name), ['PrintSpace']);
      for (const block of p.children[0]!.children) {
        assert.equal(block.name, 'TextBlock');
        for (const line of block.children) {
          assert.equal(line.name, 'TextLine');
          assert.ok(line.children.length > 0 && line.children[0]!.name === 'String');
          for (const a of ['HPOS', 'VPOS', 'WIDTH', 'HEIGHT']) assert.ok(Number.isInteger(num(line, a)), a);
        }
      }
    }
    for (const s of named(root, 'String')) {
      assert.ok(num(s, 'WC') >= 0 && num(s, 'WC') <= 1);
      assert.ok(s.attrs.CONTENT!.length > 0);
    }
    const first = named(root, 'String')[0]!;
    assert.deepEqual([first.attrs.CONTENT, first.attrs.HPOS, first.attrs.VPOS, first.attrs.WIDTH, first.attrs.HEIGHT], ['Results', '200', '40', '145', '40']);
  });

  test('words read back in order per line; SP between Latin words, none between CJK characters', () => {
    const lines = named(root, 'TextLine');
    const text = (l: XmlElement) => l.children.map((c) => (c.name === 'SP' ? ' ' : c.attrs.CONTENT)).join('');
    assert.deepEqual(lines.map(text), doc.pages.flatMap((p) => p.blocks.flatMap((b) => b.lines.map((l) => l.text))));
    const cjk = lines.find((l) => l.attrs.ID === 'p1-l0')!;
    assert.deepEqual(cjk.children.map((c) => c.name), ['String', 'String', 'String', 'String', 'SP', 'String', 'SP', 'String', 'String']);
    // An SP sits in the gap between its neighbours.
    const [a, sp, b] = lines[0]!.children;
    assert.equal(sp!.name, 'SP');
    assert.equal(num(sp!, 'HPOS'), num(a!, 'HPOS') + num(a!, 'WIDTH'));
    assert.equal(num(sp!, 'HPOS') + num(sp!, 'WIDTH'), num(b!, 'HPOS'));
  });

  test('escaping, and ROTATION on blocks of upside-down text only', () => {
    const contents = named(root, 'String').map((s) => s.attrs.CONTENT);
    for (const w of ['&', '<Discussion>', '"2024"', "'quoted'"]) assert.ok(contents.includes(w), w);
    const blocks = named(root, 'TextBlock');
    assert.deepEqual(blocks.filter((b) => b.attrs.ROTATION).map((b) => [b.attrs.ID, b.attrs.ROTATION]), [['p3-b0', '180']]);
    assert.equal(named(root, 'fileName')[0]!.text, '/tmp/scan.pdf');
  });
});

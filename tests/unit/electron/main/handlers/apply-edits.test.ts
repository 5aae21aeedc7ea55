import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits } from '../../../../../electron/main/handlers/apply-edits.js';
import type { Line, OcrDocument, Page, Quad } from '../../../../../engines/types.js';

const quad = (x: number, y: number, w: number, h: number): Quad => [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
const line = (id: string, text: string, y: number): Line => ({ id, text, confidence: 0.8, quad: quad(10, y, 300, 30), words: [{ text, quad: quad(10, y, 300, 30), confidence: 0.8 }] });

function doc(): OcrDocument {
  const page: Page = {
    index: 0, width: 400, height: 200, rotation: 0, rotationConfidence: 1, source: 'image',
    blocks: [{ id: 'p0-b0', bbox: { x: 10, y: 10, width: 300, height: 80 }, lines: [line('p0-l0', 'Helo world', 10), line('p0-l1', 'second line', 50)] }],
    text: 'Helo world\nsecond line',
    timings: { decodeMs: 0, detPreMs: 0, detRunMs: 0, detPostMs: 0, cropMs: 0, clsMs: 0, recPreMs: 0, recRunMs: 0, recPostMs: 0, layoutMs: 0, totalMs: 0 },
    providers: [], warnings: [],
  };
  return { $schema: 'https://lucid-ocr.dev/schema/document/v1', schemaVersion: 1, source: { name: 'a.png', sha256: '0', mimeType: 'image/png', byteLength: 1, pageCount: 1 }, pages: [page], failures: [], engine: { name: 'lucid-ocr', version: '0', onnxruntimeVersion: '0', models: { det: '', cls: '', rec: '', dict: '' }, precision: 'fp32', providers: [] }, createdAt: '2025-01-01T00:00:00Z' };
}

describe('applyEdits', () => {
  test('replaces the line text, re-splits words along the same quad, rebuilds page text', () => {
    const original = doc();
    const out = applyEdits(original, { 'p0-l0': 'Hello brave world' });
    const l = out.pages[0]!.blocks[0]!.lines[0]!;
    assert.equal(l.text, 'Hello brave world');
    assert.equal(l.confidence, 1);
    assert.deepEqual(l.words.map((w) => w.text), ['Hello', 'brave', 'world']);
    // Words stay inside the line's box, left to right.
    for (const w of l.words) for (const [x, y] of w.quad) assert.ok(x >= 10 - 1e-9 && x <= 310 + 1e-9 && y >= 10 && y <= 40);
    assert.ok(l.words[0]!.quad[1][0] <= l.words[1]!.quad[0][0] + 1e-9);
    assert.equal(out.pages[0]!.text, 'Hello brave world\nsecond line');
    // The stored result is untouched.
    assert.equal(original.pages[0]!.blocks[0]!.lines[0]!.text, 'Helo world');
    assert.equal(original.pages[0]!.text, 'Helo world\nsecond line');
  });

  test('no edits, or edits for lines that no longer exist, change nothing', () => {
    const d = doc();
    assert.equal(applyEdits(d, undefined), d);
    assert.equal(applyEdits(d, {}), d);
    assert.deepEqual(applyEdits(d, { 'p3-l9': 'gone' }), d);
  });
});

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OcrError } from '../../../../engines/errors.js';
import { loadDictionary, parseDictionary, PPOCR_V4_REC_CLASS_COUNT } from '../../../../engines/rec/dictionary.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lucid-dict-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content, 'utf8');
  return p;
}

describe('parseDictionary', () => {
  test('blank first, the lines in order, space last', () => {
    assert.deepEqual(parseDictionary('a\nb\nc'), ['blank', 'a', 'b', 'c', ' ']);
  });

  test('a trailing newline does not add an empty class (PaddleOCR\'s copy ends with one)', () => {
    assert.deepEqual(parseDictionary('a\nb\nc\n'), parseDictionary('a\nb\nc'));
  });

  test('\\r\\n line ends are stripped, with or without a trailing one', () => {
    assert.deepEqual(parseDictionary('a\r\nb\r\nc\r\n'), ['blank', 'a', 'b', 'c', ' ']);
    assert.deepEqual(parseDictionary('a\r\nb\r\nc'), ['blank', 'a', 'b', 'c', ' ']);
  });

  test('a UTF-8 byte-order mark does not stick to the first key', () => {
    assert.equal(parseDictionary('\ufeffx\ny')[1], 'x');
  });

  test('empty lines in the middle keep their index', () => {
    assert.deepEqual(parseDictionary('a\n\nb\n'), ['blank', 'a', '', 'b', ' ']);
  });

  test('wrong class count: MODEL_LOAD_FAILED naming both counts', () => {
    assert.throws(
      () => parseDictionary('a\nb\nc\n', 6625, 'keys.txt'),
      (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED' && /keys\.txt/.test(e.message) && /5 classes/.test(e.message) && /6625/.test(e.message),
    );
  });
});

describe('loadDictionary', () => {
  test('files with and without the trailing newline give the same table', () => {
    const keys = Array.from({ length: PPOCR_V4_REC_CLASS_COUNT - 2 }, (_, i) => String.fromCodePoint(0x4e00 + i));
    const a = loadDictionary(file('with.txt', keys.join('\n') + '\n'));
    const b = loadDictionary(file('without.txt', keys.join('\n')));
    const c = loadDictionary(file('crlf.txt', keys.join('\r\n') + '\r\n'));
    assert.equal(a.length, PPOCR_V4_REC_CLASS_COUNT);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.equal(a[a.length - 1], ' ');
  });

  test('the shipped ppocr_keys_v1.txt matches PP-OCRv4 rec: 6625 classes, space last', () => {
    const table = loadDictionary(resolveModelPaths().dict);
    assert.equal(table.length, 6625);
    assert.equal(table[0], 'blank');
    assert.equal(table[6624], ' ');
    assert.ok(table.slice(1, -1).every((k) => k.length > 0 && !k.includes('\r')), 'no empty or \\r-tainted keys');
  });

  test('a dictionary of the wrong size is refused', () => {
    assert.throws(() => loadDictionary(file('short.txt', 'a\nb\n')), (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED');
  });

  test('a missing file is MODEL_LOAD_FAILED', () => {
    assert.throws(() => loadDictionary(path.join(dir, 'nope.txt')), (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED');
  });
});

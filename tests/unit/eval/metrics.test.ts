import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cer, editDistance, pooled, tokenize, wer } from '../../eval/metrics.js';

test('editDistance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
  assert.equal(editDistance([], [...'abc']), 3);
  assert.equal(editDistance([...'abc'], [...'abc']), 0);
});

test('cer ignores whitespace differences but not characters', () => {
  assert.equal(cer('hello  world\n', 'hello world').rate, 0);
  const r = cer('hello world', 'hallo world');
  assert.equal(r.errors, 1);
  assert.equal(r.referenceLength, 11);
});

test('cer counts a CJK character once', () => {
  assert.equal(cer('中文识别', '中文认别').errors, 1);
  assert.equal(cer('中文识别', '中文认别').referenceLength, 4);
});

test('wer splits CJK into characters and Latin on spaces', () => {
  assert.deepEqual(tokenize('OCR 中文 test1'), ['OCR', '中', '文', 'test1']);
  assert.equal(wer('the quick brown fox', 'the quick brown box').errors, 1);
});

test('pooled is a micro-average', () => {
  const p = pooled([{ rate: 0.5, errors: 1, referenceLength: 2 }, { rate: 0, errors: 0, referenceLength: 8 }]);
  assert.equal(p.rate, 0.1);
});

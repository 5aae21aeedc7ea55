import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffWords } from '../../../../../electron/main/handlers/text-diff.js';

const side = (ops: { op: string; text: string }[], keep: 'delete' | 'insert') => ops.filter((o) => o.op === 'equal' || o.op === keep).map((o) => o.text).join('');

describe('diffWords', () => {
  test('identical texts: one equal op, no changed words', () => {
    const r = diffWords('Hello world\nline two', 'Hello world\nline two');
    assert.deepEqual(r.ops, [{ op: 'equal', text: 'Hello world\nline two' }]);
    assert.equal(r.changedWordCount, 0);
  });

  test('one word differs', () => {
    const r = diffWords('The quick brown fox', 'The quick browm fox');
    assert.deepEqual(r.ops, [
      { op: 'equal', text: 'The quick ' },
      { op: 'delete', text: 'brown' },
      { op: 'insert', text: 'browm' },
      { op: 'equal', text: ' fox' },
    ]);
    assert.equal(r.changedWordCount, 2);
  });

  test('each side is rebuilt exactly from its ops', () => {
    const a = 'alpha beta gamma\ndelta  epsilon zeta eta';
    const b = 'alpha gamma\ndelta epsilon theta zeta eta iota';
    const { ops } = diffWords(a, b);
    assert.equal(side(ops, 'delete'), a);
    assert.equal(side(ops, 'insert'), b);
  });

  test('empty sides', () => {
    assert.deepEqual(diffWords('', 'new text').ops, [{ op: 'insert', text: 'new text' }]);
    assert.deepEqual(diffWords('old', '').ops, [{ op: 'delete', text: 'old' }]);
    assert.deepEqual(diffWords('', '').ops, []);
  });
});

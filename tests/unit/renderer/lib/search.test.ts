import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { joinWords, normalizeForSearch, searchPages, wordJoiner } from '../../../../renderer/lib/search.js';
import { makePage } from '../make-page.js';

const docA = [
  { documentId: 'A', page: makePage(0, [[['Hello', 'World'], ['The', 'quick', 'brown', 'fox']], [['hello', 'again']]]) },
  { documentId: 'A', page: makePage(1, [[['Nothing', 'here']]]) },
];
const docB = [{ documentId: 'B', page: makePage(0, [[['HELLO', 'there'], ['東京', '都']]]) }];

describe('searchPages', () => {
  test('finds a word case-insensitively across documents and pages, in order', () => {
    const hits = searchPages([...docA, ...docB], 'hello');
    assert.deepEqual(
      hits.map((h) => [h.documentId, h.pageIndex, h.lineId, h.wordIndices]),
      [
        ['A', 0, 'p0-l0', [0]],
        ['A', 0, 'p0-l2', [0]],
        ['B', 0, 'p0-l0', [0]],
      ],
    );
    assert.equal(new Set(hits.map((h) => h.id)).size, 3, 'hit ids are unique');
  });

  test('matches inside a word and spans words of one line', () => {
    const inner = searchPages(docA, 'uic');
    assert.deepEqual(inner.map((h) => [h.lineId, h.wordIndices]), [['p0-l1', [1]]]);
    const span = searchPages(docA, 'quick   BROWN f');
    assert.deepEqual(span.map((h) => h.wordIndices), [[1, 2, 3]]);
    assert.equal(span[0]!.lineText.slice(span[0]!.start, span[0]!.end), 'quick brown f');
  });

  test('does not match across lines', () => {
    assert.deepEqual(searchPages(docA, 'world the'), []);
  });

  test('empty and whitespace queries return nothing', () => {
    assert.deepEqual(searchPages(docA, ''), []);
    assert.deepEqual(searchPages(docA, '   '), []);
  });

  test('CJK words join without spaces; fullwidth folds to ASCII', () => {
    assert.deepEqual(searchPages(docB, '京都').map((h) => h.wordIndices), [[0, 1]]);
    assert.equal(searchPages(docB, 'ＨＥＬＬＯ').length, 1);
  });

  test('an edited line is searched by its edited text and highlights the whole line', () => {
    const edits = { A: { 'p0-l0': 'Goodbye World' } };
    const hits = searchPages(docA, 'goodbye', { edits });
    assert.deepEqual(hits.map((h) => [h.lineId, h.wordIndices, h.lineText]), [['p0-l0', [], 'Goodbye World']]);
    assert.deepEqual(searchPages(docA, 'hello', { edits }).map((h) => h.lineId), ['p0-l2']);
  });

  test('maxHits caps the result', () => {
    assert.equal(searchPages([...docA, ...docB], 'e', { maxHits: 2 }).length, 2);
  });

  test('several hits in one line are all reported', () => {
    const page = makePage(0, [[['aa', 'ba', 'a']]]);
    const hits = searchPages([{ documentId: 'X', page }], 'a');
    assert.deepEqual(hits.map((h) => h.wordIndices), [[0], [0], [1], [2]]);
  });

  test('a ligature in the source still maps the hit to the right word', () => {
    const page = makePage(0, [[['ﬁne', 'day']]]);
    const hits = searchPages([{ documentId: 'X', page }], 'fi');
    assert.equal(hits.length, 1);
    assert.deepEqual(hits[0]!.wordIndices, [0]);
    assert.deepEqual([hits[0]!.start, hits[0]!.end], [0, 1]);
  });
});

test('helpers', () => {
  assert.equal(normalizeForSearch('ÄbC'), 'äbc');
  assert.equal(wordJoiner('東', '京'), '');
  assert.equal(wordJoiner('ab', '京'), ' ');
  assert.deepEqual(joinWords([{ text: 'a' }, { text: 'bc' }]), { text: 'a bc', spans: [[0, 1], [2, 4]] });
});

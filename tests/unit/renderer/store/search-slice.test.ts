import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, type AppStoreApi } from '../../../../renderer/store/index.js';
import { makePage } from '../make-page.js';
import { FakeClient, summary } from './fake-client.js';

let store: AppStoreApi;
beforeEach(() => {
  store = createAppStore(new FakeClient());
  const s = store.getState();
  s.documentsAdded([
    summary('a', 2),
    summary('b', 1),
  ]);
  s.setViewportSize({ width: 800, height: 600 });
  s.jobStarted('a', 'ja', [0, 1]);
  s.jobStarted('b', 'jb', [0]);
  s.pageDone({ jobId: 'ja', documentId: 'a', page: makePage(1, [[['Invoice', 'total'], ['due', 'today']]]) });
  s.pageDone({ jobId: 'jb', documentId: 'b', page: makePage(0, [[['TOTAL', 'amount']]]) });
});

describe('search slice', () => {
  test('finds words in every document, in document then page order', () => {
    store.getState().setQuery('total');
    assert.deepEqual(store.getState().hits.map((h) => [h.documentId, h.pageIndex, h.lineId]), [['a', 1, 'p1-l0'], ['b', 0, 'p0-l0']]);
  });

  test('pages that arrive later join the results of a live query', () => {
    store.getState().setQuery('total');
    store.getState().pageDone({ jobId: 'ja', documentId: 'a', page: makePage(0, [[['subtotal']]]) });
    assert.deepEqual(store.getState().hits.map((h) => [h.documentId, h.pageIndex]), [['a', 0], ['a', 1], ['b', 0]]);
  });

  test('activating a hit goes to its page and selects its line; stepping wraps', () => {
    const s = store.getState();
    s.setQuery('total');
    s.stepHit(1);
    let st = store.getState();
    assert.equal(st.activeHitId, st.hits[0]!.id);
    assert.deepEqual([st.currentDocumentId, st.currentPageIndex, st.selectedLineId, st.selectionSource], ['a', 1, 'p1-l0', 'search']);
    s.stepHit(1);
    s.stepHit(1);
    st = store.getState();
    assert.equal(st.activeHitId, st.hits[0]!.id, 'wrapped around');
    s.stepHit(-1);
    assert.equal(store.getState().currentDocumentId, 'b');
  });

  test('edits change what is found', () => {
    store.getState().setQuery('tomorrow');
    assert.equal(store.getState().hits.length, 0);
    store.getState().editLine('a', 'p1-l1', 'due tomorrow');
    assert.deepEqual(store.getState().hits.map((h) => [h.lineId, h.wordIndices]), [['p1-l1', []]]);
  });

  test('clearing resets query, hits and the active hit', () => {
    store.getState().setQuery('total');
    store.getState().stepHit(1);
    store.getState().clearSearch();
    assert.deepEqual([store.getState().query, store.getState().hits, store.getState().activeHitId], ['', [], null]);
  });
});

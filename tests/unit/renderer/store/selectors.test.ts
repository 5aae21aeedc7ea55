import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, type AppStoreApi } from '../../../../renderer/store/index.js';
import {
  confidenceBand,
  editCount,
  editedDocumentText,
  editedPageText,
  findLine,
  lineText,
  pageHighlights,
  pageLines,
  selectCurrentPage,
  selectDocumentProgress,
} from '../../../../renderer/store/selectors.js';
import { makePage } from '../make-page.js';
import { FakeClient, summary } from './fake-client.js';

let store: AppStoreApi;
const page0 = makePage(0, [[['Hello', 'World'], ['second', 'line']], [['new', 'block']]]);
const page1 = makePage(1, [[['Page', 'two']]]);
beforeEach(() => {
  store = createAppStore(new FakeClient());
  const s = store.getState();
  s.documentsAdded([summary('d', 2)]);
  s.jobStarted('d', 'j', [0, 1]);
  s.pageDone({ jobId: 'j', documentId: 'd', page: page0 });
  s.pageDone({ jobId: 'j', documentId: 'd', page: page1 });
});

describe('selectors', () => {
  test('edited page text keeps Page.text layout and applies edits', () => {
    const s = store.getState();
    assert.equal(editedPageText(s, 'd', page0), page0.text, 'without edits it equals the engine text');
    s.editLine('d', 'p0-l1', 'Second line!');
    const st = store.getState();
    assert.equal(editedPageText(st, 'd', page0), 'Hello World\nSecond line!\n\nnew block');
    assert.equal(lineText(st, 'd', findLine(page0, 'p0-l1')!), 'Second line!');
    assert.equal(editCount(st, 'd'), 1);
    assert.equal(editedDocumentText(st, 'd'), 'Hello World\nSecond line!\n\nnew block\n\fPage two\n');
  });

  test('edited page text matches the engine pageText, tables included', async () => {
    const { pageText } = await import('../../../../engines/layout/page-text.js');
    const table = makePage(0, [[['Name', 'Qty']], [['Apples', '3']], [['Pears', '5']], [['After', 'the', 'table']]]);
    table.blocks[0]!.kind = 'table-row';
    table.blocks[1]!.kind = 'table-row';
    table.blocks[2]!.kind = 'table-row';
    // Table rows: each line a cell.
    for (const b of table.blocks.slice(0, 3)) {
      const [line] = b.lines;
      b.lines = line!.words.map((w, i) => ({ ...line!, id: `${line!.id}-c${i}`, text: w.text, words: [w] }));
    }
    for (const page of [page0, page1, table]) assert.equal(editedPageText({ edits: {} }, 'd', page), pageText(page.blocks));
    assert.equal(editedPageText({ edits: {} }, 'd', table), 'Name\tQty\nApples\t3\nPears\t5\n\nAfter the table');
  });

  test('reading-order lines and line lookup', () => {
    assert.deepEqual(pageLines(page0).map((l) => l.id), ['p0-l0', 'p0-l1', 'p0-l2']);
    assert.equal(findLine(page0, 'nope'), undefined);
  });

  test('current page follows the viewer', () => {
    store.getState().selectDocument('d', 1);
    assert.equal(selectCurrentPage(store.getState()), page1);
  });

  test('highlights for search hits on one page, with the active hit apart', () => {
    const s = store.getState();
    s.setQuery('o');
    s.stepHit(1);
    const h = pageHighlights(store.getState(), 'd', 0);
    assert.deepEqual([...h.words].sort(), ['p0-l0/0', 'p0-l0/1', 'p0-l1/0', 'p0-l2/1']);
    assert.deepEqual([...h.activeWords], ['p0-l0/0']);
    assert.equal(pageHighlights(store.getState(), 'd', 1).words.size, 1);
  });

  test('progress of a document with no job', () => {
    const st = createAppStore(new FakeClient());
    st.getState().documentsAdded([summary('x', 4)]);
    assert.deepEqual(selectDocumentProgress(st.getState(), 'x'), { status: 'not-started', pageCount: 4, pagesDone: 0, pagesFailed: 0, fraction: 0 });
  });

  test('confidence bands', () => {
    assert.deepEqual([0.99, 0.9, 0.8, 0.5].map(confidenceBand), ['high', 'high', 'medium', 'low']);
  });
});

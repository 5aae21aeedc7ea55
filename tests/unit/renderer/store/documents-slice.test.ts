import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, type AppStoreApi } from '../../../../renderer/store/index.js';
import { selectOrderedDocuments } from '../../../../renderer/store/selectors.js';
import { FakeClient, summary } from './fake-client.js';


let client: FakeClient;
let store: AppStoreApi;
beforeEach(() => {
  client = new FakeClient();
  store = createAppStore(client);
});

describe('documents slice', () => {
  test('addFiles uploads, lists documents in order, selects the first and starts OCR on each', async () => {
    client.openResult = { documents: [summary('a'), summary('b', 3)], rejected: [{ name: 'x.docx', reason: 'Unsupported file type' }] };
    await store.getState().addFiles([{ name: 'a.png', bytes: new Uint8Array([1]) }, { name: 'b.pdf', bytes: new Uint8Array([2]) }]);
    const s = store.getState();
    assert.deepEqual(selectOrderedDocuments(s).map((d) => d.id), ['a', 'b']);
    assert.equal(s.currentDocumentId, 'a');
    assert.deepEqual(client.callsOf('startOcr'), [['a', undefined], ['b', undefined]]);
    assert.deepEqual(s.rejectedFiles, [{ name: 'x.docx', reason: 'Unsupported file type' }]);
    assert.equal(s.pendingUploads, 0);
    assert.deepEqual(Object.keys(s.jobIdByDocument).sort(), ['a', 'b']);
    assert.equal(s.jobsById[s.jobIdByDocument['b']!]!.pageCount, 3);
  });

  test('files refused in the renderer are listed too, and nothing is uploaded when none are left', async () => {
    await store.getState().addFiles([], [{ name: 'notes.txt', reason: 'Not an image or PDF' }]);
    assert.deepEqual(store.getState().rejectedFiles.map((r) => r.name), ['notes.txt']);
    assert.equal(client.callsOf('addFiles').length, 0);
    store.getState().dismissRejected();
    assert.deepEqual(store.getState().rejectedFiles, []);
  });

  test('an upload failure is shown and clears the pending counter', async () => {
    client.failNext['addFiles'] = new Error('server went away');
    await store.getState().addFiles([{ name: 'a.png', bytes: new Uint8Array([1]) }]);
    assert.equal(store.getState().openError, 'server went away');
    assert.equal(store.getState().pendingUploads, 0);
  });

  test('openFiles passes paths through (Electron)', async () => {
    client.openResult = { documents: [summary('p')], rejected: [] };
    await store.getState().openFiles(['/tmp/p.png']);
    assert.deepEqual(client.callsOf('openFiles'), [[['/tmp/p.png']]]);
    assert.equal(store.getState().currentDocumentId, 'p');
  });

  test('adding the same document twice keeps one entry in its first position', () => {
    store.getState().documentsAdded([summary('a'), summary('b')]);
    store.getState().documentsAdded([summary('a', 5)]);
    const docs = selectOrderedDocuments(store.getState());
    assert.deepEqual(docs.map((d) => [d.id, d.pageCount]), [['a', 5], ['b', 1]]);
  });

  test('removing the current document tells main and moves the viewer to the next one', async () => {
    store.getState().documentsAdded([summary('a'), summary('b')]);
    store.getState().selectDocument('a');
    store.getState().selectLine('p0-l0', 'overlay');
    await store.getState().removeDocument('a');
    assert.deepEqual(client.callsOf('removeDocument'), [['a']]);
    const s = store.getState();
    assert.equal(s.currentDocumentId, 'b');
    assert.equal(s.selectedLineId, null);
    assert.deepEqual(s.documentOrder, ['b']);
  });
});

test('restoreSession brings back documents, pages, failures, edits and running jobs', async () => {
  const { makePage } = await import('../make-page.js');
  client.sessionDocuments = [
    {
      summary: { ...summary('done', 2), donePages: [0], failedPages: [1] },
      pages: [makePage(0, [[['restored']]])],
      failures: [{ index: 1, error: { name: 'OcrError', code: 'CORRUPT_FILE', message: 'bad', isInputError: true } }],
      edits: { 'p0-l0': 'Restored!' },
    },
    { summary: { ...summary('busy', 3), activeJobId: 'job-9' }, pages: [], failures: [], edits: {} },
  ];
  await store.getState().restoreSession();
  const s = store.getState();
  assert.deepEqual(s.documentOrder, ['done', 'busy']);
  assert.equal(s.currentDocumentId, 'done');
  assert.ok(s.pagesByKey['done#0']);
  assert.equal(s.edits['done']?.['p0-l0'], 'Restored!');
  const { selectDocumentProgress } = await import('../../../../renderer/store/selectors.js');
  assert.deepEqual([selectDocumentProgress(s, 'done').status, selectDocumentProgress(s, 'done').pagesFailed], ['done', 1]);
  assert.equal(selectDocumentProgress(s, 'busy').status, 'running');
  assert.equal(s.jobIdByDocument['busy'], 'job-9');
});

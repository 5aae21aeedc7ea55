import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, type AppStoreApi } from '../../../../renderer/store/index.js';
import { pageKey } from '../../../../renderer/store/ocr-slice.js';
import { selectDocumentProgress } from '../../../../renderer/store/selectors.js';
import { makePage } from '../make-page.js';
import { FakeClient, summary } from './fake-client.js';

let client: FakeClient;
let store: AppStoreApi;
beforeEach(() => {
  client = new FakeClient();
  store = createAppStore(client);
  store.getState().documentsAdded([summary('d', 2)]);
});

describe('ocr slice', () => {
  test('a job runs page by page: progress, page results by key, done', async () => {
    await store.getState().startOcr('d');
    const jobId = store.getState().jobIdByDocument['d']!;
    const a = store.getState();
    a.progressReceived({ jobId, documentId: 'd', pageIndex: 0, pageCount: 2, stage: 'det', fraction: 0 });
    let p = selectDocumentProgress(store.getState(), 'd');
    assert.equal(p.status, 'running');
    assert.equal(p.runningPage, 0);
    assert.equal(p.runningStage, 'det');
    assert.ok(p.fraction > 0 && p.fraction < 0.5);

    const page0 = makePage(0, [[['hello']]]);
    a.pageDone({ jobId, documentId: 'd', page: page0 });
    assert.equal(store.getState().pagesByKey[pageKey('d', 0)], page0, 'the engine page is stored as is');
    a.pageFailed({ jobId, documentId: 'd', failure: { index: 1, error: { name: 'OcrError', code: 'CORRUPT_FILE', message: 'bad page', isInputError: true } } });
    a.jobDone({ jobId, documentId: 'd', status: 'done', donePageCount: 1, failedPageCount: 1, elapsedMs: 5 });
    p = selectDocumentProgress(store.getState(), 'd');
    assert.deepEqual([p.status, p.pagesDone, p.pagesFailed, p.fraction], ['done', 1, 1, 1]);
    assert.equal(store.getState().failuresByKey[pageKey('d', 1)]?.error.message, 'bad page');
  });

  test('events that overtake the ocr:start reply create the job; the reply does not reset it', () => {
    const a = store.getState();
    a.progressReceived({ jobId: 'early', documentId: 'd', pageIndex: 0, pageCount: 2, stage: 'rec', fraction: 0 });
    a.pageDone({ jobId: 'early', documentId: 'd', page: makePage(1, [[['x']]]) });
    a.jobStarted('d', 'early', [0, 1]);
    const s = store.getState();
    assert.ok(s.pagesByKey[pageKey('d', 1)]);
    assert.equal(s.jobsById['early']!.pages[0]!.stage, 'rec');
    assert.equal(s.jobsById['early']!.pages[1]!.state, 'done');
    assert.equal(s.jobIdByDocument['d'], 'early');
  });

  test('a start failure is reported per document', async () => {
    client.failNext['startOcr'] = new Error('worker crashed');
    await store.getState().startOcr('d');
    const p = selectDocumentProgress(store.getState(), 'd');
    assert.equal(p.status, 'start-failed');
    assert.equal(p.error, 'worker crashed');
  });

  test('cancel asks main with the job id and marks the job cancelling until job-done', async () => {
    await store.getState().startOcr('d');
    const jobId = store.getState().jobIdByDocument['d']!;
    await store.getState().cancelOcr('d');
    assert.deepEqual(client.callsOf('cancelOcr'), [[jobId]]);
    assert.equal(store.getState().jobsById[jobId]!.status, 'cancelling');
    store.getState().jobDone({ jobId, documentId: 'd', status: 'cancelled', donePageCount: 0, failedPageCount: 0, elapsedMs: 5 });
    assert.equal(selectDocumentProgress(store.getState(), 'd').status, 'cancelled');
    await store.getState().cancelOcr('d');
    assert.equal(client.callsOf('cancelOcr').length, 1, 'a finished job is not cancelled again');
  });

  test('progress for a finished page does not reopen it', async () => {
    await store.getState().startOcr('d');
    const jobId = store.getState().jobIdByDocument['d']!;
    store.getState().pageDone({ jobId, documentId: 'd', page: makePage(0, [[['a']]]) });
    store.getState().progressReceived({ jobId, documentId: 'd', pageIndex: 0, pageCount: 2, stage: 'layout', fraction: 0.5 });
    assert.equal(store.getState().jobsById[jobId]!.pages[0]!.state, 'done');
  });

  test('edits are stored per line id, reverted, and sent with exports; an undo is sent as the OCR text', async () => {
    const a = store.getState();
    a.jobStarted('d', 'j', [0, 1]);
    a.pageDone({ jobId: 'j', documentId: 'd', page: makePage(0, [[['Hello'], ['World']]]) });
    a.editLine('d', 'p0-l0', 'Hallo');
    a.editLine('d', 'p0-l1', 'Welt');
    a.revertLine('d', 'p0-l1');
    assert.deepEqual(store.getState().edits, { d: { 'p0-l0': 'Hallo' } });
    await store.getState().exportDocuments(['d'], 'txt');
    // Main merges edits it remembers, so the undone line travels with its original text.
    assert.deepEqual(client.callsOf('exportDocuments'), [[{ documentIds: ['d'], format: 'txt' }, { d: { 'p0-l0': 'Hallo', 'p0-l1': 'World' } }]]);
    assert.equal(store.getState().exportStatus.state, 'done');
    assert.deepEqual(store.getState().exportStatus.outcome?.files, ['d.txt']);
  });

  test('export failures are reported', async () => {
    client.failNext['exportDocuments'] = new Error('disk full');
    await store.getState().exportDocuments(['d'], 'pdf');
    assert.deepEqual(store.getState().exportStatus, { state: 'error', error: 'disk full' });
  });
});

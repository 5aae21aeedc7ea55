import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEventBridge } from '../../../../renderer/ipc/event-bridge.js';
import { createAppStore } from '../../../../renderer/store/index.js';
import { makePage } from '../make-page.js';
import { FakeClient, summary } from '../store/fake-client.js';

test('the bridge subscribes once and forwards every event to its store action', () => {
  const client = new FakeClient();
  const store = createAppStore(client);
  store.getState().documentsAdded([summary('d', 1)]);
  const stop = startEventBridge(client, store);
  try {
    assert.equal(client.handlers.length, 1);
    assert.throws(() => startEventBridge(client, store), /already running/);
    const h = client.handlers[0]!;
    h.progress!({ jobId: 'j', documentId: 'd', pageIndex: 0, pageCount: 1, stage: 'det', fraction: 0 });
    h.pageDone!({ jobId: 'j', documentId: 'd', page: makePage(0, [[['x']]]) });
    h.jobDone!({ jobId: 'j', documentId: 'd', status: 'done', donePageCount: 1, failedPageCount: 0, elapsedMs: 3 });
    h.engineStatus!({ phase: 'loading', message: 'loading models' });
    h.connection!('lost');
    const s = store.getState();
    assert.equal(s.jobsById['j']?.status, 'done');
    assert.ok(s.pagesByKey['d#0']);
    assert.equal(s.engineStatus?.phase, 'loading');
    assert.equal(s.connection, 'lost');
  } finally {
    stop();
  }
  assert.equal(client.handlers.length, 0, 'stopping unsubscribes');
});

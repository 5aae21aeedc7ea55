import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, type AppStoreApi } from '../../../../renderer/store/index.js';
import type { CompareResult } from '../../../../renderer/ipc/ocr-client.js';
import { makePage } from '../make-page.js';
import { FakeClient, summary } from './fake-client.js';

let client: FakeClient;
let store: AppStoreApi;
beforeEach(() => {
  client = new FakeClient();
  store = createAppStore(client);
});

describe('settings slice', () => {
  test('loads and updates settings, then reloads engine info', async () => {
    await store.getState().loadSettings();
    assert.equal(store.getState().settingsState, 'ready');
    await store.getState().updateSettings({ precision: 'fp16' });
    assert.equal(store.getState().settings?.precision, 'fp16');
    assert.deepEqual(client.callsOf('setSettings'), [[{ precision: 'fp16' }]]);
    assert.equal(client.callsOf('engineInfo').length, 1);
  });

  test('a refused update rolls back and says why', async () => {
    await store.getState().loadSettings();
    client.failNext['setSettings'] = new Error('TensorRT is not available: libnvinfer.so.10 not found');
    await store.getState().updateSettings({ ep: 'tensorrt' });
    assert.equal(store.getState().settings?.ep, 'auto');
    assert.match(store.getState().settingsError ?? '', /libnvinfer/);
  });

  test('engine build status keeps its start time; ready clears it', () => {
    const s = store.getState();
    s.engineStatusReceived({ phase: 'building-engine', model: 'det', precision: 'fp16', step: 'tactics', elapsedMs: 5000, logTail: ['a'] });
    const started = store.getState().buildStartedAtMs!;
    assert.ok(Math.abs(started - (Date.now() - 5000)) < 1000);
    s.engineStatusReceived({ phase: 'building-engine', model: 'det', precision: 'fp16', step: 'tactics', elapsedMs: 9000, logTail: ['a', 'b'] });
    assert.equal(store.getState().buildStartedAtMs, started);
    s.engineStatusReceived({ phase: 'loading', message: 'loading models' });
    assert.equal(store.getState().buildStartedAtMs, null);
  });

  test('engine ready status carries the providers; fallbacks become disabled options with reasons', () => {
    const info = {
      ...client.engine.info,
      providers: (['det', 'cls', 'rec'] as const).map((stage) => ({
        stage,
        provider: 'cpu' as const,
        precision: 'fp32' as const,
        fallbacks: [{ provider: 'cuda' as const, reason: 'libcudart.so.12: cannot open shared object file' }],
      })),
    };
    store.getState().engineStatusReceived({ phase: 'ready', info, startupMs: 100 });
    assert.deepEqual(store.getState().engine?.providers, [
      { name: 'cuda', available: false, reason: 'libcudart.so.12: cannot open shared object file' },
      { name: 'cpu', available: true },
    ]);
  });

  test('providers explained earlier stay listed when a later engine (on CPU by choice) tries no others', () => {
    const cpuOnly = { ...client.engine.info, providers: (['det', 'cls', 'rec'] as const).map((stage) => ({ stage, provider: 'cpu' as const, precision: 'fp32' as const, fallbacks: [] })) };
    const withFallback = {
      ...cpuOnly,
      providers: cpuOnly.providers.map((p) => ({ ...p, fallbacks: [{ provider: 'cuda' as const, reason: 'no NVIDIA GPU' }] })),
    };
    store.getState().engineStatusReceived({ phase: 'ready', info: withFallback, startupMs: 1 });
    store.getState().engineStatusReceived({ phase: 'ready', info: cpuOnly, startupMs: 1 });
    assert.deepEqual(store.getState().engine?.providers, [
      { name: 'cuda', available: false, reason: 'no NVIDIA GPU' },
      { name: 'cpu', available: true },
    ]);
    assert.equal(store.getState().engine?.info, cpuOnly);
  });

  test('rebuild replaces the engine state and reports failures', async () => {
    await store.getState().rebuildEngine();
    assert.deepEqual(store.getState().engine, client.engine);
    assert.equal(store.getState().rebuilding, false);
    client.failNext['rebuildEngine'] = new Error('worker exited');
    await store.getState().rebuildEngine();
    assert.equal(store.getState().settingsError, 'worker exited');
  });

  test('after the event stream comes back, the session is fetched again (missed events)', async () => {
    store.getState().connectionChanged('open');
    assert.equal(client.callsOf('listDocuments').length, 0, 'no refetch without an outage');
    store.getState().connectionChanged('lost');
    store.getState().connectionChanged('open');
    assert.equal(client.callsOf('listDocuments').length, 1);
  });

  test('compare runs on the current page and keeps both runs', async () => {
    store.getState().documentsAdded([summary('d', 1)]);
    store.getState().selectDocument('d');
    const run = (ms: number) => ({ page: makePage(0, [[['x']]]), elapsedMs: ms });
    const result: CompareResult = { documentId: 'd', pageIndex: 0, fp16: run(10), fp32: run(20), diff: [{ op: 'equal', text: 'x' }], changedWordCount: 0 };
    client.compareResult = result;
    await store.getState().compareCurrentPage();
    assert.deepEqual(client.callsOf('comparePrecision'), [['d', 0]]);
    assert.equal(store.getState().compare.state, 'ready');
    assert.equal(store.getState().compare.result, result);
    store.getState().clearCompare();
    assert.equal(store.getState().compare.state, 'idle');
  });

  test('compare errors are kept for display', async () => {
    store.getState().documentsAdded([summary('d', 1)]);
    store.getState().selectDocument('d');
    await store.getState().compareCurrentPage();
    assert.equal(store.getState().compare.state, 'error');
    assert.match(store.getState().compare.error ?? '', /no compare result/);
  });
});

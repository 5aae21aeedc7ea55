import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EventChannel, EventChannels, InvokeChannel, InvokePayload, InvokeResult } from '../../../../electron/common/ipc-contract.js';
import type { EngineInfo } from '../../../../engines/types.js';
import {
  ClientError,
  createOcrClient,
  electronTransport,
  providerAvailability,
  resolveToken,
  type Transport,
} from '../../../../renderer/ipc/ocr-client.js';
import { summary } from '../store/fake-client.js';

/** A transport that answers from a table and records what was asked. */
function tableTransport(kind: 'electron' | 'http', answers: Partial<{ [K in InvokeChannel]: (p: InvokePayload<K>) => InvokeResult<K> }>) {
  const calls: [string, unknown][] = [];
  const t: Transport = {
    kind,
    async invoke(channel, payload) {
      calls.push([channel, payload]);
      const f = answers[channel] as ((p: unknown) => unknown) | undefined;
      if (!f) throw new Error(`unexpected ${channel}`);
      return f(payload) as never;
    },
    on() {
      return () => {};
    },
    async addBytes(name, bytes) {
      calls.push(['addBytes', name]);
      if (name.endsWith('.txt')) throw new ClientError({ name: 'OcrError', code: 'UNSUPPORTED_TYPE', message: `${name} is text`, isInputError: true });
      return summary(name, 1, name) as never;
      void bytes;
    },
    onConnection() {
      return () => {};
    },
  };
  return { t, calls };
}

const info = (fallbacks: { provider: 'cuda' | 'tensorrt'; reason: string }[], provider: 'cpu' | 'cuda' = 'cpu'): EngineInfo => ({
  name: 'lucid-ocr',
  version: '0.1.0',
  onnxruntimeVersion: '1.29.0',
  models: { det: 'd', cls: 'c', rec: 'r', dict: 'k' },
  precision: 'fp32',
  providers: (['det', 'cls', 'rec'] as const).map((stage) => ({ stage, provider, precision: 'fp32' as const, fallbacks })),
});

describe('resolveToken', () => {
  test('takes ?token= and remembers it; later loads read it back', () => {
    const mem = new Map<string, string>();
    const storage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) };
    assert.equal(resolveToken({ search: '?token=abc&x=1' }, storage), 'abc');
    assert.equal(resolveToken({ search: '' }, storage), 'abc');
    assert.equal(resolveToken({ search: '' }, null), null);
  });
});

describe('providerAvailability', () => {
  test('providers that ran are available; fallbacks are disabled with the engine reason', () => {
    assert.deepEqual(providerAvailability(info([{ provider: 'tensorrt', reason: 'libnvinfer missing' }, { provider: 'cuda', reason: 'no GPU' }])), [
      { name: 'tensorrt', available: false, reason: 'libnvinfer missing' },
      { name: 'cuda', available: false, reason: 'no GPU' },
      { name: 'cpu', available: true },
    ]);
    assert.deepEqual(providerAvailability(info([], 'cuda')), [
      { name: 'cuda', available: true },
      { name: 'cpu', available: true },
    ]);
  });
  test('an explicit list from main wins', () => {
    const listed = [{ provider: 'cpu' as const, available: true }, { provider: 'dml' as const, available: false, reason: 'Windows only' }];
    assert.deepEqual(providerAvailability({ ...info([]), availableProviders: listed }), [
      { name: 'cpu', available: true },
      { name: 'dml', available: false, reason: 'Windows only' },
    ]);
  });
});

describe('createOcrClient', () => {
  test('addFiles uploads each file and lists the refused ones with the engine reason', async () => {
    const { t, calls } = tableTransport('http', {});
    const r = await createOcrClient(t).addFiles([
      { name: 'a.png', bytes: new Uint8Array([1]) },
      { name: 'b.txt', bytes: new Uint8Array([2]) },
    ]);
    assert.deepEqual(r.documents.map((d) => d.id), ['a.png']);
    assert.deepEqual(r.rejected, [{ name: 'b.txt', reason: 'b.txt is text' }]);
    assert.deepEqual(calls.map((c) => c[0]), ['addBytes', 'addBytes']);
  });

  test('openFiles maps rejected paths to file names and reasons', async () => {
    const { t } = tableTransport('electron', {
      'documents:open': () => ({
        documents: [summary('x')],
        rejected: [{ path: '/home/u/scans/bad.pdf', error: { name: 'OcrError', code: 'PDF_ENCRYPTED', message: 'bad.pdf is encrypted', isInputError: true } }],
      }),
    });
    const r = await createOcrClient(t).openFiles(['/home/u/scans']);
    assert.deepEqual(r.rejected, [{ name: 'bad.pdf', reason: 'bad.pdf is encrypted' }]);
  });

  test('browser export renders each document with its own edits and downloads the bytes', async () => {
    const downloads: [string, string, number][] = [];
    const { t, calls } = tableTransport('http', {
      'export:render': (p) => ({ fileName: `${p.documentId}.${p.format}`, mimeType: 'text/plain', bytes: new Uint8Array([1, 2, 3]) }),
    });
    const client = createOcrClient(t, (name, type, bytes) => downloads.push([name, type, bytes.length]));
    const out = await client.exportDocuments({ documentIds: ['a', 'b'], format: 'txt' }, { b: { 'p0-l0': 'fixed' } });
    assert.deepEqual(out, { kind: 'downloaded', files: ['a.txt', 'b.txt'] });
    assert.deepEqual(downloads, [['a.txt', 'text/plain', 3], ['b.txt', 'text/plain', 3]]);
    assert.deepEqual(calls, [
      ['export:render', { documentId: 'a', format: 'txt' }],
      ['export:render', { documentId: 'b', format: 'txt', edits: { b: { 'p0-l0': 'fixed' } } }],
    ]);
  });

  test('desktop export goes through the save dialog: one document, or all', async () => {
    const { t, calls } = tableTransport('electron', {
      'export:save': (p) => ({ saved: p.documentId !== 'cancel-me', paths: p.documentId === 'all' ? ['/o/a.pdf', '/o/b.pdf'] : ['/o/a.pdf'] }),
    });
    const client = createOcrClient(t, () => assert.fail('no download on desktop'));
    assert.deepEqual(await client.exportDocuments({ documentIds: ['a'], format: 'pdf' }, {}), { kind: 'saved', files: ['/o/a.pdf'] });
    assert.deepEqual(await client.exportDocuments({ documentIds: ['a', 'b'], format: 'pdf' }, { a: { x: 'y' } }), { kind: 'saved', files: ['/o/a.pdf', '/o/b.pdf'] });
    assert.deepEqual(await client.exportDocuments({ documentIds: ['cancel-me'], format: 'pdf' }, {}), { kind: 'cancelled', files: ['/o/a.pdf'] });
    assert.deepEqual(calls[1], ['export:save', { documentId: 'all', format: 'pdf', edits: { a: { x: 'y' } } }]);
  });

  test('page images are fetched once per page and served as object URLs', async () => {
    let n = 0;
    const { t } = tableTransport('http', {
      'pages:image': () => {
        n++;
        return { mimeType: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]), width: 10, height: 20 };
      },
    });
    const client = createOcrClient(t);
    const [a, b] = await Promise.all([client.pageImage('d', 0), client.pageImage('d', 0)]);
    assert.equal(n, 1);
    assert.equal(a, b);
    assert.match(a.url, /^blob:/);
    assert.deepEqual([a.width, a.height], [10, 20]);
  });
});

describe('electronTransport', () => {
  test('unwraps ok envelopes and throws ClientError with the code on failures', async () => {
    const api = {
      async invoke(channel: string) {
        if (channel === 'settings:get') return { ok: true as const, result: { ep: 'auto', precision: 'fp32', detMaxSideLen: 960 } };
        return { ok: false as const, error: { name: 'OcrError' as const, code: 'NOT_FOUND' as const, message: 'no such document', isInputError: true } };
      },
      on<K extends EventChannel>(_e: K, _l: (p: EventChannels[K]) => void) {
        return () => {};
      },
    };
    const t = electronTransport(api as never);
    assert.deepEqual(await t.invoke('settings:get', {}), { ep: 'auto', precision: 'fp32', detMaxSideLen: 960 });
    await assert.rejects(t.invoke('documents:get', { documentId: 'nope' }), (e: unknown) => e instanceof ClientError && e.code === 'NOT_FOUND');
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OcrError } from '../../../../engines/errors.js';
import { INVOKE_CHANNELS, MAX_UPLOAD_BYTES, type InvokeChannel } from '../../../../electron/common/ipc-contract.js';
import { INVOKE_SCHEMAS, isInvokeChannel, isTrustedSender, originOf, validateInvoke } from '../../../../electron/common/ipc-schemas.js';

const DOC = '3f2b8c1e-1d2a-4b7e-9a51-0c6d7e8f9a10';
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

/** At least one good and several bad payloads for every channel. */
const CASES: { [K in InvokeChannel]: { good: unknown[]; bad: unknown[] } } = {
  'documents:open': {
    good: [{ paths: ['/home/me/scan.pdf'] }, { paths: ['C:\\Users\\me\\a.png', '/tmp/folder'] }, {}],
    bad: [{ paths: [] }, { paths: ['relative/a.png'] }, { paths: '/a.png' }, { paths: ['/a\0b.png'] }, { paths: [42] }, { paths: ['/a'], extra: 1 }, null, 'x'],
  },
  'documents:add-bytes': {
    good: [{ name: 'scan.png', bytes: png }],
    bad: [
      { name: '../scan.png', bytes: png },
      { name: 'dir/scan.png', bytes: png },
      { name: '..', bytes: png },
      { name: '', bytes: png },
      { name: 'a.png', bytes: new Uint8Array(0) },
      { name: 'a.png', bytes: [1, 2, 3] },
      { name: 'a.png', bytes: 'aGVsbG8=' },
      { name: 'a.png' },
    ],
  },
  'documents:list': { good: [{}, undefined], bad: [{ all: true }, [], 'x'] },
  'documents:get': { good: [{ documentId: DOC }], bad: [{}, { documentId: '' }, { documentId: '../../etc' }, { documentId: 7 }] },
  'documents:remove': { good: [{ documentId: DOC }], bad: [{ documentId: 'a b' }, { id: DOC }] },
  'ocr:start': {
    good: [{ documentId: DOC }, { documentId: DOC, pages: [0, 2, 5], dpi: 300, pdfMode: 'ocr' }, { documentId: DOC, pdfMode: 'text-layer' }],
    bad: [
      { documentId: DOC, pages: [] },
      { documentId: DOC, pages: [-1] },
      { documentId: DOC, pages: [1.5] },
      { documentId: DOC, pages: ['1'] },
      { documentId: DOC, dpi: 10 },
      { documentId: DOC, dpi: 5000 },
      { documentId: DOC, dpi: '300' },
      { documentId: DOC, pdfMode: 'fast' },
      { documentId: DOC, precision: 'fp16' },
      { pages: [0] },
    ],
  },
  'ocr:cancel': { good: [{ jobId: 'job-1' }], bad: [{}, { jobId: '' }, { jobId: 'x'.repeat(200) }] },
  'ocr:compare': { good: [{ documentId: DOC, pageIndex: 0 }], bad: [{ documentId: DOC }, { documentId: DOC, pageIndex: -1 }, { documentId: DOC, pageIndex: 1e9 }] },
  'export:save': {
    good: [
      { documentId: DOC, format: 'txt' },
      { documentId: 'all', format: 'pdf' },
      { documentId: DOC, format: 'alto', edits: { [DOC]: { 'p0-l3': 'corrected line' } } },
    ],
    bad: [
      { documentId: DOC, format: 'docx' },
      { documentId: DOC, format: 'txt', path: '/tmp/out.txt' },
      { documentId: DOC, format: 'txt', edits: { [DOC]: { 'p0-l3': 3 } } },
      { documentId: DOC, format: 'txt', edits: { '../x': {} } },
      { documentId: DOC, format: 'txt', edits: [] },
    ],
  },
  'export:render': {
    good: [{ documentId: DOC, format: 'hocr' }, { documentId: DOC, format: 'json', edits: {} }],
    bad: [{ documentId: 'all', format: 'txt' }, { documentId: DOC }, { documentId: DOC, format: 'TXT' }],
  },
  'engine:info': { good: [{}], bad: [{ verbose: true }] },
  'engine:rebuild': { good: [{}], bad: [{ force: 1 }] },
  'engine:cancel-build': { good: [{}], bad: [{ stage: 'det' }] },
  'settings:get': { good: [{}], bad: [{ key: 'ep' }] },
  'settings:set': {
    good: [{}, { ep: 'cuda' }, { precision: 'fp16', detMaxSideLen: 1280 }, { ep: 'auto', precision: 'fp32', detMaxSideLen: 960 }],
    bad: [{ ep: 'gpu' }, { precision: 'int8' }, { detMaxSideLen: 100 }, { detMaxSideLen: 100_000 }, { detMaxSideLen: 960.5 }, { theme: 'dark' }],
  },
  'pages:image': { good: [{ documentId: DOC, pageIndex: 3 }], bad: [{ documentId: DOC, pageIndex: '3' }, { documentId: DOC }] },
};

describe('ipc-schemas', () => {
  test('every invoke channel has a validator and a test case', () => {
    assert.deepEqual(Object.keys(INVOKE_SCHEMAS).sort(), [...INVOKE_CHANNELS].sort());
    assert.deepEqual(Object.keys(CASES).sort(), [...INVOKE_CHANNELS].sort());
  });

  for (const channel of INVOKE_CHANNELS) {
    test(`${channel}: accepts good payloads, rejects bad ones with INVALID_ARGUMENT`, () => {
      for (const good of CASES[channel].good) assert.doesNotThrow(() => validateInvoke(channel, good), `should accept ${JSON.stringify(good)}`);
      for (const bad of CASES[channel].bad) {
        assert.throws(
          () => validateInvoke(channel, bad),
          (e: unknown) => e instanceof OcrError && e.code === 'INVALID_ARGUMENT' && e.message.includes(channel),
          `should reject ${JSON.stringify(bad)}`,
        );
      }
    });
  }

  test('a validated payload is a fresh object with only known fields', () => {
    const input = { documentId: DOC, pages: [1, 2] };
    const out = validateInvoke('ocr:start', input);
    assert.notEqual(out, input);
    assert.deepEqual(out, input);
  });

  test('an over-size upload is rejected without copying it', () => {
    // A typed array view whose length lies about nothing: a real allocation just over the limit.
    const big = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    assert.throws(() => validateInvoke('documents:add-bytes', { name: 'big.pdf', bytes: big }), /larger than 512 MiB/);
  });

  test('edits keyed __proto__ do not pollute prototypes', () => {
    const payload = JSON.parse(`{"documentId":"${DOC}","format":"txt","edits":{"${DOC}":{"__proto__":"x","p0-l0":"y"}}}`);
    assert.throws(() => validateInvoke('export:save', payload), /line id/);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('unknown channels are rejected', () => {
    assert.equal(isInvokeChannel('fs:read'), false);
    assert.throws(() => validateInvoke('fs:read', {}), /Unknown channel/);
    assert.throws(() => validateInvoke('__proto__', {}), /Unknown channel/);
  });
});

describe('sender check', () => {
  const trusted = ['lucid://app', 'http://localhost:5173'];

  test('our app origin is trusted', () => {
    assert.equal(isTrustedSender('lucid://app/index.html', trusted), true);
    assert.equal(isTrustedSender('lucid://app/', trusted), true);
    assert.equal(isTrustedSender('http://localhost:5173/src/main.tsx', trusted), true);
  });

  test('a foreign sender is rejected', () => {
    for (const url of [
      'https://evil.example/',
      'http://localhost:5174/',
      'lucid://other/index.html',
      'file:///home/me/Downloads/evil.html',
      'about:blank',
      'data:text/html,<script>1</script>',
      'javascript:alert(1)',
      '',
      undefined,
      'not a url',
    ]) {
      assert.equal(isTrustedSender(url, trusted), false, String(url));
    }
  });

  test('originOf keeps custom schemes (whose WHATWG origin is "null")', () => {
    assert.equal(new URL('lucid://app/x').origin, 'null');
    assert.equal(originOf('lucid://app/x'), 'lucid://app');
    assert.equal(originOf('http://127.0.0.1:8080/a?b'), 'http://127.0.0.1:8080');
  });
});

// `lucid-ocr serve`: the HTTP transport's security (token, traversal, limits, binds) and one channel end to
// end through the real handlers, the real worker and the real pipeline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { SERVER_TOKEN_HEADER, type DocumentSummary, type EventChannels } from '../../../../electron/common/ipc-contract.js';
import { fromWireJson, toWireJson } from '../../../../electron/common/wire-codec.js';
import { serve, type RunningServe } from '../../../../electron/headless/server.js';
import { tempDir, textImagePng } from '../fixtures.js';

const tmp = tempDir('server');
const staticDir = path.join(tmp.dir, 'renderer');
const SECRET = 'top-secret-content-42';
let app: RunningServe;
let port = 0;
let token = '';

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function http(method: string, urlPath: string, opts: { headers?: Record<string, string | number>; body?: Uint8Array | string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    // node:http sends the path exactly as given (no normalisation of ../ or %2e), as an attacker would.
    const req = request({ host: '127.0.0.1', port, method, path: urlPath, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve({ status: 413, headers: {}, body: Buffer.alloc(0) }) : reject(e)));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const auth = () => ({ [SERVER_TOKEN_HEADER]: token });

async function invoke<T>(channel: string, payload: unknown): Promise<{ status: number; body: { ok: boolean; result?: T; error?: { code: string; message: string } } }> {
  const r = await http('POST', `/api/invoke/${channel}`, { headers: { ...auth(), 'content-type': 'application/json' }, body: toWireJson(payload) });
  return { status: r.status, body: fromWireJson(r.body.toString('utf8')) as never };
}

before(async () => {
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Lucid OCR</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(tmp.dir, 'secret.txt'), SECRET);
  app = await serve({ port: 0, staticDir, warmUp: false, maxJsonBytes: 4096, maxUploadBytes: 64 * 1024, pipelineOptions: { ep: 'cpu' }, log: () => undefined });
  port = app.server.port;
  token = app.server.token;
});
after(async () => {
  await app?.close();
  tmp.cleanup();
});

describe('local server security', { timeout: 30_000 }, () => {
  test('prints a loopback URL carrying the token', () => {
    assert.equal(app.server.host, '127.0.0.1');
    assert.equal(app.server.url, `http://127.0.0.1:${port}/?token=${token}`);
    assert.equal(app.server.apiBaseUrl, `http://127.0.0.1:${port}/api`);
    assert.ok(token.length >= 40);
  });

  test('every API call and page needs the token (401 without, or with a wrong one)', async () => {
    assert.equal((await http('POST', '/api/invoke/settings:get', { headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
    assert.equal((await http('POST', '/api/invoke/settings:get', { headers: { [SERVER_TOKEN_HEADER]: token.slice(0, -1) + 'x', 'content-type': 'application/json' }, body: '{}' })).status, 401);
    assert.equal((await http('GET', '/api/events')).status, 401);
    assert.equal((await http('GET', '/')).status, 401);
    assert.equal((await http('GET', '/?token=wrong')).status, 401);
    const ok = await invoke('settings:get', {});
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.result, { ep: 'auto', precision: 'fp32', detMaxSideLen: 960 });
  });

  test('the first page load trades the token for an HttpOnly SameSite cookie', async () => {
    const first = await http('GET', `/?token=${token}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await http('GET', '/', { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    assert.match(String(page.headers['content-security-policy'] ?? ''), /default-src 'self'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['access-control-allow-origin'], undefined, 'no CORS');
    const js = await http('GET', '/assets/app.js', { headers: auth() });
    assert.match(js.headers['content-type'] ?? '', /^text\/javascript/);
  });

  test('a foreign Host header is refused (DNS rebinding)', async () => {
    const r = await http('GET', '/', { headers: { ...auth(), host: `evil.example:${port}` } });
    assert.equal(r.status, 421);
  });

  test('directory traversal is refused', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%5c..%5csecret.txt', '/assets/%2E%2E/%2E%2E/secret.txt', '/%252e%252e/secret.txt', '/assets/../../secret.txt', '/%00', '/%E0%A4%A']) {
      const r = await http('GET', p, { headers: auth() });
      assert.ok([400, 403, 404].includes(r.status), `${p} → ${r.status}`);
      assert.ok(!r.body.toString().includes(SECRET), `${p} leaked the file`);
    }
  });

  test('oversized bodies get 413', async () => {
    const bigJson = JSON.stringify({ paths: ['/' + 'a'.repeat(8000)] });
    const r1 = await http('POST', '/api/invoke/documents:open', { headers: { ...auth(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(bigJson) }, body: bigJson });
    assert.equal(r1.status, 413);
    const bigUpload = new Uint8Array(100 * 1024);
    const r2 = await http('POST', '/api/invoke/documents:add-bytes?name=big.png', { headers: { ...auth(), 'content-type': 'application/octet-stream', 'content-length': bigUpload.length }, body: bigUpload });
    assert.equal(r2.status, 413);
    // Without a Content-Length (chunked), the limit holds while reading.
    const r3 = await http('POST', '/api/invoke/documents:open', { headers: { ...auth(), 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: bigJson });
    assert.equal(r3.status, 413);
  });

  test('only JSON (or octet-stream uploads) reach a handler; payloads are validated', async () => {
    const form = await http('POST', '/api/invoke/settings:set', { headers: { ...auth(), 'content-type': 'text/plain' }, body: '{"ep":"cpu"}' });
    assert.equal(form.status, 415);
    const bad = await invoke('settings:set', { ep: 'gpu' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'INVALID_ARGUMENT');
    const unknown = await invoke('fs:read', {});
    assert.equal(unknown.status, 404);
    const preflight = await http('OPTIONS', '/api/invoke/settings:set', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });

  test('a non-loopback bind is refused unless asked for explicitly', async () => {
    await assert.rejects(serve({ host: '0.0.0.0', port: 0, staticDir, warmUp: false, log: () => undefined }), /Refusing to listen on 0\.0\.0\.0/);
  });
});

/** Reads server-sent events until `until` returns true for one. */
function collectEvents(until: (name: string, data: unknown) => boolean): { done: Promise<{ name: string; data: unknown }[]>; close(): void } {
  const seen: { name: string; data: unknown }[] = [];
  let close = () => undefined as void;
  const done = new Promise<{ name: string; data: unknown }[]>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: auth() }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let sep: number;
        while ((sep = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, sep);
          buf = buf.slice(sep + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!name || data === undefined) continue;
          const parsed = fromWireJson(data);
          seen.push({ name, data: parsed });
          if (until(name, parsed)) {
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(seen) : reject(e)));
    req.end();
    close = () => req.destroy();
  });
  return { done, close };
}

describe('local server end to end', { timeout: 90_000 }, () => {
  test('upload → ocr:start → events → documents:get → export:render → pages:image', async () => {
    const png = await textImagePng('Hello Lucid World');
    const up = await http('POST', '/api/invoke/documents:add-bytes?name=hello.png', { headers: { ...auth(), 'content-type': 'application/octet-stream' }, body: png });
    assert.equal(up.status, 200, up.body.toString());
    const summary = (fromWireJson(up.body.toString('utf8')) as { result: DocumentSummary }).result;
    assert.equal(summary.name, 'hello.png');
    assert.equal(summary.pageCount, 1);

    const events = collectEvents((name) => name === 'ocr:job-done');
    await new Promise((r) => setTimeout(r, 100)); // let the SSE subscription land first
    const started = await invoke<{ jobId: string }>('ocr:start', { documentId: summary.id });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const seen = await events.done;
    const jobDone = seen.find((e) => e.name === 'ocr:job-done')!.data as EventChannels['ocr:job-done'];
    assert.equal(jobDone.status, 'done', JSON.stringify(jobDone));
    assert.equal(jobDone.jobId, started.body.result!.jobId);
    const pageDone = seen.find((e) => e.name === 'ocr:page-done')!.data as EventChannels['ocr:page-done'];
    assert.equal(pageDone.documentId, summary.id);
    assert.match(pageDone.page.text, /Hello Lucid World/i);

    const state = await invoke<{ pages: { text: string }[]; summary: DocumentSummary }>('documents:get', { documentId: summary.id });
    assert.deepEqual(state.body.result!.summary.donePages, [0]);
    assert.match(state.body.result!.pages[0]!.text, /Hello/);

    const txt = await invoke<{ fileName: string; bytes: Uint8Array; mimeType: string }>('export:render', { documentId: summary.id, format: 'txt' });
    assert.equal(txt.body.result!.fileName, 'hello.png.txt');
    assert.match(new TextDecoder().decode(txt.body.result!.bytes), /Hello Lucid World/i);

    const image = await invoke<{ bytes: Uint8Array; width: number; height: number; mimeType: string }>('pages:image', { documentId: summary.id, pageIndex: 0 });
    assert.equal(image.body.result!.mimeType, 'image/png');
    assert.deepEqual([image.body.result!.width, image.body.result!.height], [900, 200]);
    assert.deepEqual([...image.body.result!.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);

    const missing = await invoke('pages:image', { documentId: summary.id, pageIndex: 3 });
    assert.equal(missing.body.error?.code, 'PAGE_OUT_OF_RANGE');
  });
});

/**
 * `lucid-ocr serve`: the app in a browser. A node:http server that runs the SAME handlers and the SAME
 * validators as the Electron shell, over HTTP instead of IPC:
 *
 * - POST /api/invoke/<channel>  → InvokeResponse JSON (bytes as {"$bytes": base64}, see wire-codec.ts);
 *   documents:add-bytes also takes a raw application/octet-stream body with ?name=.
 * - GET  /api/events            → server-sent events, one per EventChannels entry.
 * - GET  /…                     → the built renderer (dist/renderer), nothing outside it.
 *
 * Security, because a local port is reachable by every web page the user visits and every local user:
 * loopback only unless the host is given explicitly; a random session token (printed once, in the URL)
 * is required on every request, as the X-Lucid-Token header or an HttpOnly SameSite=Strict cookie set
 * by the first page load, compared in constant time; the Host header must be ours (DNS rebinding);
 * no CORS headers at all and JSON/octet-stream content types only (so no cross-site "simple" request
 * reaches a handler); a strict CSP; body size limits; no path traversal.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OcrPipelineOptions } from '../../engines/api.js';
import { OcrError, describeError, serializeError } from '../../engines/errors.js';
import type { SerializedOcrError } from '../../engines/types.js';
import {
  EVENT_CHANNELS,
  MAX_UPLOAD_BYTES,
  SERVER_API_BASE_PATH,
  SERVER_TOKEN_COOKIE,
  SERVER_TOKEN_HEADER,
  type EngineSettings,
  type EventChannel,
  type EventChannels,
  type InvokeResponse,
} from '../common/ipc-contract.js';
import { isInvokeChannel, validateInvoke } from '../common/ipc-schemas.js';
import { RENDERER_CSP } from '../common/security.js';
import { TypedEmitter } from '../common/typed-emitter.js';
import { fromWireJson, toWireJson } from '../common/wire-codec.js';
import { createHandlers, type InvokeHandlers } from '../main/handlers/index.js';
import { createMemorySettingsStore, pipelineOptionsFor } from '../main/handlers/settings-store.js';
import { OcrWorkerHost } from '../main/worker/ocr-worker-host.js';
import { forkTransport } from '../main/worker/transports.js';

export const DEFAULT_SERVER_HOST = '127.0.0.1';
export const DEFAULT_SERVER_PORT = 7860;
/** JSON payloads are ids, options and edits; 16 MiB leaves room for a large document's edits. */
export const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;
const SSE_HEARTBEAT_MS = 15_000;

/** The events a server streams; handlers emit into it. */
export interface EventSource {
  on<K extends EventChannel>(event: K, listener: (payload: EventChannels[K]) => void): () => void;
}

export interface StartServerOptions {
  handlers: InvokeHandlers;
  events: EventSource;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default DEFAULT_SERVER_PORT; 0 picks a free port. */
  port?: number;
  /** Listening on a non-loopback address is refused unless this is true (`--host` given explicitly). */
  allowNonLoopback?: boolean;
  /** Built renderer; default dist/renderer. */
  staticDir?: string;
  /** Default: 32 random bytes, base64url. */
  token?: string;
  maxUploadBytes?: number;
  maxJsonBytes?: number;
}

export interface LucidServer {
  /** Open this in a browser: origin + `/?token=…`. */
  readonly url: string;
  readonly origin: string;
  /** Absolute base of the API (`${origin}/api`); the served renderer uses the relative SERVER_API_BASE_PATH. */
  readonly apiBaseUrl: string;
  readonly token: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Default location of the built renderer: <repo or app>/dist/renderer, from src or from dist. */
export function defaultStaticDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src: electron/headless → ../../dist/renderer; built: dist/electron/headless → ../../renderer
  return here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '..', '..', 'renderer') : path.resolve(here, '..', '..', 'dist', 'renderer');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time in the token's content (both sides hashed to equal length first). */
function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  return timingSafeEqual(sha256(given), sha256(token));
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: SerializedOcrError['code'] = 'INVALID_ARGUMENT',
  ) {
    super(message);
  }
}

/** HTTP status for a typed error: the client's fault (4xx) or ours (5xx). */
function statusFor(e: SerializedOcrError): number {
  if (e.code === 'INVALID_ARGUMENT') return 400;
  if (e.code === 'CANCELLED') return 409;
  if (e.code === 'NOT_FOUND') return 404;
  return e.isInputError ? 422 : 500;
}

export async function startServer(opts: StartServerOptions): Promise<LucidServer> {
  const bindHost = opts.host ?? DEFAULT_SERVER_HOST;
  if (!isLoopbackHost(bindHost) && !opts.allowNonLoopback) {
    throw new OcrError(
      'INVALID_ARGUMENT',
      `Refusing to listen on ${bindHost}: it is reachable from other machines. Pass --host ${bindHost} explicitly to allow it.`,
    );
  }
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const staticRoot = path.resolve(opts.staticDir ?? defaultStaticDir());
  const maxUpload = opts.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const maxJson = opts.maxJsonBytes ?? MAX_JSON_BODY_BYTES;
  const { handlers, events } = opts;
  const sseClients = new Set<ServerResponse>();
  let port = 0;
  let cookieName = SERVER_TOKEN_COOKIE;
  let allowedHosts = new Set<string>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const code = e instanceof HttpError ? e.code : 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) sendJson(res, status, { ok: false, error: serializeError(new OcrError(code, message)) });
      else res.destroy();
      // An over-limit body is still arriving: stop reading it.
      if (status === 413) req.destroy();
    });
  });
  server.requestTimeout = 0; // 512 MiB uploads on slow disks; the OS closes dead sockets
  server.headersTimeout = 30_000;

  function securityHeaders(res: ServerResponse): void {
    res.setHeader('Content-Security-Policy', RENDERER_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  }

  function sendJson(res: ServerResponse, status: number, body: InvokeResponse<unknown>): void {
    const text = toWireJson(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  function authorised(req: IncomingMessage): boolean {
    const header = req.headers[SERVER_TOKEN_HEADER];
    if (typeof header === 'string') return tokenMatches(header, token);
    return tokenMatches(parseCookies(req.headers.cookie).get(cookieName), token);
  }

  async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) throw new HttpError(413, `The request body is larger than ${limit} bytes.`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new HttpError(413, `The request body is larger than ${limit} bytes.`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    // DNS rebinding: a hostile name resolving to 127.0.0.1 still sends its own name as Host.
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      sendText(res, 421, 'Unknown host.\n');
      return;
    }
    const rawUrl = req.url ?? '/';
    const qIndex = rawUrl.indexOf('?');
    const rawPath = qIndex >= 0 ? rawUrl.slice(0, qIndex) : rawUrl;
    const query = new URLSearchParams(qIndex >= 0 ? rawUrl.slice(qIndex + 1) : '');

    // First page load: trade the URL's token for a cookie, then drop it from the address bar.
    if (rawPath === '/' && query.has('token') && req.method === 'GET') {
      if (!tokenMatches(query.get('token') ?? undefined, token)) {
        sendText(res, 401, 'Wrong token. Open the link printed by `lucid-ocr serve`.\n');
        return;
      }
      res.setHeader('Set-Cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { Location: '/', 'Cache-Control': 'no-store' });
      res.end();
      return;
    }

    if (!authorised(req)) {
      if (rawPath.startsWith(`${SERVER_API_BASE_PATH}/`)) sendJson(res, 401, { ok: false, error: serializeError(new OcrError('INVALID_ARGUMENT', 'Missing or wrong session token.')) });
      else sendText(res, 401, 'This Lucid OCR server needs its session token: open the link printed by `lucid-ocr serve`.\n');
      return;
    }

    if (rawPath.startsWith(`${SERVER_API_BASE_PATH}/invoke/`)) {
      await handleInvoke(req, res, decodeURIComponent(rawPath.slice(`${SERVER_API_BASE_PATH}/invoke/`.length)), query);
      return;
    }
    if (rawPath === `${SERVER_API_BASE_PATH}/events`) {
      if (req.method !== 'GET') throw new HttpError(405, 'Use GET.');
      handleEvents(req, res);
      return;
    }
    if (rawPath.startsWith(`${SERVER_API_BASE_PATH}/`) || rawPath === SERVER_API_BASE_PATH) throw new HttpError(404, 'No such API route.');
    await handleStatic(req, res, rawPath);
  }

  async function handleInvoke(req: IncomingMessage, res: ServerResponse, channel: string, query: URLSearchParams): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'Use POST.');
    if (!isInvokeChannel(channel)) throw new HttpError(404, `Unknown channel "${channel.slice(0, 64)}".`);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    let payload: unknown;
    if (type === 'application/json') {
      const body = await readBody(req, maxJson);
      try {
        payload = body.length === 0 ? {} : fromWireJson(body.toString('utf8'));
      } catch {
        throw new HttpError(400, 'The body is not valid JSON.');
      }
    } else if (type === 'application/octet-stream' && channel === 'documents:add-bytes') {
      const body = await readBody(req, maxUpload);
      payload = { name: query.get('name') ?? '', bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
    } else {
      throw new HttpError(415, channel === 'documents:add-bytes' ? 'Send application/json or application/octet-stream.' : 'Send application/json.');
    }
    let response: InvokeResponse<unknown>;
    try {
      const valid = validateInvoke(channel, payload);
      const result = await (handlers[channel] as (p: unknown) => Promise<unknown>)(valid);
      response = { ok: true, result };
    } catch (e) {
      response = { ok: false, error: serializeError(e) };
    }
    sendJson(res, response.ok ? 200 : statusFor(response.error), response);
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    sseClients.add(res);
    const offs = EVENT_CHANNELS.map((name) =>
      events.on(name, (payload) => {
        res.write(`event: ${name}\ndata: ${toWireJson(payload)}\n\n`);
      }),
    );
    const heartbeat = setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      for (const off of offs) off();
      sseClients.delete(res);
    });
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'Use GET.');
    // Encoded separators and dot segments are refused outright, before and after decoding.
    if (/%2f|%5c|%00/i.test(rawPath)) throw new HttpError(403, 'Forbidden path.');
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      throw new HttpError(400, 'Malformed path.');
    }
    const segments = decoded.split('/').filter((s) => s.length > 0);
    if (segments.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0'))) throw new HttpError(403, 'Forbidden path.');
    const rel = segments.length === 0 ? 'index.html' : segments.join('/');
    const full = path.resolve(staticRoot, rel);
    if (full !== staticRoot && !full.startsWith(staticRoot + path.sep)) throw new HttpError(403, 'Forbidden path.');
    let real: string;
    let size: number;
    try {
      real = await realpath(full);
      const st = await stat(real);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      sendText(res, 404, 'Not found.\n');
      return;
    }
    // A symlink inside the root must not lead out of it.
    const realRoot = await realpath(staticRoot).catch(() => staticRoot);
    if (!real.startsWith(realRoot + path.sep)) throw new HttpError(403, 'Forbidden path.');
    const type = CONTENT_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': size,
      // Vite's hashed assets never change; index.html must always be fresh.
      'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(real).on('error', () => res.destroy()).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    const onListenError = (e: NodeJS.ErrnoException) => {
      const wanted = opts.port ?? DEFAULT_SERVER_PORT;
      const where = `${bindHost}:${wanted}`;
      // Usually a second `lucid-ocr serve` (or another program) on the same port: say so, not libuv's text.
      if (e.code === 'EADDRINUSE') reject(new PortInUseError(`port ${wanted} is already in use on ${bindHost}: another lucid-ocr serve, or another program, is listening at ${where}. Stop it, or pick another port with --port N (--port 0 picks a free one).`, e));
      else if (e.code === 'EACCES') reject(new OcrError('INVALID_ARGUMENT', `not allowed to listen at ${where} (ports below 1024 need privileges); pick another port with --port N.`, { cause: e }));
      else reject(e);
    };
    server.once('error', onListenError);
    server.listen(opts.port ?? DEFAULT_SERVER_PORT, bindHost, () => {
      server.off('error', onListenError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // One cookie per port: two servers on 127.0.0.1 would otherwise overwrite each other's cookie.
  cookieName = `${SERVER_TOKEN_COOKIE}_${port}`;
  const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  allowedHosts = new Set([`${urlHost}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].map((h) => h.toLowerCase()));
  const origin = `http://${urlHost}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    apiBaseUrl: `${origin}${SERVER_API_BASE_PATH}`,
    token,
    host: bindHost,
    port,
    async close() {
      for (const res of sseClients) res.end();
      sseClients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The port is taken (EADDRINUSE); `lucid-ocr serve` exits with EXIT_BUSY (75). */
export class PortInUseError extends OcrError {
  constructor(message: string, cause: unknown) {
    super('INVALID_ARGUMENT', message, { cause });
  }
}

export interface ServeOptions extends Omit<StartServerOptions, 'handlers' | 'events'> {
  pipelineOptions?: OcrPipelineOptions;
  settings?: Partial<EngineSettings>;
  /** Worker entry (tests run it from sources). */
  workerEntry?: string;
  /** Log lines (engine status, worker logs); default: stderr. */
  log?: (line: string) => void;
  /** Start the engine right away so the first OCR does not wait for model loading (default true). */
  warmUp?: boolean;
}

export interface RunningServe {
  server: LucidServer;
  host: OcrWorkerHost;
  close(): Promise<void>;
}

/** The whole local app: worker host, handlers, event bus and HTTP server. */
export async function serve(opts: ServeOptions = {}): Promise<RunningServe> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const settings = createMemorySettingsStore(opts.settings);
  const base = opts.pipelineOptions ?? {};
  const host = new OcrWorkerHost({
    transport: forkTransport,
    pipelineOptions: pipelineOptionsFor(settings.get(), base),
    ...(opts.workerEntry ? { entry: opts.workerEntry } : {}),
  });
  host.on('log', (e) => (e.level === 'warn' || e.level === 'error') && log(`[ocr-worker ${e.pid ?? '-'}] ${e.message}`));
  host.on('engine-status', (e) => {
    if (e.phase === 'ready') log(`engine ready in ${Math.round(e.startupMs)} ms: ${e.info.providers.map((p) => `${p.stage}=${p.provider}`).join(' ')}`);
    if (e.phase === 'error') log(`engine error: ${describeError(e.error)}`);
  });
  const bus = new TypedEmitter<EventChannels>();
  const handlers = createHandlers({ host, emit: (name, payload) => bus.emit(name, payload), settings, basePipelineOptions: base });
  let server: LucidServer;
  try {
    server = await startServer({ ...opts, handlers, events: bus });
  } catch (e) {
    await host.dispose();
    throw e;
  }
  if (opts.warmUp ?? true) host.start().catch(() => undefined); // reported through engine-status
  return {
    server,
    host,
    async close() {
      await server.close();
      await host.dispose();
    },
  };
}

/** `lucid-ocr serve [--port N] [--host H]`. Returns the process exit code once the server stops. */
export async function runServeCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  let port = DEFAULT_SERVER_PORT;
  let host: string | undefined;
  let staticDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new OcrError('INVALID_ARGUMENT', `${flag} needs a value.`);
      return v;
    };
    if (flag === '--port') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new OcrError('INVALID_ARGUMENT', '--port must be an integer between 0 and 65535.');
      port = n;
    } else if (flag === '--host') host = value();
    else if (flag === '--static-dir') staticDir = path.resolve(value());
    else throw new OcrError('INVALID_ARGUMENT', `Unknown option for serve: ${arg}`);
  }
  if (host && !isLoopbackHost(host)) {
    io.stderr.write(`warning: listening on ${host} makes Lucid OCR reachable from other machines; anyone with the token can read and OCR files on this one.\n`);
  }
  const running = await serve({ port, ...(host ? { host, allowNonLoopback: true } : {}), ...(staticDir ? { staticDir } : {}) });
  io.stdout.write(`Lucid OCR is running at ${running.server.url}\n`);
  io.stderr.write('Press Ctrl-C to stop.\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

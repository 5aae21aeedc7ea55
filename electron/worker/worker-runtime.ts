/**
 * The worker's message loop, shared by both transports:
 * - under Electron's utilityProcess it talks over `process.parentPort`;
 * - under plain Node (CLI, server, tests) over `process.send` / `process.on('message')` (child_process.fork
 *   with `serialization: 'advanced'`, so Uint8Array payloads arrive as Uint8Array).
 *
 * Everything that can go wrong becomes a typed response or a forwarded log line: the host must never
 * see a silent death (VS Code UtilityProcess, Signal MainSQL).
 */
import { format } from 'node:util';
import { OcrError, serializeError } from '../../engines/errors.js';
import {
  WORKER_METHODS,
  isHostToWorker,
  type JobId,
  type LogLevel,
  type WorkerEvents,
  type WorkerMethod,
  type WorkerPayload,
  type WorkerResult,
  type WorkerToHost,
} from '../common/worker-protocol.js';

/** What a handler may do besides returning: stream events and log through the host. */
export interface WorkerContext {
  emit<E extends keyof WorkerEvents>(name: E, payload: WorkerEvents[E]): void;
  log(level: LogLevel, message: string): void;
}

export type WorkerMethodHandlers = {
  [M in WorkerMethod]: (payload: WorkerPayload<M>) => Promise<WorkerResult<M>> | WorkerResult<M>;
};

export interface WorkerHandlerSet {
  methods: WorkerMethodHandlers;
  /** Cooperative cancellation of a running (or not yet started) recognize job. */
  cancel(jobId: JobId): void;
}

/** Electron's ParentPort, typed structurally so this file never imports electron. */
interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export interface WorkerPort {
  readonly kind: 'utility-process' | 'fork';
  send(msg: WorkerToHost): void;
  onMessage(listener: (msg: unknown) => void): void;
  /** Resolves once queued messages have been handed to the OS (fork) or the port (utility process). */
  flush(): Promise<void>;
}

/** Picks the transport this process was started with. */
export function detectWorkerPort(): WorkerPort {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      kind: 'utility-process',
      send: (msg) => parentPort.postMessage(msg),
      onMessage: (listener) => parentPort.on('message', (e) => listener(e.data)),
      // postMessage queues synchronously on the port; one macrotask lets it drain.
      flush: () => new Promise((resolve) => setTimeout(resolve, 20)),
    };
  }
  if (typeof process.send === 'function') {
    let last: Promise<void> = Promise.resolve();
    return {
      kind: 'fork',
      send: (msg) => {
        if (!process.connected) return;
        last = new Promise<void>((resolve) => {
          // The callback fires once the message is written; errors mean the host is gone.
          process.send!(msg, undefined, undefined, () => resolve());
        });
      },
      onMessage: (listener) => process.on('message', listener),
      flush: () => last,
    };
  }
  throw new Error('The OCR worker must be started by OcrWorkerHost (utilityProcess.fork or child_process.fork).');
}

/** Runs the loop until a `dispose` request or the host disconnects. */
export function runWorker(createHandlers: (ctx: WorkerContext) => WorkerHandlerSet, port: WorkerPort = detectWorkerPort()): void {
  const ctx: WorkerContext = {
    emit: (name, payload) => port.send({ kind: 'event', name, payload }),
    log: (level, message) => port.send({ kind: 'log', level, message }),
  };
  redirectConsole(ctx);

  const inFlight = new Set<number>();
  let exiting = false;

  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await port.flush();
    process.exit(code);
  };

  // A throw outside any handler leaves the native sessions in an unknown state: answer every pending
  // request with a typed error, tell the host why, and exit so the host restarts a clean worker.
  process.on('uncaughtException', (e) => {
    const error = serializeError(new OcrError('INTERNAL', `OCR worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    ctx.log('error', `uncaught exception: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    for (const seq of inFlight) port.send({ kind: 'response', seq, ok: false, error });
    inFlight.clear();
    ctx.emit('engine-status', { phase: 'error', error });
    void exit(70);
  });
  // A stray rejection is a bug but not a corrupted engine: report it and carry on.
  process.on('unhandledRejection', (reason) => {
    ctx.log('error', `unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  });
  // Under fork, the host going away closes the IPC channel: nothing left to work for.
  process.on('disconnect', () => void exit(0));
  // Ctrl-C in a terminal signals the whole process group: the host decides how its job ends (cancel
  // between pages, then dispose), so the worker must not die first and look like a crash.
  process.on('SIGINT', () => ctx.log('debug', 'SIGINT ignored; the host stops the worker'));

  const handlers = createHandlers(ctx);
  const known = new Set<string>(WORKER_METHODS);

  port.onMessage((raw) => {
    if (!isHostToWorker(raw)) {
      ctx.log('warn', `ignored a malformed message from the host: ${safeJson(raw)}`);
      return;
    }
    if (raw.kind === 'cancel') {
      handlers.cancel(raw.jobId);
      return;
    }
    const { seq, method, payload } = raw;
    if (!known.has(method)) {
      const error = serializeError(new OcrError('INVALID_ARGUMENT', `Unknown worker method "${method}".`));
      port.send({ kind: 'response', seq, ok: false, error });
      return;
    }
    inFlight.add(seq);
    void (async () => {
      try {
        const handler = handlers.methods[method] as (p: unknown) => unknown;
        const result = await handler(payload ?? {});
        if (inFlight.delete(seq)) port.send({ kind: 'response', seq, ok: true, result });
      } catch (e) {
        if (inFlight.delete(seq)) port.send({ kind: 'response', seq, ok: false, error: serializeError(e) });
      }
      if (method === 'dispose') await exit(0);
    })();
  });

  ctx.emit('ready', { pid: process.pid });
}

function redirectConsole(ctx: WorkerContext): void {
  // stdout belongs to the CLI's output; the worker's chatter goes to the host's logger instead.
  const to = (level: LogLevel) => (...args: unknown[]) => ctx.log(level, format(...args));
  console.log = to('info');
  console.info = to('info');
  console.warn = to('warn');
  console.error = to('error');
  console.debug = to('debug');
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 200) ?? String(v);
  } catch {
    return String(v);
  }
}

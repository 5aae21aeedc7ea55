/**
 * How OcrWorkerHost starts its worker. Two transports, one channel shape:
 * - forkTransport: child_process.fork, for plain Node (CLI, local server, tests);
 * - utilityProcessTransport: Electron's utilityProcess.fork, for the desktop app. Electron is imported
 *   lazily, so plain Node never loads it.
 */
import { fork } from 'node:child_process';
import type { HostToWorker } from '../../common/worker-protocol.js';
import { LineSplitter } from '../../../engines/runtime/trt/trtexec-progress.js';

export interface WorkerExitInfo {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running worker process, as the host sees it. */
export interface WorkerChannel {
  readonly pid: number | undefined;
  send(msg: HostToWorker): void;
  onMessage(listener: (msg: unknown) => void): void;
  /** Fires once, when the process is gone (whatever the reason). */
  onExit(listener: (info: WorkerExitInfo) => void): void;
  /** The worker's raw stdout/stderr (native libraries write there), line by line. */
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface WorkerTransport {
  readonly name: string;
  spawn(entry: string): Promise<WorkerChannel>;
}

export interface ForkTransportOptions {
  /** Extra environment for the worker (merged over process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * child_process.fork with structured-clone serialisation (Uint8Array stays Uint8Array). A `.ts` entry is
 * run through tsx, so tests and `npm run cli` work from sources.
 */
export function createForkTransport(opts: ForkTransportOptions = {}): WorkerTransport {
  return {
    name: 'fork',
    async spawn(entry) {
      const child = fork(entry, [], {
        serialization: 'advanced',
        // Explicit, so the worker never inherits the parent's --test or --inspect flags.
        execArgv: entry.endsWith('.ts') ? ['--import', resolveTsxLoader()] : [],
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      const exitListeners: ((info: WorkerExitInfo) => void)[] = [];
      const outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
      let exited: WorkerExitInfo | undefined;
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (exited) return;
        exited = { code, signal };
        for (const l of exitListeners) l(exited);
      };
      child.once('exit', onExit);
      // A spawn failure (ENOENT, EAGAIN) emits 'error' and maybe never 'exit'.
      child.once('error', () => {
        if (child.exitCode === null && child.signalCode === null && child.pid === undefined) onExit(1, null);
      });
      for (const stream of ['stdout', 'stderr'] as const) {
        forwardLines(child[stream], (line) => {
          for (const l of outputListeners) l(stream, line);
        });
      }
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (child.connected) child.send(msg);
        },
        onMessage(listener) {
          child.on('message', listener);
        },
        onExit(listener) {
          if (exited) listener(exited);
          else exitListeners.push(listener);
        },
        onOutput(listener) {
          outputListeners.push(listener);
        },
        kill(signal = 'SIGKILL') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      };
    },
  };
}

/** Calls `onLine` for every complete line of a child's output stream (CR of CRLF dropped). */
function forwardLines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  const splitter = new LineSplitter();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    for (const line of splitter.push(chunk)) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    for (const line of splitter.flush()) onLine(line.replace(/\r$/, ''));
  });
}

/** The default fork transport. */
export const forkTransport: WorkerTransport = createForkTransport();

let tsxLoader: string | undefined;
function resolveTsxLoader(): string {
  // An absolute URL, so the worker finds tsx whatever its working directory.
  tsxLoader ??= import.meta.resolve('tsx');
  return tsxLoader;
}

export interface UtilityProcessTransportOptions {
  /** Shown in the OS task manager and in Electron's crash reports. */
  serviceName?: string;
  env?: NodeJS.ProcessEnv;
}

/** Electron's utilityProcess.fork. Only callable inside Electron's main process. */
export function utilityProcessTransport(opts: UtilityProcessTransportOptions = {}): WorkerTransport {
  return {
    name: 'utility-process',
    async spawn(entry) {
      const { utilityProcess } = await import('electron');
      const child = utilityProcess.fork(entry, [], {
        serviceName: opts.serviceName ?? 'Lucid OCR engine',
        stdio: 'pipe',
        env: { ...process.env, ...opts.env },
      });
      const exitListeners: ((info: WorkerExitInfo) => void)[] = [];
      const outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
      let exited: WorkerExitInfo | undefined;
      child.once('exit', (code: number) => {
        if (exited) return;
        // utilityProcess reports only a code; a crash shows as a non-zero one.
        exited = { code, signal: null };
        for (const l of exitListeners) l(exited);
      });
      for (const stream of ['stdout', 'stderr'] as const) {
        forwardLines(child[stream], (line) => {
          for (const l of outputListeners) l(stream, line);
        });
      }
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (!exited) child.postMessage(msg);
        },
        onMessage(listener) {
          child.on('message', listener);
        },
        onExit(listener) {
          if (exited) listener(exited);
          else exitListeners.push(listener);
        },
        onOutput(listener) {
          outputListeners.push(listener);
        },
        kill() {
          if (!exited) child.kill();
        },
      };
    },
  };
}

/**
 * Starts `lucid-ocr serve` from TypeScript sources (tsx), on a free port, with the real handlers and the
 * real inference worker, and hands back the printed URL (with its session token). It serves the renderer
 * that `npm run build` wrote to dist/renderer; this helper builds nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI_ENTRY = path.join(REPO_ROOT, 'electron', 'headless', 'cli.ts');
const RENDERER_INDEX = path.join(REPO_ROOT, 'dist', 'renderer', 'index.html');
/** Model load and worker start on a cold 2-core machine. */
const START_TIMEOUT_MS = 60_000;

export interface RunningServer {
  /** `http://127.0.0.1:PORT/?token=…` exactly as printed. */
  url: string;
  origin: string;
  token: string;
  /** Everything the server wrote to stderr so far (worker warnings, engine status). */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServer(): Promise<RunningServer> {
  if (!existsSync(RENDERER_INDEX)) {
    throw new Error(`${RENDERER_INDEX} is missing: run \`npm run build\` before the e2e tests.`);
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`The server did not print its URL within ${START_TIMEOUT_MS} ms.\n${err}`)), START_TIMEOUT_MS);
    function fail(e: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    }
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`The server exited with ${code} before printing its URL.\n${err}`)));
  });

  const parsed = new URL(url);
  const token = parsed.searchParams.get('token');
  if (!token) throw new Error(`No token in the printed URL ${url}`);

  return {
    url,
    origin: parsed.origin,
    token,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM'); // the server closes its worker on SIGTERM
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// The CLI's main() in this test process with captured stdout/stderr, for cases that never start the engine
// or where a child process would only add start-up time.
import { Writable } from 'node:stream';
import { main } from '../../../../electron/headless/cli.js';

export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(args: string[]): Promise<MainRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  const code = await main(args, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

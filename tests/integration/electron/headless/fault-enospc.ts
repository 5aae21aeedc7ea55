/**
 * Fault injection for the disk-full tests: the next writes to files whose path contains a given string
 * write half their data and then fail with ENOSPC, as a full disk does. Only the fault is injected: the
 * product's own atomic writers, manifest and CLI run unchanged on top of the real fs.
 *
 * In a child process: `node --import tsx --import <this file> cli.ts …` with LUCID_TEST_ENOSPC_MATCH=<substring>.
 * In process: `injectEnospc(substring)` returns an undo function.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

type OpenFn = typeof fs.promises.open;

export function injectEnospc(match: string): () => void {
  const realOpen: OpenFn = fs.promises.open;
  const faulty: OpenFn = async (file, flags, mode) => {
    const handle = await realOpen(file, flags, mode);
    if (String(file).includes(match) && typeof flags === 'string' && /[wa]/.test(flags)) {
      const realWriteFile = handle.writeFile.bind(handle);
      handle.writeFile = async (data: Parameters<typeof handle.writeFile>[0]) => {
        // Half the bytes reach the disk, then it is full: what a partial write leaves behind.
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as Uint8Array);
        await realWriteFile(bytes.subarray(0, bytes.length >> 1));
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      };
    }
    return handle;
  };
  fs.promises.open = faulty;
  // ESM named imports of builtins (`import { open } from 'node:fs/promises'`) follow the CJS object only after this.
  syncBuiltinESMExports();
  return () => {
    fs.promises.open = realOpen;
    syncBuiltinESMExports();
  };
}

if (process.env.LUCID_TEST_ENOSPC_MATCH) injectEnospc(process.env.LUCID_TEST_ENOSPC_MATCH);

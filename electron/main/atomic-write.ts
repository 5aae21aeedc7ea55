/**
 * Atomic file writes: write a temp file next to the target, fsync, rename over it. A crash, a full disk or
 * Ctrl-C leaves either the old file or the new one, never half of one (the CLI, exports, settings).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { OcrError } from '../../engines/errors.js';

/** Writes `data` to `filePath` atomically. Throws OcrError WRITE_FAILED naming the path. */
export async function writeFileAtomic(filePath: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(filePath);
  // Same directory as the target: rename(2) is only atomic within one file system.
  const tmp = path.join(dir, `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, 'wx', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, filePath);
  } catch (cause) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new OcrError('WRITE_FAILED', `Could not write ${filePath}: ${describeFsError(cause)}`, { file: filePath, cause });
  }
}

/** "no space left on device (ENOSPC)" rather than libuv's full sentence with the temp path in it. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const byCode: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'the folder does not exist',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'a folder with that name exists',
    EMFILE: 'too many open files',
  };
  if (err?.code && byCode[err.code]) return `${byCode[err.code]} (${err.code})`;
  return err?.message ?? String(e);
}

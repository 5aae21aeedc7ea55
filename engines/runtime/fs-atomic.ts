/**
 * Crash-safe file primitives for the engine cache: atomic replace (temp name + fsync + rename + fsync of
 * the directory) and a lock file with stale-lock detection, usable across processes (the app, the CLI
 * and the local server may share one cache directory).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** fsync the file and its directory (default true). Off only for throwaway data. */
  fsync?: boolean;
  /** Called after the temp file is complete, before the rename; tests use it to simulate a crash. */
  beforeRename?: (tmpPath: string) => void | Promise<void>;
}

export function tempSiblingName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** fsync a directory so a rename inside it survives a power cut (no-op where directories cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, fsConstants.O_RDONLY);
    await fh.sync();
  } catch {
    // Windows cannot open directories; NTFS journals the rename itself.
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** Writes `data` to `target` so readers see either the old file or the complete new one, never a part. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const doSync = opts.fsync ?? true;
  const tmp = tempSiblingName(target);
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx');
    await fh.writeFile(data);
    if (doSync) await fh.sync();
    await fh.close();
    fh = undefined;
    await opts.beforeRename?.(tmp);
    await fs.rename(tmp, target);
    if (doSync) await fsyncDir(path.dirname(target));
  } catch (err) {
    await fh?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    // Name the file the caller meant (libuv names only the syscall, or the temp path); the error keeps
    // its code (ENOSPC, EACCES …) so callers can still tell a full disk from other failures.
    if (err instanceof Error && !err.message.includes(target)) err.message = `Could not write ${target}: ${err.message}`;
    throw err;
  }
}

/** fsync every regular file under `dir` (after a producer wrote them with plain writes). */
export async function fsyncTree(dir: string): Promise<void> {
  for (const ent of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) await fsyncTree(p);
    else if (ent.isFile()) {
      const fh = await fs.open(p, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
  await fsyncDir(dir);
}

// ---------------------------------------------------------------------------------------------------

export interface LockInfo {
  pid: number;
  hostname: string;
  createdAt: string;
  purpose?: string;
}

export interface LockOptions {
  /** A lock older than this is stale even if its owner looks alive (pid reuse, other host). */
  staleMs?: number;
  /** Give up waiting after this long (default 10 s). 0 = try once. */
  timeoutMs?: number;
  purpose?: string;
  log?: (message: string) => void;
}

export class LockBusyError extends Error {
  constructor(
    message: string,
    readonly holder: LockInfo | null,
  ) {
    super(message);
    this.name = 'LockBusyError';
  }
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLockInfo(lockPath: string): Promise<{ info: LockInfo | null; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    try {
      const info = JSON.parse(text) as LockInfo;
      return { info: typeof info?.pid === 'number' ? info : null, mtimeMs: st.mtimeMs };
    } catch {
      return { info: null, mtimeMs: st.mtimeMs };
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function staleReason(found: { info: LockInfo | null; mtimeMs: number }, staleMs: number): string | null {
  const ageMs = Date.now() - found.mtimeMs;
  if (ageMs > staleMs) return `lock is ${Math.round(ageMs / 1000)} s old`;
  if (!found.info) {
    // Unreadable content (a lock written by an older version between open() and write(), or damaged): give it a moment.
    return ageMs > 2000 ? 'lock file is unreadable' : null;
  }
  if (found.info.hostname === os.hostname() && !isProcessAlive(found.info.pid)) return `owner pid ${found.info.pid} is gone`;
  return null;
}

/**
 * Takes an exclusive lock file (O_EXCL create). Stale locks (dead owner on this host, or older than
 * staleMs) are broken by renaming them aside first, so two processes breaking the same stale lock cannot
 * delete each other's fresh one.
 */
export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = opts.staleMs ?? 120_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const start = Date.now();
  let delayMs = 5;
  const mine: LockInfo = { pid: process.pid, hostname: os.hostname(), createdAt: new Date().toISOString(), purpose: opts.purpose };
  const text = JSON.stringify(mine);
  for (;;) {
    try {
      // Written to a private file first, then linked into place (link fails with EEXIST like O_EXCL does): the
      // lock never exists without its owner's pid, so a peer that times out waiting names the owner, where an
      // open-then-write left a window in which it read an empty file.
      const tmp = `${lockPath}.new-${process.pid}-${randomBytes(3).toString('hex')}`;
      await fs.writeFile(tmp, text, { flag: 'wx' });
      try {
        await fs.link(tmp, lockPath);
      } finally {
        await fs.rm(tmp, { force: true });
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        // Only remove it if it is still ours (a peer may have judged it stale and replaced it).
        const cur = await readLockInfo(lockPath).catch(() => null);
        if (cur?.info && cur.info.pid === mine.pid && cur.info.createdAt === mine.createdAt) await fs.rm(lockPath, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const found = await readLockInfo(lockPath);
    if (!found) continue;
    const reason = staleReason(found, staleMs);
    if (reason) {
      const aside = `${lockPath}.stale-${process.pid}-${randomBytes(3).toString('hex')}`;
      try {
        await fs.rename(lockPath, aside);
        const moved = await readLockInfo(aside);
        if (moved && moved.info?.createdAt !== found.info?.createdAt) {
          // We moved a lock someone took after our check: put it back if the slot is still free.
          await fs.link(aside, lockPath).catch(() => {});
        } else {
          opts.log?.(`Broke stale cache lock ${lockPath}: ${reason}`);
        }
        await fs.rm(aside, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      continue;
    }
    if (Date.now() - start >= timeoutMs) {
      const who = found.info ? `pid ${found.info.pid} on ${found.info.hostname}${found.info.purpose ? ` (${found.info.purpose})` : ''}` : 'another process';
      throw new LockBusyError(`Cache lock ${lockPath} is held by ${who}`, found.info);
    }
    await new Promise((r) => setTimeout(r, delayMs));
    delayMs = Math.min(delayMs * 2, 100);
  }
}

export async function withLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = await acquireLock(lockPath, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}

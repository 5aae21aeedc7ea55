/**
 * A model derived from another one (graph folds, FP16 conversion, the rec argmax head), made once and
 * kept in the engine cache under its key: EngineCache.put writes into a temporary folder renamed into
 * place (atomic), another process deriving the same entry is waited for, and a cached file found damaged
 * (size or sha256) is derived again, with `rebuiltBecause` saying what was wrong.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LockBusyError, type CacheEntryKind, type CacheKey, type EngineCache } from './engine-cache.js';
import type { Precision } from '../types.js';

/**
 * The cache key of a model derived from a source model by a recipe alone: no ORT, TensorRT, GPU or driver
 * part (the derived file does not depend on them), any input shape.
 */
export function derivedModelKey(
  kind: Exclude<CacheEntryKind, 'trt-engine'>,
  sourceSha256: string,
  opts: { stage?: 'det' | 'cls' | 'rec'; precision: Precision; recipe: string },
): CacheKey {
  return {
    kind,
    ...(opts.stage ? { stage: opts.stage } : {}),
    modelSha256: sourceSha256,
    ortVersion: null,
    trtVersion: null,
    gpuName: null,
    computeCapability: null,
    driverVersion: null,
    precision: opts.precision,
    shapeProfile: 'dynamic',
    recipe: opts.recipe,
  };
}

export interface DerivedModel {
  path: string;
  /** true when the file came from the cache. */
  cached: boolean;
  entryId: string;
  /** What derive() returned as meta when the entry was made (kept in the manifest). */
  meta: Record<string, unknown> | undefined;
  rebuiltBecause?: string;
}

export async function getDerivedModel(opts: {
  cache: EngineCache;
  key: CacheKey;
  /** File name inside the entry's folder. */
  fileName: string;
  sourcePath: string;
  derive: (source: Uint8Array) => { model: Uint8Array; meta?: Record<string, unknown> };
  /** How long to wait for another process making the same entry (default 120 s). */
  waitMs?: number;
}): Promise<DerivedModel> {
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  for (;;) {
    const hit = await opts.cache.lookup(opts.key);
    if (hit) return { path: path.join(hit.dir, opts.fileName), cached: true, entryId: hit.id, meta: hit.meta };
    try {
      const entry = await opts.cache.put(opts.key, async (dir) => {
        const t0 = performance.now();
        const derived = opts.derive(await readFile(opts.sourcePath));
        await writeFile(path.join(dir, opts.fileName), derived.model);
        return { buildMs: Math.round(performance.now() - t0), meta: { ...derived.meta, source: path.basename(opts.sourcePath) } };
      });
      return {
        path: path.join(entry.dir, opts.fileName),
        cached: false,
        entryId: entry.id,
        meta: entry.meta,
        ...(entry.rebuiltBecause ? { rebuiltBecause: entry.rebuiltBecause } : {}),
      };
    } catch (e) {
      if (!(e instanceof LockBusyError) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

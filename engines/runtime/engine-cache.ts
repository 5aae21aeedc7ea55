/**
 * On-disk cache for things that are expensive to make and tied to a machine: TensorRT engines (+ their
 * EP-context wrapper models), FP16 model conversions and rec models with the argmax head
 * (rec-head.ts). The root directory is passed in (the app passes userData/engine-cache; engines never
 * imports electron).
 *
 * Layout:
 *   <root>/manifest.json          index of entries + build history (rebuilt from entry.json files if lost)
 *   <root>/entries/<id>/          one directory per key; entry.json + the files
 *   <root>/tmp/                   entries being produced (renamed into entries/ when complete)
 *   <root>/locks/<id>.lock        "being built" markers, one per key
 *   <root>/.lock                  guards manifest changes across processes
 *
 * An entry's id is a hash of its whole key, so a change in any key part (model bytes, ONNX Runtime,
 * TensorRT, GPU, driver, precision, shape profile, converter version) is simply a miss; purgeStale()
 * removes the entries left behind by such changes.
 *
 * Every file's size and sha256 are recorded when the entry is made; lookup() checks both, so a file cut
 * short or changed in place (same size, other bytes) drops the entry and it is rebuilt. Hashing costs
 * 3–5 ms per MB on the 2-core Xeon CI box (no SHA extensions; 33–50 ms for the 10.8 MB rec model), less
 * where the CPU has them: small next to loading the model into a session.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { acquireLock, fsyncDir, fsyncTree, isProcessAlive, withLock, writeFileAtomic, type LockInfo, LockBusyError } from './fs-atomic.js';
import type { Precision } from '../types.js';

export const CACHE_SCHEMA = 'lucid-ocr/engine-cache';
export const CACHE_SCHEMA_VERSION = 1;

/**
 * trt-engine: a TensorRT engine + its EP-context wrapper (trt/trt-engines.ts); fp16-model: an FP16
 * conversion (fp16.ts); rec-head-model: a rec model with the argmax head appended (rec-head.ts);
 * folded-model: a source model with its element-wise chains folded (graph-fold.ts).
 */
export type CacheEntryKind = 'trt-engine' | 'fp16-model' | 'rec-head-model' | 'folded-model';
/** Every kind, for anything that lists or counts entries by kind. */
export const CACHE_ENTRY_KINDS: readonly CacheEntryKind[] = ['trt-engine', 'fp16-model', 'rec-head-model', 'folded-model'];

/** Everything an entry depends on. null = does not apply to this kind (e.g. GPU for an FP16 model). */
export interface CacheKey {
  kind: CacheEntryKind;
  /** Which stage's model (det/cls/rec), for people reading the manifest; not needed for uniqueness. */
  stage?: 'det' | 'cls' | 'rec';
  modelSha256: string;
  ortVersion: string | null;
  trtVersion: string | null;
  gpuName: string | null;
  /** e.g. "9.0" */
  computeCapability: string | null;
  driverVersion: string | null;
  precision: Precision;
  /** Canonical shape-profile text (trt/trtexec-command.ts profileKey), or 'dynamic'. */
  shapeProfile: string;
  /** Converter/builder recipe version (FP16 converter version + options, trtexec flags hash). */
  recipe: string | null;
}

export interface ValidationRecord {
  ok: boolean;
  reason: string;
  metrics: Record<string, number>;
  validatedAt: string;
}

export interface CacheFile {
  name: string;
  bytes: number;
  /** Hex sha256 of the content, checked on lookup. Absent in entries made before hashes were recorded: filled in on their first lookup. */
  sha256?: string;
}

export interface CacheEntry {
  id: string;
  key: CacheKey;
  files: CacheFile[];
  totalBytes: number;
  createdAt: string;
  lastUsedAt: string;
  buildMs: number | null;
  validation: ValidationRecord | null;
  meta?: Record<string, unknown>;
  /** Set when this entry replaces one dropped as damaged: why it was dropped. */
  rebuiltBecause?: string;
}

/** An entry lookup() dropped because its files were damaged (kept so the rebuild can say why). */
export interface DroppedRecord {
  id: string;
  kind: CacheEntryKind;
  stage?: string;
  reason: string;
  at: string;
}

export interface BuildRecord {
  kind: CacheEntryKind;
  stage?: string;
  modelSha256: string;
  precision: Precision;
  shapeProfile: string;
  gpuName: string | null;
  buildMs: number;
  at: string;
  /** Why the build was needed when it replaced a damaged entry. */
  rebuiltBecause?: string;
}

interface Manifest {
  schema: typeof CACHE_SCHEMA;
  version: number;
  entries: CacheEntry[];
  buildHistory: BuildRecord[];
  /** Optional (absent in older manifests): entries dropped as damaged and not rebuilt yet. */
  dropped?: DroppedRecord[];
}

export interface EngineCacheOptions {
  rootDir: string;
  /** Total size limit; least recently used entries are evicted past it. Default: unlimited. */
  maxBytes?: number;
  /** Where problems that are handled (corrupt manifest, stale lock, evictions) are reported. */
  log?: (message: string) => void;
  /** How long to wait for the manifest lock (default 10 s). */
  lockTimeoutMs?: number;
  /** Age after which a manifest lock is stale (default 2 min). */
  lockStaleMs?: number;
  /** Test seam: called before each manifest rename (simulates a crash mid-write). */
  beforeManifestRename?: (tmpPath: string) => void | Promise<void>;
}

export interface ProduceResult {
  buildMs?: number;
  validation?: ValidationRecord | null;
  meta?: Record<string, unknown>;
}

const KEY_FIELDS: (keyof CacheKey)[] = [
  'kind', 'modelSha256', 'ortVersion', 'trtVersion', 'gpuName', 'computeCapability', 'driverVersion', 'precision', 'shapeProfile', 'recipe',
];
const ENV_FIELDS = ['ortVersion', 'trtVersion', 'gpuName', 'computeCapability', 'driverVersion'] as const;
const MAX_HISTORY = 64;

/**
 * Entries an older version filed under a kind that no longer describes them. Their key (and so their id)
 * differs from what is looked up now, so they are plain misses; purgeStale() removes them.
 */
function isRetired(key: CacheKey): boolean {
  // The rec argmax-head model was an 'fp16-model' with this recipe before it got its own kind.
  return key.kind === 'fp16-model' && (key.recipe ?? '').startsWith('rec-argmax-head-');
}

/** Streams the file through sha256 (1 MiB reads: measurably faster than the 64 KiB default). */
function sha256OfFile(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(filePath, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Stable id of a key: sha256 of its canonical JSON (stage excluded: it is a label). */
export function cacheKeyId(key: CacheKey): string {
  const canonical = KEY_FIELDS.map((f) => [f, key[f] ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 24);
}

function sameKey(a: CacheKey, b: CacheKey): boolean {
  return KEY_FIELDS.every((f) => (a[f] ?? null) === (b[f] ?? null));
}

function emptyManifest(): Manifest {
  return { schema: CACHE_SCHEMA, version: CACHE_SCHEMA_VERSION, entries: [], buildHistory: [] };
}

function isEntry(e: unknown): e is CacheEntry {
  const x = e as CacheEntry;
  return (
    !!x && typeof x.id === 'string' && /^[0-9a-f]{24}$/.test(x.id) && !!x.key && typeof x.key.kind === 'string' &&
    typeof x.key.modelSha256 === 'string' && Array.isArray(x.files) &&
    x.files.every((f) => typeof f?.name === 'string' && typeof f?.bytes === 'number' && (f.sha256 === undefined || (typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256)))) &&
    typeof x.createdAt === 'string' && typeof x.lastUsedAt === 'string'
  );
}

/** Why a manifest text cannot be used, or null if it can. */
function manifestProblem(parsed: unknown): string | null {
  const m = parsed as Manifest;
  if (!m || typeof m !== 'object') return 'not a JSON object';
  if (m.schema !== CACHE_SCHEMA) return `unknown schema ${JSON.stringify(m.schema)}`;
  if (m.version !== CACHE_SCHEMA_VERSION) return `schema version ${m.version} (expected ${CACHE_SCHEMA_VERSION})`;
  if (!Array.isArray(m.entries)) return 'entries is not an array';
  const bad = m.entries.findIndex((e) => !isEntry(e) || cacheKeyId(e.key) !== e.id);
  if (bad >= 0) return `entry ${bad} is malformed`;
  return null;
}

export class EngineCache {
  readonly rootDir: string;
  readonly maxBytes: number;
  readonly #log: (message: string) => void;
  readonly #opts: EngineCacheOptions;
  #tmpCleaned = false;

  constructor(opts: EngineCacheOptions) {
    this.rootDir = path.resolve(opts.rootDir);
    this.maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#log = opts.log ?? (() => {});
    this.#opts = opts;
  }

  get manifestPath(): string {
    return path.join(this.rootDir, 'manifest.json');
  }
  entryDir(id: string): string {
    return path.join(this.rootDir, 'entries', id);
  }
  /** Shared TensorRT timing caches live here (valid per GPU model + TensorRT version, not per entry). */
  timingCacheDir(): string {
    return path.join(this.rootDir, 'timing');
  }
  #lockPath(): string {
    return path.join(this.rootDir, '.lock');
  }

  async #ensureDirs(): Promise<void> {
    await fs.mkdir(path.join(this.rootDir, 'entries'), { recursive: true });
    await fs.mkdir(path.join(this.rootDir, 'tmp'), { recursive: true });
    await fs.mkdir(path.join(this.rootDir, 'locks'), { recursive: true });
  }

  async #withManifestLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.#ensureDirs();
    return withLock(this.#lockPath(), fn, {
      timeoutMs: this.#opts.lockTimeoutMs ?? 10_000,
      staleMs: this.#opts.lockStaleMs ?? 120_000,
      purpose: 'engine-cache manifest',
      log: this.#log,
    });
  }

  /** Reads the manifest; a missing one is empty, a corrupt one is rebuilt from the entry directories. */
  async #readManifest(): Promise<Manifest> {
    let text: string;
    try {
      text = await fs.readFile(this.manifestPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.#recoverFromEntries(null);
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return this.#recoverFromEntries(`manifest.json is not valid JSON (${(e as Error).message})`);
    }
    const problem = manifestProblem(parsed);
    if (problem) return this.#recoverFromEntries(`manifest.json is unusable: ${problem}`);
    const m = parsed as Manifest;
    if (!Array.isArray(m.buildHistory)) m.buildHistory = [];
    if (m.dropped !== undefined && !Array.isArray(m.dropped)) delete m.dropped;
    return m;
  }

  /**
   * Rebuilds the index from entries/<id>/entry.json. Entry directories whose entry.json is missing,
   * unreadable or inconsistent are deleted (they may be half-written leftovers of an old crash).
   */
  async #recoverFromEntries(reason: string | null): Promise<Manifest> {
    const m = emptyManifest();
    let dirs: string[] = [];
    try {
      dirs = await fs.readdir(path.join(this.rootDir, 'entries'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (reason) this.#log(`Engine cache: ${reason}; rebuilding the index from ${dirs.length} entry folder(s).`);
    for (const id of dirs) {
      const dir = this.entryDir(id);
      try {
        const e = JSON.parse(await fs.readFile(path.join(dir, 'entry.json'), 'utf8')) as unknown;
        if (!isEntry(e) || e.id !== id || cacheKeyId(e.key) !== id) throw new Error('entry.json does not match its folder');
        // Sizes only: re-indexing should not read every file; lookup() checks the content before use.
        await this.#checkFiles(e, { content: false });
        m.entries.push(e);
      } catch (err) {
        if (reason || dirs.length) this.#log(`Engine cache: dropping entry folder ${id}: ${(err as Error).message}`);
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    // Persist the rebuilt index right away (every caller holds the manifest lock).
    if (reason) await this.#writeManifest(m);
    return m;
  }

  async #writeManifest(m: Manifest): Promise<void> {
    await writeFileAtomic(this.manifestPath, JSON.stringify(m, null, 2), { beforeRename: this.#opts.beforeManifestRename });
  }

  /**
   * Throws if a file of the entry is missing, has the wrong size (truncated copy, disk full) or, with
   * `content`, other bytes than when it was made (damage in place). A file with no recorded hash (entry
   * from before hashes were kept) gets its hash recorded in `e.files`; returns true when that happened.
   */
  async #checkFiles(e: CacheEntry, opts: { content: boolean }): Promise<boolean> {
    let filledIn = false;
    for (const f of e.files) {
      const file = path.join(this.entryDir(e.id), f.name);
      const st = await fs.stat(file);
      if (st.size !== f.bytes) throw new Error(`${f.name} is ${st.size} bytes, expected ${f.bytes}`);
      if (!opts.content) continue;
      const sha256 = await sha256OfFile(file);
      if (f.sha256 === undefined) {
        f.sha256 = sha256;
        filledIn = true;
      } else if (sha256 !== f.sha256) {
        throw new Error(`${f.name} has the right size but other content: sha256 ${sha256.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…`);
      }
    }
    return filledIn;
  }

  /** Removes producer folders left in tmp/ by processes that died mid-build. */
  async #cleanTmp(): Promise<void> {
    if (this.#tmpCleaned) return;
    this.#tmpCleaned = true;
    const tmp = path.join(this.rootDir, 'tmp');
    let names: string[] = [];
    try {
      names = await fs.readdir(tmp);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = Number(/-p(\d+)-/.exec(name)?.[1]);
      if (pid === process.pid || isProcessAlive(pid)) continue;
      this.#log(`Engine cache: removing leftover ${name} (owner pid ${pid || '?'} is gone)`);
      await fs.rm(path.join(tmp, name), { recursive: true, force: true });
    }
  }

  /** All entries (manifest order). */
  async list(): Promise<CacheEntry[]> {
    return this.#withManifestLock(async () => (await this.#readManifest()).entries);
  }

  /**
   * Finds the entry for `key` (exact match on every key part), checks its files (size and sha256) and
   * marks it used. Returns null on a miss or when its files are damaged: the entry is then dropped, the
   * reason logged and kept in the manifest (the rebuilt entry's rebuiltBecause), so it gets rebuilt.
   *
   * An entry written before hashes were recorded is accepted on its sizes, as the version that wrote it
   * would have, and its hashes are recorded now: every later lookup checks the content. Rebuilding such
   * entries instead would cost minutes of trtexec plus validation per TensorRT profile (seconds per FP16
   * conversion) to guard against damage the version that wrote them did not check for either.
   */
  async lookup(key: CacheKey, opts: { touch?: boolean } = {}): Promise<(CacheEntry & { dir: string }) | null> {
    const id = cacheKeyId(key);
    return this.#withManifestLock(async () => {
      const m = await this.#readManifest();
      const e = m.entries.find((x) => x.id === id);
      if (!e || !sameKey(e.key, key)) return null;
      let filledIn: boolean;
      try {
        filledIn = await this.#checkFiles(e, { content: true });
      } catch (err) {
        const reason = (err as Error).message;
        this.#log(`Engine cache: ${e.key.kind} entry ${id}${e.key.stage ? ` (${e.key.stage})` : ''} is damaged (${reason}); it will be rebuilt.`);
        m.entries = m.entries.filter((x) => x.id !== id);
        m.dropped = [...(m.dropped ?? []).filter((d) => d.id !== id), { id, kind: e.key.kind, ...(e.key.stage ? { stage: e.key.stage } : {}), reason, at: new Date().toISOString() }].slice(-MAX_HISTORY);
        await fs.rm(this.entryDir(id), { recursive: true, force: true });
        await this.#writeManifest(m);
        return null;
      }
      if (filledIn) {
        this.#log(`Engine cache: ${e.key.kind} entry ${id} predates content hashes; accepted on its sizes and its sha256 recorded.`);
        await writeFileAtomic(path.join(this.entryDir(id), 'entry.json'), JSON.stringify(e, null, 2));
      }
      if (opts.touch ?? true) e.lastUsedAt = new Date().toISOString();
      if (filledIn || (opts.touch ?? true)) await this.#writeManifest(m);
      return { ...e, dir: this.entryDir(id) };
    });
  }

  /**
   * Produces an entry: `produce(dir)` writes the files into a private temp folder; only when it
   * resolves is the folder renamed into place and the manifest updated. A throw (or a crash) leaves no
   * entry and no partial file behind. Concurrent producers of one key are kept apart by a per-key
   * build lock: the second gets a LockBusyError naming the first.
   */
  async put(key: CacheKey, produce: (dir: string) => Promise<ProduceResult | void>): Promise<CacheEntry & { dir: string }> {
    await this.#ensureDirs();
    await this.#cleanTmp();
    const id = cacheKeyId(key);
    const releaseBuild = await acquireLock(path.join(this.rootDir, 'locks', `${id}.lock`), {
      timeoutMs: 0,
      // A build may legitimately run for many minutes; only a dead owner makes this lock stale.
      staleMs: 6 * 3600_000,
      purpose: `building ${key.kind} ${key.stage ?? ''} ${key.precision}`.trim(),
      log: this.#log,
    });
    const tmpDir = path.join(this.rootDir, 'tmp', `${id}-p${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      // Whether this replaces an entry dropped as damaged (recorded by lookup), to say so in the new entry.
      const rebuiltBecause = await this.#withManifestLock(async () => (await this.#readManifest()).dropped?.findLast((d) => d.id === id)?.reason);
      await fs.mkdir(tmpDir, { recursive: true });
      const t0 = performance.now();
      const result = (await produce(tmpDir)) ?? {};
      const buildMs = result.buildMs ?? Math.round(performance.now() - t0);
      const files: CacheFile[] = [];
      for (const name of (await fs.readdir(tmpDir)).sort()) {
        if (name === 'entry.json') continue;
        const file = path.join(tmpDir, name);
        const st = await fs.stat(file);
        if (st.isFile()) files.push({ name, bytes: st.size, sha256: await sha256OfFile(file) });
      }
      if (files.length === 0) throw new Error('the producer wrote no files');
      const now = new Date().toISOString();
      const entry: CacheEntry = {
        id,
        key: { ...key },
        files,
        totalBytes: files.reduce((a, f) => a + f.bytes, 0),
        createdAt: now,
        lastUsedAt: now,
        buildMs,
        validation: result.validation ?? null,
        ...(result.meta ? { meta: result.meta } : {}),
        ...(rebuiltBecause ? { rebuiltBecause } : {}),
      };
      await writeFileAtomic(path.join(tmpDir, 'entry.json'), JSON.stringify(entry, null, 2));
      await fsyncTree(tmpDir);
      await this.#withManifestLock(async () => {
        const m = await this.#readManifest();
        const dest = this.entryDir(id);
        const old = path.join(this.rootDir, 'tmp', `${id}-old-p${process.pid}-${randomBytes(4).toString('hex')}`);
        await fs.rename(dest, old).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        await fs.rename(tmpDir, dest);
        await fsyncDir(path.dirname(dest));
        await fs.rm(old, { recursive: true, force: true });
        m.entries = [...m.entries.filter((x) => x.id !== id), entry];
        if (m.dropped) m.dropped = m.dropped.filter((d) => d.id !== id);
        m.buildHistory = [
          ...m.buildHistory,
          {
            kind: key.kind, stage: key.stage, modelSha256: key.modelSha256, precision: key.precision, shapeProfile: key.shapeProfile, gpuName: key.gpuName, buildMs, at: now,
            ...(rebuiltBecause ? { rebuiltBecause } : {}),
          },
        ].slice(-MAX_HISTORY);
        await this.#evict(m, new Set([id]));
        await this.#writeManifest(m);
      });
      return { ...entry, dir: this.entryDir(id) };
    } finally {
      await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => {});
      await releaseBuild();
    }
  }

  /** Who is building `key` right now, if anyone (another process or this one). */
  async buildInProgress(key: CacheKey): Promise<LockInfo | null> {
    const p = path.join(this.rootDir, 'locks', `${cacheKeyId(key)}.lock`);
    try {
      const info = JSON.parse(await fs.readFile(p, 'utf8')) as LockInfo;
      return isProcessAlive(info.pid) ? info : null;
    } catch {
      return null;
    }
  }

  /** Records the validation gate's verdict on an entry (kept, so a rejected engine is not rebuilt in a loop). */
  async setValidation(id: string, validation: ValidationRecord): Promise<void> {
    await this.#withManifestLock(async () => {
      const m = await this.#readManifest();
      const e = m.entries.find((x) => x.id === id);
      if (!e) return;
      e.validation = validation;
      await writeFileAtomic(path.join(this.entryDir(id), 'entry.json'), JSON.stringify(e, null, 2));
      await this.#writeManifest(m);
    });
  }

  /** The rebuild action for one entry: drops it so the next lookup misses. */
  async invalidate(idOrKey: string | CacheKey): Promise<boolean> {
    const id = typeof idOrKey === 'string' ? idOrKey : cacheKeyId(idOrKey);
    return this.#withManifestLock(async () => {
      const m = await this.#readManifest();
      const had = m.entries.some((x) => x.id === id);
      m.entries = m.entries.filter((x) => x.id !== id);
      await fs.rm(this.entryDir(id), { recursive: true, force: true });
      await this.#writeManifest(m);
      return had;
    });
  }

  /** The rebuild-all action: drops every entry (build history is kept for time estimates). */
  async invalidateAll(filter?: (e: CacheEntry) => boolean): Promise<number> {
    return this.#withManifestLock(async () => {
      const m = await this.#readManifest();
      const drop = m.entries.filter((e) => !filter || filter(e));
      for (const e of drop) await fs.rm(this.entryDir(e.id), { recursive: true, force: true });
      m.entries = m.entries.filter((e) => !drop.includes(e));
      await this.#writeManifest(m);
      return drop.length;
    });
  }

  /**
   * Removes entries made for another environment: any of the given environment fields differs (ONNX
   * Runtime upgraded, new driver, other GPU …), or the model hash is not among `modelSha256s`.
   * Fields left undefined are not compared. Entries filed under a retired kind (isRetired) go too.
   * Returns the removed ids.
   */
  async purgeStale(current: Partial<Pick<CacheKey, (typeof ENV_FIELDS)[number]>> & { modelSha256s?: string[] }): Promise<string[]> {
    return this.#withManifestLock(async () => {
      const m = await this.#readManifest();
      const removed: string[] = [];
      m.entries = m.entries.filter((e) => {
        const envMismatch = ENV_FIELDS.some((f) => {
          if (current[f] === undefined) return false;
          // An FP16 model does not depend on the GPU/driver/TensorRT: null key parts are not compared.
          if (e.key[f] === null) return false;
          return e.key[f] !== current[f];
        });
        const modelGone = current.modelSha256s ? !current.modelSha256s.includes(e.key.modelSha256) : false;
        const stale = envMismatch || modelGone || isRetired(e.key);
        if (stale) removed.push(e.id);
        return !stale;
      });
      for (const id of removed) {
        this.#log(`Engine cache: purging stale entry ${id}`);
        await fs.rm(this.entryDir(id), { recursive: true, force: true });
      }
      if (removed.length) await this.#writeManifest(m);
      return removed;
    });
  }

  /** Evicts least recently used entries until the cache fits `maxBytes`. Returns the evicted ids. */
  async evictToLimit(keep: Iterable<string> = []): Promise<string[]> {
    return this.#withManifestLock(async () => {
      const m = await this.#readManifest();
      const evicted = await this.#evict(m, new Set(keep));
      if (evicted.length) await this.#writeManifest(m);
      return evicted;
    });
  }

  async #evict(m: Manifest, keep: Set<string>): Promise<string[]> {
    let total = m.entries.reduce((a, e) => a + e.totalBytes, 0);
    if (total <= this.maxBytes) return [];
    const evicted: string[] = [];
    const byAge = [...m.entries].filter((e) => !keep.has(e.id)).sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
    for (const e of byAge) {
      if (total <= this.maxBytes) break;
      await fs.rm(this.entryDir(e.id), { recursive: true, force: true });
      total -= e.totalBytes;
      evicted.push(e.id);
      this.#log(`Engine cache: evicted ${e.id} (${e.key.kind} ${e.key.stage ?? ''}, last used ${e.lastUsedAt}) to stay under ${this.maxBytes} bytes`);
    }
    m.entries = m.entries.filter((e) => !evicted.includes(e.id));
    return evicted;
  }

  /**
   * Duration of the most similar earlier build, for "about N minutes left": same model + precision +
   * profile + GPU first, then the same without the GPU, then same kind + precision.
   */
  async estimateBuildMs(key: CacheKey): Promise<number | null> {
    const h = await this.#withManifestLock(async () => (await this.#readManifest()).buildHistory);
    const tiers: ((r: BuildRecord) => boolean)[] = [
      (r) => r.kind === key.kind && r.modelSha256 === key.modelSha256 && r.precision === key.precision && r.shapeProfile === key.shapeProfile && r.gpuName === key.gpuName,
      (r) => r.kind === key.kind && r.modelSha256 === key.modelSha256 && r.precision === key.precision && r.shapeProfile === key.shapeProfile,
      (r) => r.kind === key.kind && r.stage === key.stage && r.precision === key.precision,
    ];
    for (const t of tiers) {
      const hit = h.filter(t).at(-1);
      if (hit) return hit.buildMs;
    }
    return null;
  }
}

export { LockBusyError };

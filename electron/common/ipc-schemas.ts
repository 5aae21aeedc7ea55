/**
 * Runtime validators for every InvokeChannels payload, plus the sender check. Hand-written (no schema
 * dependency): small combinators, strict objects (unknown keys are errors), explicit bounds on every
 * number, string and array, so a compromised or buggy renderer cannot make main allocate, read or write
 * beyond what a channel documents.
 *
 * Used by both transports: electron/main/ipc/typed-ipc-main.ts and electron/headless/server.ts.
 * Pure TS (the renderer may import it to pre-check forms).
 */
import { OcrError } from '../../engines/errors.js';
import {
  DET_MAX_SIDE_LEN_RANGE,
  EXPORT_FORMATS,
  INVOKE_CHANNELS,
  MAX_OPEN_PATHS,
  MAX_UPLOAD_BYTES,
  type InvokeChannel,
  type InvokePayload,
} from './ipc-contract.js';

/** Throws OcrError INVALID_ARGUMENT naming the offending field; returns the value typed. */
export type Validator<T> = (value: unknown, path: string) => T;
type Out<V> = V extends Validator<infer T> ? T : never;

function invalid(path: string, message: string): never {
  throw new OcrError('INVALID_ARGUMENT', `Invalid ${path}: ${message}.`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

export function str(opts: { min?: number; max: number; pattern?: RegExp; patternHint?: string }): Validator<string> {
  return (v, path) => {
    if (typeof v !== 'string') return invalid(path, `expected a string, got ${describe(v)}`);
    if (v.length < (opts.min ?? 0)) return invalid(path, opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters`);
    if (v.length > opts.max) return invalid(path, `must be at most ${opts.max} characters`);
    if (v.includes('\0')) return invalid(path, 'must not contain NUL characters');
    if (opts.pattern && !opts.pattern.test(v)) return invalid(path, opts.patternHint ?? `must match ${opts.pattern}`);
    return v;
  };
}

export function int(opts: { min: number; max: number }): Validator<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return invalid(path, `expected an integer, got ${describe(v)}`);
    if (v < opts.min || v > opts.max) return invalid(path, `must be between ${opts.min} and ${opts.max}`);
    return v;
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Validator<T> {
  return (v, path) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      return invalid(path, `expected one of ${values.map((x) => `'${x}'`).join(', ')}`);
    }
    return v as T;
  };
}

export function arrayOf<T>(item: Validator<T>, opts: { min?: number; max: number }): Validator<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return invalid(path, `expected an array, got ${describe(v)}`);
    if (v.length < (opts.min ?? 0)) return invalid(path, `must have at least ${opts.min} item(s)`);
    if (v.length > opts.max) return invalid(path, `must have at most ${opts.max} items`);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}

export function bytes(opts: { min?: number; max: number }): Validator<Uint8Array> {
  return (v, path) => {
    if (!(v instanceof Uint8Array)) return invalid(path, `expected bytes (Uint8Array), got ${describe(v)}`);
    if (v.byteLength < (opts.min ?? 0)) return invalid(path, 'is empty');
    if (v.byteLength > opts.max) return invalid(path, `is larger than ${Math.round(opts.max / 1024 / 1024)} MiB`);
    return v;
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A strict object: required keys, optional keys, nothing else. */
export function object<R extends Record<string, Validator<unknown>>, O extends Record<string, Validator<unknown>> = {}>(
  required: R,
  optional?: O,
): Validator<{ [K in keyof R]: Out<R[K]> } & { [K in keyof O]?: Out<O[K]> }> {
  return (v, path) => {
    if (!isPlainObject(v)) return invalid(path, `expected an object, got ${describe(v)}`);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if (!(key in required) && !(optional && key in optional)) invalid(`${path}.${key}`, 'unknown field');
    }
    for (const [key, check] of Object.entries(required)) {
      if (v[key] === undefined) invalid(`${path}.${key}`, 'is required');
      out[key] = check(v[key], `${path}.${key}`);
    }
    for (const [key, check] of Object.entries(optional ?? {})) {
      if (v[key] !== undefined) out[key] = check(v[key], `${path}.${key}`);
    }
    return out as { [K in keyof R]: Out<R[K]> } & { [K in keyof O]?: Out<O[K]> };
  };
}

export function recordOf<T>(key: Validator<string>, value: Validator<T>, opts: { maxKeys: number }): Validator<Record<string, T>> {
  return (v, path) => {
    if (!isPlainObject(v)) return invalid(path, `expected an object, got ${describe(v)}`);
    const keys = Object.keys(v);
    if (keys.length > opts.maxKeys) return invalid(path, `must have at most ${opts.maxKeys} entries`);
    // Object.create(null): a key named __proto__ stays a plain entry.
    const out = Object.create(null) as Record<string, T>;
    for (const k of keys) out[key(k, `${path} key "${k.slice(0, 40)}"`)] = value(v[k], `${path}["${k.slice(0, 40)}"]`);
    return out;
  };
}

/** `{}` channels: an empty object (or nothing at all). */
const empty: Validator<Record<string, never>> = (v, path) => {
  if (v === undefined || v === null) return {};
  return object({})(v, path) as Record<string, never>;
};

// ---------------------------------------------------------------- field validators

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Document ids are UUIDs made by main (so 'all' or a path can never pass for one). */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const documentId = str({ min: 36, max: 36, pattern: UUID_PATTERN, patternHint: 'must be an id returned by documents:open' });
export const jobId = str({ min: 1, max: 128, pattern: ID_PATTERN, patternHint: 'must be an id returned by ocr:start' });
/** An absolute path on any OS (POSIX, drive letter or UNC). */
export const absolutePath = str({
  min: 1,
  max: 4096,
  pattern: /^(\/|[A-Za-z]:[\\/]|\\\\)/,
  patternHint: 'must be an absolute path',
});
/** A bare file name: no directory part, not . or .. */
export const fileName = str({ min: 1, max: 255, pattern: /^(?!\.{1,2}$)[^/\\]+$/, patternHint: 'must be a file name without any directory part' });
export const pageIndex = int({ min: 0, max: 99_999 });
export const dpi = int({ min: 36, max: 1200 });
export const pdfMode = oneOf(['auto', 'ocr', 'text-layer'] as const);
export const exportFormat = oneOf(EXPORT_FORMATS);
export const ep = oneOf(['auto', 'tensorrt', 'cuda', 'webgpu', 'dml', 'coreml', 'cpu'] as const);
export const precision = oneOf(['fp32', 'fp16'] as const);
export const detMaxSideLen = int(DET_MAX_SIDE_LEN_RANGE);
/** Line ids as engines/layout makes them: `p{page}-l{index}`. */
const lineId = str({ min: 1, max: 32, pattern: /^p\d+-l\d+$/, patternHint: 'must be a line id (p{page}-l{index})' });
/** A corrected line: generous, but bounded. */
const lineText = str({ max: 10_000 });
const documentEdits = recordOf(documentId, recordOf(lineId, lineText, { maxKeys: 100_000 }), { maxKeys: 10_000 });

/** One validator per invoke channel; a missing one is a compile error. */
export const INVOKE_SCHEMAS: { [K in InvokeChannel]: Validator<InvokePayload<K>> } = {
  'documents:open': object({}, { paths: arrayOf(absolutePath, { min: 1, max: MAX_OPEN_PATHS }) }),
  'documents:add-bytes': object({ name: fileName, bytes: bytes({ min: 1, max: MAX_UPLOAD_BYTES }) }),
  'documents:list': empty,
  'documents:get': object({ documentId }),
  'documents:remove': object({ documentId }),
  'ocr:start': object(
    { documentId },
    { pages: arrayOf(pageIndex, { min: 1, max: 100_000 }), dpi, pdfMode },
  ),
  'ocr:cancel': object({ jobId }),
  'ocr:compare': object({ documentId, pageIndex }),
  'export:save': object(
    { documentId: (v, p) => (v === 'all' ? 'all' : documentId(v, p)), format: exportFormat },
    { edits: documentEdits },
  ),
  'export:render': object({ documentId, format: exportFormat }, { edits: documentEdits }),
  'engine:info': empty,
  'engine:rebuild': empty,
  'engine:cancel-build': empty,
  'settings:get': empty,
  'settings:set': object({}, { ep, precision, detMaxSideLen }),
  'pages:image': object({ documentId, pageIndex }),
};

const CHANNEL_SET: ReadonlySet<string> = new Set(INVOKE_CHANNELS);

export function isInvokeChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && CHANNEL_SET.has(channel);
}

/**
 * Checks the channel name and its payload; returns the payload as the handler may trust it (a fresh
 * object: unknown keys dropped by construction). Throws OcrError INVALID_ARGUMENT.
 */
export function validateInvoke<K extends InvokeChannel>(channel: K, payload: unknown): InvokePayload<K>;
export function validateInvoke(channel: string, payload: unknown): unknown;
export function validateInvoke(channel: string, payload: unknown): unknown {
  if (!isInvokeChannel(channel)) throw new OcrError('INVALID_ARGUMENT', `Unknown channel "${String(channel).slice(0, 64)}".`);
  return (INVOKE_SCHEMAS[channel] as Validator<unknown>)(payload, channel);
}

/**
 * `scheme://host[:port]` of a URL, also for custom schemes (whose WHATWG `origin` is the string "null").
 * undefined for anything unparsable.
 */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return 'file://';
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

/**
 * The sender check for every invoke: the sending frame's URL must be one of our app's origins (the
 * packaged app's custom scheme, or the dev server in development). A remote page that somehow ended up
 * in a frame, or a navigated window, gets nothing (Electron security checklist item 17).
 */
export function isTrustedSender(senderUrl: string | undefined, trustedOrigins: readonly string[]): boolean {
  const origin = originOf(senderUrl);
  if (!origin || origin === 'file://') return false; // file:// is any local file, never trusted
  return trustedOrigins.includes(origin);
}

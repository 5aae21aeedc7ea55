// The versioned document JSON (engines/export/schema/document.v1.schema.json): keys in schema order whatever
// order the objects were built in, so two exports of the same result are byte-identical and diff well.
import type {
  Block,
  DocumentSourceInfo,
  EngineInfo,
  Line,
  OcrDocument,
  Page,
  PageFailure,
  Rect,
  SerializedOcrError,
  StageProvider,
  StageTimings,
  Word,
} from '../types.js';

/**
 * A complete key list for T, checked at compile time: leaving out a key of T is a type error, so adding a field
 * to types.ts without deciding where it goes in the JSON does not compile.
 */
function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missingKeys: Exclude<keyof T, K[number]> }),
  ): K => keys;
}

/** Key order of every object in the document; the test checks these against the schema's property order. */
export const JSON_KEY_ORDER = {
  OcrDocument: keysOf<OcrDocument>()(['$schema', 'schemaVersion', 'source', 'pages', 'failures', 'engine', 'createdAt']),
  DocumentSourceInfo: keysOf<DocumentSourceInfo>()(['path', 'name', 'sha256', 'mimeType', 'byteLength', 'pageCount']),
  Page: keysOf<Page>()(['index', 'width', 'height', 'rotation', 'rotationConfidence', 'source', 'dpi', 'sizePt', 'blocks', 'text', 'timings', 'providers', 'warnings']),
  Block: keysOf<Block>()(['id', 'kind', 'bbox', 'lines']),
  Rect: keysOf<Rect>()(['x', 'y', 'width', 'height']),
  Line: keysOf<Line>()(['id', 'text', 'confidence', 'quad', 'words', 'detScore', 'flipped']),
  Word: keysOf<Word>()(['text', 'quad', 'confidence']),
  StageTimings: keysOf<StageTimings>()(['decodeMs', 'detPreMs', 'detRunMs', 'detPostMs', 'cropMs', 'clsMs', 'recPreMs', 'recRunMs', 'recPostMs', 'layoutMs', 'totalMs']),
  StageProvider: keysOf<StageProvider>()(['stage', 'provider', 'precision', 'fallbacks']),
  PageFailure: keysOf<PageFailure>()(['index', 'error']),
  SerializedOcrError: keysOf<SerializedOcrError>()(['name', 'code', 'message', 'isInputError', 'file', 'page', 'cause']),
  EngineInfo: keysOf<EngineInfo>()(['name', 'version', 'onnxruntimeVersion', 'models', 'precision', 'providers', 'warmUpMs', 'warmedShapes', 'cudaWait', 'threads']),
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Transform = (value: never) => Json;

/**
 * Copies `obj` with its keys in `order` (undefined values dropped), transforming the listed children. Keys not in
 * the order (fields added later than this exporter) follow in alphabetical order rather than being lost.
 */
function ordered(obj: object, order: readonly string[], children: Record<string, Transform> = {}): Json {
  const src = obj as Record<string, unknown>;
  const out: Record<string, Json> = {};
  const extra = Object.keys(src).filter((k) => !order.includes(k)).sort();
  for (const key of [...order, ...extra]) {
    const value = src[key];
    if (value === undefined) continue;
    const child = children[key];
    out[key] = child ? child(value as never) : (value as Json);
  }
  return out;
}

const K = JSON_KEY_ORDER;

const provider = (p: StageProvider): Json =>
  ordered(p, K.StageProvider, { fallbacks: (f: StageProvider['fallbacks']) => f.map((x) => ordered(x, ['provider', 'reason'])) });

const word = (w: Word): Json => ordered(w, K.Word);
const line = (l: Line): Json => ordered(l, K.Line, { words: (ws: Word[]) => ws.map(word) });
const block = (b: Block): Json => ordered(b, K.Block, { bbox: (r: Rect) => ordered(r, K.Rect), lines: (ls: Line[]) => ls.map(line) });

const page = (p: Page): Json =>
  ordered(p, K.Page, {
    sizePt: (s: NonNullable<Page['sizePt']>) => ordered(s, ['width', 'height']),
    blocks: (bs: Block[]) => bs.map(block),
    timings: (t: StageTimings) => ordered(t, K.StageTimings),
    providers: (ps: StageProvider[]) => ps.map(provider),
  });

const failure = (f: PageFailure): Json => ordered(f, K.PageFailure, { error: (e: SerializedOcrError) => ordered(e, K.SerializedOcrError) });

const engine = (e: EngineInfo): Json =>
  ordered(e, K.EngineInfo, {
    models: (m: EngineInfo['models']) => ordered(m, ['det', 'cls', 'rec', 'dict']),
    providers: (ps: StageProvider[]) => ps.map(provider),
    threads: (t: NonNullable<EngineInfo['threads']>) =>
      ordered(t, ['requested', 'started', 'failed'], { failed: (fs: NonNullable<EngineInfo['threads']>['failed']) => fs.map((f) => ordered(f, ['thread', 'reason'])) }),
  });

/** The document as plain JSON values in canonical key order. */
export function toJsonValue(doc: OcrDocument): Json {
  return ordered(doc, K.OcrDocument, {
    source: (s: DocumentSourceInfo) => ordered(s, K.DocumentSourceInfo),
    pages: (ps: Page[]) => ps.map(page),
    failures: (fs: PageFailure[]) => fs.map(failure),
    engine,
  });
}

/** Arrays of numbers, or of such arrays (points, quads), print on one line: a quad is one line, not fourteen. */
function isNumeric(value: Json): boolean {
  return typeof value === 'number' || (Array.isArray(value) && value.every(isNumeric));
}

function scalar(value: Json): string {
  // JSON has no NaN or Infinity; like JSON.stringify, write null (the schema then reports the bad value).
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value);
}

function inline(value: Json): string {
  return Array.isArray(value) ? '[' + value.map(inline).join(', ') + ']' : scalar(value);
}

/** Appends the text of `value` to `out` (one array of chunks for the whole document: no nested joins). */
function write(value: Json, indent: string, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    out.push(scalar(value));
    return;
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) out.push('[]');
    else if (isNumeric(value)) out.push(inline(value));
    else {
      out.push('[\n');
      value.forEach((v, i) => {
        out.push(i ? ',\n' + inner : inner);
        write(v, inner, out);
      });
      out.push('\n' + indent + ']');
    }
    return;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  keys.forEach((k, i) => {
    out.push((i ? ',\n' : '') + inner + JSON.stringify(k) + ': ');
    write(value[k]!, inner, out);
  });
  out.push('\n' + indent + '}');
}

/**
 * The document as versioned JSON text: keys in schema order, two-space indentation, numeric arrays (points,
 * quads) on one line, '\n' at the end. `JSON.parse(toJson(doc))` deep-equals the document minus undefined fields.
 */
export function toJson(doc: OcrDocument): string {
  const out: string[] = [];
  write(toJsonValue(doc), '', out);
  out.push('\n');
  return out.join('');
}

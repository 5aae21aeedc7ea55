/**
 * Main's memory of open documents: where each came from (a path, or uploaded bytes), what it is, the
 * results received so far by page, and the user's edits. Transport-agnostic; one store per app/server.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentInput } from '../../../engines/api.js';
import { OcrError } from '../../../engines/errors.js';
import {
  RESULT_SCHEMA_ID,
  RESULT_SCHEMA_VERSION,
  type DocumentSourceInfo,
  type EngineInfo,
  type OcrDocument,
  type Page,
  type PageFailure,
} from '../../../engines/types.js';
import type { DocumentId, DocumentState, DocumentSummary, JobId, LineId } from '../../common/ipc-contract.js';

export interface DocumentRecord {
  readonly id: DocumentId;
  readonly info: DocumentSourceInfo;
  /** Absolute path for files opened from disk. */
  readonly path?: string;
  /** Content for uploads (kept: re-OCR and the viewer need it). */
  readonly bytes?: Uint8Array;
  readonly pages: Map<number, Page>;
  readonly failures: Map<number, PageFailure>;
  edits: Record<LineId, string>;
  activeJobId?: JobId;
  /** Engine of the last job that produced pages. */
  engine?: EngineInfo;
  /** dpi the last job asked for (PDF pages), so the viewer renders the same pixels. */
  dpi?: number;
}

export class DocumentStore {
  readonly #docs = new Map<DocumentId, DocumentRecord>();

  add(info: DocumentSourceInfo, source: { path: string } | { bytes: Uint8Array }): DocumentRecord {
    // The same file opened twice is the same document (same path, same content).
    if ('path' in source) {
      for (const d of this.#docs.values()) if (d.path === source.path && d.info.sha256 === info.sha256) return d;
    }
    const rec: DocumentRecord = {
      id: randomUUID(),
      info,
      ...('path' in source ? { path: source.path } : { bytes: source.bytes }),
      pages: new Map(),
      failures: new Map(),
      edits: {},
    };
    this.#docs.set(rec.id, rec);
    return rec;
  }

  /** Throws INVALID_ARGUMENT for an unknown id (a stale renderer, a removed document). */
  get(id: DocumentId): DocumentRecord {
    const rec = this.#docs.get(id);
    if (!rec) throw new OcrError('INVALID_ARGUMENT', `No open document has id ${id}.`);
    return rec;
  }

  has(id: DocumentId): boolean {
    return this.#docs.has(id);
  }

  list(): DocumentRecord[] {
    return [...this.#docs.values()];
  }

  remove(id: DocumentId): boolean {
    return this.#docs.delete(id);
  }

  static input(rec: DocumentRecord): DocumentInput {
    return rec.path ?? { name: rec.info.name, bytes: rec.bytes! };
  }

  static summary(rec: DocumentRecord): DocumentSummary {
    return {
      id: rec.id,
      name: rec.info.name,
      ...(rec.path ? { path: rec.path } : {}),
      mimeType: rec.info.mimeType,
      byteLength: rec.info.byteLength,
      pageCount: rec.info.pageCount,
      sha256: rec.info.sha256,
      donePages: [...rec.pages.keys()].sort((a, b) => a - b),
      failedPages: [...rec.failures.keys()].sort((a, b) => a - b),
      ...(rec.activeJobId ? { activeJobId: rec.activeJobId } : {}),
    };
  }

  static state(rec: DocumentRecord): DocumentState {
    return {
      summary: DocumentStore.summary(rec),
      pages: [...rec.pages.values()].sort((a, b) => a.index - b.index),
      failures: [...rec.failures.values()].sort((a, b) => a.index - b.index),
      edits: { ...rec.edits },
    };
  }

  /** The results so far as a result-model document (what exporters take). */
  static toOcrDocument(rec: DocumentRecord): OcrDocument {
    if (!rec.engine || rec.pages.size === 0) {
      throw new OcrError('INVALID_ARGUMENT', `${rec.info.name} has not been recognised yet; run OCR before exporting.`, { file: rec.info.name });
    }
    return {
      $schema: RESULT_SCHEMA_ID,
      schemaVersion: RESULT_SCHEMA_VERSION,
      source: rec.info,
      pages: [...rec.pages.values()].sort((a, b) => a.index - b.index),
      failures: [...rec.failures.values()].sort((a, b) => a.index - b.index),
      engine: rec.engine,
      createdAt: new Date().toISOString(),
    };
  }
}

/**
 * Named selectors. Those that build new arrays or objects must be used with `useShallow` (or are
 * memo-free helpers called inside components with already-selected inputs).
 */
import type { Line, Page } from '../../engines/types.js';
import type { DocumentEntry } from './documents-slice.js';
import type { AppStore } from './index.js';
import { pageKey, type JobEntry, type OcrStageName } from './ocr-slice.js';

export function selectOrderedDocuments(s: AppStore): DocumentEntry[] {
  return s.documentOrder.map((id) => s.documents[id]).filter((d): d is DocumentEntry => d !== undefined);
}

export function selectCurrentDocument(s: AppStore): DocumentEntry | undefined {
  return s.currentDocumentId === null ? undefined : s.documents[s.currentDocumentId];
}

export function selectCurrentPage(s: AppStore): Page | undefined {
  return s.currentDocumentId === null ? undefined : s.pagesByKey[pageKey(s.currentDocumentId, s.currentPageIndex)];
}

export function selectPage(s: AppStore, documentId: string, pageIndex: number): Page | undefined {
  return s.pagesByKey[pageKey(documentId, pageIndex)];
}

export function selectJobForDocument(s: AppStore, documentId: string): JobEntry | undefined {
  const jobId = s.jobIdByDocument[documentId];
  return jobId === undefined ? undefined : s.jobsById[jobId];
}

export interface DocumentProgress {
  status: JobEntry['status'] | 'not-started' | 'start-failed';
  pageCount: number;
  pagesDone: number;
  pagesFailed: number;
  /** 0..1 over pages, counting a running page by its stage. */
  fraction: number;
  runningPage?: number;
  runningStage?: OcrStageName;
  error?: string;
}

const STAGE_FRACTION: Record<OcrStageName, number> = { decode: 0.05, det: 0.25, cls: 0.45, rec: 0.6, layout: 0.95 };

export function selectDocumentProgress(s: AppStore, documentId: string): DocumentProgress {
  const job = selectJobForDocument(s, documentId);
  const startError = s.startErrors[documentId];
  if (!job) {
    return {
      status: startError ? 'start-failed' : 'not-started',
      pageCount: s.documents[documentId]?.pageCount ?? 0,
      pagesDone: 0,
      pagesFailed: 0,
      fraction: 0,
      ...(startError ? { error: startError } : {}),
    };
  }
  let pagesDone = 0;
  let pagesFailed = 0;
  let partial = 0;
  let runningPage: number | undefined;
  let runningStage: OcrStageName | undefined;
  for (const [index, p] of Object.entries(job.pages)) {
    if (p.state === 'done') pagesDone++;
    else if (p.state === 'failed') pagesFailed++;
    else if (p.state === 'running') {
      runningPage = Number(index);
      runningStage = p.stage;
      partial += p.stage ? STAGE_FRACTION[p.stage] : 0;
    }
  }
  const pageCount = job.pageCount;
  const settled = job.status === 'done' || job.status === 'failed' || job.status === 'cancelled';
  const fraction = pageCount === 0 ? (settled ? 1 : 0) : Math.min(1, (pagesDone + pagesFailed + partial) / pageCount);
  return {
    status: job.status,
    pageCount,
    pagesDone,
    pagesFailed,
    fraction: job.status === 'done' ? 1 : fraction,
    ...(runningPage !== undefined && !settled ? { runningPage, runningStage } : {}),
    ...(job.error ? { error: job.error.message } : {}),
  };
}

/** Lines in reading order (blocks in order, lines in order within each block). */
export function pageLines(page: Page): Line[] {
  return page.blocks.flatMap((b) => b.lines);
}

export function findLine(page: Page, lineId: string): Line | undefined {
  for (const b of page.blocks) for (const l of b.lines) if (l.id === lineId) return l;
  return undefined;
}

/** The text the user sees for a line: their edit if any, else the engine's. */
export function lineText(s: Pick<AppStore, 'edits'>, documentId: string, line: Line): string {
  return s.edits[documentId]?.[line.id] ?? line.text;
}

/**
 * Page text with edits applied, laid out as engines/layout/page-text.ts lays out Page.text: lines by '\n',
 * blocks by a blank line, table rows as tab-separated cells on consecutive lines. (The renderer does not
 * import engine code; tests/unit/renderer/store/selectors.test.ts holds the two in step.)
 */
export function editedPageText(s: Pick<AppStore, 'edits'>, documentId: string, page: Page): string {
  let out = '';
  let previous: Page['blocks'][number] | undefined;
  for (const b of page.blocks) {
    const text = b.lines.map((l) => lineText(s, documentId, l)).join(b.kind === 'table-row' ? '\t' : '\n');
    if (text.length === 0) continue;
    if (previous) out += previous.kind === 'table-row' && b.kind === 'table-row' ? '\n' : '\n\n';
    out += text;
    previous = b;
  }
  return out;
}

/** Whole document text with edits; pages separated by a form feed on its own line (as the txt export). */
export function editedDocumentText(s: AppStore, documentId: string): string {
  const count = s.documents[documentId]?.pageCount ?? 0;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const page = s.pagesByKey[pageKey(documentId, i)];
    if (page) parts.push(editedPageText(s, documentId, page));
    else if (s.failuresByKey[pageKey(documentId, i)]) parts.push('');
  }
  return parts.length === 0 ? '' : parts.join('\n\f') + '\n';
}

export function editCount(s: AppStore, documentId: string): number {
  return Object.keys(s.edits[documentId] ?? {}).length;
}

/**
 * Word and line highlights for search hits on one page. Keys: `${lineId}/${wordIndex}` for words,
 * lineId alone for hits that cover an edited line. The active hit is reported separately.
 */
export interface PageHighlights {
  words: Set<string>;
  lines: Set<string>;
  activeWords: Set<string>;
  activeLines: Set<string>;
}

export function pageHighlights(s: Pick<AppStore, 'hits' | 'activeHitId'>, documentId: string, pageIndex: number): PageHighlights {
  const out: PageHighlights = { words: new Set(), lines: new Set(), activeWords: new Set(), activeLines: new Set() };
  for (const h of s.hits) {
    if (h.documentId !== documentId || h.pageIndex !== pageIndex) continue;
    const active = h.id === s.activeHitId;
    if (h.wordIndices.length === 0) {
      out.lines.add(h.lineId);
      if (active) out.activeLines.add(h.lineId);
    }
    for (const i of h.wordIndices) {
      const k = `${h.lineId}/${i}`;
      out.words.add(k);
      if (active) out.activeWords.add(k);
    }
  }
  return out;
}

/** Confidence band for colouring boxes: thresholds picked so PaddleOCR's drop score 0.5 is the floor. */
export type ConfidenceBand = 'high' | 'medium' | 'low';
export const CONFIDENCE_HIGH = 0.9;
export const CONFIDENCE_MEDIUM = 0.75;

export function confidenceBand(confidence: number): ConfidenceBand {
  if (confidence >= CONFIDENCE_HIGH) return 'high';
  if (confidence >= CONFIDENCE_MEDIUM) return 'medium';
  return 'low';
}

/**
 * OCR jobs and their results.
 *
 * Results are normalised by page: `pagesByKey[pageKey(documentId, pageIndex)]` is the engine's `Page`
 * exactly as it arrived. The user's corrections live beside them in `edits[documentId][lineId]` and
 * override the text for display, search and export without re-running OCR.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { PageFailure, SerializedOcrError, Page } from '../../engines/types.js';
import type {
  DocumentState,
  ExportFormat,
  ExportOutcome,
  JobDoneEvent,
  OcrClient,
  PageDoneEvent,
  PageFailedEvent,
  ProgressEvent,
} from '../ipc/ocr-client.js';
import { errorMessage } from './documents-slice.js';
import type { AppStore } from './index.js';

export type OcrStageName = ProgressEvent['stage'];
export type JobStatus = 'starting' | 'running' | 'done' | 'failed' | 'cancelling' | 'cancelled';
export type PageState = 'pending' | 'running' | 'done' | 'failed';

export interface PageProgress {
  state: PageState;
  stage?: OcrStageName;
}

export interface JobEntry {
  jobId: string;
  documentId: string;
  status: JobStatus;
  pageCount: number;
  pages: Record<number, PageProgress>;
  startedAtMs: number;
  finishedAtMs?: number;
  /** Main's measurement of the whole job. */
  elapsedMs?: number;
  error?: SerializedOcrError;
}

export interface OcrState {
  jobsById: Record<string, JobEntry>;
  /** Latest job per document. */
  jobIdByDocument: Record<string, string>;
  pagesByKey: Record<string, Page>;
  failuresByKey: Record<string, PageFailure>;
  /** documentId → lineId → edited text. */
  edits: Record<string, Record<string, string>>;
  /**
   * documentId → lineId → the OCR text, for lines whose edit was undone. Main remembers edits it was sent
   * and merges new ones in, so an undo must be sent explicitly (the original text restores the line).
   */
  revertedLines: Record<string, Record<string, string>>;
  /** ocr:start failed before any job existed. */
  startErrors: Record<string, string>;
  exportStatus: ExportStatus;
}

export interface ExportStatus {
  state: 'idle' | 'exporting' | 'done' | 'error';
  outcome?: ExportOutcome;
  error?: string;
}

export interface OcrActions {
  startOcr(documentId: string, pages?: number[]): Promise<void>;
  cancelOcr(documentId: string): Promise<void>;
  jobStarted(documentId: string, jobId: string, pageIndices: number[]): void;
  progressReceived(e: ProgressEvent): void;
  pageDone(e: PageDoneEvent): void;
  pageFailed(e: PageFailedEvent): void;
  jobDone(e: JobDoneEvent): void;
  /** Results main already holds for a document (documents:get), e.g. after a reload. */
  resultsRestored(state: DocumentState): void;
  editLine(documentId: string, lineId: string, text: string): void;
  revertLine(documentId: string, lineId: string): void;
  /** Exports with the user's edits applied (main renders; nothing is re-OCRed). */
  exportDocuments(documentIds: string[], format: ExportFormat): Promise<void>;
  resetExportStatus(): void;
}

export type OcrSlice = OcrState & OcrActions;

export const initialOcrState: OcrState = {
  jobsById: {},
  jobIdByDocument: {},
  pagesByKey: {},
  failuresByKey: {},
  edits: {},
  revertedLines: {},
  startErrors: {},
  exportStatus: { state: 'idle' },
};

/** Key of one page's result in the normalised maps. */
export function pageKey(documentId: string, pageIndex: number): string {
  return `${documentId}#${pageIndex}`;
}

/** The engine's text of a line, searched in the document's pages. */
function findOriginalText(s: AppStore, documentId: string, lineId: string): string | undefined {
  const count = s.documents[documentId]?.pageCount ?? 0;
  for (let i = 0; i < count; i++) {
    const page = s.pagesByKey[pageKey(documentId, i)];
    for (const b of page?.blocks ?? []) for (const l of b.lines) if (l.id === lineId) return l.text;
  }
  return undefined;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function withPage(job: JobEntry, pageIndex: number, p: PageProgress): JobEntry {
  return { ...job, pages: { ...job.pages, [pageIndex]: p } };
}

export function createOcrSlice(client: OcrClient): StateCreator<AppStore, [], [], OcrSlice> {
  return (set, get) => {
    /**
     * The job an event belongs to. Events carry their document, so a job we have not heard of yet (its
     * events overtook the ocr:start reply, or it was started before this page loaded) is created here.
     */
    function jobFor(e: { jobId: string; documentId: string }): JobEntry {
      const known = get().jobsById[e.jobId];
      if (known) return known;
      const pageCount = get().documents[e.documentId]?.pageCount ?? 0;
      get().jobStarted(e.documentId, e.jobId, range(pageCount));
      return get().jobsById[e.jobId]!;
    }

    return {
      ...initialOcrState,

      async startOcr(documentId, pages) {
        const doc = get().documents[documentId];
        set((s) => {
          const startErrors = { ...s.startErrors };
          delete startErrors[documentId];
          return { startErrors };
        });
        try {
          const { jobId } = await client.startOcr(documentId, pages);
          get().jobStarted(documentId, jobId, pages ?? range(doc?.pageCount ?? 0));
        } catch (e) {
          set((s) => ({ startErrors: { ...s.startErrors, [documentId]: errorMessage(e) } }));
        }
      },

      async cancelOcr(documentId) {
        const jobId = get().jobIdByDocument[documentId];
        const job = jobId ? get().jobsById[jobId] : undefined;
        if (!job || (job.status !== 'running' && job.status !== 'starting')) return;
        set((s) => ({ jobsById: { ...s.jobsById, [job.jobId]: { ...job, status: 'cancelling' } } }));
        try {
          await client.cancelOcr(job.jobId);
        } catch (e) {
          // The job may have finished in the meantime; the job-done event settles the status.
          console.warn('ocr:cancel failed', errorMessage(e));
        }
      },

      jobStarted(documentId, jobId, pageIndices) {
        // Idempotent: events may have created the job already, and their progress must not be reset.
        if (get().jobsById[jobId]) {
          set((s) => ({ jobIdByDocument: { ...s.jobIdByDocument, [documentId]: jobId } }));
          return;
        }
        const pagesForJob: Record<number, PageProgress> = {};
        for (const i of pageIndices) pagesForJob[i] = { state: 'pending' };
        set((s) => ({
          jobsById: {
            ...s.jobsById,
            [jobId]: { jobId, documentId, status: 'running', pageCount: pageIndices.length, pages: pagesForJob, startedAtMs: Date.now() },
          },
          jobIdByDocument: { ...s.jobIdByDocument, [documentId]: jobId },
        }));
      },

      progressReceived(e) {
        const job = jobFor(e);
        const state = job.pages[e.pageIndex]?.state;
        if (state === 'done' || state === 'failed') return;
        const next = withPage({ ...job, pageCount: Math.max(job.pageCount, e.pageCount) }, e.pageIndex, {
          state: 'running',
          stage: e.stage,
        });
        set((s) => ({ jobsById: { ...s.jobsById, [job.jobId]: next } }));
      },

      pageDone(e) {
        const job = jobFor(e);
        const key = pageKey(job.documentId, e.page.index);
        set((s) => {
          const failuresByKey = { ...s.failuresByKey };
          delete failuresByKey[key];
          return {
            jobsById: { ...s.jobsById, [job.jobId]: withPage(job, e.page.index, { state: 'done' }) },
            pagesByKey: { ...s.pagesByKey, [key]: e.page },
            failuresByKey,
          };
        });
        get().searchRefresh();
      },

      pageFailed(e) {
        const job = jobFor(e);
        const key = pageKey(job.documentId, e.failure.index);
        set((s) => ({
          jobsById: { ...s.jobsById, [job.jobId]: withPage(job, e.failure.index, { state: 'failed' }) },
          failuresByKey: { ...s.failuresByKey, [key]: e.failure },
        }));
      },

      jobDone(e) {
        const job = jobFor(e);
        set((s) => ({
          jobsById: {
            ...s.jobsById,
            [job.jobId]: { ...job, status: e.status, finishedAtMs: Date.now(), elapsedMs: e.elapsedMs, ...(e.error ? { error: e.error } : {}) },
          },
        }));
      },

      resultsRestored(st) {
        const documentId = st.summary.id;
        set((s) => {
          const pagesByKey = { ...s.pagesByKey };
          const failuresByKey = { ...s.failuresByKey };
          for (const page of st.pages) pagesByKey[pageKey(documentId, page.index)] = page;
          for (const f of st.failures) failuresByKey[pageKey(documentId, f.index)] = f;
          const edits = Object.keys(st.edits).length > 0 ? { ...s.edits, [documentId]: { ...st.edits, ...s.edits[documentId] } } : s.edits;
          return { pagesByKey, failuresByKey, edits };
        });
        const jobId = st.summary.activeJobId;
        if (jobId) {
          get().jobStarted(documentId, jobId, range(st.summary.pageCount));
          for (const page of st.pages) get().pageDone({ jobId, documentId, page });
          for (const failure of st.failures) get().pageFailed({ jobId, documentId, failure });
        } else if (st.pages.length + st.failures.length > 0) {
          // A finished job from before the reload: show it as done so progress reads 100 %.
          const restoredId = `restored:${documentId}`;
          get().jobStarted(documentId, restoredId, range(st.summary.pageCount));
          for (const page of st.pages) get().pageDone({ jobId: restoredId, documentId, page });
          for (const failure of st.failures) get().pageFailed({ jobId: restoredId, documentId, failure });
          get().jobDone({ jobId: restoredId, documentId, status: 'done', donePageCount: st.pages.length, failedPageCount: st.failures.length, elapsedMs: 0 });
        }
        get().searchRefresh();
      },

      editLine(documentId, lineId, text) {
        set((s) => ({ edits: { ...s.edits, [documentId]: { ...s.edits[documentId], [lineId]: text } } }));
        get().searchRefresh();
      },

      revertLine(documentId, lineId) {
        const original = findOriginalText(get(), documentId, lineId);
        set((s) => {
          const forDoc = { ...s.edits[documentId] };
          delete forDoc[lineId];
          const reverted = original === undefined ? s.revertedLines : { ...s.revertedLines, [documentId]: { ...s.revertedLines[documentId], [lineId]: original } };
          return { edits: { ...s.edits, [documentId]: forDoc }, revertedLines: reverted };
        });
        get().searchRefresh();
      },

      async exportDocuments(documentIds, format) {
        if (documentIds.length === 0) return;
        set({ exportStatus: { state: 'exporting' } });
        const edits: Record<string, Record<string, string>> = {};
        for (const id of documentIds) {
          const forDoc = { ...get().revertedLines[id], ...get().edits[id] };
          if (Object.keys(forDoc).length > 0) edits[id] = forDoc;
        }
        try {
          const outcome = await client.exportDocuments({ documentIds, format }, edits);
          set({ exportStatus: { state: 'done', outcome } });
        } catch (e) {
          set({ exportStatus: { state: 'error', error: errorMessage(e) } });
        }
      },

      resetExportStatus() {
        set({ exportStatus: { state: 'idle' } });
      },
    };
  };
}

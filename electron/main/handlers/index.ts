/**
 * The main-process side of every InvokeChannels entry, over OcrWorkerHost and a DocumentStore.
 * Transport-agnostic: Electron's ipcMain (electron/main/ipc/typed-ipc-main.ts) and the local server
 * (electron/headless/server.ts) both call these, after the sender check and payload validation, so the
 * handlers can trust their payload's shape (not its meaning: ids may be stale, pages out of range).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { DocumentInput, OcrPipelineOptions } from '../../../engines/api.js';
import { OcrError, serializeError } from '../../../engines/errors.js';
import type { DocumentSourceInfo, OcrDocument, Page, Precision } from '../../../engines/types.js';
import type {
  CompareRun,
  DocumentEdits,
  DocumentId,
  EventChannel,
  EventChannels,
  ExportFormat,
  InvokeChannel,
  InvokePayload,
  InvokeResult,
  JobId,
} from '../../common/ipc-contract.js';
import { writeFileAtomic } from '../atomic-write.js';
import type { OcrWorkerHost } from '../worker/ocr-worker-host.js';
import { applyEdits } from './apply-edits.js';
import { DocumentStore, type DocumentRecord } from './document-store.js';
import { EXPORT_EXTENSIONS, renderExport, type PageImageSource } from './exporters.js';
import { expandInputPaths, type ExpandedInputs } from './expand-paths.js';
import { pipelineOptionsFor, type SettingsStore } from './settings-store.js';
import { diffWords } from './text-diff.js';

/** The part of OcrWorkerHost the handlers use (tests and other hosts can provide just this). */
export type OcrHostLike = Pick<OcrWorkerHost, 'startJob' | 'request' | 'cancel' | 'restart' | 'setPipelineOptions' | 'on'>;

/** Native dialogs (desktop only). Main owns every path the app writes to; the renderer never names one. */
export interface NativeDialogs {
  chooseFiles(): Promise<string[] | undefined>;
  chooseSaveFile(opts: { defaultName: string; format: ExportFormat }): Promise<string | undefined>;
  chooseFolder(opts: { title: string }): Promise<string | undefined>;
}

export interface HandlerDeps {
  host: OcrHostLike;
  /** Delivers a main → renderer event (ipc: webContents.send; server: SSE broadcast). */
  emit<K extends EventChannel>(event: K, payload: EventChannels[K]): void;
  settings: SettingsStore;
  /** Pipeline options that do not come from the settings UI (modelDir, cacheDir, threads). */
  basePipelineOptions?: OcrPipelineOptions;
  store?: DocumentStore;
  /** Identity and page count of a document, without OCR. Default: engines/input's openDocument, in process. */
  probe?(input: DocumentInput): Promise<DocumentSourceInfo>;
  /** Files and folders → supported files. Default: expandInputPaths. */
  expandPaths?(paths: string[]): Promise<ExpandedInputs>;
  /** Absent in server mode: documents:open without paths and export:save then answer INVALID_ARGUMENT. */
  dialogs?: NativeDialogs;
}

export type InvokeHandlers = { [K in InvokeChannel]: (payload: InvokePayload<K>) => Promise<InvokeResult<K>> };

interface JobTrack {
  documentId: DocumentId;
  /** Pages this job was asked to do (undefined: the whole document). */
  pageTotal: number | undefined;
  done: number;
  failed: number;
}

async function probeInProcess(input: DocumentInput): Promise<DocumentSourceInfo> {
  const { openDocument } = await import('../../../engines/input/open-document.js');
  const reader = await openDocument(input);
  try {
    return reader.info;
  } finally {
    await reader.close();
  }
}

export function createHandlers(deps: HandlerDeps): InvokeHandlers {
  const { host, emit, settings } = deps;
  const store = deps.store ?? new DocumentStore();
  const probe = deps.probe ?? probeInProcess;
  const expandPaths = deps.expandPaths ?? expandInputPaths;
  const jobs = new Map<JobId, JobTrack>();

  // Worker events → document state + renderer events. Jobs the renderer did not start (ocr:compare) are
  // not in `jobs` and stay private.
  host.on('page-done', ({ jobId, page }) => {
    const job = jobs.get(jobId);
    if (!job) return;
    job.done++;
    const rec = store.has(job.documentId) ? store.get(job.documentId) : undefined;
    if (rec) {
      rec.pages.set(page.index, page);
      rec.failures.delete(page.index);
    }
    emit('ocr:page-done', { jobId, documentId: job.documentId, page });
  });
  host.on('page-failed', ({ jobId, failure }) => {
    const job = jobs.get(jobId);
    if (!job) return;
    job.failed++;
    const rec = store.has(job.documentId) ? store.get(job.documentId) : undefined;
    if (rec) {
      rec.failures.set(failure.index, failure);
      rec.pages.delete(failure.index);
    }
    emit('ocr:page-failed', { jobId, documentId: job.documentId, failure });
  });
  host.on('progress', (e) => {
    const job = jobs.get(e.jobId);
    if (!job) return;
    const total = job.pageTotal ?? e.pageCount;
    emit('ocr:progress', {
      jobId: e.jobId,
      documentId: job.documentId,
      pageIndex: e.pageIndex,
      pageCount: e.pageCount,
      stage: e.stage,
      fraction: total > 0 ? Math.min(1, (job.done + job.failed) / total) : 0,
    });
  });
  host.on('engine-status', (e) => emit('engine:status', e));
  host.on('worker-restart', (e) =>
    emit('engine:status', {
      phase: 'loading',
      message: `The OCR engine stopped unexpectedly; restarting it (attempt ${e.attempt}, in ${e.delayMs} ms).`,
    }),
  );

  async function openOne(input: { path: string } | { name: string; bytes: Uint8Array }): Promise<DocumentRecord> {
    const info = await probe('path' in input ? input.path : input);
    return store.add(info, 'path' in input ? { path: input.path } : { bytes: input.bytes });
  }

  function checkPage(rec: DocumentRecord, pageIndex: number): void {
    if (pageIndex >= rec.info.pageCount) {
      throw new OcrError('PAGE_OUT_OF_RANGE', `Page ${pageIndex + 1} does not exist (the document has ${rec.info.pageCount}).`, {
        file: rec.info.name,
        page: pageIndex,
      });
    }
  }

  /** Page images for searchable PDFs: JPEG from the worker, at the dpi the page was recognised at. */
  function pageImages(rec: DocumentRecord): PageImageSource {
    return (pageIndex, dpi) =>
      host.request('renderPage', { input: DocumentStore.input(rec), pageIndex, format: 'jpeg', ...(dpi ? { dpi } : rec.dpi ? { dpi: rec.dpi } : {}) });
  }

  function exportDocument(rec: DocumentRecord, edits: DocumentEdits | undefined): OcrDocument {
    const mine = edits?.[rec.id];
    if (mine) rec.edits = { ...rec.edits, ...mine };
    return applyEdits(DocumentStore.toOcrDocument(rec), rec.edits);
  }

  /** One page at one precision, through the same queue as every job. */
  async function runPageAt(rec: DocumentRecord, pageIndex: number, precision: Precision): Promise<CompareRun> {
    // Timed from the moment the queue starts it (job-start fires synchronously when the queue is idle).
    const jobId = randomUUID();
    let startedAt = performance.now();
    const off = host.on('job-start', (e) => e.jobId === jobId && (startedAt = performance.now()));
    const job = host.startJob({ jobId, input: DocumentStore.input(rec), pages: [pageIndex], precision, ...(rec.dpi ? { dpi: rec.dpi } : {}) });
    try {
      const doc = await job.result;
      const page: Page | undefined = doc.pages[0];
      if (!page) {
        const failure = doc.failures[0];
        throw failure ? new OcrError(failure.error.code, failure.error.message, { file: rec.info.name, page: pageIndex }) : new OcrError('INTERNAL', 'The page produced no result.', { file: rec.info.name, page: pageIndex });
      }
      return { page, elapsedMs: performance.now() - startedAt };
    } finally {
      off();
    }
  }

  function uniqueName(dir: string, base: string, ext: string, taken: Set<string>): string {
    let name = `${base}.${ext}`;
    for (let n = 2; taken.has(name); n++) name = `${base} (${n}).${ext}`;
    taken.add(name);
    return path.join(dir, name);
  }

  return {
    async 'documents:open'({ paths }) {
      let chosen = paths;
      if (!chosen) {
        if (!deps.dialogs) throw new OcrError('INVALID_ARGUMENT', 'documents:open needs `paths` here (no native dialog in server mode).');
        chosen = (await deps.dialogs.chooseFiles()) ?? [];
      }
      const { files, rejected } = await expandPaths(chosen);
      const result = { documents: [] as ReturnType<typeof DocumentStore.summary>[], rejected: [...rejected] };
      for (const file of files) {
        try {
          result.documents.push(DocumentStore.summary(await openOne({ path: file })));
        } catch (e) {
          result.rejected.push({ path: file, error: serializeError(toErr(e).withContext({ file })) });
        }
      }
      return result;
    },

    async 'documents:add-bytes'({ name, bytes }) {
      return DocumentStore.summary(await openOne({ name, bytes }));
    },

    async 'documents:list'() {
      return store.list().map((r) => DocumentStore.summary(r));
    },

    async 'documents:get'({ documentId }) {
      return DocumentStore.state(store.get(documentId));
    },

    async 'documents:remove'({ documentId }) {
      if (!store.has(documentId)) return { removed: false };
      const rec = store.get(documentId);
      if (rec.activeJobId) host.cancel(rec.activeJobId);
      return { removed: store.remove(documentId) };
    },

    async 'ocr:start'({ documentId, pages, dpi, pdfMode }) {
      const rec = store.get(documentId);
      if (rec.activeJobId) {
        throw new OcrError('INVALID_ARGUMENT', `${rec.info.name} is already being recognised (job ${rec.activeJobId}).`, { file: rec.info.name });
      }
      const wanted = pages ? [...new Set(pages)].sort((a, b) => a - b) : undefined;
      for (const p of wanted ?? []) checkPage(rec, p);
      const job = host.startJob({
        input: DocumentStore.input(rec),
        ...(wanted ? { pages: wanted } : {}),
        ...(dpi === undefined ? {} : { dpi }),
        ...(pdfMode === undefined ? {} : { pdfMode }),
      });
      const track: JobTrack = { documentId, pageTotal: wanted?.length ?? rec.info.pageCount, done: 0, failed: 0 };
      jobs.set(job.jobId, track);
      rec.activeJobId = job.jobId;
      if (dpi !== undefined) rec.dpi = dpi;
      const t0 = performance.now();
      const finish = (status: 'done' | 'cancelled' | 'failed', error?: unknown) => {
        if (rec.activeJobId === job.jobId) delete rec.activeJobId;
        emit('ocr:job-done', {
          jobId: job.jobId,
          documentId,
          status,
          donePageCount: track.done,
          failedPageCount: track.failed,
          elapsedMs: performance.now() - t0,
          ...(error === undefined ? {} : { error: serializeError(error) }),
        });
        // Late events of a finished job have nowhere to go.
        setTimeout(() => jobs.delete(job.jobId), 1000).unref?.();
      };
      job.result.then(
        (doc) => {
          rec.engine = doc.engine;
          finish('done');
        },
        (e: unknown) => {
          const err = toErr(e);
          finish(err.code === 'CANCELLED' ? 'cancelled' : 'failed', err.code === 'CANCELLED' ? undefined : err.withContext({ file: rec.info.name }));
        },
      );
      return { jobId: job.jobId };
    },

    async 'ocr:cancel'({ jobId }) {
      return { cancelled: host.cancel(jobId) };
    },

    async 'ocr:compare'({ documentId, pageIndex }) {
      const rec = store.get(documentId);
      checkPage(rec, pageIndex);
      const fp32 = await runPageAt(rec, pageIndex, 'fp32');
      const fp16 = await runPageAt(rec, pageIndex, 'fp16');
      const { ops, changedWordCount } = diffWords(fp32.page.text, fp16.page.text);
      return { documentId, pageIndex, fp32, fp16, diff: ops, changedWordCount };
    },

    async 'export:save'({ documentId, format, edits }) {
      if (!deps.dialogs) throw new OcrError('INVALID_ARGUMENT', 'export:save needs the desktop app; use export:render to download.');
      const ext = EXPORT_EXTENSIONS[format];
      if (documentId !== 'all') {
        const rec = store.get(documentId);
        const doc = exportDocument(rec, edits);
        const target = await deps.dialogs.chooseSaveFile({ defaultName: `${rec.info.name}.${ext}`, format });
        if (!target) return { saved: false, paths: [] };
        const out = await renderExport(doc, format, pageImages(rec));
        await writeFileAtomic(target, out.bytes);
        return { saved: true, paths: [target] };
      }
      const recs = store.list().filter((r) => r.pages.size > 0 && r.engine);
      if (recs.length === 0) throw new OcrError('INVALID_ARGUMENT', 'No document has been recognised yet; nothing to export.');
      const dir = await deps.dialogs.chooseFolder({ title: `Export ${recs.length} document(s) as ${format}` });
      if (!dir) return { saved: false, paths: [] };
      const taken = new Set<string>();
      const written: string[] = [];
      for (const rec of recs) {
        const out = await renderExport(exportDocument(rec, edits), format, pageImages(rec));
        const target = uniqueName(dir, rec.info.name, ext, taken);
        await writeFileAtomic(target, out.bytes);
        written.push(target);
      }
      return { saved: true, paths: written };
    },

    async 'export:render'({ documentId, format, edits }) {
      const rec = store.get(documentId);
      const out = await renderExport(exportDocument(rec, edits), format, pageImages(rec));
      return { fileName: `${rec.info.name}.${out.extension}`, mimeType: out.mimeType, bytes: out.bytes };
    },

    async 'engine:info'() {
      return host.request('engineInfo', {});
    },

    async 'engine:rebuild'() {
      // Cached TensorRT engines and FP16 models go first (the worker knows the cache folder), so the
      // restarted worker rebuilds them; a worker that cannot answer still gets restarted.
      await host.request('invalidateEngineCache', {}).catch(() => undefined);
      return host.restart();
    },

    async 'engine:cancel-build'() {
      return host.request('cancelEngineBuild', {});
    },

    async 'settings:get'() {
      return settings.get();
    },

    async 'settings:set'(patch) {
      const next = await settings.set(patch);
      host.setPipelineOptions(pipelineOptionsFor(next, deps.basePipelineOptions));
      return next;
    },

    async 'pages:image'({ documentId, pageIndex }) {
      const rec = store.get(documentId);
      checkPage(rec, pageIndex);
      const dpi = rec.pages.get(pageIndex)?.dpi ?? rec.dpi;
      return host.request('renderPage', { input: DocumentStore.input(rec), pageIndex, ...(dpi ? { dpi } : {}) });
    },
  };
}

function toErr(e: unknown): OcrError {
  return e instanceof OcrError ? e : new OcrError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
}

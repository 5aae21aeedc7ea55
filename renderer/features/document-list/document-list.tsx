import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { getAppStore, useAppStore } from '../../store/index.js';
import { pageKey } from '../../store/ocr-slice.js';
import { selectDocumentProgress, selectJobForDocument, selectOrderedDocuments, type DocumentProgress } from '../../store/selectors.js';
import { RejectedFiles } from '../drop-zone/drop-zone.js';

const STAGE_LABEL: Record<string, string> = { decode: 'reading', det: 'finding text', cls: 'orienting', rec: 'reading text', layout: 'ordering' };

function statusText(p: DocumentProgress): string {
  switch (p.status) {
    case 'not-started':
      return 'Waiting';
    case 'start-failed':
      return `Could not start: ${p.error ?? ''}`;
    case 'starting':
    case 'running': {
      const page = p.runningPage !== undefined ? `page ${p.runningPage + 1} of ${p.pageCount}` : `${p.pagesDone} of ${p.pageCount} pages`;
      return p.runningStage ? `${page}: ${STAGE_LABEL[p.runningStage] ?? p.runningStage}` : page;
    }
    case 'cancelling':
      return 'Cancelling…';
    case 'cancelled':
      return `Cancelled after ${p.pagesDone} of ${p.pageCount} pages`;
    case 'failed':
      return `Failed: ${p.error ?? 'unknown error'}`;
    case 'done':
      return p.pagesFailed > 0 ? `Done, ${p.pagesFailed} page${p.pagesFailed === 1 ? '' : 's'} failed` : `Done, ${p.pagesDone} page${p.pagesDone === 1 ? '' : 's'}`;
  }
}

function DocumentItem({ documentId }: { documentId: string }): ReactNode {
  const doc = useAppStore((s) => s.documents[documentId]);
  const progress = useAppStore(useShallow((s) => selectDocumentProgress(s, documentId)));
  const current = useAppStore((s) => s.currentDocumentId === documentId);
  const currentPage = useAppStore((s) => s.currentPageIndex);
  const pageStates = useAppStore(
    useShallow((s) => {
      const job = selectJobForDocument(s, documentId);
      const count = s.documents[documentId]?.pageCount ?? 0;
      return Array.from({ length: count }, (_, i) => {
        if (s.pagesByKey[pageKey(documentId, i)]) return 'done';
        if (s.failuresByKey[pageKey(documentId, i)]) return 'failed';
        return job?.pages[i]?.state ?? 'pending';
      });
    }),
  );
  if (!doc) return null;
  const running = progress.status === 'running' || progress.status === 'starting';
  const store = getAppStore().getState;
  const percent = Math.round(progress.fraction * 100);

  return (
    <li
      className={`document-item${current ? ' is-current' : ''}`}
      data-testid="document-item"
      data-document-id={documentId}
      data-status={progress.status}
      aria-current={current ? 'true' : undefined}
    >
      <button type="button" className="document-open" onClick={() => store().selectDocument(documentId)} title={doc.name}>
        <span className="file-name">{doc.name}</span>
        <span className="muted small">
          {doc.pageCount} page{doc.pageCount === 1 ? '' : 's'} · {formatBytes(doc.byteLength)}
        </span>
      </button>
      <div
        className={`progress${progress.status === 'failed' || progress.status === 'start-failed' ? ' is-error' : ''}`}
        role="progressbar"
        aria-label={`OCR progress of ${doc.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        data-testid="document-progress"
      >
        <div className="progress-bar" style={{ width: `${percent}%` }} />
      </div>
      <div className="document-status">
        <span className="small" data-testid="document-status-text" title={statusText(progress)}>
          {statusText(progress)}
        </span>
        {running && (
          <button type="button" className="small" data-testid="document-cancel" onClick={() => void store().cancelOcr(documentId)}>
            Cancel
          </button>
        )}
        {(progress.status === 'cancelled' || progress.status === 'failed' || progress.status === 'start-failed') && (
          <button type="button" className="small" data-testid="document-retry" onClick={() => void store().startOcr(documentId)}>
            Run again
          </button>
        )}
        <button
          type="button"
          className="small link"
          data-testid="document-remove"
          aria-label={`Close ${doc.name}`}
          onClick={() => void store().removeDocument(documentId)}
        >
          Close
        </button>
      </div>
      {doc.pageCount > 1 && (
        <ol className="page-chips" aria-label="Pages">
          {pageStates.map((state, i) => (
            <li key={i}>
              <button
                type="button"
                className={`page-chip is-${state}${current && currentPage === i ? ' is-current' : ''}`}
                data-testid="page-chip"
                data-page-index={i}
                data-state={state}
                title={`Page ${i + 1}: ${state}`}
                onClick={() => store().selectDocument(documentId, i)}
              >
                {i + 1}
              </button>
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function DocumentList(): ReactNode {
  const ids = useAppStore(useShallow((s) => selectOrderedDocuments(s).map((d) => d.id)));
  return (
    <nav className="document-list" aria-label="Documents" data-testid="document-list">
      <RejectedFiles />
      {ids.length === 0 ? (
        <p className="muted small empty-note">No documents yet.</p>
      ) : (
        <ul>
          {ids.map((id) => (
            <DocumentItem key={id} documentId={id} />
          ))}
        </ul>
      )}
    </nav>
  );
}

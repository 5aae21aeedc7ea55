/**
 * Recognised text in reading order, block by block, for the current page or the whole document.
 * Click a line to select its box on the page; double-click to correct it (Enter keeps, Escape drops).
 * Corrections override the OCR text in search and every export without re-running OCR.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Line, Page } from '../../../engines/types.js';
import { getAppStore, useAppStore } from '../../store/index.js';
import { pageKey } from '../../store/ocr-slice.js';
import { confidenceBand, editCount, editedDocumentText, editedPageText } from '../../store/selectors.js';

type Scope = 'page' | 'document';

function LineEditor({ documentId, line, initial }: { documentId: string; line: Line; initial: string }): ReactNode {
  const [value, setValue] = useState(initial);
  const ref = useRef<HTMLInputElement>(null);
  const done = useRef(false);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  const store = getAppStore().getState;
  const commit = () => {
    if (done.current) return;
    done.current = true;
    if (value === line.text) store().revertLine(documentId, line.id);
    else if (value !== initial) store().editLine(documentId, line.id, value);
    store().stopEditing();
  };
  return (
    <input
      ref={ref}
      className="line-editor"
      data-testid="line-editor"
      aria-label="Correct this line"
      value={value}
      onChange={(e) => setValue(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          commit();
        } else if (e.key === 'Escape') {
          e.preventDefault();
          done.current = true;
          store().stopEditing();
        }
      }}
    />
  );
}

function TextLine({ documentId, pageIndex, line }: { documentId: string; pageIndex: number; line: Line }): ReactNode {
  const ref = useRef<HTMLDivElement>(null);
  const edited = useAppStore((s) => s.edits[documentId]?.[line.id]);
  const isCurrentPage = useAppStore((s) => s.currentDocumentId === documentId && s.currentPageIndex === pageIndex);
  const selected = useAppStore((s) => isCurrentPage && s.selectedLineId === line.id);
  const hovered = useAppStore((s) => isCurrentPage && s.hoveredLineId === line.id);
  const editing = useAppStore((s) => isCurrentPage && s.editingLineId === line.id);
  const fromElsewhere = useAppStore((s) => s.selectionSource !== 'text');
  const store = getAppStore().getState;

  useEffect(() => {
    if (selected && fromElsewhere) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [selected, fromElsewhere]);

  const text = edited ?? line.text;
  const goTo = () => {
    if (!isCurrentPage) store().selectDocument(documentId, pageIndex);
  };

  return (
    <div
      ref={ref}
      className={`text-line band-${confidenceBand(line.confidence)}${selected ? ' is-selected' : ''}${hovered ? ' is-hovered' : ''}${edited !== undefined ? ' is-edited' : ''}`}
      data-testid="text-line"
      data-line-id={line.id}
      data-page-index={pageIndex}
      data-selected={selected ? 'true' : 'false'}
      data-edited={edited !== undefined ? 'true' : 'false'}
      role="button"
      tabIndex={0}
      title="Click to show on the page; double-click to correct"
      onMouseEnter={() => isCurrentPage && store().hoverLine(line.id)}
      onMouseLeave={() => isCurrentPage && store().hoverLine(null)}
      onClick={() => {
        if (editing) return;
        goTo();
        store().selectLine(line.id, 'text');
      }}
      onDoubleClick={() => {
        goTo();
        store().startEditing(line.id);
      }}
      onKeyDown={(e) => {
        if (editing) return;
        if (e.key === 'Enter' || e.key === 'F2') {
          e.preventDefault();
          goTo();
          if (e.key === 'F2' || selected) store().startEditing(line.id);
          else store().selectLine(line.id, 'text');
        }
      }}
    >
      {editing ? (
        <LineEditor documentId={documentId} line={line} initial={text} />
      ) : (
        <>
          <span className="text-line-text">{text || '\u00a0'}</span>
          {edited !== undefined && (
            <button
              type="button"
              className="link small revert"
              data-testid="line-revert"
              title={`OCR text: ${line.text}`}
              onClick={(e) => {
                e.stopPropagation();
                store().revertLine(documentId, line.id);
              }}
            >
              undo edit
            </button>
          )}
        </>
      )}
    </div>
  );
}

function PageText({ documentId, page, heading }: { documentId: string; page: Page; heading: boolean }): ReactNode {
  return (
    <section className="page-text" data-testid="page-text" data-page-index={page.index}>
      {heading && <h3 className="page-heading">Page {page.index + 1}</h3>}
      {page.blocks.length === 0 && <p className="muted small">No text found on this page.</p>}
      {page.blocks.map((b) => (
        <div
          key={b.id}
          className={`text-block${b.kind === 'table-row' ? ' is-table-row' : ''}`}
          data-testid="text-block"
          data-block-id={b.id}
          role={b.kind === 'table-row' ? 'row' : undefined}
        >
          {b.lines.map((l) => (
            <TextLine key={l.id} documentId={documentId} pageIndex={page.index} line={l} />
          ))}
        </div>
      ))}
    </section>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no permission, not focused): the old way still works in Chromium.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'visually-hidden';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export function TextPanel(): ReactNode {
  const [scope, setScope] = useState<Scope>('page');
  const [copied, setCopied] = useState<string | null>(null);
  const documentId = useAppStore((s) => s.currentDocumentId);
  const pageIndex = useAppStore((s) => s.currentPageIndex);
  const pages = useAppStore(
    useShallow((s) => {
      if (s.currentDocumentId === null) return [] as Page[];
      if (scope === 'page') {
        const p = s.pagesByKey[pageKey(s.currentDocumentId, s.currentPageIndex)];
        return p ? [p] : [];
      }
      const count = s.documents[s.currentDocumentId]?.pageCount ?? 0;
      const out: Page[] = [];
      for (let i = 0; i < count; i++) {
        const p = s.pagesByKey[pageKey(s.currentDocumentId, i)];
        if (p) out.push(p);
      }
      return out;
    }),
  );
  const edits = useAppStore((s) => (documentId ? editCount(s, documentId) : 0));

  useEffect(() => setCopied(null), [documentId, pageIndex, scope]);

  if (documentId === null) {
    return (
      <section className="text-panel" data-testid="text-panel" aria-label="Text">
        <p className="muted small empty-note">Recognised text appears here.</p>
      </section>
    );
  }

  const onCopy = async () => {
    const s = getAppStore().getState();
    const text = scope === 'page' ? (pages[0] ? editedPageText(s, documentId, pages[0]) : '') : editedDocumentText(s, documentId);
    setCopied((await copyText(text)) ? 'Copied' : 'Copy failed');
  };

  return (
    <section className="text-panel" data-testid="text-panel" aria-label="Text">
      <header className="panel-header">
        <div className="segmented" role="group" aria-label="Show text of">
          <button type="button" data-testid="text-scope-page" aria-pressed={scope === 'page'} onClick={() => setScope('page')}>
            This page
          </button>
          <button type="button" data-testid="text-scope-document" aria-pressed={scope === 'document'} onClick={() => setScope('document')}>
            Whole document
          </button>
        </div>
        <button type="button" data-testid="copy-text" onClick={() => void onCopy()} disabled={pages.length === 0}>
          Copy
        </button>
        {copied && (
          <span className="small muted" data-testid="copy-status" role="status">
            {copied}
          </span>
        )}
      </header>
      {edits > 0 && (
        <p className="small muted edit-note" data-testid="edit-count">
          {edits} line{edits === 1 ? '' : 's'} corrected; exports use your corrections.
        </p>
      )}
      <div className="text-scroll" data-testid="text-scroll">
        {pages.length === 0 ? (
          <p className="muted small empty-note" data-testid="text-pending">
            No text yet for this {scope}.
          </p>
        ) : (
          pages.map((p) => <PageText key={p.index} documentId={documentId} page={p} heading={scope === 'document'} />)
        )}
      </div>
    </section>
  );
}

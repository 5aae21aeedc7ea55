import type { ReactNode } from 'react';
import { getAppStore, useAppStore } from '../../store/index.js';
import { selectCurrentDocument, selectCurrentPage } from '../../store/selectors.js';
import { ZOOM_STEP } from '../../store/viewer-slice.js';
import { DropZone } from '../drop-zone/drop-zone.js';
import { PageCanvas } from './page-canvas.js';
import { Thumbnails } from './thumbnails.js';

function ViewerToolbar({ pageCount }: { pageCount: number }): ReactNode {
  const pageIndex = useAppStore((s) => s.currentPageIndex);
  const zoom = useAppStore((s) => s.transform.zoom);
  const fitMode = useAppStore((s) => s.fitMode);
  const overlayVisible = useAppStore((s) => s.overlayVisible);
  const store = getAppStore().getState;
  return (
    <div className="viewer-toolbar" role="toolbar" aria-label="Page view">
      <div className="group">
        <button type="button" data-testid="page-prev" disabled={pageIndex <= 0} onClick={() => store().selectPage(pageIndex - 1)} aria-label="Previous page">
          ‹
        </button>
        <span data-testid="page-indicator" className="page-indicator">
          Page {pageIndex + 1} of {pageCount}
        </span>
        <button
          type="button"
          data-testid="page-next"
          disabled={pageIndex >= pageCount - 1}
          onClick={() => store().selectPage(pageIndex + 1)}
          aria-label="Next page"
        >
          ›
        </button>
      </div>
      <div className="group">
        <button type="button" data-testid="zoom-out" onClick={() => store().zoomBy(1 / ZOOM_STEP)} aria-label="Zoom out">
          −
        </button>
        <span data-testid="zoom-level" className="zoom-level">
          {Math.round(zoom * 100)} %
        </span>
        <button type="button" data-testid="zoom-in" onClick={() => store().zoomBy(ZOOM_STEP)} aria-label="Zoom in">
          +
        </button>
        <button type="button" data-testid="fit-page" aria-pressed={fitMode === 'page'} onClick={() => store().setFitMode('page')}>
          Fit page
        </button>
        <button type="button" data-testid="fit-width" aria-pressed={fitMode === 'width'} onClick={() => store().setFitMode('width')}>
          Fit width
        </button>
      </div>
      <div className="group">
        <label className="toggle">
          <input type="checkbox" data-testid="toggle-overlay" checked={overlayVisible} onChange={() => store().toggleOverlay()} />
          Boxes
        </label>
        <span className="legend small" aria-label="Box colours">
          <span className="swatch band-high" /> ≥ 90 %
          <span className="swatch band-medium" /> ≥ 75 %
          <span className="swatch band-low" /> lower
        </span>
      </div>
    </div>
  );
}

export function DocumentViewer({ dragging }: { dragging: boolean }): ReactNode {
  const doc = useAppStore(selectCurrentDocument);
  const page = useAppStore(selectCurrentPage);
  const pageIndex = useAppStore((s) => s.currentPageIndex);

  if (!doc) {
    return (
      <section className="viewer viewer-empty" data-testid="viewer" aria-label="Page viewer">
        <DropZone dragging={dragging} />
      </section>
    );
  }
  return (
    <section className="viewer" data-testid="viewer" aria-label="Page viewer">
      <ViewerToolbar pageCount={doc.pageCount} />
      <PageCanvas key={`${doc.id}#${pageIndex}`} documentId={doc.id} pageIndex={pageIndex} page={page} />
      <Thumbnails documentId={doc.id} pageCount={doc.pageCount} currentPage={pageIndex} />
    </section>
  );
}

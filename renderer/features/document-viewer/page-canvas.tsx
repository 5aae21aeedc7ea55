/**
 * The page at zoom/pan: a viewport element, the page image placed by the view transform, and the box
 * overlay on top. Drag pans; Ctrl/⌘+wheel zooms at the pointer; plain wheel scrolls.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import type { Page } from '../../../engines/types.js';
import { getAppStore, useAppStore } from '../../store/index.js';
import { pageKey } from '../../store/ocr-slice.js';
import { findLine } from '../../store/selectors.js';
import { quadBounds } from '../../lib/coords.js';
import { BoxOverlay } from './box-overlay.js';

const WHEEL_ZOOM_PER_PX = 0.0015;

export function PageCanvas({ documentId, pageIndex, page }: { documentId: string; pageIndex: number; page: Page | undefined }): ReactNode {
  const viewportRef = useRef<HTMLDivElement>(null);
  const transform = useAppStore((s) => s.transform);
  const viewportSize = useAppStore((s) => s.viewportSize);
  const image = useAppStore((s) => s.pageImages[pageKey(documentId, pageIndex)]);
  const imageSize = useAppStore((s) => s.imageSizes[pageKey(documentId, pageIndex)]);
  const failure = useAppStore((s) => s.failuresByKey[pageKey(documentId, pageIndex)]);
  const selectedLineId = useAppStore((s) => s.selectedLineId);
  const selectionSource = useAppStore((s) => s.selectionSource);
  const store = getAppStore().getState;

  useEffect(() => {
    void store().loadPageImage(documentId, pageIndex);
  }, [documentId, pageIndex, store]);

  // Viewport size → store (the fit modes depend on it).
  useEffect(() => {
    const el = viewportRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => store().setViewportSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    store().setViewportSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, [store]);

  // A line picked in the text panel (or a search hit) is panned into view.
  useEffect(() => {
    if (!page || !selectedLineId || selectionSource === 'overlay') return;
    const line = findLine(page, selectedLineId);
    if (line) store().revealPageRect(quadBounds(line.quad));
  }, [page, selectedLineId, selectionSource, store]);

  // Wheel must be non-passive to prevent the page from scrolling while zooming.
  useEffect(() => {
    const el = viewportRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      if (e.ctrlKey || e.metaKey) {
        store().zoomBy(Math.exp(-e.deltaY * WHEEL_ZOOM_PER_PX), [e.clientX - r.left, e.clientY - r.top]);
      } else {
        store().panViewBy(-e.deltaX, -e.deltaY);
      }
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [store]);

  const drag = useRef<{ x: number; y: number; id: number; moved: boolean } | null>(null);

  const size = page ? { width: page.width, height: page.height } : imageSize;
  const ready = image?.state === 'ready' && size;

  return (
    <div
      ref={viewportRef}
      className="viewer-viewport"
      data-testid="viewer-viewport"
      data-zoom={transform.zoom}
      data-pan-x={transform.panX}
      data-pan-y={transform.panY}
      data-document-id={documentId}
      data-page-index={pageIndex}
      data-page-width={size?.width}
      data-page-height={size?.height}
      data-ocr-state={page ? 'done' : failure ? 'failed' : 'pending'}
      tabIndex={0}
      aria-label={`Page ${pageIndex + 1}`}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        drag.current = { x: e.clientX, y: e.clientY, id: e.pointerId, moved: false };
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        const d = drag.current;
        if (!d || d.id !== e.pointerId) return;
        const dx = e.clientX - d.x;
        const dy = e.clientY - d.y;
        if (!d.moved && Math.hypot(dx, dy) < 3) return;
        d.moved = true;
        d.x = e.clientX;
        d.y = e.clientY;
        store().panViewBy(dx, dy);
      }}
      onPointerUp={(e) => {
        const d = drag.current;
        drag.current = null;
        if (d && !d.moved && e.target === e.currentTarget) store().selectLine(null, 'overlay');
      }}
      onKeyDown={(e) => {
        const step = 40;
        if (e.key === '+' || e.key === '=') store().zoomBy(1.25);
        else if (e.key === '-') store().zoomBy(0.8);
        else if (e.key === '0') store().setFitMode('page');
        else if (e.key === 'ArrowLeft') store().panViewBy(step, 0);
        else if (e.key === 'ArrowRight') store().panViewBy(-step, 0);
        else if (e.key === 'ArrowUp') store().panViewBy(0, step);
        else if (e.key === 'ArrowDown') store().panViewBy(0, -step);
        else if (e.key === 'Escape') store().selectLine(null, 'overlay');
        else return;
        e.preventDefault();
      }}
    >
      {ready && (
        <img
          className="page-image"
          data-testid="page-image"
          src={image.url}
          alt={`Page ${pageIndex + 1}`}
          draggable={false}
          style={{ left: transform.panX, top: transform.panY, width: size.width * transform.zoom, height: size.height * transform.zoom }}
        />
      )}
      {ready && page && <BoxOverlay documentId={documentId} page={page} transform={transform} width={viewportSize.width} height={viewportSize.height} />}
      {image?.state === 'loading' && <p className="viewer-note muted">Loading page…</p>}
      {image?.state === 'error' && (
        <p className="viewer-note error" data-testid="page-image-error">
          Cannot show this page: {image.error}
        </p>
      )}
      {failure && (
        <p className="viewer-note error viewer-note-bottom" data-testid="page-failure">
          OCR failed on this page: {failure.error.message}
        </p>
      )}
      {ready && !page && !failure && (
        <p className="viewer-note muted viewer-note-bottom" data-testid="page-pending">
          Recognising…
        </p>
      )}
    </div>
  );
}

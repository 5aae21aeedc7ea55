/**
 * What the user is looking at: document, page, zoom/pan, the overlay toggle, and the line that is
 * hovered, selected (linked between the box overlay and the text panel) or being edited.
 */
import type { StateCreator } from 'zustand/vanilla';
import {
  fitPage,
  fitWidth,
  IDENTITY_TRANSFORM,
  panBy,
  revealRect,
  zoomAt,
  type Size,
  type ViewTransform,
} from '../lib/coords.js';
import type { Point, Rect } from '../../engines/types.js';
import { pageKey } from './ocr-slice.js';
import type { AppStore } from './index.js';
import type { OcrClient } from '../ipc/ocr-client.js';
import { errorMessage } from './documents-slice.js';

export type FitMode = 'page' | 'width' | 'free';
/** Where a selection came from: the overlay scrolls the text panel, the text panel pans the page. */
export type SelectionSource = 'overlay' | 'text' | 'search';

export type PageImageState =
  | { state: 'loading' }
  | { state: 'ready'; url: string; width: number; height: number }
  | { state: 'error'; error: string };

export interface ViewerState {
  currentDocumentId: string | null;
  currentPageIndex: number;
  transform: ViewTransform;
  viewportSize: Size;
  fitMode: FitMode;
  /** Natural size of each page image as loaded, by page key; used before the OCR result arrives. */
  imageSizes: Record<string, Size>;
  /** Page images (object URLs) by page key. */
  pageImages: Record<string, PageImageState>;
  overlayVisible: boolean;
  hoveredLineId: string | null;
  selectedLineId: string | null;
  selectionSource: SelectionSource | null;
  editingLineId: string | null;
}

export interface ViewerActions {
  selectDocument(documentId: string, pageIndex?: number): void;
  selectPage(pageIndex: number): void;
  setViewportSize(size: Size): void;
  imageLoaded(documentId: string, pageIndex: number, size: Size): void;
  /** Fetches the page image once (pages:image); later calls are no-ops unless it failed. */
  loadPageImage(documentId: string, pageIndex: number): Promise<void>;
  setFitMode(mode: FitMode): void;
  zoomBy(factor: number, anchor?: Point): void;
  setZoom(zoom: number, anchor?: Point): void;
  panViewBy(dxPx: number, dyPx: number): void;
  toggleOverlay(): void;
  hoverLine(lineId: string | null): void;
  selectLine(lineId: string | null, source: SelectionSource): void;
  /** Pan just enough that `rect` (page pixels) is visible. */
  revealPageRect(rect: Rect): void;
  startEditing(lineId: string): void;
  stopEditing(): void;
}

export type ViewerSlice = ViewerState & ViewerActions;

export const initialViewerState: ViewerState = {
  currentDocumentId: null,
  currentPageIndex: 0,
  transform: IDENTITY_TRANSFORM,
  viewportSize: { width: 0, height: 0 },
  fitMode: 'page',
  imageSizes: {},
  pageImages: {},
  overlayVisible: true,
  hoveredLineId: null,
  selectedLineId: null,
  selectionSource: null,
  editingLineId: null,
};

export const ZOOM_STEP = 1.25;

/** Size of the current page: the OCR result's, else the loaded image's. */
export function currentPageSize(s: AppStore): Size | null {
  if (s.currentDocumentId === null) return null;
  const key = pageKey(s.currentDocumentId, s.currentPageIndex);
  const page = s.pagesByKey[key];
  if (page) return { width: page.width, height: page.height };
  return s.imageSizes[key] ?? null;
}

function fitted(s: AppStore, mode: FitMode): ViewTransform | null {
  const page = currentPageSize(s);
  if (!page || mode === 'free') return null;
  return mode === 'page' ? fitPage(page, s.viewportSize) : fitWidth(page, s.viewportSize);
}

const clearedSelection = {
  hoveredLineId: null,
  selectedLineId: null,
  selectionSource: null,
  editingLineId: null,
} as const;

export function createViewerSlice(client: OcrClient): StateCreator<AppStore, [], [], ViewerSlice> {
  return (set, get) => {
    /** Re-apply the fit mode after anything that changes the page or viewport size. */
    function refit(): void {
      const s = get();
      const t = fitted(s, s.fitMode);
      if (t) set({ transform: t });
    }

    return {
      ...initialViewerState,

      selectDocument(documentId, pageIndex = 0) {
        const s = get();
        if (s.currentDocumentId === documentId && s.currentPageIndex === pageIndex) return;
        set({ currentDocumentId: documentId, currentPageIndex: pageIndex, ...clearedSelection, fitMode: s.fitMode === 'free' ? 'page' : s.fitMode });
        refit();
      },

      selectPage(pageIndex) {
        const s = get();
        const count = s.currentDocumentId ? s.documents[s.currentDocumentId]?.pageCount ?? 0 : 0;
        if (pageIndex < 0 || (count > 0 && pageIndex >= count) || pageIndex === s.currentPageIndex) return;
        set({ currentPageIndex: pageIndex, ...clearedSelection, fitMode: s.fitMode === 'free' ? 'page' : s.fitMode });
        refit();
      },

      setViewportSize(size) {
        const prev = get().viewportSize;
        if (prev.width === size.width && prev.height === size.height) return;
        set({ viewportSize: size });
        refit();
      },

      imageLoaded(documentId, pageIndex, size) {
        const key = pageKey(documentId, pageIndex);
        const prev = get().imageSizes[key];
        if (prev && prev.width === size.width && prev.height === size.height) return;
        set((s) => ({ imageSizes: { ...s.imageSizes, [key]: size } }));
        refit();
      },

      setFitMode(mode) {
        set({ fitMode: mode });
        refit();
      },

      zoomBy(factor, anchor) {
        get().setZoom(get().transform.zoom * factor, anchor);
      },

      setZoom(zoom, anchor) {
        const s = get();
        const a: Point = anchor ?? [s.viewportSize.width / 2, s.viewportSize.height / 2];
        set({ transform: zoomAt(s.transform, a, zoom), fitMode: 'free' });
      },

      panViewBy(dxPx, dyPx) {
        set((s) => ({ transform: panBy(s.transform, dxPx, dyPx), fitMode: 'free' }));
      },

      toggleOverlay() {
        set((s) => ({ overlayVisible: !s.overlayVisible }));
      },

      hoverLine(lineId) {
        if (get().hoveredLineId !== lineId) set({ hoveredLineId: lineId });
      },

      selectLine(lineId, source) {
        set({ selectedLineId: lineId, selectionSource: lineId === null ? null : source });
      },

      revealPageRect(rect) {
        const s = get();
        const t = revealRect(s.transform, rect, s.viewportSize);
        // Keep the fit mode unless the page actually had to move.
        if (t !== s.transform) set({ transform: t, fitMode: 'free' });
      },

      async loadPageImage(documentId, pageIndex) {
        const key = pageKey(documentId, pageIndex);
        const prev = get().pageImages[key];
        if (prev && prev.state !== 'error') return;
        set((s) => ({ pageImages: { ...s.pageImages, [key]: { state: 'loading' } } }));
        try {
          const img = await client.pageImage(documentId, pageIndex);
          set((s) => ({ pageImages: { ...s.pageImages, [key]: { state: 'ready', ...img } } }));
          get().imageLoaded(documentId, pageIndex, { width: img.width, height: img.height });
        } catch (e) {
          set((s) => ({ pageImages: { ...s.pageImages, [key]: { state: 'error', error: errorMessage(e) } } }));
        }
      },

      startEditing(lineId) {
        set({ editingLineId: lineId, selectedLineId: lineId, selectionSource: 'text' });
      },

      stopEditing() {
        set({ editingLineId: null });
      },
    };
  };
}

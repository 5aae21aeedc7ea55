/**
 * Search across every open document's words. Hits are recomputed when the query changes and whenever
 * a page arrives or a line is edited, so a search typed during a batch keeps filling in.
 */
import type { StateCreator } from 'zustand/vanilla';
import { searchPages, type SearchablePage, type SearchHit } from '../lib/search.js';
import { quadBounds } from '../lib/coords.js';
import { pageKey } from './ocr-slice.js';
import type { AppStore } from './index.js';

export interface SearchState {
  query: string;
  hits: SearchHit[];
  activeHitId: string | null;
}

export interface SearchActions {
  setQuery(query: string): void;
  /** Recompute hits for the current query (after new pages or edits). */
  searchRefresh(): void;
  /** Go to a hit: document, page, select its line and pan it into view. */
  activateHit(hitId: string): void;
  /** Next (+1) or previous (-1) hit, wrapping. */
  stepHit(delta: 1 | -1): void;
  clearSearch(): void;
}

export type SearchSlice = SearchState & SearchActions;

export const initialSearchState: SearchState = { query: '', hits: [], activeHitId: null };

/** Pages in document order, then page order. */
export function searchablePages(s: AppStore): SearchablePage[] {
  const out: SearchablePage[] = [];
  for (const documentId of s.documentOrder) {
    const count = s.documents[documentId]?.pageCount ?? 0;
    for (let i = 0; i < count; i++) {
      const page = s.pagesByKey[pageKey(documentId, i)];
      if (page) out.push({ documentId, page });
    }
  }
  return out;
}

export const createSearchSlice: StateCreator<AppStore, [], [], SearchSlice> = (set, get) => ({
  ...initialSearchState,

  setQuery(query) {
    set({ query });
    get().searchRefresh();
  },

  searchRefresh() {
    const s = get();
    const hits = s.query.trim() === '' ? [] : searchPages(searchablePages(s), s.query, { edits: s.edits });
    const activeHitId = hits.some((h) => h.id === s.activeHitId) ? s.activeHitId : null;
    set({ hits, activeHitId });
  },

  activateHit(hitId) {
    const s = get();
    const hit = s.hits.find((h) => h.id === hitId);
    if (!hit) return;
    set({ activeHitId: hitId });
    s.selectDocument(hit.documentId, hit.pageIndex);
    get().selectLine(hit.lineId, 'search');
    const page = get().pagesByKey[pageKey(hit.documentId, hit.pageIndex)];
    const line = page?.blocks.flatMap((b) => b.lines).find((l) => l.id === hit.lineId);
    if (line) {
      const words = hit.wordIndices.map((i) => line.words[i]).filter((w) => w !== undefined);
      const pts = words.length > 0 ? words.flatMap((w) => w.quad) : line.quad;
      get().revealPageRect(quadBounds(pts));
    }
  },

  stepHit(delta) {
    const { hits, activeHitId } = get();
    if (hits.length === 0) return;
    const at = hits.findIndex((h) => h.id === activeHitId);
    const next = at < 0 ? (delta > 0 ? 0 : hits.length - 1) : (at + delta + hits.length) % hits.length;
    get().activateHit(hits[next]!.id);
  },

  clearSearch() {
    set({ ...initialSearchState });
  },
});

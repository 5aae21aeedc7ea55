/** The search box (in the header) and the hit list (above the text panel). */
import type { ReactNode } from 'react';
import { getAppStore, useAppStore } from '../../store/index.js';

export function SearchBox(): ReactNode {
  const query = useAppStore((s) => s.query);
  const count = useAppStore((s) => s.hits.length);
  const activeIndex = useAppStore((s) => s.hits.findIndex((h) => h.id === s.activeHitId));
  const store = getAppStore().getState;
  return (
    <div className="search-box" role="search">
      <input
        type="search"
        data-testid="search-input"
        placeholder="Search all documents"
        aria-label="Search all documents"
        value={query}
        onChange={(e) => store().setQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            store().stepHit(e.shiftKey ? -1 : 1);
          } else if (e.key === 'Escape') {
            store().clearSearch();
          }
        }}
      />
      {query.trim() !== '' && (
        <span className="search-count small" data-testid="search-count" aria-live="polite">
          {count === 0 ? 'No matches' : activeIndex >= 0 ? `${activeIndex + 1} of ${count}` : `${count} match${count === 1 ? '' : 'es'}`}
        </span>
      )}
      <button type="button" data-testid="search-prev" aria-label="Previous match" disabled={count === 0} onClick={() => store().stepHit(-1)}>
        ▲
      </button>
      <button type="button" data-testid="search-next" aria-label="Next match" disabled={count === 0} onClick={() => store().stepHit(1)}>
        ▼
      </button>
    </div>
  );
}

const MAX_LISTED = 200;

export function SearchResults(): ReactNode {
  const query = useAppStore((s) => s.query);
  const hits = useAppStore((s) => s.hits);
  const activeHitId = useAppStore((s) => s.activeHitId);
  const documents = useAppStore((s) => s.documents);
  if (query.trim() === '') return null;
  const store = getAppStore().getState;
  return (
    <section className="search-results" data-testid="search-results" aria-label="Search results">
      <header className="panel-header">
        <strong>
          {hits.length === 0 ? `No matches for “${query.trim()}”` : `${hits.length} match${hits.length === 1 ? '' : 'es'} for “${query.trim()}”`}
        </strong>
        <button type="button" className="link small" data-testid="search-clear" onClick={() => store().clearSearch()}>
          Clear
        </button>
      </header>
      <ol className="hit-list">
        {hits.slice(0, MAX_LISTED).map((h) => (
          <li key={h.id}>
            <button
              type="button"
              className={`hit${h.id === activeHitId ? ' is-active' : ''}`}
              data-testid="search-hit"
              data-hit-id={h.id}
              data-document-id={h.documentId}
              data-page-index={h.pageIndex}
              data-line-id={h.lineId}
              aria-current={h.id === activeHitId ? 'true' : undefined}
              onClick={() => store().activateHit(h.id)}
            >
              <span className="hit-where small muted">
                {documents[h.documentId]?.name ?? h.documentId} · p. {h.pageIndex + 1}
              </span>
              <span className="hit-text">
                {h.lineText.slice(0, h.start)}
                <mark>{h.lineText.slice(h.start, h.end)}</mark>
                {h.lineText.slice(h.end)}
              </span>
            </button>
          </li>
        ))}
      </ol>
      {hits.length > MAX_LISTED && <p className="small muted">Showing the first {MAX_LISTED}; use ▲ ▼ to step through all.</p>}
    </section>
  );
}

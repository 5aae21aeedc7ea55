/** Page thumbnails; images load only once a thumbnail scrolls into view (big PDFs stay cheap). */
import { useEffect, useRef, type ReactNode } from 'react';
import { getAppStore, useAppStore } from '../../store/index.js';
import { pageKey } from '../../store/ocr-slice.js';

function Thumbnail({ documentId, pageIndex, current }: { documentId: string; pageIndex: number; current: boolean }): ReactNode {
  const ref = useRef<HTMLButtonElement>(null);
  const image = useAppStore((s) => s.pageImages[pageKey(documentId, pageIndex)]);
  const state = useAppStore((s) =>
    s.pagesByKey[pageKey(documentId, pageIndex)] ? 'done' : s.failuresByKey[pageKey(documentId, pageIndex)] ? 'failed' : 'pending',
  );

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        void getAppStore().getState().loadPageImage(documentId, pageIndex);
        io.disconnect();
      }
    });
    io.observe(el);
    return () => io.disconnect();
  }, [documentId, pageIndex]);

  useEffect(() => {
    if (current) ref.current?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [current]);

  return (
    <button
      ref={ref}
      type="button"
      className={`thumbnail is-${state}${current ? ' is-current' : ''}`}
      data-testid="thumbnail"
      data-page-index={pageIndex}
      data-state={state}
      aria-current={current ? 'page' : undefined}
      aria-label={`Page ${pageIndex + 1}`}
      onClick={() => getAppStore().getState().selectPage(pageIndex)}
    >
      {image?.state === 'ready' ? <img src={image.url} alt="" draggable={false} /> : <span className="thumbnail-placeholder" />}
      <span className="thumbnail-label">{pageIndex + 1}</span>
    </button>
  );
}

export function Thumbnails({ documentId, pageCount, currentPage }: { documentId: string; pageCount: number; currentPage: number }): ReactNode {
  if (pageCount <= 1) return null;
  return (
    <div className="thumbnails" data-testid="thumbnails" aria-label="Pages">
      {Array.from({ length: pageCount }, (_, i) => (
        <Thumbnail key={i} documentId={documentId} pageIndex={i} current={i === currentPage} />
      ))}
    </div>
  );
}

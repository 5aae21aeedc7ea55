/**
 * Every line's quad as an SVG polygon over the page, in VIEWPORT pixels (page → viewport through
 * lib/coords.ts, the same transform that places the image). Colour says confidence; hover shows the
 * text; click selects the line (and the text panel follows). Search hits draw their words on top.
 */
import { memo, useMemo, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Line, Page } from '../../../engines/types.js';
import { formatSvgPoints, quadBounds, quadToViewport, type ViewTransform } from '../../lib/coords.js';
import { getAppStore, useAppStore } from '../../store/index.js';
import { confidenceBand, lineText, pageHighlights, pageLines } from '../../store/selectors.js';

interface Props {
  documentId: string;
  page: Page;
  transform: ViewTransform;
  width: number;
  height: number;
}

const LineBox = memo(function LineBox({
  line,
  transform,
  selected,
  hovered,
  edited,
}: {
  line: Line;
  transform: ViewTransform;
  selected: boolean;
  hovered: boolean;
  edited: boolean;
}): ReactNode {
  const band = confidenceBand(line.confidence);
  const store = getAppStore().getState;
  return (
    <polygon
      className={`line-box band-${band}${selected ? ' is-selected' : ''}${hovered ? ' is-hovered' : ''}${edited ? ' is-edited' : ''}`}
      data-testid="line-box"
      data-line-id={line.id}
      data-confidence={line.confidence.toFixed(3)}
      data-band={band}
      data-selected={selected ? 'true' : 'false'}
      points={formatSvgPoints(quadToViewport(line.quad, transform))}
      onPointerEnter={() => store().hoverLine(line.id)}
      onPointerLeave={() => store().hoverLine(null)}
      onPointerDown={(e) => e.stopPropagation() /* a click on a box is not the start of a pan */}
      onClick={() => store().selectLine(selected ? null : line.id, 'overlay')}
      onDoubleClick={() => store().startEditing(line.id)}
    >
      <title>{`${line.text} (${Math.round(line.confidence * 100)} %)`}</title>
    </polygon>
  );
});

export function BoxOverlay({ documentId, page, transform, width, height }: Props): ReactNode {
  const visible = useAppStore((s) => s.overlayVisible);
  const selectedLineId = useAppStore((s) => s.selectedLineId);
  const hoveredLineId = useAppStore((s) => s.hoveredLineId);
  const edits = useAppStore((s) => s.edits[documentId]);
  const highlights = useAppStore(useShallow((s) => ({ hits: s.hits, activeHitId: s.activeHitId })));
  const hl = useMemo(() => pageHighlights(highlights, documentId, page.index), [highlights, documentId, page.index]);
  const lines = useMemo(() => pageLines(page), [page]);
  const hovered = hoveredLineId ? lines.find((l) => l.id === hoveredLineId) : undefined;

  return (
    <>
      <svg
        className={`box-overlay${visible ? '' : ' is-hidden'}`}
        data-testid="box-overlay"
        data-page-index={page.index}
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        aria-label={`Text boxes on page ${page.index + 1}`}
      >
        {visible &&
          lines.map((line) => (
            <LineBox
              key={line.id}
              line={line}
              transform={transform}
              selected={line.id === selectedLineId}
              hovered={line.id === hoveredLineId}
              edited={edits?.[line.id] !== undefined}
            />
          ))}
        {lines.map((line) => {
          const lineHit = hl.lines.has(line.id);
          return (
            <g key={`hits-${line.id}`}>
              {lineHit && (
                <polygon
                  className={`hit-box${hl.activeLines.has(line.id) ? ' is-active' : ''}`}
                  data-testid="hit-box"
                  data-line-id={line.id}
                  points={formatSvgPoints(quadToViewport(line.quad, transform))}
                />
              )}
              {line.words.map((w, i) =>
                hl.words.has(`${line.id}/${i}`) ? (
                  <polygon
                    key={i}
                    className={`hit-box${hl.activeWords.has(`${line.id}/${i}`) ? ' is-active' : ''}`}
                    data-testid="word-hit"
                    data-line-id={line.id}
                    data-word-index={i}
                    data-active={hl.activeWords.has(`${line.id}/${i}`) ? 'true' : 'false'}
                    points={formatSvgPoints(quadToViewport(w.quad, transform))}
                  />
                ) : null,
              )}
            </g>
          );
        })}
      </svg>
      {visible && hovered && <HoverLabel line={hovered} text={lineText({ edits: edits ? { [documentId]: edits } : {} }, documentId, hovered)} transform={transform} viewportWidth={width} />}
    </>
  );
}

/** The hovered line's text just above its box (below when the box is at the top edge). */
function HoverLabel({ line, text, transform, viewportWidth }: { line: Line; text: string; transform: ViewTransform; viewportWidth: number }): ReactNode {
  const b = quadBounds(quadToViewport(line.quad, transform));
  const above = b.y > 36;
  const left = Math.max(4, Math.min(b.x, viewportWidth - 320));
  return (
    <div
      className="box-tooltip"
      data-testid="box-tooltip"
      data-line-id={line.id}
      role="tooltip"
      style={{ left, top: above ? b.y - 6 : b.y + b.height + 6, transform: above ? 'translateY(-100%)' : undefined }}
    >
      {text}
      <span className="muted small"> · {Math.round(line.confidence * 100)} %</span>
    </div>
  );
}

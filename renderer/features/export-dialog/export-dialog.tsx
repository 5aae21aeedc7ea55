/**
 * Export one document or the whole batch as plain text, JSON, searchable PDF, hOCR or ALTO, with the
 * user's corrections applied. The desktop app writes through the native save dialog; the browser
 * receives the bytes and downloads them.
 */
import { useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ExportFormat } from '../../ipc/ocr-client.js';
import { useClient } from '../../ipc/client-context.js';
import { Modal } from '../../components/modal.js';
import { getAppStore, useAppStore } from '../../store/index.js';
import { selectDocumentProgress } from '../../store/selectors.js';

const FORMATS: { format: ExportFormat; label: string; note: string }[] = [
  { format: 'txt', label: 'Plain text (.txt)', note: 'Text in reading order, pages separated by form feeds.' },
  { format: 'pdf', label: 'Searchable PDF (.pdf)', note: 'The page images with an invisible, selectable text layer.' },
  { format: 'json', label: 'JSON (.json)', note: 'Everything: lines, words, boxes, confidences, timings.' },
  { format: 'hocr', label: 'hOCR (.hocr)', note: 'HTML with boxes, for OCRmyPDF and other tools.' },
  { format: 'alto', label: 'ALTO XML (.xml)', note: 'Library and archive standard (ALTO v4).' },
];

type Scope = 'current' | 'all';

export function ExportDialog({ onClose }: { onClose(): void }): ReactNode {
  const client = useClient();
  const [format, setFormat] = useState<ExportFormat>('pdf');
  const [scope, setScope] = useState<Scope>('current');
  const currentId = useAppStore((s) => s.currentDocumentId);
  const order = useAppStore(useShallow((s) => s.documentOrder));
  const status = useAppStore((s) => s.exportStatus);
  const unfinished = useAppStore(
    (s) => (scope === 'all' ? s.documentOrder : currentId ? [currentId] : []).filter((id) => selectDocumentProgress(s, id).status !== 'done').length,
  );
  const ids = scope === 'all' ? order : currentId ? [currentId] : [];
  const store = getAppStore().getState;

  return (
    <Modal title="Export" testId="export-dialog" onClose={() => { store().resetExportStatus(); onClose(); }}>
      <fieldset className="choices">
        <legend>Format</legend>
        {FORMATS.map((f) => (
          <label key={f.format} className="choice">
            <input
              type="radio"
              name="export-format"
              data-testid={`export-format-${f.format}`}
              value={f.format}
              checked={format === f.format}
              onChange={() => setFormat(f.format)}
            />
            <span>
              {f.label}
              <span className="small muted block">{f.note}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset className="choices">
        <legend>What</legend>
        <label className="choice">
          <input type="radio" name="export-scope" data-testid="export-scope-current" checked={scope === 'current'} onChange={() => setScope('current')} disabled={!currentId} />
          Current document
        </label>
        <label className="choice">
          <input type="radio" name="export-scope" data-testid="export-scope-all" checked={scope === 'all'} onChange={() => setScope('all')} />
          All {order.length} documents ({client.kind === 'electron' ? 'one file each, into a folder' : 'one download each'})
        </label>
      </fieldset>
      {unfinished > 0 && (
        <p className="small warning" data-testid="export-unfinished">
          {unfinished} document{unfinished === 1 ? ' is' : 's are'} not finished; only recognised pages are exported.
        </p>
      )}
      <footer className="modal-footer">
        <span className="small" data-testid="export-status" data-state={status.state} role="status">
          {status.state === 'exporting' && 'Exporting…'}
          {status.state === 'done' &&
            (status.outcome?.kind === 'cancelled'
              ? 'Cancelled.'
              : `${status.outcome?.kind === 'saved' ? 'Saved' : 'Downloaded'}: ${status.outcome?.files.join(', ')}`)}
          {status.state === 'error' && <span className="error">{status.error}</span>}
        </span>
        <button
          type="button"
          className="primary"
          data-testid="export-submit"
          disabled={ids.length === 0 || status.state === 'exporting'}
          onClick={() => void store().exportDocuments(ids, format)}
        >
          {client.kind === 'electron' ? 'Save…' : 'Download'}
        </button>
      </footer>
    </Modal>
  );
}

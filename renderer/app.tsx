import { useState, type ReactNode } from 'react';
import { DocumentList } from './features/document-list/document-list.js';
import { DocumentViewer } from './features/document-viewer/document-viewer.js';
import { OpenButtons, useFileDrop } from './features/drop-zone/drop-zone.js';
import { EngineBuildBanner, EnginePanel, EngineStatusBar } from './features/engine-status/engine-status.js';
import { ExportDialog } from './features/export-dialog/export-dialog.js';
import { SearchBox, SearchResults } from './features/search/search.js';
import { SettingsPanel } from './features/settings/settings-panel.js';
import { TextPanel } from './features/text-panel/text-panel.js';
import { useAppStore } from './store/index.js';

type Dialog = 'export' | 'settings' | 'engine' | null;

export function App(): ReactNode {
  const { dragging, handlers } = useFileDrop();
  const [dialog, setDialog] = useState<Dialog>(null);
  const hasDocuments = useAppStore((s) => s.documentOrder.length > 0);
  const close = () => setDialog(null);

  return (
    <div className={`app${dragging ? ' is-dragging' : ''}`} data-testid="app-root" {...handlers}>
      <header className="app-header">
        <h1 className="brand">Lucid OCR</h1>
        <OpenButtons />
        <SearchBox />
        <span className="spacer" />
        <button type="button" data-testid="export-open" disabled={!hasDocuments} onClick={() => setDialog('export')}>
          Export…
        </button>
        <button type="button" data-testid="settings-open" onClick={() => setDialog('settings')}>
          Settings
        </button>
      </header>
      <EngineBuildBanner />
      <main className="app-main">
        <aside className="sidebar">
          <DocumentList />
        </aside>
        <DocumentViewer dragging={dragging} />
        <aside className="side-panel">
          <SearchResults />
          <TextPanel />
        </aside>
      </main>
      <EngineStatusBar onOpen={() => setDialog('engine')} />
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          Drop to open
        </div>
      )}
      {dialog === 'export' && <ExportDialog onClose={close} />}
      {dialog === 'settings' && <SettingsPanel onClose={close} />}
      {dialog === 'engine' && <EnginePanel onClose={close} />}
    </div>
  );
}

import { useCallback, useRef, useState, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useClient } from '../../ipc/client-context.js';
import type { FileRejection } from '../../ipc/ocr-client.js';
import { getAppStore, useAppStore } from '../../store/index.js';
import {
  ACCEPT_ATTRIBUTE,
  classify,
  fromDataTransfer,
  fromFileList,
  SUPPORTED_TYPES_LINE,
  type PickedFile,
} from './collect-files.js';

function baseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

/** Reads accepted files and hands them to the store with everything refused along the way. */
async function upload(files: PickedFile[], extraRejected: FileRejection[] = []): Promise<void> {
  const { accepted, rejected } = classify(files);
  const uploads: { name: string; bytes: Uint8Array }[] = [];
  for (const f of accepted) {
    try {
      uploads.push({ name: baseName(f.name), bytes: new Uint8Array(await f.file.arrayBuffer()) });
    } catch (e) {
      rejected.push({ name: f.name, reason: `Could not be read (${e instanceof Error ? e.message : String(e)}).` });
    }
  }
  await getAppStore().getState().addFiles(uploads, [...extraRejected, ...rejected]);
}

/** Drag-and-drop handlers for the whole window, and whether something is being dragged over it. */
export function useFileDrop(): {
  dragging: boolean;
  handlers: {
    onDragEnter(e: DragEvent): void;
    onDragOver(e: DragEvent): void;
    onDragLeave(e: DragEvent): void;
    onDrop(e: DragEvent): void;
  };
} {
  const client = useClient();
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);

  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

  const onDrop = useCallback(
    (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setDragging(false);
      const dt = e.dataTransfer;
      // Electron: main opens OS paths itself (and expands folders); no bytes cross the bridge.
      if (client.kind === 'electron') {
        const paths = Array.from(dt.files, (f) => client.pathForFile(f)).filter((p): p is string => !!p);
        if (paths.length === dt.files.length && paths.length > 0) {
          void getAppStore().getState().openFiles(paths);
          return;
        }
      }
      // Must run synchronously inside the handler: the DataTransfer empties once it returns.
      const collected = fromDataTransfer(dt);
      void collected.then(({ files, errors }) => upload(files, errors));
    },
    [client],
  );

  return {
    dragging,
    handlers: {
      onDragEnter(e) {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current++;
        setDragging(true);
      },
      onDragOver(e) {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      },
      onDragLeave(e) {
        if (!hasFiles(e)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop,
    },
  };
}

const FILE_INPUT_ID = 'lucid-file-input';
const FOLDER_INPUT_ID = 'lucid-folder-input';

/** "Open files" and "Open folder": native dialog in Electron, hidden file inputs in the browser. */
export function OpenButtons(): ReactNode {
  const client = useClient();
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const pending = useAppStore((s) => s.pendingUploads);

  const onPicked = (input: HTMLInputElement | null) => {
    if (!input?.files || input.files.length === 0) return;
    const files = fromFileList(input.files);
    input.value = ''; // picking the same file again must fire change again
    void upload(files);
  };

  const setFolderInput = (el: HTMLInputElement | null) => {
    folderInput.current = el;
    // Not in React's attribute list; set it on the element.
    if (el) el.setAttribute('webkitdirectory', '');
  };

  return (
    <div className="open-buttons">
      <button
        type="button"
        className="primary"
        data-testid="open-files-button"
        onClick={() => (client.kind === 'electron' ? void getAppStore().getState().openFiles() : filesInput.current?.click())}
      >
        Open files…
      </button>
      {client.kind === 'http' && (
        <button type="button" data-testid="open-folder-button" onClick={() => folderInput.current?.click()}>
          Open folder…
        </button>
      )}
      <input
        ref={filesInput}
        id={FILE_INPUT_ID}
        data-testid="file-input"
        className="visually-hidden"
        type="file"
        multiple
        accept={ACCEPT_ATTRIBUTE}
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => onPicked(e.currentTarget)}
      />
      <input
        ref={setFolderInput}
        id={FOLDER_INPUT_ID}
        data-testid="folder-input"
        className="visually-hidden"
        type="file"
        multiple
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => onPicked(e.currentTarget)}
      />
      {pending > 0 && (
        <span className="muted" data-testid="upload-pending" role="status">
          Adding {pending} file{pending === 1 ? '' : 's'}…
        </span>
      )}
    </div>
  );
}

/** The empty state: a large target that says what can be dropped. */
export function DropZone({ dragging }: { dragging: boolean }): ReactNode {
  const client = useClient();
  return (
    <div className={`drop-zone${dragging ? ' is-dragging' : ''}`} data-testid="drop-zone">
      <p className="drop-zone-title">Drop images, PDFs or whole folders here</p>
      <p className="muted">{SUPPORTED_TYPES_LINE}. Everything stays on this computer.</p>
      <div className="open-buttons">
        {client.kind === 'electron' ? (
          <button type="button" className="primary" onClick={() => void getAppStore().getState().openFiles()}>
            Open files…
          </button>
        ) : (
          <>
            {/* Labels for the header's inputs: one set of inputs, two ways in. */}
            <label htmlFor={FILE_INPUT_ID} className="button primary" tabIndex={0} onKeyDown={(e) => clickOnEnter(e, FILE_INPUT_ID)}>
              Open files…
            </label>
            <label htmlFor={FOLDER_INPUT_ID} className="button" tabIndex={0} onKeyDown={(e) => clickOnEnter(e, FOLDER_INPUT_ID)}>
              Open folder…
            </label>
          </>
        )}
      </div>
    </div>
  );
}

function clickOnEnter(e: KeyboardEvent<HTMLLabelElement>, inputId: string): void {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  e.preventDefault();
  document.getElementById(inputId)?.click();
}

/** Files that were not opened, each with its reason. */
export function RejectedFiles(): ReactNode {
  const rejected = useAppStore((s) => s.rejectedFiles);
  const openError = useAppStore((s) => s.openError);
  if (rejected.length === 0 && !openError) return null;
  return (
    <section className="rejected" data-testid="rejected-list" aria-live="polite">
      {openError && (
        <p className="error" data-testid="open-error">
          {openError}
        </p>
      )}
      {rejected.length > 0 && (
        <>
          <header className="rejected-header">
            <strong>
              {rejected.length} file{rejected.length === 1 ? ' was' : 's were'} not opened
            </strong>
            <button type="button" className="link" data-testid="dismiss-rejected" onClick={() => getAppStore().getState().dismissRejected()}>
              Dismiss
            </button>
          </header>
          <ul>
            {rejected.map((r, i) => (
              <li key={`${r.name}:${i}`} data-testid="rejected-item" data-name={r.name}>
                <span className="file-name">{r.name}</span>
                <span className="reason">{r.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

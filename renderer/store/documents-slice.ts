/**
 * Open documents: what the user added, in the order they added them, plus the files that were refused
 * (listed with the reason; never silently dropped).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { DocumentSummary, FileRejection, OcrClient, UploadFile } from '../ipc/ocr-client.js';
import type { AppStore } from './index.js';

export interface DocumentEntry extends DocumentSummary {
  /** Order of arrival; keeps the list stable when several drops race. */
  seq: number;
}

export interface DocumentsState {
  documents: Record<string, DocumentEntry>;
  documentOrder: string[];
  rejectedFiles: FileRejection[];
  /** Files being read/uploaded right now (drop zone spinner). */
  pendingUploads: number;
  /** Last failure of the open/upload call itself (not of one file). */
  openError: string | null;
}

export interface DocumentsActions {
  documentsAdded(docs: DocumentSummary[]): void;
  filesRejected(files: FileRejection[]): void;
  dismissRejected(): void;
  /** Forgets a document here and in main (main cancels its job). */
  removeDocument(documentId: string): Promise<void>;
  /** Picks up documents, results and edits main already holds (after a page reload in server mode). */
  restoreSession(): Promise<void>;
  /** Electron: native file dialog (no paths) or given paths. Starts OCR on every new document. */
  openFiles(paths?: string[]): Promise<void>;
  /** Browser (and drag and drop in Electron): file bytes. Starts OCR on every new document. */
  addFiles(files: UploadFile[], rejected?: FileRejection[]): Promise<void>;
}

export type DocumentsSlice = DocumentsState & DocumentsActions;

export const initialDocumentsState: DocumentsState = {
  documents: {},
  documentOrder: [],
  rejectedFiles: [],
  pendingUploads: 0,
  openError: null,
};

let seqCounter = 0;

export function createDocumentsSlice(client: OcrClient): StateCreator<AppStore, [], [], DocumentsSlice> {
  return (set, get) => {
    async function afterOpen(result: { documents: DocumentSummary[]; rejected: FileRejection[] }): Promise<void> {
      get().documentsAdded(result.documents);
      get().filesRejected(result.rejected);
      if (get().currentDocumentId === null && result.documents[0]) {
        get().selectDocument(result.documents[0].id);
      }
      await Promise.all(result.documents.map((d) => get().startOcr(d.id)));
    }

    return {
      ...initialDocumentsState,

      documentsAdded(docs) {
        if (docs.length === 0) return;
        set((s) => {
          const documents = { ...s.documents };
          const order = [...s.documentOrder];
          for (const d of docs) {
            if (!documents[d.id]) order.push(d.id);
            documents[d.id] = { ...d, seq: documents[d.id]?.seq ?? ++seqCounter };
          }
          return { documents, documentOrder: order };
        });
      },

      filesRejected(files) {
        if (files.length === 0) return;
        set((s) => ({ rejectedFiles: [...s.rejectedFiles, ...files] }));
      },

      dismissRejected() {
        set({ rejectedFiles: [] });
      },

      async removeDocument(documentId) {
        try {
          await client.removeDocument(documentId);
        } catch (e) {
          set({ openError: errorMessage(e) });
          return;
        }
        set((s) => {
          if (!s.documents[documentId]) return s;
          const documents = { ...s.documents };
          delete documents[documentId];
          const documentOrder = s.documentOrder.filter((id) => id !== documentId);
          if (s.currentDocumentId !== documentId) return { documents, documentOrder };
          return {
            documents,
            documentOrder,
            currentDocumentId: documentOrder[0] ?? null,
            currentPageIndex: 0,
            selectedLineId: null,
            hoveredLineId: null,
            editingLineId: null,
          };
        });
      },

      async restoreSession() {
        let states;
        try {
          states = await client.listDocuments();
        } catch (e) {
          set({ openError: errorMessage(e) });
          return;
        }
        get().documentsAdded(states.map((st) => st.summary));
        for (const st of states) get().resultsRestored(st);
        const first = states[0];
        if (get().currentDocumentId === null && first) get().selectDocument(first.summary.id);
      },

      async openFiles(paths) {
        set((s) => ({ pendingUploads: s.pendingUploads + 1, openError: null }));
        try {
          await afterOpen(await client.openFiles(paths));
        } catch (e) {
          set({ openError: errorMessage(e) });
        } finally {
          set((s) => ({ pendingUploads: s.pendingUploads - 1 }));
        }
      },

      async addFiles(files, rejected = []) {
        get().filesRejected(rejected);
        if (files.length === 0) return;
        set((s) => ({ pendingUploads: s.pendingUploads + files.length, openError: null }));
        try {
          await afterOpen(await client.addFiles(files));
        } catch (e) {
          set({ openError: errorMessage(e) });
        } finally {
          set((s) => ({ pendingUploads: s.pendingUploads - files.length }));
        }
      },
    };
  };
}

export function errorMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}

/**
 * Subscribes once to main's events and forwards each to its store action. The only place events
 * enter the store.
 */
import type { AppStoreApi } from '../store/index.js';
import type { OcrClient } from './ocr-client.js';

let started = false;

export function startEventBridge(client: OcrClient, store: AppStoreApi): () => void {
  if (started) throw new Error('The event bridge is already running.');
  started = true;
  const a = () => store.getState();
  const off = client.subscribe({
    progress: (e) => a().progressReceived(e),
    pageDone: (e) => a().pageDone(e),
    pageFailed: (e) => a().pageFailed(e),
    jobDone: (e) => a().jobDone(e),
    engineStatus: (e) => a().engineStatusReceived(e),
    connection: (state) => a().connectionChanged(state),
  });
  return () => {
    off();
    started = false;
  };
}

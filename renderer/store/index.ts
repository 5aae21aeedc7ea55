/**
 * The one application store, bound from slices (zustand's slices pattern). Components use
 * `useAppStore(selector)`; tests build a fresh store per test with `createAppStore(client)`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { OcrClient } from '../ipc/ocr-client.js';
import { createDocumentsSlice, type DocumentsSlice } from './documents-slice.js';
import { createOcrSlice, type OcrSlice } from './ocr-slice.js';
import { createSearchSlice, type SearchSlice } from './search-slice.js';
import { createSettingsSlice, type SettingsSlice } from './settings-slice.js';
import { createViewerSlice, type ViewerSlice } from './viewer-slice.js';

export type AppStore = DocumentsSlice & OcrSlice & ViewerSlice & SettingsSlice & SearchSlice;
export type AppStoreApi = StoreApi<AppStore>;

export function createAppStore(client: OcrClient): AppStoreApi {
  return createStore<AppStore>()((...a) => ({
    ...createDocumentsSlice(client)(...a),
    ...createOcrSlice(client)(...a),
    ...createViewerSlice(client)(...a),
    ...createSettingsSlice(client)(...a),
    ...createSearchSlice(...a),
  }));
}

let boundStore: AppStoreApi | null = null;

/** Called once by main.tsx with the transport-backed client. */
export function bindAppStore(store: AppStoreApi): void {
  boundStore = store;
}

export function getAppStore(): AppStoreApi {
  if (!boundStore) throw new Error('The app store is not bound yet (bindAppStore in main.tsx).');
  return boundStore;
}

export function useAppStore<T>(selector: (s: AppStore) => T): T {
  return useStore(getAppStore(), selector);
}

/**
 * Gives components the few client facts that are not state: which shell we run in, and the OS path of a
 * dropped file (Electron). State and IO go through the store.
 */
import { createContext, useContext } from 'react';
import type { OcrClient } from './ocr-client.js';

export const ClientContext = createContext<OcrClient | null>(null);

export function useClient(): OcrClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('ClientContext is missing (main.tsx provides it).');
  return c;
}

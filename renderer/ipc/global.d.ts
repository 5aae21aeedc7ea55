/** `window.lucid`, exposed by electron/preload (absent in the browser, where the HTTP transport is used). */
import type { LucidOcrApi } from '../../electron/common/ipc-contract.js';

declare global {
  interface Window {
    lucid?: LucidOcrApi;
  }
}

export {};

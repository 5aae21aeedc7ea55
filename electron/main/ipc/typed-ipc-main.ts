/**
 * The only file that touches ipcMain (GitHub Desktop's rule): every InvokeChannels entry is registered
 * here with (1) the sender check, (2) payload validation, (3) errors turned into the typed envelope.
 * Handlers never see an unchecked payload or an untrusted sender.
 */
import { ipcMain, type WebContents } from 'electron';
import { OcrError, serializeError } from '../../../engines/errors.js';
import { INVOKE_CHANNELS, type EventChannel, type EventChannels, type InvokeResponse } from '../../common/ipc-contract.js';
import { isTrustedSender, validateInvoke } from '../../common/ipc-schemas.js';
import type { InvokeHandlers } from '../handlers/index.js';

export interface RegisterOptions {
  /** Origins our renderer is served from (`lucid://app`, and the dev server in development). */
  trustedOrigins: readonly string[];
  log?: (line: string) => void;
}

/** Registers every channel; returns a function that removes them again. */
export function registerInvokeHandlers(handlers: InvokeHandlers, opts: RegisterOptions): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (event, payload: unknown): Promise<InvokeResponse<unknown>> => {
      // senderFrame is null once the frame navigated away or was destroyed: not trusted either.
      const senderUrl = event.senderFrame?.url;
      if (!isTrustedSender(senderUrl, opts.trustedOrigins)) {
        opts.log?.(`refused ${channel} from untrusted sender ${senderUrl ?? '(no frame)'}`);
        return { ok: false, error: serializeError(new OcrError('INVALID_ARGUMENT', 'This window may not call Lucid OCR.')) };
      }
      try {
        const valid = validateInvoke(channel, payload);
        const result = await (handlers[channel] as (p: unknown) => Promise<unknown>)(valid);
        return { ok: true, result };
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
    });
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** main → renderer events, to every live window that shows our app. */
export function createEventSender(targets: () => WebContents[], trustedOrigins: readonly string[]) {
  return function emit<K extends EventChannel>(event: K, payload: EventChannels[K]): void {
    for (const wc of targets()) {
      if (wc.isDestroyed()) continue;
      // Never hand results to a page that is not ours (a window that somehow navigated elsewhere).
      if (!isTrustedSender(wc.getURL(), trustedOrigins)) continue;
      wc.send(event, payload);
    }
  };
}

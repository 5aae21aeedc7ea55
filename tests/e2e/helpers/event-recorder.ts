/**
 * Listens to the server's event stream from the test process, the way the renderer does, and keeps every
 * ocr:page-done page: "what the engine produced", to compare the UI and its exports against.
 */
import type { EventChannels } from '../../../electron/common/ipc-contract.js';
import { fromWireJson } from '../../../electron/common/wire-codec.js';
import type { Page } from '../../../engines/types.js';
import type { RunningServer } from './server.js';

export interface EventRecorder {
  /** Pages by documentId, in arrival order. */
  pages: Map<string, Page[]>;
  jobsDone: EventChannels['ocr:job-done'][];
  stop(): void;
}

export async function recordEvents(server: RunningServer): Promise<EventRecorder> {
  const abort = new AbortController();
  const res = await fetch(`${server.origin}/api/events`, { headers: { 'x-lucid-token': server.token }, signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
  const rec: EventRecorder = { pages: new Map(), jobsDone: [], stop: () => abort.abort() };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (!event || !data) continue;
          if (event === 'ocr:page-done') {
            const e = fromWireJson(data) as EventChannels['ocr:page-done'];
            const list = rec.pages.get(e.documentId) ?? [];
            list.push(e.page);
            rec.pages.set(e.documentId, list);
          } else if (event === 'ocr:job-done') {
            rec.jobsDone.push(fromWireJson(data) as EventChannels['ocr:job-done']);
          }
        }
      }
    } catch {
      // aborted by stop()
    }
  })();
  return rec;
}

/**
 * An in-memory OcrClient for store tests: records calls and lets a test resolve them. The real client
 * and transports are exercised end to end in tests/e2e.
 */
import type {
  ClientEvents,
  CompareResult,
  DocumentState,
  DocumentSummary,
  EngineState,
  ExportOutcome,
  ExportRequest,
  OcrClient,
  OpenResult,
  Settings,
  UploadFile,
} from '../../../../renderer/ipc/ocr-client.js';

export interface Call {
  method: string;
  args: unknown[];
}

export class FakeClient implements OcrClient {
  readonly kind = 'http' as const;
  readonly calls: Call[] = [];
  nextJob = 1;
  openResult: OpenResult = { documents: [], rejected: [] };
  settings: Settings = { ep: 'auto', precision: 'fp32', detMaxSideLen: 960 };
  engine: EngineState = {
    info: {
      name: 'lucid-ocr',
      version: '0.0.0',
      onnxruntimeVersion: '1.29.0',
      models: { det: 'det', cls: 'cls', rec: 'rec', dict: 'dict' },
      precision: 'fp32',
      providers: [],
    },
    providers: [{ name: 'cpu', available: true }],
  };
  sessionDocuments: DocumentState[] = [];
  failNext: Record<string, Error> = {};
  compareResult: CompareResult | null = null;
  handlers: Partial<ClientEvents>[] = [];

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failNext[method];
    if (err) {
      delete this.failNext[method];
      throw err;
    }
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async openFiles(paths?: string[]): Promise<OpenResult> {
    this.#record('openFiles', paths);
    return this.openResult;
  }
  async addFiles(files: UploadFile[]): Promise<OpenResult> {
    this.#record('addFiles', files);
    return this.openResult;
  }
  async listDocuments(): Promise<DocumentState[]> {
    this.#record('listDocuments');
    return this.sessionDocuments;
  }
  async removeDocument(documentId: string): Promise<void> {
    this.#record('removeDocument', documentId);
  }
  async startOcr(documentId: string, pages?: number[]): Promise<{ jobId: string }> {
    this.#record('startOcr', documentId, pages);
    return { jobId: `job-${this.nextJob++}` };
  }
  async cancelOcr(jobId: string): Promise<void> {
    this.#record('cancelOcr', jobId);
  }
  async comparePrecision(documentId: string, pageIndex: number): Promise<CompareResult> {
    this.#record('comparePrecision', documentId, pageIndex);
    if (!this.compareResult) throw new Error('no compare result set');
    return this.compareResult;
  }
  async exportDocuments(req: ExportRequest, edits: Record<string, Record<string, string>>): Promise<ExportOutcome> {
    this.#record('exportDocuments', req, edits);
    return { kind: 'downloaded', files: req.documentIds.map((id) => `${id}.${req.format}`) };
  }
  async engineInfo(): Promise<EngineState> {
    this.#record('engineInfo');
    return this.engine;
  }
  async rebuildEngine(): Promise<EngineState> {
    this.#record('rebuildEngine');
    return this.engine;
  }
  async cancelEngineBuild(): Promise<{ cancelled: boolean }> {
    this.#record('cancelEngineBuild');
    return { cancelled: true };
  }
  async getSettings(): Promise<Settings> {
    this.#record('getSettings');
    return this.settings;
  }
  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    this.#record('setSettings', patch);
    this.settings = { ...this.settings, ...patch };
    return this.settings;
  }
  async pageImage(documentId: string, pageIndex: number): Promise<{ url: string; width: number; height: number }> {
    this.#record('pageImage', documentId, pageIndex);
    return { url: `blob:${documentId}/${pageIndex}`, width: 100, height: 100 };
  }
  pathForFile(): string | undefined {
    return undefined;
  }
  subscribe(handlers: Partial<ClientEvents>): () => void {
    this.handlers.push(handlers);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handlers);
    };
  }
}

/** A DocumentSummary as main would send it. */
export function summary(id: string, pageCount = 1, name = `${id}.png`): DocumentSummary {
  return {
    id,
    name,
    pageCount,
    mimeType: name.endsWith('.pdf') ? 'application/pdf' : 'image/png',
    byteLength: 10,
    sha256: '0'.repeat(64),
    donePages: [],
    failedPages: [],
  };
}

// <cutout-remover>: a framework-free custom element (open shadow DOM) that removes a photo's
// background through a Cutout api, built on the SDK (src/sdk/). Drop, paste or choose a photo;
// it shows the upload, the place in line and the stages, then the cutout with a download link.
// Events (bubbling, composed): cutout-progress, cutout-done (the result Blob), cutout-error.
import { CutoutApiError, CutoutClient, CutoutNetworkError, SDK_OPTION_NAMES, type CutoutOptions, type JobEvent, type StatusView } from '../../sdk/index.js';
import { formatBytes } from '../../format.js';
import { resultName } from '../../vocabulary.js';
import { progressLine, queuedLine } from '../progress-words.js';
import { createView, IDLE, type View, type ViewState } from './view.js';

/** Where embed.js was loaded from ("https://cutout.example.com" for …/embed.js): the default endpoint. */
const script = document.currentScript as HTMLScriptElement | null;
export const SERVED_FROM = script?.src ? new URL('.', script.src).href.replace(/\/$/, '') : location.origin;

/** The api's per-job options as attributes: bg_color → bg-color (bg_image, a file, is not one). */
export const OPTION_ATTRIBUTES = SDK_OPTION_NAMES.filter((n) => n !== 'bg_image').map((name) => [name, name.replace(/_/g, '-')] as const);

export interface CutoutProgressDetail {
  jobId?: string;
  /** uploading, queued, processing. */
  status: 'uploading' | 'queued' | 'processing';
  stage?: string;
  /** 0..100 of the processing (the upload counts as 0). */
  percent: number;
  /** queued: place in line (1 = next). */
  position?: number;
}
export interface CutoutDoneDetail {
  blob: Blob;
  jobId: string;
  /** The job's final status view (GET /status/{id}). */
  status: StatusView;
  width: number;
  height: number;
  foreground: { left: number; top: number; width: number; height: number };
  confidence: number | undefined;
}
export interface CutoutErrorDetail {
  /** The api's code (unsupported_media_type, file_too_large, invalid_format, api_key_invalid, …), the job's error_code, network_error or canceled. */
  code: string;
  message: string;
  /** The HTTP status, when the api answered. */
  status?: number;
  jobId?: string;
  requestId?: string;
}

/** The job ended without a cutout (failed or canceled): its code and sentence. */
class JobEnded extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UNREACHABLE = 'Cannot reach the background-removal service. Please try again later.';

/** What went wrong, as the cutout-error detail. */
function errorDetail(err: unknown, jobId: string | undefined): CutoutErrorDetail {
  if (err instanceof JobEnded) return { code: err.code, message: err.message, jobId };
  if (err instanceof CutoutApiError) return { code: err.code, message: err.message, status: err.status, jobId, requestId: err.requestId };
  if (err instanceof CutoutNetworkError) {
    const message = `Cannot reach the Cutout service at ${err.baseUrl} (${err.reason}). It may be down, or it does not allow requests from ${location.origin}: add that origin to its CORS_ORIGINS.`;
    return { code: 'network_error', message, jobId };
  }
  return { code: 'client_error', message: err instanceof Error ? err.message : String(err), jobId };
}

/** The first image of a paste or a drop. */
function imageIn(data: DataTransfer | null): File | undefined {
  const files = Array.from(data?.files ?? []);
  return files.find((f) => f.type.startsWith('image/')) ?? files[0];
}

export class CutoutRemover extends HTMLElement {
  private readonly view: View;
  private state: ViewState = IDLE;
  private abort: AbortController | undefined;
  private currentJob: string | undefined;
  private resultBlob: Blob | null = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    this.view = createView(root, {
      choose: () => this.view.input.click(),
      cancel: () => this.cancel(),
      reset: () => this.reset(),
    });
    this.view.input.addEventListener('change', () => {
      const file = this.view.input.files?.[0];
      this.view.input.value = '';
      if (file) void this.process(file);
    });
    const { box } = this.view;
    box.addEventListener('dragover', (e) => {
      e.preventDefault();
      box.classList.add('over');
    });
    box.addEventListener('dragleave', () => box.classList.remove('over'));
    box.addEventListener('drop', (e) => {
      e.preventDefault();
      box.classList.remove('over');
      const file = imageIn(e.dataTransfer);
      if (file) void this.process(file);
    });
    box.addEventListener('keydown', (e) => {
      if (e.target === box && (e.key === 'Enter' || e.key === ' ') && this.state.phase !== 'working') {
        e.preventDefault();
        this.view.input.click();
      }
    });
    // A paste while focus is inside the component (click it, then Ctrl+V).
    this.addEventListener('paste', (e) => {
      const file = imageIn(e.clipboardData);
      if (!file) return;
      e.preventDefault();
      void this.process(file);
    });
    this.view.render(IDLE);
  }

  connectedCallback(): void {
    this.setAttribute('state', this.state.phase);
  }

  /** Taken out of the page (not just moved): the job is no longer followed. */
  disconnectedCallback(): void {
    queueMicrotask(() => {
      if (this.isConnected || this.state.phase !== 'working') return;
      this.abort?.abort();
      this.set(IDLE);
    });
  }

  /** The last cutout, once done. */
  get result(): Blob | null {
    return this.resultBlob;
  }

  /** The current (or last) job's id. */
  get jobId(): string | undefined {
    return this.currentJob;
  }

  /** The api: the endpoint attribute, else where embed.js came from. */
  get endpoint(): string {
    return this.getAttribute('endpoint') || SERVED_FROM;
  }

  /** The options given as attributes (the api checks them: a bad value is a cutout-error). */
  options(): CutoutOptions {
    const out: Record<string, string> = {};
    for (const [name, attribute] of OPTION_ATTRIBUTES) {
      const value = this.getAttribute(attribute);
      if (value !== null && value !== '') out[name] = value;
    }
    return out as CutoutOptions;
  }

  /** Removes the background of a photo (what a drop, a paste or the file chooser does). */
  async process(file: Blob): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const { signal } = abort;
    const name = (file as File).name || 'pasted.png';
    this.currentJob = undefined;
    this.resultBlob = null;
    this.set({ ...IDLE, phase: 'working', line: 'Uploading…', previewUrl: file.type.startsWith('image/') ? URL.createObjectURL(file) : '' });
    this.progress({ status: 'uploading', percent: 0 });
    const client = new CutoutClient({ baseUrl: this.endpoint, apiKey: this.getAttribute('api-key') || undefined });
    try {
      const job = await client.removeBackground(file, { ...this.options(), filename: name, signal });
      this.currentJob = job.job_id;
      this.set({ canCancel: true, line: queuedLine(undefined, undefined) });
      const end = await client.follow(job.job_id, { signal, onEvent: (e) => this.onJobEvent(e) });
      if (end.status !== 'done') {
        if (end.status === 'canceled') throw new JobEnded('canceled', 'The job was canceled.');
        throw new JobEnded(end.error_code ?? 'processing_error', end.error ?? 'Processing failed.');
      }
      this.set({ line: 'Downloading the cutout…', canCancel: false });
      const r = await client.result(job.job_id, signal);
      const format = end.result?.format ?? 'png';
      this.resultBlob = r.blob;
      const line = `Done · ${r.width}×${r.height} · ${formatBytes(r.blob.size)}`;
      this.set({ phase: 'done', percent: 100, line, resultUrl: URL.createObjectURL(r.blob), downloadName: resultName(name, format), downloadLabel: `Download ${format.toUpperCase()}` });
      const { blob, width, height, foreground, confidence } = r;
      this.emit<CutoutDoneDetail>('cutout-done', { blob, jobId: job.job_id, status: end, width, height, foreground, confidence });
    } catch (err) {
      if (signal.aborted) return;
      const detail = errorDetail(err, this.currentJob);
      if (detail.code === 'network_error') console.warn(`<cutout-remover>: ${detail.message}`);
      this.set({ phase: 'error', line: '', canCancel: false, error: detail.code === 'network_error' ? UNREACHABLE : detail.message });
      this.emit<CutoutErrorDetail>('cutout-error', detail);
    }
  }

  /** Back to the drop zone (a job still running is left to finish on the server). */
  reset(): void {
    this.abort?.abort();
    this.set(IDLE);
    this.view.box.focus();
  }

  /** Cancels the running job (DELETE /jobs/{id}) and goes back to the drop zone. */
  cancel(): void {
    const jobId = this.currentJob;
    if (jobId) void new CutoutClient({ baseUrl: this.endpoint, apiKey: this.getAttribute('api-key') || undefined }).cancel(jobId).catch(() => undefined);
    this.reset();
  }

  private onJobEvent(e: JobEvent): void {
    if (e.type === 'queued') {
      this.set({ line: queuedLine(e.position, e.eta_seconds) });
      this.progress({ status: 'queued', percent: 0, position: e.position });
    } else if (e.type === 'progress') {
      const percent = Math.max(this.state.percent, e.percent ?? 0);
      this.set({ percent, line: progressLine(e.stage, percent, 'image') });
      this.progress({ status: 'processing', stage: e.stage, percent });
    }
  }

  private progress(d: Omit<CutoutProgressDetail, 'jobId'>): void {
    this.emit<CutoutProgressDetail>('cutout-progress', { jobId: this.currentJob, ...d });
  }

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  /** A new state: object URLs no longer shown are released; the host's `state` attribute follows. */
  private set(patch: Partial<ViewState>): void {
    const next = { ...this.state, ...patch };
    for (const key of ['previewUrl', 'resultUrl'] as const) {
      if (this.state[key] && this.state[key] !== next[key]) URL.revokeObjectURL(this.state[key]);
    }
    this.state = next;
    this.view.render(next);
    if (this.isConnected && this.getAttribute('state') !== next.phase) this.setAttribute('state', next.phase);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cutout-remover': CutoutRemover;
  }
  interface HTMLElementEventMap {
    'cutout-progress': CustomEvent<CutoutProgressDetail>;
    'cutout-done': CustomEvent<CutoutDoneDetail>;
    'cutout-error': CustomEvent<CutoutErrorDetail>;
  }
}

if (!customElements.get('cutout-remover')) customElements.define('cutout-remover', CutoutRemover);

// One uploaded image: uploads it with its options, follows its job (follow.ts) and keeps one state
// that render.ts draws. "Apply options" sends the same file again with the panel's options: a
// second job, quick because the api reuses the photo's mask.
import { resultName, type Stage } from '../vocabulary.js';
import { formatBytes } from '../format.js';
import { follow, withKey, type JobEvent } from './follow.js';
import { describe, formatWords, mayBeTransparent, reframes, type JobRequest, type PanelResult } from './options-request.js';
import { isWorking, render, type CardState } from './render.js';

export interface Session {
  apiKey: string;
  limits: { max_upload_bytes: number; max_image_pixels: number };
}
/** Where a card reads the panel's current options, and hears of their changes. */
export interface OptionsSource {
  current(): PanelResult;
  onChange(fn: () => void): () => void;
}
interface ApiError {
  error?: { code?: string; message?: string };
}
interface Accepted {
  job_id: string;
  events_url: string;
}

/** Every stage has its words (the compiler says so when a stage is added). */
const STAGE_TEXT: Record<Stage, (format: string) => string> = {
  decoding: () => 'Reading the image',
  inference: () => 'Finding the subject',
  compositing: () => 'Cutting it out',
  encoding: (format) => `Saving the ${formatWords(format)}`,
};
/** Failures that would fail again with the same file and options: no Retry (other options may help). */
const FINAL_FAILURES = ['invalid_image', 'no_face_found', 'no_subject_found', 'unknown_foreground'];
export const UNREACHABLE = 'Cannot reach the Cutout server. Check your connection (or that the service is running) and retry.';

function formatEta(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 60) return ` · about ${Math.max(1, Math.round(s))} s`;
  return ` · about ${Math.round(s / 60)} min`;
}

/** A card's state while its upload starts (new, retried or re-applied). */
const UPLOADING = {
  phase: 'uploading',
  percent: 0,
  line: 'Uploading…',
  error: '',
  canRetry: false,
  canCancel: false,
  resultUrl: '',
  meta: '',
} as const satisfies Partial<CardState>;

export class Card {
  readonly el: HTMLLIElement;
  private state: CardState;
  private jobId = '';
  private stopFollowing = (): void => {};
  private readonly stopListening: () => void;

  constructor(
    private readonly file: File,
    private readonly session: Session,
    private readonly panel: OptionsSource,
    private request: JobRequest,
  ) {
    const tpl = document.getElementById('card-template') as HTMLTemplateElement;
    this.el = tpl.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
    this.state = {
      name: file.name,
      ...UPLOADING,
      downloadName: resultName(file.name || 'image'),
      downloadLabel: 'Download',
      optionsLine: '',
      canApply: false,
      transparent: true,
      previewUrl: URL.createObjectURL(file),
      previewBroken: false,
      // A crop or canvas moves the subject: the cutout no longer lies on the original, so side by side.
      view: reframes(request.options) ? 'side' : 'compare',
      bg: 'checker',
      pos: 50,
    };
    this.wire();
    this.stopListening = panel.onChange(() => this.set({}));
    render(this.el, this.state);
  }

  private set(patch: Partial<CardState>): void {
    this.state = { ...this.state, ...patch };
    // Apply options: when the job is over and the panel asks for something else.
    const now = this.panel.current();
    this.state.canApply = !isWorking(this.state.phase) && now.ok && now.request.key !== this.request.key;
    render(this.el, this.state);
  }

  /** Sends the same file again with the panel's options; the card follows the new job. */
  applyOptions(): void {
    const now = this.panel.current();
    if (!now.ok) return;
    this.request = now.request;
    this.set({ view: reframes(this.request.options) ? 'side' : 'compare' });
    void this.start();
  }

  private wire(): void {
    const on = (sel: string, type: string, fn: (el: HTMLElement) => void) => {
      for (const el of Array.from(this.el.querySelectorAll<HTMLElement>(sel))) el.addEventListener(type, () => fn(el));
    };
    on('img.original', 'error', () => this.set({ previewBroken: true }));
    on('.slider', 'input', (s) => this.set({ pos: Number((s as HTMLInputElement).value) }));
    on('button.mode', 'click', (b) => this.set({ view: b.dataset.mode === 'side' ? 'side' : 'compare' }));
    on('button.bg', 'click', (b) => this.set({ bg: b.dataset.bg! }));
    on('input[type=color]', 'input', (c) => this.set({ bg: (c as HTMLInputElement).value }));
    on('.retry', 'click', () => void this.start());
    on('.cancel', 'click', () => void this.cancel());
    on('.remove', 'click', () => this.dispose());
    on('.apply', 'click', () => this.applyOptions());
  }

  private fail(error: string, canRetry: boolean): void {
    this.stopFollowing();
    this.set({ phase: 'failed', error, canRetry, canCancel: false });
  }

  async start(): Promise<void> {
    this.stopFollowing();
    this.set({
      ...UPLOADING,
      optionsLine: describe(this.request) || 'Default options',
    });
    const max = this.session.limits.max_upload_bytes;
    if (this.file.size === 0) return this.fail('This file is empty. Choose another image.', false);
    if (this.file.size > max) {
      return this.fail(`This file is ${formatBytes(this.file.size)}; the limit is ${formatBytes(max)}. Please use a smaller image.`, false);
    }
    let accepted: Accepted;
    try {
      accepted = await this.upload();
    } catch (err) {
      const e = err as Error & { retry?: boolean };
      return this.fail(e.message, e.retry ?? true);
    }
    this.jobId = accepted.job_id;
    this.set({ phase: 'queued', percent: 0, line: 'Waiting in line…', canCancel: true });
    this.stopFollowing = follow({
      jobId: accepted.job_id,
      eventsUrl: accepted.events_url,
      apiKey: this.session.apiKey,
      onEvent: (e) => this.apply(e),
      onTrouble: (line) => this.set({ line }),
    });
  }

  private upload(): Promise<Accepted> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/remove-bg');
      if (this.session.apiKey) xhr.setRequestHeader('x-api-key', this.session.apiKey);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) this.set({ percent: null, line: `Uploading… ${Math.round((e.loaded / e.total) * 100)}%` });
      };
      xhr.onerror = () => reject(Object.assign(new Error(UNREACHABLE), { retry: true }));
      xhr.onload = () => {
        let body: ApiError & { job_id?: string; events_url?: string } = {};
        try {
          body = JSON.parse(xhr.responseText) as typeof body;
        } catch {
          /* not JSON: handled below */
        }
        // 202: queued; 200: the same photo with the same options was done before (its done event follows).
        if ((xhr.status === 202 || xhr.status === 200) && body.job_id && body.events_url) return resolve({ job_id: body.job_id, events_url: body.events_url });
        const message = body.error?.message ?? `The server answered ${xhr.status}. Please retry.`;
        // A 4xx about the file will fail again; a 429/5xx may not.
        reject(Object.assign(new Error(message), { retry: xhr.status === 429 || xhr.status >= 500 }));
      };
      const form = new FormData();
      for (const [name, text] of Object.entries(this.request.fields)) form.append(name, text);
      if (this.request.background) form.append('bg_image', this.request.background, this.request.background.name || 'background.png');
      form.append('file', this.file, this.file.name || 'pasted.png');
      xhr.send(form);
    });
  }

  /** An event of the job, as the state it leads to. */
  private apply(d: JobEvent): void {
    if (!isWorking(this.state.phase)) return;
    switch (d.type) {
      case 'queued':
        return this.set({ phase: 'queued', percent: 0, line: d.position ? `Waiting in line: position ${d.position}${formatEta(d.eta_seconds)}` : 'Waiting in line…' });
      case 'progress': {
        const percent = Math.max(this.state.percent ?? 0, d.percent ?? 0);
        const words = STAGE_TEXT[d.stage as Stage]?.(String(this.request.options.format)) ?? 'Processing';
        return this.set({ phase: 'processing', percent, line: `${words}… ${Math.round(percent)}%` });
      }
      case 'done':
        this.stopFollowing();
        return this.done(d);
      case 'failed':
        return this.fail(d.error ?? 'Processing failed.', !FINAL_FAILURES.includes(d.error_code ?? ''));
      case 'canceled':
        this.stopFollowing();
        return this.set({ phase: 'canceled', error: 'Canceled.', canRetry: true, canCancel: false });
      case 'expired':
        this.stopFollowing();
        return this.set({ phase: 'expired', error: d.error ?? 'This job expired. Please upload the image again.', canRetry: true, canCancel: false });
    }
  }

  private done(d: JobEvent): void {
    const r = d.result;
    const format = r?.format ?? 'png';
    const meta = r ? [formatWords(format), `${r.width}×${r.height}`, formatBytes(r.bytes)] : [];
    if (d.cached) meta.push('from cache');
    this.set({
      phase: 'done',
      percent: 100,
      line: 'Done',
      canCancel: false,
      resultUrl: withKey(d.result_url ?? `/result/${this.jobId}`, this.session.apiKey),
      downloadName: resultName(this.file.name || 'image', format),
      downloadLabel: `Download ${formatWords(format)}`,
      meta: meta.join(' · '),
      transparent: mayBeTransparent(this.request.options, format),
    });
  }

  private async cancel(): Promise<void> {
    if (!this.jobId) return;
    this.set({ canCancel: false, line: 'Canceling…' });
    try {
      const headers: Record<string, string> = this.session.apiKey ? { 'x-api-key': this.session.apiKey } : {};
      const res = await fetch(`/jobs/${this.jobId}`, { method: 'DELETE', headers });
      if (res.status === 200) this.apply({ type: 'canceled' });
    } catch {
      this.set({ canCancel: true, line: UNREACHABLE });
    }
  }

  dispose(): void {
    this.stopFollowing();
    this.stopListening();
    URL.revokeObjectURL(this.state.previewUrl);
    this.el.remove();
  }
}

// One uploaded image: uploads it, follows its job (follow.ts) and keeps one state that render.ts draws.
import { resultName, type Stage } from '../vocabulary.js';
import { formatBytes } from '../format.js';
import { follow, withKey, type JobEvent } from './follow.js';
import { isWorking, render, type CardState } from './render.js';

export interface Session {
  apiKey: string;
  limits: { max_upload_bytes: number; max_image_pixels: number };
}
interface ApiError {
  error?: { code?: string; message?: string };
}

/** Every stage has its words (the compiler says so when a stage is added). */
const STAGE_TEXT: Record<Stage, string> = {
  decoding: 'Reading the image',
  inference: 'Finding the subject',
  compositing: 'Cutting it out',
  encoding: 'Saving the PNG',
};
export const UNREACHABLE = 'Cannot reach the Cutout server. Check your connection (or that the service is running) and retry.';

function formatEta(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 60) return ` · about ${Math.max(1, Math.round(s))} s`;
  return ` · about ${Math.round(s / 60)} min`;
}

export class Card {
  readonly el: HTMLLIElement;
  private state: CardState;
  private jobId = '';
  private stopFollowing = (): void => {};

  constructor(
    private readonly file: File,
    private readonly session: Session,
  ) {
    const tpl = document.getElementById('card-template') as HTMLTemplateElement;
    this.el = tpl.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
    this.state = {
      name: file.name,
      phase: 'uploading',
      percent: 0,
      line: 'Uploading…',
      error: '',
      canRetry: false,
      canCancel: false,
      resultUrl: '',
      downloadName: resultName(file.name || 'image'),
      previewUrl: URL.createObjectURL(file),
      previewBroken: false,
      view: 'compare',
      bg: 'checker',
      pos: 50,
    };
    this.wire();
    render(this.el, this.state);
  }

  private set(patch: Partial<CardState>): void {
    this.state = { ...this.state, ...patch };
    render(this.el, this.state);
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
  }

  private fail(error: string, canRetry: boolean): void {
    this.stopFollowing();
    this.set({ phase: 'failed', error, canRetry, canCancel: false });
  }

  async start(): Promise<void> {
    this.stopFollowing();
    this.set({ phase: 'uploading', percent: 0, line: 'Uploading…', error: '', canRetry: false, canCancel: false, resultUrl: '' });
    const max = this.session.limits.max_upload_bytes;
    if (this.file.size === 0) return this.fail('This file is empty. Choose another image.', false);
    if (this.file.size > max) {
      return this.fail(`This file is ${formatBytes(this.file.size)}; the limit is ${formatBytes(max)}. Please use a smaller image.`, false);
    }
    let accepted: { job_id: string; events_url: string };
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

  private upload(): Promise<{ job_id: string; events_url: string }> {
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
        if (xhr.status === 202 && body.job_id && body.events_url) return resolve({ job_id: body.job_id, events_url: body.events_url });
        const message = body.error?.message ?? `The server answered ${xhr.status}. Please retry.`;
        // A 4xx about the file will fail again; a 429/5xx may not.
        reject(Object.assign(new Error(message), { retry: xhr.status === 429 || xhr.status >= 500 }));
      };
      const form = new FormData();
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
        return this.set({ phase: 'processing', percent, line: `${STAGE_TEXT[d.stage as Stage] ?? 'Processing'}… ${Math.round(percent)}%` });
      }
      case 'done':
        this.stopFollowing();
        return this.set({ phase: 'done', percent: 100, line: 'Done', canCancel: false, resultUrl: withKey(d.result_url ?? `/result/${this.jobId}`, this.session.apiKey) });
      case 'failed':
        return this.fail(d.error ?? 'Processing failed.', true);
      case 'canceled':
        this.stopFollowing();
        return this.set({ phase: 'canceled', error: 'Canceled.', canRetry: true, canCancel: false });
      case 'expired':
        this.stopFollowing();
        return this.set({ phase: 'expired', error: d.error ?? 'This job expired. Please upload the image again.', canRetry: true, canCancel: false });
    }
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
    URL.revokeObjectURL(this.state.previewUrl);
    this.el.remove();
  }
}

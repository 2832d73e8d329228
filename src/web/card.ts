// One image: sends it (a file, or an image URL) with its options, follows its job (follow.ts) and
// keeps one state that render.ts draws. "Apply options" sends the same image again with the
// panel's options: a second job, quick because the api reuses the photo's mask; until then, a
// background colour, shadow or crop is previewed over the last plain result (preview.ts). A ZIP archive is
// a card too until the api has expanded it (POST /batches); its images are then cards of kind
// `item`, already queued, whose events the host delivers (the batch's one stream), or `rejected`.
import { resultName } from '../vocabulary.js';
import { formatBytes } from '../format.js';
import { ApiFailure, UNREACHABLE, nameFromUrl, send, type Accepted, type BatchAccepted, type Upload } from './api-client.js';
import { follow, withKey, type JobEvent } from './follow.js';
import { CutoutApiError } from '../sdk/errors.js';
import type { Connection } from '../sdk/connection.js';
import { cancel } from '../sdk/requests.js';
import { describe, formatWords, mayBeTransparent, reframes, type JobRequest, type PanelResult } from './options-request.js';
import { progressLine, queuedLine } from './progress-words.js';
import { isWorking, render, type CardState } from './render.js';
import { Editor } from './editor.js';
import { baseOf, previewOf, type Base } from './preview.js';

export interface Session {
  apiKey: string;
  /** The page's one connection to the api (its origin, its key), for the SDK's requests. */
  client: Connection;
  limits: { max_upload_bytes: number; max_image_pixels: number };
}
/** Where a card reads the panel's current options, and hears of their changes. */
export interface OptionsSource {
  current(): PanelResult;
  onChange(fn: () => void): () => void;
}
/**
 * What a card shows: something it sends itself, an item of a batch the api has accepted, or a job
 * of an earlier visit (`job`: followed by itself; dropped quietly once expired or unknown).
 */
type Known = { name: string; jobId: string };
export type CardSource = Upload | ({ kind: 'item' } & Known) | ({ kind: 'job' } & Known) | { kind: 'rejected'; name: string; error: string };
/** Where a card tells of its changes; the list it is in. */
export interface CardHost {
  changed(card: Card): void;
  /** A ZIP card's archive was accepted as a batch: its items become cards. */
  expanded(card: Card, batch: BatchAccepted, request: JobRequest): void;
  removed(card: Card): void;
}

/** Failures that would fail again with the same file and options: no Retry (other options may help). */
const FINAL_FAILURES = ['invalid_image', 'no_face_found', 'no_subject_found', 'unknown_foreground'];

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
  jobId = '';
  private editor: Editor | null = null;
  /** The last plain transparent PNG result, which previews are drawn from (preview.ts). */
  private base: Base | null = null;
  private stopFollowing = (): void => {};
  private readonly stopListening: () => void;

  constructor(
    private readonly source: CardSource,
    private readonly session: Session,
    private readonly panel: OptionsSource,
    public request: JobRequest,
    private readonly host: CardHost,
  ) {
    const tpl = document.getElementById('card-template') as HTMLTemplateElement;
    this.el = tpl.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
    const name = this.name();
    this.state = {
      name,
      ...UPLOADING,
      downloadName: resultName(name || 'image'),
      downloadLabel: 'Download',
      optionsLine: '',
      canApply: false,
      transparent: true,
      // Only a local file has an original to show: the page may not load other sites' images (CSP).
      previewUrl: source.kind === 'file' ? URL.createObjectURL(source.file) : '',
      previewBroken: false,
      // A crop or canvas moves the subject: the cutout no longer lies on the original, so side by side.
      view: reframes(request.options) ? 'side' : 'compare',
      bg: 'checker',
      pos: 50,
      editing: false,
      preview: null,
    };
    this.wire();
    this.stopListening = panel.onChange(() => this.set({}));
    render(this.el, this.state);
  }

  name(): string {
    const s = this.source;
    if (s.kind === 'url') return nameFromUrl(s.url);
    return s.kind === 'file' || s.kind === 'zip' ? s.file.name : s.name;
  }

  get phase(): CardState['phase'] {
    return this.state.phase;
  }
  get canRetry(): boolean {
    return this.state.canRetry;
  }
  /** The result's address and download name, once done. */
  get result(): { url: string; name: string } | null {
    return this.state.phase === 'done' ? { url: this.state.resultUrl, name: this.state.downloadName } : null;
  }
  /** Whether the card can send its image again (an item of a batch has no bytes on the page). */
  private get resendable(): boolean {
    return this.source.kind === 'file' || this.source.kind === 'url';
  }

  private set(patch: Partial<CardState>): void {
    this.state = { ...this.state, ...patch };
    // Apply options: when the job is over and the panel asks for something else.
    const now = this.panel.current();
    this.state.canApply = this.resendable && !isWorking(this.state.phase) && now.ok && now.request.key !== this.request.key;
    this.state.preview = this.state.phase === 'done' ? previewOf(this.base, this.request, now) : null;
    render(this.el, this.state);
    this.host.changed(this);
  }

  /** Sends the same image again with the panel's options; the card follows the new job. */
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
    on('.edit', 'click', () => this.edit());
  }

  /** Opens the mask editor in the card; a saved edit makes the card show the new result. */
  private edit(): void {
    const editor = Editor.open(this.jobId, this.session.client, (view) => this.done({ ...view, type: 'done' }), () => {
      this.editor = null;
      this.set({ editing: false });
      this.el.querySelector<HTMLElement>('.edit')?.focus();
    });
    if (!editor) return;
    this.editor = editor;
    this.el.querySelector('.card-head')!.after(editor.el);
    this.set({ editing: true });
    editor.el.querySelector('button')!.focus();
  }

  private fail(error: string, canRetry: boolean): void {
    this.stopFollowing();
    this.set({ phase: 'failed', error, canRetry, canCancel: false });
  }

  /** Sends the image (or the archive), or, for an item of a batch, waits for its events. */
  async start(): Promise<void> {
    this.stopFollowing();
    const s = this.source;
    const optionsLine = describe(this.request) || 'Default options';
    if (s.kind === 'rejected') return this.set({ phase: 'failed', error: s.error, optionsLine });
    if (s.kind === 'item') {
      this.jobId = s.jobId;
      return this.set({ phase: 'queued', percent: 0, line: 'Waiting in line…', canCancel: true, optionsLine });
    }
    if (s.kind === 'job') return this.follow(s.jobId, optionsLine);
    this.set({ ...UPLOADING, line: s.kind === 'url' ? 'Fetching the image…' : UPLOADING.line, optionsLine });
    if (s.kind === 'file') {
      const max = this.session.limits.max_upload_bytes;
      if (s.file.size === 0) return this.fail('This file is empty. Choose another image.', false);
      if (s.file.size > max) {
        return this.fail(`This file is ${formatBytes(s.file.size)}; the limit is ${formatBytes(max)}. Please use a smaller image.`, false);
      }
    }
    const progress = (percent: number) => this.set({ percent: null, line: `Uploading… ${percent}%` });
    try {
      if (s.kind === 'zip') {
        const batch = await send<BatchAccepted>(this.session.client, s, this.request, progress);
        return this.host.expanded(this, batch, this.request);
      }
      const accepted = await send<Accepted>(this.session.client, s, this.request, progress);
      this.follow(accepted.job_id);
    } catch (err) {
      if (err instanceof ApiFailure) return this.fail(err.message, err.retry);
      throw err;
    }
  }

  private follow(jobId: string, optionsLine = this.state.optionsLine): void {
    this.jobId = jobId;
    this.set({ phase: 'queued', percent: 0, line: 'Waiting in line…', canCancel: true, optionsLine });
    this.stopFollowing = follow({ client: this.session.client, onEvent: (e) => this.receive(e), onTrouble: (line) => this.trouble(line) }, jobId);
  }

  /** The connection is in trouble: said on the card while it works. */
  trouble(line: string): void {
    if (isWorking(this.state.phase)) this.set({ line });
  }

  /** An event of the job, as the state it leads to. */
  receive(d: JobEvent): void {
    if (!isWorking(this.state.phase)) return;
    // A job of an earlier visit that expired, or that the api no longer knows (no job_id: its answer ended following).
    if (this.source.kind === 'job' && (d.type === 'expired' || (d.type === 'failed' && !d.job_id))) return this.dispose();
    switch (d.type) {
      case 'queued':
        return this.set({ phase: 'queued', percent: 0, line: queuedLine(d.position, d.eta_seconds) });
      case 'progress': {
        const percent = Math.max(this.state.percent ?? 0, d.percent ?? 0);
        return this.set({ phase: 'processing', percent, line: progressLine(d.stage, percent, formatWords(String(this.request.options.format))) });
      }
      case 'done':
        this.stopFollowing();
        return this.done(d);
      case 'failed':
        return this.fail(d.error ?? 'Processing failed.', this.resendable && !FINAL_FAILURES.includes(d.error_code ?? ''));
      case 'canceled':
        this.stopFollowing();
        return this.set({ phase: 'canceled', error: 'Canceled.', canRetry: this.resendable, canCancel: false });
      case 'expired':
        this.stopFollowing();
        return this.set({ phase: 'expired', error: d.error ?? 'This job expired. Please upload the image again.', canRetry: this.resendable, canCancel: false });
    }
  }

  private done(d: JobEvent): void {
    const r = d.result;
    const format = r?.format ?? 'png';
    const meta = r ? [formatWords(format), `${r.width}×${r.height}`, formatBytes(r.bytes)] : [];
    if (d.cached) meta.push('from cache');
    const version = (d as { result_version?: number }).result_version ?? 1;
    if (version > 1) meta.push('edited');
    const resultUrl = withKey(`${d.result_url ?? `/result/${this.jobId}`}${version > 1 ? `?v=${version}` : ''}`, this.session.apiKey);
    // Another plain result is the new base; an edit of another one leaves the base's mask behind.
    const base = baseOf(this.request, format, resultUrl, r);
    if (base || version > 1) this.base = base;
    this.set({
      phase: 'done',
      percent: 100,
      line: 'Done',
      canCancel: false,
      // An edited result has a version: a new address, so the browser does not show the old one.
      resultUrl,
      downloadName: resultName(this.state.name || 'image', format),
      downloadLabel: `Download ${formatWords(format)}`,
      meta: meta.join(' · '),
      transparent: mayBeTransparent(this.request.options, format),
    });
  }

  private async cancel(): Promise<void> {
    if (!this.jobId) return;
    this.set({ canCancel: false, line: 'Canceling…' });
    try {
      await cancel(this.session.client, this.jobId);
      this.receive({ type: 'canceled' });
    } catch (err) {
      // Refused (the job is over, or unknown): its events say what became of it.
      if (!(err instanceof CutoutApiError)) this.set({ canCancel: true, line: UNREACHABLE });
    }
  }

  dispose(): void {
    // An open editor closes first (its person may keep unsaved edits, and the card).
    if (this.editor && !this.editor.close()) return;
    this.stopFollowing();
    this.stopListening();
    if (this.state.previewUrl) URL.revokeObjectURL(this.state.previewUrl);
    this.el.remove();
    this.host.removed(this);
  }
}

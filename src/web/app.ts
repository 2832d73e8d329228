// The demo page: upload (choose, drop, paste), live progress over SSE (polling as a fallback),
// compare with a slider or side by side, change the background, download. No framework.
import type { JobEventData } from '../jobs/events.js';
import { DEFAULT_LIMITS, EVENT_TYPES, INPUT_FORMATS_TEXT, resultName } from '../vocabulary.js';
import { formatBytes } from '../format.js';

interface Limits {
  max_upload_bytes: number;
  max_image_pixels: number;
}
interface ApiError {
  error?: { code?: string; message?: string };
}
type EventData = Partial<JobEventData> & { status: string };

const STAGE_TEXT: Record<string, string> = {
  decoding: 'Reading the image',
  inference: 'Finding the subject',
  compositing: 'Cutting it out',
  encoding: 'Saving the PNG',
};

const $ = <T extends Element>(root: ParentNode, sel: string) => root.querySelector(sel) as T;
const $$ = <T extends Element>(root: ParentNode, sel: string) => Array.from(root.querySelectorAll(sel)) as T[];

// An API key, when the service requires one, comes from ?key= once and is remembered.
const params = new URLSearchParams(location.search);
if (params.get('key')) {
  localStorage.setItem('cutout-api-key', params.get('key')!);
  history.replaceState(null, '', location.pathname);
}
const apiKey = localStorage.getItem('cutout-api-key') ?? '';
const withKey = (url: string) => (apiKey ? `${url}${url.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(apiKey)}` : url);
const authHeaders = (): Record<string, string> => (apiKey ? { 'x-api-key': apiKey } : {});

let limits: Limits = { max_upload_bytes: DEFAULT_LIMITS.maxUploadBytes, max_image_pixels: DEFAULT_LIMITS.maxImagePixels };

function formatEta(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 60) return ` · about ${Math.max(1, Math.round(s))} s`;
  return ` · about ${Math.round(s / 60)} min`;
}

const UNREACHABLE = 'Cannot reach the Cutout server. Check your connection (or that the service is running) and retry.';

class Card {
  readonly el: HTMLLIElement;
  private jobId: string | undefined;
  private source: EventSource | undefined;
  private pollTimer: number | undefined;
  private percent = 0;
  private finished = false;
  private readonly preview: string;

  constructor(private readonly file: File) {
    const tpl = document.getElementById('card-template') as HTMLTemplateElement;
    this.el = tpl.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
    this.preview = URL.createObjectURL(file);
    $(this.el, '.name').textContent = file.name || 'pasted image';
    $(this.el, '.name').setAttribute('title', file.name);
    for (const img of $$<HTMLImageElement>(this.el, 'img.original')) {
      img.src = this.preview;
      img.alt = `Original: ${file.name || 'pasted image'}`;
      // The browser cannot show it (not an image, or a format it lacks): no broken picture.
      img.addEventListener('error', () => ($<HTMLElement>(this.el, '.stage').hidden = true), { once: true });
    }
    this.wire();
  }

  private wire(): void {
    const slider = $<HTMLInputElement>(this.el, '.slider');
    const compare = $<HTMLElement>(this.el, '.compare');
    slider.addEventListener('input', () => compare.style.setProperty('--pos', `${slider.value}%`));
    for (const b of $$<HTMLButtonElement>(this.el, 'button.mode')) {
      b.addEventListener('click', () => {
        for (const o of $$<HTMLButtonElement>(this.el, 'button.mode')) o.setAttribute('aria-pressed', String(o === b));
        $<HTMLElement>(this.el, '.view.compare').hidden = b.dataset.mode !== 'compare';
        $<HTMLElement>(this.el, '.view.side').hidden = b.dataset.mode !== 'side';
      });
    }
    const setBg = (value: string, pressed: Element | null) => {
      for (const o of $$<HTMLButtonElement>(this.el, 'button.bg')) o.setAttribute('aria-pressed', String(o === pressed));
      if (value === 'checker') delete this.el.dataset.bg;
      else {
        this.el.dataset.bg = 'solid';
        this.el.style.setProperty('--solid', value);
      }
    };
    for (const b of $$<HTMLButtonElement>(this.el, 'button.bg')) b.addEventListener('click', () => setBg(b.dataset.bg!, b));
    const colour = $<HTMLInputElement>(this.el, 'input[type=color]');
    colour.addEventListener('input', () => setBg(colour.value, null));
    $(this.el, '.retry').addEventListener('click', () => void this.start());
    $(this.el, '.cancel').addEventListener('click', () => void this.cancel());
    $(this.el, '.remove').addEventListener('click', () => this.dispose());
  }

  private setBadge(state: string, text: string): void {
    const badge = $<HTMLElement>(this.el, '.badge');
    badge.dataset.state = state;
    badge.textContent = text;
  }

  private setProgress(percent: number | null, line: string): void {
    const wrap = $<HTMLElement>(this.el, '.progress');
    wrap.hidden = false;
    wrap.classList.toggle('indeterminate', percent === null);
    if (percent !== null) {
      this.percent = Math.max(this.percent, percent);
      $<HTMLElement>(this.el, '.bar span').style.width = `${this.percent}%`;
      $(this.el, '.bar').setAttribute('aria-valuenow', String(Math.round(this.percent)));
    }
    $(this.el, '.status-line').textContent = line;
  }

  private showError(message: string, canRetry: boolean): void {
    this.finished = true;
    this.stopListening();
    this.el.classList.remove('done');
    this.setBadge('failed', 'Failed');
    $<HTMLElement>(this.el, '.progress').hidden = true;
    $(this.el, '.progress').classList.remove('working');
    const err = $<HTMLElement>(this.el, '.error');
    err.hidden = false;
    err.textContent = message;
    $<HTMLElement>(this.el, '.retry').hidden = !canRetry;
    $<HTMLElement>(this.el, '.cancel').hidden = true;
    $<HTMLElement>(this.el, '.remove').hidden = false;
  }

  async start(): Promise<void> {
    this.finished = false;
    this.percent = 0;
    this.el.classList.remove('done');
    $<HTMLElement>(this.el, '.error').hidden = true;
    $<HTMLElement>(this.el, '.retry').hidden = true;
    $<HTMLElement>(this.el, '.remove').hidden = true;
    $<HTMLElement>(this.el, '.tools').hidden = true;
    $<HTMLElement>(this.el, '.download').hidden = true;
    this.setBadge('queued', 'Uploading');

    if (this.file.size === 0) return this.showError('This file is empty. Choose another image.', false);
    if (this.file.size > limits.max_upload_bytes) {
      return this.showError(`This file is ${formatBytes(this.file.size)}; the limit is ${formatBytes(limits.max_upload_bytes)}. Please use a smaller image.`, false);
    }
    this.setProgress(0, 'Uploading…');
    let accepted: { job_id: string; events_url: string };
    try {
      accepted = await this.upload();
    } catch (err) {
      const e = err as Error & { retry?: boolean };
      return this.showError(e.message, e.retry ?? true);
    }
    this.jobId = accepted.job_id;
    $<HTMLElement>(this.el, '.cancel').hidden = false;
    this.setBadge('queued', 'Queued');
    this.setProgress(0, 'Waiting in line…');
    this.listen(accepted.events_url);
  }

  private upload(): Promise<{ job_id: string; events_url: string }> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/remove-bg');
      for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) this.setProgress(null, `Uploading… ${Math.round((e.loaded / e.total) * 100)}%`);
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
        const retry = xhr.status === 429 || xhr.status >= 500;
        reject(Object.assign(new Error(message), { retry }));
      };
      const form = new FormData();
      form.append('file', this.file, this.file.name || 'pasted.png');
      xhr.send(form);
    });
  }

  private listen(eventsUrl: string): void {
    if (!('EventSource' in window)) return this.poll();
    const es = new EventSource(withKey(eventsUrl));
    this.source = es;
    const on = (type: string) =>
      es.addEventListener(type, (e) => this.apply(JSON.parse((e as MessageEvent<string>).data) as EventData));
    for (const t of EVENT_TYPES) on(t);
    es.onerror = () => {
      if (this.finished) return;
      if (es.readyState === EventSource.CLOSED) {
        this.source = undefined;
        this.poll(); // the stream is gone for good: fall back to polling
      } else {
        $(this.el, '.status-line').textContent = 'Connection lost, reconnecting…';
      }
    };
  }

  private poll(): void {
    const tick = async () => {
      if (this.finished || !this.jobId) return;
      try {
        const res = await fetch(`/status/${this.jobId}`, { headers: authHeaders() });
        const body = (await res.json()) as EventData & ApiError;
        if (!res.ok) return this.showError(body.error?.message ?? 'The job was lost.', true);
        this.apply(body.status === 'processing' ? { ...body, ...(body as unknown as { progress?: EventData }).progress, status: 'processing' } : body);
      } catch {
        $(this.el, '.status-line').textContent = 'Cannot reach the server, retrying…';
      }
      if (!this.finished) this.pollTimer = window.setTimeout(() => void tick(), 1000);
    };
    void tick();
  }

  private apply(d: EventData): void {
    if (this.finished) return;
    switch (d.status) {
      case 'queued':
        this.setBadge('queued', 'Queued');
        this.setProgress(0, d.position ? `Waiting in line: position ${d.position}${formatEta(d.eta_seconds)}` : 'Waiting in line…');
        break;
      case 'processing':
        $(this.el, '.progress').classList.add('working');
        this.setBadge('processing', 'Processing');
        this.setProgress(d.percent ?? 0, `${STAGE_TEXT[d.stage ?? ''] ?? 'Processing'}… ${Math.round(Math.max(this.percent, d.percent ?? 0))}%`);
        break;
      case 'done':
        this.showResult(d.result_url ?? `/result/${this.jobId}`);
        break;
      case 'failed':
        this.showError(d.error ?? 'Processing failed.', true);
        break;
      case 'canceled':
        this.showError('Canceled.', true);
        this.setBadge('failed', 'Canceled');
        break;
    }
  }

  private showResult(url: string): void {
    this.finished = true;
    this.stopListening();
    const src = withKey(url);
    for (const img of $$<HTMLImageElement>(this.el, 'img.result')) {
      img.src = src;
      img.alt = `Cutout of ${this.file.name || 'the image'} with the background removed`;
    }
    const link = $<HTMLAnchorElement>(this.el, 'a.download');
    link.href = src;
    link.download = resultName(this.file.name || 'image');
    $(this.el, '.progress').classList.remove('working');
    this.setProgress(100, 'Done');
    $<HTMLElement>(this.el, '.progress').hidden = true;
    $<HTMLElement>(this.el, '.tools').hidden = false;
    link.hidden = false;
    $<HTMLElement>(this.el, '.cancel').hidden = true;
    $<HTMLElement>(this.el, '.remove').hidden = false;
    this.el.classList.add('done');
    this.setBadge('done', 'Done');
  }

  private async cancel(): Promise<void> {
    if (!this.jobId) return;
    $<HTMLElement>(this.el, '.cancel').hidden = true;
    $(this.el, '.status-line').textContent = 'Canceling…';
    try {
      const res = await fetch(`/jobs/${this.jobId}`, { method: 'DELETE', headers: authHeaders() });
      if (res.status === 200) this.apply({ status: 'canceled' });
    } catch {
      $<HTMLElement>(this.el, '.cancel').hidden = false;
      $(this.el, '.status-line').textContent = UNREACHABLE;
    }
  }

  private stopListening(): void {
    this.source?.close();
    this.source = undefined;
    window.clearTimeout(this.pollTimer);
  }

  dispose(): void {
    this.finished = true;
    this.stopListening();
    URL.revokeObjectURL(this.preview);
    this.el.remove();
  }
}

function addFiles(files: Iterable<File>): void {
  const list = document.getElementById('cards')!;
  banner('');
  let added = 0;
  for (const file of files) {
    const card = new Card(file);
    list.prepend(card.el);
    void card.start();
    added++;
  }
  if (!added) banner('That was not a file. Drop or paste an image.');
}

function banner(text: string): void {
  const el = document.getElementById('banner')!;
  el.textContent = text;
  el.hidden = !text;
}

function init(): void {
  const input = document.getElementById('file') as HTMLInputElement;
  const drop = document.getElementById('drop')!;
  const label = document.getElementById('drop-label')!;
  input.addEventListener('change', () => {
    if (input.files?.length) addFiles(Array.from(input.files));
    input.value = '';
  });
  label.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    drop.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth -= 1;
    if (depth <= 0) {
      depth = 0;
      drop.classList.remove('dragging');
    }
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    drop.classList.remove('dragging');
    addFiles(Array.from(e.dataTransfer?.files ?? []));
  });
  document.addEventListener('paste', (e) => {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length) addFiles(files);
  });
  fetch('/limits')
    .then((r) => (r.ok ? (r.json() as Promise<Limits>) : null))
    .then((l) => {
      if (!l) return;
      limits = l;
      document.getElementById('drop-hint')!.textContent =
        `${INPUT_FORMATS_TEXT} · up to ${formatBytes(l.max_upload_bytes)} and ${Math.round(l.max_image_pixels / 1e6)} megapixels`;
    })
    .catch(() => banner(UNREACHABLE));
}

init();

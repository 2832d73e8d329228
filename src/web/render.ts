// Drawing one card: every element of it is set from one state object, nothing else.
import type { Preview } from './preview.js';

export type Phase = 'uploading' | 'queued' | 'processing' | 'done' | 'failed' | 'canceled' | 'expired';

export interface CardState {
  /** The file's name as shown ('' when pasted). */
  name: string;
  phase: Phase;
  /** 0..100; null: unknown (the bar moves without a number). */
  percent: number | null;
  line: string;
  error: string;
  canRetry: boolean;
  canCancel: boolean;
  /** The result's address (with the API key), once done. */
  resultUrl: string;
  downloadName: string;
  /** "Download WebP". */
  downloadLabel: string;
  /** The result in a few words, once done: "WebP · 1380×1012 · 245 KB · from cache". */
  meta: string;
  /** The options this card's job was made with, in a few words. */
  optionsLine: string;
  /** The panel asks for other options than this card's: it offers to apply them. */
  canApply: boolean;
  /** The result may have transparent pixels: the backdrop buttons apply. */
  transparent: boolean;
  previewUrl: string;
  /** The browser cannot show the original (not an image, or a format it lacks): no broken picture. */
  previewBroken: boolean;
  view: 'compare' | 'side';
  /** 'checker' (transparent) or a CSS colour. */
  bg: string;
  /** The slider's place, 0..100. */
  pos: number;
  /** The mask editor is open in the card (editor.ts): it takes the place of the views and actions. */
  editing: boolean;
  /** Cheap options drawn over the last plain result until applied (preview.ts); null: the result as it is. */
  preview: Preview | null;
}

const BADGE: Record<Phase, [state: string, text: string]> = {
  uploading: ['queued', 'Uploading'],
  queued: ['queued', 'Queued'],
  processing: ['processing', 'Processing'],
  done: ['done', 'Done'],
  failed: ['failed', 'Failed'],
  canceled: ['failed', 'Canceled'],
  expired: ['failed', 'Expired'],
};

export const isWorking = (p: Phase): boolean => p === 'uploading' || p === 'queued' || p === 'processing';

const $ = <T extends HTMLElement>(root: ParentNode, sel: string) => root.querySelector(sel) as T;
const $$ = <T extends HTMLElement>(root: ParentNode, sel: string) => Array.from(root.querySelectorAll(sel)) as T[];

/** Sets an attribute only when it changes (setting an img's src again would reload it). */
function attr(el: Element, name: string, value: string | null): void {
  if (value === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Sets a text only when it changes (the list is a live region: no repeated announcements). */
function text(el: HTMLElement, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}

function renderProgress(el: HTMLElement, s: CardState): void {
  const wrap = $(el, '.progress');
  wrap.hidden = !isWorking(s.phase);
  wrap.classList.toggle('indeterminate', s.percent === null);
  wrap.classList.toggle('working', s.phase === 'processing');
  $(el, '.bar span').style.width = s.percent === null ? '' : `${s.percent}%`;
  attr($(el, '.bar'), 'aria-valuenow', s.percent === null ? null : String(Math.round(s.percent)));
  text($(el, '.status-line'), s.line);
}

/** The browser can show the original (a local file it can decode): else the cutout alone, once done. */
const hasOriginal = (s: CardState): boolean => s.previewUrl !== '' && !s.previewBroken;

function renderImages(el: HTMLElement, s: CardState): void {
  const done = s.phase === 'done';
  const original = hasOriginal(s);
  const view = original ? s.view : 'side';
  el.classList.toggle('no-original', !original);
  $(el, '.stage').hidden = !original && !done;
  for (const img of $$<HTMLImageElement>(el, 'img.original')) {
    attr(img, 'src', s.previewUrl || null);
    img.alt = `Original: ${s.name || 'pasted image'}`;
  }
  for (const img of $$<HTMLImageElement>(el, 'img.result')) {
    attr(img, 'src', done ? (s.preview?.url ?? s.resultUrl) : null);
    img.alt = done ? `Cutout of ${s.name || 'the image'} with the background removed` : '';
  }
  $(el, '.view.compare').hidden = view !== 'compare';
  $(el, '.view.side').hidden = view !== 'side';
  $(el, '.compare').style.setProperty('--pos', `${s.pos}%`);
  $<HTMLInputElement>(el, '.slider').value = String(s.pos);
  renderPreview(el, s.preview);
}

const PREVIEW_NOTE = 'A preview drawn in the browser: Apply has the server render it.';
const NO_PREVIEW = 'No instant preview: only a background colour, shadow or crop over a transparent PNG result is previewed.';

/** The preview: the Preview tag, a colour behind the cutout, a drop-shadow, the crop's box. */
function renderPreview(el: HTMLElement, p: Preview | null): void {
  for (const tag of $$(el, '.pv-tag')) {
    tag.hidden = !p;
    tag.title = PREVIEW_NOTE;
  }
  el.classList.toggle('pv-bg', !!p?.bg);
  el.classList.toggle('pv-shadow', !!p?.shadow);
  el.style.setProperty('--pv-bg', p?.bg ?? '');
  for (const box of $$(el, '.pv-box')) {
    box.hidden = !p?.box;
    for (const side of ['left', 'top', 'width', 'height'] as const) box.style[side] = p?.box ? `${p.box[side]}%` : '';
  }
  attr($(el, '.apply'), 'title', p ? PREVIEW_NOTE : NO_PREVIEW);
}

function renderTools(el: HTMLElement, s: CardState): void {
  const done = s.phase === 'done';
  $(el, '.tools').hidden = !done;
  $(el, '.views').hidden = !hasOriginal(s);
  for (const b of $$(el, 'button.mode')) attr(b, 'aria-pressed', String(b.dataset.mode === s.view));
  for (const b of $$(el, 'button.bg')) attr(b, 'aria-pressed', String(b.dataset.bg === s.bg));
  $(el, '.backdrops').hidden = !s.transparent;
  text($(el, '.meta .result-info'), s.meta);
  text($(el, '.meta .options-info'), s.optionsLine);
  $(el, '.meta .result-info').hidden = !done;
  if (s.bg === 'checker') delete el.dataset.bg;
  else el.dataset.bg = 'solid';
  el.style.setProperty('--solid', s.bg === 'checker' ? '' : s.bg);
  const link = $<HTMLAnchorElement>(el, 'a.download');
  link.hidden = !done;
  attr(link, 'href', done ? s.resultUrl : null);
  link.download = s.downloadName;
  text(link, s.downloadLabel);
}

/** Draws the card from its state. */
export function render(el: HTMLElement, s: CardState): void {
  const badge = $(el, '.badge');
  badge.dataset.state = BADGE[s.phase][0];
  text(badge, BADGE[s.phase][1]);
  const name = $(el, '.name');
  text(name, s.name || 'pasted image');
  name.title = s.name;
  el.classList.toggle('done', s.phase === 'done');
  renderProgress(el, s);
  renderImages(el, s);
  renderTools(el, s);
  const failed = !isWorking(s.phase) && s.phase !== 'done';
  $(el, '.error').hidden = !failed;
  text($(el, '.error'), failed ? s.error : '');
  $(el, '.retry').hidden = !(failed && s.canRetry);
  $(el, '.cancel').hidden = !(isWorking(s.phase) && s.canCancel);
  $(el, '.remove').hidden = isWorking(s.phase);
  $(el, '.apply').hidden = !s.canApply;
  $(el, '.edit').hidden = s.phase !== 'done';
  el.classList.toggle('editing', s.editing);
}

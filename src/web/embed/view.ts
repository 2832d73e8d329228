// The component's shadow DOM and how one state draws it. Parts a host page may style with
// ::part(): box, button, progress, status, preview, result, download, error, reset.
import { applyStyles } from './styles.js';

export type Phase = 'idle' | 'working' | 'done' | 'error';

export interface ViewState {
  phase: Phase;
  /** 0..100 while working. */
  percent: number;
  /** "Uploading…", "Finding the subject… 42%". */
  line: string;
  /** The photo being worked on (an object URL; '' when the browser cannot show it). */
  previewUrl: string;
  /** The cutout (an object URL), once done. */
  resultUrl: string;
  downloadName: string;
  /** "Download PNG". */
  downloadLabel: string;
  error: string;
  /** A job is known and still running: Cancel applies. */
  canCancel: boolean;
}

export const IDLE: ViewState = {
  phase: 'idle', percent: 0, line: '', previewUrl: '', resultUrl: '', downloadName: '', downloadLabel: '', error: '', canCancel: false,
};

const TEMPLATE = `
<div class="box" part="box" tabindex="0" aria-label="Remove a photo's background: drop, paste or choose a photo">
  <input class="file" type="file" accept="image/*" tabindex="-1" aria-hidden="true">
  <div class="section idle">
    <p class="title">Remove the background</p>
    <p class="hint">Drop a photo here, paste it, or</p>
    <button type="button" class="primary choose" part="button">Choose a photo</button>
  </div>
  <div class="section working">
    <img class="preview" part="preview" alt="">
    <div class="bar" part="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0" aria-label="Progress"><span></span></div>
    <button type="button" class="cancel">Cancel</button>
  </div>
  <div class="section done">
    <div class="checker"><img class="result" part="result" alt="The photo with its background removed"></div>
    <div class="actions">
      <a class="button primary download" part="download" download></a>
      <button type="button" class="again" part="reset">Another photo</button>
    </div>
  </div>
  <div class="section error">
    <p class="message" part="error" role="alert"></p>
    <button type="button" class="primary again" part="reset">Try another photo</button>
  </div>
  <p class="status" part="status" aria-live="polite"></p>
</div>`;

export interface View {
  box: HTMLElement;
  input: HTMLInputElement;
  render(s: ViewState): void;
}

const setText = (el: Element, value: string) => {
  if (el.textContent !== value) el.textContent = value;
};
const setAttr = (el: Element, name: string, value: string | null) => {
  if (value === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
};

/** Builds the shadow DOM; `on` wires the buttons. */
export function createView(root: ShadowRoot, on: { choose(): void; cancel(): void; reset(): void }): View {
  applyStyles(root);
  const tpl = document.createElement('template');
  tpl.innerHTML = TEMPLATE;
  root.append(tpl.content);
  const $ = <T extends Element>(sel: string) => root.querySelector(sel) as T;
  const box = $<HTMLElement>('.box');
  $('.choose').addEventListener('click', () => on.choose());
  $('.cancel').addEventListener('click', () => on.cancel());
  for (const b of root.querySelectorAll('.again')) b.addEventListener('click', () => on.reset());
  const preview = $<HTMLImageElement>('.preview');
  // A format the browser cannot show (TIFF): no broken picture.
  preview.addEventListener('error', () => {
    preview.dataset.broken = preview.getAttribute('src') ?? '';
    preview.hidden = true;
  });
  const result = $<HTMLImageElement>('.result');
  const download = $<HTMLAnchorElement>('.download');
  const bar = $<HTMLElement>('.bar');
  return {
    box,
    input: $<HTMLInputElement>('.file'),
    render(s) {
      setAttr(box, 'data-state', s.phase);
      setAttr(box, 'aria-busy', s.phase === 'working' ? 'true' : null);
      preview.hidden = !s.previewUrl || preview.dataset.broken === s.previewUrl;
      setAttr(preview, 'src', s.previewUrl || null);
      bar.querySelector('span')!.style.width = `${s.percent}%`;
      setAttr(bar, 'aria-valuenow', String(Math.round(s.percent)));
      $<HTMLButtonElement>('.cancel').hidden = !s.canCancel;
      setAttr(result, 'src', s.resultUrl || null);
      setAttr(download, 'href', s.resultUrl || null);
      setAttr(download, 'download', s.downloadName);
      setText(download, s.downloadLabel);
      setText($('.message'), s.error);
      setText($('.status'), s.line);
    },
  };
}

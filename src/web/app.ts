// The demo page: upload (choose, drop, paste), live progress over SSE (polling as a fallback),
// compare with a slider or side by side, change the backdrop, download. Per-job options from the
// Options panel (options-panel.ts, made from the options table). No framework.
// A card follows its job with follow.ts and is drawn by render.ts from one state.
import { DEFAULT_LIMITS, INPUT_FORMATS_TEXT } from '../vocabulary.js';
import { formatBytes } from '../format.js';
import { Card, UNREACHABLE, type Session } from './card.js';
import { createOptionsPanel } from './options-panel.js';

// An API key, when the service requires one, comes from ?key= once and is remembered.
const params = new URLSearchParams(location.search);
if (params.get('key')) {
  localStorage.setItem('cutout-api-key', params.get('key')!);
  history.replaceState(null, '', location.pathname);
}
const session: Session = {
  apiKey: localStorage.getItem('cutout-api-key') ?? '',
  limits: { max_upload_bytes: DEFAULT_LIMITS.maxUploadBytes, max_image_pixels: DEFAULT_LIMITS.maxImagePixels },
};

const panel = createOptionsPanel(document.getElementById('options') as HTMLDetailsElement, document.getElementById('options-error')!);

function addFiles(files: Iterable<File>): void {
  const list = document.getElementById('cards')!;
  banner('');
  const options = panel.current();
  // Options the api would refuse: the panel says why (under it); nothing is uploaded.
  if (!options.ok) {
    if (Array.from(files).length) panel.reveal();
    return;
  }
  let added = 0;
  for (const file of files) {
    const card = new Card(file, session, panel, options.request);
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
    .then((r) => (r.ok ? (r.json() as Promise<Session['limits']>) : null))
    .then((l) => {
      if (!l) return;
      session.limits = l;
      document.getElementById('drop-hint')!.textContent =
        `${INPUT_FORMATS_TEXT} · up to ${formatBytes(l.max_upload_bytes)} and ${Math.round(l.max_image_pixels / 1e6)} megapixels`;
    })
    .catch(() => banner(UNREACHABLE));
}

init();

// The demo page: upload (choose, drop, paste), a ZIP of images (one card per image), or an image
// URL (typed, pasted or dropped); live progress over SSE (polling as a fallback), compare with a
// slider or side by side, change the backdrop, download one or all. Per-job options from the
// Options panel (options-panel.ts, made from the options table). No framework.
// A card follows its job with the SDK's functions (src/sdk/requests.ts, through follow.ts) and is drawn by render.ts from one state; card-list.ts
// holds the cards and the toolbar that acts on many.
import { DEFAULT_LIMITS, INPUT_FORMATS_TEXT } from '../vocabulary.js';
import { formatBytes } from '../format.js';
import { isZipFile, UNREACHABLE, urlsIn } from './api-client.js';
import type { CardSource, Session } from './card.js';
import { CardList } from './card-list.js';
import { createOptionsPanel } from './options-panel.js';
import { connect } from '../sdk/connection.js';

// An API key, when the service requires one, comes from ?key= once and is remembered.
const params = new URLSearchParams(location.search);
if (params.get('key')) {
  localStorage.setItem('cutout-api-key', params.get('key')!);
  history.replaceState(null, '', location.pathname);
}
const apiKey = localStorage.getItem('cutout-api-key') ?? '';
const session: Session = {
  apiKey,
  client: connect({ baseUrl: location.origin, apiKey }),
  limits: { max_upload_bytes: DEFAULT_LIMITS.maxUploadBytes, max_image_pixels: DEFAULT_LIMITS.maxImagePixels },
};

const panel = createOptionsPanel(document.getElementById('options') as HTMLDetailsElement, document.getElementById('options-error')!);

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const cards = new CardList(
  byId('cards'),
  {
    root: byId('toolbar'),
    summary: byId('toolbar-summary'),
    downloadAll: byId('download-all'),
    retryFailed: byId('retry-failed'),
    clearFinished: byId('clear-finished'),
  },
  session,
  panel,
);

/** Files (images, or ZIP archives of images) and image addresses: a card each. */
async function addSources(files: Iterable<File>, urls: string[] = []): Promise<void> {
  banner('');
  const list = Array.from(files);
  const options = panel.current();
  // Options the api would refuse: the panel says why (under it); nothing is uploaded.
  if (!options.ok) {
    if (list.length || urls.length) panel.reveal();
    return;
  }
  const sources: CardSource[] = urls.map((url) => ({ kind: 'url', url }));
  for (const file of list) sources.push({ kind: (await isZipFile(file)) ? 'zip' : 'file', file });
  for (const source of sources) cards.add(source, options.request);
  if (!sources.length) banner('That was not a file. Drop or paste an image, a ZIP of images or an image URL.');
}
const addFiles = (files: Iterable<File>) => void addSources(files);

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
    const files = Array.from(e.dataTransfer?.files ?? []);
    // An image dragged from another page arrives as its address.
    void addSources(files, files.length ? [] : urlsIn(e.dataTransfer?.getData('text/uri-list') || e.dataTransfer?.getData('text/plain') || ''));
  });
  document.addEventListener('paste', (e) => {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length) return addFiles(files);
    // Text pasted into a field is the field's; elsewhere, image addresses become cards.
    if (e.target instanceof Element && e.target.closest('input, textarea, [contenteditable]')) return;
    const urls = urlsIn(e.clipboardData?.getData('text/plain') ?? '');
    if (urls.length) void addSources([], urls);
  });
  const form = byId<HTMLFormElement>('url-form');
  const field = byId<HTMLInputElement>('image-url');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const urls = urlsIn(field.value.trim());
    if (!urls.length) {
      banner('Type the address of an image, starting with http:// or https://.');
      return field.focus();
    }
    field.value = '';
    void addSources([], urls);
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
cards.restore();

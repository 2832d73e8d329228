// The mask editor of a finished card: the photo under its mask at a working size (mask-io.ts),
// brush erase/restore, magic wand and polygon (mask-ops.ts), undo/redo, zoom and pan
// (editor-view.ts), three views (cutout, original, mask), keyboard shortcuts (`?` lists them),
// and Save. Its settings are remembered; one editor is open at a time and asks before it drops
// unsaved edits.
import type { JobEvent } from './follow.js';
import { loadJob, problem, saveMask } from './mask-io.js';
import { dab, flood, History, line, polygon, union, type Mask, type Rect } from './mask-ops.js';
import { Viewport, type ToolHandler } from './editor-view.js';

const KEY = 'cutout-editor';
const VIEWS = ['cut', 'orig', 'mask'] as const;
interface Settings {
  tool: 'brush' | 'wand' | 'poly';
  restore: boolean;
  size: number;
  hard: number;
  tol: number;
  view: (typeof VIEWS)[number];
}

let open: Editor | null = null;
document.addEventListener('keydown', (e) => open?.key(e, true));
document.addEventListener('keyup', (e) => open?.key(e, false));
// Unsaved edits: the browser asks before the page is left.
window.addEventListener('beforeunload', (e) => open?.dirty && e.preventDefault());

const $ = <T extends Element = HTMLElement>(root: ParentNode, sel: string) => root.querySelector(sel) as T;

export class Editor implements ToolHandler {
  readonly el: HTMLElement;
  private readonly s: Settings = { tool: 'brush', restore: false, size: 40, hard: 80, tol: 32, view: 'cut' };
  private readonly vp: Viewport;
  private readonly canvas: HTMLCanvasElement;
  private m?: Mask;
  private hist?: History;
  private src: ArrayLike<number> = [];
  private out?: ImageData;
  private pts: number[][] = [];
  /** The stroke or tap under way: where it is, what it changed, whether Alt inverts it. */
  private press: { x: number; y: number; r: Rect | null; restore: boolean } | null = null;
  private busy = true;

  /** Opens the editor of job `jobId` (closing another one first, if its person agrees). */
  static open(jobId: string, apiKey: string, saved: (view: JobEvent) => void, closed: () => void): Editor | null {
    return !open || open.close() ? (open = new Editor(jobId, apiKey, saved, closed)) : null;
  }

  private constructor(
    private readonly jobId: string,
    private readonly apiKey: string,
    private readonly saved: (view: JobEvent) => void,
    private readonly closed: () => void,
  ) {
    const tpl = document.getElementById('editor-template') as HTMLTemplateElement;
    this.el = tpl.content.firstElementChild!.cloneNode(true) as HTMLElement;
    this.canvas = $(this.el, 'canvas');
    const view = $(this.el, '.ed-view');
    this.vp = new Viewport(view, $(this.el, '.ed-layer'), this);
    view.onpointerleave = () => ($(this.el, '.ed-cursor').hidden = true);
    // The pointer over the photo takes the keys from a clicked button: Space pans, Enter closes a polygon.
    view.onpointerenter = () => this.el.contains(document.activeElement) && view.focus({ preventScroll: true });
    view.ondblclick = () => this.act('enter');
    try {
      Object.assign(this.s, JSON.parse(localStorage.getItem(KEY) ?? '{}'));
    } catch {
      /* forgotten settings: the defaults */
    }
    for (const b of this.el.querySelectorAll<HTMLElement>('[data-k]')) b.onclick = () => this.act(b.dataset.k!);
    for (const b of this.el.querySelectorAll<HTMLElement>('[data-v]')) b.onclick = () => this.set({ view: b.dataset.v as Settings['view'] });
    for (const i of this.el.querySelectorAll('input')) i.oninput = () => this.set({ [i.name]: Number(i.value) });
    this.ui();
    void this.load();
  }

  get dirty(): boolean {
    return !!this.hist?.canUndo;
  }

  private say(text: string): void {
    $(this.el, '.ed-status').textContent = text;
  }

  private async load(): Promise<void> {
    this.say('Loading the photo and its mask…');
    try {
      const { src, m } = await loadJob(this.jobId, this.apiKey, this.canvas);
      [this.src, this.m, this.hist] = [src, m, new History(m)];
      this.out = new ImageData(m.w, m.h);
      $(this.el, 'svg').setAttribute('viewBox', `0 0 ${m.w} ${m.h}`);
      $(this.el, '.ed-view').style.aspectRatio = `${m.w}/${m.h}`;
      this.busy = false;
      this.vp.fit(m.w, m.h);
      this.paint();
      this.say('');
    } catch (err) {
      this.say(`Cannot edit: ${problem(err)}`);
    }
    this.ui();
  }

  /** Draws `r` (all by default) of the chosen view: the cutout, the photo, or the mask in grey. */
  private paint(r: Rect | null = this.m ? { x: 0, y: 0, w: this.m.w, h: this.m.h } : null): void {
    if (!r || !this.m || !this.out) return;
    const [o, d, w, v] = [this.out.data, this.m.d, this.m.w, this.s.view];
    for (let y = r.y; y < r.y + r.h; y++) {
      for (let i = y * w + r.x; i < y * w + r.x + r.w; i++) {
        const p = i * 4;
        for (let c = 0; c < 3; c++) o[p + c] = v === 'mask' ? d[i]! : this.src[p + c]!;
        o[p + 3] = v === 'cut' ? d[i]! : 255;
      }
    }
    this.canvas.getContext('2d')!.putImageData(this.out, 0, 0, r.x, r.y, r.w, r.h);
  }

  private set(patch: Partial<Settings>): void {
    if (patch.tool && patch.tool !== this.s.tool) this.pts = [];
    const view = patch.view && patch.view !== this.s.view;
    Object.assign(this.s, patch);
    localStorage.setItem(KEY, JSON.stringify(this.s));
    if (view) this.paint();
    this.ui();
  }

  /** Sets every control from the settings and the history. */
  private ui(): void {
    const { tool, restore, view } = this.s;
    const pressed: Record<string, boolean> = { b: tool === 'brush' && !restore, e: tool === 'brush' && restore, w: tool === 'wand', p: tool === 'poly', x: restore };
    // Only what cannot act is disabled (a disabled button loses the focus): tools work while loading.
    const off: Record<string, boolean> = { z: !this.hist?.canUndo, y: !this.hist?.canRedo, save: this.busy || !this.dirty };
    for (const b of this.el.querySelectorAll<HTMLButtonElement>('button[data-k]')) {
      const k = b.dataset.k!;
      if (k in pressed) b.setAttribute('aria-pressed', String(pressed[k]));
      b.disabled = !!off[k];
    }
    for (const b of this.el.querySelectorAll<HTMLElement>('[data-v]')) b.setAttribute('aria-pressed', String(b.dataset.v === view));
    for (const i of this.el.querySelectorAll('input')) i.value = String(this.s[i.name as 'size']);
    for (const l of this.el.querySelectorAll<HTMLElement>('.ed-brush')) l.hidden = tool !== 'brush';
    $(this.el, '.ed-wand').hidden = tool !== 'wand';
    $(this.el, '.ed-view').dataset.tool = tool;
    $(this.el, 'polygon').setAttribute('points', this.pts.join(' '));
  }

  /** One step into the history, drawn. */
  private change(r: Rect | null): void {
    this.hist!.commit(r);
    this.paint(r);
    this.ui();
  }

  /** What a key or a button does; false: nothing. */
  act(k: string): boolean {
    const s = this.s;
    const acts: Record<string, (() => void) | undefined> = {
      b: () => this.set({ tool: 'brush', restore: false }),
      e: () => this.set({ tool: 'brush', restore: true }),
      w: () => this.set({ tool: 'wand' }),
      p: () => this.set({ tool: 'poly' }),
      x: () => this.set({ restore: !s.restore }),
      '[': () => this.set({ size: Math.max(2, Math.round(s.size * 0.8)) }),
      ']': () => this.set({ size: Math.min(300, Math.round(s.size * 1.25)) }),
      v: () => this.set({ view: VIEWS[(VIEWS.indexOf(s.view) + 1) % 3] }),
      '?': () => $<HTMLDialogElement>(this.el, 'dialog').showModal(),
      cancel: () => this.close(),
      save: () => void this.save(),
    };
    const ready: Record<string, (() => void) | undefined> = {
      z: () => this.paint(this.hist!.undo()),
      y: () => this.paint(this.hist!.undo(true)),
      '+': () => this.vp.zoomAt(1.25),
      '-': () => this.vp.zoomAt(0.8),
      0: () => this.vp.fit(this.m!.w, this.m!.h),
      enter: () => {
        this.hist!.start();
        this.change(polygon(this.m!, this.pts, s.restore));
        this.pts = [];
      },
      escape: () => (this.pts = []),
    };
    const fn = acts[k] ?? (this.busy ? undefined : ready[k]);
    fn?.();
    if (fn && k in ready) this.ui();
    return !!fn;
  }

  /** A key pressed or let go anywhere on the page while this editor is open. */
  key(e: KeyboardEvent, down: boolean): void {
    const t = e.target as Element;
    if (t.closest?.('input:not([type=range]), textarea, select, [contenteditable], dialog')) return;
    if (t.closest?.('button, a, input') && (e.key === ' ' || e.key === 'Enter')) return;
    if (e.key === ' ') {
      e.preventDefault();
      this.vp.space = down;
      $(this.el, '.ed-view').classList.toggle('pan', down);
      return;
    }
    const k = e.key.toLowerCase();
    const mod = e.ctrlKey || e.metaKey;
    const act = mod && k === 'z' ? (e.shiftKey ? 'y' : 'z') : mod && k === 'y' ? 'y' : mod || e.altKey ? '' : k;
    if (down && act && this.act(act)) e.preventDefault();
  }

  start(x: number, y: number, alt: boolean): void {
    if (this.busy) return;
    const restore = this.s.restore !== alt;
    this.press = { x, y, r: null, restore };
    if (this.s.tool !== 'brush') return;
    this.hist!.start();
    this.paint((this.press.r = dab(this.m!, x, y, this.s.size / 2, this.s.hard / 100, restore)));
  }

  drag(x: number, y: number): void {
    const p = this.press;
    if (!p || this.s.tool !== 'brush') return;
    const r = line(this.m!, p.x, p.y, x, y, this.s.size / 2, this.s.hard / 100, p.restore);
    Object.assign(p, { x, y, r: union(p.r, r) });
    this.paint(r);
  }

  /** The end of a press: a brush stroke is one step; a tap fills with the wand or adds a polygon corner. */
  end(x: number, y: number, ok: boolean): void {
    const p = this.press;
    this.press = null;
    if (!p) return;
    if (this.s.tool === 'brush') {
      if (ok) return this.change(p.r);
      this.hist!.revert(p.r);
      return this.paint(p.r);
    }
    if (!ok) return;
    if (this.s.tool === 'wand') {
      this.hist!.start();
      return this.change(flood(this.m!, this.src, Math.floor(x), Math.floor(y), this.s.tol, p.restore));
    }
    const first = this.pts[0];
    if (first && this.pts.length > 2 && Math.hypot(first[0]! - x, first[1]! - y) * this.vp.z < 12) return void this.act('enter');
    this.pts.push([x, y]);
    this.ui();
  }

  /** The brush's circle under the pointer, and the polygon's next side. */
  hover(x: number, y: number, sx: number, sy: number): void {
    const cursor = $(this.el, '.ed-cursor');
    const size = `${this.s.size * this.vp.z}px`;
    cursor.hidden = this.s.tool !== 'brush' || this.busy;
    Object.assign(cursor.style, { left: `${sx}px`, top: `${sy}px`, width: size, height: size });
    if (this.s.tool === 'poly' && this.pts.length) $(this.el, 'polygon').setAttribute('points', [...this.pts, [x, y]].join(' '));
  }

  /** Sends the mask; the api answers once the result is made again, and the card shows it. */
  private async save(): Promise<void> {
    if (this.busy || !this.dirty) return;
    this.busy = true;
    this.ui();
    this.say('Saving…');
    try {
      const view = await saveMask(this.jobId, this.apiKey, this.m!);
      this.hist = new History(this.m!);
      this.saved(view);
      this.close();
    } catch (err) {
      this.busy = false;
      this.say(`Not saved: ${problem(err)}`);
      this.ui();
    }
  }

  /** Closes the editor, asking first when there are unsaved edits; false: they are kept. */
  close(): boolean {
    if (this.dirty && (this.busy || !confirm('Discard your edits to this mask?'))) return false;
    open = null;
    this.el.remove();
    this.closed();
    return true;
  }
}

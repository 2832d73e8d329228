// The mask editor's pixel work, free of the DOM: a mask is one byte per pixel (0 = cut away,
// 255 = kept) at the editor's working size. Each tool changes the mask in place and returns the
// rectangle it touched; History keeps a step as that rectangle's bytes from before, and undo/redo
// swap them back and forth (no full snapshots: a brush stroke costs its own area).
/** The editor's working size: the longest side of a larger photo is scaled to this (the api scales the mask back). */
export const MAX_SIDE = 2048;

export interface Mask {
  w: number;
  h: number;
  d: Uint8Array;
}
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The rectangle covering both (either may be null). */
export const union = (a: Rect | null, b: Rect | null): Rect | null =>
  !a || !b
    ? a ?? b
    : ((x, y) => ({ x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y }))(Math.min(a.x, b.x), Math.min(a.y, b.y));

/** The rectangle from x0,y0 to x1,y1 (inclusive) clipped to the mask; null when outside. */
function clip(m: Mask, x0: number, y0: number, x1: number, y1: number): Rect | null {
  x0 = Math.max(0, Math.floor(x0));
  y0 = Math.max(0, Math.floor(y0));
  x1 = Math.min(m.w - 1, Math.ceil(x1));
  y1 = Math.min(m.h - 1, Math.ceil(y1));
  return x1 < x0 || y1 < y0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * One round brush dab of radius `r` at cx,cy: full strength inside `hard` (0..1) of the radius,
 * fading to nothing at its edge. Erasing lowers the mask to 255·(1−strength), restoring raises it
 * to 255·strength, so overlapping dabs of one stroke never build up beyond the brush.
 */
export function dab(m: Mask, cx: number, cy: number, r: number, hard: number, restore: boolean): Rect | null {
  const box = clip(m, cx - r, cy - r, cx + r, cy + r);
  if (!box) return null;
  for (let y = box.y; y < box.y + box.h; y++) {
    const dy = (y + 0.5 - cy) ** 2;
    for (let x = box.x; x < box.x + box.w; x++) {
      const d = Math.sqrt((x + 0.5 - cx) ** 2 + dy) / r;
      if (d >= 1) continue;
      const a = 255 * (d <= hard ? 1 : (1 - d) / (1 - hard));
      const i = y * m.w + x;
      m.d[i] = restore ? Math.max(m.d[i]!, a) : Math.min(m.d[i]!, 255 - a);
    }
  }
  return box;
}

/** Dabs along the line from x0,y0 to x1,y1, a quarter radius apart. */
export function line(m: Mask, x0: number, y0: number, x1: number, y1: number, r: number, hard: number, restore: boolean): Rect | null {
  const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(0.5, r / 4)));
  let box: Rect | null = null;
  for (let k = 1; k <= n; k++) box = union(box, dab(m, x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n, r, hard, restore));
  return box;
}

/**
 * Magic wand: the 4-connected region around sx,sy whose colours in `rgba` (the photo at the mask's
 * size) are within `tol` (0..255, per channel) of the clicked pixel's, set to 0 or 255.
 */
export function flood(m: Mask, rgba: ArrayLike<number>, sx: number, sy: number, tol: number, restore: boolean): Rect | null {
  const { w, h } = m;
  if (!(sx >= 0 && sy >= 0 && sx < w && sy < h)) return null;
  const seed = Math.floor(sy) * w + Math.floor(sx);
  const [r0, g0, b0] = [rgba[seed * 4]!, rgba[seed * 4 + 1]!, rgba[seed * 4 + 2]!];
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  let n = 0;
  const push = (j: number) => {
    if (!seen[j]) stack[n++] = j;
    seen[j] = 1;
  };
  push(seed);
  let [x0, y0, x1, y1] = [w, h, 0, 0];
  while (n) {
    const i = stack[--n]!;
    const p = i * 4;
    if (Math.abs(rgba[p]! - r0) > tol || Math.abs(rgba[p + 1]! - g0) > tol || Math.abs(rgba[p + 2]! - b0) > tol) continue;
    m.d[i] = restore ? 255 : 0;
    const x = i % w;
    const y = (i - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (y > 0) push(i - w);
    if (y < h - 1) push(i + w);
  }
  return clip(m, x0, y0, x1, y1);
}

/** Sets the inside of the polygon `pts` ([x, y] in mask pixels; pixel centres, even-odd) to 0 or 255. */
export function polygon(m: Mask, pts: number[][], restore: boolean): Rect | null {
  if (pts.length < 3) return null;
  const xs = pts.map((p) => p[0]!);
  const ys = pts.map((p) => p[1]!);
  const box = clip(m, Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
  if (!box) return null;
  for (let y = box.y; y < box.y + box.h; y++) {
    const c = y + 0.5;
    const cross: number[] = [];
    pts.forEach(([ax, ay], k) => {
      const [bx, by] = pts[(k + 1) % pts.length]!;
      if (ay! <= c !== by! <= c) cross.push(ax! + ((c - ay!) / (by! - ay!)) * (bx! - ax!));
    });
    cross.sort((a, b) => a - b);
    for (let k = 0; k + 1 < cross.length; k += 2) {
      const from = Math.max(0, Math.ceil(cross[k]! - 0.5));
      const to = Math.min(m.w - 1, Math.floor(cross[k + 1]! - 0.5));
      if (to >= from) m.d.fill(restore ? 255 : 0, y * m.w + from, y * m.w + to + 1);
    }
  }
  return box;
}

interface Step {
  r: Rect;
  d: Uint8Array;
}

/** Swaps the bytes of `s.r` in the mask with those kept in the step. */
function swap(m: Mask, s: Step): void {
  const { x, y, w, h } = s.r;
  for (let row = 0; row < h; row++) {
    const at = (y + row) * m.w + x;
    const kept = s.d.slice(row * w, row * w + w);
    s.d.set(m.d.subarray(at, at + w), row * w);
    m.d.set(kept, at);
  }
}

/**
 * Undo and redo for one mask: at most `limit` steps and `maxBytes` of kept bytes, oldest dropped
 * first (256 MB: 60 steps that each cover a whole 2048×2048 mask).
 */
export class History {
  private readonly base: Uint8Array;
  private undos: Step[] = [];
  private redos: Step[] = [];
  bytes = 0;

  constructor(
    private readonly m: Mask,
    private readonly limit = 100,
    private readonly maxBytes = 256 << 20,
  ) {
    this.base = m.d.slice();
  }

  get canUndo(): boolean {
    return this.undos.length > 0;
  }
  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /** Before a change: the mask as it is now is what its step goes back to. */
  start(): void {
    this.base.set(this.m.d);
  }

  /** Puts back what changed since start() (a stroke that became a pinch). */
  revert(r: Rect | null): void {
    if (r) swap(this.m, { r, d: this.take(r) });
  }

  /** After a change within `r`: one step. */
  commit(r: Rect | null): void {
    if (!r) return;
    this.undos.push({ r, d: this.take(r) });
    this.bytes += r.w * r.h;
    for (const s of this.redos.splice(0)) this.bytes -= s.d.length;
    while (this.undos.length > this.limit || (this.bytes > this.maxBytes && this.undos.length > 1)) this.bytes -= this.undos.shift()!.d.length;
  }

  /** The base's bytes in `r`. */
  private take(r: Rect): Uint8Array {
    const d = new Uint8Array(r.w * r.h);
    for (let row = 0; row < r.h; row++) d.set(this.base.subarray((r.y + row) * this.m.w + r.x, (r.y + row) * this.m.w + r.x + r.w), row * r.w);
    return d;
  }

  /** Undoes (or, from the other list, redoes) a step; returns the rectangle to redraw. */
  undo(redo = false): Rect | null {
    const s = (redo ? this.redos : this.undos).pop();
    if (!s) return null;
    swap(this.m, s);
    (redo ? this.undos : this.redos).push(s);
    return s.r;
  }
}

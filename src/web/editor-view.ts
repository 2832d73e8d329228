// The editor's viewport: zoom (wheel, pinch, buttons) and pan (Space or middle button and drag,
// two fingers) of the layer holding the canvas, and the pointer's place in image pixels. A press
// of one pointer is the tool's: `start`, `drag`s, then `end` (ok false when a second finger made
// it a pinch: the tool takes back what it began).
export interface ToolHandler {
  start(x: number, y: number, alt: boolean): void;
  drag(x: number, y: number): void;
  end(x: number, y: number, ok: boolean): void;
  hover(x: number, y: number, sx: number, sy: number): void;
}

export class Viewport {
  z = 1;
  private tx = 0;
  private ty = 0;
  space = false;
  private readonly ptrs = new Map<number, [number, number]>();
  private mode: 'tool' | 'pan' | 'pinch' | '' = '';

  constructor(
    private readonly view: HTMLElement,
    private readonly layer: HTMLElement,
    private readonly tool: ToolHandler,
  ) {
    view.onpointerdown = (e) => this.down(e);
    view.onpointermove = (e) => this.move(e);
    view.onpointerup = view.onpointercancel = (e) => this.up(e);
    view.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX, e.clientY);
    }, { passive: false });
  }

  /** The image pixel under a point of the screen. */
  at(cx: number, cy: number): [number, number] {
    const v = this.view.getBoundingClientRect();
    return [(cx - v.x - this.tx) / this.z, (cy - v.y - this.ty) / this.z];
  }

  /** Zooms by `f` around a point of the screen (the middle of the view by default). */
  zoomAt(f: number, cx?: number, cy?: number): void {
    const v = this.view.getBoundingClientRect();
    const [x, y] = [(cx ?? v.x + v.width / 2) - v.x, (cy ?? v.y + v.height / 2) - v.y];
    const z = Math.min(40, Math.max(0.02, this.z * f));
    this.tx = x - ((x - this.tx) * z) / this.z;
    this.ty = y - ((y - this.ty) * z) / this.z;
    this.z = z;
    this.layer.style.transform = `translate(${this.tx}px,${this.ty}px) scale(${z})`;
  }

  /** The whole image, centred. */
  fit(w: number, h: number): void {
    const v = this.view.getBoundingClientRect();
    this.z = Math.min(v.width / w, v.height / h);
    [this.tx, this.ty] = [(v.width - w * this.z) / 2, (v.height - h * this.z) / 2];
    this.zoomAt(1);
  }

  private down(e: PointerEvent): void {
    this.view.setPointerCapture(e.pointerId);
    this.ptrs.set(e.pointerId, [e.clientX, e.clientY]);
    if (this.ptrs.size === 2) {
      // A second finger: a pinch, and what the first one began is taken back.
      if (this.mode === 'tool') this.tool.end(...this.at(e.clientX, e.clientY), false);
      this.mode = 'pinch';
    } else if (this.ptrs.size > 1 || this.mode) return;
    else if (this.space || e.button === 1) this.mode = 'pan';
    else if (e.button === 0) {
      this.mode = 'tool';
      this.tool.start(...this.at(e.clientX, e.clientY), e.altKey);
    }
  }

  private move(e: PointerEvent): void {
    const v = this.view.getBoundingClientRect();
    const [x, y] = this.at(e.clientX, e.clientY);
    this.tool.hover(x, y, e.clientX - v.x, e.clientY - v.y);
    const last = this.ptrs.get(e.pointerId);
    if (!last) return;
    const now: [number, number] = [e.clientX, e.clientY];
    this.ptrs.set(e.pointerId, now);
    const [dx, dy] = [now[0] - last[0], now[1] - last[1]];
    if (this.mode === 'tool') this.tool.drag(x, y);
    else if (this.mode === 'pan') {
      this.tx += dx;
      this.ty += dy;
      this.zoomAt(1);
    } else if (this.mode === 'pinch') {
      // The midpoint follows half the finger's move; the zoom is the change of the fingers' gap.
      const other = [...this.ptrs.values()].find((p) => p !== now);
      if (!other) return;
      const gap = (p: number[]) => Math.hypot(p[0]! - other[0], p[1]! - other[1]);
      this.tx += dx / 2;
      this.ty += dy / 2;
      this.zoomAt(gap(now) / (gap(last) || 1), (now[0] + other[0]) / 2, (now[1] + other[1]) / 2);
    }
  }

  private up(e: PointerEvent): void {
    if (!this.ptrs.delete(e.pointerId)) return;
    if (this.mode === 'tool') this.tool.end(...this.at(e.clientX, e.clientY), e.type === 'pointerup');
    if (!this.ptrs.size || this.mode !== 'pinch') this.mode = '';
  }
}

// The instant preview of the cheap options (issue 18). A finished card whose job made a plain
// transparent PNG keeps that result as its base; while the panel asks for the card's options but
// another background colour, shadow or crop, render.ts draws that base with them in CSS (a colour
// behind it, a drop-shadow, the crop's box over it), labelled Preview, until Apply has the server
// render them. No DOM here.
import { BACKGROUND_OPTIONS, parseMargin, type JobOptions } from '../options/options.js';
import { fourSides } from '../options/values.js';
import type { JobRequest, PanelResult } from './options-request.js';

/** The options a preview can show; any other difference from the base needs the server. */
const CHEAP = ['bg_color', 'shadow', 'crop', 'crop_margin'];

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}
/** A plain transparent PNG result, what a preview is drawn from. */
export interface Base {
  url: string;
  /** Its request's fields but the cheap ones. */
  rest: string;
  /** The subject's box, and the result's size, in its pixels. */
  fg: Box;
  width: number;
  height: number;
}
export interface Preview {
  url: string;
  /** A CSS colour behind the cutout, or ''. */
  bg: string;
  shadow: boolean;
  /** The crop's box, in percents of the result; null: no crop. */
  box: Box | null;
}

const rest = (r: JobRequest): string => JSON.stringify(Object.entries(r.fields).filter(([name]) => !CHEAP.includes(name)));
const noBackground = (o: JobOptions): boolean => BACKGROUND_OPTIONS.every((name) => o[name] === null);

/** The result as a base for previews, when it is a plain transparent PNG (else null: no preview). */
export function baseOf(request: JobRequest, format: string, url: string, size?: { width: number; height: number; foreground: Box }): Base | null {
  const o = request.options;
  const plain = format === 'png' && noBackground(o) && o.shadow === 'none' && o.crop === false && o.canvas === null && o.scale === 'original' && o.channels === 'rgba';
  return plain && size ? { url, rest: rest(request), fg: size.foreground, width: size.width, height: size.height } : null;
}

/** What the card shows in place of its result while the panel asks for other cheap options (null: nothing to preview). */
export function previewOf(base: Base | null, card: JobRequest, panel: PanelResult): Preview | null {
  if (!base || !panel.ok || panel.request.key === card.key) return null;
  const p = panel.request;
  const o = p.options;
  if (p.background || !noBackground({ ...o, bg_color: null }) || o.crop === 'face' || rest(p) !== base.rest) return null;
  let box: Box | null = null;
  if (o.crop === true) {
    const { fg, width, height } = base;
    const [t, r, b, l] = fourSides(parseMargin(String(o.crop_margin))).map((m, i) => (m.unit === 'px' ? m.value : (m.value / 100) * (i % 2 ? fg.width : fg.height)));
    const x0 = Math.max(0, fg.left - l!);
    const y0 = Math.max(0, fg.top - t!);
    const x1 = Math.min(width, fg.left + fg.width + r!);
    const y1 = Math.min(height, fg.top + fg.height + b!);
    box = { left: (x0 / width) * 100, top: (y0 / height) * 100, width: ((x1 - x0) / width) * 100, height: ((y1 - y0) / height) * 100 };
  }
  return { url: base.url, bg: typeof o.bg_color === 'string' ? o.bg_color : '', shadow: o.shadow === 'soft', box };
}

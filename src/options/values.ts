// Parsers of option values: words, pixels, percents, CSS-like margins, colours, sizes. Each
// throws a sentence (a string) saying what is allowed; the table turns it into an error code.
// Import-free but for import-free modules: the page bundles it.
import { CSS_COLOURS } from './colors.js';
import type { Length, RenderSpec } from './spec.js';

export const oneOf = <T extends string>(values: readonly T[], what: string) => (text: string): T => {
  const v = text.trim().toLowerCase();
  if ((values as readonly string[]).includes(v)) return v as T;
  throw `${what} must be one of ${values.map((x) => `"${x}"`).join(', ')}.`;
};

export const NUMBER = /^\d+(?:\.\d+)?$/;

/** A whole number of pixels in [min, max]; 'none' or empty for null. */
export const pixels = (name: string, min: number, max: number) => (text: string): number | null => {
  const v = text.trim().toLowerCase().replace(/px$/, '');
  if (v === '' || v === 'none') return null;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw `${name} must be a whole number of pixels from ${min} to ${max} (or "none").`;
  return n;
};

/** The largest canvas side, and area: a marketplace main image is 2000–10000 px a side. */
export const MAX_CANVAS_SIDE = 10_000;
export const MAX_CANVAS_PIXELS = 50_000_000;
export const MAX_MARGIN_PX = 500;
export const MAX_MARGIN_PERCENT = 50;

export function parseLength(part: string): Length {
  const m = /^(\d+(?:\.\d+)?)(px|%)?$/.exec(part);
  if (!m) throw `"${part.slice(0, 20)}" is not a length: write pixels like 30px or a percent like 10%.`;
  const value = Number(m[1]);
  const unit = (m[2] ?? 'px') as Length['unit'];
  if (unit === 'px' && (value > MAX_MARGIN_PX || !Number.isInteger(value)))
    throw `a margin in pixels must be a whole number from 0 to ${MAX_MARGIN_PX}.`;
  if (unit === '%' && value > MAX_MARGIN_PERCENT) throw `a margin in percent must be from 0% to ${MAX_MARGIN_PERCENT}%.`;
  return { value, unit };
}

export const lengthText = (l: Length) => `${l.value}${l.unit}`;

/** CSS order: one value for all sides, two for vertical horizontal, four for top right bottom left. */
export function parseMargin(text: string): Length[] {
  const parts = text.trim().toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return parseMargin('0');
  if (parts.length !== 1 && parts.length !== 2 && parts.length !== 4)
    throw 'crop_margin takes 1, 2 or 4 values (all sides; vertical horizontal; top right bottom left), like 30px or 10% or "5% 10%".';
  const lengths = parts.map(parseLength);
  return lengths;
}

export function fourSides(lengths: Length[]): RenderSpec['margin'] {
  const [a, b = a, c = a, d = b] = lengths as [Length, Length?, Length?, Length?];
  return lengths.length === 2 ? [a, b!, a, b!] : [a, b!, c!, d!];
}

export function parseColour(text: string): string {
  const raw = text.trim().toLowerCase();
  const named = CSS_COLOURS[raw];
  const hex = named ?? raw.replace(/^#/, '');
  if (!/^([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/.test(hex))
    throw 'bg_color must be a hex colour (rgb, rgba, rrggbb or rrggbbaa, with or without #) or a CSS colour name like white.';
  const full = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex;
  return `#${full.length === 6 ? `${full}ff` : full}`;
}

export function rgbaOf(hex: string): [number, number, number, number] {
  const h = hex.slice(1);
  return [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number, number];
}

export const percentOf = (text: string, what: string, min: number, max: number): number => {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= min && n <= max)) throw `${what} must be a percent from ${min}% to ${max}%.`;
  return n;
};

export const SIZES = { preview: 250_000, medium: 1_500_000, hd: 4_000_000, full: null } as const;
export type SizeName = keyof typeof SIZES;

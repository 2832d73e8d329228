// The per-job options: ONE table. Each entry is an option's name, how its text is parsed and
// checked, its default, how it applies (it writes into a RenderSpec, which the renderer reads),
// its OpenAPI text and example, its page control and its CLI flag. Adding an option means adding
// one entry here (and, if it is a new kind of effect, teaching the renderer that effect).
// Import-free but for other import-free modules: the page bundles it.
import { InvalidOptionError } from '../errors.js';
import { CSS_COLOURS } from './colors.js';
import type { OutputFormat } from '../vocabulary.js';

/** A length on one side: pixels, or a percent (of the subject, or of the canvas with `canvas`). */
export interface Length {
  value: number;
  unit: 'px' | '%';
}

/** What the renderer does, read from the options by their `apply`. */
export interface RenderSpec {
  format: OutputFormat | 'auto';
  /** Largest output in pixels (width × height), or null for the input's size. */
  maxPixels: number | null;
  maxWidth: number | null;
  maxHeight: number | null;
  crop: 'none' | 'subject' | 'face';
  /** Top, right, bottom, left. */
  margin: [Length, Length, Length, Length];
  canvas: { width: number; height: number } | null;
  /** Where the subject goes in free space: fractions 0..1, or where it was in the photo. */
  position: 'original' | { x: number; y: number };
  /** The subject's size relative to the output (0.1..1), or null to keep its size. */
  scale: number | null;
  background:
    | { kind: 'none' }
    | { kind: 'color'; rgba: [number, number, number, number] }
    | { kind: 'image' }
    | { kind: 'blur'; amount: number };
  shadow: 'none' | 'soft';
  channels: 'rgba' | 'alpha';
}

export const blankSpec = (): RenderSpec => ({
  format: 'png',
  maxPixels: null,
  maxWidth: null,
  maxHeight: null,
  crop: 'none',
  margin: [0, 0, 0, 0].map(() => ({ value: 0, unit: 'px' as const })) as RenderSpec['margin'],
  canvas: null,
  position: 'original',
  scale: null,
  background: { kind: 'none' },
  shadow: 'none',
  channels: 'rgba',
});

type Json = string | number | boolean | null;

/** How the page shows an option. */
export type Control =
  | { kind: 'select'; label: string; choices: readonly (readonly [value: string, label: string])[] }
  | { kind: 'text'; label: string; placeholder: string }
  | { kind: 'color'; label: string }
  | { kind: 'range'; label: string; min: number; max: number }
  | { kind: 'file'; label: string };

export interface OptionEntry<V extends Json> {
  /** The form field and query parameter. */
  name: string;
  /** The CLI flag, without dashes. */
  flag: string;
  default: V;
  /** Text (form field, query parameter, flag) → normalised value; throws a sentence (string) when refused. */
  parse(text: string): V;
  /** Normalised value → the text a client sends. */
  text(value: V): string;
  /** Writes the option's effect into the spec. */
  apply(spec: RenderSpec, value: V): void;
  /** OpenAPI: what it does and what it accepts; an example; the allowed words, if it is a choice. */
  description: string;
  example: string;
  values?: readonly string[];
  /** A file field (bg_image): its normalised value is the file's sha256, set by the api. */
  file?: true;
  control: Control;
}

const option = <V extends Json>(entry: OptionEntry<V>): OptionEntry<V> => entry;

const oneOf = <T extends string>(values: readonly T[], what: string) => (text: string): T => {
  const v = text.trim().toLowerCase();
  if ((values as readonly string[]).includes(v)) return v as T;
  throw `${what} must be one of ${values.map((x) => `"${x}"`).join(', ')}.`;
};

const NUMBER = /^\d+(?:\.\d+)?$/;

/** A whole number of pixels in [min, max]; 'none' or empty for null. */
const pixels = (name: string, min: number, max: number) => (text: string): number | null => {
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

function parseLength(part: string): Length {
  const m = /^(\d+(?:\.\d+)?)(px|%)?$/.exec(part);
  if (!m) throw `"${part.slice(0, 20)}" is not a length: write pixels like 30px or a percent like 10%.`;
  const value = Number(m[1]);
  const unit = (m[2] ?? 'px') as Length['unit'];
  if (unit === 'px' && (value > MAX_MARGIN_PX || !Number.isInteger(value)))
    throw `a margin in pixels must be a whole number from 0 to ${MAX_MARGIN_PX}.`;
  if (unit === '%' && value > MAX_MARGIN_PERCENT) throw `a margin in percent must be from 0% to ${MAX_MARGIN_PERCENT}%.`;
  return { value, unit };
}

const lengthText = (l: Length) => `${l.value}${l.unit}`;

/** CSS order: one value for all sides, two for vertical horizontal, four for top right bottom left. */
export function parseMargin(text: string): Length[] {
  const parts = text.trim().toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return parseMargin('0');
  if (parts.length !== 1 && parts.length !== 2 && parts.length !== 4)
    throw 'crop_margin takes 1, 2 or 4 values (all sides; vertical horizontal; top right bottom left), like 30px or 10% or "5% 10%".';
  const lengths = parts.map(parseLength);
  return lengths;
}

function fourSides(lengths: Length[]): RenderSpec['margin'] {
  const [a, b = a, c = a, d = b] = lengths as [Length, Length?, Length?, Length?];
  return lengths.length === 2 ? [a, b!, a, b!] : [a, b!, c!, d!];
}

function parseColour(text: string): string {
  const raw = text.trim().toLowerCase();
  const named = CSS_COLOURS[raw];
  const hex = named ?? raw.replace(/^#/, '');
  if (!/^([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/.test(hex))
    throw 'bg_color must be a hex colour (rgb, rgba, rrggbb or rrggbbaa, with or without #) or a CSS colour name like white.';
  const full = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex;
  return `#${full.length === 6 ? `${full}ff` : full}`;
}

function rgbaOf(hex: string): [number, number, number, number] {
  const h = hex.slice(1);
  return [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number, number];
}

const percentOf = (text: string, what: string, min: number, max: number): number => {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= min && n <= max)) throw `${what} must be a percent from ${min}% to ${max}%.`;
  return n;
};

const SIZES = { preview: 250_000, medium: 1_500_000, hd: 4_000_000, full: null } as const;
type SizeName = keyof typeof SIZES;

/** Every option, in the order they are documented, shown and applied. */
export const OPTIONS = [
  option<string>({
    name: 'format',
    flag: 'format',
    default: 'png',
    values: ['png', 'webp', 'jpg', 'auto'],
    parse: (t) => oneOf(['png', 'webp', 'jpg', 'jpeg', 'auto'] as const, 'format')(t).replace('jpeg', 'jpg'),
    text: (v) => v,
    apply: (spec, v) => void (spec.format = v as RenderSpec['format']),
    description:
      'The result file: `png` (with transparency), `webp` (lossless, with transparency), `jpg` (no transparency: on `bg_color`, or white), ' +
      'or `auto` (PNG when any pixel is transparent, otherwise JPEG).',
    example: 'webp',
    control: { kind: 'select', label: 'Format', choices: [['png', 'PNG'], ['webp', 'WebP'], ['jpg', 'JPEG'], ['auto', 'Auto']] },
  }),
  option<string>({
    name: 'size',
    flag: 'size',
    default: 'full',
    values: Object.keys(SIZES),
    parse: (t) => oneOf(Object.keys(SIZES) as SizeName[], 'size')(t),
    text: (v) => v,
    apply: (spec, v) => void (spec.maxPixels = SIZES[v as SizeName]),
    description:
      'The most pixels the result may have: `preview` (0.25 MP), `medium` (1.5 MP), `hd` (4 MP) or `full` (the photo\'s own size). ' +
      'Results are made smaller, never larger. Not with `canvas`, which sets the size exactly.',
    example: 'hd',
    control: { kind: 'select', label: 'Size', choices: [['full', 'Full'], ['hd', 'HD (4 MP)'], ['medium', 'Medium (1.5 MP)'], ['preview', 'Preview (0.25 MP)']] },
  }),
  option<number | null>({
    name: 'max_width',
    flag: 'max-width',
    default: null,
    parse: pixels('max_width', 1, MAX_CANVAS_SIDE),
    text: (v) => (v === null ? 'none' : String(v)),
    apply: (spec, v) => void (spec.maxWidth = v),
    description: 'The widest the result may be, in pixels (it is made smaller, never larger). Not with `canvas`.',
    example: '1200',
    control: { kind: 'text', label: 'Max width', placeholder: 'px' },
  }),
  option<number | null>({
    name: 'max_height',
    flag: 'max-height',
    default: null,
    parse: pixels('max_height', 1, MAX_CANVAS_SIDE),
    text: (v) => (v === null ? 'none' : String(v)),
    apply: (spec, v) => void (spec.maxHeight = v),
    description: 'The tallest the result may be, in pixels (it is made smaller, never larger). Not with `canvas`.',
    example: '1200',
    control: { kind: 'text', label: 'Max height', placeholder: 'px' },
  }),
  option<boolean | string>({
    name: 'crop',
    flag: 'crop',
    default: false,
    values: ['false', 'true', 'face'],
    parse: (t) => {
      const v = oneOf(['false', 'true', 'face', 'subject', 'none', '0', '1'] as const, 'crop')(t);
      return v === 'face' ? 'face' : v === 'true' || v === 'subject' || v === '1';
    },
    text: (v) => String(v),
    apply: (spec, v) => void (spec.crop = v === 'face' ? 'face' : v ? 'subject' : 'none'),
    description:
      '`true`: crop to the subject (its bounding box); `face`: a head-and-shoulders crop around the largest face ' +
      '(the job fails with `no_face_found` when there is none); `false`: keep the photo\'s framing.',
    example: 'true',
    control: { kind: 'select', label: 'Crop', choices: [['false', 'None'], ['true', 'Subject'], ['face', 'Face']] },
  }),
  option<string>({
    name: 'crop_margin',
    flag: 'crop-margin',
    default: '0px',
    parse: (t) => parseMargin(t).map(lengthText).join(' '),
    text: (v) => v,
    apply: (spec, v) => void (spec.margin = fourSides(parseMargin(v))),
    description:
      'Space around the subject, like CSS: one value (all sides), two (top/bottom, left/right) or four (top, right, bottom, left); ' +
      `each in pixels (\`30px\`, at most ${MAX_MARGIN_PX}) or percent (\`10%\`, at most ${MAX_MARGIN_PERCENT}%: of the subject with \`crop\`, of the canvas with \`canvas\`). ` +
      'Applies with `crop` or `canvas`.',
    example: '5%',
    control: { kind: 'text', label: 'Margin', placeholder: '0px, 10%, 5% 10%' },
  }),
  option<string | null>({
    name: 'canvas',
    flag: 'canvas',
    default: null,
    parse: (t) => {
      const v = t.trim().toLowerCase();
      if (v === '' || v === 'none') return null;
      const m = /^(\d{1,6})x(\d{1,6})$/.exec(v);
      const w = Number(m?.[1]);
      const h = Number(m?.[2]);
      if (!m || w < 1 || h < 1 || w > MAX_CANVAS_SIDE || h > MAX_CANVAS_SIDE || w * h > MAX_CANVAS_PIXELS)
        throw `canvas must be WIDTHxHEIGHT in pixels, each from 1 to ${MAX_CANVAS_SIDE} and at most ${MAX_CANVAS_PIXELS / 1e6} megapixels in all, like 2000x2000.`;
      return `${w}x${h}`;
    },
    text: (v) => v ?? 'none',
    apply: (spec, v) => {
      if (!v) return;
      const [width, height] = v.split('x').map(Number) as [number, number];
      spec.canvas = { width, height };
    },
    description:
      'An exact output size, WIDTHxHEIGHT: the subject is fitted inside, within `crop_margin`, at `position` (centred by default). ' +
      'For marketplace main images: `canvas=2000x2000&bg_color=white&crop_margin=5%`.',
    example: '2000x2000',
    control: { kind: 'text', label: 'Canvas', placeholder: '2000x2000' },
  }),
  option<string>({
    name: 'position',
    flag: 'position',
    default: 'original',
    parse: (t) => {
      const v = t.trim().toLowerCase();
      if (v === 'original' || v === 'center' || v === 'centre' || v === '') return v === 'original' || v === '' ? 'original' : 'center';
      const parts = v.split(/[\s,]+/);
      if (parts.length <= 2 && parts.every((p) => /^\d+(?:\.\d+)?%$/.test(p) && Number(p.slice(0, -1)) <= 100)) {
        const [x, y = x] = parts as [string, string?];
        return `${Number(x!.slice(0, -1))}% ${Number(y!.slice(0, -1))}%`;
      }
      throw 'position must be "center", "original", or one or two percents (horizontal vertical) from 0% to 100%, like "50% 100%".';
    },
    text: (v) => v,
    apply: (spec, v) => {
      if (v === 'original') spec.position = 'original';
      else if (v === 'center') spec.position = { x: 0.5, y: 0.5 };
      else {
        const [x, y] = v.split(' ').map((p) => Number(p.slice(0, -1)) / 100) as [number, number];
        spec.position = { x, y };
      }
    },
    description:
      'Where the subject goes in the free space, with `canvas` or `scale`: `center`, `original` (where it was in the photo; ' +
      'with `canvas`, centred), or horizontal and vertical percents (`50% 100%`: centred, at the bottom).',
    example: 'center',
    control: { kind: 'text', label: 'Position', placeholder: 'center, 50% 100%' },
  }),
  option<string>({
    name: 'scale',
    flag: 'scale',
    default: 'original',
    parse: (t) => {
      const v = t.trim().toLowerCase();
      if (v === 'original' || v === '') return 'original';
      return `${percentOf(v, 'scale', 10, 100)}%`;
    },
    text: (v) => v,
    apply: (spec, v) => void (spec.scale = v === 'original' ? null : Number(v.slice(0, -1)) / 100),
    description:
      'The subject\'s size relative to the output, `10%`–`100%` (its longer side, as a share of the output\'s): ' +
      'the same size for every product in a catalogue. `original` keeps its size.',
    example: '80%',
    control: { kind: 'text', label: 'Scale', placeholder: 'original, 80%' },
  }),
  option<string | null>({
    name: 'bg_color',
    flag: 'bg-color',
    default: null,
    parse: (t) => (t.trim() === '' || t.trim().toLowerCase() === 'none' ? null : parseColour(t)),
    text: (v) => v ?? 'none',
    apply: (spec, v) => {
      if (v) spec.background = { kind: 'color', rgba: rgbaOf(v) };
    },
    description: 'A background colour: hex `rgb`, `rgba`, `rrggbb` or `rrggbbaa` (with or without `#`), or a CSS colour name like `white`.',
    example: 'ffffff',
    control: { kind: 'color', label: 'Colour' },
  }),
  option<string | null>({
    name: 'bg_image',
    flag: 'bg-image',
    default: null,
    file: true,
    // The api reads the file and puts its sha256 here; a client never sends this text.
    parse: (t) => {
      if (!/^[0-9a-f]{64}$/.test(t)) throw 'bg_image must be an image file sent in the form field "bg_image".';
      return t;
    },
    text: (v) => v ?? 'none',
    apply: (spec, v) => {
      if (v) spec.background = { kind: 'image' };
    },
    description: 'A background image (a second file field, same formats and limits as `file`), resized to cover the output and centred.',
    example: '(file)',
    control: { kind: 'file', label: 'Image' },
  }),
  option<number | null>({
    name: 'bg_blur',
    flag: 'bg-blur',
    default: null,
    parse: (t) => {
      const v = t.trim().toLowerCase();
      if (v === '' || v === 'none') return null;
      if (!NUMBER.test(v) || Number(v) > 100) throw 'bg_blur must be a number from 0 to 100 (how much the photo behind the subject is blurred).';
      return Math.round(Number(v));
    },
    text: (v) => (v === null ? 'none' : String(v)),
    apply: (spec, v) => {
      if (v !== null) spec.background = { kind: 'blur', amount: v };
    },
    description: 'The original photo, blurred, as the background (a portrait effect): `0` (sharp) to `100` (very blurred).',
    example: '40',
    control: { kind: 'range', label: 'Blur', min: 0, max: 100 },
  }),
  option<string>({
    name: 'shadow',
    flag: 'shadow',
    default: 'none',
    values: ['none', 'soft'],
    parse: oneOf(['none', 'soft'] as const, 'shadow'),
    text: (v) => v,
    apply: (spec, v) => void (spec.shadow = v as RenderSpec['shadow']),
    description: '`soft`: a soft contact shadow under the subject, made from its mask. `none`: no shadow.',
    example: 'soft',
    control: { kind: 'select', label: 'Shadow', choices: [['none', 'None'], ['soft', 'Soft']] },
  }),
  option<string>({
    name: 'channels',
    flag: 'channels',
    default: 'rgba',
    values: ['rgba', 'alpha'],
    parse: oneOf(['rgba', 'alpha'] as const, 'channels'),
    text: (v) => v,
    apply: (spec, v) => void (spec.channels = v as RenderSpec['channels']),
    description: '`rgba`: the cut-out subject. `alpha`: the mask alone, an 8-bit greyscale image (white = subject), framed like the `rgba` result.',
    example: 'alpha',
    control: { kind: 'select', label: 'Output', choices: [['rgba', 'Cut-out'], ['alpha', 'Mask only']] },
  }),
] as const;

export type OptionName = (typeof OPTIONS)[number]['name'];
export const OPTION_NAMES: readonly string[] = OPTIONS.map((o) => o.name);
export const isOptionName = (name: string): boolean => OPTION_NAMES.includes(name);
/** The options that are files (bg_image), not text. */
export const FILE_OPTIONS: readonly string[] = OPTIONS.filter((o) => (o as OptionEntry<Json>).file).map((o) => o.name);

/** Every option with its normalised value: what a job remembers and the status shows. */
export type JobOptions = Record<string, Json>;

const entry = (name: string) => OPTIONS.find((o) => o.name === name) as unknown as OptionEntry<Json>;

export const defaultOptions = (): JobOptions => Object.fromEntries(OPTIONS.map((o) => [o.name, o.default]));

/** The background options: only one at a time. */
export const BACKGROUND_OPTIONS: readonly string[] = ['bg_color', 'bg_image', 'bg_blur'];

/**
 * Parses the options a client gave (name → text), checks each and how they combine, and returns
 * every option with its normalised value. Throws an InvalidOptionError (`invalid_<name>`,
 * `multiple_bg_sources`, `unknown_option`) with a sentence saying what is allowed.
 */
export function parseOptions(given: Record<string, string>): JobOptions {
  const options = defaultOptions();
  for (const [name, text] of Object.entries(given)) {
    if (!isOptionName(name)) {
      throw new InvalidOptionError('unknown_option', `"${name.slice(0, 64)}" is not an option. The options are: ${OPTION_NAMES.join(', ')}.`);
    }
    try {
      options[name] = entry(name).parse(String(text).slice(0, 200));
    } catch (err) {
      if (typeof err !== 'string') throw err;
      // A sentence starts with a capital, unless it starts with an option's name (bg_color stays bg_color).
      const sentence = /^[a-z]+_/.test(err) ? err : `${err[0]!.toUpperCase()}${err.slice(1)}`;
      throw new InvalidOptionError(`invalid_${name}`, sentence);
    }
  }
  return checkCombination(options);
}

function checkCombination(options: JobOptions): JobOptions {
  const backgrounds = BACKGROUND_OPTIONS.filter((name) => options[name] !== null);
  if (backgrounds.length > 1) {
    throw new InvalidOptionError(
      'multiple_bg_sources',
      `Only one background at a time: ${backgrounds.join(' and ')} were both given. Choose bg_color, bg_image or bg_blur.`,
    );
  }
  if (options.canvas !== null) {
    for (const name of ['max_width', 'max_height'] as const)
      if (options[name] !== null) throw new InvalidOptionError(`invalid_${name}`, `The option ${name} cannot be combined with canvas: the canvas sets the output size exactly.`);
    if (options.size !== 'full') throw new InvalidOptionError('invalid_size', 'The option size cannot be combined with canvas: the canvas sets the output size exactly.');
  }
  if (options.position !== 'original' && options.canvas === null && options.scale === 'original') {
    throw new InvalidOptionError('invalid_position', 'The option position applies with canvas or scale: give one of them, or leave position out.');
  }
  return options;
}

/** The spec the renderer follows, from normalised options. */
export function renderSpec(options: JobOptions): RenderSpec {
  const spec = blankSpec();
  for (const o of OPTIONS) (o as unknown as OptionEntry<Json>).apply(spec, options[o.name] ?? o.default);
  return spec;
}

/** The options that differ from their defaults, as text: for a query string, a form or CLI flags. */
export function optionsAsText(options: JobOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of OPTIONS) {
    const e = o as unknown as OptionEntry<Json>;
    const v = options[o.name] ?? e.default;
    if (v !== e.default && !e.file) out[o.name] = e.text(v);
  }
  return out;
}

/** A stable key of normalised options (every option, in table order), for the result cache. */
export const optionsKey = (options: JobOptions): string => JSON.stringify(OPTIONS.map((o) => options[o.name] ?? o.default));

export { entry as optionEntry };

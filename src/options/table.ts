// The per-job options: ONE table. Each entry is an option's name, how its text is parsed and
// checked, its default, how it applies (it writes into a RenderSpec, which the renderer reads),
// its OpenAPI text and example, its page control and its CLI flag. Adding an option means adding
// one entry here (and, if it is a new kind of effect, teaching the renderer that effect).
// What an entry is: spec.ts; the value parsers: values.ts; reading a request's options: options.ts.
// Import-free but for import-free modules: the page bundles it.
import type { Json, OptionEntry, RenderSpec } from './spec.js';
import {
  fourSides,
  lengthText,
  MAX_CANVAS_PIXELS,
  MAX_CANVAS_SIDE,
  MAX_MARGIN_PERCENT,
  MAX_MARGIN_PX,
  NUMBER,
  oneOf,
  parseColour,
  parseMargin,
  percentOf,
  pixels,
  rgbaOf,
  SIZES,
  type SizeName,
} from './values.js';

const option = <V extends Json>(entry: OptionEntry<V>): OptionEntry<V> => entry;

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
  option<string>({
    name: 'refine',
    flag: 'refine',
    default: 'fast',
    values: ['none', 'fast'],
    parse: oneOf(['none', 'fast'] as const, 'refine'),
    text: (v) => v,
    apply: (spec, v) => void (spec.refine = v as RenderSpec['refine']),
    description:
      '`fast`: the edges are refined at the photo\'s full resolution (a guided filter snaps the mask to the photo\'s edges) and edge pixels get ' +
      'the subject\'s own colour, not a mix with the old background (no halo on a new background); about 0.1 s at 12 MP. ' +
      '`none`: the model\'s mask as it is, enlarged to the photo (exactly what rembg gives).',
    example: 'fast',
    control: { kind: 'select', label: 'Refine edges', choices: [['fast', 'Fast'], ['none', 'None']] },
  }),
  option<string | null>({
    name: 'model',
    flag: 'model',
    default: null,
    parse: (t) => {
      const v = t.trim();
      if (v === '' || v === 'default') return null;
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(v)) throw 'model: a model name from GET /models, like isnet-general-use.';
      return v;
    },
    text: (v) => v ?? '',
    apply: () => undefined, // the worker picks the model (it is not a rendering effect)
    description:
      'Which model cuts the subject out: a name listed by `GET /models` as loaded (the default is the first in the service\'s `MODELS`). ' +
      'An unknown or unloaded name is a 400 `invalid_model` that lists the available ones; a loaded one no live worker serves yet (`available`: false) is accepted and waits in line.',
    example: 'isnet-general-use',
    // The page fills in the loaded models (GET /models) and shows the picker when there is more than one.
    control: { kind: 'select', label: 'Model', choices: [['', 'Default']] },
  }),
] as const;

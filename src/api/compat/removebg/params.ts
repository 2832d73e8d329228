// remove.bg's parameters (its published OpenAPI document, RemoveBgJson/RemoveBgMultipart) onto
// Cutout's options (src/options/table.ts). Each parameter is one entry: it checks its value in
// remove.bg's terms and writes Cutout options, or says it has no effect here (`ignored`, sent
// back in X-Cutout-Ignored), never silently doing something else.
import { badRequest, type HttpError } from '../../http-errors.js';

/** What a request's parameters become. */
export interface Translation {
  /** Cutout options, as text (parsed and checked by the options table). */
  options: Record<string, string>;
  /** format=zip: the job makes a PNG, answered as remove.bg's color.jpg + alpha.png. */
  zip: boolean;
  /** Parameters accepted but without effect here (remove.bg's own documented fallbacks). */
  ignored: string[];
}

const invalid = (name: string, what: string) => badRequest(`Invalid ${name} parameter given: ${what}`, `invalid_${name}`);

function word<T extends string>(name: string, words: readonly T[], text: string): T {
  const v = text.trim().toLowerCase();
  if (!(words as readonly string[]).includes(v)) throw invalid(name, `it must be one of ${words.join(', ')}.`);
  return v as T;
}

const BOOLEANS = ['true', 'false', '1', '0'] as const;
const bool = (name: string, text: string) => ['true', '1'].includes(word(name, BOOLEANS, text));

/** remove.bg's sizes (with their aliases) → Cutout's. `auto` is the highest available: the photo's own. */
const SIZE: Record<string, string> = { preview: 'preview', small: 'preview', regular: 'preview', medium: 'medium', hd: 'hd', full: 'full', '4k': 'full', auto: 'full' };

type Entry = (text: string, t: Translation, all: Record<string, string>) => void;

/** remove.bg's region of interest: the whole image is the only region Cutout can honour today. */
function roi(text: string): void {
  const parts = text.trim().toLowerCase().split(/\s+/);
  if (parts.length !== 4 || !parts.every((p) => /^\d+(\.\d+)?(px|%)$/.test(p))) {
    throw invalid('roi', 'it must be "x1 y1 x2 y2", each in pixels (30px) or percent (10%), like "0% 0% 100% 100%".');
  }
  const zero = (p: string) => Number.parseFloat(p) === 0;
  const whole = zero(parts[0]!) && zero(parts[1]!) && parts[2] === '100%' && parts[3] === '100%';
  if (!whole) {
    throw badRequest(
      'Invalid roi parameter given: a region of interest other than the whole image ("0% 0% 100% 100%") is not supported by this server yet. Crop the image before sending it.',
      'invalid_roi',
    );
  }
}

const ENTRIES: Record<string, Entry> = {
  size: (v, t) => void (t.options.size = SIZE[word('size', Object.keys(SIZE), v)]!),
  format: (v, t) => {
    const f = word('format', ['auto', 'png', 'jpg', 'jpeg', 'zip'] as const, v);
    t.zip = f === 'zip';
    t.options.format = f === 'zip' ? 'png' : f;
  },
  crop: (v, t) => void (t.options.crop = String(bool('crop', v))),
  crop_margin: (v, t) => void (t.options.crop_margin = v),
  scale: (v, t, all) => {
    t.options.scale = v;
    // remove.bg: "Scaling the subject implies position=center (unless specified otherwise)".
    if (all.position === undefined && v.trim().toLowerCase() !== 'original') t.options.position = 'center';
  },
  position: (v, t) => {
    if (v.trim().toLowerCase() !== 'original') t.options.position = v;
  },
  roi,
  channels: (v, t) => void (t.options.channels = v),
  bg_color: (v, t) => {
    if (v.trim() !== '') t.options.bg_color = v;
  },
  add_shadow: (v, t) => void (t.options.shadow = bool('add_shadow', v) ? 'soft' : 'none'),
  type: (v, t) => {
    if (word('type', ['auto', 'person', 'product', 'car'] as const, v) !== 'auto') t.ignored.push('type');
  },
  type_level: (v, t) => {
    if (word('type_level', ['none', '1', '2', 'latest'] as const, v) !== 'none') t.ignored.push('type_level');
  },
  semitransparency: (v, t) => {
    // Cutout's masks keep soft, semi-transparent edges whatever this says.
    if (!bool('semitransparency', v)) t.ignored.push('semitransparency');
  },
  shadow_method: (v, t) => {
    word('shadow_method', ['latest', 'legacy'] as const, v);
    t.ignored.push('shadow_method');
  },
};

/** The parameters this endpoint takes besides the image sources and the background sources. */
export const PARAMETER_NAMES = Object.keys(ENTRIES);

export const unknownParameter = (name: string): HttpError =>
  badRequest(
    `The parameter "${name.slice(0, 64)}" is not one of remove.bg's: send the image in image_file, image_file_b64 or image_url, and the parameters ${PARAMETER_NAMES.join(', ')}, bg_image_url, bg_image_file.`,
    'unknown_parameter',
  );

/** remove.bg's parameters (name → text) as Cutout options. Throws a 400 in remove.bg's codes. */
export function translateParams(given: Record<string, string>): Translation {
  const t: Translation = { options: { size: 'preview', format: 'auto' }, zip: false, ignored: [] };
  for (const [name, text] of Object.entries(given)) {
    const entry = ENTRIES[name];
    if (!entry) throw unknownParameter(name);
    entry(text, t, given);
  }
  return t;
}

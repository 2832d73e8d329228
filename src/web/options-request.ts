// The panel's choices as a job request: validated with the api's own parseOptions, sent as the
// non-default fields (optionsAsText) plus the background image file. No DOM here.
import { InvalidOptionError } from '../errors.js';
import { BACKGROUND_OPTIONS, OPTIONS, optionEntry, optionsAsText, parseOptions, type JobOptions } from '../options/options.js';

/** What the panel holds: each option's text as typed or chosen, and which background is on. */
export interface PanelValues {
  /** Option name → text (the inactive backgrounds keep theirs, for when they are chosen again). */
  texts: Record<string, string>;
  /** 'none' or one of BACKGROUND_OPTIONS. */
  background: string;
  /** The background image, when that is the background. */
  file?: File;
}

export interface JobRequest {
  /** The options that differ from their defaults, as form fields. */
  fields: Record<string, string>;
  /** The background image file (the bg_image form field). */
  background?: File;
  /** Every option, normalised (bg_image: a stand-in until the api hashes the file). */
  options: JobOptions;
  /** Equal keys: the same request. */
  key: string;
}

export type PanelResult = { ok: true; request: JobRequest } | { ok: false; code: string; message: string };

/** A file option's value before the api has hashed the file: enough for parseOptions' checks. */
const FILE_STAND_IN = '0'.repeat(64);

export const isBackground = (name: string): boolean => BACKGROUND_OPTIONS.includes(name);
const isFile = (name: string): boolean => optionEntry(name).file === true;

/** The default request: what a page with an untouched panel sends (nothing). */
export const DEFAULT_REQUEST: JobRequest = { fields: {}, options: parseOptions({}), key: '{}' };

/** The panel's values as a request, or the sentence saying what is wrong (nothing is sent then). */
export function toRequest(v: PanelValues): PanelResult {
  const given: Record<string, string> = {};
  for (const o of OPTIONS) if (!isBackground(o.name) && v.texts[o.name] !== undefined) given[o.name] = v.texts[o.name]!;
  if (v.background !== 'none') {
    if (isFile(v.background)) {
      if (!v.file) return { ok: false, code: `invalid_${v.background}`, message: 'Choose a background image file, or another background.' };
      given[v.background] = FILE_STAND_IN;
    } else {
      given[v.background] = v.texts[v.background] ?? '';
    }
  }
  let options: JobOptions;
  try {
    options = parseOptions(given);
  } catch (err) {
    if (err instanceof InvalidOptionError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
  const fields = optionsAsText(options);
  const file = v.background !== 'none' && isFile(v.background) ? v.file : undefined;
  const key = JSON.stringify(fields) + (file ? `|${file.name}|${file.size}|${file.lastModified}` : '');
  return { ok: true, request: { fields, background: file, options, key } };
}

/** A choice's words (select controls), else the text itself. */
function valueWords(name: string, text: string): string {
  const control = optionEntry(name).control;
  return control.kind === 'select' ? (control.choices.find(([v]) => v === text)?.[1] ?? text) : text;
}

/** A request in a few words for a person: "Format WebP · Crop Subject · Background #ffffff". */
export function describe(request: JobRequest): string {
  const parts: string[] = [];
  for (const [name, text] of Object.entries(request.fields)) {
    const { control } = optionEntry(name);
    if (isBackground(name)) parts.push(`Background ${control.kind === 'color' ? text.replace(/^(#\w{6})ff$/, '$1') : `${control.label.toLowerCase()} ${text}`}`);
    else parts.push(`${control.label} ${valueWords(name, text)}`);
  }
  if (request.background) parts.push('Background image');
  return parts.join(' · ');
}

/** Whether the result has transparent pixels to show over a backdrop (no background, not JPEG, not a mask). */
export function mayBeTransparent(options: JobOptions, format: string): boolean {
  if (format === 'jpg' || options.channels === 'alpha') return false;
  const bg = BACKGROUND_OPTIONS.find((name) => options[name] !== null);
  return !bg || (bg === 'bg_color' && !String(options.bg_color).endsWith('ff'));
}

/** Whether the options change the photo's framing (the result no longer lies on the original). */
export const reframes = (o: JobOptions): boolean => o.crop !== false || o.canvas !== null || o.scale !== 'original';

/** A result format as a person writes it, from the format control's own words: "WebP". */
export function formatWords(format: string): string {
  if (format === 'auto') return 'image';
  return valueWords('format', format);
}

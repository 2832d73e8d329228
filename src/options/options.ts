// Reading options from a request and giving them to the renderer: parse and check each one, and
// how they combine (the table, table.ts, says what each accepts); defaults; the render spec; the
// text form (query, form, flags); the cache key. Import-free but for import-free modules.
import { InvalidOptionError } from '../errors.js';
import type { Json, OptionEntry, RenderSpec } from './spec.js';
import { blankSpec } from './spec.js';
import { OPTIONS } from './table.js';

export { OPTIONS } from './table.js';
export type { Control, Json, Length, OptionEntry, RenderSpec } from './spec.js';
export { MAX_CANVAS_PIXELS, MAX_CANVAS_SIDE, MAX_MARGIN_PERCENT, MAX_MARGIN_PX, parseMargin } from './values.js';

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

// rembg's server parameters (rembg/commands/s_command.py, CommonQueryParams) onto Cutout's
// options: `om` is the mask alone (channels=alpha), `bgc` a background colour; the rest is checked
// as rembg checks it: alpha matting `a` is Cutout's edge refinement (refine=fast; without it,
// refine=none, so the answer is rembg's own, pixel for pixel); `af`/`ab`/`ae` are checked and have
// no effect (refine has no thresholds); `model` is the catalogue's model of that name when this
// service has it loaded (MODELS), otherwise the default model answers; `ppm` (no mask
// post-processing), `extras` (ignored, as rembg ignores extras it cannot parse) and a `model` not
// loaded here are named in X-Cutout-Ignored when they ask for something.
import { HttpError } from '../../http-errors.js';

/** rembg's model names (its sessions), matched as rembg matches them: anywhere in the value. */
export const REMBG_MODELS = [
  'u2net', 'u2netp', 'u2net_human_seg', 'u2net_cloth_seg', 'u2net_custom', 'silueta', 'isnet-general-use', 'isnet-anime', 'dis_custom', 'sam',
  'birefnet-general', 'birefnet-general-lite', 'birefnet-portrait', 'birefnet-dis', 'birefnet-hrsod', 'birefnet-cod', 'birefnet-massive', 'bria-rmbg', 'ben_custom',
];

export const REMBG_PARAMETERS = ['model', 'a', 'af', 'ab', 'ae', 'om', 'ppm', 'bgc', 'extras'];

export interface RembgTranslation {
  options: Record<string, string>;
  ignored: string[];
}

/** A value FastAPI would refuse: 422, as rembg answers it. */
export const unprocessable = (name: string, message: string) => new HttpError(422, `invalid_${name}`, `${name}: ${message}`);

/** FastAPI's booleans. */
function bool(name: string, text: string): boolean {
  const v = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
  throw unprocessable(name, 'Input should be a valid boolean (true or false).');
}

function int(name: string, text: string, max?: number): number {
  const v = text.trim();
  const n = Number(v);
  if (!/^-?\d+$/.test(v)) throw unprocessable(name, 'Input should be a valid integer.');
  if (n < 0 || (max !== undefined && n > max)) throw unprocessable(name, `Input should be from 0${max === undefined ? '' : ` to ${max}`}.`);
  return n;
}

/** rembg's bgc, "r,g,b,a" (0–255 each; a may be left out), as a hex colour. */
function colour(text: string): string {
  const parts = text.split(',').map((p) => p.trim());
  if ((parts.length !== 3 && parts.length !== 4) || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw unprocessable('bgc', 'a background colour is "r,g,b,a", each from 0 to 255, like 255,255,255,255.');
  }
  return parts.map((p) => Number(p).toString(16).padStart(2, '0')).join('');
}

/** rembg's parameters (name → text) as Cutout options. Unknown names are ignored, as FastAPI does. */
export function translateRembg(given: Record<string, string>, loadedModels: readonly string[] = []): RembgTranslation {
  const t: RembgTranslation = { options: { format: 'png', refine: 'none' }, ignored: [] };
  const model = given.model;
  if (model !== undefined) {
    if (!REMBG_MODELS.some((m) => model.includes(m))) throw unprocessable('model', `String should match one of rembg's models (${REMBG_MODELS.join(', ')}).`);
    if (loadedModels.includes(model)) t.options.model = model;
    else t.ignored.push('model');
  }
  if (given.a !== undefined && bool('a', given.a)) t.options.refine = 'fast';
  for (const name of ['af', 'ab'] as const) if (given[name] !== undefined) int(name, given[name], 255);
  if (given.ae !== undefined) int('ae', given.ae);
  const onlyMask = given.om !== undefined && bool('om', given.om);
  if (onlyMask) t.options.channels = 'alpha';
  if (given.ppm !== undefined && bool('ppm', given.ppm)) t.ignored.push('ppm');
  // rembg: a background colour does not apply to the mask alone.
  if (given.bgc) {
    const hex = colour(given.bgc);
    if (!onlyMask) t.options.bg_color = hex;
  }
  if (given.extras) t.ignored.push('extras');
  return t;
}

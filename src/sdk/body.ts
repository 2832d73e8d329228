// Request bodies: option fields as the api reads them (text), files as multipart parts, and the
// JSON form for sources that are addresses.
import { SDK_OPTION_NAMES, type Bytes, type CutoutOptions, type FileSource, type ImageSource, type RequestExtras } from './types.js';

const isBytes = (v: unknown): v is Bytes => v instanceof Uint8Array;
const isBlob = (v: unknown): v is Blob => typeof Blob !== 'undefined' && v instanceof Blob;

export const isUrlSource = (s: ImageSource): s is { url: string } => !isBytes(s) && !isBlob(s) && typeof (s as { url?: unknown }).url === 'string';

/** A file as a Blob and a name: a File keeps its own name. */
export function filePart(source: FileSource | Bytes, fallbackName: string): [Blob, string] {
  if (isBlob(source)) return [source, (source as Blob & { name?: string }).name || fallbackName];
  const { data, filename } = isBytes(source) ? { data: source, filename: undefined } : source;
  // A Buffer's view of its pool is honoured by Blob (offset and length).
  return [new Blob([data as Uint8Array<ArrayBuffer>]), filename || fallbackName];
}

/** The text options (every option but the bg_image file), as the api's form fields. */
export function optionFields(options: CutoutOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SDK_OPTION_NAMES) {
    if (name === 'bg_image') continue;
    const value = options[name];
    if (value === undefined || value === null) continue;
    out[name] = String(value);
  }
  return out;
}

/** Fields for the option text plus the callback. */
export function textFields(options: CutoutOptions & RequestExtras): Record<string, string> {
  const fields = optionFields(options);
  if (options.callbackUrl) fields.callback_url = options.callbackUrl;
  return fields;
}

/** A multipart form: the text fields, then the background image (if any), then the files. */
export function multipart(options: CutoutOptions & RequestExtras, files: [field: string, part: Blob, name: string][], extra: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...textFields(options), ...extra })) form.append(k, v);
  if (options.bg_image) {
    const [blob, name] = filePart(options.bg_image, 'background.png');
    form.append('bg_image', blob, name);
  }
  for (const [field, blob, name] of files) form.append(field, blob, name);
  return form;
}

/** A JSON body: the text fields (and callback) with the given source fields. */
export function jsonBody(options: CutoutOptions & RequestExtras, source: Record<string, unknown>): string {
  if (options.bg_image) throw new TypeError('bg_image is a file: it cannot go with a JSON body (send the image as a file instead).');
  return JSON.stringify({ ...source, ...textFields(options) });
}

// The page's requests that start work: POST /remove-bg (a file or an image_url) and POST /batches
// (a ZIP archive), each a multipart form with the panel's options. Upload progress is reported;
// a refusal becomes an ApiFailure carrying the api's own sentence and whether a retry may help.
import type { JobRequest } from './options-request.js';

export const UNREACHABLE = 'Cannot reach the Cutout server. Check your connection (or that the service is running) and retry.';

export interface Accepted {
  job_id: string;
  events_url: string;
}
export type BatchItem = { job_id: string; filename: string } | { filename: string; error: { code: string; message: string } };
export interface BatchAccepted {
  batch_id: string;
  items: BatchItem[];
  events_url: string;
  status_url: string;
}

/** What a card sends: an image file, the address of one, or a ZIP archive of images. */
export type Upload = { kind: 'file'; file: File } | { kind: 'url'; url: string } | { kind: 'zip'; file: File };

/** The api refused (or could not be reached); `retry`: the same request may succeed later. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** Codes of refusals that may go away by themselves (the image's server answered badly, timed out). */
const TRANSIENT_CODES = ['failed_image_download'];

function form(upload: Upload, request: JobRequest): FormData {
  const f = new FormData();
  for (const [name, text] of Object.entries(request.fields)) f.append(name, text);
  if (request.background) f.append('bg_image', request.background, request.background.name || 'background.png');
  if (upload.kind === 'url') f.append('image_url', upload.url);
  else f.append('file', upload.file, upload.file.name || 'pasted.png');
  return f;
}

/** Sends the upload; resolves with the api's 200/202 answer. `onProgress`: percent of the body sent. */
export function send<T>(upload: Upload, request: JobRequest, apiKey: string, onProgress: (percent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.kind === 'zip' ? '/batches' : '/remove-bg');
    if (apiKey) xhr.setRequestHeader('x-api-key', apiKey);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onerror = () => reject(new ApiFailure(UNREACHABLE, true));
    xhr.onload = () => {
      let body: { error?: { code?: string; message?: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        /* not JSON: handled below */
      }
      // 202: queued; 200: the same photo with the same options was done before (its done event follows).
      if ((xhr.status === 202 || xhr.status === 200) && !body.error) return resolve(body as T);
      const message = body.error?.message ?? `The server answered ${xhr.status}. Please retry.`;
      // A 4xx about the file will fail again; a 429/5xx may not.
      reject(new ApiFailure(message, xhr.status === 429 || xhr.status >= 500 || TRANSIENT_CODES.includes(body.error?.code ?? '')));
    };
    xhr.send(form(upload, request));
  });
}

/** A ZIP archive, recognised from its first bytes (as the api does), not from its name. */
export async function isZipFile(file: File): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
}

/** A short name for an image address: its last path segment, else its host. */
export function nameFromUrl(url: string): string {
  try {
    const u = new URL(url);
    const last = u.pathname.split('/').filter(Boolean).pop();
    return (last ? decodeURIComponent(last) : u.hostname).slice(0, 120);
  } catch {
    return url.slice(0, 120);
  }
}

/** The http(s) addresses in a piece of text (one per line or separated by spaces). */
export const urlsIn = (text: string): string[] => text.split(/\s+/).filter((t) => /^https?:\/\/\S+$/i.test(t));

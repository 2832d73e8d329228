// The page's requests that start work, through the SDK: POST /remove-bg (a file or an image_url)
// and POST /batches (a ZIP archive), each with the panel's options. Upload progress is reported;
// a refusal becomes an ApiFailure carrying the api's own sentence and whether a retry may help.
import { CutoutApiError, CutoutNetworkError } from '../sdk/errors.js';
import type { Connection } from '../sdk/connection.js';
import { createBatch, removeBackground } from '../sdk/requests.js';
import type { AcceptedJob, BatchAccepted, CutoutOptions } from '../sdk/types.js';
import type { JobRequest } from './options-request.js';

export type { BatchAccepted };
export type Accepted = AcceptedJob;

export const UNREACHABLE = 'Cannot reach the Cutout server. Check your connection (or that the service is running) and retry.';

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

/** An SDK error as the card says it: the api's sentence (a 4xx about the file will fail again; a 429/5xx may not). */
function failure(err: unknown): ApiFailure {
  if (err instanceof CutoutNetworkError) return new ApiFailure(UNREACHABLE, true);
  if (!(err instanceof CutoutApiError)) throw err;
  const { status, code } = err;
  const message = code.startsWith('http_') ? `The server answered ${status}. Please retry.` : err.message;
  return new ApiFailure(message, status === 429 || status >= 500 || TRANSIENT_CODES.includes(code));
}

/**
 * Sends the upload; resolves with the api's answer (202: queued; 200: the same photo with the same
 * options was done before, its done event follows). `onProgress`: percent of the body sent.
 */
export async function send<T extends Accepted | BatchAccepted>(client: Connection, upload: Upload, request: JobRequest, onProgress: (percent: number) => void): Promise<T> {
  const options = { ...(request.fields as CutoutOptions), bg_image: request.background, filename: 'pasted.png', onUploadProgress: onProgress };
  try {
    if (upload.kind === 'zip') return (await createBatch(client, [upload.file], options)) as T;
    return (await removeBackground(client, upload.kind === 'url' ? { url: upload.url } : upload.file, options)) as T;
  } catch (err) {
    throw failure(err);
  }
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

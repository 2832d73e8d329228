// One connection to the api (its address, key, fetch and polling pace) and its one request: a 2xx
// response, else a CutoutApiError (the api's code and sentence) or a CutoutNetworkError. The
// requests (requests.ts) are functions of a Connection, so a bundle keeps only those it calls.
import { apiError, CutoutNetworkError } from './errors.js';
import type { FollowContext } from './follow.js';
import { fetchReportingUpload } from './upload-progress.js';
import type { ClientConfig, Download, RequestExtras } from './types.js';

export interface Connection {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly fetchImpl: typeof fetch;
  readonly pollIntervalMs: number;
}

export interface Call {
  method?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** 'manual': a redirect is answered as it is (result downloads follow it without the API key). */
  redirect?: RequestRedirect;
  /** Browsers: the percent of the body sent (the request goes by XMLHttpRequest). */
  onUploadProgress?: (percent: number) => void;
}

/** A connection from the client's settings. */
export const connect = (config: ClientConfig): Connection => ({
  baseUrl: config.baseUrl.replace(/\/+$/, ''),
  apiKey: config.apiKey,
  fetchImpl: config.fetch ?? globalThis.fetch.bind(globalThis),
  pollIntervalMs: config.pollIntervalMs ?? 1000,
});

/** A path segment from an id. */
export const id = (s: string): string => encodeURIComponent(s);

/** One request; a 2xx response, else a CutoutApiError or a CutoutNetworkError. */
export async function call(conn: Connection, path: string, c: Call = {}): Promise<Response> {
  const method = c.method ?? 'GET';
  const request = `${method} ${path}`;
  const headers: Record<string, string> = { ...c.headers };
  if (conn.apiKey) headers['x-api-key'] = conn.apiKey;
  const send = c.onUploadProgress && typeof XMLHttpRequest === 'function' ? fetchReportingUpload(c.onUploadProgress) : conn.fetchImpl;
  let res: Response;
  try {
    res = await send(`${conn.baseUrl}${path}`, { method, body: c.body, headers, signal: c.signal, redirect: c.redirect });
  } catch (err) {
    if (c.signal?.aborted) throw err;
    const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new CutoutNetworkError(conn.baseUrl, why, request, { cause: err });
  }
  const redirected = c.redirect === 'manual' && res.status >= 300 && res.status < 400 && res.headers.has('location');
  if (!res.ok && !redirected) throw await apiError(res, request);
  return res;
}

/** One request answered with JSON. */
export async function json<T>(conn: Connection, path: string, c: Call = {}): Promise<T> {
  return (await (await call(conn, path, c)).json()) as T;
}

/** A file answered: its bytes, as a Blob too, and its type. */
export async function download(res: Response): Promise<Download> {
  const contentType = res.headers.get('content-type') ?? 'application/octet-stream';
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { bytes, blob: new Blob([bytes], { type: contentType }), contentType };
}

/** What a request that starts work sends besides its body. */
export function extras(o: RequestExtras, isJson: boolean): Call {
  const headers: Record<string, string> = isJson ? { 'content-type': 'application/json' } : {};
  if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
  return { method: 'POST', headers, signal: o.signal, onUploadProgress: o.onUploadProgress };
}

/** What following (follow.ts) needs of the connection. */
export const following = (conn: Connection): FollowContext => ({
  get: (path, init) => call(conn, path, init),
  status: (job, signal) => json(conn, `/status/${id(job)}`, { signal }),
  batch: (batch, signal) => json(conn, `/batches/${id(batch)}`, { signal }),
  pollIntervalMs: conn.pollIntervalMs,
});

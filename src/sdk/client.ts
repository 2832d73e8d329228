// CutoutClient: the TypeScript client of the Cutout api, for Node 20 and browsers, with no
// dependency beyond fetch. Start a job (a file, bytes or an address, with options), follow it
// (SSE with polling fallback), download its result, cancel it; edit its mask; the same for batches.
import { apiError, CutoutNetworkError } from './errors.js';
import { filePart, isUrlSource, jsonBody, multipart } from './body.js';
import { followJob, sleep, type FollowContext } from './follow.js';
import type {
  AcceptedJob,
  BatchAccepted,
  BatchOptions,
  BatchStatus,
  Bytes,
  ClientConfig,
  CutoutResult,
  Download,
  FileSource,
  FollowBatchOptions,
  FollowOptions,
  ImageSource,
  RemoveBackgroundOptions,
  StatusView,
} from './types.js';

interface Call {
  method?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** 'manual': a redirect is answered as it is (result downloads follow it without the API key). */
  redirect?: RequestRedirect;
}

const id = (s: string) => encodeURIComponent(s);
const headerNumber = (res: Response, name: string): number | undefined => {
  const v = res.headers.get(name);
  return v === null || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
};

export class CutoutClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly pollIntervalMs: number;

  constructor(config: ClientConfig) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.apiKey = config.apiKey;
    this.fetchImpl = config.fetch ?? globalThis.fetch.bind(globalThis);
    this.pollIntervalMs = config.pollIntervalMs ?? 1000;
  }

  /** One request; a 2xx response, else a CutoutApiError (the api's code and sentence) or a CutoutNetworkError. */
  private async call(path: string, c: Call = {}): Promise<Response> {
    const method = c.method ?? 'GET';
    const request = `${method} ${path}`;
    const headers: Record<string, string> = { ...c.headers };
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, { method, body: c.body, headers, signal: c.signal, redirect: c.redirect });
    } catch (err) {
      if (c.signal?.aborted) throw err;
      const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new CutoutNetworkError(this.baseUrl, why, request, { cause: err });
    }
    const redirected = c.redirect === 'manual' && res.status >= 300 && res.status < 400 && res.headers.has('location');
    if (!res.ok && !redirected) throw await apiError(res, request);
    return res;
  }

  private async json<T>(path: string, c: Call = {}): Promise<T> {
    return (await (await this.call(path, c)).json()) as T;
  }

  private async download(res: Response): Promise<Download> {
    const contentType = res.headers.get('content-type') ?? 'application/octet-stream';
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { bytes, blob: new Blob([bytes], { type: contentType }), contentType };
  }

  private extras(o: { idempotencyKey?: string }, json: boolean): Record<string, string> {
    const headers: Record<string, string> = json ? { 'content-type': 'application/json' } : {};
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    return headers;
  }

  /** Starts a job: a Blob/File, bytes (a Buffer), `{ data, filename }`, or `{ url }` the server downloads. */
  async removeBackground(source: ImageSource, options: RemoveBackgroundOptions = {}): Promise<AcceptedJob> {
    const { signal } = options;
    if (isUrlSource(source) && !options.bg_image) {
      const body = jsonBody(options, { image_url: source.url });
      return this.json('/remove-bg', { method: 'POST', body, headers: this.extras(options, true), signal });
    }
    const form = isUrlSource(source)
      ? multipart(options, [], { image_url: source.url })
      : multipart(options, [['file', ...filePart(source, options.filename ?? 'image')]]);
    return this.json('/remove-bg', { method: 'POST', body: form, headers: this.extras(options, false), signal });
  }

  /** The job's status (GET /status/{id}). */
  status(jobId: string, signal?: AbortSignal): Promise<StatusView> {
    return this.json(`/status/${id(jobId)}`, { signal });
  }

  /** Follows the job until it is done, failed or canceled; resolves with that status. */
  follow(jobId: string, options: FollowOptions = {}): Promise<StatusView> {
    const ctx: FollowContext = {
      get: (path, init) => this.call(path, init),
      status: (job, signal) => this.status(job, signal),
      pollIntervalMs: this.pollIntervalMs,
    };
    return followJob(ctx, jobId, options);
  }

  /** The result file and what the api says of it (size, where the subject is, confidence). */
  async result(jobId: string, signal?: AbortSignal): Promise<CutoutResult> {
    // A presigned storage URL (RESULT_DELIVERY=redirect) is followed here, without the API key:
    // fetch would carry X-Api-Key to the storage host. (Browsers answer a manual redirect opaquely;
    // there the redirect is followed by the browser, which drops the key only from Authorization.)
    let res = await this.call(`/result/${id(jobId)}`, { signal, redirect: typeof window === 'undefined' ? 'manual' : 'follow' });
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location')!, this.baseUrl).href;
      const stored = await this.fetchImpl(location, { signal });
      if (!stored.ok) throw new CutoutNetworkError(this.baseUrl, `the result's storage answered ${stored.status}`, `GET ${location.split('?')[0]}`);
      res = stored;
    }
    const file = await this.download(res);
    let width = headerNumber(res, 'x-width');
    let height = headerNumber(res, 'x-height');
    let foreground = {
      left: headerNumber(res, 'x-foreground-left'),
      top: headerNumber(res, 'x-foreground-top'),
      width: headerNumber(res, 'x-foreground-width'),
      height: headerNumber(res, 'x-foreground-height'),
    };
    let confidence = headerNumber(res, 'x-confidence');
    if (width === undefined || height === undefined || Object.values(foreground).includes(undefined)) {
      // Followed a redirect (a presigned URL) or the headers are not exposed: the status says the same.
      const r = (await this.status(jobId, signal)).result;
      ({ width, height } = r ?? { width: 0, height: 0 });
      foreground = r?.foreground ?? { left: 0, top: 0, width: 0, height: 0 };
      confidence ??= r?.confidence;
    }
    return { ...file, width, height, foreground: foreground as CutoutResult['foreground'], confidence };
  }

  /** Cancels the job (DELETE /jobs/{id}); a job being processed stops at its next stage. */
  cancel(jobId: string, signal?: AbortSignal): Promise<StatusView> {
    return this.json(`/jobs/${id(jobId)}`, { method: 'DELETE', signal });
  }

  /**
   * The job's current mask (GET /jobs/{id}/mask): an 8-bit greyscale PNG at the photo's size
   * (the status's width × height, after EXIF rotation), 255 subject, 0 background; the edited one
   * once a mask was saved.
   */
  async getMask(jobId: string, signal?: AbortSignal): Promise<Download> {
    return this.download(await this.call(`/jobs/${id(jobId)}/mask`, { signal }));
  }

  /**
   * Saves an edited mask (PUT /jobs/{id}/mask): a PNG whose grey level is the mask, opaque, at
   * the photo's aspect ratio (any size). Resolves once the result is re-rendered, with the new
   * status (`result_version` + 1, `edited: true`); result() then downloads the new version.
   */
  putMask(jobId: string, png: Blob | Bytes, signal?: AbortSignal): Promise<StatusView> {
    const body = png instanceof Blob ? png : new Blob([new Uint8Array(png)], { type: 'image/png' });
    return this.json(`/jobs/${id(jobId)}/mask`, { method: 'PUT', body, headers: { 'content-type': 'image/png' }, signal });
  }

  /** The photo as it was uploaded (GET /jobs/{id}/source), for drawing under the mask. */
  async source(jobId: string, signal?: AbortSignal): Promise<Download> {
    return this.download(await this.call(`/jobs/${id(jobId)}/source`, { signal }));
  }

  /** Starts a batch: files (Blobs, Files, `{ data, filename }`) or `{ urls }` the server downloads. */
  async createBatch(files: (FileSource | Bytes)[] | { urls: string[] }, options: BatchOptions = {}): Promise<BatchAccepted> {
    const { signal } = options;
    if (!Array.isArray(files)) {
      const body = jsonBody(options, { image_urls: files.urls });
      return this.json('/batches', { method: 'POST', body, headers: this.extras(options, true), signal });
    }
    const parts = files.map((f, i) => ['file', ...filePart(f, `image-${i + 1}`)] as [string, Blob, string]);
    return this.json('/batches', { method: 'POST', body: multipart(options, parts), headers: this.extras(options, false), signal });
  }

  /** The batch's status (GET /batches/{id}): counts, progress and every item. */
  batch(batchId: string, signal?: AbortSignal): Promise<BatchStatus> {
    return this.json(`/batches/${id(batchId)}`, { signal });
  }

  /** Polls the batch until every item has ended; resolves with the last status. */
  async followBatch(batchId: string, options: FollowBatchOptions = {}): Promise<BatchStatus> {
    for (;;) {
      const batch = await this.batch(batchId, options.signal);
      await options.onUpdate?.(batch);
      if (batch.status === 'done') return batch;
      await sleep(this.pollIntervalMs, options.signal);
    }
  }

  /** The finished results so far, as one ZIP with a manifest.csv. */
  async batchZip(batchId: string, signal?: AbortSignal): Promise<Download> {
    return this.download(await this.call(`/batches/${id(batchId)}/zip`, { signal }));
  }

  /** Cancels every item still queued or processing. */
  cancelBatch(batchId: string, signal?: AbortSignal): Promise<{ batch_id: string; canceled: number; canceling: number; finished: number }> {
    return this.json(`/batches/${id(batchId)}`, { method: 'DELETE', signal });
  }
}

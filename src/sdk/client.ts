// CutoutClient: the TypeScript client of the Cutout api, for Node 20 and browsers, with no
// dependency beyond fetch. Start a job (a file, bytes or an address, with options), follow it
// (SSE with polling fallback), download its result, cancel it; edit its mask; the same for batches.
// Its methods are the functions of requests.ts on one Connection (connection.ts), which a bundle
// that wants only some of them (the demo page) imports instead.
import { CutoutNetworkError } from './errors.js';
import { call, connect, download, id, type Connection } from './connection.js';
import * as r from './requests.js';
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
  ModelList,
  RemoveBackgroundOptions,
  StatusView,
} from './types.js';

const headerNumber = (res: Response, name: string): number | undefined => {
  const v = res.headers.get(name);
  return v === null || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
};

export class CutoutClient {
  readonly baseUrl: string;
  private readonly conn: Connection;

  constructor(config: ClientConfig) {
    this.conn = connect(config);
    this.baseUrl = this.conn.baseUrl;
  }

  /** Starts a job: a Blob/File, bytes (a Buffer), `{ data, filename }`, or `{ url }` the server downloads. */
  removeBackground(source: ImageSource, options: RemoveBackgroundOptions = {}): Promise<AcceptedJob> {
    return r.removeBackground(this.conn, source, options);
  }

  /** The job's status (GET /status/{id}). */
  status(jobId: string, signal?: AbortSignal): Promise<StatusView> {
    return r.status(this.conn, jobId, signal);
  }

  /** Follows the job until it is done, failed or canceled; resolves with that status. */
  follow(jobId: string, options: FollowOptions = {}): Promise<StatusView> {
    return r.follow(this.conn, jobId, options);
  }

  /** The result file and what the api says of it (size, where the subject is, confidence). */
  async result(jobId: string, signal?: AbortSignal): Promise<CutoutResult> {
    // A presigned storage URL (RESULT_DELIVERY=redirect) is followed here, without the API key:
    // fetch would carry X-Api-Key to the storage host. (Browsers answer a manual redirect opaquely;
    // there the redirect is followed by the browser, which drops the key only from Authorization.)
    let res = await call(this.conn, `/result/${id(jobId)}`, { signal, redirect: typeof window === 'undefined' ? 'manual' : 'follow' });
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location')!, this.conn.baseUrl).href;
      const stored = await this.conn.fetchImpl(location, { signal });
      if (!stored.ok) throw new CutoutNetworkError(this.conn.baseUrl, `the result's storage answered ${stored.status}`, `GET ${location.split('?')[0]}`);
      res = stored;
    }
    const file = await download(res);
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
      const st = (await this.status(jobId, signal)).result;
      ({ width, height } = st ?? { width: 0, height: 0 });
      foreground = st?.foreground ?? { left: 0, top: 0, width: 0, height: 0 };
      confidence ??= st?.confidence;
    }
    return { ...file, width, height, foreground: foreground as CutoutResult['foreground'], confidence };
  }

  /** The models this service knows (GET /models); a job may ask for a `loaded` one with `model`. */
  models(signal?: AbortSignal): Promise<ModelList> {
    return r.models(this.conn, signal);
  }

  /** Cancels the job (DELETE /jobs/{id}); a job being processed stops at its next stage. */
  cancel(jobId: string, signal?: AbortSignal): Promise<StatusView> {
    return r.cancel(this.conn, jobId, signal);
  }

  /**
   * The job's current mask (GET /jobs/{id}/mask): an 8-bit greyscale PNG at the photo's size
   * (the status's width × height, after EXIF rotation), 255 subject, 0 background; the edited one
   * once a mask was saved.
   */
  getMask(jobId: string, signal?: AbortSignal): Promise<Download> {
    return r.getMask(this.conn, jobId, signal);
  }

  /**
   * Saves an edited mask (PUT /jobs/{id}/mask): a PNG whose grey level is the mask, opaque, at
   * the photo's aspect ratio (any size). Resolves once the result is re-rendered, with the new
   * status (`result_version` + 1, `edited: true`); result() then downloads the new version.
   */
  putMask(jobId: string, png: Blob | Bytes, signal?: AbortSignal): Promise<StatusView> {
    return r.putMask(this.conn, jobId, png, signal);
  }

  /** The photo as it was uploaded (GET /jobs/{id}/source), for drawing under the mask. */
  source(jobId: string, signal?: AbortSignal): Promise<Download> {
    return r.source(this.conn, jobId, signal);
  }

  /** Starts a batch: files (Blobs, Files, `{ data, filename }`) or `{ urls }` the server downloads. */
  createBatch(files: (FileSource | Bytes)[] | { urls: string[] }, options: BatchOptions = {}): Promise<BatchAccepted> {
    return r.createBatch(this.conn, files, options);
  }

  /** The batch's status (GET /batches/{id}): counts, progress and every item. */
  batch(batchId: string, signal?: AbortSignal): Promise<BatchStatus> {
    return r.batch(this.conn, batchId, signal);
  }

  /**
   * Follows the batch until every item has ended; resolves with the last status. With onEvent, on
   * its one event stream (each item's events; polling when the stream fails), else by polling.
   */
  followBatch(batchId: string, options: FollowBatchOptions = {}): Promise<BatchStatus> {
    return r.followBatch(this.conn, batchId, options);
  }

  /** The finished results so far, as one ZIP with a manifest.csv. */
  batchZip(batchId: string, signal?: AbortSignal): Promise<Download> {
    return r.batchZip(this.conn, batchId, signal);
  }

  /** Cancels every item still queued or processing. */
  cancelBatch(batchId: string, signal?: AbortSignal): Promise<{ batch_id: string; canceled: number; canceling: number; finished: number }> {
    return r.cancelBatch(this.conn, batchId, signal);
  }
}

// The api's requests as functions of a Connection (connection.ts): what CutoutClient's methods
// do, for a bundle that should carry only what it calls (the demo page). Start a job, follow it,
// cancel it; edit its mask; the same for batches. (The result's download: CutoutClient.result.)
import { filePart, isUrlSource, jsonBody, multipart } from './body.js';
import { call, download, extras, following, id, json, type Connection } from './connection.js';
import { followBatch as followItems, followJob } from './follow.js';
import type {
  AcceptedJob,
  BatchAccepted,
  BatchOptions,
  BatchStatus,
  Bytes,
  Download,
  FileSource,
  FollowBatchOptions,
  FollowOptions,
  ImageSource,
  ModelList,
  RemoveBackgroundOptions,
  StatusView,
} from './types.js';

/** Starts a job: a Blob/File, bytes (a Buffer), `{ data, filename }`, or `{ url }` the server downloads. */
export async function removeBackground(conn: Connection, source: ImageSource, options: RemoveBackgroundOptions = {}): Promise<AcceptedJob> {
  if (isUrlSource(source) && !options.bg_image) {
    return json(conn, '/remove-bg', { ...extras(options, true), body: jsonBody(options, { image_url: source.url }) });
  }
  const form = isUrlSource(source)
    ? multipart(options, [], { image_url: source.url })
    : multipart(options, [['file', ...filePart(source, options.filename ?? 'image')]]);
  return json(conn, '/remove-bg', { ...extras(options, false), body: form });
}

/** The job's status (GET /status/{id}). */
export const status = (conn: Connection, jobId: string, signal?: AbortSignal): Promise<StatusView> => following(conn).status(jobId, signal);

/** Follows the job until it is done, failed or canceled; resolves with that status. */
export const follow = (conn: Connection, jobId: string, options: FollowOptions = {}): Promise<StatusView> => followJob(following(conn), jobId, options);

/** Cancels the job (DELETE /jobs/{id}); a job being processed stops at its next stage. */
export const cancel = (conn: Connection, jobId: string, signal?: AbortSignal): Promise<StatusView> =>
  json(conn, `/jobs/${id(jobId)}`, { method: 'DELETE', signal });

/**
 * The job's current mask (GET /jobs/{id}/mask): an 8-bit greyscale PNG at the photo's size
 * (the status's width × height, after EXIF rotation), 255 subject, 0 background; the edited one
 * once a mask was saved.
 */
export const getMask = async (conn: Connection, jobId: string, signal?: AbortSignal): Promise<Download> =>
  download(await call(conn, `/jobs/${id(jobId)}/mask`, { signal }));

/**
 * Saves an edited mask (PUT /jobs/{id}/mask): a PNG whose grey level is the mask, opaque, at
 * the photo's aspect ratio (any size). Resolves once the result is re-rendered, with the new
 * status (`result_version` + 1, `edited: true`); the result's download then has the new version.
 */
export function putMask(conn: Connection, jobId: string, png: Blob | Bytes, signal?: AbortSignal): Promise<StatusView> {
  const body = png instanceof Blob ? png : new Blob([new Uint8Array(png)], { type: 'image/png' });
  return json(conn, `/jobs/${id(jobId)}/mask`, { method: 'PUT', body, headers: { 'content-type': 'image/png' }, signal });
}

/** The photo as it was uploaded (GET /jobs/{id}/source), for drawing under the mask. */
export const source = async (conn: Connection, jobId: string, signal?: AbortSignal): Promise<Download> =>
  download(await call(conn, `/jobs/${id(jobId)}/source`, { signal }));

/** Starts a batch: files (Blobs, Files, `{ data, filename }`) or `{ urls }` the server downloads. */
export async function createBatch(conn: Connection, files: (FileSource | Bytes)[] | { urls: string[] }, options: BatchOptions = {}): Promise<BatchAccepted> {
  if (!Array.isArray(files)) return json(conn, '/batches', { ...extras(options, true), body: jsonBody(options, { image_urls: files.urls }) });
  const parts = files.map((f, i) => ['file', ...filePart(f, `image-${i + 1}`)] as [string, Blob, string]);
  return json(conn, '/batches', { ...extras(options, false), body: multipart(options, parts) });
}

/** The batch's status (GET /batches/{id}): counts, progress and every item. */
export const batch = (conn: Connection, batchId: string, signal?: AbortSignal): Promise<BatchStatus> => following(conn).batch(batchId, signal);

/**
 * Follows the batch until every item has ended; resolves with the last status. With onEvent, on
 * its one event stream (each item's events; polling when the stream fails), else by polling.
 */
export const followBatch = (conn: Connection, batchId: string, options: FollowBatchOptions = {}): Promise<BatchStatus> =>
  followItems(following(conn), batchId, options);

/** The finished results so far, as one ZIP with a manifest.csv. */
export const batchZip = async (conn: Connection, batchId: string, signal?: AbortSignal): Promise<Download> =>
  download(await call(conn, `/batches/${id(batchId)}/zip`, { signal }));

/** Cancels every item still queued or processing. */
export const cancelBatch = (conn: Connection, batchId: string, signal?: AbortSignal): Promise<{ batch_id: string; canceled: number; canceling: number; finished: number }> =>
  json(conn, `/batches/${id(batchId)}`, { method: 'DELETE', signal });

/** The models this service knows (GET /models): loaded ones first, the default flagged. */
export const models = (conn: Connection, signal?: AbortSignal): Promise<ModelList> => json(conn, '/models', { signal });

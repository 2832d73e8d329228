// The compat endpoints are synchronous for their clients but not a second pipeline: the image
// becomes a job like any upload (acceptUpload), and the request waits for the job's terminal
// event (the events hub: no polling) for at most SYNC_TIMEOUT_SECONDS, then reads the result.
// Past the bound it answers 504 with the job id: the job goes on and its result can be fetched.
import { buffer } from 'node:stream/consumers';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StatusView } from '../../jobs/contract.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-errors.js';
import type { Accepted } from '../services/upload.js';
import { loadView } from '../services/jobs.js';
import { isTerminal } from '../events-hub.js';
import { fingerprintOf, idempotent } from '../services/idempotency.js';

export type SyncDeps = Pick<ApiDeps, 'config' | 'queue' | 'store' | 'webhooks' | 'events' | 'idempotency'>;

/**
 * The request's job, made once per Idempotency-Key (services/idempotency.ts): a retry with the same
 * key and the same request (`request`: everything the client sent that shapes the job) gets the
 * same job, so the same result, and makes no second one (`Idempotent-Replayed: true`). What is
 * kept is the job, not the image: the answer is made again from the job's result.
 */
export async function acceptOnce(deps: SyncDeps, req: FastifyRequest, reply: FastifyReply, request: unknown, accept: () => Promise<Accepted>): Promise<Accepted> {
  const kept = await idempotent(deps.idempotency, req, reply, () => fingerprintOf(request), async () => ({ status: 200, body: await accept() }));
  return kept.body as Accepted;
}

/** The job outlived SYNC_TIMEOUT_SECONDS: it goes on; its status URL says when it is done. */
export class SyncTimeoutError extends HttpError {
  constructor(
    readonly jobId: string,
    readonly statusUrl: string,
    seconds: number,
  ) {
    super(
      504,
      'sync_timeout',
      `The image was not done within ${seconds} s (SYNC_TIMEOUT_SECONDS). It is still being processed as job ${jobId}: ` +
        `follow ${statusUrl}, then fetch its result, instead of sending it again.`,
    );
  }
}

/** A finished job: its view and its result file. */
export interface Finished {
  view: StatusView;
  bytes: Buffer;
}

/** When there is no events hub (tests without Redis), the job is looked at this often instead. */
const FALLBACK_POLL_MS = 250;

/** Resolves when the job has ended (done, failed, canceled or expired); rejects with SyncTimeoutError past the bound. */
function waitForEnd(deps: SyncDeps, accepted: Accepted): Promise<void> {
  const seconds = deps.config.SYNC_TIMEOUT_SECONDS;
  return new Promise<void>((resolve, reject) => {
    let poll: NodeJS.Timeout | undefined;
    let unsubscribe: () => void = () => undefined;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      clearTimeout(poll);
      unsubscribe();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(new SyncTimeoutError(accepted.job_id, accepted.status_url, seconds)), seconds * 1000);
    const check = async (): Promise<boolean> => {
      const found = await deps.queue.view(accepted.job_id);
      const view = found && ('reason' in found ? found.view : found);
      return !view || (view.status !== 'queued' && view.status !== 'processing');
    };
    const look = () =>
      check().then(
        (ended) => (ended ? finish() : deps.events ? undefined : void (poll = setTimeout(look, FALLBACK_POLL_MS))),
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      );
    // Subscribed first, then looked at once: an end between enqueue and subscription is not missed.
    if (deps.events) unsubscribe = deps.events.subscribe(accepted.job_id, (event) => (isTerminal(event) ? finish() : undefined));
    void look();
  });
}

const PHOTO_FAULTS = ['invalid_image', 'no_subject_found', 'no_face_found'];

/** Why a job ended without a result, as the error the compat route maps onto its own shape. */
function noResult(view: StatusView): HttpError {
  if (view.status === 'failed') {
    const code = view.error_code ?? 'processing_error';
    // The photo's own fault (damaged, no subject to crop, no face) is the client's to act on.
    return new HttpError(PHOTO_FAULTS.includes(code) ? 422 : 500, code, view.error ?? 'Processing failed.');
  }
  return new HttpError(409, 'job_canceled', 'The job was canceled before it was done, so there is no result.');
}

/** Waits for an accepted job to end and returns its result (or throws why there is none). */
export async function finishedJob(deps: SyncDeps, accepted: Accepted): Promise<Finished> {
  if (accepted.status !== 'done') await waitForEnd(deps, accepted);
  const view = await loadView(deps, accepted.job_id);
  if (view.status !== 'done') throw noResult(view);
  const blob = await deps.store.openResult(view.job_id);
  if (!blob) throw new HttpError(500, 'result_missing', 'The result was not found.');
  return { view, bytes: await buffer(blob.stream) };
}

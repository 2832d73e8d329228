// What the cards make of the SDK's following (follow for one job, followBatch for every
// item of a ZIP on one stream): its events, a line while the server cannot be reached, and an
// answer that ends it (the job unknown or expired) as the job's last event. Plus the key in an
// address, for what cannot send a header (an <img>, a download link).
import type { Connection } from '../sdk/connection.js';
import { follow as followJob, followBatch as followItems } from '../sdk/requests.js';
import type { JobEvent } from '../sdk/types.js';

export type { JobEvent };

export interface Following {
  client: Connection;
  onEvent(event: JobEvent): void;
  /** The connection is in trouble (the card says so); events resume by themselves. */
  onTrouble(line: string): void;
}

export const withKey = (url: string, apiKey: string): string =>
  apiKey ? `${url}${url.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(apiKey)}` : url;

const TROUBLE = 'Cannot reach the server, retrying…';

/** Follows with the SDK until the end or stop(); returns stop. `ended`: an answer that ended following. */
function run(o: Following, go: (signal: AbortSignal, onRetry: () => void) => Promise<unknown>, ended: (e: JobEvent) => void): () => void {
  const stop = new AbortController();
  go(stop.signal, () => o.onTrouble(TROUBLE)).catch((err: Error & { status?: number }) => {
    if (!stop.signal.aborted) ended({ type: err.status === 410 ? 'expired' : 'failed', error: err.message });
  });
  return () => stop.abort();
}

/** Follows one job; returns stop. */
export const follow = (o: Following, jobId: string): (() => void) =>
  run(o, (signal, onRetry) => followJob(o.client, jobId, { signal, onRetry, onEvent: o.onEvent }), o.onEvent);

/** Follows every item of a batch on one connection; each event carries its item's job_id. Returns stop. */
export const followBatch = (o: Following, batchId: string, jobIds: string[]): (() => void) =>
  run(o, (signal, onRetry) => followItems(o.client, batchId, { signal, onRetry, onEvent: o.onEvent }), (e) => jobIds.forEach((job_id) => o.onEvent({ ...e, job_id })));

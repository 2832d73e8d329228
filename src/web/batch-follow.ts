// Following every item of a batch on one connection: GET /batches/{id}/events (the item's job
// events, each with its job_id, then a final `done` without one), polling GET /batches/{id} as the
// fallback. One stream per batch rather than one per card: a browser opens only six connections
// to a host, and a ZIP of fifty photos would otherwise starve the page's other requests.
import { eventFromStatus, withKey, type JobEvent } from './follow.js';
import { EVENT_TYPES } from '../vocabulary.js';

export interface BatchFollowOptions {
  batchId: string;
  eventsUrl: string;
  apiKey: string;
  /** An event of the item whose job is `jobId`. */
  onEvent(jobId: string, event: JobEvent): void;
  onTrouble(line: string): void;
}

interface ItemView {
  job_id?: string;
  status: string;
  expired?: boolean;
  error?: string;
}

/** Follows the batch until its final event or stop(); returns stop. */
export function followBatch(o: BatchFollowOptions): () => void {
  let stopped = false;
  let source: EventSource | undefined;
  let timer: number | undefined;
  const stop = () => {
    stopped = true;
    source?.close();
    window.clearTimeout(timer);
  };
  const poll = async () => {
    if (stopped) return;
    try {
      const res = await fetch(`/batches/${o.batchId}`, { headers: o.apiKey ? { 'x-api-key': o.apiKey } : {} });
      const body = (await res.json()) as { status?: string; items?: ItemView[] };
      for (const item of body.items ?? []) {
        if (!item.job_id || stopped) continue;
        o.onEvent(item.job_id, item.expired ? { type: 'expired', error: item.error } : eventFromStatus(200, item, item.job_id));
      }
      if (body.status === 'done' || res.status === 404) stop();
    } catch {
      if (!stopped) o.onTrouble('Cannot reach the server, retrying…');
    }
    if (!stopped) timer = window.setTimeout(() => void poll(), 1000);
  };
  if (!('EventSource' in window)) {
    void poll();
    return stop;
  }
  const es = new EventSource(withKey(o.eventsUrl, o.apiKey));
  source = es;
  for (const type of EVENT_TYPES) {
    es.addEventListener(type, (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as Partial<JobEvent>;
      if (stopped) return;
      if (!data.job_id) return stop(); // the batch's final event: every item is over
      o.onEvent(data.job_id, { ...data, type });
    });
  }
  es.onerror = () => {
    if (stopped) return;
    if (es.readyState !== EventSource.CLOSED) return o.onTrouble('Connection lost, reconnecting…');
    source = undefined;
    void poll();
  };
  return stop;
}

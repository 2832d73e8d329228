// Following one job: its live event stream (SSE), with polling GET /status/{id} as the fallback.
// Calls back with event data only; it knows nothing of the page. Stops by itself on a terminal event.
import type { JobEventData } from '../jobs/events.js';
import { EVENT_TYPES, isTerminalEvent, type JobEventType } from '../vocabulary.js';

/** One event of a job, from the stream or made from a status view. */
export type JobEvent = Partial<JobEventData> & { type: JobEventType };

export interface FollowOptions {
  jobId: string;
  eventsUrl: string;
  apiKey: string;
  onEvent(event: JobEvent): void;
  /** The connection is in trouble (the page says so); events resume by themselves. */
  onTrouble(line: string): void;
}

interface StatusBody extends Partial<JobEventData> {
  progress?: { stage?: string; percent?: number };
}

export const withKey = (url: string, apiKey: string): string =>
  apiKey ? `${url}${url.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(apiKey)}` : url;

/** A status answer (HTTP status and body) as the event the stream would have sent. */
export function eventFromStatus(httpStatus: number, body: unknown, jobId: string): JobEvent {
  const b = (body ?? {}) as Record<string, unknown>;
  const apiError = (b.error as { message?: string } | undefined)?.message;
  if (httpStatus === 410) return { type: 'expired', job_id: jobId, error: apiError ?? 'This job expired.' };
  if (httpStatus < 200 || httpStatus > 299) return { type: 'failed', job_id: jobId, error: apiError ?? 'The job was lost.' };
  const view = b as StatusBody;
  const { progress, ...rest } = view;
  switch (view.status) {
    case 'processing':
      return { ...rest, ...progress, type: 'progress' };
    case 'done':
    case 'failed':
    case 'canceled':
    case 'queued':
      return { ...rest, type: view.status } as JobEvent;
    default:
      return { type: 'failed', job_id: jobId, error: 'The server answered with an unknown status.' };
  }
}

/** Follows a job until a terminal event or stop(); returns stop. */
export function follow(o: FollowOptions): () => void {
  let stopped = false;
  let source: EventSource | undefined;
  let timer: number | undefined;
  const stop = () => {
    stopped = true;
    source?.close();
    window.clearTimeout(timer);
  };
  const emit = (e: JobEvent) => {
    if (stopped) return;
    if (isTerminalEvent(e.type)) stop();
    o.onEvent(e);
  };
  const poll = async () => {
    if (stopped) return;
    try {
      const res = await fetch(`/status/${o.jobId}`, { headers: o.apiKey ? { 'x-api-key': o.apiKey } : {} });
      emit(eventFromStatus(res.status, await res.json().catch(() => null), o.jobId));
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
    es.addEventListener(type, (e) => emit({ ...(JSON.parse((e as MessageEvent<string>).data) as JobEventData), type }));
  }
  es.onerror = () => {
    if (stopped) return;
    if (es.readyState !== EventSource.CLOSED) return o.onTrouble('Connection lost, reconnecting…');
    source = undefined;
    void poll(); // the stream is gone for good: fall back to polling
  };
  return stop;
}

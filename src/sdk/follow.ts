// Following a job to its end: its event stream (SSE read from a fetch body, so the API key goes in
// a header), and polling GET /status/{id} when the stream cannot be had or breaks off.
import { EVENT_TYPES, isTerminalEvent, isTerminalStatus, type JobEventType } from '../vocabulary.js';
import { CutoutApiError } from './errors.js';
import { readSse } from './sse.js';
import type { FollowOptions, JobEvent, StatusView } from './types.js';

/** What following needs of the client. */
export interface FollowContext {
  /** A GET that answers the response (2xx) or throws CutoutApiError / CutoutNetworkError. */
  get(path: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response>;
  status(jobId: string, signal?: AbortSignal): Promise<StatusView>;
  pollIntervalMs: number;
}

/** Waits, unless the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A status as the event the stream would have sent. */
export function eventFromStatus(view: StatusView): JobEvent {
  const { progress, ...rest } = view;
  const base = rest as Omit<StatusView, 'progress'> & Partial<JobEvent>;
  if (view.status === 'processing') return { ...base, ...progress, type: 'progress' } as JobEvent;
  return { ...base, type: view.status } as JobEvent;
}

/** Reads the stream; true when a terminal event came, false when the stream ended without one. */
async function stream(ctx: FollowContext, jobId: string, o: FollowOptions): Promise<boolean> {
  const res = await ctx.get(`/events/${encodeURIComponent(jobId)}`, { headers: { accept: 'text/event-stream' }, signal: o.signal });
  if (!res.body || !/text\/event-stream/i.test(res.headers.get('content-type') ?? '')) return false;
  for await (const message of readSse(res.body)) {
    if (!(EVENT_TYPES as readonly string[]).includes(message.event)) continue;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(message.data) as Record<string, unknown>;
    } catch {
      /* an event without a readable body still says what happened */
    }
    o.onEvent?.({ ...data, type: message.event as JobEventType });
    if (isTerminalEvent(message.event)) return true;
  }
  return false;
}

/** Polls the status until it is terminal; each change is an event. */
async function poll(ctx: FollowContext, jobId: string, o: FollowOptions): Promise<StatusView> {
  let last = '';
  for (;;) {
    const view = await ctx.status(jobId, o.signal);
    const event = eventFromStatus(view);
    const seen = JSON.stringify(event);
    if (seen !== last) o.onEvent?.(event);
    last = seen;
    if (isTerminalStatus(view.status)) return view;
    await sleep(ctx.pollIntervalMs, o.signal);
  }
}

/** Follows a job to its terminal status: the stream, else polling. */
export async function followJob(ctx: FollowContext, jobId: string, o: FollowOptions = {}): Promise<StatusView> {
  if (o.transport !== 'poll') {
    try {
      if (await stream(ctx, jobId, o)) return await ctx.status(jobId, o.signal);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      // The job itself is the trouble (unknown, expired, not yours): polling would answer the same.
      if (err instanceof CutoutApiError && err.status >= 400 && err.status < 500 && err.status !== 429) throw err;
    }
  }
  return poll(ctx, jobId, o);
}

// Following a job, or every item of a batch, to its end: the event stream (SSE read from a fetch
// body, so the API key goes in a header), and polling its status when the stream cannot be had or
// breaks off. While polling, a failure that may pass is retried when the caller listens for it.
import { EVENT_TYPES, isTerminalEvent, isTerminalStatus, type JobEventType } from '../vocabulary.js';
import { CutoutApiError } from './errors.js';
import { readSse } from './sse.js';
import type { BatchItemView, BatchStatus, FollowBatchOptions, FollowOptions, JobEvent, StatusView } from './types.js';

/** What following needs of the client. */
export interface FollowContext {
  /** A GET that answers the response (2xx) or throws CutoutApiError / CutoutNetworkError. */
  get(path: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response>;
  status(jobId: string, signal?: AbortSignal): Promise<StatusView>;
  batch(batchId: string, signal?: AbortSignal): Promise<BatchStatus>;
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

/** A status (a job's, or a batch item's) as the event the stream would have sent. */
export function eventFromStatus(view: StatusView | BatchItemView): JobEvent {
  const { progress, ...rest } = view;
  const base = rest as Partial<JobEvent>;
  if (view.status === 'processing') return { ...base, ...progress, type: 'progress' } as JobEvent;
  if ((view as BatchItemView).expired) return { ...base, type: 'expired' } as JobEvent;
  return { ...base, type: view.status } as JobEvent;
}

/** The job (or batch) itself is the trouble, or following was stopped: asking again would not help. */
const isFinal = (err: unknown, signal?: AbortSignal): boolean =>
  !!signal?.aborted || (err instanceof CutoutApiError && err.status < 500 && err.status !== 429);

/** Reads an event stream; `take` hears each event and says whether it was the last. True when it was. */
async function stream(ctx: FollowContext, path: string, signal: AbortSignal | undefined, take: (e: JobEvent) => boolean): Promise<boolean> {
  const res = await ctx.get(path, { headers: { accept: 'text/event-stream' }, signal });
  if (!res.body || !/text\/event-stream/i.test(res.headers.get('content-type') ?? '')) return false;
  for await (const message of readSse(res.body)) {
    if (!(EVENT_TYPES as readonly string[]).includes(message.event)) continue;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(message.data) as Record<string, unknown>;
    } catch {
      /* an event without a readable body still says what happened */
    }
    if (take({ ...data, type: message.event as JobEventType })) return true;
  }
  return false;
}

/** onEvent, without repeating what it was just told of the same job; after a failure it is told again. */
function teller(onEvent: ((e: JobEvent) => void) | undefined) {
  let told = new Map<string | undefined, string>();
  return {
    tell(e: JobEvent) {
      const seen = JSON.stringify(e);
      if (told.get(e.job_id) !== seen) onEvent?.(e);
      told.set(e.job_id, seen);
    },
    forget: () => (told = new Map()),
  };
}

/**
 * Asks for the status every interval until `take` says it is the end. A failure that may pass (no
 * connection, 429, 5xx) goes to onRetry and is asked again; without onRetry it ends following.
 */
async function poll<T>(
  ctx: FollowContext,
  o: FollowOptions,
  get: (signal?: AbortSignal) => Promise<T>,
  take: (view: T, tell: (e: JobEvent) => void) => boolean | Promise<boolean>,
): Promise<T> {
  const t = teller(o.onEvent);
  for (;;) {
    let view: T | undefined;
    try {
      view = await get(o.signal);
    } catch (err) {
      if (isFinal(err, o.signal) || !o.onRetry) throw err;
      o.onRetry(err as Error);
      t.forget(); // the next answer is told in full, even if nothing changed meanwhile
    }
    if (view !== undefined && (await take(view, t.tell))) return view;
    await sleep(ctx.pollIntervalMs, o.signal);
  }
}

/** What the stream's run gives, or undefined when polling should take over (no stream, or it broke off). */
async function streamed<T>(use: boolean, signal: AbortSignal | undefined, run: () => Promise<T | undefined>): Promise<T | undefined> {
  if (!use) return undefined;
  try {
    return await run();
  } catch (err) {
    if (isFinal(err, signal)) throw err;
    return undefined;
  }
}

/** Follows a job to its terminal status: the stream, else polling. */
export async function followJob(ctx: FollowContext, jobId: string, o: FollowOptions = {}): Promise<StatusView> {
  const path = `/events/${encodeURIComponent(jobId)}`;
  const end = await streamed(o.transport !== 'poll', o.signal, async () =>
    (await stream(ctx, path, o.signal, (e) => (o.onEvent?.(e), isTerminalEvent(e.type)))) ? ctx.status(jobId, o.signal) : undefined,
  );
  return end ?? poll(ctx, o, (signal) => ctx.status(jobId, signal), (view, tell) => (tell(eventFromStatus(view)), isTerminalStatus(view.status)));
}

/**
 * Follows a batch until every item has ended. With onEvent, on the batch's one event stream (each
 * item's job events, then a final event without a job_id), else (or when the stream fails) by polling
 * GET /batches/{id}, whose items are told as events too. onUpdate hears every batch status fetched.
 */
export async function followBatch(ctx: FollowContext, batchId: string, o: FollowBatchOptions = {}): Promise<BatchStatus> {
  const path = `/batches/${encodeURIComponent(batchId)}/events`;
  const end = await streamed(!!o.onEvent && o.transport !== 'poll', o.signal, async () =>
    (await stream(ctx, path, o.signal, (e) => !e.job_id || (o.onEvent!(e), false))) ? ctx.batch(batchId, o.signal) : undefined,
  );
  if (end) {
    await o.onUpdate?.(end);
    return end;
  }
  return poll(ctx, o, (signal) => ctx.batch(batchId, signal), async (batch, tell) => {
    for (const item of batch.items) if (item.job_id) tell(eventFromStatus(item));
    await o.onUpdate?.(batch);
    return batch.status === 'done';
  });
}

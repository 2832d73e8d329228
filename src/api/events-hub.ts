// Live job events for the api: one BullMQ QueueEvents subscription (one Redis connection) per
// lane (a queue per model, src/jobs/lanes.ts) per api process, fanned out in memory to every SSE client of that process. Events come from the
// Redis stream, so a client may watch a job accepted by any api replica.
import { QueueEvents } from 'bullmq';
import type { StatusView } from '../jobs/contract.js';
import type { JobEventData, JobEventType } from '../jobs/events.js';
import { isTerminalEvent } from '../vocabulary.js';
import { jobExpired } from '../errors.js';
import type { Tombstone } from '../jobs/status-rules.js';
import type { RedisClient } from '../jobs/redis-connection.js';
import type { QueueSettings } from '../jobs/queue-settings.js';

export interface JobEvent {
  type: JobEventType;
  data: JobEventData;
}

export const isTerminal = (e: JobEvent) => isTerminalEvent(e.type);

type Listener = (event: JobEvent) => void;

/** How a job of the queue ended: BullMQ's failure reason when it failed. */
export interface JobEnd {
  failedReason?: string;
}

export interface HubDeps {
  /** The job's current state; null when unknown. */
  view(jobId: string): Promise<StatusView | Tombstone | null>;
  resultUrl(jobId: string): string;
  /** RESULT_TTL_MINUTES, for the message of an `expired` event. */
  ttlMinutes: number;
}

/** The one event that tells a job's current state. */
export function eventFromView(view: StatusView, resultUrl: string): JobEvent {
  const base = { job_id: view.job_id, status: view.status };
  switch (view.status) {
    case 'queued':
      return { type: 'queued', data: { ...base, position: view.position, eta_seconds: view.eta_seconds } };
    case 'processing':
      return { type: 'progress', data: { ...base, stage: view.progress?.stage ?? 'decoding', percent: view.progress?.percent ?? 0 } };
    case 'done':
      return { type: 'done', data: { ...base, result_url: resultUrl, result: view.result, cached: view.cached, ...((view.result_version ?? 1) > 1 ? { result_version: view.result_version } : {}) } };
    case 'failed':
      return { type: 'failed', data: { ...base, error: view.error, error_code: view.error_code } };
    case 'canceled':
      return { type: 'canceled', data: base };
  }
}

/** The terminal event of a job whose record and files were deleted at the TTL: its last status, and why. */
export function expiredEvent(last: StatusView, ttlMinutes: number): JobEvent {
  return { type: 'expired', data: { job_id: last.job_id, status: last.status, error: jobExpired(ttlMinutes).message } };
}

/** The event that tells the state of a job as the queue found it: a view, or a tombstone. */
export function eventFromFound(found: StatusView | Tombstone, resultUrl: string, ttlMinutes: number): JobEvent {
  if (!('reason' in found)) return eventFromView(found, resultUrl);
  if (found.reason === 'expired') return expiredEvent(found.view, ttlMinutes);
  return eventFromView(found.view, resultUrl);
}

export class EventsHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly enders = new Map<string, Set<(end: JobEnd) => void>>();
  private readonly anyEnders = new Set<(jobId: string) => void>();
  private readonly events: QueueEvents[];
  private readonly connections: RedisClient[];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    settings: Pick<QueueSettings, 'keys' | 'lanes'>,
    /** A connection of its own (it blocks reading the stream; each further lane gets a copy); the hub closes them. */
    connection: RedisClient,
    private readonly deps: HubDeps,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.connections = settings.lanes.map((_, i) => (i === 0 ? connection : (connection.duplicate() as RedisClient)));
    this.events = settings.lanes.map((lane, i) => this.listen(new QueueEvents(lane.name, { connection: this.connections[i]!, prefix: settings.keys.bullPrefix, autorun: true })));
  }

  private listen(events: QueueEvents): QueueEvents {
    events.on('error', (err) => this.onError(err));
    events.on('progress', ({ jobId, data }) => {
      const progress = data as { stage?: string; percent?: number } | undefined;
      if (progress && typeof progress.percent === 'number') {
        this.emit(jobId, { type: 'progress', data: { job_id: jobId, status: 'processing', stage: progress.stage, percent: progress.percent } });
      }
    });
    // For state changes, the event is rebuilt from the job itself: the truth, whatever the order.
    for (const name of ['completed', 'failed', 'waiting', 'delayed', 'removed'] as const) {
      events.on(name, ({ jobId }: { jobId: string }) => void this.refresh(jobId));
    }
    events.on('completed', ({ jobId }) => this.ended(jobId, {}));
    events.on('failed', ({ jobId, failedReason }) => this.ended(jobId, { failedReason }));
    // A job leaving the line moves everyone behind it (in its lane; the refresh is cheap).
    for (const name of ['active', 'removed'] as const) events.on(name, () => this.scheduleQueuedRefresh());
    return events;
  }

  ready(): Promise<void> {
    return Promise.all(this.events.map((events) => events.waitUntilReady())).then(() => undefined);
  }

  /** The job's current state as an event, or null for an unknown job. */
  async snapshot(jobId: string): Promise<JobEvent | null> {
    const found = await this.deps.view(jobId);
    if (!found) return null;
    return eventFromFound(found, this.deps.resultUrl(jobId), this.deps.ttlMinutes);
  }

  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  /**
   * Calls `listener` when a job of the queue (any kind: the mask editor's too) completes, or fails
   * for good. No status view is built: the caller reads what it needs. Returns the unsubscriber.
   */
  onEnd(jobId: string, listener: (end: JobEnd) => void): () => void {
    let set = this.enders.get(jobId);
    if (!set) this.enders.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.enders.get(jobId) === set) this.enders.delete(jobId);
    };
  }

  /** Calls `listener` with the id of every job of the queue that ends (completed, or failed for good), whichever api queued it. */
  onAnyEnd(listener: (jobId: string) => void): () => void {
    this.anyEnders.add(listener);
    return () => void this.anyEnders.delete(listener);
  }

  private ended(jobId: string, end: JobEnd): void {
    for (const l of [...this.anyEnders]) l(jobId);
    for (const l of [...(this.enders.get(jobId) ?? [])]) l(end);
  }

  /** Listeners across all jobs (for leak checks and metrics). */
  listenerCount(): number {
    let n = 0;
    for (const set of [...this.listeners.values(), ...this.enders.values()]) n += set.size;
    return n;
  }

  private emit(jobId: string, event: JobEvent): void {
    const set = this.listeners.get(jobId);
    if (!set) return;
    for (const l of [...set]) l(event);
  }

  private async refresh(jobId: string): Promise<void> {
    if (!this.listeners.has(jobId)) return;
    try {
      const event = await this.snapshot(jobId);
      if (event) this.emit(jobId, event);
    } catch (err) {
      this.onError(err);
    }
  }

  private scheduleQueuedRefresh(): void {
    if (this.refreshTimer || this.listeners.size === 0) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      for (const jobId of this.listeners.keys()) void this.refresh(jobId);
    }, 200);
  }

  async close(): Promise<void> {
    clearTimeout(this.refreshTimer);
    this.listeners.clear();
    this.enders.clear();
    this.anyEnders.clear();
    await Promise.all(this.events.map((events) => events.close()));
    for (const connection of this.connections) connection.disconnect();
  }
}

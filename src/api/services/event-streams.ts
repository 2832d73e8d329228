// Following one job for one client: the subscription (the current state, then each change, no
// change lost between the two), the per-connection sequencer, and the lifecycle of a stream over
// any transport (SSE or WebSocket) until its terminal event, the client leaving, or shutdown.
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { unknownJob } from '../../errors.js';
import { isJobId } from '../../jobs/contract.js';
import type { EventsHub, JobEvent } from '../events-hub.js';
import { isTerminal } from '../events-hub.js';

const HEARTBEAT_MS = 15_000;
/** The id of a terminal event. A client reconnecting with it has seen the end: 204, stop. */
export const FINAL_ID = 'final';

const EVENT_ORDER: Record<JobEvent['type'], number> = { queued: 0, progress: 1, done: 2, failed: 2, canceled: 2, expired: 2 };

/**
 * Per-connection filter: never goes back (a progress percent or state lower than one sent is
 * dropped), drops repeats, and stops after a terminal event.
 */
export class EventSequencer {
  private last: JobEvent | undefined;
  private counter = 0;

  next(e: JobEvent): { id: string; event: JobEvent } | null {
    const last = this.last;
    if (last) {
      if (isTerminal(last)) return null;
      if (EVENT_ORDER[e.type] < EVENT_ORDER[last.type]) return null;
      if (e.type === 'progress' && last.type === 'progress' && (e.data.percent ?? 0) <= (last.data.percent ?? 0)) return null;
      if (e.type === 'queued' && last.type === 'queued' && e.data.position === last.data.position && e.data.eta_seconds === last.data.eta_seconds)
        return null;
    }
    this.last = e;
    return { id: isTerminal(e) ? FINAL_ID : String(++this.counter), event: e };
  }
}


/** One job followed: its current state, then each change (sequenced), until it is stopped. */
export interface Following {
  snapshot: JobEvent;
  /** Delivers the snapshot, the changes seen while it was read, then each change as it comes. */
  start(send: (out: { id: string; event: JobEvent }) => void): void;
  stop(): void;
}

/**
 * Subscribes before reading the state, so no change between the two is lost. 404 when unknown.
 * Whatever happens next, the connection going away releases the subscription.
 */
export async function follow(hub: EventsHub, jobId: string, connection: Socket): Promise<Following> {
  if (!isJobId(jobId)) throw unknownJob(jobId);
  const buffered: JobEvent[] = [];
  let deliver: (e: JobEvent) => void = (e) => buffered.push(e);
  const unsubscribe = hub.subscribe(jobId, (e) => deliver(e));
  let snapshot: JobEvent | null;
  try {
    snapshot = await hub.snapshot(jobId);
  } catch (err) {
    unsubscribe();
    throw err;
  }
  if (!snapshot) {
    unsubscribe();
    throw unknownJob(jobId);
  }
  const seq = new EventSequencer();
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    connection.off('close', stop);
  };
  connection.once('close', stop);
  return {
    snapshot,
    start(send) {
      const push = (e: JobEvent) => {
        if (stopped) return;
        const out = seq.next(e);
        if (out) send(out);
      };
      push(snapshot);
      for (const e of buffered) push(e);
      deliver = push;
    },
    stop,
  };
}

/** An event as a stream carries it: a job's event, or a batch's (its items' events, then its end). */
export interface StreamEvent {
  type: string;
  data: object;
}
export type StreamOut = { id: string; event: StreamEvent };

/** What a stream follows: it delivers events until it sends one with the id FINAL_ID. */
export interface Streamable {
  start(send: (out: StreamOut) => void): void;
  stop(): void;
}

/** How a followed job reaches one client: SSE frames or WebSocket messages. */
export interface Transport {
  name: 'sse' | 'websocket';
  write(out: StreamOut): void;
  heartbeat(): void;
  /** `final`: after the terminal event; otherwise the server is going away. */
  end(reason: 'final' | 'shutdown' | 'client'): void;
}

/**
 * The event streams open in this process. They never end by themselves: on shutdown they are
 * ended first (WebSockets with 1001, going away), so the server can drain the other requests and
 * exit; clients reconnect, to another replica. app.ts installs this before the WebSocket plugin,
 * whose own shutdown would close the sockets without a code.
 */
export class OpenStreams {
  private readonly closers = new Set<(reason: 'shutdown') => void>();
  add(close: (reason: 'shutdown') => void): void {
    this.closers.add(close);
  }
  delete(close: (reason: 'shutdown') => void): void {
    this.closers.delete(close);
  }
  closeAll(): void {
    for (const close of [...this.closers]) close('shutdown');
  }
}

/**
 * Runs a followed job (or batch) over a transport until the final event, the client leaves, or
 * shutdown. `context` names the stream in the log line (route, job or batch id).
 */
export function stream(following: Streamable, transport: Transport, open: OpenStreams, log: FastifyBaseLogger, context: Record<string, string>) {
  const started = Date.now();
  const heartbeat = setInterval(() => transport.heartbeat(), HEARTBEAT_MS);
  let closed = false;
  const close = (reason: 'final' | 'shutdown' | 'client') => {
    if (closed) return;
    closed = true;
    open.delete(close);
    clearInterval(heartbeat);
    following.stop();
    transport.end(reason);
    log.info({ ...context, transport: transport.name, ms: Date.now() - started, reason }, 'event stream closed');
  };
  open.add(close);
  // following.start delivers nothing once following.stop() ran, and close() runs it first.
  following.start((out) => {
    transport.write(out);
    if (out.id === FINAL_ID) close('final');
  });
  return close;
}

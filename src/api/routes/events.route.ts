import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { unknownJob } from '../../errors.js';
import { isJobId } from '../../jobs/contract.js';
import type { EventsHub, JobEvent } from '../events-hub.js';
import { isTerminal } from '../events-hub.js';
import { EXAMPLE, EXAMPLE_LINKS, JOB_ERRORS, ROUTE_SCHEMAS, response } from '../schemas.js';

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 2_000;
/** The id of a terminal event. A client reconnecting with it has seen the end: 204, stop. */
const FINAL_ID = 'final';

/** The first lines of every stream: how long a browser waits before it reconnects. */
const SSE_PREAMBLE = `retry: ${RETRY_MS}\n\n`;

/** One event as an SSE frame. */
const sseFrame = ({ id, event }: { id: string; event: JobEvent }) =>
  `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;

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

/** What a client reads from /events for a job that waits, runs and finishes (made by the same code). */
const SSE_EXAMPLE = (() => {
  const seq = new EventSequencer();
  const job = { job_id: EXAMPLE.jobId } as const;
  const events: JobEvent[] = [
    { type: 'queued', data: { ...job, status: 'queued', position: 2, eta_seconds: 6 } },
    { type: 'progress', data: { ...job, status: 'processing', stage: 'inference', percent: 5 } },
    { type: 'progress', data: { ...job, status: 'processing', stage: 'encoding', percent: 97 } },
    { type: 'done', data: { ...job, status: 'done', result_url: EXAMPLE_LINKS.result } },
  ];
  return SSE_PREAMBLE + events.map((e) => sseFrame(seq.next(e)!)).join('');
})();

/** One job followed: its current state, then each change (sequenced), until it is stopped. */
interface Following {
  snapshot: JobEvent;
  /** Delivers the snapshot, the changes seen while it was read, then each change as it comes. */
  start(send: (out: { id: string; event: JobEvent }) => void): void;
  stop(): void;
}

/**
 * Subscribes before reading the state, so no change between the two is lost. 404 when unknown.
 * Whatever happens next, the connection going away releases the subscription.
 */
async function follow(hub: EventsHub, jobId: string, connection: Socket): Promise<Following> {
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

/** How a followed job reaches one client: SSE frames or WebSocket messages. */
interface Transport {
  name: 'sse' | 'websocket';
  write(out: { id: string; event: JobEvent }): void;
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

/** Runs a followed job over a transport until the terminal event, the client leaves, or shutdown. */
function stream(following: Following, transport: Transport, open: OpenStreams, log: FastifyBaseLogger, jobId: string) {
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
    log.info({ route: '/events/:job_id', transport: transport.name, jobId, ms: Date.now() - started, reason }, 'event stream closed');
  };
  open.add(close);
  // following.start delivers nothing once following.stop() ran, and close() runs it first.
  following.start((out) => {
    transport.write(out);
    if (isTerminal(out.event)) close('final');
  });
  return close;
}

/** SSE frames on a hijacked response. */
function sseTransport(res: ServerResponse): Transport {
  return {
    name: 'sse',
    write: (out) => res.write(sseFrame(out)),
    heartbeat: () => res.write(`: keep-alive\n\n`),
    end: () => res.end(),
  };
}

/** One JSON text message per event; closes with 1000 after the terminal one, 1001 on shutdown. */
function websocketTransport(socket: WebSocket): Transport {
  return {
    name: 'websocket',
    write: ({ id, event }) => socket.send(JSON.stringify({ id, event: event.type, data: event.data })),
    heartbeat: () => socket.ping(),
    end: (reason) => {
      if (reason === 'final') socket.close(1000, 'final');
      else if (reason === 'shutdown') socket.close(1001, 'server shutting down');
    },
  };
}

const EVENTS_SCHEMA = {
  summary: 'Live progress of a job (Server-Sent Events, or a WebSocket)',
  description:
    'A text/event-stream. The first event tells the current state; then one event per change: `queued` ' +
    '(position, eta_seconds), `progress` (stage, percent), `done` (result_url), `failed` (error), `canceled`, ' +
    '`expired` (the job finished longer ago than the retention time and its files were deleted: status is its last ' +
    'status, error says so; GET /status answers 410). ' +
    'The stream ends after a terminal event, whose id is `final`; reconnecting with `Last-Event-ID: final` answers 204.\n\n' +
    'The same URL upgrades to a WebSocket (`Upgrade: websocket`) carrying the same events, one JSON text message each: ' +
    '`{"id": "1", "event": "queued", "data": {…}}`. After the terminal event the server closes with code 1000; ' +
    'it closes with 1001 when it shuts down (reconnect). With API keys on, browsers pass the key as `?api_key=`.',
  operationId: 'streamEvents',
  tags: ['jobs'],
  params: ROUTE_SCHEMAS.jobParams,
  produces: ['text/event-stream'],
  response: {
    101: { type: 'null', description: 'Switching Protocols: the WebSocket form, asked for with `Upgrade: websocket`' },
    200: response('The event stream: one event per change, until a terminal one', { type: 'string' }, SSE_EXAMPLE),
    204: { type: 'null', description: 'The client already received the final event (Last-Event-ID: final): nothing more will come' },
    404: JOB_ERRORS[404],
  },
};

export function eventsRoute(app: FastifyInstance, hub: EventsHub, open: OpenStreams) {
  // The job is looked up before the answer starts (or the WebSocket upgrade happens), so an
  // unknown job is a plain 404 for both; the handler then takes the subscription over.
  const pending = new WeakMap<FastifyRequest, Following>();

  app.route<{ Params: { job_id: string } }>({
    method: 'GET',
    url: '/events/:job_id',
    schema: EVENTS_SCHEMA,
    preHandler: async (req) => {
      pending.set(req, await follow(hub, req.params.job_id, req.raw.socket));
    },
    handler: async (req, reply) => {
      const following = pending.get(req)!;
      if (req.headers['last-event-id'] === FINAL_ID && isTerminal(following.snapshot)) {
        following.stop();
        return reply.code(204).send();
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(SSE_PREAMBLE);
      const close = stream(following, sseTransport(res), open, req.log, req.params.job_id);
      req.raw.on('close', () => close('client'));
      res.on('error', () => close('client'));
    },
    wsHandler: (socket: WebSocket, req) => {
      const close = stream(pending.get(req)!, websocketTransport(socket), open, req.log, req.params.job_id);
      socket.on('close', () => close('client'));
      socket.on('error', () => close('client'));
    },
  });
}

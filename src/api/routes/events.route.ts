// GET /events/{job_id}: a job's live events as Server-Sent Events or over a WebSocket (the same
// subscription and sequencing, services/event-streams.ts; only the framing differs here).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { EventsHub, JobEvent } from '../events-hub.js';
import { isTerminal } from '../events-hub.js';
import { EventSequencer, FINAL_ID, follow, stream, type Following, type OpenStreams, type Transport } from '../services/event-streams.js';
import { EXAMPLE, EXAMPLE_LINKS, JOB_ERRORS, ROUTE_SCHEMAS, response } from '../schemas.js';

const RETRY_MS = 2_000;

/** The first lines of every stream: how long a browser waits before it reconnects. */
const SSE_PREAMBLE = `retry: ${RETRY_MS}\n\n`;

/** One event as an SSE frame. */
const sseFrame = ({ id, event }: { id: string; event: JobEvent }) =>
  `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;

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

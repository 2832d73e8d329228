// GET /events/{job_id}: a job's live events as Server-Sent Events or over a WebSocket (the same
// subscription and sequencing, services/event-streams.ts; the framing is in event-transports.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { EventsHub, JobEvent } from '../events-hub.js';
import { isTerminal } from '../events-hub.js';
import { SSE_PREAMBLE, serveSocket, serveSse, sseFrame } from '../event-transports.js';
import { EventSequencer, FINAL_ID, follow, type Following, type OpenStreams } from '../services/event-streams.js';
import { EXAMPLE, EXAMPLE_LINKS, JOB_ERRORS, ROUTE_SCHEMAS, response } from '../schemas.js';

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
      serveSse(req, reply, following, open, { route: '/events/:job_id', jobId: req.params.job_id });
    },
    wsHandler: (socket: WebSocket, req) => serveSocket(socket, req, pending.get(req)!, open, { route: '/events/:job_id', jobId: req.params.job_id }),
  });
}

import type { FastifyInstance } from 'fastify';
import { isJobId } from '../../jobs/contract.js';
import type { EventsHub, JobEvent } from '../events-hub.js';
import { isTerminal } from '../events-hub.js';
import { EXAMPLE, JOB_ERRORS, S, response } from '../schemas.js';
import { unknownJob } from './jobs.route.js';

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 2_000;
/** The id of a terminal event. A client reconnecting with it has seen the end: 204, stop. */
const FINAL_ID = 'final';

/** What a client reads from /events for a job that waits, runs and finishes. */
const SSE_EXAMPLE = [
  `retry: ${RETRY_MS}`,
  '',
  'id: 1',
  'event: queued',
  `data: {"job_id":"${EXAMPLE.jobId}","status":"queued","position":2,"eta_seconds":6}`,
  '',
  'id: 2',
  'event: progress',
  `data: {"job_id":"${EXAMPLE.jobId}","status":"processing","stage":"inference","percent":5}`,
  '',
  'id: 3',
  'event: progress',
  `data: {"job_id":"${EXAMPLE.jobId}","status":"processing","stage":"encoding","percent":97}`,
  '',
  `id: ${FINAL_ID}`,
  'event: done',
  `data: {"job_id":"${EXAMPLE.jobId}","status":"done","result_url":"/result/${EXAMPLE.jobId}"}`,
  '',
  '',
].join('\n');

const RANK = { queued: 0, progress: 1, done: 2, failed: 2, canceled: 2 } as const;

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
      if (RANK[e.type] < RANK[last.type]) return null;
      if (e.type === 'progress' && last.type === 'progress' && (e.data.percent ?? 0) <= (last.data.percent ?? 0)) return null;
      if (e.type === 'queued' && last.type === 'queued' && e.data.position === last.data.position && e.data.eta_seconds === last.data.eta_seconds)
        return null;
    }
    this.last = e;
    return { id: isTerminal(e) ? FINAL_ID : String(++this.counter), event: e };
  }
}

export function eventsRoute(app: FastifyInstance, hub: EventsHub) {
  // Open streams never end by themselves: on shutdown they are ended first, so the server can
  // drain the other requests and exit. Clients reconnect (to another replica) after `retry`.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get<{ Params: { job_id: string } }>(
    '/events/:job_id',
    {
      schema: {
        summary: 'Live progress of a job (Server-Sent Events)',
        description:
          'A text/event-stream. The first event tells the current state; then one event per change: `queued` ' +
          '(position, eta_seconds), `progress` (stage, percent), `done` (result_url), `failed` (error), `canceled`. ' +
          'The stream ends after a terminal event, whose id is `final`; reconnecting with `Last-Event-ID: final` answers 204.',
        operationId: 'streamEvents',
        tags: ['jobs'],
        params: S.jobParams,
        produces: ['text/event-stream'],
        response: {
          200: response('The event stream: one event per change, until a terminal one', { type: 'string' }, SSE_EXAMPLE),
          204: { type: 'null', description: 'The client already received the final event (Last-Event-ID: final): nothing more will come' },
          404: JOB_ERRORS[404],
        },
      },
    },
    async (req, reply) => {
      const { job_id: jobId } = req.params;
      if (!isJobId(jobId)) throw unknownJob(jobId);

      // Subscribe before reading the state, so no change between the two is lost.
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
      if (req.headers['last-event-id'] === FINAL_ID && isTerminal(snapshot)) {
        unsubscribe();
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
      res.write(`retry: ${RETRY_MS}\n\n`);

      const seq = new EventSequencer();
      const started = Date.now();
      const heartbeat = setInterval(() => res.write(`: keep-alive\n\n`), HEARTBEAT_MS);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        clearInterval(heartbeat);
        unsubscribe();
        res.end();
        req.log.info({ route: '/events/:job_id', jobId, ms: Date.now() - started }, 'event stream closed');
      };
      const send = (e: JobEvent) => {
        if (closed) return;
        const out = seq.next(e);
        if (!out) return;
        res.write(`id: ${out.id}\nevent: ${out.event.type}\ndata: ${JSON.stringify(out.event.data)}\n\n`);
        if (isTerminal(out.event)) close();
      };
      open.add(close);
      req.raw.on('close', close);
      res.on('error', close);

      send(snapshot);
      for (const e of buffered) send(e);
      deliver = send;
    },
  );
}

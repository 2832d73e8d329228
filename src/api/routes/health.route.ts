import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { serviceUnavailable } from '../http-errors.js';
import { errorResponse, response } from '../schemas.js';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

const ALIVE = { status: 'ok' };
const READY = { status: 'ready', redis: 'up' };
const notReady = () => serviceUnavailable('Redis is not reachable; uploads cannot be queued right now.', 'not_ready');

export function healthRoutes(app: FastifyInstance, { queue }: ApiDeps) {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process is up',
        description: 'For a liveness probe: answers as long as the process serves HTTP. It does not check Redis.',
        operationId: 'getHealth',
        tags: ['operations'],
        response: {
          200: response('The process is alive', { type: 'object', properties: { status: { type: 'string', const: 'ok' } } }, ALIVE),
        },
      },
      logLevel: 'warn',
    },
    async () => ALIVE,
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: Redis is reachable, so uploads can be queued',
        description: 'For a readiness probe: 503 while Redis does not answer within 2 s, so a load balancer sends uploads elsewhere.',
        operationId: 'getReady',
        tags: ['operations'],
        response: {
          200: response(
            'Ready to accept uploads',
            { type: 'object', properties: { status: { type: 'string' }, redis: { type: 'string' } } },
            READY,
          ),
          503: errorResponse('Not ready: Redis is unreachable', notReady()),
        },
      },
      logLevel: 'warn',
    },
    async () => {
      const up = await withTimeout(queue.ping(), 2000).catch(() => false);
      if (!up) throw notReady();
      return READY;
    },
  );
}

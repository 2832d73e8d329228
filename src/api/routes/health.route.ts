import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { sendError } from '../errors.js';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

export function healthRoutes(app: FastifyInstance, { queue }: ApiDeps) {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process is up',
        response: { 200: { type: 'object', properties: { status: { type: 'string', const: 'ok' } } } },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: Redis is reachable, so uploads can be queued',
        response: { 200: { type: 'object', properties: { status: { type: 'string' }, redis: { type: 'string' } } } },
      },
      logLevel: 'warn',
    },
    async (_req, reply) => {
      const up = await withTimeout(queue.ping(), 2000).catch(() => false);
      if (!up) return sendError(reply, 503, 'not_ready', 'Redis is not reachable; uploads cannot be queued right now.');
      return { status: 'ready', redis: 'up' };
    },
  );
}

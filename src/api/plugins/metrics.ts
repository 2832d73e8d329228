// Prometheus metrics of this api process at /metrics: requests and latency by route, jobs
// enqueued and canceled (routes count them through app.metrics), queue depth, workers, streams.
import fp from 'fastify-plugin';
import { apiMetrics, createRegistry, queueGauges, type ApiMetrics } from '../../metrics.js';
import type { ApiDeps } from '../deps.js';
import { METRICS_EXAMPLE } from '../openapi.js';
import { response } from '../schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

const SCHEMA = {
  summary: 'Prometheus metrics of this api process',
  description:
    'Prometheus text format: HTTP requests and latency by route, jobs enqueued and canceled, queue depth by state (and by model: cutout_lane_jobs), ' +
    'live workers (and by model), SSE clients, process memory. Each worker serves its own /metrics on WORKER_METRICS_PORT.',
  operationId: 'getMetrics',
  tags: ['operations'],
  produces: ['text/plain'],
  response: { 200: response('Metrics, in the Prometheus text exposition format', { type: 'string' }, METRICS_EXAMPLE) },
};

export default fp<Pick<ApiDeps, 'queue' | 'events'>>(async (app, { queue, events }) => {
  const registry = createRegistry('api');
  const metrics = apiMetrics(registry);
  app.decorate('metrics', metrics);
  queueGauges(registry, {
    counts: () => queue.counts(),
    laneCounts: () => queue.laneCounts(),
    workers: (model) => queue.workerCount(model),
    sseClients: () => events?.listenerCount() ?? 0,
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: reply.statusCode });
    metrics.latency.observe({ route, method: req.method }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: SCHEMA, logLevel: 'warn' }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}, { name: 'metrics' });

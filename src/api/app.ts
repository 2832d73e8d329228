// The whole HTTP app, built from its dependencies: main.ts runs it, tests inject into it.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps.js';
import { installErrorHandlers, shuttingDown, tooManyUploads } from './errors.js';
import { apiMetrics, createRegistry, queueGauges } from '../metrics.js';
import { installApiKeys, loadApiKeys } from './auth.js';
import { adminRoutes } from './routes/admin.route.js';
import { eventsRoute, OpenStreams } from './routes/events.route.js';
import { healthRoutes } from './routes/health.route.js';
import { jobsRoutes } from './routes/jobs.route.js';
import { removeBgRoute } from './routes/remove-bg.route.js';
import { METRICS_EXAMPLE, openapiOptions } from './openapi.js';
import { REQUEST_ID_PATTERN, response } from './schemas.js';
import { REDIS_KEY_PREFIX } from '../vocabulary.js';

const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The built page: dist/web beside dist/api, or dist/web from the sources when run with tsx. */
export function findWebDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')]) {
    if (fs.existsSync(path.join(dir, 'index.html')) && fs.existsSync(path.join(dir, 'app.js'))) return dir;
  }
  return null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, as METHOD and path (the OpenAPI test compares them). */
    routeList: { method: string; url: string; hidden: boolean }[];
  }
}

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Accept the caller's X-Request-Id when it is sane, so one id follows a request end to end.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }), // one line per request, below
    bodyLimit: 1024 * 1024,
    return503OnClosing: false, // answered below, with the JSON error body every other error has
    forceCloseConnections: 'idle',
  });
  // On close, event streams (SSE and WebSocket) are ended first, before the WebSocket plugin's own
  // hook (registered below) would close its sockets without a code. Requests still arriving on
  // open connections are turned away (Fastify adds `Connection: close`), so a load balancer
  // retries them on another replica.
  const streams = new OpenStreams();
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    streams.closeAll();
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (closing) {
      reply.header('retry-after', '1');
      throw shuttingDown();
    }
  });
  const registry = createRegistry('api');
  const metrics = apiMetrics(registry);
  queueGauges(registry, {
    counts: () => deps.queue.counts(),
    workers: () => deps.queue.workerCount(),
    sseClients: () => deps.events?.listenerCount() ?? 0,
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: reply.statusCode });
    metrics.latency.observe({ route, method: req.method }, reply.elapsedTime / 1000);
    if (req.routeOptions.logLevel === 'warn' && reply.statusCode < 400) return; // health probes
    req.log.info(
      { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  const routeList: FastifyInstance['routeList'] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD') routeList.push({ method, url: r.url, hidden: Boolean((r.schema as { hide?: boolean } | undefined)?.hide) });
    }
  });
  installErrorHandlers(app, config.MAX_UPLOAD_BYTES);
  const apiKeys = loadApiKeys(config);
  installApiKeys(app, apiKeys);
  // Cross-origin browsers are refused unless their origin is allowed by CORS_ORIGINS.
  if (config.CORS_ORIGINS.length) {
    await app.register(cors, { origin: config.CORS_ORIGINS, exposedHeaders: ['location', 'x-request-id', 'retry-after'] });
  }
  // Per-client upload limit; counters in Redis so that every api replica shares them.
  await app.register(rateLimit, {
    global: false,
    redis: deps.redis,
    skipOnError: true,
    nameSpace: `${REDIS_KEY_PREFIX}:${config.QUEUE_NAME}:ratelimit:`,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(tooManyUploads(ctx.max, Math.ceil(ctx.ttl / 1000))), {
        statusCode: 429,
      }),
  });
  await app.register(websocket, { options: { maxPayload: 4096 } }); // clients only listen on /events
  await app.register(multipart, {
    limits: { fileSize: config.MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 12, fieldSize: 1024 },
  });

  // OpenAPI document generated from the route schemas; /docs serves Swagger UI's bundled assets.
  await app.register(swagger, openapiOptions(config, apiKeys.length > 0));
  await app.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger());

  const webDir = findWebDir();
  if (webDir) {
    await app.register(fastifyStatic, {
      root: webDir,
      wildcard: false,
      schemaHide: true,
      logLevel: 'warn',
      setHeaders: (res) => {
        res.setHeader('content-security-policy', PAGE_CSP);
        res.setHeader('x-frame-options', 'DENY');
        res.setHeader('cache-control', 'no-cache');
      },
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(404).type('text/plain').send('The demo page is not built. Run `npm run build`.'),
    );
  }

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics of this api process',
        description:
          'Prometheus text format: HTTP requests and latency by route, jobs enqueued and canceled, queue depth by state, ' +
          'workers, SSE clients, process memory. Each worker serves its own /metrics on WORKER_METRICS_PORT.',
        operationId: 'getMetrics',
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: response('Metrics, in the Prometheus text exposition format', { type: 'string' }, METRICS_EXAMPLE) },
      },
      logLevel: 'warn',
    },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
  removeBgRoute(app, deps, metrics);
  jobsRoutes(app, deps, metrics);
  if (deps.events) eventsRoute(app, deps.events, streams);
  if (deps.cleanup) adminRoutes(app, deps.cleanup);
  healthRoutes(app, deps);
  return app;
}

// The whole HTTP app: a list of plugins (plugins/, one concern each) and the routes (routes/,
// thin: a schema and one service call). main.ts runs it; tests build it and inject into it.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { redisKeys } from '../jobs/redis-keys.js';
import { loadApiKeys } from './auth.js';
import type { ApiDeps } from './deps.js';
import { clientError, frameworkError, MAX_PARAM_LENGTH } from './edge-errors.js';
import { BODY_LIMIT_BYTES } from './errors.js';
import apiKeys from './plugins/api-keys.js';
import bodies from './plugins/bodies.js';
import cors from './plugins/cors.js';
import docs from './plugins/docs.js';
import errors from './plugins/errors.js';
import metrics from './plugins/metrics.js';
import multipart from './plugins/multipart.js';
import page from './plugins/page.js';
import rateLimit from './plugins/rate-limit.js';
import requestLog from './plugins/request-log.js';
import security from './plugins/security.js';
import websocket from './plugins/websocket.js';
import { adminRoutes } from './routes/admin.route.js';
import { batchesRoutes } from './routes/batches.route.js';
import { eventsRoute } from './routes/events.route.js';
import { healthRoutes } from './routes/health.route.js';
import { jobsRoutes } from './routes/jobs.route.js';
import { modelsRoute } from './routes/models.route.js';
import { removeBgRoute } from './routes/remove-bg.route.js';
import { removeBgCompatRoutes } from './compat/removebg/route.js';
import { rembgCompatRoutes } from './compat/rembg/route.js';
import { REQUEST_ID_PATTERN } from './schemas.js';
import { FinishedViews, jobsService } from './services/jobs.js';
import { appliedJobOf } from '../jobs/contract.js';
import { masksService } from './services/masks.js';
import { masksRoutes } from './routes/masks.route.js';

export { findWebDir } from './plugins/page.js';

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Accept the caller's X-Request-Id when it is sane, so one id follows a request end to end.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }), // one line per request: request-log
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, req, reply) => frameworkError(() => app, err, req, reply),
    clientErrorHandler: clientError,
    return503OnClosing: false, // answered by the security plugin, with the JSON error body
    forceCloseConnections: 'idle',
  });
  const keys = loadApiKeys(config);
  // Order matters: security first (its preClose ends the event streams before the WebSocket
  // plugin's own), the route list and the docs before any route.
  await app.register(security);
  await app.register(requestLog);
  await app.register(errors, { maxUploadBytes: config.MAX_UPLOAD_BYTES });
  await app.register(docs, { config, apiKeysOn: keys.length > 0 }); // before any documented route
  await app.register(metrics, { queue: deps.queue, events: deps.events });
  // CORS before the key check: a refusal (401) must carry the CORS headers, or a browser on an
  // allowed origin reads it as a network failure.
  await app.register(cors, { origins: config.CORS_ORIGINS });
  await app.register(apiKeys, { keys });
  await app.register(rateLimit, { redis: deps.redis, keys: redisKeys(config.QUEUE_NAME, config) });
  await app.register(websocket);
  await app.register(bodies);
  await app.register(multipart, { maxUploadBytes: config.MAX_UPLOAD_BYTES });
  await app.register(page);

  removeBgRoute(app, deps);
  modelsRoute(app, config, (model) => deps.queue.workerCount(model));
  await removeBgCompatRoutes(app, deps);
  await rembgCompatRoutes(app, deps);
  const views = new FinishedViews();
  // A saved mask edit changes a done job's view: every replica hears its apply job end (the queue's
  // events), and drops its short-cached view of that job, not only the replica that took the save.
  deps.events?.onAnyEnd((id) => {
    const edited = appliedJobOf(id);
    if (edited) views.forget(edited);
  });
  const jobs = jobsService(deps, app.metrics, views);
  jobsRoutes(app, jobs);
  masksRoutes(app, masksService(deps, views), config.MAX_UPLOAD_BYTES);
  if (deps.events) eventsRoute(app, deps.events, app.openStreams);
  if (deps.batches) batchesRoutes(app, { ...deps, batches: deps.batches }, deps.events, app.openStreams);
  if (deps.cleanup) adminRoutes(app, () => jobs.cleanup());
  healthRoutes(app, deps);
  return app;
}

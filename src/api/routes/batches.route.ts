// The batch routes: create (multipart files or ZIP archives), status, live events, the results as
// a streamed ZIP, cancel. Each is a schema (batches.schema.ts) and one call to a batch service.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { EventsHub } from '../events-hub.js';
import { serveSocket, serveSse } from '../event-transports.js';
import { FINAL_ID, type OpenStreams } from '../services/event-streams.js';
import { followBatch, type BatchFollowing } from '../services/batch-events.js';
import { readBatchForm } from '../services/batch-form.js';
import { BATCH_JSON_LIMIT, fetchBatchUrls, readBatchJson } from '../services/batch-json.js';
import { checkCallbackUrl } from '../services/callback-url.js';
import { fingerprintOf, idempotent } from '../services/idempotency.js';
import { isJson } from './remove-bg.body.js';
import { batchZip, batchZipName } from '../services/batch-zip.js';
import { batchStatus, cancelBatch, createBatch, type BatchDeps } from '../services/batches.js';
import { duplicateOption, queryOptions } from '../services/upload.js';
import { batchTooLarge } from '../services/zip-input.js';
import { BATCH_EVENTS_SCHEMA, BATCH_STATUS_SCHEMA, BATCH_ZIP_SCHEMA, CANCEL_BATCH_SCHEMA, createBatchSchema } from './batches.schema.js';

type BatchParams = { Params: { batch_id: string } };

export function batchesRoutes(app: FastifyInstance, deps: BatchDeps, hub: EventsHub | undefined, open: OpenStreams) {
  const { config } = deps;

  app.post(
    '/batches',
    {
      schema: createBatchSchema(config),
      validatorCompiler: () => () => true, // a multipart stream read by the handler, as for /remove-bg
      config: {
        jsonBodyLimit: BATCH_JSON_LIMIT, // or a JSON body with image_urls
        ...(config.RATE_LIMIT_PER_MINUTE > 0 ? { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } } : {}),
      },
      onRequest: async (req) => {
        if (Number(req.headers['content-length'] ?? 0) > config.MAX_BATCH_BYTES + 64 * 1024) throw batchTooLarge(config.MAX_BATCH_BYTES);
      },
    },
    async (req, reply) => {
      const query = queryOptions(req.query);
      const body = isJson(req) ? readBatchJson(req.body, config) : await readBatchForm(req, config);
      for (const name of Object.keys(body.fields)) if (name in query) throw duplicateOption(name);
      const options = { ...query, ...body.fields };
      const background = 'background' in body ? body.background : undefined;
      const print = () =>
        fingerprintOf({ sources: 'urls' in body ? body.urls : body.sources.map((s) => ('bytes' in s ? { file: s.bytes, name: s.filename } : s)), options, background, callback: body.callbackUrl });
      const answer = await idempotent(deps.idempotency, req, reply, print, async () => {
        const callbackUrl = body.callbackUrl === undefined ? undefined : await checkCallbackUrl(config, body.callbackUrl);
        const sources = 'urls' in body ? await fetchBatchUrls(config, body.urls) : body.sources;
        const accepted = await createBatch(deps, { sources, options, background, requestId: req.id, scope: req.clientScope, callbackUrl }, req.log, app.metrics);
        return { status: 202, body: accepted, location: accepted.status_url };
      });
      if (answer.location) reply.header('location', answer.location);
      return reply.code(202).send(answer.body);
    },
  );

  app.get<BatchParams>('/batches/:batch_id', { schema: BATCH_STATUS_SCHEMA }, async (req) => batchStatus(deps, req.params.batch_id));

  app.get<BatchParams>('/batches/:batch_id/zip', { schema: BATCH_ZIP_SCHEMA }, async (req, reply) => {
    const archive = await batchZip(deps, req.params.batch_id, req.log);
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${batchZipName(req.params.batch_id)}"`)
      .header('cache-control', 'no-store')
      .send(archive);
  });

  app.delete<BatchParams>('/batches/:batch_id', { schema: CANCEL_BATCH_SCHEMA }, async (req) => cancelBatch(deps, req.params.batch_id, req.log, app.metrics));

  if (hub) batchEventsRoute(app, deps, hub, open);
}

function batchEventsRoute(app: FastifyInstance, deps: BatchDeps, hub: EventsHub, open: OpenStreams) {
  // The batch is looked up before the answer starts (or the upgrade happens): an unknown one is a plain 404.
  const pending = new WeakMap<FastifyRequest, BatchFollowing>();
  const context = (id: string) => ({ route: '/batches/:batch_id/events', batchId: id });
  app.route<BatchParams>({
    method: 'GET',
    url: '/batches/:batch_id/events',
    schema: BATCH_EVENTS_SCHEMA,
    preHandler: async (req) => {
      pending.set(req, await followBatch(hub, deps, req.params.batch_id, req.raw.socket));
    },
    handler: async (req, reply) => {
      const following = pending.get(req)!;
      if (req.headers['last-event-id'] === FINAL_ID && following.finished) {
        following.stop();
        return reply.code(204).send();
      }
      serveSse(req, reply, following, open, context(req.params.batch_id));
    },
    wsHandler: (socket: WebSocket, req) => serveSocket(socket, req, pending.get(req)!, open, context(req.params.batch_id)),
  });
}

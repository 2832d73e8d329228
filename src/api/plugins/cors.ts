// Cross-origin browsers are refused unless their origin is listed in CORS_ORIGINS (a site that
// embeds <cutout-remover> is one). DELETE and PUT too (cancel a job or a batch, save an edited
// mask: not in the plugin's default methods); a result's description headers and ETag are
// readable there too.
import cors from '@fastify/cors';
import fp from 'fastify-plugin';

const EXPOSED_HEADERS = [
  'location', 'x-request-id', 'retry-after', 'idempotent-replayed', 'content-disposition', 'etag',
  'x-width', 'x-height', 'x-foreground-left', 'x-foreground-top', 'x-foreground-width', 'x-foreground-height', 'x-confidence',
];

export default fp<{ origins: string[] }>(async (app, { origins }) => {
  if (origins.length === 0) return;
  await app.register(cors, { origin: origins, methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], exposedHeaders: EXPOSED_HEADERS });
}, { name: 'cors' });

// Cross-origin browsers are refused unless their origin is listed in CORS_ORIGINS.
import cors from '@fastify/cors';
import fp from 'fastify-plugin';

export default fp<{ origins: string[] }>(async (app, { origins }) => {
  if (origins.length === 0) return;
  await app.register(cors, { origin: origins, exposedHeaders: ['location', 'x-request-id', 'retry-after', 'idempotent-replayed'] });
}, { name: 'cors' });

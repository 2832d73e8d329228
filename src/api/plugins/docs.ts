// The OpenAPI document, generated from the route schemas, at /openapi.json; Swagger UI at /docs
// (its bundled assets, no CDN).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import type { Config } from '../../config.js';
import { openapiOptions } from '../openapi.js';

export default fp<{ config: Config; apiKeysOn: boolean }>(async (app, { config, apiKeysOn }) => {
  await app.register(swagger, openapiOptions(config, apiKeysOn));
  await app.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger());
}, { name: 'docs' });

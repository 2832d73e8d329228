// The per-client upload limit (routes opt in with config.rateLimit); counters in Redis so that
// every api replica shares them, skipped when Redis is down rather than refusing uploads.
import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { REDIS_KEY_PREFIX } from '../../vocabulary.js';
import { tooManyUploads } from '../errors.js';

export default fp<{ redis?: Redis; queueName: string }>(async (app, { redis, queueName }) => {
  await app.register(rateLimit, {
    global: false,
    redis,
    skipOnError: true,
    nameSpace: `${REDIS_KEY_PREFIX}:${queueName}:ratelimit:`,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(tooManyUploads(ctx.max, Math.ceil(ctx.ttl / 1000))), { statusCode: 429 }),
  });
}, { name: 'rate-limit' });

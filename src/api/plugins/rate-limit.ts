// The per-client upload limit (routes opt in with config.rateLimit); counters in Redis so that
// every api replica shares them, skipped when Redis is down rather than refusing uploads.
import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { RedisClient } from '../../jobs/redis-connection.js';
import type { RedisKeys } from '../../jobs/redis-keys.js';
import { tooManyUploads } from '../errors.js';

export default fp<{ redis?: RedisClient; keys: RedisKeys }>(async (app, { redis, keys }) => {
  await app.register(rateLimit, {
    global: false,
    redis,
    skipOnError: true,
    // One key per client and route (a one-key script), so any slot will do in a Cluster.
    nameSpace: `${keys.own('ratelimit')}:`,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(tooManyUploads(ctx.max, Math.ceil(ctx.ttl / 1000))), { statusCode: 429 }),
  });
}, { name: 'rate-limit' });

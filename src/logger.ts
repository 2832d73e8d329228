// Structured logs (pino): JSON in production, pretty for the local demo.
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>, name: string): Logger {
  return pino({
    name,
    level: config.LOG_LEVEL,
    // Keys never reach the logs (request lines log the route, not the URL with its query).
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.query.api_key'], censor: '[redacted]' },
    ...(config.LOG_PRETTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
}

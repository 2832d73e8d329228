// Structured logs (pino): JSON in production, pretty for the local demo.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** `destination` (tests): where the JSON lines go instead of stdout. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>, name: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level: config.LOG_LEVEL,
    // Keys never reach the logs (request lines log the route, not the URL with its query).
    // The external engine's key (REMOVEBG_API_KEY) is never handed to a log call; should a config be, it is hidden too.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.query.api_key', 'REMOVEBG_API_KEY', '*.REMOVEBG_API_KEY'], censor: '[redacted]' },
    ...(config.LOG_PRETTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

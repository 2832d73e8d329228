// Optional API keys. When API_KEYS (or API_KEYS_FILE) is set, every API call needs one, as
// `Authorization: Bearer <key>`, `X-Api-Key: <key>`, or `?api_key=` (for EventSource and <img>,
// which cannot send headers). The page, its assets, the web component (/embed.js) and its demo,
// /health, /ready, /limits, /models and the docs stay open.
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { HttpError } from './http-errors.js';

const OPEN = [/^\/$/, /^\/(index\.html|app\.js|styles\.css)$/, /^\/(embed|embed\.html|embed\.js|embed-demo\.js|embed-demo\.css)$/, /^\/health$/, /^\/ready$/, /^\/limits$/, /^\/models$/, /^\/docs(\/|$)/, /^\/openapi\.json$/];

/** Paths that never need a key: the page, its assets, the web component and its demo, probes, limits, models and the docs. */
export const isOpenPath = (path: string): boolean => OPEN.some((re) => re.test(path));

export function loadApiKeys(config: Pick<Config, 'API_KEYS' | 'API_KEYS_FILE'>): string[] {
  const keys = [...config.API_KEYS];
  if (config.API_KEYS_FILE) {
    for (const line of fs.readFileSync(config.API_KEYS_FILE, 'utf8').split('\n')) {
      const key = line.trim();
      if (key && !key.startsWith('#')) keys.push(key);
    }
  }
  return keys;
}

export const apiKeyRequired = () =>
  new HttpError(401, 'api_key_required', 'An API key is required: send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>".');
export const apiKeyInvalid = () => new HttpError(403, 'api_key_invalid', 'This API key is not valid.');

const digest = (s: string) => createHash('sha256').update(s).digest();

function presented(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const q = (req.query as Record<string, unknown> | undefined)?.api_key;
  return typeof q === 'string' ? q : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Whose request this is, for the result cache: a digest of its API key, or 'public' when keys are off. */
    clientScope: string;
  }
}

export function installApiKeys(app: FastifyInstance, keys: string[]): void {
  app.decorateRequest('clientScope', 'public');
  if (keys.length === 0) return;
  // Compare digests of equal length in constant time, against every key (no early exit).
  const known = keys.map(digest);
  app.addHook('onRequest', async (req) => {
    const url = req.url.split('?')[0]!;
    if (req.method === 'OPTIONS' || isOpenPath(url)) return;
    const key = presented(req);
    if (!key) throw apiKeyRequired();
    const d = digest(key);
    let ok = false;
    for (const k of known) ok = timingSafeEqual(k, d) || ok;
    if (!ok) throw apiKeyInvalid();
    req.clientScope = d.toString('hex').slice(0, 32);
  });
}

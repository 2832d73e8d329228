// The demo page (dist/web), with a strict content security policy; a plain 404 with the build
// command when it was not built. Also the web component (/embed.js, loaded by other sites: any
// origin may load it, caches keep it five minutes) and its demo page (/embed.html, /embed).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** embed.js is not fingerprinted: a short cache, so a new version reaches embedding sites soon. */
export const EMBED_CACHE_CONTROL = 'public, max-age=300';

/** The built page: dist/web beside dist/api, or dist/web from the sources when run with tsx. */
export function findWebDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.resolve(here, '../../web'), path.resolve(here, '../../../dist/web')]) {
    if (fs.existsSync(path.join(dir, 'index.html')) && fs.existsSync(path.join(dir, 'app.js'))) return dir;
  }
  return null;
}

export default fp(async (app) => {
  const root = findWebDir();
  if (!root) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(404).type('text/plain').send('The demo page is not built. Run `npm run build`.'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    schemaHide: true,
    logLevel: 'warn',
    cacheControl: false, // set below, per file (send's own would replace it)
    setHeaders: (res, file) => {
      if (path.basename(file) === 'embed.js') {
        res.setHeader('cache-control', EMBED_CACHE_CONTROL);
        res.setHeader('cross-origin-resource-policy', 'cross-origin');
        return;
      }
      res.setHeader('content-security-policy', PAGE_CSP);
      res.setHeader('x-frame-options', 'DENY');
      res.setHeader('cache-control', 'no-cache');
    },
  });
  app.get('/embed', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/embed.html'));
}, { name: 'page' });

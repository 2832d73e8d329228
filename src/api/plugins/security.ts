// Every answer carries the request id and the security headers; while the process shuts down, the
// event streams end first and late requests get our JSON 503 (with Retry-After), so a load
// balancer sends them to another replica. Registered first: its preClose hook must run before the
// WebSocket plugin's own, which would close the sockets without a code.
import fp from 'fastify-plugin';
import { OpenStreams } from '../services/event-streams.js';
import { SECURITY_HEADERS } from '../edge-errors.js';
import { shuttingDown } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The event streams (SSE and WebSocket) open in this process; ended first on close. */
    openStreams: OpenStreams;
  }
}

export default fp(async (app) => {
  app.decorate('openStreams', new OpenStreams());
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    app.openStreams.closeAll();
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.headers({ ...SECURITY_HEADERS, 'x-request-id': req.id });
    if (closing) {
      reply.header('retry-after', '1');
      throw shuttingDown();
    }
  });
}, { name: 'security-and-shutdown' });

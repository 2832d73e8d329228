// One log line per request (health probes only when they fail), and every registered route kept
// in a list (the OpenAPI test compares it with the document).
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, as METHOD and path. */
    routeList: { method: string; url: string; hidden: boolean }[];
  }
}

export default fp(async (app) => {
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.logLevel === 'warn' && reply.statusCode < 400) return; // health probes
    req.log.info(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.decorate('routeList', []);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
      if (method !== 'HEAD') app.routeList.push({ method, url: route.url, hidden });
    }
  });
}, { name: 'request-log' });

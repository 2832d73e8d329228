// The worker's own small HTTP server (WORKER_METRICS_PORT): /metrics for Prometheus, /health
// (alive) and /ready (engine ready: the model loaded, or the external API taking the key; and
// Redis reachable) for orchestrators. Both name the engine.
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface WorkerProbe {
  /** The engine (ENGINE), named in /health and /ready. */
  engine: string;
  ready(): Promise<{ ok: boolean; reason?: string }>;
}

export function startHealthServer(port: number, registry: Registry, probe: WorkerProbe, logger: Logger): http.Server | null {
  if (port === 0) return null;
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    void (async () => {
      try {
        if (req.url === '/metrics') return send(200, registry.contentType, await registry.metrics());
        if (req.url === '/health') return send(200, 'application/json', JSON.stringify({ status: 'ok', engine: probe.engine }));
        if (req.url === '/ready') {
          const r = await probe.ready();
          return send(r.ok ? 200 : 503, 'application/json', JSON.stringify(r.ok ? { status: 'ready', engine: probe.engine } : { status: 'not_ready', engine: probe.engine, reason: r.reason }));
        }
        send(404, 'application/json', '{"error":{"code":"not_found","message":"Try /metrics, /health or /ready."}}');
      } catch (err) {
        logger.error({ err }, 'health server error');
        send(500, 'application/json', '{"error":{"code":"internal_error","message":"metrics unavailable"}}');
      }
    })();
  });
  server.on('error', (err: NodeJS.ErrnoException) =>
    logger.warn({ port, code: err.code }, 'worker metrics/health server not started (set WORKER_METRICS_PORT=0 to turn it off, or another port)'),
  );
  server.listen(port, '0.0.0.0', () => logger.info({ port }, 'worker /metrics, /health, /ready listening'));
  server.unref();
  return server;
}

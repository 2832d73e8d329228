// Small HTTP servers on 127.0.0.1 for tests of server-side fetches: a table of paths, each a
// handler; the server counts the requests it got (so a test can say nothing reached it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestServer {
  port: number;
  /** http://127.0.0.1:port */
  origin: string;
  /** Requests received, as "METHOD /path". */
  hits: string[];
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Handler>): Promise<TestServer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const handler = routes[(req.url ?? '/').split('?')[0]!];
    if (handler) return handler(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const redirect = (location: string, status = 302): Handler => (_req, res) => res.writeHead(status, { location }).end();

/** A body that never ends: a chunk every few milliseconds, until the client goes away. */
export const endless = (chunk: Buffer, everyMs: number, headers: http.OutgoingHttpHeaders = {}): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
  const timer = setInterval(() => res.write(chunk), everyMs);
  res.on('close', () => clearInterval(timer));
};

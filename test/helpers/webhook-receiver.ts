// A webhook receiver for tests: a local server that answers the first deliveries of each message
// with 500 (as many as asked), then checks the Standard Webhooks signature with the
// `standardwebhooks` package (a verifier nobody on this project wrote): 204 when it verifies, 401
// when not. Every delivery is recorded with its headers, body and verified payload.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: Record<string, unknown> | null;
  answered: number;
}

export async function startReceiver() {
  const deliveries: Delivery[] = [];
  const tries = new Map<string, number>();
  let failFirst = 0;
  const verifier = new Webhook(SECRET);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      let verified: Record<string, unknown> | null = null;
      try {
        verified = verifier.verify(body, req.headers as Record<string, string>) as Record<string, unknown>;
      } catch {
        verified = null;
      }
      const answered = n <= failFirst ? 500 : verified ? 204 : 401;
      deliveries.push({ headers: req.headers, body, verified, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cutout`,
    deliveries,
    failFirst: (n: number) => void (failFirst = n),
    of: (jobId: string, kind: 'job' | 'batch' = 'job') => deliveries.filter((d) => d.headers['webhook-id'] === `msg_${kind}_${jobId}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}


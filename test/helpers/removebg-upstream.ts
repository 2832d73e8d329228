// A small remove.bg-compatible API on 127.0.0.1 whose answers a test scripts (402, 429, 400…),
// recording every call: its time, its key and its form fields. Between scripted answers it answers
// as remove.bg does for channels=alpha: the photo's mask (here: everything is subject) as a PNG.
import sharp from 'sharp';
import { startServer, type TestServer } from './http-servers.js';

export interface UpstreamCall {
  at: number;
  key: string | undefined;
  idempotencyKey: string | undefined;
  fields: Record<string, string>;
  imageBytes: number;
}

export interface ScriptedAnswer {
  /** 0: no answer at all (the connection stays open until the client gives up). */
  status: number;
  headers?: Record<string, string>;
  /** remove.bg's error body: {"errors": [{title, code, detail}]}. */
  error?: { title: string; code: string; detail: string };
}

export interface Upstream extends TestServer {
  calls: UpstreamCall[];
  /** The next calls get these answers, in order; then masks again. */
  script(...answers: ScriptedAnswer[]): void;
  /** Resolves once `n` calls were received. */
  called(n: number): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const calls: UpstreamCall[] = [];
  const queue: ScriptedAnswer[] = [];
  const server = await startServer({
    '/v1.0/account': (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"attributes":{"credits":{"total":1}}}}'),
    '/v1.0/removebg': (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const form = await new Request('http://upstream.invalid/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: Buffer.concat(chunks) }).formData();
          const fields: Record<string, string> = {};
          let image: Blob | undefined;
          for (const [name, value] of form) {
            if (typeof value === 'string') fields[name] = value;
            else image = value;
          }
          const photo = Buffer.from(await image!.arrayBuffer());
          calls.push({ at: Date.now(), key: req.headers['x-api-key'] as string | undefined, idempotencyKey: req.headers['idempotency-key'] as string | undefined, fields, imageBytes: photo.length });
          const answer = queue.shift();
          if (answer?.status === 0) return;
          if (answer) {
            const body = JSON.stringify({ errors: [answer.error ?? { title: 'Error', code: 'error', detail: '' }] });
            return void res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(body);
          }
          const { width, height } = await sharp(photo).metadata();
          const mask = await sharp({ create: { width: width!, height: height!, channels: 3, background: '#ffffff' } }).toColourspace('b-w').png().toBuffer();
          res.writeHead(200, { 'content-type': 'image/png' }).end(mask);
        })().catch(() => res.writeHead(500).end());
      });
    },
  });
  return {
    ...server,
    calls,
    script: (...answers) => void queue.push(...answers),
    async called(n) {
      while (calls.length < n) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

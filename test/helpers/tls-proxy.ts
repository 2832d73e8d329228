// A TLS-terminating proxy on 127.0.0.1 for clients whose API address is fixed (https://api.remove.bg):
// a self-signed certificate for that host name (made by the openssl CLI at test time), and an HTTPS
// server that forwards every request to a local http origin. The client, in a child process,
// trusts the certificate through NODE_EXTRA_CA_CERTS and reaches the proxy through a preload
// (remote-host-preload.ts) that maps the host name to this port on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** The openssl CLI, or null when this machine has none (tests that need it skip). */
export function opensslPath(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    return null;
  }
}

export interface SelfSigned {
  certFile: string;
  cert: Buffer;
  key: Buffer;
}

/** A certificate for `host`, valid for a day, written into `dir` (cert.pem, key.pem). */
export async function selfSignedCert(host: string, dir: string): Promise<SelfSigned> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`],
    { stdio: 'ignore' },
  );
  return { certFile, cert: await fs.readFile(certFile), key: await fs.readFile(keyFile) };
}

export interface TlsProxy {
  port: number;
  /** Requests forwarded, as "METHOD /path". */
  hits: string[];
  close(): Promise<void>;
}

/** HTTPS on 127.0.0.1 (a free port) → http `origin`, requests and answers streamed as they are. */
export async function startTlsProxy(tls: SelfSigned, origin: string): Promise<TlsProxy> {
  const target = new URL(origin);
  const hits: string[] = [];
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

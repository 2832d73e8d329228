// Preloaded (node --import) into a child process that runs a client with a fixed API address:
// TLS connections to REMOTE_HOST (port 443) go to 127.0.0.1:REMOTE_PORT instead, keeping the host
// name for SNI and the certificate check; every other connection must be loopback too (the guard).
import tls from 'node:tls';
import { installLoopbackGuard } from './loopback-only.js';

const host = process.env.REMOTE_HOST;
const port = Number(process.env.REMOTE_PORT);
if (!host || !port) throw new Error('remote-host-preload: set REMOTE_HOST and REMOTE_PORT');

installLoopbackGuard();
const connect = tls.connect;
tls.connect = function (this: unknown, ...args: unknown[]) {
  const options = args[0];
  if (typeof options === 'object' && options !== null && (options as tls.ConnectionOptions).host === host) {
    const o = options as tls.ConnectionOptions;
    o.port = port;
    o.servername ??= host;
    o.lookup = ((_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
      opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as tls.ConnectionOptions['lookup'];
  }
  return connect.apply(this, args as never);
} as typeof tls.connect;

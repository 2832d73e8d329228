// Tests never open a connection to anything but this machine. Installed for a test file, this
// guard wraps every TCP connect (net.connect, http, https, fetch, Redis clients all go through
// net.Socket.prototype.connect): a literal address must be loopback, and a host name's lookup
// must answer loopback addresses only. Anything else throws at once AND is recorded, so a fetch
// layer that turns the throw into its own error still fails the file (check() in `after`).
import assert from 'node:assert/strict';
import dns from 'node:dns';
import net from 'node:net';

type Lookup = (host: string, options: object, callback: (...args: unknown[]) => void) => void;

const isLoopback = (address: string) => {
  const bare = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return /^127\./.test(bare) || bare === '::1' || /^::ffff:127\./.test(bare) || bare === '0:0:0:0:0:0:0:1';
};

export interface LoopbackGuard {
  /** Connections refused so far (host or address, and port). */
  violations: string[];
  /** Fails when any connection to a non-loopback address was tried. */
  check(): void;
  remove(): void;
}

export function installLoopbackGuard(): LoopbackGuard {
  const violations: string[] = [];
  const original = net.Socket.prototype.connect;
  const refuse = (target: string) => {
    violations.push(target);
    throw new Error(`loopback-only guard: a test tried to connect to ${target}`);
  };
  /** The lookup the socket will use, wrapped so that every answer must be loopback. */
  const guarded = (lookup: Lookup, port: unknown): Lookup => (host, options, callback) =>
    lookup(host, options, (err: unknown, address: unknown, family: unknown) => {
      if (!err) {
        const list = Array.isArray(address) ? (address as { address: string }[]).map((a) => a.address) : [String(address)];
        const bad = list.find((a) => !isLoopback(a));
        if (bad) {
          violations.push(`${host} → ${bad}:${String(port)}`);
          callback(new Error(`loopback-only guard: ${host} resolved to ${bad}, not loopback`));
          return;
        }
      }
      callback(err, address, family);
    });

  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect passes [options, callback] with a private marker; sockets may also get (port, host).
    const first = args[0];
    const normalized = Array.isArray(first) ? (first as unknown[]) : null;
    const given = normalized ? normalized[0] : first;
    if (typeof given === 'string' && !/^\d+$/.test(given)) return original.apply(this, args as never); // a unix socket path
    const hostArg = typeof args[1] === 'string' ? args[1] : undefined;
    let options: Record<string, unknown> = typeof given === 'object' && given !== null ? { ...(given as object) } : { port: given, host: hostArg };
    if (options.path === undefined) {
      const host = String(options.host ?? 'localhost');
      if (net.isIP(host.replace(/^\[(.*)\]$/, '$1'))) {
        if (!isLoopback(host)) refuse(`${host}:${String(options.port)}`);
      } else {
        options = { ...options, lookup: guarded((options.lookup as Lookup | undefined) ?? (dns.lookup as unknown as Lookup), options.port) };
      }
    }
    if (normalized) {
      normalized[0] = options;
      return original.apply(this, args as never);
    }
    if (typeof given === 'object' && given !== null) return original.apply(this, [options, ...args.slice(1)] as never);
    return original.apply(this, [options, ...args.slice(hostArg === undefined ? 1 : 2)] as never);
  } as typeof original;

  return {
    violations,
    check: () => assert.deepEqual(violations, [], 'every connection went to loopback'),
    remove: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

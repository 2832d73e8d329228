// Starts a private redis-server: for the local demo (when nothing answers on REDIS_URL) and for
// tests (a free port in a temp dir, never the developer's Redis on 6379).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_INSTALL_HINT =
  'redis-server was not found. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) ' +
  'or point REDIS_URL at a running Redis.';

export interface LocalRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Runs redis-server in the foreground as a child, with append-only persistence in `dir`.
 * Resolves once it answers PING.
 */
export async function startLocalRedis(opts: {
  dir: string;
  port?: number;
  bind?: string;
  /** A config file read first (redis-server <file> …): a Sentinel needs one it can rewrite. */
  configFile?: string;
  /** More arguments after the usual ones, e.g. --cluster-enabled yes, or --sentinel. */
  args?: string[];
}): Promise<LocalRedis> {
  await fs.mkdir(opts.dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const bind = opts.bind ?? '127.0.0.1';
  const child = spawn(
    'redis-server',
    [...(opts.configFile ? [opts.configFile] : []),
      '--port', String(port), '--bind', bind, '--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--save', '', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning', ...(opts.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ENOENT' ? new Error(REDIS_INSTALL_HINT) : err),
    );
    child.once('exit', (code) => resolve(new Error(`redis-server exited with code ${code}: ${stderr.trim()}`)));
  });
  const url = `redis://${bind}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const failed = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    if (failed) throw failed;
    if (await redisAnswers(url, 500)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 15 s: ${stderr.trim()}`);
    }
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  };
  return { url, port, dir: opts.dir, process: child, stop };
}

// The real service as separate processes (a private Redis, the api and workers from dist/), for
// the benchmark and the load script; a client's upload; the peak memory of a process.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startLocalRedis } from './local-redis.js';
import { builtScript } from './repo.js';
import { workerEnvironment } from '../src/worker/glibc-tunables.js';

export interface Service {
  base: string;
  api: ChildProcess;
  workers: ChildProcess[];
  /** Starts one more worker process. */
  addWorker(): ChildProcess;
  /** Stops Redis (SIGTERM: it writes its append-only file) and starts it again on the same port and data. */
  restartRedis(): Promise<void>;
  /** SIGTERM to every process, then Redis stops. */
  stop(): Promise<void>;
}

/** Starts Redis under `root`, the api on a free port and `workers` workers; resolves once /ready. */
export async function startService(
  root: string,
  opts: { workers?: number; env?: Record<string, string>; stdio?: 'ignore' | 'inherit' } = {},
): Promise<Service> {
  let redis = await startLocalRedis({ dir: path.join(root, 'redis') });
  const port = await freePort();
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    DATA_DIR: path.join(root, 'data'),
    PORT: String(port),
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    ...opts.env,
  };
  const run = (file: string, own = env) => spawn(process.execPath, [file], { env: own, stdio: opts.stdio ?? 'ignore' });
  // Workers as the image and npm run start:worker start them (glibc-tunables.ts).
  const runWorker = () => run(builtScript('worker/main.js'), workerEnvironment(env));
  const api = run(builtScript('api/main.js'));
  const workers = Array.from({ length: opts.workers ?? 1 }, runWorker);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; !(await fetch(`${base}/ready`).catch(() => null))?.ok; i++) {
    if (i > 300) throw new Error('the api did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    api,
    workers,
    addWorker() {
      const worker = runWorker();
      workers.push(worker);
      return worker;
    },
    async restartRedis() {
      await redis.stop();
      redis = await startLocalRedis({ dir: redis.dir, port: redis.port });
    },
    async stop() {
      for (const p of [api, ...workers]) p.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1500));
      await redis.stop();
    },
  };
}

/** POST /remove-bg with one file, as a client does. */
export function upload(base: string, bytes: Uint8Array, name: string, headers?: Record<string, string>): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  return fetch(`${base}/remove-bg`, { method: 'POST', body: form, headers });
}

/** Peak resident memory of a process so far (VmHWM), in MB; null where /proc does not say. */
export function peakRssMb(pid: number | 'self'): number | null {
  return procStatusMb(pid, 'VmHWM');
}

/** Resident memory of a process now (VmRSS), in MB; null where /proc does not say. */
export function rssMb(pid: number | 'self'): number | null {
  return procStatusMb(pid, 'VmRSS');
}

function procStatusMb(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number | null {
  const kb = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1];
  return kb ? Number(kb) / 1024 : null;
}

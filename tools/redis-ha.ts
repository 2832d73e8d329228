// Highly available Redis for tests and tools/load-failover.ts, from real redis-server processes on free ports in temp dirs:
// a 3-master Cluster, and a Sentinel set (a master, a replica, three Sentinels). Each returns the
// environment that points Cutout at it, and stops every process and deletes its files on cleanup.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from './local-redis.js';

const exec = promisify(execFile);

export interface TestRedisSet {
  /** Environment for loadConfig: the mode's variables. */
  env: Record<string, string>;
  servers: LocalRedis[];
  cleanup(): Promise<void>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One command to one server, on a connection of its own. */
export async function ask(port: number, ...command: string[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command[0]!, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

function redisSet(root: string, servers: LocalRedis[], env: Record<string, string>): TestRedisSet {
  return {
    env,
    servers,
    async cleanup() {
      await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** Three masters (no replicas), slots spread by redis-cli --cluster create; ready when every node says cluster_state:ok. */
export async function startTestCluster(): Promise<TestRedisSet> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-cluster-'));
  const servers: LocalRedis[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(await startLocalRedis({
        dir: path.join(root, `node-${i}`),
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
      }));
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await exec('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (const s of servers) {
      await until(`cluster_state:ok on ${s.port}`, async () => String(await ask(s.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
    return redisSet(root, servers, { REDIS_CLUSTER_NODES: addresses.join(',') });
  } catch (err) {
    await redisSet(root, servers, {}).cleanup();
    throw err;
  }
}

export const SENTINEL_MASTER_NAME = 'cutout-test';

export interface TestSentinelSet extends TestRedisSet {
  /** The data servers: the first master, then its replicas. */
  data: LocalRedis[];
  sentinels: LocalRedis[];
  /** The port of the master the Sentinels name now. */
  masterPort(): Promise<number>;
  /**
   * Asks a Sentinel to fail over (or, with kill, SIGKILLs the master and lets the Sentinels find
   * out), and waits until a replica is the master the Sentinels name.
   */
  failover(opts?: { kill?: boolean }): Promise<{ from: number; to: number }>;
}

/** A master, its replicas (1 unless told), and three Sentinels watching them (quorum 2); ready when every Sentinel sees them healthy. */
export async function startTestSentinel(opts: { replicas?: number } = {}): Promise<TestSentinelSet> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-sentinel-'));
  const servers: LocalRedis[] = [];
  try {
    const master = await startLocalRedis({ dir: path.join(root, 'master') });
    servers.push(master);
    for (let i = 0; i < (opts.replicas ?? 1); i++) {
      servers.push(await startLocalRedis({ dir: path.join(root, `replica-${i}`), args: ['--replicaof', '127.0.0.1', String(master.port)] }));
    }
    const data = [...servers];
    const sentinels: LocalRedis[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = path.join(root, `sentinel-${i}`);
      await fs.mkdir(dir, { recursive: true });
      const configFile = path.join(dir, 'sentinel.conf');
      await fs.writeFile(configFile, [
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'));
      const sentinel = await startLocalRedis({ dir, configFile, args: ['--sentinel'] });
      sentinels.push(sentinel);
      servers.push(sentinel);
    }
    const masterPort = async () => {
      const [, port] = (await ask(sentinels[0]!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as [string, string];
      return Number(port);
    };
    const healthyReplica = async (sentinelPort: number) => {
      const replicas = (await ask(sentinelPort, 'SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)) as string[][];
      const healthy = replicas.filter((flat) => {
        const fields = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
        return fields.flags === 'slave' && fields['master-link-status'] === 'ok';
      });
      return healthy.length >= (opts.replicas ?? 1);
    };
    for (const s of sentinels) await until(`sentinel ${s.port} sees a healthy replica`, () => healthyReplica(s.port));
    return {
      ...redisSet(root, servers, { REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME }),
      data,
      sentinels,
      masterPort,
      async failover({ kill = false } = {}) {
        const from = await masterPort();
        await until('a replica ready to take over', () => healthyReplica(sentinels[0]!.port));
        if (kill) await data.find((s) => s.port === from)!.stop('SIGKILL');
        else await ask(sentinels[0]!.port, 'SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME);
        const to = await until('the replica promoted', async () => {
          const port = await masterPort();
          return port !== from && String(await ask(port, 'ROLE')).startsWith('master') ? port : false;
        });
        return { from, to };
      },
    };
  } catch (err) {
    await redisSet(root, servers, {}).cleanup();
    throw err;
  }
}

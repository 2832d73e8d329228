import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalRedis, type LocalRedis } from '../../tools/local-redis.js';

/** A private redis-server on a free port in a temp dir; never the developer's Redis. */
export async function startTestRedis(): Promise<LocalRedis & { cleanup(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-redis-'));
  const redis = await startLocalRedis({ dir });
  return {
    ...redis,
    async cleanup() {
      await redis.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

// `npm start`: the whole demo on one machine. Starts redis-server (persistent, under DATA_DIR)
// when REDIS_URL is not set and nothing answers on the default port, then the api and a worker.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../config.js';
import { startLocalRedis, redisAnswers, REDIS_INSTALL_HINT, type LocalRedis } from '../redis/local-redis.js';

const config = loadConfigOrExit();
const here = path.dirname(fileURLToPath(import.meta.url));
const env: NodeJS.ProcessEnv = { ...process.env };
let redis: LocalRedis | undefined;

if (!(await redisAnswers(config.REDIS_URL))) {
  if (process.env.REDIS_URL || !config.START_LOCAL_REDIS) {
    process.stderr.write(`Nothing answers at REDIS_URL=${config.REDIS_URL}. Start Redis there, or unset REDIS_URL to let the demo start one.\n`);
    process.exit(1);
  }
  const port = Number(new URL(config.REDIS_URL).port || 6379);
  try {
    redis = await startLocalRedis({ dir: path.join(config.DATA_DIR, 'redis'), port });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    if (!(err instanceof Error && err.message === REDIS_INSTALL_HINT)) process.stderr.write(`${REDIS_INSTALL_HINT}\n`);
    process.exit(1);
  }
  process.stdout.write(`Started redis-server on ${redis.url} (append-only data in ${redis.dir})\n`);
}
env.REDIS_URL = redis?.url ?? config.REDIS_URL;

const children: ChildProcess[] = [];
let stopping = false;
function run(name: string, file: string) {
  const child = spawn(process.execPath, [path.join(here, '..', file)], { env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} exited (${signal ?? code}); stopping the demo.\n`);
      void stop(1);
    }
  });
  children.push(child);
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => (c.once('exit', r), c.kill('SIGTERM')))),
  );
  await redis?.stop();
  process.exit(code);
}

run('worker', 'worker/main.js');
run('api', 'api/main.js');
const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;
process.stdout.write(`\nCutout demo: open http://${host}:${config.PORT}/  (API docs at /docs; Ctrl+C stops everything)\n\n`);
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

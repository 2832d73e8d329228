// Crashes and restarts lose nothing: real redis-server, api and worker processes, real signals.
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocket } from 'ws';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { freePort, startLocalRedis, type LocalRedis } from '../../tools/local-redis.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { subjectOnBackground } from '../helpers/images.js';
import { multipartParts, upload } from '../helpers/multipart.js';
import { startProcess, type Proc } from '../helpers/procs.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('faults: nothing is lost', { timeout: 900_000 }, () => {
  const procs: Proc[] = [];
  const redises: LocalRedis[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const r of redises) await r.stop('SIGKILL').catch(() => undefined);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function setup() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-faults-'));
    dirs.push(root);
    const redisPort = await freePort();
    const redis = await startLocalRedis({ dir: path.join(root, 'redis'), port: redisPort });
    redises.push(redis);
    const port = await freePort();
    // A short lock, so the job of a killed worker is handed over within the test's time.
    const env = { REDIS_URL: redis.url, DATA_DIR: path.join(root, 'data'), PORT: String(port), QUEUE_NAME: 'faults', JOB_LOCK_SECONDS: '15' };
    const base = `http://127.0.0.1:${port}`;
    const start = (kind: 'api' | 'worker', extra: Record<string, string> = {}) => {
      const p = startProcess(kind, { ...env, ...extra });
      procs.push(p);
      return p;
    };
    return { root, redis, env, base, start };
  }

  async function submit(base: string, bytes: Buffer, name = 'photo.jpg'): Promise<string> {
    const res = await upload(base, bytes, name);
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { job_id: string }).job_id;
  }
  async function waitStatus(base: string, id: string, want: (s: string) => boolean, ms = 180_000): Promise<StatusView> {
    const deadline = Date.now() + ms;
    for (;;) {
      const res = await fetch(`${base}/status/${id}`).catch(() => null);
      if (res?.ok) {
        const v = (await res.json()) as StatusView;
        if (want(v.status)) return v;
      }
      assert.ok(Date.now() < deadline, `job ${id} did not reach the wanted state`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a worker killed with SIGKILL mid-job: another worker picks the job up and completes it', async () => {
    const { base, start } = await setup();
    const api = start('api');
    await api.logged(/Server listening/);
    const a = start('worker');
    await a.logged(/worker ready/);
    const id = await submit(base, await subjectOnBackground(2000, 1500));
    await waitStatus(base, id, (s) => s === 'processing');
    a.child.kill('SIGKILL');
    await a.exited;
    const b = start('worker');
    const done = await waitStatus(base, id, (s) => s === 'done' || s === 'failed');
    assert.equal(done.status, 'done', done.error);
    assert.equal(done.attempts >= 2, true, `taken again after the crash (attempts ${done.attempts})`);
    b.child.kill('SIGTERM');
    await b.exited;
  });

  it('Redis SIGKILLed with 20 jobs queued and restarted on its data; api restarted: all 20 complete, every status and result served', async () => {
    const { base, start, redis } = await setup();
    let api = start('api');
    await api.logged(/Server listening/);
    const ids: string[] = [];
    const sizes: [number, number][] = [];
    for (let i = 0; i < 20; i++) {
      const w = 200 + i * 10;
      sizes.push([w, 150]);
      ids.push(await submit(base, await subjectOnBackground(w, 150)));
    }
    await redis.stop('SIGKILL');
    const again = await startLocalRedis({ dir: redis.dir, port: redis.port });
    redises.push(again);
    // the api survives the outage and serves again
    await waitStatus(base, ids[0]!, (s) => s === 'queued', 30_000);
    const worker = start('worker');
    await worker.logged(/worker ready/);
    // restart the api while the jobs are in flight
    await waitStatus(base, ids[0]!, (s) => s !== 'queued');
    api.child.kill('SIGTERM');
    assert.equal(await api.exited, 0);
    api = start('api');
    await api.logged(/Server listening/);
    for (const [i, id] of ids.entries()) {
      const v = await waitStatus(base, id, (s) => s === 'done' || s === 'failed');
      assert.equal(v.status, 'done', `${id}: ${v.error}`);
      const png = Buffer.from(await (await fetch(`${base}/result/${id}`)).arrayBuffer());
      const meta = await sharp(png).metadata();
      assert.deepEqual([meta.width, meta.height, meta.channels], [...sizes[i]!, 4]);
    }
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  it('SIGTERM to a busy worker finishes the job in hand, then exits 0', async () => {
    const { base, start } = await setup();
    const api = start('api');
    await api.logged(/Server listening/);
    const worker = start('worker', { SHUTDOWN_GRACE_SECONDS: '60' });
    await worker.logged(/worker ready/);
    const id = await submit(base, await subjectOnBackground(1600, 1200));
    await waitStatus(base, id, (s) => s === 'processing');
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    const v = await waitStatus(base, id, () => true);
    assert.equal(v.status, 'done', 'the job in hand was finished before exit');
    assert.equal(v.attempts, 1);
  });

  it('SIGTERM to the api: the upload in flight is accepted, event streams and WebSockets end, the process exits 0', async () => {
    const { base, start, env } = await setup();
    const api = start('api', { SHUTDOWN_GRACE_SECONDS: '30' });
    await api.logged(/Server listening/);
    const queued = await submit(base, await subjectOnBackground()); // no worker: it stays queued

    // An event stream that would stay open for as long as the job waits.
    const stream = await fetch(`${base}/events/${queued}`);
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    const streamEnded = (async () => {
      while (!(await reader.read()).done);
    })();
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/events/${queued}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    // An upload whose body is still arriving when the signal comes.
    const image = await subjectOnBackground(640, 480);
    const { head, tail, contentType } = multipartParts('late.jpg', { type: 'image/jpeg' });
    const req = http.request(`${base}/remove-bg`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': head.length + image.length + tail.length },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    req.write(head);
    req.write(image.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 300));

    const signalled = Date.now();
    api.child.kill('SIGTERM');
    await api.logged(/shutting down/);
    req.end(Buffer.concat([image.subarray(1000), tail]));

    const res = await answer;
    assert.equal(res.status, 202, res.body);
    await streamEnded; // the server ends open streams; EventSource reconnects to another replica
    assert.equal(await wsClosed, 1001, 'WebSocket clients are told the server is going away');
    assert.equal(await api.exited, 0);
    const tookMs = Date.now() - signalled;
    assert.ok(tookMs < 10_000, `drained and exited in ${tookMs} ms (grace 30 s)`);

    // Both jobs are safe in Redis: a new api serves them.
    const again = start('api', { PORT: env.PORT });
    await again.logged(/Server listening/);
    const late = JSON.parse(res.body) as { job_id: string };
    for (const id of [queued, late.job_id]) assert.equal((await waitStatus(base, id, () => true)).status, 'queued');
  });
});

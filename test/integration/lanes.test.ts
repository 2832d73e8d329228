// A lane (queue) per model, end to end: the api (MODELS=u2netp,birefnet-general-lite), Redis and
// two workers, one with only u2netp loaded (the default model's lane) and one with only
// birefnet-general-lite (the lane `<QUEUE_NAME>.birefnet-general-lite`): tiny ONNX models in the
// real pipeline. Each job is done by the worker that has its model, none fails with
// model_not_loaded; status, events, cancel, the failed list and cleanup find a job in the other
// lane; GET /models counts the live workers; a loaded model with no live worker is still
// accepted and waits in line until one starts. And the safety net: a worker whose MODELS
// disagree with the api's fails a job for a model it does not have, in words.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCleanup } from '../../src/jobs/cleanup.js';
import type { StatusView } from '../../src/jobs/contract.js';
import type { RunningWorker } from '../../src/worker/worker.js';
import { corruptPng } from '../helpers/images.js';
import { openSse } from '../helpers/sse.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { threeBands, tinyPipeline } from '../helpers/tiny-onnx.js';

const A = 'u2netp';
const B = 'birefnet-general-lite';

const photo = threeBands; // a subject for the tiny models

async function post(stack: Stack, fields: Record<string, string>, body?: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(body ?? (await photo()))]), 'photo.png');
  for (const [k, v] of Object.entries({ refine: 'none', ...fields })) form.append(k, v);
  return fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form });
}

async function submit(stack: Stack, fields: Record<string, string>, body?: Buffer): Promise<string> {
  const res = await post(stack, fields, body);
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { job_id: string }).job_id;
}

type ModelsBody = { models: { name: string; loaded: boolean; workers?: number; available?: boolean }[] };
async function served(stack: Stack): Promise<Record<string, [number | undefined, boolean | undefined]>> {
  const body = (await (await fetch(`${stack.baseUrl}/models`)).json()) as ModelsBody;
  return Object.fromEntries(body.models.filter((m) => m.name === A || m.name === B || m.name === 'isnet-general-use').map((m) => [m.name, [m.workers, m.available]]));
}

/** The api counts live workers with a 5 s cache. */
const pastWorkerCache = () => new Promise((r) => setTimeout(r, 5200));

describe('a lane per model: workers with different models', { timeout: 180_000 }, () => {
  let dir: string;
  let stack: Stack;
  let workerA: RunningWorker;
  let workerB: RunningWorker;
  const ranBy = new Map<string, string>();
  const track = (w: RunningWorker, name: string) => w.lanes.forEach((l) => l.on('completed', (job) => ranBy.set(job.id!, name)));

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-lanes-'));
    stack = await startStack({ workers: 0, env: { MODELS: `${A},${B}`, JOB_ATTEMPTS: '1' } });
    workerA = await stack.addWorker({ cutter: await tinyPipeline(dir, [A]) });
    workerB = await stack.addWorker({ cutter: await tinyPipeline(dir, [B]) });
    track(workerA, 'A');
    track(workerB, 'B');
  });
  after(async () => {
    await stack.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('each worker serves only the lane of the model it has; GET /models counts them', async () => {
    assert.deepEqual(workerA.models, [A]);
    assert.deepEqual(workerB.models, [B]);
    assert.deepEqual(workerB.lanes.map((l) => l.name), [`${stack.config.QUEUE_NAME}.${B}`]);
    assert.deepEqual(await served(stack), { [A]: [1, true], [B]: [1, true], 'isnet-general-use': [0, false] });
  });

  it('a job for each model is done by the worker that has it; none fails with model_not_loaded', async () => {
    const ids = await Promise.all([submit(stack, {}), submit(stack, { model: B }), submit(stack, { model: A }), submit(stack, { model: B })]);
    const views = await Promise.all(ids.map((id) => stack.waitFor(id)));
    for (const view of views) assert.equal(view.status, 'done', `${view.error_code}: ${view.error}`);
    assert.deepEqual(views.map((v) => v.options?.model), [A, B, A, B]);
    assert.deepEqual(ids.map((id) => ranBy.get(id)), ['A', 'B', 'A', 'B']);
  });

  it('a job in the other lane: queued with its place in line, its events, then canceled', async () => {
    await workerB.lanes[0]!.pause();
    try {
      const first = await submit(stack, { model: B });
      const second = await submit(stack, { model: B });
      const view = (await (await fetch(`${stack.baseUrl}/status/${second}`)).json()) as StatusView;
      assert.deepEqual([view.status, view.position, view.options?.model], ['queued', 2, B]);
      const sse = await openSse(`${stack.baseUrl}/events/${second}`);
      const events = sse.collect((e) => e.event === 'canceled', 20_000);
      const canceled = await fetch(`${stack.baseUrl}/jobs/${second}`, { method: 'DELETE' });
      assert.equal(canceled.status, 200, await canceled.clone().text());
      assert.deepEqual((await events).map((e) => e.event), ['queued', 'canceled']);
      assert.equal((await stack.waitFor(second)).status, 'canceled');
      // The job ahead of it stays in line until its lane is served again, then is done.
      assert.equal(((await (await fetch(`${stack.baseUrl}/status/${first}`)).json()) as StatusView).status, 'queued');
      workerB.lanes[0]!.resume();
      const sse2 = await openSse(`${stack.baseUrl}/events/${first}`);
      const done = await sse2.collect((e) => e.event === 'done', 30_000);
      assert.equal(done.at(-1)?.event, 'done');
      assert.equal(ranBy.get(first), 'B');
    } finally {
      workerB.lanes[0]!.resume();
    }
  });

  it('a failed job in the other lane is in the failed list, and cleanup expires it', async () => {
    const id = await submit(stack, { model: B }, await corruptPng());
    const view = await stack.waitFor(id);
    assert.equal(view.status, 'failed');
    assert.notEqual(view.error_code, 'model_not_loaded');
    const list = (await (await fetch(`${stack.baseUrl}/jobs/failed?per_page=50`)).json()) as { total: number; jobs: StatusView[] };
    assert.ok(list.jobs.some((j) => j.job_id === id && j.options?.model === B), 'listed with the others');
    assert.ok(list.total >= 1);
    assert.ok(await stack.queue.getJob(id), 'found by id in its lane');
    const report = await runCleanup(stack.queue, stack.store, 1);
    assert.ok(report.expiredJobs >= 1);
    assert.equal(await stack.queue.getJob(id), undefined, 'its record is gone from its lane');
    const found = await stack.queue.view(id); // (the api keeps finished views a few seconds: asked directly)
    assert.ok(found && 'reason' in found && found.reason === 'expired', 'its tombstone says it expired');
  });

  it('a loaded model no live worker serves is accepted and waits in line; the next worker with it does it', async () => {
    await workerB.shutdown();
    await pastWorkerCache();
    assert.deepEqual((await served(stack))[B], [0, false], 'no live worker serves it');
    const id = await submit(stack, { model: B });
    await new Promise((r) => setTimeout(r, 500));
    const view = (await (await fetch(`${stack.baseUrl}/status/${id}`)).json()) as StatusView;
    assert.deepEqual([view.status, view.position], ['queued', 1], 'not taken by the worker without the model');
    const unknown = await post(stack, { model: 'u2net' });
    assert.equal(unknown.status, 400, 'a model in no configuration is still refused');
    const again = await stack.addWorker({ cutter: await tinyPipeline(dir, [B]) });
    track(again, 'B2');
    const done = await stack.waitFor(id);
    assert.equal(done.status, 'done', done.error);
    assert.equal(ranBy.get(id), 'B2');
    await pastWorkerCache();
    assert.deepEqual((await served(stack))[B], [1, true]);
  });
});

describe('the safety net: a worker whose MODELS disagree with the api\'s', { timeout: 60_000 }, () => {
  it('fails a job for a model it does not have with model_not_loaded, in words', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-lanes-'));
    // The api's default is B; the worker was told u2netp is the default: it serves the default lane with the wrong model.
    const stack = await startStack({ env: { MODELS: `${B},${A}`, JOB_ATTEMPTS: '1' }, workerEnv: { MODELS: A }, cutter: await tinyPipeline(dir, [A]) });
    try {
      const view = await stack.waitFor(await submit(stack, {}));
      assert.equal(view.status, 'failed');
      assert.equal(view.error_code, 'model_not_loaded');
      assert.match(view.error ?? '', new RegExp(`"${B}" is not loaded on the worker.*must list the same MODELS`));
    } finally {
      await stack.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

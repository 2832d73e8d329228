// Several workers on one Redis share the work; each job is processed exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('two workers', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 2, env: { INFERENCE_THREADS: '1' } });
  });
  after(() => stack?.stop());

  it('share a batch and process each job exactly once', async () => {
    const byWorker = stack.workers.map(() => [] as string[]);
    stack.workers.forEach((w, i) => w.worker.on('completed', (job) => byWorker[i]!.push(job.id!)));
    await Promise.all(stack.workers.map((w) => w.worker.pause()));
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await stack.upload(await subjectOnBackground(200 + i * 8, 160), `batch-${i}.png`);
      ids.push(((await res.json()) as { job_id: string }).job_id);
    }
    stack.workers.forEach((w) => w.worker.resume());
    for (const id of ids) assert.equal((await stack.waitFor(id)).status, 'done');
    const all = byWorker.flat().sort();
    assert.deepEqual(all, [...ids].sort(), 'every job completed exactly once');
    assert.ok(byWorker.every((list) => list.length > 0), `both workers took jobs: ${byWorker.map((l) => l.length).join(' + ')}`);
  });
});

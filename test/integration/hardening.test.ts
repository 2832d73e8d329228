// Bad input never crashes anything; expired and orphaned data is deleted; failed jobs are listed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { StatusView } from '../../src/jobs/contract.js';
import { hostileCorpus } from '../corpus/hostile.js';
import { corruptPng, subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';

const MAX_UPLOAD = 2 * 1024 * 1024;

describe('hostile and odd files through the real api and worker', { timeout: 900_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 1, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
  });
  after(() => stack?.stop());

  it('each file gets a correct cutout, or a clear 4xx, or a failed job with a clear message', async () => {
    const corpus = await hostileCorpus(MAX_UPLOAD);
    const jobs: { name: string; id: string; expect: (typeof corpus)[number]['expect'] }[] = [];
    for (const f of corpus) {
      const res = await stack.upload(f.bytes, f.name);
      const body = (await res.json()) as { job_id?: string; error?: { code: string; message: string } };
      if (f.expect.kind === 'reject') {
        assert.equal(res.status, f.expect.status, `${f.name}: ${JSON.stringify(body)}`);
        assert.ok((body.error?.message.length ?? 0) > 15, `${f.name}: a readable message`);
      } else if (res.status === 202) {
        jobs.push({ name: f.name, id: body.job_id!, expect: f.expect });
      } else {
        assert.equal(f.expect.kind, 'reject-or-fail', `${f.name} must work, got ${res.status} ${JSON.stringify(body)}`);
        assert.ok(res.status >= 400 && res.status < 500 && body.error?.message, f.name);
      }
    }
    for (const j of jobs) {
      const view = await stack.waitFor(j.id);
      if (j.expect.kind === 'works') {
        assert.equal(view.status, 'done', `${j.name}: ${view.error}`);
        const png = Buffer.from(await (await fetch(`${stack.baseUrl}/result/${j.id}`)).arrayBuffer());
        const meta = await sharp(png).metadata();
        assert.deepEqual([meta.width, meta.height, meta.channels], [j.expect.width, j.expect.height, 4], j.name);
      } else if (j.expect.kind === 'no-subject') {
        assert.equal(view.status, 'failed', j.name);
        assert.equal(view.error_code, 'unknown_foreground', `${j.name}: ${view.error}`);
        assert.match(view.error ?? '', /No foreground/);
      } else {
        assert.ok(view.status === 'failed' || view.status === 'done', `${j.name}: ${view.status}`);
        if (view.status === 'failed') assert.match(view.error ?? '', /damaged|decoded|incomplete|checksum/i, j.name);
      }
    }
    // everything still runs
    assert.equal((await fetch(`${stack.baseUrl}/ready`)).status, 200);
    const next = await stack.upload(await subjectOnBackground(), 'after.jpg');
    assert.equal((await stack.waitFor(((await next.json()) as { job_id: string }).job_id)).status, 'done');
  });

  it('lists failed jobs with their reasons, newest first, paginated', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await stack.upload(await corruptPng(), `broken-${i}.png`)).json()) as { job_id: string }).job_id);
    for (const id of ids) assert.equal((await stack.waitFor(id)).status, 'failed');
    const page1 = (await (await fetch(`${stack.baseUrl}/jobs/failed?per_page=2`)).json()) as { total: number; jobs: StatusView[] };
    assert.ok(page1.total >= 3);
    assert.equal(page1.jobs.length, 2);
    assert.deepEqual(page1.jobs.map((j) => j.job_id), [ids[2], ids[1]]);
    assert.ok(page1.jobs.every((j) => j.error && j.error.length > 15));
    const page2 = (await (await fetch(`${stack.baseUrl}/jobs/failed?per_page=2&page=2`)).json()) as { jobs: StatusView[] };
    assert.equal(page2.jobs[0]?.job_id, ids[0]);
    assert.equal((await fetch(`${stack.baseUrl}/jobs/failed?per_page=1000`)).status, 400);
  });
});

describe('cleanup after RESULT_TTL_MINUTES', { timeout: 300_000 }, () => {
  let stack: Stack;
  before(async () => {
    // 0.05 minutes = 3 s; the workers' scheduled cleanup runs every second.
    stack = await startStack({ workers: 1, env: { RESULT_TTL_MINUTES: '0.05', CLEANUP_INTERVAL_SECONDS: '1' } });
  });
  after(() => stack?.stop());

  const waitUntil = async (check: () => Promise<boolean>, what: string, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('deletes finished jobs, their files and orphans on schedule; status and result then say expired (410)', async () => {
    const res = await stack.upload(await subjectOnBackground(), 'short-lived.jpg');
    const { job_id } = (await res.json()) as { job_id: string };
    assert.equal((await stack.waitFor(job_id)).status, 'done');
    const orphan = randomUUID();
    fs.writeFileSync(path.join(stack.config.DATA_DIR, 'inputs', orphan), 'left behind by a crash');

    await waitUntil(async () => (await fetch(`${stack.baseUrl}/status/${job_id}`)).status === 410, 'the job to expire');
    const status = (await (await fetch(`${stack.baseUrl}/status/${job_id}`)).json()) as { error: { code: string; message: string } };
    assert.equal(status.error.code, 'job_expired');
    assert.match(status.error.message, /expired/);
    assert.equal((await fetch(`${stack.baseUrl}/result/${job_id}`)).status, 410);
    assert.ok(!fs.existsSync(path.join(stack.config.DATA_DIR, 'inputs', job_id)));
    assert.ok(!fs.existsSync(path.join(stack.config.DATA_DIR, 'results', `${job_id}.png`)));
    await waitUntil(async () => !fs.existsSync(path.join(stack.config.DATA_DIR, 'inputs', orphan)), 'the orphan file to go');
  });
});

describe('cleanup on demand', { timeout: 300_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 1, env: { RESULT_TTL_MINUTES: '60' } });
  });
  after(() => stack?.stop());

  it('expires a finished job whose result file is gone (POST /admin/cleanup) and keeps the rest', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(((await (await stack.upload(await subjectOnBackground(), `k${i}.jpg`)).json()) as { job_id: string }).job_id);
    for (const id of ids) assert.equal((await stack.waitFor(id)).status, 'done');
    fs.rmSync(path.join(stack.config.DATA_DIR, 'results', `${ids[0]}.png`));
    const res = await fetch(`${stack.baseUrl}/admin/cleanup`, { method: 'POST' });
    const report = (await res.json()) as Record<string, number>;
    assert.equal(report.jobsWithoutFiles, 1);
    assert.equal(report.expiredJobs, 0);
    assert.equal((await fetch(`${stack.baseUrl}/status/${ids[0]}`)).status, 410);
    assert.equal((await fetch(`${stack.baseUrl}/result/${ids[1]}`)).status, 200, 'a young job is kept');
  });
});
